#include "server/tracing.h"

#include <netdb.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>

#include "common/clock.h"
#include "common/uuid.h"
#include "eval/history.h"
#include "json/value.h"
#include "json/write.h"
#include "server/log.h"

namespace stepfn::server {

// --- Ids and headers -------------------------------------------------------------------------

namespace {

bool IsHex(std::string_view s, size_t n) {
  if (s.size() != n) return false;
  for (char c : s) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
      return false;
    }
  }
  return true;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string NewTraceId() {
  uint64_t seconds = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::seconds>(
                                               std::chrono::system_clock::now().time_since_epoch())
                                               .count());
  return Hex(seconds & 0xFFFFFFFFu, 8) + Hex(RandomU64() & 0xFFFFFFFFu, 8) + Hex(RandomU64(), 16);
}

std::string NewSpanId() {
  uint64_t id = 0;
  while (id == 0) id = RandomU64();  // all zeros is invalid in OTLP
  return Hex(id, 16);
}

bool ParseXRayTraceHeader(std::string_view header, TraceContext* out) {
  TraceContext ctx;
  bool root = false;
  while (!header.empty()) {
    size_t semi = header.find(';');
    std::string_view field = Trim(header.substr(0, semi));
    header = semi == std::string_view::npos ? std::string_view() : header.substr(semi + 1);
    size_t eq = field.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = Trim(field.substr(0, eq));
    std::string_view value = Trim(field.substr(eq + 1));
    if (key == "Root") {
      // 1-<8 hex epoch>-<24 hex>
      if (value.size() != 35 || value.substr(0, 2) != "1-" || value[10] != '-' ||
          !IsHex(value.substr(2, 8), 8) || !IsHex(value.substr(11), 24)) {
        return false;
      }
      ctx.trace_id = Lower(value.substr(2, 8)) + Lower(value.substr(11));
      root = true;
    } else if (key == "Parent") {
      if (IsHex(value, 16)) ctx.parent_span_id = Lower(value);
    } else if (key == "Sampled") {
      ctx.sampled = value != "0";
    }
  }
  if (!root || ctx.trace_id == std::string(32, '0')) return false;
  *out = std::move(ctx);
  return true;
}

std::string XRayTraceHeader(std::string_view trace_id, std::string_view parent_span_id,
                            bool sampled) {
  std::string out =
      "Root=1-" + std::string(trace_id.substr(0, 8)) + "-" + std::string(trace_id.substr(8));
  if (!parent_span_id.empty()) out += ";Parent=" + std::string(parent_span_id);
  out += sampled ? ";Sampled=1" : ";Sampled=0";
  return out;
}

// --- OTLP JSON -------------------------------------------------------------------------------

namespace {

json::Value StringAttribute(const std::string& key, const std::string& value) {
  return json::Value::Object(
      {{"key", json::Value::String(key)},
       {"value", json::Value::Object({{"stringValue", json::Value::String(value)}})}});
}

json::Value SpanJson(const SpanData& s) {
  json::ObjectBuilder b;
  b.Append("traceId", json::Value::String(s.trace_id));
  b.Append("spanId", json::Value::String(s.span_id));
  if (!s.parent_span_id.empty()) b.Append("parentSpanId", json::Value::String(s.parent_span_id));
  b.Append("name", json::Value::String(s.name));
  b.Append("kind", json::Value::Int(s.kind));
  // 64-bit integers are decimal strings in OTLP's JSON encoding.
  b.Append("startTimeUnixNano", json::Value::String(std::to_string(s.start_unix_nanos)));
  b.Append("endTimeUnixNano", json::Value::String(std::to_string(s.end_unix_nanos)));
  std::vector<json::Value> attributes;
  attributes.reserve(s.attributes.size());
  for (const auto& [key, value] : s.attributes) attributes.push_back(StringAttribute(key, value));
  b.Append("attributes", json::Value::Array(std::move(attributes)));
  json::ObjectBuilder status;
  if (s.status_code != SpanData::kUnset) status.Append("code", json::Value::Int(s.status_code));
  if (!s.status_message.empty()) status.Append("message", json::Value::String(s.status_message));
  b.Append("status", std::move(status).Build());
  return std::move(b).Build();
}

}  // namespace

std::string OtlpTraceRequestJson(const std::vector<SpanData>& spans,
                                 std::string_view service_name) {
  std::vector<json::Value> items;
  items.reserve(spans.size());
  for (const SpanData& s : spans) items.push_back(SpanJson(s));
  json::Value resource = json::Value::Object(
      {{"attributes",
        json::Value::Array({StringAttribute("service.name", std::string(service_name))})}});
  json::Value scope = json::Value::Object(
      {{"scope", json::Value::Object({{"name", json::Value::String("stepfn")}})},
       {"spans", json::Value::Array(std::move(items))}});
  json::Value request = json::Value::Object(
      {{"resourceSpans",
        json::Value::Array({json::Value::Object(
            {{"resource", resource}, {"scopeSpans", json::Value::Array({scope})}})})}});
  return json::Write(request);
}

// --- HTTP POST -------------------------------------------------------------------------------

Status ParseHttpUrl(std::string_view url, std::string* host, std::string* port, std::string* path) {
  constexpr std::string_view kScheme = "http://";
  if (!url.starts_with(kScheme)) {
    return InvalidArgument(
        "the OTLP endpoint must be an http:// URL (a collector; TLS is not "
        "supported), not '" +
        std::string(url) + "'");
  }
  std::string_view rest = url.substr(kScheme.size());
  size_t slash = rest.find('/');
  std::string_view authority = rest.substr(0, slash);
  *path = slash == std::string_view::npos ? "" : std::string(rest.substr(slash));
  while (!path->empty() && path->back() == '/') path->pop_back();
  std::string_view port_text;
  if (authority.starts_with("[")) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos)
      return InvalidArgument("bad host in '" + std::string(url) + "'");
    *host = std::string(authority.substr(1, close - 1));
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after[0] != ':') return InvalidArgument("bad host in '" + std::string(url) + "'");
      port_text = after.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    *host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port_text = authority.substr(colon + 1);
  }
  if (host->empty()) return InvalidArgument("no host in '" + std::string(url) + "'");
  *port = port_text.empty() ? "80" : std::string(port_text);
  for (char c : *port) {
    if (c < '0' || c > '9') return InvalidArgument("bad port in '" + std::string(url) + "'");
  }
  return Status::Ok();
}

Result<int> HttpPost(const std::string& host, const std::string& port, const std::string& path,
                     std::string_view content_type, std::string_view body, int64_t timeout_millis) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &found);
  if (rc != 0) return Unavailable("cannot resolve " + host + ": " + ::gai_strerror(rc));
  int fd = -1;
  timeval tv{static_cast<time_t>(timeout_millis / 1000),
             static_cast<suseconds_t>((timeout_millis % 1000) * 1000)};
  for (addrinfo* a = found; a != nullptr; a = a->ai_next) {
    fd = ::socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
    if (fd < 0) continue;
    // On Linux SO_SNDTIMEO also bounds connect().
    ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    if (::connect(fd, a->ai_addr, a->ai_addrlen) == 0) break;
    ::close(fd);
    fd = -1;
  }
  ::freeaddrinfo(found);
  if (fd < 0) return Unavailable("cannot connect to " + host + ":" + port);
  std::string request = "POST " + (path.empty() ? std::string("/") : path) + " HTTP/1.1\r\n";
  request += "Host: " + (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" +
             port + "\r\n";
  request += "Content-Type: " + std::string(content_type) + "\r\n";
  request += "Content-Length: " + std::to_string(body.size()) + "\r\n";
  request += "Connection: close\r\n\r\n";
  request.append(body);
  std::string_view left = request;
  while (!left.empty()) {
    ssize_t n = ::send(fd, left.data(), left.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      ::close(fd);
      return Unavailable("sending to " + host + ":" + port + " failed");
    }
    left.remove_prefix(static_cast<size_t>(n));
  }
  // Read the answer to its end (the server closes), keeping the first bytes for the status.
  std::string head;
  char chunk[4096];
  while (true) {
    ssize_t n = ::recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) break;
    if (head.size() < 1024) head.append(chunk, static_cast<size_t>(n));
  }
  ::close(fd);
  // "HTTP/1.1 200 OK"
  if (head.size() < 12 || !head.starts_with("HTTP/1.")) {
    return Unavailable("no HTTP answer from " + host + ":" + port);
  }
  int status = std::atoi(head.c_str() + 9);
  if (status < 100 || status > 599) return Unavailable("bad HTTP status line from " + host);
  return status;
}

// --- OtlpExporter ----------------------------------------------------------------------------

Result<std::unique_ptr<OtlpExporter>> OtlpExporter::Start(OtlpExporterOptions options) {
  std::string host, port, path;
  RETURN_IF_ERROR(ParseHttpUrl(options.endpoint, &host, &port, &path));
  path += "/v1/traces";
  if (options.max_batch == 0) options.max_batch = 1;
  std::unique_ptr<OtlpExporter> e(
      new OtlpExporter(std::move(options), std::move(host), std::move(port), std::move(path)));
  e->thread_ = std::thread([raw = e.get()] { raw->Loop(); });
  return e;
}

OtlpExporter::OtlpExporter(OtlpExporterOptions options, std::string host, std::string port,
                           std::string path)
    : options_(std::move(options)),
      host_(std::move(host)),
      port_(std::move(port)),
      path_(std::move(path)),
      url_("http://" + (host_.find(':') != std::string::npos ? "[" + host_ + "]" : host_) + ":" +
           port_ + path_) {}

OtlpExporter::~OtlpExporter() { Stop(); }

void OtlpExporter::Export(std::vector<SpanData> spans) {
  if (spans.empty()) return;
  bool wake = false;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (SpanData& s : spans) {
      if (stopping_ || queue_.size() >= options_.max_queue) {
        dropped_full_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      queue_.push_back(std::move(s));
    }
    wake = queue_.size() >= options_.max_batch;
  }
  if (wake) cv_.notify_one();
}

void OtlpExporter::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ && !thread_.joinable()) return;
    stopping_ = true;
  }
  cv_.notify_one();
  if (thread_.joinable()) thread_.join();
}

Status OtlpExporter::Send(const std::vector<SpanData>& batch) {
  std::string body = OtlpTraceRequestJson(batch, options_.service_name);
  ASSIGN_OR_RETURN(
      int status, HttpPost(host_, port_, path_, "application/json", body, options_.timeout_millis));
  if (status / 100 != 2) {
    return Unavailable("the collector at " + url_ + " answered HTTP " + std::to_string(status));
  }
  return Status::Ok();
}

void OtlpExporter::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    cv_.wait_for(lock, std::chrono::milliseconds(options_.flush_millis),
                 [this] { return stopping_ || queue_.size() >= options_.max_batch; });
    if (queue_.empty()) {
      if (stopping_) return;
      continue;
    }
    size_t n = std::min(queue_.size(), options_.max_batch);
    std::vector<SpanData> batch;
    batch.reserve(n);
    for (size_t i = 0; i < n; ++i) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    Status sent = Send(batch);
    if (sent.ok()) {
      exported_.fetch_add(batch.size(), std::memory_order_relaxed);
    } else {
      failed_requests_.fetch_add(1, std::memory_order_relaxed);
      dropped_failed_.fetch_add(batch.size(), std::memory_order_relaxed);
      int64_t now = MonotonicNanos();
      if (last_failure_log_ == 0 || now - last_failure_log_ > 60'000'000'000) {
        last_failure_log_ = now;
        Log(LogLevel::Warn, "trace export failed; spans dropped",
            {{"endpoint", url_},
             {"error", sent.ToString()},
             {"spans", std::to_string(batch.size())}});
      }
    }
    lock.lock();
    if (stopping_ && !sent.ok()) {
      // Stopping and the collector is not answering: do not wait on it batch after batch.
      dropped_failed_.fetch_add(queue_.size(), std::memory_order_relaxed);
      queue_.clear();
    }
  }
}

// --- Tracer ----------------------------------------------------------------------------------

namespace {

enum class Ev { Other, StateEntered, StateExited, TaskStart, TaskOk, TaskError, FanOut, Aborted };

Ev Classify(eval::EventType t, std::string_view* state_type) {
  using E = eval::EventType;
  switch (t) {
    case E::PassStateEntered:
      *state_type = "Pass";
      return Ev::StateEntered;
    case E::TaskStateEntered:
      *state_type = "Task";
      return Ev::StateEntered;
    case E::ChoiceStateEntered:
      *state_type = "Choice";
      return Ev::StateEntered;
    case E::WaitStateEntered:
      *state_type = "Wait";
      return Ev::StateEntered;
    case E::SucceedStateEntered:
      *state_type = "Succeed";
      return Ev::StateEntered;
    case E::FailStateEntered:
      *state_type = "Fail";
      return Ev::StateEntered;
    case E::ParallelStateEntered:
      *state_type = "Parallel";
      return Ev::StateEntered;
    case E::MapStateEntered:
      *state_type = "Map";
      return Ev::StateEntered;
    case E::PassStateExited:
    case E::TaskStateExited:
    case E::ChoiceStateExited:
    case E::WaitStateExited:
    case E::SucceedStateExited:
    case E::ParallelStateExited:
    case E::MapStateExited:
      return Ev::StateExited;
    case E::TaskScheduled:
    case E::LambdaFunctionScheduled:
    case E::ActivityScheduled:
      return Ev::TaskStart;
    case E::TaskSucceeded:
    case E::LambdaFunctionSucceeded:
    case E::ActivitySucceeded:
      return Ev::TaskOk;
    case E::TaskFailed:
    case E::TaskTimedOut:
    case E::LambdaFunctionFailed:
    case E::LambdaFunctionTimedOut:
    case E::ActivityFailed:
    case E::ActivityTimedOut:
      return Ev::TaskError;
    case E::ParallelStateStarted:
    case E::MapIterationStarted:
      return Ev::FanOut;
    case E::TaskStateAborted:
    case E::WaitStateAborted:
    case E::ParallelStateAborted:
    case E::MapStateAborted:
      return Ev::Aborted;
    default:
      return Ev::Other;
  }
}

bool IsEnd(eval::EventType t) {
  return t == eval::EventType::ExecutionSucceeded || t == eval::EventType::ExecutionFailed ||
         t == eval::EventType::ExecutionTimedOut || t == eval::EventType::ExecutionAborted;
}

int64_t Nanos(EpochMillis ms) { return ms * 1'000'000; }

std::string FailureText(const eval::HistoryEvent& e) {
  std::string error(eval::HistoryEvent::Text(e.error()));
  std::string_view cause = eval::HistoryEvent::Text(e.cause());
  if (!cause.empty()) error += error.empty() ? std::string(cause) : ": " + std::string(cause);
  return error;
}

}  // namespace

Tracer::Tracer(MachineSettingsCache* settings, SpanSink* sink, TracerOptions options)
    : settings_(settings), sink_(sink), options_(options) {}

size_t Tracer::traced_executions() const {
  std::lock_guard<std::mutex> lock(mu_);
  return traces_.size();
}

std::shared_ptr<Tracer::Trace> Tracer::Begin(const CommitReport& report) {
  std::string arn(report.execution_arn);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = traces_.find(arn);
    if (it != traces_.end()) return it->second;
  }
  if (!settings_->ForExecution(report.execution_arn, report.state_machine_arn)->tracing) {
    return nullptr;
  }
  auto t = std::make_shared<Trace>();
  TraceContext context;
  if (!report.trace_header.empty() && ParseXRayTraceHeader(report.trace_header, &context)) {
    t->trace_id = context.trace_id;
    t->sampled = context.sampled;
  } else {
    t->trace_id = NewTraceId();
  }
  if (t->sampled) {
    Open root;
    root.data.trace_id = t->trace_id;
    root.data.span_id = NewSpanId();
    root.data.parent_span_id = context.parent_span_id;
    root.data.name = std::string(report.state_machine_name);
    root.data.kind = SpanData::kServer;
    root.data.start_unix_nanos = Nanos(report.events.front().timestamp);
    root.data.attributes = {{"aws.stepfunctions.execution_arn", arn},
                            {"aws.stepfunctions.state_machine", root.data.name},
                            {"aws.stepfunctions.type", report.express ? "EXPRESS" : "STANDARD"}};
    if (!report.trace_header.empty()) {
      root.data.attributes.emplace_back("aws.xray.trace_header", std::string(report.trace_header));
    }
    t->open.emplace(0, std::move(root));
  }
  std::lock_guard<std::mutex> lock(mu_);
  if (traces_.size() >= options_.max_traced_executions) {
    not_started_.fetch_add(1, std::memory_order_relaxed);
    return nullptr;
  }
  return traces_.emplace(arn, std::move(t)).first->second;
}

int Tracer::StartSpan(Trace& t, int parent, std::string name, int kind, int64_t start,
                      std::vector<std::pair<std::string, std::string>> attributes) {
  if (t.open.size() >= options_.max_open_spans_per_execution) {
    not_started_.fetch_add(1, std::memory_order_relaxed);
    return -1;
  }
  auto p = t.open.find(parent);
  if (p == t.open.end()) p = t.open.find(0);
  Open span;
  span.data.trace_id = t.trace_id;
  span.data.span_id = NewSpanId();
  if (p != t.open.end()) span.data.parent_span_id = p->second.data.span_id;
  span.data.name = std::move(name);
  span.data.kind = kind;
  span.data.start_unix_nanos = start;
  span.data.attributes = std::move(attributes);
  span.parent = p != t.open.end() ? p->first : -1;
  int id = t.next_id++;
  t.open.emplace(id, std::move(span));
  return id;
}

void Tracer::EndSpan(Trace& t, int id, int64_t end, int status, std::string message,
                     std::vector<SpanData>* finished) {
  auto it = t.open.find(id);
  if (it == t.open.end()) return;
  SpanData& d = it->second.data;
  d.end_unix_nanos = std::max(end, d.start_unix_nanos);
  if (d.status_code != SpanData::kError) {
    d.status_code = status;
    d.status_message = std::move(message);
  }
  finished->push_back(std::move(d));
  for (auto task = t.task_by_state.begin(); task != t.task_by_state.end(); ++task) {
    if (task->second == id) {
      t.task_by_state.erase(task);
      break;
    }
  }
  t.open.erase(it);
}

int Tracer::FindOpenState(const Trace& t, std::string_view name) const {
  int found = -1;
  for (const auto& [id, span] : t.open) {
    if (id != 0 && span.state_name == name && id > found) found = id;  // the latest entered
  }
  return found;
}

void Tracer::Apply(Trace& t, const CommitReport& report, std::vector<SpanData>* finished) {
  for (const eval::HistoryEvent& e : report.events) {
    auto prev = t.chain.find(e.previous_event_id);
    Ctx ctx = prev != t.chain.end() ? prev->second : Ctx{};
    int64_t at = Nanos(e.timestamp);
    std::string_view state_type;
    std::string_view name = eval::HistoryEvent::Text(e.name);
    if (IsEnd(e.type)) {
      bool ok = e.type == eval::EventType::ExecutionSucceeded;
      std::string why = ok ? "" : FailureText(e);
      if (why.empty() && !ok) why = std::string(eval::EventTypeName(e.type));
      // Children before parents: ids grow with nesting, so end the highest first.
      std::vector<int> ids;
      for (const auto& [id, span] : t.open) ids.push_back(id);
      std::sort(ids.rbegin(), ids.rend());
      for (int id : ids) {
        EndSpan(t, id, at, ok ? SpanData::kOk : SpanData::kError,
                (id == 0 || !ok) ? why : std::string(), finished);
      }
      t.chain.clear();
      t.task_by_state.clear();
      return;
    }
    switch (Classify(e.type, &state_type)) {
      case Ev::StateEntered: {
        int parent = ctx.child_container >= 0 ? ctx.child_container : ctx.container;
        int id = StartSpan(t, parent, std::string(name), SpanData::kInternal, at,
                           {{"aws.stepfunctions.state.name", std::string(name)},
                            {"aws.stepfunctions.state.type", std::string(state_type)}});
        if (id >= 0) t.open.at(id).state_name = std::string(name);
        ctx = Ctx{parent, id, -1, -1};
        break;
      }
      case Ev::StateExited: {
        int target = ctx.state >= 0 && t.open.count(ctx.state) != 0 &&
                             t.open.at(ctx.state).state_name == name
                         ? ctx.state
                         : FindOpenState(t, name);
        int parent = ctx.container;
        if (target >= 0) {
          parent = t.open.at(target).parent >= 0 ? t.open.at(target).parent : 0;
          EndSpan(t, target, at, SpanData::kOk, "", finished);
        }
        ctx = Ctx{parent, -1, -1, -1};
        break;
      }
      case Ev::FanOut: {
        // MapIterationStarted names the Map state; ParallelStateStarted follows its Entered.
        int container = ctx.state;
        if (e.type == eval::EventType::MapIterationStarted &&
            (container < 0 || t.open.count(container) == 0 ||
             t.open.at(container).state_name != name)) {
          container = FindOpenState(t, name);
        }
        ctx.child_container = container;
        break;
      }
      case Ev::TaskStart: {
        std::string type(eval::HistoryEvent::Text(e.resource_type()));
        std::string resource(eval::HistoryEvent::Text(e.resource_name()));
        std::string span_name = type.empty() ? "Task" : type + ":" + resource;
        if (e.type == eval::EventType::LambdaFunctionScheduled) span_name = "lambda:" + resource;
        if (e.type == eval::EventType::ActivityScheduled) span_name = "activity:" + resource;
        int parent = ctx.state >= 0 ? ctx.state : ctx.container;
        int id = StartSpan(
            t, parent, std::move(span_name), SpanData::kClient, at,
            {{"aws.stepfunctions.resource_type", type}, {"aws.stepfunctions.resource", resource}});
        ctx.task = id;
        if (id >= 0 && ctx.state >= 0 && t.open.count(ctx.state) != 0) {
          t.task_by_state[t.open.at(ctx.state).state_name] = id;
        }
        break;
      }
      case Ev::TaskOk:
      case Ev::TaskError: {
        int task = ctx.task;
        if (task < 0 && ctx.state >= 0 && t.open.count(ctx.state) != 0) {
          auto it = t.task_by_state.find(t.open.at(ctx.state).state_name);
          if (it != t.task_by_state.end()) task = it->second;
        }
        bool ok = Classify(e.type, &state_type) == Ev::TaskOk;
        if (task >= 0) {
          EndSpan(t, task, at, ok ? SpanData::kOk : SpanData::kError,
                  ok ? "" : std::string(eval::EventTypeName(e.type)) + " " + FailureText(e),
                  finished);
        }
        ctx.task = -1;
        break;
      }
      case Ev::Aborted: {
        if (ctx.state >= 0 && t.open.count(ctx.state) != 0) {
          SpanData& d = t.open.at(ctx.state).data;
          d.status_code = SpanData::kError;
          d.status_message = std::string(eval::EventTypeName(e.type));
        }
        break;
      }
      case Ev::Other:
        break;
    }
    t.chain[e.id] = ctx;
    while (t.chain.size() > options_.max_chain) t.chain.erase(t.chain.begin());
  }
}

void Tracer::OnCommit(const CommitReport& report) {
  if (!report.status.ok() || report.events.empty()) return;
  std::shared_ptr<Trace> t = Begin(report);
  if (t == nullptr) return;
  std::vector<SpanData> finished;
  {
    std::lock_guard<std::mutex> lock(t->mu);
    if (t->sampled) Apply(*t, report, &finished);
  }
  if (report.ended) {
    std::lock_guard<std::mutex> lock(mu_);
    traces_.erase(std::string(report.execution_arn));
  }
  if (!finished.empty()) sink_->Export(std::move(finished));
}

std::optional<std::string> Tracer::TaskTraceHeader(std::string_view execution_arn,
                                                   std::string_view state_name) const {
  std::shared_ptr<Trace> t;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = traces_.find(std::string(execution_arn));
    if (it == traces_.end()) return std::nullopt;
    t = it->second;
  }
  std::lock_guard<std::mutex> lock(t->mu);
  if (!t->sampled) return std::nullopt;
  auto task = t->task_by_state.find(std::string(state_name));
  if (task == t->task_by_state.end()) return std::nullopt;
  auto span = t->open.find(task->second);
  if (span == t->open.end()) return std::nullopt;
  return XRayTraceHeader(t->trace_id, span->second.data.span_id, true);
}

}  // namespace stepfn::server
