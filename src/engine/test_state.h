// TestState: one state run in isolation, as AWS Step Functions' TestState API runs it.
//
//   TestState(request, environment) -> a response (status, output, error, cause, nextState,
//                                      inspectionData) or a refusal (ValidationException,
//                                      InvalidDefinition, InvalidExecutionInput)
//
// A pure function: no I/O, no clock (time and randomness come in the environment). The state
// runs on the interpreter (eval::StepWithProbe, eval/probe.h) in an execution that starts at
// the state and ends as soon as the state is left:
//   - `definition` is one state (tested under the name "StateName", as AWS does: its Next,
//     Default and Catch targets need not exist), or with `state_name` a whole state machine
//     in which that state (at any depth: Parallel branches, Map item processors) is tested;
//   - a Task is answered by `mock` (a result, or an error) once; without a mock it fails with
//     States.TaskFailed saying that stepfn has no service integrations yet (AWS would call the
//     service);
//   - Parallel and Map states need a mock, which stands for all their branches or iterations
//     (`map_iteration_failure_count` iterations counted as failed, for Maps with Retry or Catch);
//   - an error that a retrier would retry gives status RETRIABLE (retry counts start at
//     `retrier_retry_count`), one that a catcher catches CAUGHT_ERROR with the catcher's Next
//     as nextState, anything else FAILED;
//   - Wait states do not wait (TestState's five-minute limit is kept: a longer wait fails with
//     States.Timeout);
//   - the context object ($$) is `context` when given, exactly; otherwise one made up as AWS
//     does (an EXPRESS-style execution ARN, RoleArn from `role_arn` or null, State.Name).
// The request checks AWS makes on these members (mock and context rules, state types) are
// made here with AWS's messages; the shape checks (types, lengths, enums) are the API layer's.
//
// Not supported yet (refused with a ValidationException that says so): JSONata states,
// `Assign`, non-empty `variables`. A Task's mocked result is checked against the service's API
// model (`field_validation_mode`) through TestStateEnvironment::check_mock_result. TRACE
// shows no HTTP request/response (HTTP Tasks are only ever mocked here).
//
// Thread safety: TestState may run on any number of threads at once.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "common/clock.h"
#include "json/value.h"

namespace stepfn::engine {

enum class InspectionLevel { kInfo, kDebug, kTrace };

struct TestStateMock {
  std::optional<std::string> result;  // JSON text
  bool has_error_output = false;      // errorOutput was given
  std::optional<std::string> error;   // errorOutput.error
  std::optional<std::string> cause;   // errorOutput.cause
  std::string field_validation_mode;  // STRICT (the default), PRESENT, NONE; "" when absent
};

// The members of a TestState request, as the API receives them (JSON documents as text).
struct TestStateRequest {
  std::string definition;
  std::optional<std::string> state_name;
  std::optional<std::string> role_arn;
  std::optional<std::string> input;  // absent: {}
  InspectionLevel inspection_level = InspectionLevel::kInfo;
  bool reveal_secrets = false;
  std::optional<std::string> variables;
  std::optional<TestStateMock> mock;
  std::optional<std::string> context;
  // stateConfiguration
  std::optional<int64_t> retrier_retry_count;
  std::optional<std::string> error_caused_by_state;
  std::optional<int64_t> map_iteration_failure_count;
  std::optional<std::string> map_item_reader_data;
};

// What the request cannot say: where and when it runs.
struct TestStateEnvironment {
  std::string region = "us-east-1";
  std::string account = "123456789012";
  EpochMillis now = 0;
  uint64_t seed = 0;  // names in the made-up context, task tokens, States.UUID
  // Checks a Task's mocked result against the output shape of the operation its Resource
  // calls, as `mode` (MockInput.fieldValidationMode: STRICT, PRESENT or NONE) asks; returns
  // AWS's message when it does not conform. The server's reads AWS's service models
  // (services/models); unset, mocked results are not checked.
  std::function<std::optional<std::string>(std::string_view resource, const json::Value& result,
                                           std::string_view mode)>
      check_mock_result;
};

struct TestStateResponse {
  std::string status;  // SUCCEEDED, FAILED, RETRIABLE, CAUGHT_ERROR
  std::optional<json::Value> output;
  std::optional<std::string> error;
  std::optional<std::string> cause;
  std::optional<std::string> next_state;
  // DEBUG and TRACE: the members of inspectionData as AWS sends them (payloads as JSON text,
  // counts as numbers, errorDetails as an object); null at INFO.
  json::Value inspection_data;

  // The response body of the TestState operation: output as JSON text, absent members left
  // out.
  json::Value ToJson() const;
};

// The request was refused: `code` is ValidationException, InvalidDefinition or
// InvalidExecutionInput; `message` AWS's wording (ours where AWS's is not known).
struct TestStateRefusal {
  std::string code;
  std::string message;
};

using TestStateOutcome = std::variant<TestStateResponse, TestStateRefusal>;

// The request from the TestState operation's body (members as the service model names them).
// Members of the wrong JSON type read as absent: the API layer refuses them before this.
TestStateRequest TestStateRequestFromJson(const json::Value& body);

TestStateOutcome TestState(const TestStateRequest& request, const TestStateEnvironment& env);

}  // namespace stepfn::engine
