// sfn_load: a load generator for Step Functions API servers (stepfn serve, moto_server), as the
// AWS SDKs reach them: awsJson1_0 over HTTP/1.1 keep-alive (`POST /`, `X-Amz-Target:
// AWSStepFunctions.<Operation>`, `Content-Type: application/x-amz-json-1.0`, an unverified
// SigV4-shaped Authorization header). Each client thread owns one connection; requests on a
// connection are sequential (one in flight), so N connections = N requests in flight.
//
//   sfn_load create --endpoint H:P --name NAME --definition FILE [--type STANDARD|EXPRESS]
//       [--count K] [--out FILE]
//     Creates K state machines (NAME, or NAME-0 .. NAME-K-1) and writes their ARNs, one a line.
//   sfn_load start --endpoint H:P --arns FILE --requests R [--warmup W] [--connections C]
//       [--input JSON] [--name-prefix P] [--arn-suffix S] [--offset K] [--out FILE] [--moto 1]
//     StartExecution R times (after W untimed ones) from C connections. With one ARN in FILE
//     every request names that machine; with several, request i uses line K+i (moto_server
//     5.2.1 runs only one execution per account and region: see --moto below and PEERS.md).
//     Prints requests/s and latency; --out writes the execution ARNs.
//   sfn_load sync --endpoint H:P --arn ARN --requests R [--warmup W] [--input JSON]
//       [--expect TEXT] [--seconds S]
//     StartSyncExecution R times (or for S seconds) on one connection, after W untimed ones; prints
//     p50/p90/p99/max latency. Every answer must be SUCCEEDED and contain TEXT in its output.
//   sfn_load burst --endpoint H:P --arns FILE --executions N [--connections C] [--input JSON]
//       [--arn-suffix S] [--offset K] [--expect TEXT] [--history-sample K] [--timeout S]
//       [--gate-seconds G] [--server-pid P]
//     Starts N executions as fast as C connections allow, then waits (DescribeExecution on the
//     oldest unfinished one, one request at a time) until all ended. With --gate-seconds the
//     input gets "go": a time G s ahead, which a first Wait state (TimestampPath) waits for, so
//     all N run at once; the window is then from "go" to the last stopDate (the server's clock),
//     else from the first startDate. From the full history (GetExecutionHistory) of K
//     executions: history events and states entered per execution (must agree across the
//     sample). Rates count the states entered inside the window. --server-pid: also the
//     server's CPU time inside the window (from /proc).
//   sfn_load park --endpoint H:P --arns FILE --executions N [--connections C] [--input JSON]
//     Starts N executions and returns (for memory measurements of executions parked in a Wait).
//   sfn_load invoke --endpoint H:P --function NAME --requests R [--warmup W] [--connections C]
//       [--payload JSON] [--expect TEXT] [--cold 1]
//     Lambda's Invoke (restJson1) R times; p50/p90/p99 and requests/s. --cold 1: each timed
//     invoke follows an UpdateFunctionConfiguration, so it starts a fresh worker (cold start).
//
// --moto 1 (any command): each request carries moto_server's x-moto-account-id header, the
// account of the ARN it names, and `create --count K` puts machine i in account B+i
// (`--account-base B`, default 200000000000).
//
// Output: one JSON object on stdout per command. Exit status 0 on success, 1 when any request
// failed or an answer was wrong, 2 for bad arguments.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json/src.hpp>  // header-only Boost.JSON
#include <cctype>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
namespace json = boost::json;
using tcp = net::ip::tcp;
using Clock = std::chrono::steady_clock;

double Seconds(Clock::duration d) { return std::chrono::duration<double>(d).count(); }

struct Reply {
  int status = 0;  // HTTP status; 0: transport error
  std::string body;
};

// One keep-alive HTTP/1.1 connection. Reconnects when the server closed it.
class Connection {
 public:
  Connection(std::string host, std::string port) : host_(std::move(host)), port_(std::move(port)) {}

  // `account`: sent as moto_server's x-moto-account-id header when not empty.
  Reply Call(const std::string& operation, const std::string& body,
             const std::string& account = "") {
    std::vector<std::pair<std::string, std::string>> headers = {
        {"Content-Type", "application/x-amz-json-1.0"},
        {"X-Amz-Target", "AWSStepFunctions." + operation}};
    if (!account.empty()) headers.emplace_back("x-moto-account-id", account);
    return Send(http::verb::post, "/", "states", headers, body);
  }

  // One restJson1 request (the Lambda API): `service` names the signing scope.
  Reply Send(http::verb method, const std::string& target, const std::string& service,
             const std::vector<std::pair<std::string, std::string>>& headers,
             const std::string& body) {
    for (int attempt = 0; attempt < 2; ++attempt) {
      beast::error_code ec;
      if (!open_) {
        Open(ec);
        if (ec) return {0, "connect: " + ec.message()};
      }
      http::request<http::string_body> req{method, target, 11};
      req.set(http::field::host, host_ + ":" + port_);
      for (const auto& [name, value] : headers) req.set(name, value);
      req.set("X-Amz-Date", "20260101T000000Z");
      // Shaped like the SDKs' header (region and service are read from it by moto_server);
      // neither server verifies signatures here.
      req.set(http::field::authorization,
              "AWS4-HMAC-SHA256 Credential=test/20260101/us-east-1/" + service +
                  "/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=0");
      req.keep_alive(true);
      req.body() = body;
      req.prepare_payload();
      http::write(socket_, req, ec);
      if (ec) {
        Close();
        continue;  // the server closed an idle connection: reconnect once
      }
      http::response<http::string_body> res;
      http::read(socket_, buffer_, res, ec);
      if (ec) {
        Close();
        if (attempt == 0 && (ec == http::error::end_of_stream || ec == net::error::eof ||
                             ec == net::error::connection_reset)) {
          continue;
        }
        return {0, "read: " + ec.message()};
      }
      if (!res.keep_alive()) Close();
      return {static_cast<int>(res.result_int()), std::move(res.body())};
    }
    return {0, "connection closed twice"};
  }

 private:
  void Open(beast::error_code& ec) {
    tcp::resolver resolver(ioc_);
    auto results = resolver.resolve(host_, port_, ec);
    if (ec) return;
    net::connect(socket_, results, ec);
    if (ec) return;
    socket_.set_option(tcp::no_delay(true), ec);
    buffer_.clear();
    open_ = true;
  }
  void Close() {
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    buffer_.clear();
    open_ = false;
  }

  std::string host_, port_;
  net::io_context ioc_;
  tcp::socket socket_{ioc_};
  beast::flat_buffer buffer_;
  bool open_ = false;
};

struct Args {
  std::string command;
  std::map<std::string, std::string> flags;

  std::string Get(const std::string& name, const std::string& fallback = "") const {
    auto it = flags.find(name);
    return it == flags.end() ? fallback : it->second;
  }
  long Int(const std::string& name, long fallback) const {
    auto it = flags.find(name);
    return it == flags.end() ? fallback : std::strtol(it->second.c_str(), nullptr, 10);
  }
  bool Has(const std::string& name) const { return flags.count(name) != 0; }
};

[[noreturn]] void Die(const std::string& message, int code = 1) {
  std::fprintf(stderr, "sfn_load: %s\n", message.c_str());
  std::exit(code);
}

std::pair<std::string, std::string> SplitEndpoint(const std::string& endpoint) {
  std::string e = endpoint;
  if (e.rfind("http://", 0) == 0) e = e.substr(7);
  size_t colon = e.rfind(':');
  if (colon == std::string::npos) Die("--endpoint must be HOST:PORT", 2);
  return {e.substr(0, colon), e.substr(colon + 1)};
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) Die("cannot read " + path, 2);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<std::string> ReadLines(const std::string& path) {
  std::vector<std::string> lines;
  std::istringstream in(ReadFile(path));
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) lines.push_back(line);
  }
  if (lines.empty()) Die(path + " has no lines", 2);
  return lines;
}

std::string Str(const json::value& v, const char* key) {
  if (!v.is_object()) return "";
  const json::value* m = v.as_object().if_contains(key);
  return m != nullptr && m->is_string() ? std::string(m->as_string()) : "";
}

double Num(const json::value& v, const char* key) {
  if (!v.is_object()) return 0;
  const json::value* m = v.as_object().if_contains(key);
  if (m == nullptr) return 0;
  if (m->is_double()) return m->as_double();
  if (m->is_int64()) return static_cast<double>(m->as_int64());
  if (m->is_uint64()) return static_cast<double>(m->as_uint64());
  return 0;
}

// Whether `output` contains `expect`, ignoring whitespace (moto_server writes `{"i": 10}`).
bool Contains(std::string output, std::string expect) {
  auto strip = [](std::string& t) {
    std::erase_if(t, [](char ch) { return std::isspace(static_cast<unsigned char>(ch)) != 0; });
  };
  strip(output);
  strip(expect);
  return output.find(expect) != std::string::npos;
}

json::value ParseOr(const std::string& text) {
  boost::system::error_code ec;
  json::value v = json::parse(text, ec);
  return ec ? json::value() : v;
}

// Percentile of sorted latencies (nearest rank).
double Pct(const std::vector<double>& sorted, double p) {
  if (sorted.empty()) return 0;
  size_t rank = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(sorted.size())));
  return sorted[std::min(sorted.size() - 1, rank == 0 ? 0 : rank - 1)];
}

json::object LatencyJson(std::vector<double> ms) {
  std::sort(ms.begin(), ms.end());
  json::object o;
  o["p50_ms"] = Pct(ms, 50);
  o["p90_ms"] = Pct(ms, 90);
  o["p99_ms"] = Pct(ms, 99);
  o["p999_ms"] = Pct(ms, 99.9);
  o["max_ms"] = ms.empty() ? 0.0 : ms.back();
  double sum = 0;
  for (double x : ms) sum += x;
  o["mean_ms"] = ms.empty() ? 0.0 : sum / static_cast<double>(ms.size());
  return o;
}

// The account field of an ARN ("arn:aws:states:us-east-1:123456789012:...").
std::string ArnAccount(const std::string& arn) {
  size_t p = 0;
  for (int i = 0; i < 4; ++i) {
    p = arn.find(':', p);
    if (p == std::string::npos) return "";
    ++p;
  }
  size_t end = arn.find(':', p);
  return end == std::string::npos ? "" : arn.substr(p, end - p);
}

// --moto 1: every request carries x-moto-account-id, the account of the ARN it names. moto_server
// 5.2.1 fails every StartExecution after the first in an account and region (HTTP 500, "cannot
// pickle '_thread.RLock'": it deep-copies the state machine, which reaches the running
// executions), so each execution gets an account of its own (PEERS.md).
bool g_moto = false;

std::string StartBody(const std::string& arn, const std::string& name, const std::string& input) {
  json::object o;
  o["stateMachineArn"] = arn;
  if (!name.empty()) o["name"] = name;
  o["input"] = input;
  return json::serialize(o);
}

std::string RunTag() {
  return std::to_string(
      std::chrono::duration_cast<std::chrono::microseconds>(Clock::now().time_since_epoch())
          .count() %
      100000000000LL);
}

// ---------------------------------------------------------------------------------------------

int Create(const Args& a) {
  auto [host, port] = SplitEndpoint(a.Get("endpoint"));
  std::string name = a.Get("name");
  std::string definition = ReadFile(a.Get("definition"));
  std::string type = a.Get("type", "STANDARD");
  long count = a.Int("count", 1);
  if (name.empty()) Die("create needs --name", 2);
  Connection c(host, port);
  std::string out;
  for (long i = 0; i < count; ++i) {
    // moto: machine i in an account of its own.
    std::string account = g_moto ? std::to_string(a.Int("account-base", 200000000000L) + i) : "";
    json::object o;
    o["name"] = a.Has("count") ? name + "-" + std::to_string(i) : name;
    o["definition"] = definition;
    o["roleArn"] = "arn:aws:iam::123456789012:role/bench";
    o["type"] = type;
    Reply r = c.Call("CreateStateMachine", json::serialize(o), account);
    std::string arn = Str(ParseOr(r.body), "stateMachineArn");
    if (r.status != 200 || arn.empty()) {
      Die("CreateStateMachine: HTTP " + std::to_string(r.status) + ": " + r.body.substr(0, 400));
    }
    out += arn + "\n";
  }
  if (a.Has("out")) {
    std::ofstream f(a.Get("out"));
    f << out;
  } else {
    std::fputs(out.c_str(), stdout);
  }
  return 0;
}

// Starts `total` executions from `connections` threads; request i uses arns[i % arns.size()]
// (offset by `first`). Collects latencies (ms) and the execution ARNs in request order.
struct StartResult {
  std::vector<double> latency_ms;
  std::vector<std::string> executions;
  long errors = 0;
  std::string first_error;
  double seconds = 0;
};

StartResult StartMany(const std::string& host, const std::string& port,
                      const std::vector<std::string>& arns, size_t first, long total,
                      int connections, const std::string& input, const std::string& prefix,
                      const std::string& suffix, double max_seconds = 0) {
  StartResult result;
  result.executions.resize(static_cast<size_t>(total));
  std::vector<double> latency(static_cast<size_t>(total), -1);
  std::atomic<long> next{0};
  std::mutex mu;
  auto t0 = Clock::now();
  auto deadline = t0 + std::chrono::duration_cast<Clock::duration>(
                           std::chrono::duration<double>(max_seconds > 0 ? max_seconds : 1e9));
  std::vector<std::thread> threads;
  for (int t = 0; t < connections; ++t) {
    threads.emplace_back([&] {
      Connection c(host, port);
      while (true) {
        if (Clock::now() >= deadline) return;
        long i = next.fetch_add(1);
        if (i >= total) return;
        size_t k = first + static_cast<size_t>(i);
        const std::string& arn = arns.size() == 1 ? arns[0] : arns[k % arns.size()];
        std::string body = StartBody(arn + suffix, prefix + std::to_string(k), input);
        auto s = Clock::now();
        Reply r = c.Call("StartExecution", body, g_moto ? ArnAccount(arn) : "");
        double ms = Seconds(Clock::now() - s) * 1e3;
        std::string exec = r.status == 200 ? Str(ParseOr(r.body), "executionArn") : "";
        if (exec.empty()) {
          std::lock_guard<std::mutex> lock(mu);
          if (result.errors++ == 0) {
            result.first_error = "HTTP " + std::to_string(r.status) + ": " + r.body.substr(0, 300);
          }
          continue;
        }
        latency[static_cast<size_t>(i)] = ms;
        result.executions[static_cast<size_t>(i)] = std::move(exec);
      }
    });
  }
  for (auto& t : threads) t.join();
  result.seconds = Seconds(Clock::now() - t0);
  for (double ms : latency) {
    if (ms >= 0) result.latency_ms.push_back(ms);
  }
  return result;
}

int Start(const Args& a) {
  auto [host, port] = SplitEndpoint(a.Get("endpoint"));
  std::vector<std::string> arns = ReadLines(a.Get("arns"));
  long requests = a.Int("requests", 1000);
  long warmup = a.Int("warmup", 0);
  int connections = static_cast<int>(a.Int("connections", 1));
  std::string input = a.Get("input", "{}");
  std::string prefix = a.Get("name-prefix", "b" + RunTag() + "-");
  std::string suffix = a.Get("arn-suffix");
  size_t offset = static_cast<size_t>(a.Int("offset", 0));
  if (arns.size() > 1 && static_cast<long>(arns.size() - offset) < warmup + requests) {
    Die("--arns has " + std::to_string(arns.size()) + " machines, fewer than warmup + requests", 2);
  }
  if (warmup > 0) {
    StartResult w =
        StartMany(host, port, arns, offset, warmup, connections, input, prefix + "w", suffix);
    if (w.errors > 0) Die("warm-up StartExecution failed: " + w.first_error);
  }
  double seconds = static_cast<double>(a.Int("seconds", 0));
  StartResult r = StartMany(host, port, arns, offset + static_cast<size_t>(warmup), requests,
                            connections, input, prefix, suffix, seconds);
  json::object o;
  o["measure"] = "start";
  o["connections"] = connections;
  o["requests"] = requests;
  o["ok"] = static_cast<int64_t>(r.latency_ms.size());
  o["errors"] = r.errors;
  if (r.errors > 0) o["first_error"] = r.first_error;
  o["seconds"] = r.seconds;
  o["requests_per_s"] = static_cast<double>(r.latency_ms.size()) / r.seconds;
  o["latency"] = LatencyJson(r.latency_ms);
  std::puts(json::serialize(o).c_str());
  if (a.Has("out")) {
    std::ofstream f(a.Get("out"));
    for (const std::string& e : r.executions) {
      if (!e.empty()) f << e << "\n";
    }
  }
  return r.errors == 0 ? 0 : 1;
}

int Sync(const Args& a) {
  auto [host, port] = SplitEndpoint(a.Get("endpoint"));
  std::string arn = a.Get("arn");
  long requests = a.Int("requests", 1000);
  long warmup = a.Int("warmup", 100);
  std::string input = a.Get("input", "{}");
  std::string expect = a.Get("expect");
  std::string prefix = "s" + RunTag() + "-";
  Connection c(host, port);
  std::vector<double> ms;
  ms.reserve(static_cast<size_t>(requests));
  long errors = 0;
  std::string first_error;
  auto t0 = Clock::now();
  double max_seconds = static_cast<double>(a.Int("seconds", 0));
  for (long i = 0; i < warmup + requests; ++i) {
    if (i == warmup) t0 = Clock::now();
    if (i > warmup && max_seconds > 0 && Seconds(Clock::now() - t0) >= max_seconds) break;
    std::string body = StartBody(arn, prefix + std::to_string(i), input);
    auto s = Clock::now();
    Reply r = c.Call("StartSyncExecution", body, g_moto ? ArnAccount(arn) : "");
    double took = Seconds(Clock::now() - s) * 1e3;
    json::value v = ParseOr(r.body);
    bool good = r.status == 200 && Str(v, "status") == "SUCCEEDED" &&
                (expect.empty() || Contains(Str(v, "output"), expect));
    if (!good) {
      if (errors++ == 0) first_error = "HTTP " + std::to_string(r.status) + ": " + r.body;
      if (errors > 20 && i < warmup) break;  // not supported at all: stop early
      continue;
    }
    if (i >= warmup) ms.push_back(took);
  }
  double seconds = Seconds(Clock::now() - t0);
  json::object o;
  o["measure"] = "sync";
  o["requests"] = requests;
  o["ok"] = static_cast<int64_t>(ms.size());
  o["errors"] = errors;
  if (errors > 0) o["first_error"] = first_error.substr(0, 400);
  o["seconds"] = seconds;
  o["requests_per_s"] = static_cast<double>(ms.size()) / seconds;
  o["latency"] = LatencyJson(ms);
  std::puts(json::serialize(o).c_str());
  return errors == 0 ? 0 : 1;
}

// CPU seconds (user + system) a process used so far, from /proc/PID/stat.
double ProcessCpuSeconds(long pid) {
  std::string stat = ReadFile("/proc/" + std::to_string(pid) + "/stat");
  size_t paren = stat.rfind(')');
  if (paren == std::string::npos) return 0;
  std::istringstream in(stat.substr(paren + 2));
  std::string field;
  double ticks = 0;
  // After "pid (comm) ": state is field 3; utime and stime are fields 14 and 15.
  for (int i = 3; i <= 15 && in >> field; ++i) {
    if (i >= 14) ticks += std::strtod(field.c_str(), nullptr);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

// Waits until every execution ended; returns the DescribeExecution answers.
std::vector<json::value> WaitAll(Connection& c, const std::vector<std::string>& executions,
                                 double timeout_s, Clock::time_point* last_end) {
  std::vector<json::value> described(executions.size());
  auto deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                     std::chrono::duration<double>(timeout_s));
  for (size_t i = 0; i < executions.size();) {
    json::object req;
    req["executionArn"] = executions[i];
    Reply r =
        c.Call("DescribeExecution", json::serialize(req), g_moto ? ArnAccount(executions[i]) : "");
    json::value v = ParseOr(r.body);
    std::string status = Str(v, "status");
    if (r.status != 200) Die("DescribeExecution: HTTP " + std::to_string(r.status) + ": " + r.body);
    if (status != "RUNNING") {
      *last_end = Clock::now();
      described[i++] = std::move(v);
      continue;
    }
    if (Clock::now() > deadline) Die("timed out waiting for " + executions[i]);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return described;
}

// Counts the events and states entered of one execution's full history.
std::pair<long, long> HistoryCounts(Connection& c, const std::string& execution) {
  long events = 0, entered = 0;
  std::string token;
  do {
    json::object req;
    req["executionArn"] = execution;
    req["maxResults"] = 1000;
    if (!token.empty()) req["nextToken"] = token;
    Reply r =
        c.Call("GetExecutionHistory", json::serialize(req), g_moto ? ArnAccount(execution) : "");
    if (r.status != 200)
      Die("GetExecutionHistory: HTTP " + std::to_string(r.status) + ": " + r.body);
    json::value v = ParseOr(r.body);
    token = Str(v, "nextToken");
    const json::value* list = v.is_object() ? v.as_object().if_contains("events") : nullptr;
    if (list == nullptr || !list->is_array()) Die("GetExecutionHistory: no events: " + r.body);
    for (const json::value& e : list->as_array()) {
      ++events;
      std::string type = Str(e, "type");
      if (type.size() > 7 && type.compare(type.size() - 7, 7, "Entered") == 0) ++entered;
    }
  } while (!token.empty());
  return {events, entered};
}

int Burst(const Args& a, bool wait) {
  auto [host, port] = SplitEndpoint(a.Get("endpoint"));
  std::vector<std::string> arns = ReadLines(a.Get("arns"));
  long n = a.Int("executions", 1000);
  int connections = static_cast<int>(a.Int("connections", 8));
  std::string input = a.Get("input", "{}");
  std::string suffix = a.Get("arn-suffix");
  std::string expect = a.Get("expect");
  long sample = a.Int("history-sample", 3);
  double timeout = static_cast<double>(a.Int("timeout", 600));
  size_t offset = static_cast<size_t>(a.Int("offset", 0));
  long gate = a.Int("gate-seconds", 0);
  if (arns.size() > 1 && static_cast<long>(arns.size() - offset) < n) {
    Die("fewer machines than executions", 2);
  }
  // --gate-seconds G: every execution's input gets "go", a time G seconds (rounded up to a
  // whole second) from now, for a first Wait state's TimestampPath; the measured window starts
  // there, once all executions are running.
  double go_epoch = 0;
  if (gate > 0) {
    auto now = std::chrono::system_clock::now();
    std::time_t go = std::chrono::system_clock::to_time_t(now) + 1 + gate;
    go_epoch = static_cast<double>(go);
    std::tm tm{};
    gmtime_r(&go, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json::value v = ParseOr(input);
    if (!v.is_object()) Die("--gate-seconds needs an object --input", 2);
    v.as_object()["go"] = text;
    input = json::serialize(v);
  }
  auto t0 = Clock::now();
  StartResult started =
      StartMany(host, port, arns, offset, n, connections, input, "x" + RunTag() + "-", suffix);
  if (started.errors > 0) Die("StartExecution failed: " + started.first_error);
  double started_epoch =
      std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  json::object o;
  o["measure"] = wait ? "burst" : "park";
  o["executions"] = n;
  o["connections"] = connections;
  o["start_seconds"] = started.seconds;
  o["starts_per_s"] = static_cast<double>(n) / started.seconds;
  o["start_latency"] = LatencyJson(started.latency_ms);
  if (!wait) {
    std::puts(json::serialize(o).c_str());
    return 0;
  }
  if (gate > 0) {
    o["gate_seconds_left"] = go_epoch - started_epoch;  // < 0: some ran before all had started
  }
  // --server-pid P: the server's CPU time (utime + stime) from the gate until all ended.
  long server_pid = a.Int("server-pid", 0);
  double cpu0 = 0;
  if (server_pid > 0 && gate > 0) {
    std::this_thread::sleep_for(std::chrono::duration<double>(go_epoch - started_epoch));
    cpu0 = ProcessCpuSeconds(server_pid);
  }
  Connection c(host, port);
  Clock::time_point last_end = Clock::now();
  std::vector<json::value> described = WaitAll(c, started.executions, timeout, &last_end);
  if (server_pid > 0 && gate > 0) o["server_cpu_s_window"] = ProcessCpuSeconds(server_pid) - cpu0;
  double wall = Seconds(last_end - t0);
  if (gate > 0) {
    // From the gate to the last end seen (system clock, as the gate).
    wall =
        std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count() -
        Seconds(Clock::now() - last_end) - go_epoch;
  }
  double first_start = 1e300, last_stop = 0;
  std::map<std::string, long> statuses;
  long wrong = 0;
  std::string first_wrong;
  for (const json::value& d : described) {
    statuses[Str(d, "status")]++;
    first_start = std::min(first_start, Num(d, "startDate"));
    last_stop = std::max(last_stop, Num(d, "stopDate"));
    if (Str(d, "status") != "SUCCEEDED" ||
        (!expect.empty() && !Contains(Str(d, "output"), expect))) {
      if (wrong++ == 0) first_wrong = json::serialize(d).substr(0, 400);
    }
  }
  double span = last_stop - (gate > 0 ? go_epoch : first_start);
  // Histories of a sample, spread over the run.
  long events = -1, entered = -1;
  bool consistent = true;
  for (long k = 0; k < sample && k < n; ++k) {
    size_t i = static_cast<size_t>(sample <= 1 ? 0 : k * (n - 1) / (sample - 1));
    auto [ev, en] = HistoryCounts(c, started.executions[i]);
    if (events >= 0 && (ev != events || en != entered)) consistent = false;
    events = ev;
    entered = en;
  }
  // With a gate, the gate's own entry (and the ExecutionStarted and WaitStateEntered events)
  // happened before the window.
  long counted_entered = gate > 0 ? entered - 1 : entered;
  long counted_events = gate > 0 ? events - 2 : events;
  json::object st;
  for (auto& [k, v] : statuses) st[k] = v;
  o["statuses"] = st;
  o["wrong"] = wrong;
  if (wrong > 0) o["first_wrong"] = first_wrong;
  o["wall_seconds"] = wall;
  o["server_span_seconds"] = span;
  o["history_sample"] = sample;
  o["history_consistent"] = consistent;
  o["events_per_execution"] = events;
  o["states_entered_per_execution"] = entered;
  o["states_entered_in_window_per_execution"] = counted_entered;
  o["states_entered_per_s"] = static_cast<double>(counted_entered) * static_cast<double>(n) / span;
  o["events_per_s"] = static_cast<double>(counted_events) * static_cast<double>(n) / span;
  o["states_entered_per_s_client_wall"] =
      static_cast<double>(counted_entered) * static_cast<double>(n) / wall;
  std::puts(json::serialize(o).c_str());
  return wrong == 0 && consistent ? 0 : 1;
}

// invoke: Lambda's Invoke (POST /2015-03-31/functions/F/invocations) R times from C
// connections after W untimed ones; every answer must be 200 without X-Amz-Function-Error and
// contain --expect. With --cold 1 each timed invoke follows an UpdateFunctionConfiguration
// (a new environment variable), so it meets a fresh worker: the cold start.
int Invoke(const Args& a) {
  auto [host, port] = SplitEndpoint(a.Get("endpoint"));
  const std::string function = a.Get("function");
  if (function.empty()) Die("--function NAME is required", 2);
  const long requests = a.Int("requests", 1000), warmup = a.Int("warmup", 100);
  const long connections = std::max(1L, a.Int("connections", 1));
  const bool cold = a.Get("cold") == "1";
  const std::string payload = a.Get("payload", "{\"hello\":\"world\"}");
  const std::string expect = a.Get("expect", "world");
  const std::string path = "/2015-03-31/functions/" + function + "/invocations";
  const std::vector<std::pair<std::string, std::string>> headers = {
      {"Content-Type", "application/json"}};
  std::atomic<long> next{0}, bad{0};
  std::mutex mu;
  std::vector<double> latencies;
  std::string first_bad;
  auto check = [&](const Reply& r) {
    if (r.status == 200 && Contains(r.body, expect)) return true;
    std::lock_guard<std::mutex> lock(mu);
    if (bad++ == 0) first_bad = std::to_string(r.status) + " " + r.body.substr(0, 300);
    return false;
  };
  {
    Connection c(host, port);
    for (long i = 0; i < warmup; ++i)
      check(c.Send(http::verb::post, path, "lambda", headers, payload));
  }
  auto started = Clock::now();
  std::vector<std::thread> threads;
  for (long t = 0; t < connections; ++t) {
    threads.emplace_back([&] {
      Connection c(host, port);
      std::vector<double> mine;
      for (long i = next++; i < requests; i = next++) {
        if (cold) {
          std::string config =
              "{\"Environment\":{\"Variables\":{\"SFN_LOAD_COLD\":\"" + std::to_string(i) + "\"}}}";
          Reply u = c.Send(http::verb::put, "/2015-03-31/functions/" + function + "/configuration",
                           "lambda", headers, config);
          if (u.status != 200) check(u);
        }
        auto t0 = Clock::now();
        Reply r = c.Send(http::verb::post, path, "lambda", headers, payload);
        mine.push_back(Seconds(Clock::now() - t0) * 1000);
        check(r);
      }
      std::lock_guard<std::mutex> lock(mu);
      latencies.insert(latencies.end(), mine.begin(), mine.end());
    });
  }
  for (auto& th : threads) th.join();
  double wall = Seconds(Clock::now() - started);
  json::object o = LatencyJson(latencies);
  o["command"] = "invoke";
  o["function"] = function;
  o["requests"] = requests;
  o["connections"] = connections;
  o["cold"] = cold;
  o["wall_seconds"] = wall;
  if (!cold) o["requests_per_s"] = static_cast<double>(requests) / wall;
  o["bad"] = bad.load();
  if (bad > 0) o["first_bad"] = first_bad;
  std::puts(json::serialize(o).c_str());
  return bad == 0 ? 0 : 1;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2)
    Die("usage: sfn_load create|start|sync|burst|park|invoke --endpoint HOST:PORT ...", 2);
  Args a;
  a.command = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string flag = argv[i];
    if (flag.rfind("--", 0) != 0 || i + 1 >= argc) Die("bad argument: " + flag, 2);
    a.flags[flag.substr(2)] = argv[++i];
  }
  if (!a.Has("endpoint")) Die("--endpoint HOST:PORT is required", 2);
  g_moto = a.Get("moto") == "1";
  if (a.command == "create") return Create(a);
  if (a.command == "start") return Start(a);
  if (a.command == "sync") return Sync(a);
  if (a.command == "burst") return Burst(a, true);
  if (a.command == "park") return Burst(a, false);
  if (a.command == "invoke") return Invoke(a);
  Die("unknown command " + a.command, 2);
}
