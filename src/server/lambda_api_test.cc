// The Lambda API of `stepfn serve` driven by real clients: boto3 (testdata/lambda_boto3.py)
// over a durable data directory, restarted in the middle; and the aws CLI.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>

#include "json/parse.h"
#include "json/write.h"
#include "server/server.h"
#include "server/testing.h"

namespace stepfn::server {
namespace {

using testing::At;
using testing::StrAt;

class ScratchDir {
 public:
  ScratchDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "stepfn-lambda-api-XXXXXX").string();
    STEPFN_CHECK(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~ScratchDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::unique_ptr<Server> StartServer(const std::string& data_dir, const std::string& auth_file = "",
                                    double time_scale = 1.0) {
  ServerOptions options;
  options.auth_file = auth_file;
  options.port = 0;
  options.data_dir = data_dir;
  options.fsync = false;
  options.http_threads = 2;
  options.workers = 2;
  options.time_scale = time_scale;
  auto server = Server::Start(options);
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  return server.ok() ? std::move(server).value() : nullptr;
}

// `aws lambda ARGS` against the server, stdout and stderr together.
testing::CommandResult LambdaCli(Server& server, const std::string& args) {
  return testing::RunCommand(testing::AwsCliEnvironment() + "aws lambda " + args +
                             " --endpoint-url " + server.endpoint() +
                             " --region us-east-1 --output json 2>&1");
}

TEST(LambdaApi, Boto3ScenarioAndRestart) {
  if (!testing::HasBoto3()) GTEST_SKIP() << "boto3 is not installed";
  ScratchDir data;
  ScratchDir scratch;
  {
    std::unique_ptr<Server> server = StartServer(data.path() + "/data");
    ASSERT_NE(server, nullptr);
    auto out = testing::RunPythonScript(testing::TestdataPath("lambda_boto3.py"),
                                        server->endpoint(), "main " + scratch.path());
    ASSERT_TRUE(out.ok()) << out.output;
    const json::Value& r = out.json;
    EXPECT_EQ(StrAt(r, {"created", "FunctionArn"}),
              "arn:aws:lambda:us-east-1:123456789012:function:fzip");
    EXPECT_EQ(StrAt(r, {"created", "State"}), "Active");
    EXPECT_EQ(StrAt(r, {"created", "LastUpdateStatus"}), "Successful");
    EXPECT_EQ(StrAt(r, {"created", "Timeout"}), "10");
    EXPECT_EQ(StrAt(r, {"get", "Variables", "GREETING"}), "hello");
    EXPECT_EQ(StrAt(r, {"code_fetched_same"}), "true");
    EXPECT_EQ(StrAt(r, {"code_sha_matches"}), "true");
    EXPECT_EQ(StrAt(r, {"invoke", "status"}), "200");
    EXPECT_EQ(StrAt(r, {"invoke", "version"}), "$LATEST");
    EXPECT_EQ(StrAt(r, {"invoke", "payload", "tag"}), "v1");
    EXPECT_EQ(StrAt(r, {"invoke", "payload", "greeting"}), "hello");
    EXPECT_EQ(StrAt(r, {"invoke", "payload", "event", "n"}), "1");
    EXPECT_NE(StrAt(r, {"tail", "log"}).find("handling"), std::string::npos) << out.output;
    EXPECT_EQ(StrAt(r, {"function_error", "error"}), "Unhandled");
    EXPECT_EQ(StrAt(r, {"function_error", "payload", "errorMessage"}), "boom");
    EXPECT_EQ(StrAt(r, {"event", "status"}), "202");
    EXPECT_EQ(StrAt(r, {"event_ran"}), "true");
    EXPECT_GT(At(r, {"big"})->as_int(), 9 * 1024 * 1024);
    EXPECT_EQ(StrAt(r, {"big_tag"}), "big");
    EXPECT_EQ(StrAt(r, {"dry_run", "status"}), "204");
    EXPECT_EQ(StrAt(r, {"after_code"}), "v2");
    EXPECT_EQ(StrAt(r, {"after_config"}), "bonjour");
    EXPECT_EQ(StrAt(r, {"v1"}), "1");
    EXPECT_EQ(StrAt(r, {"v2"}), "2");
    EXPECT_EQ(StrAt(r, {"by_version", "payload", "tag"}), "v3");
    EXPECT_EQ(StrAt(r, {"by_version", "version"}), "2");
    EXPECT_EQ(StrAt(r, {"by_version", "payload", "version"}), "2");
    EXPECT_EQ(StrAt(r, {"by_alias", "payload", "tag"}), "v2");
    EXPECT_EQ(StrAt(r, {"by_alias", "version"}), "1");
    EXPECT_EQ(StrAt(r, {"by_arn", "payload", "tag"}), "v3");
    EXPECT_EQ(StrAt(r, {"latest"}), "v4");
    EXPECT_EQ(StrAt(r, {"alias_moved"}), "v3");
    EXPECT_EQ(json::Write(*At(r, {"versions"})), R"(["$LATEST","1","2"])");
    EXPECT_EQ(json::Write(*At(r, {"aliases"})), R"(["live"])");
    EXPECT_EQ(StrAt(r, {"folder"}), "folder-1");
    EXPECT_EQ(StrAt(r, {"folder_edited"}), "folder-2");
    EXPECT_EQ(json::Write(*At(r, {"python"})), R"({"py":{"x":1}})");
    EXPECT_EQ(json::Write(*At(r, {"node"})), R"({"node":{"x":2}})");
    EXPECT_EQ(json::Write(*At(r, {"listed"})),
              R"(["ffolder","fnode","fpy","fzip","page0","page1","page2"])");
    EXPECT_EQ(StrAt(r, {"concurrency"}), "5");
    EXPECT_EQ(StrAt(r, {"account"}), "995");
    ASSERT_NE(At(r, {"concurrency_deleted"}), nullptr);
    EXPECT_TRUE(At(r, {"concurrency_deleted"})->is_null());
    EXPECT_EQ(StrAt(r, {"deleted"}), "ResourceNotFoundException");

    auto error = [&](std::string_view name) { return At(r, {"errors", name}); };
    auto code = [&](std::string_view name) { return StrAt(r, {"errors", name, "code"}); };
    auto message = [&](std::string_view name) { return StrAt(r, {"errors", name, "message"}); };
    ASSERT_NE(error("missing"), nullptr) << out.output;
    EXPECT_EQ(code("missing"), "ResourceNotFoundException");
    EXPECT_EQ(StrAt(r, {"errors", "missing", "status"}), "404");
    EXPECT_EQ(message("missing"),
              "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope");
    EXPECT_EQ(message("invoke_missing"),
              "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope:$LATEST");
    EXPECT_EQ(code("exists"), "ResourceConflictException");
    EXPECT_EQ(StrAt(r, {"errors", "exists", "status"}), "409");
    EXPECT_EQ(message("exists"), "Function already exist: fzip");
    EXPECT_EQ(code("bad_zip"), "InvalidParameterValueException");
    EXPECT_EQ(message("bad_zip"),
              "Could not unzip uploaded file. Please check your file, then try to upload again.");
    EXPECT_EQ(code("dot_dot"), "InvalidParameterValueException");
    EXPECT_EQ(code("symlink"), "InvalidParameterValueException");
    EXPECT_EQ(code("runtime"), "InvalidParameterValueException");
    EXPECT_EQ(
        message("runtime").rfind("Value cobol85 at 'runtime' failed to satisfy constraint", 0), 0u);
    EXPECT_EQ(code("handler"), "InvalidParameterValueException");
    EXPECT_EQ(message("no_code"), "Please provide a source for function code.");
    EXPECT_EQ(code("version_missing"), "ResourceNotFoundException");
    EXPECT_EQ(code("alias_missing"), "ResourceNotFoundException");
    EXPECT_EQ(code("delete_used_version"), "ResourceConflictException");
    EXPECT_EQ(code("payload"), "InvalidRequestContentException");
    EXPECT_EQ(code("oversized"), "InvalidParameterValueException");
    EXPECT_EQ(message("oversized"), "Unzipped size must be smaller than 262144000 bytes");
    server->Stop();
  }
  {
    std::unique_ptr<Server> server = StartServer(data.path() + "/data");
    ASSERT_NE(server, nullptr);
    auto out = testing::RunPythonScript(testing::TestdataPath("lambda_boto3.py"),
                                        server->endpoint(), "restart " + scratch.path());
    ASSERT_TRUE(out.ok()) << out.output;
    EXPECT_EQ(StrAt(out.json, {"get"}), "$LATEST");
    EXPECT_EQ(StrAt(out.json, {"alias"}), "2");
    EXPECT_EQ(StrAt(out.json, {"by_alias"}), "v3");
    EXPECT_EQ(StrAt(out.json, {"latest"}), "v4");
    EXPECT_EQ(StrAt(out.json, {"folder"}), "folder-2");
    EXPECT_EQ(json::Write(*At(out.json, {"listed"})),
              R"(["ffolder","fnode","fpy","fzip","page0","page1"])");
    server->Stop();
  }
}

TEST(LambdaApi, PoliciesAndTagsWithBoto3) {
  if (!testing::HasBoto3()) GTEST_SKIP() << "boto3 is not installed";
  ScratchDir data;
  ScratchDir scratch;
  const std::string arn = "arn:aws:lambda:us-east-1:123456789012:function:pol";
  {
    std::unique_ptr<Server> server = StartServer(data.path() + "/data");
    ASSERT_NE(server, nullptr);
    auto out = testing::RunPythonScript(testing::TestdataPath("lambda_policy_boto3.py"),
                                        server->endpoint(), "main " + scratch.path());
    ASSERT_TRUE(out.ok()) << out.output;
    const json::Value& r = out.json;
    EXPECT_EQ(StrAt(r, {"no_policy", "code"}), "ResourceNotFoundException") << out.output;
    EXPECT_EQ(StrAt(r, {"added_status"}), "201");
    EXPECT_EQ(
        json::Write(*At(r, {"added"})),
        R"({"Sid":"apigw","Effect":"Allow","Principal":{"Service":"apigateway.amazonaws.com"},)"
        R"("Action":"lambda:InvokeFunction","Resource":")" +
            arn +
            R"(","Condition":{"ArnLike":{"AWS:SourceArn":)"
            R"("arn:aws:execute-api:us-east-1:123456789012:abc/*/GET/x"}}})");
    EXPECT_EQ(StrAt(r, {"policy", "doc", "Version"}), "2012-10-17");
    EXPECT_EQ(StrAt(r, {"policy", "doc", "Statement", "1", "Principal", "AWS"}),
              "arn:aws:iam::210987654321:root");
    EXPECT_EQ(StrAt(r, {"policy", "doc", "Statement", "1", "Condition", "StringEquals",
                        "AWS:SourceAccount"}),
              "210987654321");
    EXPECT_FALSE(StrAt(r, {"policy", "revision"}).empty());
    EXPECT_EQ(StrAt(r, {"duplicate", "code"}), "ResourceConflictException");
    EXPECT_EQ(StrAt(r, {"duplicate", "message"}),
              "The statement id (apigw) provided already exists. Please provide a new statement "
              "id, or remove the existing statement.");
    EXPECT_EQ(StrAt(r, {"stale_revision", "code"}), "PreconditionFailedException");
    EXPECT_EQ(StrAt(r, {"bad_action", "code"}), "ValidationException");
    EXPECT_EQ(StrAt(r, {"bad_sid", "code"}), "ValidationException");
    EXPECT_EQ(StrAt(r, {"missing_function", "code"}), "ResourceNotFoundException");
    EXPECT_EQ(StrAt(r, {"missing_qualifier", "code"}), "ResourceNotFoundException");
    EXPECT_EQ(StrAt(r, {"alias_policy", "doc", "Statement", "0", "Resource"}), arn + ":live");
    EXPECT_EQ(StrAt(r, {"alias_policy", "doc", "Statement", "0", "Principal"}), "*");
    EXPECT_EQ(At(r, {"after_remove", "doc", "Statement"})->size(), 1u) << out.output;
    EXPECT_NE(StrAt(r, {"after_remove", "revision"}), StrAt(r, {"policy", "revision"}));
    EXPECT_EQ(StrAt(r, {"remove_missing", "code"}), "ResourceNotFoundException");
    EXPECT_EQ(StrAt(r, {"remove_missing", "message"}),
              "Statement acct is not found in resource policy.");
    EXPECT_EQ(json::Write(*At(r, {"tags"})), R"({"env":"dev","team":"b"})");
    EXPECT_EQ(json::Write(*At(r, {"untagged"})), R"({"team":"b"})");
    EXPECT_EQ(json::Write(*At(r, {"get_function_tags"})), R"({"team":"b"})");
    EXPECT_EQ(StrAt(r, {"tag_alias", "code"}), "InvalidParameterValueException");
    EXPECT_EQ(StrAt(r, {"tag_missing", "code"}), "ResourceNotFoundException");
    EXPECT_EQ(StrAt(r, {"too_many_tags", "code"}), "InvalidParameterValueException");
    EXPECT_EQ(StrAt(r, {"reserved_tag", "code"}), "InvalidParameterValueException");
    // A deleted alias takes its policy with it.
    EXPECT_EQ(StrAt(r, {"alias_policy_after_delete", "code"}), "ResourceNotFoundException");
    server->Stop();
  }
  std::unique_ptr<Server> server = StartServer(data.path() + "/data");
  ASSERT_NE(server, nullptr);
  auto out = testing::RunPythonScript(testing::TestdataPath("lambda_policy_boto3.py"),
                                      server->endpoint(), "restart " + scratch.path());
  ASSERT_TRUE(out.ok()) << out.output;
  EXPECT_EQ(StrAt(out.json, {"policy", "doc", "Statement", "0", "Sid"}), "apigw") << out.output;
  EXPECT_EQ(json::Write(*At(out.json, {"tags"})), R"({"team":"b"})");
  server->Stop();
}

// Event invocations are retried (MaximumRetryAttempts) and their records go to the destination
// function of the event invoke configuration; --time-scale 0 skips the minute between tries.
TEST(LambdaApi, EventInvokeConfigRetriesAndDestinationsWithBoto3) {
  if (!testing::HasBoto3()) GTEST_SKIP() << "boto3 is not installed";
  ScratchDir scratch;
  std::unique_ptr<Server> server = StartServer("", "", /*time_scale=*/0);
  ASSERT_NE(server, nullptr);
  auto out = testing::RunPythonScript(testing::TestdataPath("lambda_async_boto3.py"),
                                      server->endpoint(), scratch.path());
  ASSERT_TRUE(out.ok()) << out.output;
  const json::Value& r = out.json;
  const std::string arn = "arn:aws:lambda:us-east-1:123456789012:function:";
  EXPECT_EQ(StrAt(r, {"missing", "code"}), "ResourceNotFoundException") << out.output;
  EXPECT_EQ(StrAt(r, {"missing", "message"}),
            "The function " + arn + "flaky:$LATEST doesn't have an EventInvokeConfig");
  EXPECT_EQ(StrAt(r, {"update_missing", "code"}), "ResourceNotFoundException");
  EXPECT_EQ(StrAt(r, {"put", "FunctionArn"}), arn + "flaky:$LATEST");
  EXPECT_EQ(StrAt(r, {"put", "MaximumRetryAttempts"}), "1");
  EXPECT_EQ(StrAt(r, {"put", "MaximumEventAgeInSeconds"}), "21600");
  EXPECT_EQ(StrAt(r, {"put", "DestinationConfig", "OnFailure", "Destination"}), arn + "sink");
  EXPECT_EQ(StrAt(r, {"too_many_retries", "code"}), "ValidationException");
  EXPECT_EQ(StrAt(r, {"too_young", "code"}), "ValidationException");
  EXPECT_EQ(StrAt(r, {"bad_destination", "code"}), "InvalidParameterValueException");
  EXPECT_EQ(StrAt(r, {"updated", "age"}), "600");
  EXPECT_EQ(StrAt(r, {"updated", "retries"}), "2");
  EXPECT_EQ(StrAt(r, {"updated", "on_success"}), arn + "sink");
  EXPECT_EQ(json::Write(*At(r, {"listed"})), "[\"" + arn + "good:$LATEST\"]");
  EXPECT_EQ(StrAt(r, {"flaky_status"}), "202");
  // The first attempt and one retry, then the record of the failure.
  EXPECT_EQ(StrAt(r, {"attempts"}), "2");
  EXPECT_EQ(StrAt(r, {"failure_record", "requestContext", "condition"}), "RetriesExhausted");
  EXPECT_EQ(StrAt(r, {"failure_record", "requestContext", "approximateInvokeCount"}), "2");
  EXPECT_EQ(StrAt(r, {"failure_record", "requestContext", "functionArn"}), arn + "flaky:$LATEST");
  EXPECT_EQ(StrAt(r, {"failure_record", "requestPayload", "job"}), "1");
  EXPECT_EQ(StrAt(r, {"failure_record", "responseContext", "functionError"}), "Unhandled");
  EXPECT_EQ(StrAt(r, {"failure_record", "responsePayload", "errorType"}), "ValueError");
  EXPECT_EQ(StrAt(r, {"success_record", "requestContext", "condition"}), "Success");
  EXPECT_EQ(StrAt(r, {"success_record", "responsePayload", "seen", "job"}), "2");
  EXPECT_EQ(StrAt(r, {"deleted", "code"}), "ResourceNotFoundException");
  server->Stop();
}

TEST(LambdaApi, SigV4UnderAuth) {
  if (!testing::HasBoto3()) GTEST_SKIP() << "boto3 is not installed";
  ScratchDir scratch;
  std::string auth = scratch.path() + "/auth.json";
  {
    std::ofstream file(auth);
    file << R"([{"accessKeyId": "AKIDSTEPFN", "secretAccessKey": "s3cret"}])";
  }
  std::unique_ptr<Server> server = StartServer("", auth);
  ASSERT_NE(server, nullptr);
  auto out =
      testing::RunPythonScript(testing::TestdataPath("lambda_auth_boto3.py"), server->endpoint());
  ASSERT_TRUE(out.ok()) << out.output;
  EXPECT_EQ(StrAt(out.json, {"listed"}), "0");
  EXPECT_EQ(StrAt(out.json, {"wrong"}), "InvalidSignatureException");
  EXPECT_EQ(StrAt(out.json, {"status"}), "403");
  server->Stop();
}

TEST(LambdaApi, AwsCli) {
  if (!testing::HasAwsCli()) GTEST_SKIP() << "the aws CLI is not installed";
  if (testing::RunCommand("python3 --version >/dev/null 2>&1").exit_code != 0) {
    GTEST_SKIP() << "python3 is not installed";
  }
  ScratchDir scratch;
  std::unique_ptr<Server> server = StartServer("");
  ASSERT_NE(server, nullptr);
  {
    std::ofstream app(scratch.path() + "/app.py");
    app << "def handler(event, context):\n    return {'echo': event, 'from': 'python'}\n";
  }
  auto zip = testing::RunCommand("cd " + scratch.path() + " && zip -q app.zip app.py 2>&1");
  if (zip.exit_code != 0) GTEST_SKIP() << "zip is not installed: " << zip.output;
  auto cli = [&](const std::string& args) { return LambdaCli(*server, args); };
  auto created =
      cli("create-function --function-name py --runtime python3.12 --handler "
          "app.handler --role arn:aws:iam::123456789012:role/r --zip-file fileb://" +
          scratch.path() + "/app.zip");
  ASSERT_EQ(created.exit_code, 0) << created.output;
  EXPECT_NE(created.output.find("\"State\": \"Active\""), std::string::npos) << created.output;
  auto waited = cli("wait function-active-v2 --function-name py");
  EXPECT_EQ(waited.exit_code, 0) << waited.output;
  {
    std::ofstream payload(scratch.path() + "/in.json");
    payload << R"({"a": 1})";
  }
  // fileb:// reads the payload as bytes in both major versions of the CLI.
  auto invoked = cli("invoke --function-name py --payload fileb://" + scratch.path() + "/in.json " +
                     scratch.path() + "/out.json");
  ASSERT_EQ(invoked.exit_code, 0) << invoked.output;
  EXPECT_NE(invoked.output.find("\"StatusCode\": 200"), std::string::npos) << invoked.output;
  std::ifstream result(scratch.path() + "/out.json");
  std::string body((std::istreambuf_iterator<char>(result)), std::istreambuf_iterator<char>());
  EXPECT_EQ(body, R"({"echo": {"a": 1}, "from": "python"})");
  auto missing = cli("get-function --function-name nope");
  EXPECT_NE(missing.exit_code, 0);
  EXPECT_NE(missing.output.find("ResourceNotFoundException"), std::string::npos) << missing.output;
  auto listed = cli("list-functions");
  EXPECT_NE(listed.output.find("\"FunctionName\": \"py\""), std::string::npos) << listed.output;
  server->Stop();
}

// AWS's own runtime interface client for Node.js (npm aws-lambda-ric, installed by setup) runs
// unchanged as a `provided.al2023` function's bootstrap against stepfn's Runtime API.
TEST(LambdaApi, AwsNodeRuntimeInterfaceClient) {
  if (!testing::HasAwsCli()) GTEST_SKIP() << "the aws CLI is not installed";
  if (!testing::HasNode()) GTEST_SKIP() << "node is not installed";
  std::filesystem::path ric =
      std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / "node_modules" /
      "aws-lambda-ric" / "index.mjs";
  if (!std::filesystem::exists(ric)) GTEST_SKIP() << "npm aws-lambda-ric is not installed";
  ScratchDir scratch;
  {
    std::ofstream app(scratch.path() + "/app.mjs");
    app << "export const handler = async (event, context) => {\n"
           "  if (event.fail) return Promise.reject(new TypeError('asked to fail'));\n"
           "  return {echo: event, fn: context.functionName, id: context.awsRequestId};\n"
           "};\n";
    std::ofstream bootstrap(scratch.path() + "/bootstrap");
    bootstrap << "#!/bin/sh\nexec node " << ric.string() << " \"$_HANDLER\"\n";
  }
  std::filesystem::permissions(scratch.path() + "/bootstrap", std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::add);
  std::unique_ptr<Server> server = StartServer("");
  ASSERT_NE(server, nullptr);
  auto cli = [&](const std::string& args) { return LambdaCli(*server, args); };
  auto created =
      cli("create-function --function-name ric --runtime provided.al2023 --handler app.handler "
          "--role arn:aws:iam::123456789012:role/r --code S3Bucket=stepfn-local,S3Key=" +
          scratch.path());
  ASSERT_EQ(created.exit_code, 0) << created.output;
  auto invoke = [&](const std::string& payload, const std::string& out_file) {
    {
      std::ofstream in(scratch.path() + "/in.json");
      in << payload;
    }
    auto invoked = cli("invoke --function-name ric --payload fileb://" + scratch.path() +
                       "/in.json " + scratch.path() + "/" + out_file);
    std::ifstream result(scratch.path() + "/" + out_file);
    std::string body((std::istreambuf_iterator<char>(result)), std::istreambuf_iterator<char>());
    return std::make_pair(invoked, body);
  };
  auto [ok, ok_body] = invoke(R"({"a": 1})", "ok.json");
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  auto parsed = json::Parse(ok_body);
  ASSERT_TRUE(parsed.ok()) << ok_body;
  EXPECT_EQ(json::Write(*At(*parsed, {"echo"})), R"({"a":1})");
  EXPECT_EQ(StrAt(*parsed, {"fn"}), "ric");
  EXPECT_EQ(StrAt(*parsed, {"id"}).size(), 36u) << ok_body;
  auto [failed, failed_body] = invoke(R"({"fail": true})", "failed.json");
  ASSERT_EQ(failed.exit_code, 0) << failed.output;
  EXPECT_NE(failed.output.find("\"FunctionError\": \"Unhandled\""), std::string::npos)
      << failed.output;
  auto error = json::Parse(failed_body);
  ASSERT_TRUE(error.ok()) << failed_body;
  EXPECT_EQ(StrAt(*error, {"errorType"}), "TypeError");
  EXPECT_EQ(StrAt(*error, {"errorMessage"}), "asked to fail");
  server->Stop();
}

}  // namespace
}  // namespace stepfn::server
