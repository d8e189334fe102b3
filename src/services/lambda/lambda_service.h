// LambdaService: the Lambda service's core, below its HTTP API. It owns nothing but the glue:
// the FunctionStore keeps functions, a FunctionRunner (the execution environments) runs them,
// and this class resolves what callers name (a function name, partial or full ARN, a version
// or alias qualifier) to one version's FunctionConfig.
//
// It implements Invoker: Step Functions' Task states and the API's Invoke call Invoke:
// - RequestResponse: resolved, then run by the runner; its outcome is the caller's.
// - Event: resolved, answered at once (202), then run in the background by AsyncInvocations
//   (retries, destinations); a failure is logged.
// - DryRun: resolved only (204): the function exists and the caller may invoke it.
//
// Thread safety: every method may be called from any thread, at once.
#pragma once

#include <atomic>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "api/aws_error.h"
#include "common/work_thread.h"
#include "services/lambda/async_invocations.h"
#include "services/lambda/function_config.h"
#include "services/lambda/function_store.h"
#include "services/lambda/invoke.h"

namespace stepfn::lambda {

class Environments;

// What runs one synchronous invocation of one version: the execution environments in the
// server (EnvironmentsRunner), fakes in tests.
class FunctionRunner {
 public:
  virtual ~FunctionRunner() = default;
  // As Environments::Invoke: `done` exactly once, from any thread.
  virtual void Run(std::shared_ptr<const FunctionConfig> config, InvokeRequest request,
                   InvokeDone done) = 0;
  // As Environments::Retire: the version's code or configuration changed (or it was deleted).
  // An empty version: every version of the function.
  virtual void Retire(const std::string& function_arn, const std::string& version) = 0;
};

// A FunctionRunner over Environments (which must outlive it while attached). The environments
// are attached after construction (the server starts them once its HTTP port is known, after
// recovering executions whose tasks may invoke functions): invocations before Attach wait for
// it; after Detach they fail with 503 ServiceException.
class EnvironmentsRunner final : public FunctionRunner {
 public:
  EnvironmentsRunner() = default;
  ~EnvironmentsRunner() override { Detach(); }
  // Runs the invocations that waited.
  void Attach(Environments* environments);
  // Fails the invocations still waiting; later ones fail at once.
  void Detach();
  void Run(std::shared_ptr<const FunctionConfig> config, InvokeRequest request,
           InvokeDone done) override;
  void Retire(const std::string& function_arn, const std::string& version) override;

 private:
  struct Waiting {
    std::shared_ptr<const FunctionConfig> config;
    InvokeRequest request;
    InvokeDone done;
  };
  std::mutex mu_;
  Environments* environments_ = nullptr;  // guarded by mu_
  bool detached_ = false;                 // guarded by mu_
  std::vector<Waiting> waiting_;          // guarded by mu_
};

// A function name as callers give it, split: "name", "name:qualifier",
// "123456789012:function:name[:qualifier]", "arn:aws:lambda:us-east-1:123456789012:function:name
// [:qualifier]".
struct FunctionRef {
  std::string name;
  std::string qualifier;  // from the name or the Qualifier parameter; "" when neither
  std::string region;     // from a full ARN, else the server's
  std::string account;    // from an ARN, else the server's
};

struct LambdaServiceOptions {
  std::string region = "us-east-1";
  std::string account = "123456789012";
  double time_scale = 1.0;  // multiplies the retry delays of Event invocations
};

class LambdaService final : public Invoker {
 public:
  // `store` and `runner` must outlive the service.
  LambdaService(FunctionStore* store, FunctionRunner* runner, LambdaServiceOptions options);

  void Invoke(InvokeRequest request, InvokeDone done) override;

  FunctionStore* store() const { return store_; }
  FunctionRunner* runner() const { return runner_; }
  const LambdaServiceOptions& options() const { return options_; }

  // arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]
  std::string FunctionArn(std::string_view name, std::string_view qualifier = "") const;

  // Splits and checks a FunctionName as the model's pattern allows it, with the Qualifier
  // parameter (`qualifier`, "" when absent). Errors: ValidationException (pattern, length;
  // `member` names the field in AWS's message), InvalidParameterValueException (a qualifier in
  // the name that differs from the parameter), ResourceNotFoundException (another account or
  // region).
  std::variant<FunctionRef, api::AwsError> ParseFunctionName(std::string_view text,
                                                             std::string_view qualifier,
                                                             bool allow_qualifier = true) const;

  // The configuration an invocation of `ref` runs: $LATEST, a published version, or an alias's
  // version (weighted by its routing configuration). ResourceNotFoundException ("Function not
  // found: <qualified ARN>") when any part is missing.
  std::variant<std::shared_ptr<const FunctionConfig>, api::AwsError> Resolve(
      const FunctionRef& ref) const;

  // The FunctionConfig of one version of a function record.
  std::shared_ptr<const FunctionConfig> ConfigOf(const FunctionRecord& function,
                                                 const VersionRecord& version) const;

  // Event invocations started and not yet ended, retries included (for tests).
  int EventsInFlight() const { return async_.InFlight(); }

  // Runs `job` on the service's package thread (ApiOperation::blocking), in posting order.
  void PostBlocking(std::function<void()> job) { packages_.Post(std::move(job)); }

 private:
  // Starts an Event invocation of `config` (resolved from `ref`): AsyncInvocations retries it
  // and delivers its record to the configured destination.
  void SubmitEvent(const FunctionRef& ref, std::shared_ptr<const FunctionConfig> config,
                   InvokeRequest request, std::string request_id);
  // Sends an invocation record to a destination: a Lambda function is invoked (Event); other
  // destinations are not served by stepfn yet (logged).
  void Deliver(const std::string& destination, std::string record);

  FunctionStore* const store_;
  FunctionRunner* const runner_;
  const LambdaServiceOptions options_;
  // Runs the package operations posted to it; destroyed (after finishing them) before the
  // members above, which they use.
  WorkThread packages_;
  // Last: destroyed first, so its timer thread stops before the members it calls into.
  AsyncInvocations async_;
};

// AWS's error shapes for the Lambda API (HTTP status, code, message).
api::AwsError ResourceNotFound(std::string message);       // 404
api::AwsError ResourceConflict(std::string message);       // 409
api::AwsError InvalidParameterValue(std::string message);  // 400
api::AwsError InvalidRequestContent(std::string message);  // 400
api::AwsError PreconditionFailed(std::string message);     // 412
api::AwsError RequestTooLarge(std::string message);        // 413 RequestTooLargeException
api::AwsError RequestEntityTooLarge(std::string message);  // 413
api::AwsError ServiceError(std::string message);           // 500 ServiceException
// "1 validation error detected: Value '<value>' at '<member>' failed to satisfy constraint:
// <constraint>" (400 ValidationException).
api::AwsError ValidationError(std::string_view value, std::string_view member,
                              std::string_view constraint);
// The ValidationError of an integer outside min..max ("Member must have value greater than or
// equal to <min>" / "less than or equal to <max>"); nullopt when it is inside.
std::optional<api::AwsError> RangeError(int64_t value, int64_t min, int64_t max,
                                        std::string_view member);

}  // namespace stepfn::lambda
