#include "api/sigv4.h"

#include <gtest/gtest.h>

#include "api/raw_client_testing.h"
#include "json/parse.h"

namespace stepfn::api {
namespace {

constexpr char kExampleSecret[] = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";

EpochMillis At(const char* amz_date) { return *ParseAmzDate(amz_date); }

const std::string& Code(const AwsOr<CallerIdentity>& outcome) {
  static const std::string kOk = "OK";
  if (const auto* error = std::get_if<AwsError>(&outcome)) return error->code;
  return kOk;
}
std::string Message(const AwsOr<CallerIdentity>& outcome) {
  if (const auto* error = std::get_if<AwsError>(&outcome)) return error->message;
  return "";
}

Credentials ExampleKeys() {
  auto credentials = Credentials::FromList(
      {{"AKIDEXAMPLE", kExampleSecret, ""}, {"AKIDTOKEN", kExampleSecret, "the-token"}});
  STEPFN_CHECK(credentials.ok());
  return std::move(credentials).value();
}

// A Step Functions request signed by SignRequest at `when`.
HttpRequest SignedSfnRequest(const char* when, const Credential& credential,
                             std::string body = R"({"maxResults":10})") {
  HttpRequest request;
  request.method = "POST";
  request.target = "/";
  request.headers = {{"Host", "127.0.0.1:8083"},
                     {"X-Amz-Target", "AWSStepFunctions.ListStateMachines"},
                     {"Content-Type", "application/x-amz-json-1.0"}};
  request.body = std::move(body);
  SignRequest(&request, credential, "us-east-1", "states", At(when),
              {"content-type", "x-amz-target"});
  return request;
}

void SetHeader(HttpRequest* request, std::string_view name, std::string value) {
  for (auto& [key, v] : request->headers) {
    if (key == name) {
      v = std::move(value);
      return;
    }
  }
  request->headers.emplace_back(std::string(name), std::move(value));
}

TEST(SigV4, Hashes) {
  EXPECT_EQ(Sha256Hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  EXPECT_EQ(HexEncode(HmacSha256("key", "The quick brown fox jumps over the lazy dog")),
            "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
}

TEST(SigV4, SigningKeyMatchesAwsDocumentation) {
  // The derivation example from AWS's SigV4 documentation.
  EXPECT_EQ(HexEncode(SigningKey(kExampleSecret, "20120215", "us-east-1", "iam")),
            "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4, GetVanilla) {
  // The "get-vanilla" case of AWS's SigV4 test suite (values checked with botocore).
  HttpRequest request;
  request.method = "GET";
  request.target = "/";
  request.headers = {{"Host", "example.amazonaws.com"}, {"X-Amz-Date", "20150830T123600Z"}};
  std::string canonical = CanonicalRequest(request, {"host", "x-amz-date"}, Sha256Hex(""));
  EXPECT_EQ(canonical,
            "GET\n/\n\nhost:example.amazonaws.com\nx-amz-date:20150830T123600Z\n\n"
            "host;x-amz-date\n"
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  std::string to_sign =
      StringToSign("20150830T123600Z", "20150830/us-east-1/service/aws4_request", canonical);
  EXPECT_EQ(HexEncode(HmacSha256(SigningKey(kExampleSecret, "20150830", "us-east-1", "service"),
                                 to_sign)),
            "5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");

  request.headers.emplace_back(
      "Authorization",
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, "
      "SignedHeaders=host;x-amz-date, "
      "Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31");
  SigV4Options options;
  options.service = "service";
  auto outcome = Authenticate(request, ExampleKeys(), options, At("20150830T124000Z"));
  ASSERT_EQ(Code(outcome), "OK") << Message(outcome);
  EXPECT_EQ(std::get<CallerIdentity>(outcome).region, "us-east-1");
  EXPECT_EQ(std::get<CallerIdentity>(outcome).access_key_id, "AKIDEXAMPLE");
}

TEST(SigV4, StepFunctionsPostSignedByBotocore) {
  // botocore's signature for this request at 20150830T123600Z (see testdata/botocore_sign.py).
  HttpRequest request;
  request.method = "POST";
  request.target = "/";
  request.body = R"({"a":1})";
  request.headers = {
      {"Host", "example.amazonaws.com"},
      {"X-Amz-Target", "AWSStepFunctions.ListStateMachines"},
      {"Content-Type", "application/x-amz-json-1.0"},
      {"X-Amz-Date", "20150830T123600Z"},
      {"Authorization",
       "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/states/aws4_request, "
       "SignedHeaders=content-type;host;x-amz-date;x-amz-target, "
       "Signature=c93956726e232c70168edded1ebd819346699110ee588c25fd55c68a4260730b"}};
  EXPECT_EQ(Code(Authenticate(request, ExampleKeys(), {}, At("20150830T123600Z"))), "OK");
  request.body = R"({"a":2})";
  auto tampered = Authenticate(request, ExampleKeys(), {}, At("20150830T123600Z"));
  EXPECT_EQ(Code(tampered), "InvalidSignatureException");
  EXPECT_NE(Message(tampered).find("The request signature we calculated does not match"),
            std::string::npos);
  EXPECT_NE(Message(tampered).find("The Canonical String for this request should have been"),
            std::string::npos);
}

TEST(SigV4, CanonicalUriAndQuery) {
  EXPECT_EQ(CanonicalUri(""), "/");
  EXPECT_EQ(CanonicalUri("/"), "/");
  EXPECT_EQ(CanonicalUri("//a/./b/../c/"), "/a/c/");
  EXPECT_EQ(CanonicalUri("/foo%20bar"), "/foo%2520bar");  // encoded once more
  EXPECT_EQ(CanonicalUri("/a b*"), "/a%20b%2A");
  EXPECT_EQ(CanonicalQuery(""), "");
  EXPECT_EQ(CanonicalQuery("b=2&a=1&a=0&c"), "a=0&a=1&b=2&c=");
  EXPECT_EQ(CanonicalQuery("k=a%20b&x=a+b&y=%7e"), "k=a%20b&x=a%2Bb&y=~");
}

TEST(SigV4, AmzDates) {
  EXPECT_EQ(FormatAmzDate(0), "19700101T000000Z");
  EXPECT_EQ(*ParseAmzDate("20150830T123600Z"), 1440938160000);
  EXPECT_EQ(FormatAmzDate(1440938160000), "20150830T123600Z");
  EXPECT_FALSE(ParseAmzDate("2015-08-30T12:36:00Z").ok());
  EXPECT_FALSE(ParseAmzDate("20151330T123600Z").ok());
  EXPECT_FALSE(ParseAmzDate("").ok());
}

TEST(SigV4, SignThenVerify) {
  Credentials keys = ExampleKeys();
  HttpRequest request = SignedSfnRequest("20240102T030405Z", *keys.Find("AKIDEXAMPLE"));
  EXPECT_EQ(Code(Authenticate(request, keys, {}, At("20240102T030405Z"))), "OK");
  HttpRequest with_token = SignedSfnRequest("20240102T030405Z", *keys.Find("AKIDTOKEN"));
  EXPECT_EQ(Code(Authenticate(with_token, keys, {}, At("20240102T030405Z"))), "OK");
}

TEST(SigV4, Skew) {
  Credentials keys = ExampleKeys();
  HttpRequest request = SignedSfnRequest("20240102T030000Z", *keys.Find("AKIDEXAMPLE"));
  EXPECT_EQ(Code(Authenticate(request, keys, {}, At("20240102T031500Z"))), "OK");  // 15 min
  EXPECT_EQ(Code(Authenticate(request, keys, {}, At("20240102T024500Z"))), "OK");
  auto expired = Authenticate(request, keys, {}, At("20240102T031501Z"));
  EXPECT_EQ(Code(expired), "InvalidSignatureException");
  EXPECT_EQ(Message(expired),
            "Signature expired: 20240102T030000Z is now earlier than 20240102T030001Z "
            "(20240102T031501Z - 15 min.)");
  auto future = Authenticate(request, keys, {}, At("20240102T024459Z"));
  EXPECT_EQ(Code(future), "InvalidSignatureException");
  EXPECT_EQ(Message(future),
            "Signature not yet current: 20240102T030000Z is still later than 20240102T025959Z "
            "(20240102T024459Z + 15 min.)");
}

TEST(SigV4, UnknownKeyAndWrongSecretAndTokens) {
  Credentials keys = ExampleKeys();
  const char* when = "20240102T030405Z";
  auto unknown = Authenticate(SignedSfnRequest(when, {"NOSUCHKEY", "x", ""}), keys, {}, At(when));
  EXPECT_EQ(Code(unknown), "UnrecognizedClientException");
  EXPECT_EQ(Message(unknown), "The security token included in the request is invalid.");
  auto wrong_secret =
      Authenticate(SignedSfnRequest(when, {"AKIDEXAMPLE", "wrong", ""}), keys, {}, At(when));
  EXPECT_EQ(Code(wrong_secret), "InvalidSignatureException");
  // A key with a session token needs it; a key without one refuses one.
  EXPECT_EQ(Code(Authenticate(SignedSfnRequest(when, {"AKIDTOKEN", kExampleSecret, ""}), keys, {},
                              At(when))),
            "UnrecognizedClientException");
  EXPECT_EQ(Code(Authenticate(SignedSfnRequest(when, {"AKIDTOKEN", kExampleSecret, "other"}), keys,
                              {}, At(when))),
            "UnrecognizedClientException");
  EXPECT_EQ(Code(Authenticate(SignedSfnRequest(when, {"AKIDEXAMPLE", kExampleSecret, "t"}), keys,
                              {}, At(when))),
            "UnrecognizedClientException");
}

TEST(SigV4, MalformedAuthorization) {
  Credentials keys = ExampleKeys();
  const char* when = "20240102T030405Z";
  HttpRequest request = SignedSfnRequest(when, *keys.Find("AKIDEXAMPLE"));
  auto with_auth = [&](std::string value) {
    HttpRequest copy = request;
    SetHeader(&copy, "Authorization", std::move(value));
    return Authenticate(copy, keys, {}, At(when));
  };
  auto missing = with_auth(
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-east-1/states/"
      "aws4_request");
  EXPECT_EQ(Code(missing), "IncompleteSignatureException");
  EXPECT_NE(Message(missing).find("Authorization header requires 'Signature' parameter."),
            std::string::npos);
  EXPECT_NE(Message(missing).find("Authorization header requires 'SignedHeaders' parameter."),
            std::string::npos);
  EXPECT_EQ(Code(with_auth("AWS4-HMAC-SHA512 Credential=a/b/c/d/e, SignedHeaders=host, "
                           "Signature=00")),
            "IncompleteSignatureException");
  EXPECT_EQ(Code(with_auth("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-east-1, "
                           "SignedHeaders=host, Signature=00")),
            "IncompleteSignatureException");
  EXPECT_EQ(Code(with_auth("AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-east-1/states/"
                           "aws4_request, SignedHeaders=x-amz-date, Signature=00")),
            "IncompleteSignatureException");  // host not signed
  auto other_service = with_auth(
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240102/us-east-1/dynamodb/aws4_request, "
      "SignedHeaders=host;x-amz-date, Signature=00");
  EXPECT_EQ(Code(other_service), "InvalidSignatureException");
  EXPECT_EQ(Message(other_service), "Credential should be scoped to correct service: 'states'. ");
  auto other_date = with_auth(
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20240101/us-east-1/states/aws4_request, "
      "SignedHeaders=host;x-amz-date, Signature=00");
  EXPECT_EQ(Code(other_date), "InvalidSignatureException");
  EXPECT_NE(Message(other_date).find("'20240101' != '20240102'"), std::string::npos);
  EXPECT_EQ(Code(with_auth("garbage")), "IncompleteSignatureException");
  EXPECT_EQ(Code(with_auth("")), "IncompleteSignatureException");

  HttpRequest no_auth = request;
  std::erase_if(no_auth.headers, [](const auto& h) { return h.first == "Authorization"; });
  EXPECT_EQ(Code(Authenticate(no_auth, keys, {}, At(when))), "MissingAuthenticationTokenException");
  HttpRequest no_date = request;
  std::erase_if(no_date.headers, [](const auto& h) { return h.first == "X-Amz-Date"; });
  EXPECT_EQ(Code(Authenticate(no_date, keys, {}, At(when))), "IncompleteSignatureException");
  HttpRequest bad_date = request;
  SetHeader(&bad_date, "X-Amz-Date", "yesterday");
  EXPECT_EQ(Code(Authenticate(bad_date, keys, {}, At(when))), "IncompleteSignatureException");
}

TEST(SigV4, AllowAllAcceptsAnythingAndReadsTheScope) {
  Credentials any = Credentials::AllowAll();
  EXPECT_FALSE(any.verify_signatures());
  HttpRequest request = SignedSfnRequest("20240102T030405Z", {"whoever", "whatever", ""});
  auto outcome = Authenticate(request, any, {}, At("20300101T000000Z"));  // expired: ignored
  ASSERT_EQ(Code(outcome), "OK");
  EXPECT_EQ(std::get<CallerIdentity>(outcome).access_key_id, "whoever");
  EXPECT_EQ(std::get<CallerIdentity>(outcome).region, "us-east-1");
  HttpRequest bare;
  bare.method = "POST";
  EXPECT_EQ(Code(Authenticate(bare, any, {}, 0)), "OK");
}

TEST(SigV4, CredentialsFromJson) {
  auto ok = Credentials::FromJson(
      R"([{"accessKeyId":"A","secretAccessKey":"s"},{"accessKeyId":"B","secretAccessKey":"t","sessionToken":"x"}])");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_TRUE(ok->verify_signatures());
  ASSERT_NE(ok->Find("B"), nullptr);
  EXPECT_EQ(ok->Find("B")->session_token, "x");
  EXPECT_EQ(ok->Find("C"), nullptr);
  EXPECT_FALSE(Credentials::FromJson("{}").ok());
  EXPECT_FALSE(Credentials::FromJson("[]").ok());
  EXPECT_FALSE(Credentials::FromJson("[1]").ok());
  EXPECT_FALSE(Credentials::FromJson(R"([{"accessKeyId":"A"}])").ok());
  EXPECT_FALSE(
      Credentials::FromJson(
          R"([{"accessKeyId":"A","secretAccessKey":"s"},{"accessKeyId":"A","secretAccessKey":"t"}])")
          .ok());
  EXPECT_FALSE(Credentials::FromJson("not json").ok());
  EXPECT_EQ(Credentials::LoadFile("/nonexistent/keys.json").status().code(), StatusCode::NotFound);
}

// Requests signed by botocore itself (a path with dot segments and escapes, a query, a session
// token, another region, header values with runs of spaces) verify; a changed byte does not.
TEST(SigV4, RequestsSignedByBotocore) {
  if (!testing::PythonHas("botocore")) GTEST_SKIP() << "python3 with botocore is not available";
  testing::CommandResult run =
      testing::RunCommand("python3 " STEPFN_API_TESTDATA "/botocore_sign.py");
  ASSERT_EQ(run.exit_code, 0) << run.output;
  auto parsed = json::Parse(run.output);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  auto keys = Credentials::FromList({{"AKIDTEST", "secret/with+chars", ""}});
  ASSERT_TRUE(keys.ok());
  auto keys_with_token = Credentials::FromList({{"AKIDTEST", "secret/with+chars", "TOKEN/abc=="}});
  ASSERT_TRUE(keys_with_token.ok());
  ASSERT_EQ(parsed->size(), 7u);
  for (const json::Value& item : parsed->items()) {
    std::string name = item.find("name")->as_string();
    HttpRequest request;
    request.method = item.find("method")->as_string();
    request.target = item.find("target")->as_string();
    request.body = item.find("body")->as_string();
    for (const json::Value& header : item.find("headers")->items()) {
      request.headers.emplace_back(header.at(0)->as_string(), header.at(1)->as_string());
    }
    EpochMillis signed_at = *ParseAmzDate(*request.FindHeader("X-Amz-Date"));
    const Credentials& credentials = name == "session_token" ? *keys_with_token : *keys;
    auto outcome = Authenticate(request, credentials, {}, signed_at + 1000);
    EXPECT_EQ(Code(outcome), "OK") << name << ": " << Message(outcome);
    if (name == "other_region" && Code(outcome) == "OK") {
      EXPECT_EQ(std::get<CallerIdentity>(outcome).region, "eu-west-3");
    }
    HttpRequest changed = request;
    changed.target += changed.target.find('?') == std::string::npos ? "?extra=1" : "&extra=1";
    EXPECT_EQ(Code(Authenticate(changed, credentials, {}, signed_at)), "InvalidSignatureException")
        << name;
  }
}

}  // namespace
}  // namespace stepfn::api
