#include "cli/sfn_client.h"

#include <algorithm>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <cstdlib>
#include <optional>
#include <thread>
#include <utility>

#include "json/parse.h"
#include "json/write.h"

namespace stepfn::cli {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

// Responses larger than this are refused: a page of 1,000 history events with their data is
// far below it.
constexpr uint64_t kMaxResponseBytes = 512ull * 1024 * 1024;

std::string Env(const char* name, std::string fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : std::move(fallback);
}

// "a#Code:detail" -> "Code" (botocore's reading of __type and x-amzn-ErrorType).
std::string BareCode(std::string_view code) {
  if (size_t hash = code.find('#'); hash != std::string_view::npos) code.remove_prefix(hash + 1);
  if (size_t colon = code.find(':'); colon != std::string_view::npos) code = code.substr(0, colon);
  return std::string(code);
}

std::string Brief(std::string_view text, size_t max = 200) {
  if (text.size() <= max) return std::string(text);
  return std::string(text.substr(0, max)) + "...";
}

StatusCode CodeOfAnswer(int http_status, std::string_view code) {
  if (http_status >= 500) return StatusCode::Unavailable;
  if (code.ends_with("DoesNotExist") || code == "ResourceNotFound") return StatusCode::NotFound;
  if (code.ends_with("AlreadyExists")) return StatusCode::AlreadyExists;
  return StatusCode::InvalidArgument;
}

std::string Seconds(std::chrono::milliseconds ms) {
  if (ms.count() % 1000 == 0) return std::to_string(ms.count() / 1000) + " s";
  return std::to_string(ms.count()) + " ms";
}

}  // namespace

Result<SfnEndpoint> ParseEndpoint(std::string_view url) {
  auto bad = [&](std::string why) {
    return InvalidArgument("endpoint '" + std::string(url) + "': " + why +
                           " (expected http://HOST:PORT)");
  };
  std::string_view rest = url;
  if (rest.starts_with("https://")) return bad("https is not supported");
  if (!rest.starts_with("http://")) return bad("not an http:// URL");
  rest.remove_prefix(7);
  if (rest.ends_with("/")) rest.remove_suffix(1);
  SfnEndpoint ep;
  std::string_view port_text;
  if (rest.starts_with("[")) {
    size_t close = rest.find(']');
    if (close == std::string_view::npos) return bad("unclosed '[' in the host");
    ep.host = std::string(rest.substr(1, close - 1));
    rest.remove_prefix(close + 1);
    if (!rest.empty()) {
      if (rest[0] != ':') return bad("unexpected text after the host");
      port_text = rest.substr(1);
    }
  } else {
    size_t colon = rest.find(':');
    ep.host = std::string(rest.substr(0, colon));
    if (colon != std::string_view::npos) port_text = rest.substr(colon + 1);
  }
  if (ep.host.empty()) return bad("no host");
  if (ep.host.find_first_of("/?#@ ") != std::string::npos) return bad("paths are not supported");
  if (port_text.find('/') != std::string_view::npos) return bad("paths are not supported");
  if (!port_text.empty() || rest.ends_with(":")) {
    uint32_t port = 0;
    for (char c : port_text) {
      if (c < '0' || c > '9' || port > 65535) return bad("the port is not a number");
      port = port * 10 + static_cast<uint32_t>(c - '0');
    }
    if (port_text.empty() || port == 0 || port > 65535) return bad("the port must be 1 to 65535");
    ep.port = static_cast<uint16_t>(port);
  }
  bool v6 = ep.host.find(':') != std::string::npos;
  std::string host_part = v6 ? "[" + ep.host + "]" : ep.host;
  ep.host_header = host_part + ":" + std::to_string(ep.port);
  ep.url = "http://" + ep.host_header;
  return ep;
}

SfnClientOptions SfnClientOptionsFromEnv(std::string endpoint) {
  SfnClientOptions o;
  o.endpoint = std::move(endpoint);
  o.credential.access_key_id = Env("AWS_ACCESS_KEY_ID", "test");
  o.credential.secret_access_key = Env("AWS_SECRET_ACCESS_KEY", "test");
  o.credential.session_token = Env("AWS_SESSION_TOKEN", "");
  o.region = Env("AWS_REGION", Env("AWS_DEFAULT_REGION", "us-east-1"));
  return o;
}

struct SfnClient::Impl {
  SfnClientOptions options;
  SfnEndpoint ep;
  asio::io_context ioc;
  beast::tcp_stream stream{ioc};
  beast::flat_buffer buffer;
  bool connected = false;
  int answered_on_connection = 0;  // responses read on the current connection
  SystemClock clock;

  void Close() {
    error_code ec;
    stream.socket().shutdown(tcp::socket::shutdown_both, ec);
    stream.socket().close(ec);
    buffer.clear();
    connected = false;
    answered_on_connection = 0;
  }

  // Runs the io_context until the operations started on it are done.
  void RunIo() {
    ioc.restart();
    ioc.run();
  }

  Status Connect(std::string_view operation) {
    auto unreachable = [&](const std::string& why) {
      return Unavailable("cannot reach " + ep.url + " (" + std::string(operation) + "): " + why);
    };
    tcp::resolver resolver(ioc);
    error_code ec;
    tcp::resolver::results_type results =
        resolver.resolve(ep.host, std::to_string(ep.port), tcp::resolver::numeric_service, ec);
    if (ec) return unreachable("cannot resolve host '" + ep.host + "': " + ec.message());
    error_code connect_ec;
    stream.expires_after(options.connect_timeout);
    stream.async_connect(
        results, [&connect_ec](const error_code& e, const tcp::endpoint&) { connect_ec = e; });
    RunIo();
    if (connect_ec) {
      Close();
      if (connect_ec == beast::error::timeout) {
        return unreachable("connect: no answer within " + Seconds(options.connect_timeout));
      }
      return unreachable("connect: " + connect_ec.message());
    }
    stream.socket().set_option(tcp::no_delay(true), ec);
    connected = true;
    answered_on_connection = 0;
    return Status::Ok();
  }

  // Sends `req` (once more on a new connection when a kept-alive one broke) and turns the
  // answer into the response's JSON or a Status (`rest`: any 2xx answer is a success).
  Result<json::Value> Answer(std::string_view operation, http::request<http::string_body>& req,
                             bool rest, SfnError& err);

  // Sends `req` and reads the answer into *res. *retryable: the connection was one kept
  // alive from earlier calls and broke before any byte of the answer came (the server closed
  // it while idle), so sending again on a new connection is safe.
  Status Exchange(std::string_view operation, http::request<http::string_body>& req,
                  http::response<http::string_body>* res, bool* retryable) {
    *retryable = false;
    http::response_parser<http::string_body> parser;
    parser.body_limit(kMaxResponseBytes);
    error_code write_ec, read_ec;
    stream.expires_after(options.call_timeout);
    http::async_write(stream, req, [&](const error_code& e, size_t) {
      write_ec = e;
      if (e) return;
      http::async_read(stream, buffer, parser,
                       [&read_ec](const error_code& e2, size_t) { read_ec = e2; });
    });
    RunIo();
    error_code ec = write_ec ? write_ec : read_ec;
    if (ec) {
      bool reused = answered_on_connection > 0;
      bool nothing_read = !parser.got_some();
      Close();
      *retryable = reused && nothing_read && ec != beast::error::timeout;
      std::string what = write_ec ? "sending the request" : "reading the answer";
      if (ec == beast::error::timeout) {
        return Unavailable("no answer from " + ep.url + " to " + std::string(operation) +
                           " within " + Seconds(options.call_timeout));
      }
      if (ec == http::error::body_limit) {
        return Internal(std::string(operation) + " at " + ep.url + ": the answer is larger than " +
                        std::to_string(kMaxResponseBytes) + " bytes");
      }
      return Unavailable("cannot reach " + ep.url + " (" + std::string(operation) + "): " + what +
                         ": " + ec.message());
    }
    *res = parser.release();
    ++answered_on_connection;
    if (!res->keep_alive()) Close();
    return Status::Ok();
  }
};

SfnClient::SfnClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

SfnClient::~SfnClient() {
  if (impl_ != nullptr && impl_->connected) impl_->Close();
}

Result<std::unique_ptr<SfnClient>> SfnClient::Create(SfnClientOptions options) {
  ASSIGN_OR_RETURN(SfnEndpoint ep, ParseEndpoint(options.endpoint));
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->ep = std::move(ep);
  return std::unique_ptr<SfnClient>(new SfnClient(std::move(impl)));
}

const SfnEndpoint& SfnClient::endpoint() const { return impl_->ep; }

Result<json::Value> SfnClient::Call(std::string_view operation, const json::Value& request,
                                    SfnError* error) {
  return CallJson("AWSStepFunctions." + std::string(operation), "states", request, error);
}

Result<json::Value> SfnClient::CallJson(std::string_view target, std::string_view service,
                                        const json::Value& request, SfnError* error) {
  std::string_view operation = target.substr(target.find('.') + 1);
  Impl& s = *impl_;
  SfnError local;
  SfnError& err = error != nullptr ? *error : local;
  err = SfnError{};

  api::HttpRequest signed_request;
  signed_request.method = "POST";
  signed_request.target = "/";
  signed_request.headers = {
      {"Host", s.ep.host_header},
      {"Content-Type",
       service == "states" ? "application/x-amz-json-1.0" : "application/x-amz-json-1.1"},
      {"X-Amz-Target", std::string(target)},
  };
  signed_request.body = json::Write(request);
  api::SignRequest(&signed_request, s.options.credential, s.options.region, service,
                   s.clock.NowMillis(), {"content-type", "x-amz-target"});
  http::request<http::string_body> req{http::verb::post, "/", 11};
  for (const auto& [name, value] : signed_request.headers) req.set(name, value);
  req.set(http::field::user_agent, "stepfn-cli");
  req.keep_alive(true);
  req.body() = std::move(signed_request.body);
  req.prepare_payload();

  return s.Answer(operation, req, /*rest=*/false, err);
}

Result<json::Value> SfnClient::CallRest(std::string_view method, std::string_view path,
                                        std::string_view service, const json::Value& body,
                                        SfnError* error) {
  Impl& s = *impl_;
  SfnError local;
  SfnError& err = error != nullptr ? *error : local;
  err = SfnError{};
  std::string operation = std::string(method) + " " + std::string(path);
  api::HttpRequest signed_request;
  signed_request.method = std::string(method);
  signed_request.target = std::string(path);
  signed_request.headers = {{"Host", s.ep.host_header}};
  if (!body.is_null()) {
    signed_request.headers.push_back({"Content-Type", "application/json"});
    signed_request.body = json::Write(body);
  }
  std::vector<std::string> signed_headers;
  if (!body.is_null()) signed_headers.push_back("content-type");
  api::SignRequest(&signed_request, s.options.credential, s.options.region, service,
                   s.clock.NowMillis(), signed_headers);
  http::request<http::string_body> req{http::string_to_verb(method), std::string(path), 11};
  for (const auto& [name, value] : signed_request.headers) req.set(name, value);
  req.set(http::field::user_agent, "stepfn-cli");
  req.keep_alive(true);
  req.body() = std::move(signed_request.body);
  req.prepare_payload();
  return s.Answer(operation, req, /*rest=*/true, err);
}

Result<json::Value> SfnClient::Impl::Answer(std::string_view operation,
                                            http::request<http::string_body>& req, bool rest,
                                            SfnError& err) {
  Impl& s = *this;
  std::string where = std::string(operation) + " at " + s.ep.url;
  http::response<http::string_body> res;
  for (int attempt = 0;; ++attempt) {
    if (!s.connected) {
      Status st = s.Connect(operation);
      if (!st.ok()) {
        err.message = st.message();
        return st;
      }
    }
    bool retryable = false;
    Status st = s.Exchange(operation, req, &res, &retryable);
    if (st.ok()) break;
    if (retryable && attempt == 0) continue;
    err.message = st.message();
    return st;
  }

  int status = static_cast<int>(res.result_int());
  const std::string& body = res.body();
  Result<json::Value> parsed = json::Parse(body);
  if (rest && status >= 200 && status < 300) {
    if (body.empty()) return json::Value();
    if (!parsed.ok()) {
      err.http_status = status;
      err.message = "the answer is not JSON: " + Brief(body);
      return Internal(where + ": " + err.message);
    }
    return std::move(*parsed);
  }
  if (status == 200) {
    if (!parsed.ok() || !parsed->is_object()) {
      err.http_status = status;
      err.message = "the answer is not a JSON object: " + Brief(body);
      return Internal(where + ": " + err.message);
    }
    return std::move(*parsed);
  }
  err.http_status = status;
  std::string code;
  if (auto h = res.find("x-amzn-ErrorType"); h != res.end()) code = BareCode(h->value());
  if (parsed.ok() && parsed->is_object()) {
    for (const char* key : {"__type", "Type"}) {
      if (const json::Value* t = parsed->find(key); code.empty() && t && t->is_string()) {
        code = BareCode(t->as_string());
      }
    }
    for (const char* key : {"message", "Message"}) {
      if (const json::Value* m = parsed->find(key); m != nullptr && m->is_string()) {
        err.message = m->as_string();
        break;
      }
    }
  }
  err.code = code;
  if (code.empty()) {
    err.message = "HTTP " + std::to_string(status) + " without an AWS error code: " + Brief(body);
    return Status(status >= 500 ? StatusCode::Unavailable : StatusCode::Internal,
                  where + ": " + err.message);
  }
  std::string text = where + ": " + code;
  if (!err.message.empty()) text += ": " + err.message;
  return Status(CodeOfAnswer(status, code), std::move(text));
}

Result<json::Value> WaitForExecution(SfnClient& client, const std::string& execution_arn,
                                     std::chrono::milliseconds max_wait) {
  using Clock = std::chrono::steady_clock;
  Clock::time_point start = Clock::now();
  std::chrono::milliseconds pause{5};
  json::Value request = json::Value::Object({{"executionArn", json::Value::String(execution_arn)}});
  for (;;) {
    ASSIGN_OR_RETURN(json::Value described, client.Call("DescribeExecution", request));
    const json::Value* status = described.find("status");
    if (status == nullptr || !status->is_string() || status->as_string() != "RUNNING") {
      return described;
    }
    auto waited = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
    if (waited >= max_wait) {
      return Status(StatusCode::DeadlineExceeded,
                    execution_arn + " is still RUNNING after " + Seconds(waited));
    }
    std::this_thread::sleep_for(std::min(pause, max_wait - waited));
    pause = std::min(pause * 2, std::chrono::milliseconds(1000));
  }
}

Result<std::vector<json::Value>> GetWholeHistory(SfnClient& client,
                                                 const std::string& execution_arn, bool reverse) {
  std::vector<json::Value> events;
  std::string token;
  for (;;) {
    json::ObjectBuilder request;
    request.Append("executionArn", json::Value::String(execution_arn));
    request.Append("maxResults", json::Value::Int(1000));
    if (reverse) request.Append("reverseOrder", json::Value::Bool(true));
    if (!token.empty()) request.Append("nextToken", json::Value::String(token));
    ASSIGN_OR_RETURN(json::Value page,
                     client.Call("GetExecutionHistory", std::move(request).Build()));
    if (const json::Value* list = page.find("events"); list != nullptr && list->is_array()) {
      events.insert(events.end(), list->items().begin(), list->items().end());
    }
    const json::Value* next = page.find("nextToken");
    if (next == nullptr || !next->is_string() || next->as_string().empty()) return events;
    token = next->as_string();
  }
}

}  // namespace stepfn::cli
