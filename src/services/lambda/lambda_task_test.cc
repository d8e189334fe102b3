// The Lambda Task integration over a fake Invoker: requests built from each Resource form,
// results and errors shaped as Step Functions shows them.
#include "services/lambda/lambda_task.h"

#include <gtest/gtest.h>

#include "json/parse.h"
#include "json/write.h"

namespace stepfn::lambda {
namespace {

using services::TaskError;
using services::TaskOutcome;
using services::TaskRequest;

json::Value J(std::string_view s) {
  auto r = json::Parse(s);
  EXPECT_TRUE(r.ok()) << s;
  return r.ok() ? *r : json::Value();
}

class FakeInvoker : public Invoker {
 public:
  void Invoke(InvokeRequest request, InvokeDone done) override {
    requests.push_back(request);
    done(answer);
  }
  std::vector<InvokeRequest> requests;
  InvokeOutcome answer = InvokeResponse{200, "{}", "", "$LATEST", "", "req-1"};
};

TaskOutcome RunTask(LambdaTaskService& service, const std::string& resource,
                    const std::string& params) {
  TaskRequest task;
  task.resource = resource;
  task.parameters = J(params);
  task.trace_header = "Root=1-5f84c7a9-0123456789abcdef01234567;Sampled=1";
  TaskOutcome got = TaskError{"unset", ""};
  service.Run(task, [&](TaskOutcome o) { got = std::move(o); });
  return got;
}

std::string ValueText(const TaskOutcome& o) {
  const auto* v = std::get_if<json::Value>(&o);
  return v ? json::Write(*v)
           : "error: " + std::get<TaskError>(o).error + " / " + std::get<TaskError>(o).cause;
}

const TaskError& Err(const TaskOutcome& o) {
  static const TaskError kNone{"(a value)", ""};
  const auto* e = std::get_if<TaskError>(&o);
  return e ? *e : kNone;
}

constexpr const char* kArn = "arn:aws:lambda:us-east-1:123456789012:function:echo";

TEST(LambdaTask, Handles) {
  FakeInvoker invoker;
  LambdaTaskService service(&invoker);
  EXPECT_TRUE(service.Handles(kArn));
  EXPECT_TRUE(service.Handles(std::string(kArn) + ":live"));
  EXPECT_TRUE(service.Handles("arn:aws:states:::lambda:invoke"));
  EXPECT_TRUE(service.Handles("arn:aws:states:::lambda:invoke.waitForTaskToken"));
  EXPECT_TRUE(service.Handles("arn:aws:states:::aws-sdk:lambda:invoke"));
  EXPECT_FALSE(service.Handles("arn:aws:states:::lambda:invoke.sync"));
  EXPECT_FALSE(service.Handles("arn:aws:states:::sns:publish"));
  EXPECT_FALSE(service.Handles("arn:aws:states:us-east-1:123456789012:activity:a"));
}

TEST(LambdaTask, FunctionArnSendsTheParametersAndReturnsTheParsedOutput) {
  FakeInvoker invoker;
  invoker.answer = InvokeResponse{200, R"({"b": [1, 2]})", "", "$LATEST", "", "r"};
  LambdaTaskService service(&invoker);
  TaskOutcome o = RunTask(service, std::string(kArn) + ":3", R"({"a":1})");
  EXPECT_EQ(ValueText(o), R"({"b":[1,2]})");
  ASSERT_EQ(invoker.requests.size(), 1u);
  EXPECT_EQ(invoker.requests[0].function_name, std::string(kArn) + ":3");
  EXPECT_EQ(invoker.requests[0].payload, R"({"a":1})");
  EXPECT_EQ(invoker.requests[0].type, InvocationType::RequestResponse);
  EXPECT_EQ(invoker.requests[0].trace_header, "Root=1-5f84c7a9-0123456789abcdef01234567;Sampled=1");
  // Not JSON: a string.
  invoker.answer = InvokeResponse{200, "plain text", "", "$LATEST", "", "r"};
  EXPECT_EQ(ValueText(RunTask(service, kArn, "{}")), R"("plain text")");
}

TEST(LambdaTask, InvokeBuildsTheRequestAndTheResult) {
  FakeInvoker invoker;
  invoker.answer = InvokeResponse{200, R"("HelloWorld")", "", "$LATEST", "", "req-9"};
  LambdaTaskService service(&invoker);
  TaskOutcome o = RunTask(service, "arn:aws:states:::lambda:invoke",
                          R"({"FunctionName":"echo","Payload":"\"HelloWorld\"","Qualifier":"1",
                          "InvocationType":"RequestResponse","ClientContext":"e30=",
                          "LogType":"Tail"})");
  ASSERT_EQ(invoker.requests.size(), 1u);
  const InvokeRequest& r = invoker.requests[0];
  EXPECT_EQ(r.function_name, "echo");
  EXPECT_EQ(r.payload, R"("HelloWorld")");  // a string Payload is sent as it is
  EXPECT_EQ(r.qualifier, "1");
  EXPECT_EQ(r.client_context, "e30=");
  EXPECT_TRUE(r.log_tail);
  const auto* v = std::get_if<json::Value>(&o);
  ASSERT_NE(v, nullptr) << ValueText(o);
  EXPECT_EQ(json::Write(*v->find("Payload")), R"("HelloWorld")");
  EXPECT_EQ(json::Write(*v->find("StatusCode")), "200");
  EXPECT_EQ(json::Write(*v->find("ExecutedVersion")), R"("$LATEST")");
  EXPECT_EQ(json::Write(*v->find("SdkResponseMetadata")), R"({"RequestId":"req-9"})");
  const json::Value* http = v->find("SdkHttpMetadata");
  ASSERT_NE(http, nullptr);
  EXPECT_EQ(json::Write(*http->find("HttpStatusCode")), "200");
  EXPECT_EQ(json::Write(*http->find("HttpHeaders")->find("Content-Length")), R"("12")");
  EXPECT_EQ(json::Write(*http->find("AllHttpHeaders")->find("X-Amz-Executed-Version")),
            R"(["$LATEST"])");
  // Keys in AWS's order.
  std::vector<std::string> keys;
  for (const auto& [k, _] : v->members()) keys.push_back(k);
  EXPECT_EQ(keys, (std::vector<std::string>{"ExecutedVersion", "Payload", "SdkHttpMetadata",
                                            "SdkResponseMetadata", "StatusCode"}));

  // Other payloads are sent as their JSON; no Payload sends none.
  RunTask(service, "arn:aws:states:::lambda:invoke", R"({"FunctionName":"f","Payload":{"k":[1]}})");
  EXPECT_EQ(invoker.requests.back().payload, R"({"k":[1]})");
  RunTask(service, "arn:aws:states:::lambda:invoke", R"({"FunctionName":"f"})");
  EXPECT_EQ(invoker.requests.back().payload, "");
  RunTask(service, "arn:aws:states:::lambda:invoke",
          R"({"FunctionName":"f","InvocationType":"Event"})");
  EXPECT_EQ(invoker.requests.back().type, InvocationType::Event);
}

TEST(LambdaTask, BadParametersFailTheTask) {
  FakeInvoker invoker;
  LambdaTaskService service(&invoker);
  EXPECT_EQ(Err(RunTask(service, "arn:aws:states:::lambda:invoke", R"({"Payload":{}})")).error,
            "Lambda.InvalidParameterValueException");
  EXPECT_EQ(Err(RunTask(service, "arn:aws:states:::lambda:invoke", R"({"FunctionName":3})")).error,
            "Lambda.InvalidParameterValueException");
  EXPECT_EQ(Err(RunTask(service, "arn:aws:states:::lambda:invoke",
                        R"({"FunctionName":"f","InvocationType":"Later"})"))
                .error,
            "Lambda.InvalidParameterValueException");
  EXPECT_TRUE(invoker.requests.empty());
}

TEST(LambdaTask, FunctionErrors) {
  FakeInvoker invoker;
  LambdaTaskService service(&invoker);
  const std::string doc =
      R"({"errorMessage": "Some exception was raised.", "errorType": "Exception", )"
      R"("requestId": "r", "stackTrace": []})";
  invoker.answer = InvokeResponse{200, doc, "Unhandled", "$LATEST", "", "r"};
  // A function ARN keeps the payload's bytes as the cause...
  TaskError e = Err(RunTask(service, kArn, "{}"));
  EXPECT_EQ(e.error, "Exception");
  EXPECT_EQ(e.cause, doc);
  // ... lambda:invoke re-serialises it.
  e = Err(RunTask(service, "arn:aws:states:::lambda:invoke", R"({"FunctionName":"f"})"));
  EXPECT_EQ(e.error, "Exception");
  EXPECT_EQ(e.cause, R"({"errorMessage":"Some exception was raised.","errorType":"Exception",)"
                     R"("requestId":"r","stackTrace":[]})");
  // No errorType: Lambda.Unknown; a timeout message: Sandbox.Timedout.
  invoker.answer =
      InvokeResponse{200, R"({"errorMessage":"boom"})", "Unhandled", "$LATEST", "", "r"};
  EXPECT_EQ(Err(RunTask(service, kArn, "{}")).error, "Lambda.Unknown");
  invoker.answer = InvokeResponse{200, "not json", "Unhandled", "$LATEST", "", "r"};
  EXPECT_EQ(Err(RunTask(service, kArn, "{}")).error, "Lambda.Unknown");
  EXPECT_EQ(Err(RunTask(service, kArn, "{}")).cause, "not json");
  invoker.answer = InvokeResponse{
      200,         R"({"errorMessage":"2024-01-01T00:00:00Z r Task timed out after 1.00 seconds"})",
      "Unhandled", "$LATEST",
      "",          "r"};
  EXPECT_EQ(Err(RunTask(service, kArn, "{}")).error, "Sandbox.Timedout");
  invoker.answer = InvokeResponse{
      200,
      R"({"errorType":"Sandbox.Timedout","errorMessage":"RequestId: r Error: Task timed out after 3.00 seconds"})",
      "Unhandled",
      "$LATEST",
      "",
      "r"};
  EXPECT_EQ(
      Err(RunTask(service, "arn:aws:states:::lambda:invoke", R"({"FunctionName":"f"})")).error,
      "Sandbox.Timedout");
  // The aws-sdk integration reports the function's error in its output.
  invoker.answer = InvokeResponse{200, doc, "Unhandled", "$LATEST", "", "r"};
  TaskOutcome o =
      RunTask(service, "arn:aws:states:::aws-sdk:lambda:invoke", R"({"FunctionName":"f"})");
  const auto* v = std::get_if<json::Value>(&o);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->find("FunctionError")->as_string(), "Unhandled");
  EXPECT_EQ(v->find("Payload")->as_string(), doc);
}

TEST(LambdaTask, ServiceErrors) {
  FakeInvoker invoker;
  LambdaTaskService service(&invoker);
  invoker.answer = InvokeError{
      404, "ResourceNotFoundException",
      "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope:$LATEST", "rid-1"};
  TaskError e =
      Err(RunTask(service, "arn:aws:states:::lambda:invoke", R"({"FunctionName":"nope"})"));
  EXPECT_EQ(e.error, "Lambda.ResourceNotFoundException");
  EXPECT_EQ(e.cause,
            "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope:$LATEST "
            "(Service: AWSLambda; Status Code: 404; Error Code: ResourceNotFoundException; "
            "Request ID: rid-1; Proxy: null)");
  EXPECT_EQ(Err(RunTask(service, kArn, "{}")).error, "Lambda.ResourceNotFoundException");
  invoker.answer = InvokeError{429, "TooManyRequestsException", "Rate Exceeded.", "rid-2"};
  EXPECT_EQ(Err(RunTask(service, kArn, "{}")).error, "Lambda.TooManyRequestsException");
  e = Err(RunTask(service, "arn:aws:states:::aws-sdk:lambda:invoke", R"({"FunctionName":"f"})"));
  EXPECT_EQ(e.error, "Lambda.TooManyRequestsException");
  EXPECT_EQ(e.cause, "Rate Exceeded. (Service: Lambda, Status Code: 429, Request ID: rid-2)");
}

}  // namespace
}  // namespace stepfn::lambda
