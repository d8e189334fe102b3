// The Lambda Task integration: Task states that invoke Lambda functions, run through an Invoker
// (invoke.h). Three forms of Resource (README.md, "Task integration"):
//
// - a function ARN, arn:aws:lambda:<region>:<account>:function:<name>[:<qualifier>]: the
//   effective parameters (or the input) are the payload; the result is the function's output,
//   parsed. History: LambdaFunction* events (eval/).
// - arn:aws:states:::lambda:invoke[.waitForTaskToken]: Parameters FunctionName, Payload,
//   Qualifier, InvocationType, ClientContext, LogType; the result is Invoke's response as Step
//   Functions shows it ({ExecutedVersion, Payload, SdkHttpMetadata, SdkResponseMetadata,
//   StatusCode}).
// - arn:aws:states:::aws-sdk:lambda:invoke: the same parameters; the result is the SDK's
//   InvokeOutput ({ExecutedVersion, Payload (the response text), StatusCode, ...}).
//
// Errors as Step Functions reports them: a function error is the payload's errorType
// ("Lambda.Unknown" when it has none; "Sandbox.Timedout" when the function ran past its own
// Timeout) with the payload as the cause; a refusal of the Lambda service is
// "Lambda.<Code>" with AWS's cause text.
#pragma once

#include <string>
#include <string_view>

#include "services/lambda/invoke.h"
#include "services/task_service.h"

namespace stepfn::lambda {

enum class TaskForm { FunctionArn, Invoke, SdkInvoke };

// The form a Task's Resource asks for; false when it is no Lambda resource.
bool LambdaTaskForm(std::string_view resource, TaskForm* form);

// The Invoke request for a task: an error (Error + Cause) when its Parameters are unusable.
std::variant<InvokeRequest, services::TaskError> BuildInvokeRequest(
    TaskForm form, const services::TaskRequest& task);

// The task's outcome for what the Invoker answered.
services::TaskOutcome TaskOutcomeOf(TaskForm form, const InvokeOutcome& outcome);

class LambdaTaskService : public services::TaskService {
 public:
  // `invoker` outlives the service.
  explicit LambdaTaskService(Invoker* invoker) : invoker_(invoker) {}

  std::string_view name() const override { return "lambda"; }
  bool Handles(std::string_view resource) const override;
  void Run(services::TaskRequest request, services::TaskDone done) override;

 private:
  Invoker* const invoker_;
};

}  // namespace stepfn::lambda
