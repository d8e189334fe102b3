#include "engine/test_state.h"

#include <gtest/gtest.h>

#include "json/parse.h"
#include "json/write.h"

namespace stepfn::engine {
namespace {

json::Value J(std::string_view text) {
  Result<json::Value> v = json::Parse(text);
  EXPECT_TRUE(v.ok()) << v.status().ToString() << " in " << text;
  return v.ok() ? *v : json::Value();
}

TestStateRequest Request(std::string definition, std::string input = "{}",
                         InspectionLevel level = InspectionLevel::kDebug) {
  TestStateRequest r;
  r.definition = std::move(definition);
  r.input = std::move(input);
  r.inspection_level = level;
  return r;
}

TestStateMock MockResult(std::string json_text) {
  TestStateMock m;
  m.result = std::move(json_text);
  return m;
}

TestStateMock MockError(std::string error, std::string cause) {
  TestStateMock m;
  m.has_error_output = true;
  m.error = std::move(error);
  m.cause = std::move(cause);
  return m;
}

TestStateEnvironment Env() {
  TestStateEnvironment env;
  env.now = 1700000000000;
  env.seed = 42;
  return env;
}

TestStateResponse Respond(const TestStateRequest& request) {
  TestStateOutcome outcome = TestState(request, Env());
  if (auto* refused = std::get_if<TestStateRefusal>(&outcome)) {
    ADD_FAILURE() << "refused: " << refused->code << ": " << refused->message;
    return {};
  }
  return std::get<TestStateResponse>(outcome);
}

TestStateRefusal Refusal(const TestStateRequest& request) {
  TestStateOutcome outcome = TestState(request, Env());
  if (auto* refused = std::get_if<TestStateRefusal>(&outcome)) return *refused;
  ADD_FAILURE() << "not refused: " << json::Write(std::get<TestStateResponse>(outcome).ToJson());
  return {};
}

// An inspectionData member, parsed back from its JSON text (numbers and objects as they are);
// null when absent.
json::Value Inspected(const TestStateResponse& r, std::string_view key) {
  const json::Value* v = r.inspection_data.is_object() ? r.inspection_data.find(key) : nullptr;
  if (v == nullptr) return json::Value();
  if (!v->is_string()) return *v;
  return J(v->as_string());
}

std::vector<std::string> InspectedKeys(const TestStateResponse& r) {
  std::vector<std::string> keys;
  if (!r.inspection_data.is_object()) return keys;
  for (const json::Member& m : r.inspection_data.members()) keys.push_back(m.first);
  std::sort(keys.begin(), keys.end());
  return keys;
}

using Keys = std::vector<std::string>;

// --- Pass, Choice, Succeed, Fail, Wait --------------------------------------------------------

TEST(TestStateTest, PassShowsEveryStageOfItsDataFlow) {
  TestStateResponse r = Respond(Request(
      R"({"Type": "Pass", "InputPath": "$.initialData",
          "Parameters": {"staticValue": "some value", "inputValue.$": "$.fieldFromInput"},
          "ResultPath": "$.modifiedData", "End": true})",
      R"({"initialData": {"fieldFromInput": "value from input"}, "other": 1})"));
  EXPECT_EQ(r.status, "SUCCEEDED");
  EXPECT_FALSE(r.next_state);
  EXPECT_EQ(*r.output, J(R"({"initialData": {"fieldFromInput": "value from input"}, "other": 1,
                            "modifiedData": {"staticValue": "some value",
                                             "inputValue": "value from input"}})"));
  EXPECT_EQ(InspectedKeys(r), (Keys{"afterInputPath", "afterParameters", "afterResultPath",
                                    "afterResultSelector", "input"}));
  EXPECT_EQ(Inspected(r, "afterInputPath"), J(R"({"fieldFromInput": "value from input"})"));
  EXPECT_EQ(Inspected(r, "afterParameters"),
            J(R"({"staticValue": "some value", "inputValue": "value from input"})"));
  EXPECT_EQ(Inspected(r, "afterResultPath"), *r.output);
}

TEST(TestStateTest, PassWithResultShowsTheResultInsteadOfInputPathAndParameters) {
  TestStateResponse r = Respond(Request(
      R"({"Type": "Pass", "InputPath": "$.a", "Parameters": {"x": 1},
          "Result": {"resultKey": "result value"}, "End": true})",
      R"({"a": {}})"));
  EXPECT_EQ(*r.output, J(R"({"resultKey": "result value"})"));
  EXPECT_EQ(InspectedKeys(r), (Keys{"afterResultPath", "afterResultSelector", "input", "result"}));
  EXPECT_EQ(Inspected(r, "result"), J(R"({"resultKey": "result value"})"));
}

TEST(TestStateTest, InfoLevelShowsNoInspectionData) {
  TestStateRequest req =
      Request(R"({"Type": "Pass", "End": true})", R"({"a": 1})", InspectionLevel::kInfo);
  TestStateResponse r = Respond(req);
  EXPECT_TRUE(r.inspection_data.is_null());
  EXPECT_EQ(json::Write(r.ToJson()), R"({"output":"{\"a\":1}","status":"SUCCEEDED"})");
}

TEST(TestStateTest, ChoiceNamesTheNextStateThoughItIsNotInTheDefinition) {
  TestStateResponse r = Respond(Request(
      R"({"Type": "Choice", "Choices": [
            {"Not": {"Variable": "$.type", "StringEquals": "Private"}, "Next": "Public"},
            {"And": [{"Variable": "$.value", "NumericGreaterThanEquals": 20},
                     {"Variable": "$.value", "NumericLessThan": 30}], "Next": "ValueInTwenties"}],
          "Default": "DefaultState"})",
      R"({"type": "Private", "value": 22})"));
  EXPECT_EQ(r.status, "SUCCEEDED");
  EXPECT_EQ(r.next_state, "ValueInTwenties");
  EXPECT_EQ(*r.output, J(R"({"type": "Private", "value": 22})"));
  EXPECT_EQ(InspectedKeys(r), (Keys{"afterInputPath", "input"}));
}

TEST(TestStateTest, ChoiceWithoutMatchFails) {
  TestStateResponse r = Respond(Request(
      R"({"Type": "Choice", "Choices": [{"Variable": "$.v", "NumericEquals": 1, "Next": "A"}]})",
      R"({"v": 2})"));
  EXPECT_EQ(r.status, "FAILED");
  EXPECT_EQ(r.error, "States.NoChoiceMatched");
  EXPECT_FALSE(r.output);
}

TEST(TestStateTest, SucceedAndFail) {
  TestStateResponse ok =
      Respond(Request(R"({"Type": "Succeed", "OutputPath": "$.a"})", R"({"a": 5})"));
  EXPECT_EQ(ok.status, "SUCCEEDED");
  EXPECT_EQ(*ok.output, J("5"));
  EXPECT_EQ(InspectedKeys(ok), (Keys{"afterInputPath", "input"}));

  TestStateResponse failed =
      Respond(Request(R"({"Type": "Fail", "Error": "SomeFailure", "Cause": "It failed."})"));
  EXPECT_EQ(failed.status, "FAILED");
  EXPECT_EQ(failed.error, "SomeFailure");
  EXPECT_EQ(failed.cause, "It failed.");
  EXPECT_FALSE(failed.output);
  EXPECT_EQ(InspectedKeys(failed), (Keys{"input"}));
}

TEST(TestStateTest, WaitDoesNotWaitButKeepsTheFiveMinuteLimit) {
  TestStateResponse r = Respond(Request(R"({"Type": "Wait", "Seconds": 60, "Next": "After"})"));
  EXPECT_EQ(r.status, "SUCCEEDED");
  EXPECT_EQ(r.next_state, "After");
  TestStateResponse slow = Respond(Request(R"({"Type": "Wait", "Seconds": 301, "End": true})"));
  EXPECT_EQ(slow.status, "FAILED");
  EXPECT_EQ(slow.error, "States.Timeout");
}

TEST(TestStateTest, RuntimeErrorsNameNoHistoryEvent) {
  TestStateResponse r =
      Respond(Request(R"({"Type": "Pass", "Parameters": {"a.$": "$.missing"}, "End": true})"));
  EXPECT_EQ(r.status, "FAILED");
  EXPECT_EQ(r.error, "States.Runtime");
  EXPECT_EQ(r.cause,
            "The JSONPath '$.missing' specified for the field 'a.$' could not be found in the "
            "input '{}'");
}

// --- Task -------------------------------------------------------------------------------------

constexpr const char* kLambdaTask = R"({"Type": "Task",
    "Resource": "arn:aws:states:::lambda:invoke",
    "Parameters": {"FunctionName.$": "$.FunctionName", "Payload": {"Input.$": "$"}},
    "ResultSelector": {"LambdaOutput.$": "$.Payload"},
    "ResultPath": "$.out", "Next": "NextOne"})";

TEST(TestStateTest, TaskIsAnsweredByTheMockResult) {
  TestStateRequest req = Request(kLambdaTask, R"({"FunctionName": "f"})");
  req.mock = MockResult(R"({"Payload": {"ok": true}, "StatusCode": 200})");
  TestStateResponse r = Respond(req);
  EXPECT_EQ(r.status, "SUCCEEDED");
  EXPECT_EQ(r.next_state, "NextOne");
  EXPECT_EQ(*r.output, J(R"({"FunctionName": "f", "out": {"LambdaOutput": {"ok": true}}})"));
  EXPECT_EQ(InspectedKeys(r), (Keys{"afterInputPath", "afterParameters", "afterResultPath",
                                    "afterResultSelector", "input", "result"}));
  EXPECT_EQ(Inspected(r, "afterParameters"),
            J(R"({"FunctionName": "f", "Payload": {"Input": {"FunctionName": "f"}}})"));
  EXPECT_EQ(Inspected(r, "result"), J(R"({"Payload": {"ok": true}, "StatusCode": 200})"));
  EXPECT_EQ(Inspected(r, "afterResultSelector"), J(R"({"LambdaOutput": {"ok": true}})"));
}

TEST(TestStateTest, ScalarResultsAreJsonText) {
  TestStateRequest req =
      Request(R"({"Type": "Task", "Resource": "arn:aws:states:::x", "End": true})");
  req.mock = MockResult(R"("HelloWorld!")");
  TestStateResponse r = Respond(req);
  EXPECT_EQ(json::Write(r.ToJson().find("output") ? *r.ToJson().find("output") : json::Value()),
            R"("\"HelloWorld!\"")");
  EXPECT_EQ(r.inspection_data.find("result")->as_string(), R"("HelloWorld!")");
}

constexpr const char* kRetryingTask = R"({"Type": "Task",
    "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "foo"},
    "Retry": [{"ErrorEquals": ["Other"], "MaxAttempts": 1},
              {"ErrorEquals": ["MockException"], "IntervalSeconds": 1, "MaxAttempts": 5,
               "BackoffRate": 2.0}],
    "Catch": [{"ErrorEquals": ["States.ALL"], "ResultPath": "$.error", "Next": "Handler"}],
    "End": true})";

TEST(TestStateTest, AnErrorThatWouldBeRetriedIsRetriable) {
  TestStateRequest req = Request(kRetryingTask, R"({"a": 1})");
  req.mock = MockError("MockException", "Mock the cause of the error.");
  req.retrier_retry_count = 4;
  TestStateResponse r = Respond(req);
  EXPECT_EQ(r.status, "RETRIABLE");
  EXPECT_EQ(r.error, "MockException");
  EXPECT_EQ(r.cause, "Mock the cause of the error.");
  EXPECT_FALSE(r.output);
  EXPECT_FALSE(r.next_state);
  EXPECT_EQ(Inspected(r, "errorDetails"),
            J(R"({"retryBackoffIntervalSeconds": 16, "retryIndex": 1})"));
  EXPECT_EQ(InspectedKeys(r), (Keys{"afterInputPath", "afterParameters", "errorDetails", "input"}));

  req.retrier_retry_count.reset();
  EXPECT_EQ(Inspected(Respond(req), "errorDetails"),
            J(R"({"retryBackoffIntervalSeconds": 1, "retryIndex": 1})"));
}

TEST(TestStateTest, RetriesSpentThenCaught) {
  TestStateRequest req = Request(kRetryingTask, R"({"a": 1})");
  req.mock = MockError("MockException", "Mock the cause of the error.");
  req.retrier_retry_count = 5;
  TestStateResponse r = Respond(req);
  EXPECT_EQ(r.status, "CAUGHT_ERROR");
  EXPECT_EQ(r.next_state, "Handler");
  EXPECT_EQ(r.error, "MockException");
  EXPECT_EQ(*r.output, J(R"({"a": 1, "error": {"Error": "MockException",
                                                "Cause": "Mock the cause of the error."}})"));
  EXPECT_EQ(Inspected(r, "errorDetails"), J(R"({"retryIndex": 1, "catchIndex": 0})"));
}

TEST(TestStateTest, RetriesSpentWithoutCatchFail) {
  TestStateRequest req = Request(R"({"Type": "Task", "Resource": "arn:aws:states:::x",
      "Retry": [{"ErrorEquals": ["MockException"], "MaxAttempts": 5}], "End": true})");
  req.mock = MockError("MockException", "Mock the cause of the error.");
  req.retrier_retry_count = 5;
  TestStateResponse r = Respond(req);
  EXPECT_EQ(r.status, "FAILED");
  EXPECT_EQ(r.error, "MockException");
  EXPECT_EQ(Inspected(r, "errorDetails"), J(R"({"retryIndex": 0})"));

  // MaxDelaySeconds caps the backoff.
  req.definition = R"({"Type": "Task", "Resource": "arn:aws:states:::x", "End": true,
      "Retry": [{"ErrorEquals": ["States.ALL"], "IntervalSeconds": 3, "MaxAttempts": 9,
                 "MaxDelaySeconds": 10}]})";
  req.retrier_retry_count = 3;
  EXPECT_EQ(Inspected(Respond(req), "errorDetails"),
            J(R"({"retryBackoffIntervalSeconds": 10, "retryIndex": 0})"));
}

TEST(TestStateTest, TaskWithoutMockNeedsARoleAndThenSaysThereIsNoService) {
  TestStateRequest req = Request(kLambdaTask, R"({"FunctionName": "f"})");
  TestStateRefusal refusal = Refusal(req);
  EXPECT_EQ(refusal.code, "ValidationException");
  EXPECT_EQ(refusal.message, "RoleArn must be specified when testing a Task state");

  req.role_arn = "arn:aws:iam::123456789012:role/r";
  TestStateResponse r = Respond(req);
  EXPECT_EQ(r.status, "FAILED");
  EXPECT_EQ(r.error, "States.TaskFailed");
  EXPECT_NE(r.cause->find("no service integrations yet"), std::string::npos) << *r.cause;
  EXPECT_NE(r.cause->find("arn:aws:states:::lambda:invoke"), std::string::npos);
  // What would have been sent is shown.
  EXPECT_EQ(Inspected(r, "afterParameters"),
            J(R"({"FunctionName": "f", "Payload": {"Input": {"FunctionName": "f"}}})"));
}

// --- The context object -----------------------------------------------------------------------

constexpr const char* kContextTask = R"({"Type": "Task",
    "Resource": "arn:aws:states:::lambda:invoke", "Parameters": {"FunctionName": "f"},
    "ResultSelector": {"Context.$": "$$"}, "End": true})";

TEST(TestStateTest, AGivenContextIsTheWholeContextObject) {
  TestStateRequest req = Request(kContextTask);
  req.mock = MockResult("{}");
  req.context = "{}";
  EXPECT_EQ(*Respond(req).output, J(R"({"Context": {}})"));
  req.context = R"({"Execution": {"Id": "x", "Input": {"v": [1]}}, "State": {"RetryCount": 0}})";
  EXPECT_EQ(*Respond(req).output, J(R"({"Context": {"Execution": {"Id": "x", "Input": {"v": [1]}},
                              "State": {"RetryCount": 0}}})"));
}

TEST(TestStateTest, TheMadeUpContextLooksLikeAWSs) {
  TestStateRequest req = Request(kContextTask, R"({"in": 1})");
  req.mock = MockResult("{}");
  req.retrier_retry_count = 2;
  json::Value ctx = *Respond(req).output->find("Context");
  EXPECT_EQ(*ctx.find("State"), J(R"({"Name": "StateName", "EnteredTime":
                                      "2023-11-14T22:13:20.000Z", "RetryCount": 2})"));
  const json::Value& exec = *ctx.find("Execution");
  EXPECT_TRUE(exec.find("RoleArn")->is_null());
  EXPECT_EQ(*exec.find("Input"), J(R"({"in": 1})"));
  std::string machine = ctx.find("StateMachine")->find("Name")->as_string();
  EXPECT_EQ(exec.find("Id")->as_string(), "arn:aws:states:us-east-1:123456789012:express:" +
                                              machine + ":" + exec.find("Name")->as_string());
  req.role_arn = "arn:aws:iam::123456789012:role/r";
  EXPECT_EQ(Respond(req).output->find("Context")->find("Execution")->find("RoleArn")->as_string(),
            "arn:aws:iam::123456789012:role/r");
}

TEST(TestStateTest, ContextChecks) {
  TestStateRequest req = Request(kContextTask);
  req.mock = MockResult("{}");
  auto message = [&req](std::string context) {
    req.context = std::move(context);
    return Refusal(req).message;
  };
  EXPECT_EQ(message(R"({"Map": {}})"),
            "Invalid Context object provided: 'Map' field is not supported when mocking a "
            "Context object");
  EXPECT_EQ(message(R"({"Execution": {"pokemon": "squirtle"}})"),
            "Invalid Context object provided: Field 'pokemon' is not allowed");
  EXPECT_EQ(message(R"({"Execution": {"Id": 1}})"),
            "Invalid Context object provided: Execution.Id must be a string");
  EXPECT_EQ(message(R"({"Task": {"Token": "t"}})"),
            "Invalid Context object provided: Context object contains 'Task' when state is not a "
            "Task state with a '.sync' or '.waitForTaskToken' service integration pattern");
  req.mock.reset();
  req.role_arn = "arn:aws:iam::123456789012:role/r";
  EXPECT_EQ(message("{}"), "TestState does not support Context when a mock is not specified.");
}

TEST(TestStateTest, TaskTokenFromTheContext) {
  TestStateRequest req = Request(R"({"Type": "Task",
      "Resource": "arn:aws:states:::sqs:sendMessage.waitForTaskToken",
      "Parameters": {"MessageBody": {"TaskToken.$": "$$.Task.Token"}},
      "ResultPath": "$.SQS", "Next": "NEXT_STATE"})");
  req.mock = MockResult(R"({"ok": 1})");
  req.context = R"({"Task": {"Token": "abcd123"}})";
  TestStateResponse r = Respond(req);
  EXPECT_EQ(r.next_state, "NEXT_STATE");
  EXPECT_EQ(Inspected(r, "afterParameters"), J(R"({"MessageBody": {"TaskToken": "abcd123"}})"));
  EXPECT_EQ(*r.output, J(R"({"SQS": {"ok": 1}})"));
}

// --- Map and Parallel -------------------------------------------------------------------------

TEST(TestStateTest, MapAndParallelNeedAMock) {
  TestStateRefusal r = Refusal(Request(R"({"Type": "Parallel", "End": true, "Branches": [
      {"StartAt": "B", "States": {"B": {"Type": "Pass", "End": true}}}]})"));
  EXPECT_EQ(r.code, "InvalidDefinition");
  EXPECT_EQ(r.message,
            "TestState API does not support Map or Parallel states. Supported state types "
            "include: [Task, Wait, Pass, Succeed, Fail, Choice]");
}

constexpr const char* kParallel = R"({"Type": "Parallel", "InputPath": "$.in",
    "ResultPath": "$.out", "End": true, "Branches": [
      {"StartAt": "B1", "States": {"B1": {"Type": "Pass", "End": true}}},
      {"StartAt": "B2", "States": {"B2": {"Type": "Pass", "End": true}}}]})";

TEST(TestStateTest, ParallelMockStandsForItsBranches) {
  TestStateRequest req = Request(kParallel, R"({"in": {"d": 1}})");
  req.mock = MockResult(R"([{"b": 1}, {"b": 2}])");
  TestStateResponse r = Respond(req);
  EXPECT_EQ(r.status, "SUCCEEDED");
  EXPECT_EQ(*r.output, J(R"({"in": {"d": 1}, "out": [{"b": 1}, {"b": 2}]})"));
  EXPECT_EQ(InspectedKeys(r), (Keys{"afterResultPath", "afterResultSelector", "input"}));

  req.mock = MockResult(R"([{"b": 1}])");
  EXPECT_EQ(Refusal(req).message,
            "Mocked result must contain the same number of items as number of Parallel "
            "branches.");
  req.mock = MockResult(R"({"b": 1})");
  EXPECT_EQ(Refusal(req).message, "Mocked result must be an array.");
  req.mock = MockError("Boom", "branch failed");
  TestStateResponse failed = Respond(req);
  EXPECT_EQ(failed.status, "FAILED");
  EXPECT_EQ(failed.error, "Boom");
}

constexpr const char* kMap = R"({"Type": "Map", "ItemsPath": "$.Values", "MaxConcurrency": 2,
    "ItemSelector": {"v.$": "$$.Map.Item.Value", "i.$": "$$.Map.Item.Index"},
    "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
    "ToleratedFailureCount": 1,
    "Catch": [{"ErrorEquals": ["States.ExceedToleratedFailureThreshold"], "Next": "Handle"}],
    "End": true})";

TEST(TestStateTest, MapMockStandsForItsIterations) {
  TestStateRequest req = Request(kMap, R"({"Values": ["a", "b", "c"]})");
  req.mock = MockResult("[1, 1, 1]");
  TestStateResponse r = Respond(req);
  EXPECT_EQ(r.status, "SUCCEEDED");
  EXPECT_EQ(*r.output, J("[1, 1, 1]"));
  EXPECT_EQ(Inspected(r, "afterItemsPath"), J(R"(["a", "b", "c"])"));
  EXPECT_EQ(Inspected(r, "afterItemSelector"),
            J(R"([{"v": "a", "i": 0}, {"v": "b", "i": 1}, {"v": "c", "i": 2}])"));
  EXPECT_EQ(Inspected(r, "maxConcurrency"), J("2"));
  EXPECT_EQ(Inspected(r, "toleratedFailureCount"), J("1"));

  // Iterations that failed beyond the tolerated count: the Map's Catch applies.
  req.map_iteration_failure_count = 2;
  TestStateResponse caught = Respond(req);
  EXPECT_EQ(caught.status, "CAUGHT_ERROR");
  EXPECT_EQ(caught.error, "States.ExceedToleratedFailureThreshold");
  EXPECT_EQ(caught.cause, "The specified tolerated failure threshold was exceeded");
  EXPECT_EQ(caught.next_state, "Handle");
  EXPECT_EQ(Inspected(caught, "errorDetails"), J(R"({"catchIndex": 0})"));

  req.map_iteration_failure_count = 4;
  EXPECT_EQ(Refusal(req).message,
            "Map iteration failure count must be less than or equal to the number of Map "
            "iterations");
  req.mock.reset();
  EXPECT_EQ(Refusal(req).message,
            "TestState does not support MapIterationFailureCount when a mock is not specified.");
}

TEST(TestStateTest, MapFailureCountCountsOnlyWithRetryOrCatch) {
  TestStateRequest req = Request(R"({"Type": "Map", "ItemsPath": "$.Values", "End": true,
      "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}}})",
                                 R"({"Values": [1, 2]})");
  req.mock = MockResult("[0, 1]");
  req.map_iteration_failure_count = 2;
  TestStateResponse r = Respond(req);
  EXPECT_EQ(r.status, "SUCCEEDED");
  EXPECT_EQ(Inspected(r, "maxConcurrency"), J("0"));
}

TEST(TestStateTest, MapItemsFromTheContextMustBeAnArray) {
  TestStateRequest req = Request(R"({"Type": "Map", "ItemsPath": "$$.Execution.Input",
      "ItemProcessor": {"StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
      "End": true})",
                                 R"(["x"])", InspectionLevel::kTrace);
  req.mock = MockResult("[1]");
  req.context = R"({"Execution": {"Input": {"values": []}}})";
  TestStateResponse r = Respond(req);
  EXPECT_EQ(r.status, "FAILED");
  EXPECT_EQ(r.error, "States.Runtime");
  EXPECT_EQ(r.cause, "Reference path \"$.Execution.Input\" must point to array.");
  EXPECT_EQ(InspectedKeys(r), (Keys{"afterInputPath", "input"}));
}

TEST(TestStateTest, MapMockShapes) {
  TestStateRequest req = Request(kMap, R"({"Values": []})");
  req.mock = MockResult(R"({"a": 1})");
  EXPECT_EQ(Refusal(req).message, "Mocked result must be an array.");
  req.definition = R"({"Type": "Map", "ItemsPath": "$.Values", "End": true,
      "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                        "StartAt": "P", "States": {"P": {"Type": "Pass", "End": true}}},
      "ResultWriter": {"Resource": "arn:aws:states:::s3:putObject",
                       "Parameters": {"Bucket": "b", "Prefix": "p"}}})";
  req.mock = MockResult(R"(["x"])");
  EXPECT_EQ(Refusal(req).message, "Mocked result must be a JSON object.");
}

// --- Mock checks ------------------------------------------------------------------------------

TEST(TestStateTest, MockChecks) {
  TestStateRequest pass = Request(R"({"Type": "Pass", "End": true})");
  pass.mock = MockResult("{}");
  EXPECT_EQ(Refusal(pass).message, "State type 'Pass' is not supported when a mock is specified");
  TestStateRequest choice = Request(R"({"Type": "Choice", "Default": "X", "Choices": [
      {"Variable": "$.a", "IsPresent": true, "Next": "Y"}]})");
  choice.mock = MockError("E", "C");
  EXPECT_EQ(Refusal(choice).message,
            "State type 'Choice' is not supported when a mock is specified");

  TestStateRequest task = Request(kLambdaTask);
  task.mock = MockResult("{}");
  task.reveal_secrets = true;
  EXPECT_EQ(Refusal(task).message,
            "TestState does not support RevealSecrets when a mock is specified.");
  task.reveal_secrets = false;
  task.mock->has_error_output = true;
  task.mock->error = "E";
  EXPECT_EQ(Refusal(task).message,
            "A test mock should have only one of the following fields: [result, errorOutput].");
  task.mock = MockResult("not JSON string");
  EXPECT_EQ(Refusal(task).message, "Mocked result must be valid JSON");
}

// --- Definitions and state names --------------------------------------------------------------

constexpr const char* kMachine = R"({"StartAt": "State0", "States": {
    "State0": {"Type": "Map", "ItemsPath": "$.Values", "End": true,
      "ItemProcessor": {"ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
        "StartAt": "HandleItem", "States": {"HandleItem": {"Type": "Pass", "Next": "Second"},
                                            "Second": {"Type": "Pass", "End": true}}}}}})";

TEST(TestStateTest, AStateOfAMachineAtAnyDepth) {
  TestStateRequest req = Request(kMachine, R"({"Value": "HelloWorld"})");
  req.state_name = "HandleItem";
  TestStateResponse r = Respond(req);
  EXPECT_EQ(r.status, "SUCCEEDED");
  EXPECT_EQ(r.next_state, "Second");
  EXPECT_EQ(*r.output, J(R"({"Value": "HelloWorld"})"));

  req.state_name = "dne";
  TestStateRefusal refusal = Refusal(req);
  EXPECT_EQ(refusal.code, "ValidationException");
  EXPECT_EQ(refusal.message, "State not found in definition");
}

TEST(TestStateTest, InvalidDefinitionsAreWordedAsAWSWordsThem) {
  TestStateRequest req = Request(R"({"Type": "Parallel", "Branches": [], "End": true})");
  req.mock = MockResult("[]");
  TestStateRefusal r = Refusal(req);
  EXPECT_EQ(r.code, "InvalidDefinition");
  EXPECT_EQ(r.message,
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: Value cannot be empty "
            "at /States/StateName/Branches'");

  req = Request(
      R"({"StartAt": "S", "States": {"S": {"Type": "TypeThatDoesNotExist", "End": true}}})");
  req.state_name = "S";
  r = Refusal(req);
  EXPECT_EQ(r.code, "InvalidDefinition");
  EXPECT_EQ(r.message,
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: The field 'Type' should "
            "have one of these values: [Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map] at "
            "/States/S/Type'");

  EXPECT_EQ(Refusal(Request("{not json")).code, "InvalidDefinition");
}

TEST(TestStateTest, InputMustBeJson) {
  TestStateRefusal r = Refusal(Request(R"({"Type": "Pass", "End": true})", "{oops"));
  EXPECT_EQ(r.code, "InvalidExecutionInput");
}

TEST(TestStateTest, JsonataAndVariablesAreRefusedClearly) {
  TestStateRefusal r = Refusal(
      Request(R"({"Type": "Pass", "QueryLanguage": "JSONata", "Output": "{% 1 %}", "End": true})"));
  EXPECT_EQ(r.code, "ValidationException");
  EXPECT_NE(r.message.find("JSONata"), std::string::npos);
  TestStateRequest vars = Request(R"({"Type": "Pass", "End": true})");
  vars.variables = R"({"x": 1})";
  EXPECT_NE(Refusal(vars).message.find("variables"), std::string::npos);
  vars.variables = "{}";
  EXPECT_EQ(Respond(vars).status, "SUCCEEDED");
}

TEST(TestStateTest, ResponseShape) {
  TestStateRequest req = Request(kRetryingTask, R"({"a": 1})");
  req.mock = MockError("Other", "");
  req.retrier_retry_count = 0;
  json::Value body = Respond(req).ToJson();
  EXPECT_EQ(body.find("status")->as_string(), "RETRIABLE");
  EXPECT_EQ(body.find("error")->as_string(), "Other");
  EXPECT_EQ(body.find("cause"), nullptr);  // an empty cause is left out
  EXPECT_EQ(body.find("output"), nullptr);
  EXPECT_TRUE(body.find("inspectionData")->find("input")->is_string());
  EXPECT_TRUE(body.find("inspectionData")->find("errorDetails")->is_object());
}

}  // namespace
}  // namespace stepfn::engine
