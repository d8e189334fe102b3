#include "services/lambda/environments.h"

#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <deque>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <utility>

#include "api/http_server.h"
#include "common/clock.h"
#include "common/uuid.h"
#include "json/write.h"
#include "services/lambda/process.h"
#include "services/lambda/runtime_files.h"

namespace stepfn::lambda {

namespace {

// AWS's limit on a synchronous invocation's response (the Runtime API refuses bigger bodies).
constexpr size_t kMaxResponseBytes = 6291556;
// What the Runtime API's HTTP server reads at most: bodies between kMaxResponseBytes and this
// are refused by us with AWS's answer (and fail their invocation); bigger ones by the server.
constexpr size_t kRuntimeApiBodyLimit = 16 * 1024 * 1024;
constexpr size_t kMaxLineBytes = 256 * 1024;             // a CloudWatch event's limit
constexpr size_t kMaxPendingLogBytes = 4 * 1024 * 1024;  // per worker between two flushes
constexpr size_t kLogTailBytes = 4096;
constexpr size_t kMaxReadPerWake = 1024 * 1024;
constexpr int kDefaultMaxWorkers = 32;
constexpr int64_t kInitTimeoutMs = 10'000;  // AWS's limit on the init phase
constexpr int kBusyTickMs = 20;
constexpr int kIdleTickMs = 250;
constexpr int kSessionScanEvery = 10;  // busy ticks between scans of a worker's whole session

int64_t SteadyNanos() { return MonotonicNanos(); }

int64_t WallMillis() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Base64Encode(std::string_view in) {
  static const char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t n = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) |
                 static_cast<uint8_t>(in[i + 2]);
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(kAlphabet[(n >> 6) & 63]);
    out.push_back(kAlphabet[n & 63]);
  }
  if (i < in.size()) {
    uint32_t n = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) n |= static_cast<uint8_t>(in[i + 1]) << 8;
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(i + 1 < in.size() ? kAlphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

// Decodes base64 (padding optional); "" when it is not base64.
std::string Base64Decode(std::string_view in) {
  std::string out;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v;
    if (c >= 'A' && c <= 'Z') {
      v = c - 'A';
    } else if (c >= 'a' && c <= 'z') {
      v = c - 'a' + 26;
    } else if (c >= '0' && c <= '9') {
      v = c - '0' + 52;
    } else if (c == '+' || c == '-') {
      v = 62;
    } else if (c == '/' || c == '_') {
      v = 63;
    } else if (c == '=') {
      break;
    } else {
      return "";
    }
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((acc >> bits) & 0xff));
    }
  }
  return out;
}

// Replaces bytes that are not UTF-8 with U+FFFD, so that logs stay valid JSON text downstream.
void SanitizeUtf8(std::string* s) {
  size_t i = 0;
  const size_t n = s->size();
  bool clean = true;
  while (i < n) {
    unsigned char c = static_cast<unsigned char>((*s)[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    int len = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    bool ok = len > 0 && i + len <= n;
    for (int k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>((*s)[i + k]) >> 6) == 0x2;
    }
    if (!ok) {
      clean = false;
      break;
    }
    i += len;
  }
  if (clean) return;
  std::string out;
  out.reserve(n + 16);
  i = 0;
  while (i < n) {
    unsigned char c = static_cast<unsigned char>((*s)[i]);
    if (c < 0x80) {
      out.push_back(static_cast<char>(c));
      ++i;
      continue;
    }
    int len = (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
    bool ok = len > 0 && i + len <= n;
    for (int k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>((*s)[i + k]) >> 6) == 0x2;
    }
    if (ok) {
      out.append(*s, i, static_cast<size_t>(len));
      i += static_cast<size_t>(len);
    } else {
      out += "\xEF\xBF\xBD";
      ++i;
    }
  }
  *s = std::move(out);
}

std::string TwoDecimals(double value) {
  char buf[48];
  std::snprintf(buf, sizeof(buf), "%.2f", value);
  return buf;
}

// {"errorType": ..., "errorMessage": ...}: the document a failed invocation answers with.
std::string ErrorDocument(std::string_view type, std::string_view message) {
  std::string out = "{\"errorType\":";
  json::WriteString(type, &out);
  out += ",\"errorMessage\":";
  json::WriteString(message, &out);
  out += "}";
  return out;
}

// The Runtime API's own error answers: {"errorMessage": ..., "errorType": ...}.
api::HttpResponse ApiError(int status, std::string_view type, std::string_view message) {
  api::HttpResponse response;
  response.status = status;
  response.headers.emplace_back("Content-Type", "application/json");
  response.body = "{\"errorMessage\":";
  json::WriteString(message, &response.body);
  response.body += ",\"errorType\":";
  json::WriteString(type, &response.body);
  response.body += "}";
  return response;
}

api::HttpResponse Accepted() {
  api::HttpResponse response;
  response.status = 202;
  response.headers.emplace_back("Content-Type", "application/json");
  response.body = "{\"status\":\"OK\"}";
  return response;
}

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// The qualifier the caller named ("" when none), from Invoke's FunctionName and Qualifier.
std::string InvokedQualifier(const InvokeRequest& request) {
  if (!request.qualifier.empty()) return request.qualifier;
  std::vector<std::string_view> parts;
  std::string_view name = request.function_name;
  size_t start = 0;
  while (true) {
    size_t colon = name.find(':', start);
    parts.push_back(name.substr(start, colon == std::string_view::npos ? colon : colon - start));
    if (colon == std::string_view::npos) break;
    start = colon + 1;
  }
  if (parts.size() == 8 && parts[0] == "arn") return std::string(parts[7]);
  if (parts.size() == 4 && parts[1] == "function") return std::string(parts[3]);
  if (parts.size() == 2) return std::string(parts[1]);
  return "";
}

std::string NewTraceId() {
  char buf[96];
  std::snprintf(buf, sizeof(buf), "Root=1-%08llx-%s;Parent=%s;Sampled=0",
                static_cast<unsigned long long>(WallMillis() / 1000), RandomHex(24).c_str(),
                RandomHex(16).c_str());
  return buf;
}

// "2026/11/26/[$LATEST]<32 hex>"
std::string NewLogStream(const std::string& version) {
  std::string iso = FormatIso8601Millis(WallMillis());  // 2026-11-26T...
  std::string date = iso.substr(0, 10);
  std::replace(date.begin(), date.end(), '-', '/');
  return date + "/[" + version + "]" + RandomHex(32);
}

// Where a python3 on PATH really lives: a version manager's shim (a shell script) costs every
// cold start tens of milliseconds, so resolve it once.
std::string ResolvePython() {
  static std::once_flag once;
  static std::string resolved;
  std::call_once(once, [] {
    std::string path = FindOnPath("python3");
    if (path.empty()) return;
    resolved = path;
    std::ifstream file(path, std::ios::binary);
    char magic[2] = {0, 0};
    file.read(magic, 2);
    if (magic[0] != '#' || magic[1] != '!') return;
    auto out = RunAndCapture({"python3", "-c", "import sys; print(sys.executable)"}, 10'000);
    if (!out.ok()) return;
    std::string real = *out;
    while (!real.empty() && (real.back() == '\n' || real.back() == '\r')) real.pop_back();
    if (!real.empty() && ::access(real.c_str(), X_OK) == 0) resolved = real;
  });
  return resolved;
}

enum class WorkerState { Starting, Idle, Busy, Returning };
enum class KillReason {
  None,
  Timeout,
  Memory,
  Retired,
  Evicted,
  Reaped,
  InitError,
  InitTimeout,
  Stopped
};

struct Invocation {
  std::shared_ptr<const FunctionConfig> config;
  std::string request_id;
  std::string payload;  // the event; moved into the /next answer
  std::string invoked_arn;
  std::string trace_id;
  std::string client_context;  // decoded JSON
  bool log_tail = false;
  InvokeDone done;
  int64_t deadline_ms = 0;  // wall clock
  int64_t start_ns = 0;
  std::string tail;  // the log's last bytes (log_tail); under the worker's log_mu
};

struct Pool;

struct Worker {
  uint64_t id = 0;
  pid_t pid = -1;
  int pidfd = -1;
  int output_fd = -1;
  uint16_t port = 0;
  std::shared_ptr<Pool> pool;
  std::string log_group;
  std::string log_stream;
  std::string tmp_dir;
  // Under Impl::mu_.
  WorkerState state = WorkerState::Starting;
  api::Responder parked;  // a /next waiting for work (Idle)
  std::shared_ptr<Invocation> current;
  std::string last_request_id;
  int64_t spawn_ns = 0;
  int64_t idle_since_ns = 0;
  double init_ms = -1;
  bool init_reported = false;
  bool killed = false;
  bool detached = false;  // no longer counted in its pool
  KillReason kill_reason = KillReason::None;
  int64_t max_rss_kib = 0;
  // Under log_mu.
  std::mutex log_mu;
  std::string partial;
  std::vector<LogLine> pending;
  size_t pending_bytes = 0;
  size_t dropped_bytes = 0;
  std::shared_ptr<Invocation> log_target;
  bool output_eof = false;
};

struct Pool {
  std::string key;
  std::shared_ptr<const FunctionConfig> config;
  std::deque<std::shared_ptr<Invocation>> queue;
  std::vector<Worker*> idle;  // most recently used last
  int starting = 0;
  int returning = 0;
  int workers = 0;
  bool retired = false;
};

// What to do once the lock is released.
struct Outbox {
  std::vector<std::pair<InvokeDone, InvokeOutcome>> done;
  std::vector<std::pair<api::Responder, api::HttpResponse>> sends;
  // 202s to a runtime's result: held back when it pipelined its next /next behind the result.
  std::vector<api::Responder> accepted;
  std::vector<api::Responder> drops;
  std::vector<std::function<void()>> later;  // after the answers

  void Finish(std::shared_ptr<Invocation> inv, InvokeOutcome outcome) {
    done.emplace_back(std::move(inv->done), std::move(outcome));
  }
};

std::string PoolKey(const FunctionConfig& config) {
  return config.arn + "\n" + config.version + "\n" + std::to_string(config.revision);
}

// What the runtime posted (or what happened to it) turned into the invocation's answer.
struct Failure {
  std::string type;
  std::string message;  // without the "RequestId: <id> Error: " prefix
};

}  // namespace

class Environments::Impl : public api::Handler {
 public:
  explicit Impl(EnvironmentsOptions options) : options_(std::move(options)) {
    if (options_.max_workers <= 0) options_.max_workers = kDefaultMaxWorkers;
  }
  ~Impl() override { Stop(); }

  Status Start();
  void Invoke(std::shared_ptr<const FunctionConfig> config, InvokeRequest request, InvokeDone done);
  void Retire(const std::string& arn, const std::string& version);
  void Stop();
  Stats stats() const;

  // api::Handler: the Runtime API.
  void Handle(api::HttpRequest request, api::Responder responder) override;
  api::HttpResponse Reject(api::RejectReason reason, std::string_view detail) override;

 private:
  void Deliver(Outbox* out);
  std::shared_ptr<Pool> PoolFor(const std::shared_ptr<const FunctionConfig>& config);
  void Dispatch(Worker* w, std::shared_ptr<Invocation> inv, api::Responder responder, Outbox* out);
  void Rebalance(Outbox* out);
  std::optional<Failure> SpawnWorker(const std::shared_ptr<Pool>& pool);
  void Kill(Worker* w, KillReason reason);
  void Detach(Worker* w);
  void FailQueuedHead(Pool* pool, const Failure& failure, Outbox* out);
  // The invocation `w` ran ended: logs END/REPORT, answers it.
  void EndInvocation(Worker* w, const std::shared_ptr<Invocation>& inv,
                     std::optional<InvokeResponse> response, const Failure* failure,
                     const std::vector<std::string>& extra_lines, std::string_view status,
                     Outbox* out);
  void NextRequest(Worker* w, api::Responder responder, Outbox* out);
  void ResultRequest(Worker* w, const std::string& id, bool is_error, api::HttpRequest& request,
                     api::Responder responder, Outbox* out);
  void InitErrorRequest(Worker* w, api::HttpRequest& request, api::Responder responder,
                        Outbox* out);

  // Logs.
  // REQUIRES: w->log_mu. Function output beyond the buffer bound is dropped; stepfn's own lines
  // (`platform`: START, END, REPORT, errors) never are.
  void AppendLine(Worker* w, std::string text, int64_t ts, bool platform = false);
  void ReadOutput(Worker* w);  // takes w->log_mu
  void FlushLogs(Worker* w);   // takes w->log_mu

  // The monitor thread: exits, output, timeouts, memory, idle reaping, log flushes.
  void MonitorLoop();
  void OnExit(uint64_t id);
  void Tick(bool scan_sessions);
  void Forget(const std::shared_ptr<Worker>& w);

  EnvironmentsOptions options_;
  std::string runtimes_dir_;
  std::string tmp_root_;
  std::string python_;
  std::string node_;
  struct InterpretedRuntime {
    const char* prefix;              // of the runtime's name: "python3", "nodejs"
    const std::string* interpreter;  // its path; "" when not installed
    const char* program;             // what to install
    const char* subdir;              // of the runtime clients' folder
    const char* client;              // the client's file in it
  };
  const InterpretedRuntime interpreted_[2] = {
      {"python3", &python_, "python3", "/python", "/runtime.py"},
      {"nodejs", &node_, "node", "/node", "/runtime.js"}};
  const InterpretedRuntime* FindInterpretedRuntime(const std::string& runtime) const;
  std::unique_ptr<api::HttpServer> server_;

  mutable std::mutex mu_;
  bool stopping_ = false;  // guarded by mu_
  bool starving_ = false;  // an invocation waits for room under max_workers
  std::unordered_map<std::string, std::shared_ptr<Pool>> pools_;   // live versions
  std::vector<std::shared_ptr<Pool>> all_pools_;                   // with retired ones
  std::unordered_map<uint64_t, std::shared_ptr<Worker>> workers_;  // until reaped
  std::unordered_map<uint16_t, Worker*> by_port_;
  std::unordered_map<std::string, int> in_flight_;  // by function ARN
  int live_ = 0;                                    // workers not killed
  int busy_ = 0;
  int queued_ = 0;
  uint64_t next_worker_id_ = 1;

  std::thread monitor_;
  int epoll_fd_ = -1;
  int wake_fd_ = -1;
  std::atomic<bool> monitor_stop_{false};
  bool stopped_ = false;  // Stop ran (only Stop touches it; Stop is serialised by stop_mu_)
  std::mutex stop_mu_;
};

// ---------------------------------------------------------------------------------------------
// Start and Stop

Status Environments::Impl::Start() {
  if (options_.work_dir.empty()) return InvalidArgument("Environments: work_dir is empty");
  std::error_code ec;
  std::filesystem::create_directories(options_.work_dir, ec);
  if (ec) {
    return Unavailable("cannot create the Lambda work directory " + options_.work_dir + ": " +
                       ec.message());
  }
  runtimes_dir_ = options_.work_dir + "/runtimes";
  tmp_root_ = options_.work_dir + "/tmp";
  std::filesystem::create_directories(tmp_root_, ec);
  for (const EmbeddedFile& file : RuntimeFiles()) {
    std::filesystem::path path = std::filesystem::path(runtimes_dir_) / std::string(file.path);
    std::filesystem::create_directories(path.parent_path(), ec);
    std::string tmp = path.string() + ".tmp" + RandomHex(8);
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      out.write(file.data.data(), static_cast<std::streamsize>(file.data.size()));
      if (!out) return Unavailable("cannot write " + tmp);
    }
    std::filesystem::rename(tmp, path, ec);
    if (ec) return Unavailable("cannot write " + path.string() + ": " + ec.message());
  }
  python_ = ResolvePython();
  node_ = FindOnPath("node");

  epoll_fd_ = ::epoll_create1(EPOLL_CLOEXEC);
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (epoll_fd_ < 0 || wake_fd_ < 0) return Unavailable("cannot create epoll/eventfd");
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = 0;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, wake_fd_, &ev);

  api::HttpServerOptions server_options;
  server_options.host = options_.host;
  server_options.threads = 1;
  server_options.idle_spin = options_.idle_spin;
  server_options.max_body_bytes = kRuntimeApiBodyLimit;
  server_options.max_connections = 4096;
  server_options.drain_timeout = std::chrono::milliseconds(200);
  // A runtime's /next may wait for work for as long as it is kept warm.
  server_options.idle_timeout = std::chrono::milliseconds(24LL * 3600 * 1000);
  ASSIGN_OR_RETURN(server_, api::HttpServer::Start(server_options, this));
  monitor_ = std::thread([this] { MonitorLoop(); });
  return Status::Ok();
}

void Environments::Impl::Stop() {
  std::lock_guard<std::mutex> stop_lock(stop_mu_);
  if (stopped_) return;
  stopped_ = true;
  Outbox out;
  std::vector<std::shared_ptr<Worker>> workers;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    InvokeError stopped{500, "ServiceException", "The Lambda service is stopping.", ""};
    for (auto& pool : all_pools_) {
      for (auto& inv : pool->queue) {
        stopped.request_id = inv->request_id;
        out.Finish(inv, stopped);
      }
      pool->queue.clear();
    }
    queued_ = 0;
    for (auto& [id, w] : workers_) {
      if (w->current) {
        stopped.request_id = w->current->request_id;
        out.Finish(std::move(w->current), stopped);
        w->current = nullptr;
      }
      if (!w->parked.sent()) out.drops.push_back(std::move(w->parked));
      Kill(w.get(), KillReason::Stopped);
      workers.push_back(w);
    }
    busy_ = 0;
    in_flight_.clear();
  }
  Deliver(&out);
  if (monitor_.joinable()) {
    monitor_stop_.store(true);
    uint64_t one = 1;
    [[maybe_unused]] ssize_t n = ::write(wake_fd_, &one, sizeof(one));
    monitor_.join();
  }
  for (auto& w : workers) {
    if (w->pid > 0) {
      KillProcessGroup(w->pid);
      int status = 0;
      while (::waitpid(w->pid, &status, 0) < 0 && errno == EINTR) {
      }
      w->pid = -1;
    }
    ReadOutput(w.get());
    FlushLogs(w.get());
    Forget(w);
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    workers_.clear();
    by_port_.clear();
    pools_.clear();
    all_pools_.clear();
  }
  if (server_) server_->Stop();
  if (epoll_fd_ >= 0) ::close(epoll_fd_);
  if (wake_fd_ >= 0) ::close(wake_fd_);
  epoll_fd_ = wake_fd_ = -1;
}

// Closes what a dead worker held. The process is reaped.
void Environments::Impl::Forget(const std::shared_ptr<Worker>& w) {
  if (w->output_fd >= 0) {
    if (epoll_fd_ >= 0) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, w->output_fd, nullptr);
    ::close(w->output_fd);
    w->output_fd = -1;
  }
  if (w->pidfd >= 0) {
    if (epoll_fd_ >= 0) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, w->pidfd, nullptr);
    ::close(w->pidfd);
    w->pidfd = -1;
  }
  if (server_ && w->port != 0) server_->RemoveListener(w->port);
  if (!w->tmp_dir.empty()) {
    std::error_code ec;
    std::filesystem::remove_all(w->tmp_dir, ec);
  }
}

void Environments::Impl::Deliver(Outbox* out) {
  // Callers first: the answer to a runtime's POST (202) can wait for the caller's response, and
  // on a busy machine the runtime woken by it would compete with the caller's thread.
  for (auto& [done, outcome] : out->done) {
    if (done) done(std::move(outcome));
  }
  out->done.clear();
  for (auto& [responder, response] : out->sends) responder.Send(std::move(response));
  out->sends.clear();
  for (api::Responder& responder : out->accepted) responder.SendBeforeNext(Accepted());
  out->accepted.clear();
  out->drops.clear();
  for (auto& fn : out->later) fn();
  out->later.clear();
}

Environments::Stats Environments::Impl::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return Stats{live_, busy_, queued_};
}

// ---------------------------------------------------------------------------------------------
// Invocations

std::shared_ptr<Pool> Environments::Impl::PoolFor(
    const std::shared_ptr<const FunctionConfig>& config) {
  std::string key = PoolKey(*config);
  auto it = pools_.find(key);
  if (it != pools_.end()) return it->second;
  auto pool = std::make_shared<Pool>();
  pool->key = key;
  pool->config = config;
  pools_.emplace(key, pool);
  all_pools_.push_back(pool);
  return pool;
}

void Environments::Impl::Invoke(std::shared_ptr<const FunctionConfig> config, InvokeRequest request,
                                InvokeDone done) {
  auto inv = std::make_shared<Invocation>();
  inv->request_id = NewUuid();
  inv->payload = request.payload.empty() ? "{}" : std::move(request.payload);
  std::string qualifier = InvokedQualifier(request);
  inv->invoked_arn = qualifier.empty() ? config->arn : config->arn + ":" + qualifier;
  inv->trace_id = request.trace_header.empty() ? NewTraceId() : request.trace_header;
  if (!request.client_context.empty()) inv->client_context = Base64Decode(request.client_context);
  inv->log_tail = request.log_tail;
  inv->done = std::move(done);
  inv->config = config;
  Outbox out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) {
      out.Finish(inv, InvokeError{500, "ServiceException", "The Lambda service is stopping.",
                                  inv->request_id});
    } else {
      int& in_flight = in_flight_[config->arn];
      if (config->reserved_concurrency && in_flight >= *config->reserved_concurrency) {
        out.Finish(inv,
                   InvokeError{429, "TooManyRequestsException", "Rate Exceeded.", inv->request_id});
      } else {
        ++in_flight;
        std::shared_ptr<Pool> pool = PoolFor(config);
        if (!pool->idle.empty()) {
          Worker* w = pool->idle.back();
          pool->idle.pop_back();
          Dispatch(w, std::move(inv), std::move(w->parked), &out);
        } else {
          pool->queue.push_back(std::move(inv));
          ++queued_;
          Rebalance(&out);
        }
      }
    }
  }
  Deliver(&out);
}

// REQUIRES: mu_. Hands `inv` to `w` through its /next.
void Environments::Impl::Dispatch(Worker* w, std::shared_ptr<Invocation> inv,
                                  api::Responder responder, Outbox* out) {
  const FunctionConfig& config = *inv->config;
  w->state = WorkerState::Busy;
  ++busy_;
  inv->start_ns = SteadyNanos();
  int64_t now_ms = WallMillis();
  inv->deadline_ms = now_ms + int64_t{config.timeout_seconds} * 1000;
  api::HttpResponse next;
  next.status = 200;
  next.headers.reserve(7);
  next.headers.emplace_back("Content-Type", "application/json");
  next.headers.emplace_back("Lambda-Runtime-Aws-Request-Id", inv->request_id);
  next.headers.emplace_back("Lambda-Runtime-Deadline-Ms", std::to_string(inv->deadline_ms));
  next.headers.emplace_back("Lambda-Runtime-Invoked-Function-Arn", inv->invoked_arn);
  next.headers.emplace_back("Lambda-Runtime-Trace-Id", inv->trace_id);
  if (!inv->client_context.empty()) {
    next.headers.emplace_back("Lambda-Runtime-Client-Context", inv->client_context);
  }
  next.body = std::move(inv->payload);
  {
    std::lock_guard<std::mutex> log_lock(w->log_mu);
    w->log_target = inv;
    AppendLine(w, "START RequestId: " + inv->request_id + " Version: " + config.version, now_ms,
               true);
  }
  w->last_request_id = inv->request_id;
  w->current = std::move(inv);
  out->sends.emplace_back(std::move(responder), std::move(next));
}

// REQUIRES: mu_. Starts workers for queued invocations, within max_workers (evicting idle
// workers of other versions when full).
void Environments::Impl::Rebalance(Outbox* out) {
  if (stopping_) return;
  starving_ = false;
  for (size_t i = 0; i < all_pools_.size(); ++i) {
    std::shared_ptr<Pool> pool = all_pools_[i];
    while (static_cast<int>(pool->queue.size()) > pool->starting + pool->returning) {
      if (live_ >= options_.max_workers) {
        Worker* victim = nullptr;
        for (auto& other : all_pools_) {
          for (Worker* candidate : other->idle) {
            if (victim == nullptr || candidate->idle_since_ns < victim->idle_since_ns) {
              victim = candidate;
            }
          }
        }
        if (victim == nullptr) {
          starving_ = true;
          break;
        }
        Kill(victim, KillReason::Evicted);
      }
      std::optional<Failure> failure = SpawnWorker(pool);
      if (failure) FailQueuedHead(pool.get(), *failure, out);
    }
  }
  // Forget retired versions that have nothing left.
  std::erase_if(all_pools_, [](const std::shared_ptr<Pool>& pool) {
    return pool->retired && pool->workers == 0 && pool->queue.empty();
  });
}

// REQUIRES: mu_. The queued invocation a failed start was for fails as a function error.
void Environments::Impl::FailQueuedHead(Pool* pool, const Failure& failure, Outbox* out) {
  if (pool->queue.empty()) return;
  std::shared_ptr<Invocation> inv = std::move(pool->queue.front());
  pool->queue.pop_front();
  --queued_;
  --in_flight_[inv->config->arn];
  InvokeResponse response;
  response.status_code = 200;
  response.function_error = "Unhandled";
  response.executed_version = inv->config->version;
  response.request_id = inv->request_id;
  std::string message = "RequestId: " + inv->request_id + " Error: " + failure.message;
  response.payload = ErrorDocument(failure.type, message);
  if (inv->log_tail) {
    std::string lines = "START RequestId: " + inv->request_id +
                        " Version: " + inv->config->version + "\n" + message + "\n" + failure.type +
                        "\nEND RequestId: " + inv->request_id + "\n";
    response.log_result = Base64Encode(lines);
  }
  if (options_.log) {
    int64_t now = WallMillis();
    std::vector<LogLine> lines;
    lines.push_back(
        {now, "START RequestId: " + inv->request_id + " Version: " + inv->config->version});
    lines.push_back({now, message});
    lines.push_back({now, failure.type});
    lines.push_back({now, "END RequestId: " + inv->request_id});
    lines.push_back(
        {now, "REPORT RequestId: " + inv->request_id +
                  "\tDuration: 0.00 ms\tBilled Duration: 0 ms\tMemory Size: " +
                  std::to_string(inv->config->memory_mb) +
                  " MB\tMax Memory Used: 0 MB\tStatus: error\tError Type: " + failure.type});
    std::string group = "/aws/lambda/" + inv->config->name;
    std::string stream = NewLogStream(inv->config->version);
    LogWriter log = options_.log;
    out->done.emplace_back([log, group, stream, lines = std::move(lines)](
                               InvokeOutcome) mutable { log(group, stream, std::move(lines)); },
                           InvokeOutcome{});
  }
  out->Finish(std::move(inv), std::move(response));
}

// The runtimes served by an interpreter and one of stepfn's runtime clients (runtimes/).
const Environments::Impl::InterpretedRuntime* Environments::Impl::FindInterpretedRuntime(
    const std::string& runtime) const {
  for (const InterpretedRuntime& r : interpreted_) {
    if (StartsWith(runtime, r.prefix)) return &r;
  }
  return nullptr;
}

// REQUIRES: mu_. Starts one worker for `pool`; the failure when it cannot.
std::optional<Failure> Environments::Impl::SpawnWorker(const std::shared_ptr<Pool>& pool) {
  const FunctionConfig& config = *pool->config;
  const std::string& runtime = config.runtime;
  ProcessSpec spec;
  std::string runtime_dir = runtimes_dir_;
  std::string execution_env = "AWS_Lambda_" + runtime;
  if (runtime == "provided" || StartsWith(runtime, "provided.")) {
    std::string bootstrap = config.code_dir + "/bootstrap";
    struct stat st {};
    if (::stat(bootstrap.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return Failure{"Runtime.InvalidEntrypoint",
                     "Couldn't find valid bootstrap(s): [" + bootstrap + "]"};
    }
    if (::access(bootstrap.c_str(), X_OK) != 0) {
      return Failure{"Runtime.InvalidEntrypoint", "fork/exec " + bootstrap + ": permission denied"};
    }
    spec.path = bootstrap;
    spec.argv = {bootstrap};
    execution_env.clear();  // AWS sets none for OS-only runtimes
  } else if (const InterpretedRuntime* interpreted = FindInterpretedRuntime(runtime)) {
    // An interpreter running stepfn's runtime client for the language.
    const std::string& interpreter = *interpreted->interpreter;
    if (interpreter.empty()) {
      return Failure{
          "Runtime.InvalidEntrypoint",
          "the " + runtime + " runtime needs " + interpreted->program + ", which is not installed"};
    }
    runtime_dir += interpreted->subdir;
    std::string client = runtime_dir + interpreted->client;
    if (::access(client.c_str(), R_OK) != 0) {
      return Failure{"Runtime.InvalidEntrypoint",
                     "this stepfn has no runtime client for " + runtime + " (" + client + ")"};
    }
    spec.path = interpreter;
    spec.argv = {interpreter, client};
  } else {
    return Failure{"Runtime.InvalidEntrypoint",
                   "the runtime " + runtime + " is not installed on this stepfn"};
  }
  spec.cwd = config.code_dir;

  auto port = server_->AddListener();
  if (!port.ok()) {
    return Failure{"Runtime.Unknown", "cannot start the runtime: " + port.status().message()};
  }
  auto w = std::make_shared<Worker>();
  w->id = next_worker_id_++;
  w->port = *port;
  w->pool = pool;
  w->log_group = "/aws/lambda/" + config.name;
  w->log_stream = NewLogStream(config.version);
  w->tmp_dir = tmp_root_ + "/" + std::to_string(w->id) + "-" + RandomHex(8);
  ::mkdir(w->tmp_dir.c_str(), 0700);

  // Reserved variables first; the function's own may not replace them (AWS refuses them).
  std::vector<std::pair<std::string, std::string>> env = {
      {"AWS_LAMBDA_RUNTIME_API", options_.host + ":" + std::to_string(w->port)},
      {"_HANDLER", config.handler},
      {"LAMBDA_TASK_ROOT", config.code_dir},
      {"LAMBDA_RUNTIME_DIR", runtime_dir},
      {"AWS_LAMBDA_FUNCTION_NAME", config.name},
      {"AWS_LAMBDA_FUNCTION_VERSION", config.version},
      {"AWS_LAMBDA_FUNCTION_MEMORY_SIZE", std::to_string(config.memory_mb)},
      {"AWS_LAMBDA_LOG_GROUP_NAME", w->log_group},
      {"AWS_LAMBDA_LOG_STREAM_NAME", w->log_stream},
      {"AWS_LAMBDA_INITIALIZATION_TYPE", "on-demand"},
      {"AWS_REGION", config.region},
      {"AWS_DEFAULT_REGION", config.region},
      {"AWS_ACCESS_KEY_ID", "test"},
      {"AWS_SECRET_ACCESS_KEY", "test"},
      {"AWS_SESSION_TOKEN", "test"},
  };
  if (!execution_env.empty()) env.emplace_back("AWS_EXECUTION_ENV", execution_env);
  size_t reserved = env.size();
  const char* path_env = std::getenv("PATH");
  env.emplace_back("PATH", path_env ? path_env : "/usr/local/bin:/usr/bin:/bin");
  env.emplace_back("LANG", "en_US.UTF-8");
  env.emplace_back("TZ", ":UTC");
  env.emplace_back("TMPDIR", w->tmp_dir);
  // stepfn's own runtime clients may send their next GET /next right behind a result (HTTP/1.1
  // pipelining; this server answers requests in order): sdk/cpp does.
  env.emplace_back("STEPFN_RUNTIME_API_PIPELINING", "1");
  if (!options_.endpoint_url.empty()) env.emplace_back("AWS_ENDPOINT_URL", options_.endpoint_url);
  if (StartsWith(runtime, "python3")) env.emplace_back("PYTHONUNBUFFERED", "1");
  for (const auto& [name, value] : config.environment) {
    bool is_reserved = false;
    for (size_t i = 0; i < reserved && !is_reserved; ++i) is_reserved = env[i].first == name;
    if (is_reserved || name == "TMPDIR") continue;
    bool replaced = false;
    for (size_t i = reserved; i < env.size(); ++i) {
      if (env[i].first == name) {
        env[i].second = value;
        replaced = true;
      }
    }
    if (!replaced) env.emplace_back(name, value);
  }
  for (auto& [name, value] : env) spec.env.push_back(name + "=" + value);

  auto child = SpawnProcess(spec);
  if (!child.ok()) {
    server_->RemoveListener(w->port);
    std::error_code ec;
    std::filesystem::remove_all(w->tmp_dir, ec);
    const Status& status = child.status();
    if (status.code() == StatusCode::NotFound || status.code() == StatusCode::FailedPrecondition) {
      return Failure{"Runtime.InvalidEntrypoint", "fork/exec " + status.message()};
    }
    return Failure{"Runtime.Unknown", "cannot start the runtime: " + status.message()};
  }
  w->pid = child->pid;
  w->pidfd = child->pidfd;
  w->output_fd = child->output_fd;
  w->spawn_ns = SteadyNanos();
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = (w->id << 2) | 1;
  ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, w->output_fd, &ev);
  if (w->pidfd >= 0) {
    ev.data.u64 = (w->id << 2) | 2;
    ::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, w->pidfd, &ev);
  }
  ++pool->starting;
  ++pool->workers;
  ++live_;
  by_port_[w->port] = w.get();
  workers_.emplace(w->id, std::move(w));
  return std::nullopt;
}

// REQUIRES: mu_. The worker no longer counts in its pool's capacity (idle, starting, returning).
void Environments::Impl::Detach(Worker* w) {
  if (w->detached) return;
  w->detached = true;
  Pool* pool = w->pool.get();
  switch (w->state) {
    case WorkerState::Starting:
      --pool->starting;
      break;
    case WorkerState::Idle:
      std::erase(pool->idle, w);
      break;
    case WorkerState::Returning:
      --pool->returning;
      break;
    case WorkerState::Busy:
      break;
  }
}

// REQUIRES: mu_. Kills the worker's process group; the monitor reaps it. An invocation it was
// running must have been answered by the caller.
void Environments::Impl::Kill(Worker* w, KillReason reason) {
  if (w->killed) return;
  w->killed = true;
  w->kill_reason = reason;
  --live_;
  Detach(w);
  KillProcessGroup(w->pid);
}

void Environments::Impl::Retire(const std::string& arn, const std::string& version) {
  Outbox out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto it = pools_.begin(); it != pools_.end();) {
      Pool* pool = it->second.get();
      if (pool->config->arn != arn || (!version.empty() && pool->config->version != version)) {
        ++it;
        continue;
      }
      pool->retired = true;
      std::vector<Worker*> idle = pool->idle;
      for (Worker* w : idle) {
        if (!w->parked.sent()) out.drops.push_back(std::move(w->parked));
        Kill(w, KillReason::Retired);
      }
      it = pools_.erase(it);
    }
    Rebalance(&out);
  }
  Deliver(&out);
}

// ---------------------------------------------------------------------------------------------
// The Runtime API

api::HttpResponse Environments::Impl::Reject(api::RejectReason reason, std::string_view detail) {
  switch (reason) {
    case api::RejectReason::BodyTooLarge:
      return ApiError(413, "RequestEntityTooLarge",
                      "Exceeded maximum allowed payload size (" +
                          std::to_string(kMaxResponseBytes) + " bytes).");
    case api::RejectReason::InternalError:
      return ApiError(500, "ServiceException", std::string(detail));
    case api::RejectReason::TooManyConnections:
      return ApiError(503, "ServiceException", std::string(detail));
    case api::RejectReason::RequestTimeout:
      return ApiError(408, "RequestTimeout", std::string(detail));
    case api::RejectReason::HeaderTooLarge:
    case api::RejectReason::BadRequest:
    case api::RejectReason::TruncatedBody:
      break;
  }
  return ApiError(400, "InvalidRequest", std::string(detail));
}

void Environments::Impl::Handle(api::HttpRequest request, api::Responder responder) {
  constexpr std::string_view kPrefix = "/2018-06-01/runtime/";
  std::string_view target = request.target;
  size_t query = target.find('?');
  if (query != std::string_view::npos) target = target.substr(0, query);
  if (!StartsWith(target, kPrefix)) {
    responder.Send(ApiError(404, "NotFound", "Unknown Runtime API path: " + request.target));
    return;
  }
  std::string_view path = target.substr(kPrefix.size());
  enum class Route { Next, Response, Error, InitError, Unknown } route = Route::Unknown;
  std::string id;
  const char* method = "POST";
  if (path == "invocation/next") {
    route = Route::Next;
    method = "GET";
  } else if (path == "init/error") {
    route = Route::InitError;
  } else if (StartsWith(path, "invocation/")) {
    std::string_view rest = path.substr(std::string_view("invocation/").size());
    size_t slash = rest.find('/');
    if (slash != std::string_view::npos && slash > 0) {
      std::string_view what = rest.substr(slash + 1);
      id = std::string(rest.substr(0, slash));
      if (what == "response") route = Route::Response;
      if (what == "error") route = Route::Error;
    }
  }
  if (route == Route::Unknown) {
    responder.Send(ApiError(404, "NotFound", "Unknown Runtime API path: " + request.target));
    return;
  }
  if (request.method != method) {
    api::HttpResponse response =
        ApiError(405, "MethodNotAllowed", "Method " + request.method + " is not allowed here.");
    response.headers.emplace_back("Allow", method);
    responder.Send(std::move(response));
    return;
  }
  Outbox out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = by_port_.find(request.local_port);
    if (it == by_port_.end() || it->second->killed || stopping_) {
      out.sends.emplace_back(
          std::move(responder),
          ApiError(403, "InvalidStateTransition", "This runtime has no execution environment."));
    } else {
      Worker* w = it->second;
      switch (route) {
        case Route::Next:
          NextRequest(w, std::move(responder), &out);
          break;
        case Route::Response:
        case Route::Error:
          ResultRequest(w, id, route == Route::Error, request, std::move(responder), &out);
          break;
        case Route::InitError:
          InitErrorRequest(w, request, std::move(responder), &out);
          break;
        case Route::Unknown:
          break;
      }
    }
  }
  Deliver(&out);
}

// REQUIRES: mu_.
void Environments::Impl::NextRequest(Worker* w, api::Responder responder, Outbox* out) {
  Pool* pool = w->pool.get();
  switch (w->state) {
    case WorkerState::Busy:
      out->sends.emplace_back(
          std::move(responder),
          ApiError(403, "InvalidStateTransition",
                   "State transition from Invoke to Next failed: the runtime has not answered "
                   "invocation " +
                       w->last_request_id + "."));
      return;
    case WorkerState::Starting:
      w->init_ms = static_cast<double>(SteadyNanos() - w->spawn_ns) / 1e6;
      w->max_rss_kib = std::max(w->max_rss_kib, ResidentKib(w->pid));
      --pool->starting;
      break;
    case WorkerState::Returning:
      --pool->returning;
      break;
    case WorkerState::Idle:
      // A second /next while one is parked (the runtime gave up on the first): the new one
      // waits instead.
      std::erase(pool->idle, w);
      if (!w->parked.sent()) out->drops.push_back(std::move(w->parked));
      break;
  }
  w->state = WorkerState::Idle;
  if (!pool->queue.empty()) {
    std::shared_ptr<Invocation> inv = std::move(pool->queue.front());
    pool->queue.pop_front();
    --queued_;
    Dispatch(w, std::move(inv), std::move(responder), out);
    return;
  }
  if (pool->retired) {
    out->drops.push_back(std::move(responder));
    Kill(w, KillReason::Retired);
    Rebalance(out);
    return;
  }
  w->parked = std::move(responder);
  w->idle_since_ns = SteadyNanos();
  pool->idle.push_back(w);
  if (starving_) Rebalance(out);
}

// REQUIRES: mu_. POST /invocation/{id}/response or /error.
void Environments::Impl::ResultRequest(Worker* w, const std::string& id, bool is_error,
                                       api::HttpRequest& request, api::Responder responder,
                                       Outbox* out) {
  if (w->state != WorkerState::Busy || !w->current || w->current->request_id != id) {
    if (id == w->last_request_id) {
      out->sends.emplace_back(
          std::move(responder),
          ApiError(403, "InvalidStateTransition",
                   std::string("State transition from ") + "Ready to " +
                       (is_error ? "InvocationErrorResponse" : "InvocationResponse") +
                       " failed: invocation " + id + " was already answered."));
    } else {
      out->sends.emplace_back(std::move(responder),
                              ApiError(400, "InvalidRequestID", "Invalid request ID"));
    }
    return;
  }
  std::shared_ptr<Invocation> inv = std::move(w->current);
  w->current = nullptr;
  --busy_;
  --in_flight_[inv->config->arn];
  w->state = WorkerState::Returning;
  ++w->pool->returning;
  if (request.body.size() > kMaxResponseBytes) {
    out->sends.emplace_back(std::move(responder),
                            ApiError(413, "RequestEntityTooLarge",
                                     "Exceeded maximum allowed payload size (" +
                                         std::to_string(kMaxResponseBytes) + " bytes)."));
    Failure failure{"Function.ResponseSizeTooLarge",
                    "Response payload size (" + std::to_string(request.body.size()) +
                        " bytes) exceeded maximum allowed payload size (" +
                        std::to_string(kMaxResponseBytes) + " bytes)."};
    EndInvocation(w, inv, std::nullopt, &failure, {}, "error", out);
    return;
  }
  // A runtime that pipelines (stepfn's own) has its next /next in the server's buffer already:
  // the 202 then waits for that answer (one write, one wake-up of the runtime); others get it now.
  out->accepted.push_back(std::move(responder));
  InvokeResponse response;
  response.status_code = 200;
  response.payload = std::move(request.body);
  if (is_error) {
    response.function_error = "Unhandled";
    if (response.payload.empty()) {
      const std::string* type = request.FindHeader("Lambda-Runtime-Function-Error-Type");
      response.payload =
          ErrorDocument(type && !type->empty() ? *type : "Runtime.Unknown", "Unknown error");
    }
  }
  EndInvocation(w, inv, std::move(response), nullptr, {}, is_error ? "error" : "", out);
}

// REQUIRES: mu_. POST /init/error: the runtime could not start; the invocation its start was
// for fails with what it posted, and the environment is stopped.
void Environments::Impl::InitErrorRequest(Worker* w, api::HttpRequest& request,
                                          api::Responder responder, Outbox* out) {
  if (w->state != WorkerState::Starting) {
    out->sends.emplace_back(
        std::move(responder),
        ApiError(403, "InvalidStateTransition",
                 "State transition from Ready to InitError failed: init has already ended."));
    return;
  }
  out->sends.emplace_back(std::move(responder), Accepted());
  Pool* pool = w->pool.get();
  Kill(w, KillReason::InitError);
  if (!pool->queue.empty()) {
    std::shared_ptr<Invocation> inv = std::move(pool->queue.front());
    pool->queue.pop_front();
    --queued_;
    --in_flight_[inv->config->arn];
    InvokeResponse response;
    response.status_code = 200;
    response.function_error = "Unhandled";
    response.payload = std::move(request.body);
    if (response.payload.empty()) {
      const std::string* type = request.FindHeader("Lambda-Runtime-Function-Error-Type");
      response.payload = ErrorDocument(
          type && !type->empty() ? *type : "Runtime.Unknown",
          "RequestId: " + inv->request_id + " Error: the runtime failed to initialize");
    }
    // Log the attempt in the worker's stream: its START was never written.
    {
      std::lock_guard<std::mutex> log_lock(w->log_mu);
      w->log_target = inv;
      AppendLine(w, "START RequestId: " + inv->request_id + " Version: " + inv->config->version,
                 WallMillis(), true);
    }
    inv->start_ns = SteadyNanos();
    w->init_ms = static_cast<double>(SteadyNanos() - w->spawn_ns) / 1e6;
    EndInvocation(w, inv, std::move(response), nullptr, {}, "error", out);
  }
  Rebalance(out);
}

// REQUIRES: mu_. Logs the end of `inv` on `w` and answers it: with `response` when given, else
// with `failure` as a function error.
void Environments::Impl::EndInvocation(Worker* w, const std::shared_ptr<Invocation>& inv,
                                       std::optional<InvokeResponse> response,
                                       const Failure* failure,
                                       const std::vector<std::string>& extra_lines,
                                       std::string_view status, Outbox* out) {
  const FunctionConfig& config = *inv->config;
  double duration_ms = static_cast<double>(SteadyNanos() - inv->start_ns) / 1e6;
  if (!response) {
    response.emplace();
    response->status_code = 200;
    response->function_error = "Unhandled";
    response->payload = ErrorDocument(
        failure->type, "RequestId: " + inv->request_id + " Error: " + failure->message);
  }
  response->executed_version = config.version;
  response->request_id = inv->request_id;
  bool provided = StartsWith(config.runtime, "provided");
  double billed = duration_ms;
  std::string report = "REPORT RequestId: " + inv->request_id +
                       "\tDuration: " + TwoDecimals(duration_ms) + " ms\tBilled Duration: ";
  bool cold = !w->init_reported && w->init_ms >= 0;
  if (cold && provided) billed += w->init_ms;
  report += std::to_string(static_cast<int64_t>(std::ceil(std::max(billed, 1.0))));
  int64_t used_mb = (w->max_rss_kib + 1023) / 1024;
  // Sampled, so it may overshoot the limit by what was allocated between two samples: AWS never
  // reports more than the memory size, and a worker killed for memory used all of it.
  if (used_mb > config.memory_mb || w->kill_reason == KillReason::Memory) {
    used_mb = config.memory_mb;
  }
  report += " ms\tMemory Size: " + std::to_string(config.memory_mb) +
            " MB\tMax Memory Used: " + std::to_string(used_mb) + " MB";
  if (cold) {
    report += "\tInit Duration: " + TwoDecimals(w->init_ms) + " ms";
    w->init_reported = true;
  }
  if (status == "timeout") {
    report += "\tStatus: timeout";
  } else if (failure != nullptr && status == "error") {
    report += "\tStatus: error\tError Type: " + failure->type;
  }
  int64_t now = WallMillis();
  {
    std::lock_guard<std::mutex> log_lock(w->log_mu);
    // What the function printed before it answered is in the pipe already: take it first.
    if (w->output_fd >= 0 && !w->output_eof) {
      char buf[65536];
      size_t total = 0;
      while (total < kMaxReadPerWake) {
        ssize_t n = ::read(w->output_fd, buf, sizeof(buf));
        if (n <= 0) break;
        total += static_cast<size_t>(n);
        w->partial.append(buf, static_cast<size_t>(n));
        size_t start = 0;
        size_t nl;
        while ((nl = w->partial.find('\n', start)) != std::string::npos) {
          AppendLine(w, w->partial.substr(start, nl - start), now);
          start = nl + 1;
        }
        w->partial.erase(0, start);
      }
    }
    if (!w->partial.empty() && w->partial.size() < kMaxLineBytes) {
      // A last line without its newline belongs to this invocation.
      std::string last = std::move(w->partial);
      w->partial.clear();
      AppendLine(w, std::move(last), now);
    }
    for (const std::string& line : extra_lines) AppendLine(w, line, now, true);
    AppendLine(w, "END RequestId: " + inv->request_id, now, true);
    AppendLine(w, std::move(report), now, true);
    w->log_target = nullptr;
    if (inv->log_tail) response->log_result = Base64Encode(inv->tail);
  }
  out->Finish(inv, std::move(*response));
}

// ---------------------------------------------------------------------------------------------
// Logs

void Environments::Impl::AppendLine(Worker* w, std::string text, int64_t ts, bool platform) {
  SanitizeUtf8(&text);
  if (w->log_target && w->log_target->log_tail) {
    std::string& tail = w->log_target->tail;
    tail += text;
    tail += '\n';
    if (tail.size() > 2 * kLogTailBytes) tail.erase(0, tail.size() - kLogTailBytes);
  }
  if (!options_.log) return;
  if (!platform && w->pending_bytes + text.size() > kMaxPendingLogBytes) {
    w->dropped_bytes += text.size();
    return;
  }
  w->pending_bytes += text.size();
  w->pending.push_back(LogLine{ts, std::move(text)});
}

void Environments::Impl::ReadOutput(Worker* w) {
  std::lock_guard<std::mutex> log_lock(w->log_mu);
  if (w->output_fd < 0 || w->output_eof) return;
  char buf[65536];
  size_t total = 0;
  int64_t now = WallMillis();
  while (total < kMaxReadPerWake) {
    ssize_t n = ::read(w->output_fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) break;  // EAGAIN: all read
    if (n == 0) {
      w->output_eof = true;
      if (epoll_fd_ >= 0) ::epoll_ctl(epoll_fd_, EPOLL_CTL_DEL, w->output_fd, nullptr);
      if (!w->partial.empty()) {
        std::string last = std::move(w->partial);
        w->partial.clear();
        AppendLine(w, std::move(last), now);
      }
      break;
    }
    total += static_cast<size_t>(n);
    w->partial.append(buf, static_cast<size_t>(n));
    size_t start = 0;
    size_t nl;
    while ((nl = w->partial.find('\n', start)) != std::string::npos) {
      AppendLine(w, w->partial.substr(start, nl - start), now);
      start = nl + 1;
    }
    w->partial.erase(0, start);
    while (w->partial.size() >= kMaxLineBytes) {
      AppendLine(w, w->partial.substr(0, kMaxLineBytes), now);
      w->partial.erase(0, kMaxLineBytes);
    }
  }
}

void Environments::Impl::FlushLogs(Worker* w) {
  std::vector<LogLine> lines;
  {
    std::lock_guard<std::mutex> log_lock(w->log_mu);
    if (w->dropped_bytes > 0) {
      w->pending.push_back(LogLine{WallMillis(), "[stepfn] " + std::to_string(w->dropped_bytes) +
                                                     " bytes of function output were dropped "
                                                     "(written faster than logs are kept)"});
      w->dropped_bytes = 0;
    }
    if (w->pending.empty()) return;
    lines.swap(w->pending);
    w->pending_bytes = 0;
  }
  if (options_.log) options_.log(w->log_group, w->log_stream, std::move(lines));
}

// ---------------------------------------------------------------------------------------------
// The monitor thread

void Environments::Impl::MonitorLoop() {
  epoll_event events[64];
  int64_t last_flush = 0;
  int64_t last_reap = SteadyNanos();
  int ticks = 0;
  int tick_ms = kIdleTickMs;
  int64_t next_tick = SteadyNanos();
  while (!monitor_stop_.load()) {
    int64_t now = SteadyNanos();
    int wait_ms = static_cast<int>(std::max<int64_t>(0, (next_tick - now) / 1'000'000));
    int n = ::epoll_wait(epoll_fd_, events, 64, wait_ms);
    if (monitor_stop_.load()) break;
    for (int i = 0; i < n; ++i) {
      uint64_t key = events[i].data.u64;
      if (key == 0) {
        uint64_t value;
        [[maybe_unused]] ssize_t r = ::read(wake_fd_, &value, sizeof(value));
        continue;
      }
      uint64_t id = key >> 2;
      std::shared_ptr<Worker> w;
      {
        std::lock_guard<std::mutex> lock(mu_);
        auto it = workers_.find(id);
        if (it != workers_.end()) w = it->second;
      }
      if (!w) continue;
      if ((key & 3) == 1) {
        ReadOutput(w.get());
      } else {
        OnExit(id);
      }
    }
    now = SteadyNanos();
    if (now >= next_tick) {
      ++ticks;
      bool busy;
      {
        std::lock_guard<std::mutex> lock(mu_);
        // Timeouts and memory need a fast tick only while something runs or waits.
        busy = busy_ > 0 || queued_ > 0;
      }
      Tick(ticks % kSessionScanEvery == 0);
      if (now - last_flush >= 50'000'000 || !busy) {
        std::vector<std::shared_ptr<Worker>> all;
        {
          std::lock_guard<std::mutex> lock(mu_);
          for (auto& [id, w] : workers_) all.push_back(w);
        }
        for (auto& w : all) FlushLogs(w.get());
        last_flush = now;
      }
      if (now - last_reap >= 1'000'000'000LL) {
        last_reap = now;
        Outbox out;
        {
          std::lock_guard<std::mutex> lock(mu_);
          int64_t limit = int64_t{options_.idle_timeout_seconds} * 1'000'000'000LL;
          std::vector<Worker*> stale;
          for (auto& pool : all_pools_) {
            for (Worker* w : pool->idle) {
              if (now - w->idle_since_ns >= limit) stale.push_back(w);
            }
          }
          for (Worker* w : stale) {
            if (!w->parked.sent()) out.drops.push_back(std::move(w->parked));
            Kill(w, KillReason::Reaped);
          }
        }
        Deliver(&out);
      }
      tick_ms = busy ? kBusyTickMs : kIdleTickMs;
      next_tick = now + int64_t{tick_ms} * 1'000'000;
    }
  }
}

// Timeouts, init timeouts, memory; workers without a pidfd are polled for their exit.
void Environments::Impl::Tick(bool scan_sessions) {
  // Memory is read without the lock (a scan of /proc takes milliseconds): which workers first.
  std::vector<std::pair<uint64_t, pid_t>> busy;
  std::vector<std::pair<uint64_t, pid_t>> unwatched;  // no pidfd: polled for their exit
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [id, w] : workers_) {
      if (w->state == WorkerState::Busy && !w->killed && w->pid > 0) busy.emplace_back(id, w->pid);
      if (w->pidfd < 0 && w->pid > 0) unwatched.emplace_back(id, w->pid);
    }
  }
  std::unordered_map<pid_t, int64_t> sessions;
  if (scan_sessions) {
    for (auto& [id, pid] : busy) sessions.emplace(pid, 0);
    if (!sessions.empty()) SessionResidentKib(&sessions);
  }
  std::unordered_map<uint64_t, int64_t> resident;
  for (auto& [id, pid] : busy) {
    int64_t rss = ResidentKib(pid);
    auto it = sessions.find(pid);
    if (it != sessions.end()) rss = std::max(rss, it->second);
    resident[id] = rss;
  }
  std::vector<uint64_t> exited;
  for (auto& [id, pid] : unwatched) {
    siginfo_t info{};
    if (::waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
        info.si_pid == pid) {
      exited.push_back(id);
    }
  }
  Outbox out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    int64_t now_ms = WallMillis();
    int64_t now_ns = SteadyNanos();
    for (auto& [id, wp] : workers_) {
      Worker* w = wp.get();
      if (w->killed) continue;
      if (w->state == WorkerState::Starting && now_ns - w->spawn_ns > kInitTimeoutMs * 1'000'000) {
        Kill(w, KillReason::InitTimeout);
        continue;
      }
      if (w->state != WorkerState::Busy || !w->current) continue;
      std::shared_ptr<Invocation>& inv = w->current;
      auto measured = resident.find(id);
      int64_t rss = measured == resident.end() ? 0 : measured->second;
      w->max_rss_kib = std::max(w->max_rss_kib, rss);
      const FunctionConfig& config = *inv->config;
      if (rss > int64_t{config.memory_mb} * 1024) {
        std::shared_ptr<Invocation> done = std::move(inv);
        w->current = nullptr;
        --busy_;
        --in_flight_[config.arn];
        Kill(w, KillReason::Memory);
        Failure failure{"Runtime.OutOfMemory", "Runtime exited with error: signal: killed"};
        std::string line = "RequestId: " + done->request_id + " Error: " + failure.message;
        EndInvocation(w, done, std::nullopt, &failure, {line, failure.type}, "error", &out);
        continue;
      }
      if (now_ms >= inv->deadline_ms) {
        std::shared_ptr<Invocation> done = std::move(inv);
        w->current = nullptr;
        --busy_;
        --in_flight_[config.arn];
        Kill(w, KillReason::Timeout);
        std::string seconds = TwoDecimals(config.timeout_seconds);
        Failure failure{"Sandbox.Timedout", "Task timed out after " + seconds + " seconds"};
        std::string line = FormatIso8601Millis(now_ms) + " " + done->request_id +
                           " Task timed out after " + seconds + " seconds";
        EndInvocation(w, done, std::nullopt, &failure, {line}, "timeout", &out);
      }
    }
    if (!out.done.empty()) Rebalance(&out);
  }
  Deliver(&out);
  for (uint64_t id : exited) OnExit(id);
}

void Environments::Impl::OnExit(uint64_t id) {
  std::shared_ptr<Worker> w;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = workers_.find(id);
    if (it == workers_.end()) return;
    w = it->second;
    // The leader is a zombie until reaped, so its pid (the group's id) cannot be reused yet:
    // kill what it left in its group first.
    KillProcessGroup(w->pid);
  }
  int status = 0;
  pid_t reaped;
  while ((reaped = ::waitpid(w->pid, &status, 0)) < 0 && errno == EINTR) {
  }
  if (reaped != w->pid) {
    // Someone else in this process reaped it (a waitpid(-1) elsewhere): it is gone all the same.
    status = W_EXITCODE(0, SIGKILL);
  }
  ReadOutput(w.get());
  Outbox out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    w->pid = -1;
    bool was_killed = w->killed;
    KillReason reason = w->kill_reason;
    if (!w->killed) {
      w->killed = true;
      --live_;
    }
    WorkerState state = w->state;
    Detach(w.get());
    std::string exit = "Runtime exited with error: " + DescribeExit(status);
    if (w->current) {
      std::shared_ptr<Invocation> inv = std::move(w->current);
      w->current = nullptr;
      --busy_;
      --in_flight_[inv->config->arn];
      Failure failure{"Runtime.ExitError", exit};
      std::string line = "RequestId: " + inv->request_id + " Error: " + exit;
      EndInvocation(w.get(), inv, std::nullopt, &failure, {line, failure.type}, "error", &out);
    } else if (state == WorkerState::Starting &&
               (!was_killed || reason == KillReason::InitTimeout)) {
      // Died (or hung) before its first /next: the invocation it was started for fails.
      Failure failure =
          reason == KillReason::InitTimeout
              ? Failure{"Sandbox.Timedout",
                        "Init timed out after " + TwoDecimals(kInitTimeoutMs / 1000) + " seconds"}
              : Failure{"Runtime.ExitError", exit};
      FailQueuedHead(w->pool.get(), failure, &out);
    }
    if (!w->parked.sent()) out.drops.push_back(std::move(w->parked));
    --w->pool->workers;
    by_port_.erase(w->port);
    workers_.erase(id);
    Rebalance(&out);
  }
  Deliver(&out);
  FlushLogs(w.get());
  Forget(w);
}

// ---------------------------------------------------------------------------------------------
// Environments

Result<std::unique_ptr<Environments>> Environments::Start(EnvironmentsOptions options) {
  auto impl = std::make_unique<Impl>(std::move(options));
  RETURN_IF_ERROR(impl->Start());
  return std::unique_ptr<Environments>(new Environments(std::move(impl)));
}

Environments::Environments(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Environments::~Environments() { Stop(); }

void Environments::Invoke(std::shared_ptr<const FunctionConfig> config, InvokeRequest request,
                          InvokeDone done) {
  impl_->Invoke(std::move(config), std::move(request), std::move(done));
}

void Environments::Retire(const std::string& function_arn, const std::string& version) {
  impl_->Retire(function_arn, version);
}

void Environments::Stop() { impl_->Stop(); }

Environments::Stats Environments::stats() const { return impl_->stats(); }

}  // namespace stepfn::lambda
