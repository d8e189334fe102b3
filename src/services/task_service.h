// Task services: how the executor hands a Task state to the service that runs it
// (ARCHITECTURE.md §2.8: each service owns its Task integration; the server registers them all
// in one list at start).
//
// A TaskService claims resources (Handles) and runs one task at a time per call (Run): later,
// exactly once, it reports the task's outcome, a result value or an error + cause, as
// Step Functions records it (TaskSucceeded / TaskFailed, or the LambdaFunction* events for a
// function ARN). Cancel tells it that the execution no longer wants a task (TimeoutSeconds ran
// out, the execution was stopped, a Parallel branch failed): best effort; the outcome may
// still be reported and is then ignored.
//
// Thread safety: Handles, Run and Cancel may be called from any thread, any number at once; the
// outcome callback may run on any thread, possibly before Run returns.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "json/value.h"

namespace stepfn::services {

// One Task state to run.
struct TaskRequest {
  std::string resource;       // the state's Resource, e.g. "arn:aws:states:::lambda:invoke"
  json::Value parameters;     // the effective parameters (Parameters applied, or the input)
  std::string execution_arn;  // the execution that runs the task
  std::string state_name;
  int retry_count = 0;         // the state's attempts so far (0 on the first)
  double timeout_seconds = 0;  // the state's TimeoutSeconds; 0: none
  std::string task_token;      // `.waitForTaskToken`: the token the answer must carry
  std::string trace_header;    // X-Amzn-Trace-Id of the execution ("" when none)
  uint64_t task_id = 0;        // unique per execution; the key of Cancel
};

// A task's failure as Step Functions records it: Error + Cause (e.g. "Lambda.Unknown", the
// function's error document).
struct TaskError {
  std::string error;
  std::string cause;
};

using TaskOutcome = std::variant<json::Value, TaskError>;
// Called exactly once per Run.
using TaskDone = std::function<void(TaskOutcome)>;

class TaskService {
 public:
  virtual ~TaskService() = default;
  // A short name for logs ("lambda").
  virtual std::string_view name() const = 0;
  // Whether this service runs Task states with this Resource.
  virtual bool Handles(std::string_view resource) const = 0;
  virtual void Run(TaskRequest request, TaskDone done) = 0;
  // Best effort; the default does nothing (the outcome is then ignored by the execution).
  virtual void Cancel(const std::string& execution_arn, uint64_t task_id);
};

// The registered task services, in the order they were added (the first that Handles a
// resource runs it). Built once at server start, read-only afterwards.
class TaskServices {
 public:
  void Add(std::unique_ptr<TaskService> service);
  // Borrowed: the caller keeps it alive longer than the registry is used.
  void AddBorrowed(TaskService* service);
  // The service for a resource; null when none handles it.
  TaskService* Find(std::string_view resource) const;
  bool empty() const { return services_.empty(); }

 private:
  std::vector<std::unique_ptr<TaskService>> owned_;
  std::vector<TaskService*> services_;
};

// The resource without its integration pattern suffix (".sync", ".sync:2",
// ".waitForTaskToken"); `pattern` (may be null) gets the suffix without its dot.
std::string_view BaseResource(std::string_view resource, std::string_view* pattern = nullptr);

}  // namespace stepfn::services
