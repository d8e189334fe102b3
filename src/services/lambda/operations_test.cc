#include "services/lambda/operations.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <mutex>

#include "json/parse.h"
#include "json/write.h"
#include "services/lambda/testing_zip.h"

namespace stepfn::lambda {
namespace {

using testing::MakeZip;
using testing::TempDir;

// Answers every invocation with the version run, the code's `bootstrap` and the payload.
class FakeRunner final : public FunctionRunner {
 public:
  void Run(std::shared_ptr<const FunctionConfig> config, InvokeRequest request,
           InvokeDone done) override {
    InvokeResponse response;
    json::ObjectBuilder out;
    out.Append("version", json::Value::String(config->version));
    out.Append("code", json::Value::String(testing::ReadFile(config->code_dir + "/bootstrap")));
    out.Append("payload", json::Value::String(request.payload));
    out.Append("timeout", json::Value::Int(config->timeout_seconds));
    response.payload = json::Write(std::move(out).Build());
    response.executed_version = config->version;
    if (request.payload == "{\"fail\":true}") response.function_error = "Unhandled";
    if (request.log_tail) response.log_result = "bG9n";
    {
      std::lock_guard lock(mu_);
      ++runs_;
    }
    done(std::move(response));
  }
  void Retire(const std::string& arn, const std::string& version) override {
    std::lock_guard lock(mu_);
    retired_.push_back(arn + "#" + version);
  }
  int runs() {
    std::lock_guard lock(mu_);
    return runs_;
  }
  std::vector<std::string> retired() {
    std::lock_guard lock(mu_);
    return retired_;
  }

 private:
  std::mutex mu_;
  int runs_ = 0;
  std::vector<std::string> retired_;
};

class LambdaApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto store = FunctionStore::Open({.dir = dir_.path(), .fsync = false});
    ASSERT_TRUE(store.ok());
    store_ = std::move(store).value();
    service_ = std::make_unique<LambdaService>(store_.get(), &runner_, LambdaServiceOptions{});
  }

  struct Answer {
    int status = 0;
    json::Value body;
    std::string raw;
    std::string code;  // error code, "" on success
    std::string message;
    api::HttpHeaders headers;
    std::string Header(const std::string& name) const {
      for (const auto& [key, value] : headers) {
        if (key == name) return value;
      }
      return "";
    }
  };

  Answer Call(const std::string& operation, ApiParameters labels, std::string body = "",
              ApiParameters query = {}, api::HttpHeaders headers = {}) {
    ApiRequest request;
    request.labels = std::move(labels);
    request.query = std::move(query);
    request.headers = std::move(headers);
    request.body = std::move(body);
    for (const ApiOperation& op : LambdaApiOperations()) {
      if (op.name != operation) continue;
      ApiOutcome outcome;
      if (op.sync != nullptr) {
        outcome = op.sync(service_.get(), request);
      } else {
        bool answered = false;
        op.async(service_.get(), request, [&](ApiOutcome o) {
          outcome = std::move(o);
          answered = true;
        });
        EXPECT_TRUE(answered);
      }
      Answer answer;
      if (auto* error = std::get_if<api::AwsError>(&outcome)) {
        answer.status = error->http_status;
        answer.code = error->code;
        answer.message = error->message;
        return answer;
      }
      ApiResponse& response = std::get<ApiResponse>(outcome);
      answer.status = response.status;
      answer.raw = response.body;
      answer.headers = response.headers;
      if (!response.body.empty()) {
        auto parsed = json::Parse(response.body);
        if (parsed.ok()) answer.body = *parsed;
      }
      return answer;
    }
    ADD_FAILURE() << "no operation " << operation;
    return {};
  }

  std::string CreateBody(const std::string& name, const std::string& script,
                         const std::string& extra = "") {
    std::string zip = Base64Encode(MakeZip({{"bootstrap", script, 0100755}}));
    return R"({"FunctionName":")" + name +
           R"(","Role":"arn:aws:iam::123456789012:role/r","Runtime":"provided.al2023",)" +
           R"("Handler":"bootstrap","Code":{"ZipFile":")" + zip + "\"}" + extra + "}";
  }

  static std::string Str(const json::Value& v, std::string_view key) {
    const json::Value* member = v.find(key);
    return member != nullptr && member->is_string() ? member->as_string() : "<missing>";
  }

  TempDir dir_;
  FakeRunner runner_;
  std::unique_ptr<FunctionStore> store_;
  std::unique_ptr<LambdaService> service_;
};

TEST_F(LambdaApiTest, CreateGetListUpdateDelete) {
  Answer created = Call("CreateFunction", {}, CreateBody("f1", "v1", R"(,"Timeout":7)"));
  ASSERT_EQ(created.status, 201) << created.code << " " << created.message;
  EXPECT_EQ(Str(created.body, "FunctionArn"), "arn:aws:lambda:us-east-1:123456789012:function:f1");
  EXPECT_EQ(Str(created.body, "State"), "Active");
  EXPECT_EQ(Str(created.body, "LastUpdateStatus"), "Successful");
  EXPECT_EQ(Str(created.body, "Version"), "$LATEST");
  EXPECT_EQ(created.body.find("Timeout")->as_int(), 7);

  Answer again = Call("CreateFunction", {}, CreateBody("f1", "v1"));
  EXPECT_EQ(again.status, 409);
  EXPECT_EQ(again.code, "ResourceConflictException");
  EXPECT_EQ(again.message, "Function already exist: f1");

  for (std::string name :
       {"f1", "123456789012:function:f1", "arn:aws:lambda:us-east-1:123456789012:function:f1"}) {
    Answer got = Call("GetFunction", {{"FunctionName", name}});
    ASSERT_EQ(got.status, 200) << name << " " << got.message;
    EXPECT_EQ(Str(*got.body.find("Configuration"), "FunctionName"), "f1");
  }
  Answer missing = Call("GetFunction", {{"FunctionName", "nope"}});
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.code, "ResourceNotFoundException");
  EXPECT_EQ(missing.message,
            "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope");

  for (int i = 2; i <= 5; ++i) {
    ASSERT_EQ(Call("CreateFunction", {}, CreateBody("f" + std::to_string(i), "x")).status, 201);
  }
  std::vector<std::string> names;
  std::string marker;
  do {
    ApiParameters query = {{"MaxItems", "2"}};
    if (!marker.empty()) query.push_back({"Marker", marker});
    Answer page = Call("ListFunctions", {}, "", query);
    ASSERT_EQ(page.status, 200) << page.message;
    for (const json::Value& f : page.body.find("Functions")->items()) {
      names.push_back(Str(f, "FunctionName"));
    }
    marker = page.body.find("NextMarker") ? Str(page.body, "NextMarker") : "";
  } while (!marker.empty());
  EXPECT_EQ(names, (std::vector<std::string>{"f1", "f2", "f3", "f4", "f5"}));

  Answer code =
      Call("UpdateFunctionCode", {{"FunctionName", "f1"}},
           R"({"ZipFile":")" + Base64Encode(MakeZip({{"bootstrap", "v2", 0100755}})) + "\"}");
  ASSERT_EQ(code.status, 200) << code.message;
  EXPECT_NE(Str(code.body, "CodeSha256"), Str(created.body, "CodeSha256"));
  Answer config = Call("UpdateFunctionConfiguration", {{"FunctionName", "f1"}},
                       R"({"Timeout":9,"Environment":{"Variables":{"K":"V"}}})");
  ASSERT_EQ(config.status, 200) << config.message;
  EXPECT_EQ(config.body.find("Timeout")->as_int(), 9);
  EXPECT_EQ(Str(*config.body.find("Environment")->find("Variables"), "K"), "V");
  EXPECT_EQ(runner_.retired().size(), 2u);

  Answer invoked = Call("Invoke", {{"FunctionName", "f1"}}, R"({"a":1})");
  ASSERT_EQ(invoked.status, 200) << invoked.message;
  EXPECT_EQ(Str(invoked.body, "code"), "v2");
  EXPECT_EQ(invoked.body.find("timeout")->as_int(), 9);
  EXPECT_EQ(invoked.Header("X-Amz-Executed-Version"), "$LATEST");

  EXPECT_EQ(Call("DeleteFunction", {{"FunctionName", "f1"}}).status, 204);
  EXPECT_EQ(Call("DeleteFunction", {{"FunctionName", "f1"}}).status, 404);
  EXPECT_EQ(Call("Invoke", {{"FunctionName", "f1"}}).message,
            "Function not found: arn:aws:lambda:us-east-1:123456789012:function:f1:$LATEST");
}

TEST_F(LambdaApiTest, VersionsAliasesAndQualifiers) {
  ASSERT_EQ(Call("CreateFunction", {}, CreateBody("f", "one", R"(,"Publish":true)")).status, 201);
  ASSERT_EQ(Call("UpdateFunctionCode", {{"FunctionName", "f"}},
                 R"({"ZipFile":")" + Base64Encode(MakeZip({{"bootstrap", "two", 0100755}})) + "\"}")
                .status,
            200);
  Answer v2 = Call("PublishVersion", {{"FunctionName", "f"}}, R"({"Description":"second"})");
  ASSERT_EQ(v2.status, 201) << v2.message;
  EXPECT_EQ(Str(v2.body, "Version"), "2");
  EXPECT_EQ(Str(v2.body, "FunctionArn"), "arn:aws:lambda:us-east-1:123456789012:function:f:2");
  // Nothing changed since: the same version again.
  EXPECT_EQ(Str(Call("PublishVersion", {{"FunctionName", "f"}}, R"({"Description":"second"})").body,
                "Version"),
            "2");
  Answer versions = Call("ListVersionsByFunction", {{"FunctionName", "f"}});
  ASSERT_EQ(versions.body.find("Versions")->size(), 3u);

  Answer alias =
      Call("CreateAlias", {{"FunctionName", "f"}}, R"({"Name":"live","FunctionVersion":"1"})");
  ASSERT_EQ(alias.status, 201) << alias.message;
  EXPECT_EQ(Str(alias.body, "AliasArn"), "arn:aws:lambda:us-east-1:123456789012:function:f:live");
  EXPECT_EQ(
      Call("CreateAlias", {{"FunctionName", "f"}}, R"({"Name":"live","FunctionVersion":"1"})").code,
      "ResourceConflictException");
  EXPECT_EQ(
      Call("CreateAlias", {{"FunctionName", "f"}}, R"({"Name":"x","FunctionVersion":"9"})").status,
      404);
  EXPECT_EQ(
      Call("CreateAlias", {{"FunctionName", "f"}}, R"({"Name":"12","FunctionVersion":"1"})").code,
      "ValidationException");

  auto run = [&](const std::string& name, const std::string& qualifier = "") {
    ApiParameters query;
    if (!qualifier.empty()) query.push_back({"Qualifier", qualifier});
    return Call("Invoke", {{"FunctionName", name}}, "", query);
  };
  EXPECT_EQ(Str(run("f").body, "code"), "two");
  EXPECT_EQ(Str(run("f", "1").body, "code"), "one");
  EXPECT_EQ(Str(run("f:live").body, "code"), "one");
  EXPECT_EQ(Str(run("arn:aws:lambda:us-east-1:123456789012:function:f:2").body, "code"), "two");
  EXPECT_EQ(run("f", "live").Header("X-Amz-Executed-Version"), "1");
  EXPECT_EQ(run("f:1", "2").code, "InvalidParameterValueException");
  EXPECT_EQ(run("f", "7").message,
            "Function not found: arn:aws:lambda:us-east-1:123456789012:function:f:7");
  EXPECT_EQ(run("f:nope").status, 404);

  ASSERT_EQ(
      Call("UpdateAlias", {{"FunctionName", "f"}, {"Name", "live"}}, R"({"FunctionVersion":"2"})")
          .status,
      200);
  EXPECT_EQ(Str(run("f:live").body, "code"), "two");
  EXPECT_EQ(
      Str(Call("GetAlias", {{"FunctionName", "f"}, {"Name", "live"}}).body, "FunctionVersion"),
      "2");
  EXPECT_EQ(Call("ListAliases", {{"FunctionName", "f"}}).body.find("Aliases")->size(), 1u);
  EXPECT_EQ(
      Str(Call("GetFunctionConfiguration", {{"FunctionName", "f"}}, "", {{"Qualifier", "live"}})
              .body,
          "Version"),
      "2");

  // A version an alias uses cannot be deleted.
  Answer refused = Call("DeleteFunction", {{"FunctionName", "f"}}, "", {{"Qualifier", "2"}});
  EXPECT_EQ(refused.code, "ResourceConflictException") << refused.message;
  EXPECT_EQ(Call("DeleteFunction", {{"FunctionName", "f"}}, "", {{"Qualifier", "1"}}).status, 204);
  EXPECT_EQ(run("f", "1").status, 404);
  EXPECT_EQ(Call("DeleteAlias", {{"FunctionName", "f"}, {"Name", "live"}}).status, 204);
  EXPECT_EQ(Call("GetAlias", {{"FunctionName", "f"}, {"Name", "live"}}).message,
            "Alias not found: arn:aws:lambda:us-east-1:123456789012:function:f:live");
}

TEST_F(LambdaApiTest, InvocationTypesAndErrors) {
  ASSERT_EQ(Call("CreateFunction", {}, CreateBody("f", "x")).status, 201);
  Answer dry =
      Call("Invoke", {{"FunctionName", "f"}}, "", {}, {{"X-Amz-Invocation-Type", "DryRun"}});
  EXPECT_EQ(dry.status, 204);
  EXPECT_EQ(runner_.runs(), 0);
  Answer event =
      Call("Invoke", {{"FunctionName", "f"}}, "{}", {}, {{"X-Amz-Invocation-Type", "Event"}});
  EXPECT_EQ(event.status, 202);
  EXPECT_EQ(runner_.runs(), 1);
  Answer failed =
      Call("Invoke", {{"FunctionName", "f"}}, R"({"fail":true})", {}, {{"X-Amz-Log-Type", "Tail"}});
  EXPECT_EQ(failed.status, 200);
  EXPECT_EQ(failed.Header("X-Amz-Function-Error"), "Unhandled");
  EXPECT_EQ(failed.Header("X-Amz-Log-Result"), "bG9n");
  EXPECT_EQ(Call("Invoke", {{"FunctionName", "f"}}, "not json").code,
            "InvalidRequestContentException");
  EXPECT_EQ(
      Call("Invoke", {{"FunctionName", "f"}}, std::string(kMaxInvokePayloadBytes + 1, ' ')).code,
      "RequestTooLargeException");
  EXPECT_EQ(Call("Invoke", {{"FunctionName", "f"}}, "", {}, {{"X-Amz-Client-Context", "!!"}}).code,
            "InvalidRequestContentException");
  EXPECT_EQ(Call("Invoke", {{"FunctionName", "bad name!"}}).code, "ValidationException");
  EXPECT_EQ(
      Call("Invoke", {{"FunctionName", "arn:aws:lambda:eu-west-1:123456789012:function:f"}}).status,
      404);
}

TEST_F(LambdaApiTest, CreateRefusals) {
  auto create = [&](const std::string& body) { return Call("CreateFunction", {}, body); };
  std::string zip = Base64Encode(MakeZip({{"bootstrap", "x", 0100755}}));
  std::string role = R"("Role":"arn:aws:iam::123456789012:role/r")";
  Answer runtime =
      create(R"({"FunctionName":"f",)" + role +
             R"(,"Runtime":"python9","Handler":"h","Code":{"ZipFile":")" + zip + "\"}}");
  EXPECT_EQ(runtime.code, "InvalidParameterValueException");
  EXPECT_EQ(runtime.message.rfind("Value python9 at 'runtime' failed to satisfy constraint: Member "
                                  "must satisfy enum value set: [nodejs, ",
                                  0),
            0u)
      << runtime.message;
  Answer handler = create(R"({"FunctionName":"f",)" + role +
                          R"(,"Runtime":"python3.12","Code":{"ZipFile":")" + zip + "\"}}");
  EXPECT_EQ(handler.code, "InvalidParameterValueException");
  EXPECT_EQ(handler.message,
            "Runtime and Handler are mandatory parameters for functions created with deployment "
            "packages.");
  Answer bad_zip =
      create(R"({"FunctionName":"f",)" + role +
             R"(,"Runtime":"python3.12","Handler":"a.b","Code":{"ZipFile":"aGVsbG8="}})");
  EXPECT_EQ(bad_zip.code, "InvalidParameterValueException");
  EXPECT_EQ(bad_zip.message, kCouldNotUnzip);
  Answer escape = create(R"({"FunctionName":"f",)" + role +
                         R"(,"Runtime":"python3.12","Handler":"a.b","Code":{"ZipFile":")" +
                         Base64Encode(MakeZip({{"../evil", "x"}})) + "\"}}");
  EXPECT_EQ(escape.code, "InvalidParameterValueException");
  Answer no_role = create(R"({"FunctionName":"f","Code":{}})");
  EXPECT_EQ(no_role.code, "ValidationException");
  Answer bad_role = create(R"({"FunctionName":"f","Role":"nope","Code":{}})");
  EXPECT_EQ(bad_role.code, "ValidationException");
  Answer timeout =
      create(R"({"FunctionName":"f",)" + role +
             R"(,"Runtime":"python3.12","Handler":"a.b","Timeout":901,"Code":{"ZipFile":")" + zip +
             "\"}}");
  EXPECT_EQ(timeout.message,
            "1 validation error detected: Value '901' at 'timeout' failed to satisfy constraint: "
            "Member must have value less than or equal to 900");
  Answer no_code = create(R"({"FunctionName":"f",)" + role +
                          R"(,"Runtime":"python3.12","Handler":"a.b","Code":{}})");
  EXPECT_EQ(no_code.message, "Please provide a source for function code.");
  Answer s3 =
      create(R"({"FunctionName":"f",)" + role +
             R"(,"Runtime":"python3.12","Handler":"a.b","Code":{"S3Bucket":"b","S3Key":"k"}})");
  EXPECT_EQ(s3.code, "InvalidParameterValueException");
  EXPECT_TRUE(store_->List().empty());
}

TEST_F(LambdaApiTest, FolderCodeAndConcurrency) {
  TempDir folder;
  { std::ofstream(folder.path() + "/bootstrap") << "from folder"; }
  Answer created =
      Call("CreateFunction", {},
           R"({"FunctionName":"local","Role":"arn:aws:iam::123456789012:role/r",)"
           R"("Runtime":"provided.al2023","Handler":"x","Code":{"S3Bucket":")" +
               std::string(kLocalCodeBucket) + R"(","S3Key":")" + folder.path() + "\"}}");
  ASSERT_EQ(created.status, 201) << created.message;
  EXPECT_EQ(Str(Call("Invoke", {{"FunctionName", "local"}}).body, "code"), "from folder");
  { std::ofstream(folder.path() + "/bootstrap") << "edited"; }
  EXPECT_EQ(Str(Call("Invoke", {{"FunctionName", "local"}}).body, "code"), "edited");

  EXPECT_EQ(Call("GetFunctionConcurrency", {{"FunctionName", "local"}}).raw, "{}");
  Answer put = Call("PutFunctionConcurrency", {{"FunctionName", "local"}},
                    R"({"ReservedConcurrentExecutions":5})");
  ASSERT_EQ(put.status, 200) << put.message;
  EXPECT_EQ(Call("GetFunctionConcurrency", {{"FunctionName", "local"}}).raw,
            R"({"ReservedConcurrentExecutions":5})");
  EXPECT_EQ(Call("PutFunctionConcurrency", {{"FunctionName", "local"}},
                 R"({"ReservedConcurrentExecutions":901})")
                .code,
            "InvalidParameterValueException");
  Answer settings = Call("GetAccountSettings", {});
  EXPECT_EQ(settings.body.find("AccountLimit")->find("UnreservedConcurrentExecutions")->as_int(),
            995);
  EXPECT_EQ(Call("DeleteFunctionConcurrency", {{"FunctionName", "local"}}).status, 204);
  EXPECT_EQ(Call("GetFunctionConcurrency", {{"FunctionName", "local"}}).raw, "{}");
}

}  // namespace
}  // namespace stepfn::lambda
