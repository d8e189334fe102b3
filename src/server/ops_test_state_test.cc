// TestState driven with boto3 against a TestServer (testing.h): the answers as clients see them
// (output and inspectionData payloads as JSON text, statuses, nextState, errorDetails) and the
// refusals (shape violations, InvalidDefinition, TestState's own rules). The engine's behaviour
// in detail is tested in engine/test_state_test.cc.
#include <gtest/gtest.h>

#include "server/testing.h"
#include "services/models/service_models.h"

namespace stepfn::server {
namespace {

using namespace testing;

// A JSON text member parsed, or null.
json::Value Parsed(const json::Value& v, std::initializer_list<std::string_view> path) {
  const json::Value* at = At(v, path);
  if (at == nullptr || !at->is_string()) return json::Value();
  auto parsed = json::Parse(at->as_string());
  return parsed.ok() ? *parsed : json::Value();
}

json::Value J(std::string_view text) {
  auto parsed = json::Parse(text);
  EXPECT_TRUE(parsed.ok()) << text;
  return parsed.ok() ? *parsed : json::Value();
}

TEST(TestStateOperation, Boto3) {
  if (!HasBoto3()) GTEST_SKIP() << "boto3 is not installed";
  TestServer server;
  ScriptResult out = RunPythonScript(TestdataPath("test_state_boto3.py"), server.endpoint());
  ASSERT_TRUE(out.ok()) << out.output;
  const json::Value& o = out.json;

  EXPECT_EQ(StrAt(o, {"pass_debug", "response", "status"}), "SUCCEEDED") << out.output;
  EXPECT_EQ(StrAt(o, {"pass_debug", "response", "nextState"}), "After");
  EXPECT_EQ(Parsed(o, {"pass_debug", "response", "output"}),
            J(R"({"a": {"x": 1}, "r": {"b": 1}})"));
  EXPECT_EQ(Parsed(o, {"pass_debug", "response", "inspectionData", "afterInputPath"}),
            J(R"({"x": 1})"));
  EXPECT_EQ(Parsed(o, {"pass_debug", "response", "inspectionData", "afterParameters"}),
            J(R"({"b": 1})"));

  EXPECT_EQ(StrAt(o, {"task_result", "response", "status"}), "SUCCEEDED");
  EXPECT_EQ(Parsed(o, {"task_result", "response", "output"}), J(R"({"Payload": {"ok": true}})"));
  EXPECT_EQ(Parsed(o, {"task_result", "response", "inspectionData", "afterParameters"}),
            J(R"({"FunctionName": "f", "Payload": {"v": 1}})"));
  EXPECT_EQ(At(o, {"task_result", "response", "nextState"}), nullptr);
  // Checked against Lambda's model (botocore's data; absent, nothing is checked).
  if (models::ServiceModels::Default().Model("lambda") != nullptr) {
    EXPECT_EQ(StrAt(o, {"task_result_strict", "code"}), "ValidationException");
    EXPECT_EQ(StrAt(o, {"task_result_strict", "message"}),
              "Mock result schema validation error: Field 'Payload' must be a string");
  }
  EXPECT_EQ(StrAt(o, {"task_result_string", "response", "status"}), "SUCCEEDED");
  EXPECT_EQ(Parsed(o, {"task_result_string", "response", "output"}),
            J(R"({"Payload": "ok", "StatusCode": 200})"));

  EXPECT_EQ(StrAt(o, {"task_retriable", "response", "status"}), "RETRIABLE");
  EXPECT_EQ(StrAt(o, {"task_retriable", "response", "error"}), "Busy");
  EXPECT_EQ(StrAt(o, {"task_retriable", "response", "cause"}), "try later");
  EXPECT_EQ(StrAt(o, {"task_retriable", "response", "inspectionData", "errorDetails",
                      "retryBackoffIntervalSeconds"}),
            "4");
  EXPECT_EQ(
      StrAt(o, {"task_retriable", "response", "inspectionData", "errorDetails", "retryIndex"}),
      "0");

  EXPECT_EQ(StrAt(o, {"task_caught", "response", "status"}), "CAUGHT_ERROR");
  EXPECT_EQ(StrAt(o, {"task_caught", "response", "nextState"}), "Handler");
  EXPECT_EQ(Parsed(o, {"task_caught", "response", "output"}),
            J(R"({"v": 1, "err": {"Error": "Busy", "Cause": "try later"}})"));
  EXPECT_EQ(StrAt(o, {"task_caught", "response", "inspectionData", "errorDetails", "catchIndex"}),
            "0");

  EXPECT_EQ(StrAt(o, {"task_no_mock", "response", "status"}), "FAILED");
  EXPECT_EQ(StrAt(o, {"task_no_mock", "response", "error"}), "States.TaskFailed");
  EXPECT_EQ(StrAt(o, {"task_no_role", "code"}), "ValidationException");
  EXPECT_EQ(StrAt(o, {"task_no_role", "message"}),
            "RoleArn must be specified when testing a Task state");

  EXPECT_EQ(StrAt(o, {"state_name", "response", "nextState"}), "Big");
  EXPECT_EQ(StrAt(o, {"state_not_found", "message"}), "State not found in definition");
  EXPECT_EQ(StrAt(o, {"parallel_no_mock", "code"}), "InvalidDefinition");
  EXPECT_EQ(StrAt(o, {"pass_with_mock", "message"}),
            "State type 'Pass' is not supported when a mock is specified");
  EXPECT_EQ(StrAt(o, {"bad_mock_json", "message"}), "Mocked result must be valid JSON");
  EXPECT_EQ(StrAt(o, {"bad_definition", "code"}), "InvalidDefinition");
  EXPECT_EQ(StrAt(o, {"bad_definition", "status"}), "400");

  EXPECT_EQ(StrAt(o, {"no_definition", "code"}), "ValidationException");
  EXPECT_EQ(StrAt(o, {"no_definition", "message"}),
            "1 validation error detected: Value null at 'definition' failed to satisfy "
            "constraint: Member must not be null");
  EXPECT_EQ(StrAt(o, {"bad_level", "message"}),
            "1 validation error detected: Value 'LOUD' at 'inspectionLevel' failed to satisfy "
            "constraint: Member must satisfy enum value set: [INFO, DEBUG, TRACE]");
  EXPECT_EQ(StrAt(o, {"long_state_name", "code"}), "ValidationException");
  EXPECT_NE(StrAt(o, {"long_state_name", "message"}).find("'stateName'"), std::string::npos);
  EXPECT_NE(StrAt(o, {"negative_count", "message"})
                .find("'stateConfiguration.retrierRetryCount' failed to satisfy constraint: "
                      "Member must have value greater than or equal to 0"),
            std::string::npos)
      << StrAt(o, {"negative_count", "message"});
}

}  // namespace
}  // namespace stepfn::server
