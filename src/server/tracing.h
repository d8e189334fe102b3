// Traces of executions, as X-Ray's tracingConfiguration gives on AWS, exported over OTLP/HTTP
// (JSON encoding) to a collector (`stepfn serve --otlp-endpoint URL`, or
// OTEL_EXPORTER_OTLP_ENDPOINT).
//
// - Tracer: an ExecutorObserver. For each execution of a state machine whose
//   tracingConfiguration is {"enabled": true}, one trace: a root span for the execution
//   (kind SERVER; its trace id and parent from the StartExecution traceHeader
//   "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1" when given,
//   else a random X-Ray-compatible id; "Sampled=0" turns tracing off for that execution), a span
//   per state (StateEntered to StateExited; states inside a Map iteration or a Parallel branch
//   are children of the Map or Parallel state's span) and a span per task (kind CLIENT; from
//   TaskScheduled, LambdaFunctionScheduled or ActivityScheduled to the task's success, failure
//   or time-out; each retry is a new span). Events are matched to spans by following
//   previous_event_id, which chains the events of one branch or iteration. Spans still open
//   when the execution ends (a Fail state, an uncaught error) end with it. Finished spans go to
//   a SpanSink as they end.
// - OtlpExporter: a SpanSink that queues spans (bounded: beyond `max_queue` they are dropped
//   and counted) and POSTs them from a background thread to `<endpoint>/v1/traces` as an
//   ExportTraceServiceRequest in OTLP's JSON encoding, in batches of `max_batch` or every
//   `flush_millis`. A failed request drops its batch (counted; logged at most once a minute).
//   Plain http:// only.
//
// The trace header a Task passes to what it calls (X-Amzn-Trace-Id, for Lambda once it exists):
// Tracer::TaskTraceHeader gives it for the task in flight in a state.
//
// Limits, as documented in src/server/README.md: a recovered execution (after a restart) gets a
// new trace from the commit where it resumes (the traceHeader is not persisted); span times
// have the millisecond resolution of history timestamps.
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <utility>
#include <vector>

#include "common/status.h"
#include "server/executor.h"
#include "server/machine_settings.h"

namespace stepfn::server {

// One finished span, as OTLP has it.
struct SpanData {
  enum Kind { kInternal = 1, kServer = 2, kClient = 3 };
  enum StatusCode { kUnset = 0, kOk = 1, kError = 2 };
  std::string trace_id;        // 32 lower-case hex digits
  std::string span_id;         // 16
  std::string parent_span_id;  // 16, or "" for a root
  std::string name;
  int kind = kInternal;
  int64_t start_unix_nanos = 0;
  int64_t end_unix_nanos = 0;
  std::vector<std::pair<std::string, std::string>> attributes;  // string values
  int status_code = kUnset;
  std::string status_message;
};

// An ExportTraceServiceRequest in OTLP's JSON encoding (ids as hex, times as decimal strings).
std::string OtlpTraceRequestJson(const std::vector<SpanData>& spans, std::string_view service_name);

struct TraceContext {
  std::string trace_id;        // 32 hex digits
  std::string parent_span_id;  // "" when the header has no Parent
  bool sampled = true;
};
// Reads an X-Ray trace header ("Root=1-8hex-24hex[;Parent=16hex][;Sampled=0|1]", fields in any
// order, others ignored). False when it has no valid Root.
bool ParseXRayTraceHeader(std::string_view header, TraceContext* out);
// "Root=1-xxxxxxxx-yyyyyyyyyyyyyyyyyyyyyyyy;Parent=zzzzzzzzzzzzzzzz;Sampled=1".
std::string XRayTraceHeader(std::string_view trace_id, std::string_view parent_span_id,
                            bool sampled = true);
// A new trace id whose first 8 hex digits are the epoch seconds (as X-Ray's), and a span id.
std::string NewTraceId();
std::string NewSpanId();

class SpanSink {
 public:
  virtual ~SpanSink() = default;
  // Takes finished spans; must not block for long (called on executor threads).
  virtual void Export(std::vector<SpanData> spans) = 0;
};

struct OtlpExporterOptions {
  // The collector's base URL ("http://127.0.0.1:4318"); spans go to <endpoint>/v1/traces.
  std::string endpoint;
  std::string service_name = "stepfn";
  size_t max_queue = 10'000;
  size_t max_batch = 512;
  int64_t flush_millis = 1000;
  int64_t timeout_millis = 5000;  // connecting, sending and reading the answer, each
};

class OtlpExporter final : public SpanSink {
 public:
  // InvalidArgument for an endpoint that is not an http:// URL.
  static Result<std::unique_ptr<OtlpExporter>> Start(OtlpExporterOptions options);
  ~OtlpExporter() override;  // Stop()

  void Export(std::vector<SpanData> spans) override;
  // Sends what is queued (one attempt per batch), then stops the thread. Idempotent.
  void Stop();

  uint64_t exported_spans() const { return exported_.load(std::memory_order_relaxed); }
  uint64_t dropped_queue_full() const { return dropped_full_.load(std::memory_order_relaxed); }
  uint64_t dropped_failed() const { return dropped_failed_.load(std::memory_order_relaxed); }
  uint64_t failed_requests() const { return failed_requests_.load(std::memory_order_relaxed); }
  const std::string& traces_url() const { return url_; }

 private:
  OtlpExporter(OtlpExporterOptions options, std::string host, std::string port, std::string path);
  void Loop();
  Status Send(const std::vector<SpanData>& batch);

  const OtlpExporterOptions options_;
  const std::string host_, port_, path_, url_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<SpanData> queue_;  // guarded by mu_
  bool stopping_ = false;       // guarded by mu_
  std::thread thread_;
  std::atomic<uint64_t> exported_{0}, dropped_full_{0}, dropped_failed_{0}, failed_requests_{0};
  int64_t last_failure_log_ = 0;  // MonotonicNanos; the export thread only
};

// POSTs `body` to http://host:port/path and returns the response status (for the exporter; plain
// sockets, `Connection: close`). Unavailable when the peer cannot be reached or answers garbage.
Result<int> HttpPost(const std::string& host, const std::string& port, const std::string& path,
                     std::string_view content_type, std::string_view body, int64_t timeout_millis);
// Splits "http://host[:port][/path]" ("[v6]" hosts allowed); InvalidArgument for anything else.
Status ParseHttpUrl(std::string_view url, std::string* host, std::string* port, std::string* path);

struct TracerOptions {
  size_t max_open_spans_per_execution = 10'000;  // beyond, new spans are not started
  size_t max_traced_executions = 100'000;        // beyond, new executions are not traced
  size_t max_chain = 4096;  // events remembered per execution to match later ones to spans
};

class Tracer final : public ExecutorObserver {
 public:
  // Both must outlive the tracer.
  Tracer(MachineSettingsCache* settings, SpanSink* sink, TracerOptions options = {});

  void OnCommit(const CommitReport& report) override;

  // The X-Amzn-Trace-Id for a call made now by the task in flight in state `state_name` of
  // `execution_arn` (its trace, that task's span as Parent); nullopt when the execution is not
  // traced or the state has no task in flight.
  std::optional<std::string> TaskTraceHeader(std::string_view execution_arn,
                                             std::string_view state_name) const;

  size_t traced_executions() const;
  // Spans not started because of max_open_spans_per_execution or max_traced_executions.
  uint64_t spans_not_started() const { return not_started_.load(std::memory_order_relaxed); }

 private:
  struct Open {
    SpanData data;
    int parent = -1;
    std::string state_name;  // state spans
  };
  // Where an event stands: the span new states nest in, the open state and task spans of its
  // branch, and (after a Map iteration or Parallel start) the span its child branches nest in.
  struct Ctx {
    int container = 0;  // 0: the execution's root span
    int state = -1;
    int task = -1;
    int child_container = -1;
  };
  struct Trace {
    mutable std::mutex mu;
    bool sampled = true;
    std::string trace_id;
    int next_id = 1;
    std::unordered_map<int, Open> open;  // 0 is the root
    std::map<int64_t, Ctx> chain;        // by event id
    std::unordered_map<std::string, int> task_by_state;
  };

  std::shared_ptr<Trace> Begin(const CommitReport& report);
  void Apply(Trace& t, const CommitReport& report, std::vector<SpanData>* finished);
  int StartSpan(Trace& t, int parent, std::string name, int kind, int64_t start,
                std::vector<std::pair<std::string, std::string>> attributes);
  void EndSpan(Trace& t, int id, int64_t end, int status, std::string message,
               std::vector<SpanData>* finished);
  int FindOpenState(const Trace& t, std::string_view name) const;

  MachineSettingsCache* const settings_;
  SpanSink* const sink_;
  const TracerOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, std::shared_ptr<Trace>> traces_;  // guarded by mu_
  std::atomic<uint64_t> not_started_{0};
};

}  // namespace stepfn::server
