// Environments: the execution environments of Lambda functions. Each function version runs in
// worker processes (any language) that speak the AWS Lambda Runtime API to stepfn: a worker
// long-polls `GET /2018-06-01/runtime/invocation/next`, runs the event and posts its response or
// error. Workers are kept warm and reused, limited per function (reserved concurrency) and in
// total (max_workers), killed on timeout or memory overrun, and replaced when they die.
//
// Thread safety: every method may be called from any thread, at once.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/idle_spin.h"
#include "common/status.h"
#include "services/lambda/function_config.h"
#include "services/lambda/invoke.h"

namespace stepfn::lambda {

struct LogLine {
  int64_t timestamp_ms = 0;
  std::string message;
};

// Where invocation logs go: group "/aws/lambda/<name>", stream "2026/11/26/[$LATEST]<32 hex>"
// (one stream per execution environment, as AWS). Called from any thread.
using LogWriter = std::function<void(const std::string& group, const std::string& stream,
                                     std::vector<LogLine> lines)>;

struct EnvironmentsOptions {
  std::string work_dir;            // scratch space (runtime clients, per-worker TMPDIR); created
  std::string host = "127.0.0.1";  // where the Runtime API listens for workers
  int max_workers = 0;             // worker processes of all functions together; 0: a default (32)
  LogWriter log;                   // may be empty
  std::string endpoint_url;        // stepfn's own endpoint, given to functions as AWS_ENDPOINT_URL
  // A worker idle this long is stopped (AWS keeps environments warm for minutes).
  int idle_timeout_seconds = 600;
  // The Runtime API's event loop: polling before it sleeps (api::HttpServerOptions::idle_spin).
  std::chrono::microseconds idle_spin = kDefaultIdleSpin;
};

class Environments {
 public:
  // Creates work_dir, writes the runtime clients into it and starts the Runtime API.
  // InvalidArgument when work_dir is empty; Unavailable when it cannot be written or the API
  // cannot listen.
  static Result<std::unique_ptr<Environments>> Start(EnvironmentsOptions options);
  ~Environments();  // Stop()

  Environments(const Environments&) = delete;
  Environments& operator=(const Environments&) = delete;

  // Runs one synchronous invocation of this function version (request.type is RequestResponse;
  // the caller handles Event and DryRun). `done` is called exactly once, from any thread
  // (possibly before Invoke returns). A function error (crash, timeout, error posted by the
  // function) is an InvokeResponse with function_error "Unhandled"; throttling (reserved
  // concurrency) and a stopped service are InvokeErrors.
  void Invoke(std::shared_ptr<const FunctionConfig> config, InvokeRequest request, InvokeDone done);

  // The function's code or configuration changed, or it was deleted: stop its idle workers now
  // and its busy ones when their invocation ends; new invocations get fresh workers. An empty
  // version retires every version of the function.
  void Retire(const std::string& function_arn, const std::string& version);

  // Kills every worker, fails invocations in flight and queued (InvokeError 503
  // ServiceException); later Invokes fail the same way. Idempotent.
  void Stop();

  // For tests and metrics: workers alive (idle + busy), invocations waiting.
  struct Stats {
    int workers = 0;
    int busy = 0;
    int queued = 0;
  };
  Stats stats() const;

  class Impl;

 private:
  explicit Environments(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace stepfn::lambda
