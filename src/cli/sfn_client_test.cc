// SfnClient against a real server::Server on a loopback port.
#include "cli/sfn_client.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>

#include "api/http_server.h"
#include "json/parse.h"
#include "json/write.h"
#include "server/log.h"
#include "server/server.h"

namespace stepfn::cli {
namespace {

using json::Value;

constexpr const char* kRole = "arn:aws:iam::123456789012:role/stepfn-test";

std::unique_ptr<server::Server> StartServer(server::ServerOptions options = {}) {
  server::SetLogLevel(server::LogLevel::Error);
  options.port = 0;
  options.data_dir.clear();
  options.http_threads = 2;
  options.workers = 2;
  auto s = server::Server::Start(options);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(*s) : nullptr;
}

std::unique_ptr<SfnClient> ClientFor(const std::string& endpoint, SfnClientOptions options = {}) {
  options.endpoint = endpoint;
  auto c = SfnClient::Create(options);
  EXPECT_TRUE(c.ok()) << c.status().ToString();
  return c.ok() ? std::move(*c) : nullptr;
}

Value Obj(std::string_view text) {
  auto v = json::Parse(text);
  EXPECT_TRUE(v.ok()) << text;
  return v.ok() ? *v : Value();
}

std::string Str(const Value& v, std::string_view key) {
  const Value* m = v.find(key);
  return m != nullptr && m->is_string() ? m->as_string() : "";
}

Value CreateRequest(std::string_view name, std::string_view definition) {
  return Value::Object({{"name", Value::String(name)},
                        {"definition", Value::String(definition)},
                        {"roleArn", Value::String(kRole)}});
}

constexpr std::string_view kPass =
    R"({"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"x":1},"End":true}}})";

TEST(ParseEndpointTest, AcceptsHostAndPort) {
  auto ep = ParseEndpoint("http://127.0.0.1:8083");
  ASSERT_TRUE(ep.ok()) << ep.status().ToString();
  EXPECT_EQ(ep->host, "127.0.0.1");
  EXPECT_EQ(ep->port, 8083);
  EXPECT_EQ(ep->host_header, "127.0.0.1:8083");
  EXPECT_EQ(ep->url, "http://127.0.0.1:8083");

  ep = ParseEndpoint("http://localhost/");
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->host, "localhost");
  EXPECT_EQ(ep->port, 80);

  ep = ParseEndpoint("http://[::1]:9000");
  ASSERT_TRUE(ep.ok());
  EXPECT_EQ(ep->host, "::1");
  EXPECT_EQ(ep->host_header, "[::1]:9000");
}

TEST(ParseEndpointTest, RefusesWhatItCannotUse) {
  for (const char* bad : {"127.0.0.1:8083", "https://states.us-east-1.amazonaws.com", "http://",
                          "http://host:", "http://host:0", "http://host:70000", "http://host:80a",
                          "http://host:80/path", "http://host/path", "http://[::1", "ftp://host"}) {
    auto ep = ParseEndpoint(bad);
    EXPECT_FALSE(ep.ok()) << bad;
    if (!ep.ok()) {
      EXPECT_EQ(ep.status().code(), StatusCode::InvalidArgument) << bad;
      EXPECT_NE(ep.status().message().find(bad), std::string::npos) << ep.status().message();
    }
  }
}

TEST(SfnClientOptionsTest, ReadsTheEnvironment) {
  setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "SECRET", 1);
  setenv("AWS_SESSION_TOKEN", "TOKEN", 1);
  unsetenv("AWS_REGION");
  setenv("AWS_DEFAULT_REGION", "eu-west-3", 1);
  SfnClientOptions o = SfnClientOptionsFromEnv("http://h:1");
  EXPECT_EQ(o.endpoint, "http://h:1");
  EXPECT_EQ(o.credential.access_key_id, "AKID");
  EXPECT_EQ(o.credential.secret_access_key, "SECRET");
  EXPECT_EQ(o.credential.session_token, "TOKEN");
  EXPECT_EQ(o.region, "eu-west-3");
  setenv("AWS_REGION", "ap-south-1", 1);
  EXPECT_EQ(SfnClientOptionsFromEnv("").region, "ap-south-1");
  for (const char* name : {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                           "AWS_REGION", "AWS_DEFAULT_REGION"}) {
    unsetenv(name);
  }
  o = SfnClientOptionsFromEnv("");
  EXPECT_EQ(o.credential.access_key_id, "test");
  EXPECT_EQ(o.credential.secret_access_key, "test");
  EXPECT_EQ(o.credential.session_token, "");
  EXPECT_EQ(o.region, "us-east-1");
}

TEST(SfnClientTest, RunsAnExecutionThroughTheApi) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto client = ClientFor(server->endpoint());
  ASSERT_NE(client, nullptr);

  auto created = client->Call("CreateStateMachine", CreateRequest("m1", kPass));
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  std::string machine = Str(*created, "stateMachineArn");
  ASSERT_FALSE(machine.empty());

  auto started =
      client->Call("StartExecution", Value::Object({{"stateMachineArn", Value::String(machine)},
                                                    {"input", Value::String(R"({"in":true})")}}));
  ASSERT_TRUE(started.ok()) << started.status().ToString();
  std::string execution = Str(*started, "executionArn");
  ASSERT_FALSE(execution.empty());

  Value described;
  for (int i = 0; i < 500; ++i) {
    auto d = client->Call("DescribeExecution",
                          Value::Object({{"executionArn", Value::String(execution)}}));
    ASSERT_TRUE(d.ok()) << d.status().ToString();
    described = *d;
    if (Str(described, "status") != "RUNNING") break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(Str(described, "status"), "SUCCEEDED");
  EXPECT_EQ(Obj(Str(described, "output")), Obj(R"({"x":1})"));

  auto history = client->Call("GetExecutionHistory",
                              Value::Object({{"executionArn", Value::String(execution)}}));
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  const Value* events = history->find("events");
  ASSERT_NE(events, nullptr);
  ASSERT_TRUE(events->is_array());
  ASSERT_EQ(events->size(), 4u);
  EXPECT_EQ(Str(events->items()[0], "type"), "ExecutionStarted");
  EXPECT_EQ(Str(events->items()[3], "type"), "ExecutionSucceeded");
}

TEST(SfnClientTest, SyncExpressWithoutTheHostPrefix) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto client = ClientFor(server->endpoint());
  ASSERT_NE(client, nullptr);
  Value req = CreateRequest("express", kPass);
  json::ObjectBuilder b(req);
  b.Append("type", Value::String("EXPRESS"));
  auto created = client->Call("CreateStateMachine", std::move(b).Build());
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  auto run =
      client->Call("StartSyncExecution",
                   Value::Object({{"stateMachineArn", created->find("stateMachineArn") != nullptr
                                                          ? *created->find("stateMachineArn")
                                                          : Value()}}));
  ASSERT_TRUE(run.ok()) << run.status().ToString();
  EXPECT_EQ(Str(*run, "status"), "SUCCEEDED");
  EXPECT_EQ(Obj(Str(*run, "output")), Obj(R"({"x":1})"));

  // The history of an EXPRESS execution (kept in memory, its payloads as values) reads as a
  // STANDARD one's does.
  auto history = client->Call("GetExecutionHistory",
                              Value::Object({{"executionArn", *run->find("executionArn")}}));
  ASSERT_TRUE(history.ok()) << history.status().ToString();
  const Value* events = history->find("events");
  ASSERT_NE(events, nullptr);
  ASSERT_EQ(events->size(), 4u);
  const Value& last = events->items()[3];
  EXPECT_EQ(Str(last, "type"), "ExecutionSucceeded");
  const Value* details = last.find("executionSucceededEventDetails");
  ASSERT_NE(details, nullptr);
  EXPECT_EQ(Obj(Str(*details, "output")), Obj(R"({"x":1})"));
}

TEST(SfnClientTest, AwsErrorsKeepTheirCodeAndMessage) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto client = ClientFor(server->endpoint());
  ASSERT_NE(client, nullptr);

  std::string arn = "arn:aws:states:us-east-1:123456789012:stateMachine:nope";
  SfnError error;
  auto r = client->Call("StartExecution", Value::Object({{"stateMachineArn", Value::String(arn)}}),
                        &error);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::NotFound);
  EXPECT_EQ(error.http_status, 400);
  EXPECT_EQ(error.code, "StateMachineDoesNotExist");
  EXPECT_NE(error.message.find(arn), std::string::npos) << error.message;
  // What, where and why in one message.
  const std::string& m = r.status().message();
  EXPECT_NE(m.find("StartExecution at " + server->endpoint()), std::string::npos) << m;
  EXPECT_NE(m.find("StateMachineDoesNotExist: "), std::string::npos) << m;

  r = client->Call("CreateStateMachine", CreateRequest("bad", R"({"StartAt":"Nowhere"})"), &error);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::InvalidArgument);
  EXPECT_EQ(error.code, "InvalidDefinition");
  EXPECT_NE(error.message.find("Invalid State Machine Definition"), std::string::npos)
      << error.message;

  r = client->Call("NoSuchOperation", Value::EmptyObject(), &error);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(error.code, "UnknownOperationException");

  // The same connection goes on serving after errors.
  auto ok = client->Call("ListStateMachines", Value::EmptyObject(), &error);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(error.code, "");
  EXPECT_EQ(error.http_status, 0);
}

TEST(SfnClientTest, UnreachableEndpointSaysWhereAndWhy) {
  // A port that was free a moment ago: nothing listens there.
  uint16_t port;
  {
    auto s = StartServer();
    ASSERT_NE(s, nullptr);
    port = s->port();
  }
  auto client = ClientFor("http://127.0.0.1:" + std::to_string(port));
  ASSERT_NE(client, nullptr);
  SfnError error;
  auto r = client->Call("ListStateMachines", Value::EmptyObject(), &error);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::Unavailable);
  EXPECT_EQ(error.http_status, 0);
  EXPECT_EQ(error.code, "");
  const std::string& m = r.status().message();
  EXPECT_NE(m.find("cannot reach http://127.0.0.1:" + std::to_string(port)), std::string::npos)
      << m;
  EXPECT_NE(m.find("ListStateMachines"), std::string::npos) << m;
  EXPECT_NE(m.find("refused"), std::string::npos) << m;

  auto unresolvable = ClientFor("http://no-such-host.invalid:8083");
  ASSERT_NE(unresolvable, nullptr);
  r = unresolvable->Call("ListStateMachines", Value::EmptyObject());
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("cannot resolve host 'no-such-host.invalid'"),
            std::string::npos)
      << r.status().message();
}

TEST(SfnClientTest, ReconnectsWhenTheServerClosedTheConnection) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  uint16_t port = server->port();
  auto client = ClientFor(server->endpoint());
  ASSERT_NE(client, nullptr);
  ASSERT_TRUE(client->Call("ListStateMachines", Value::EmptyObject()).ok());
  // A new server on the same port: the kept-alive connection is dead; the client notices
  // and sends the call again on a new one.
  server.reset();
  server::ServerOptions options;
  options.port = port;
  options.data_dir.clear();
  auto again = server::Server::Start(options);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  auto r = client->Call("ListStateMachines", Value::EmptyObject());
  EXPECT_TRUE(r.ok()) << r.status().ToString();
}

TEST(SfnClientTest, ManyCallsOnOneConnection) {
  auto server = StartServer();
  ASSERT_NE(server, nullptr);
  auto client = ClientFor(server->endpoint());
  ASSERT_NE(client, nullptr);
  for (int i = 0; i < 200; ++i) {
    auto r = client->Call("CreateStateMachine", CreateRequest("m" + std::to_string(i), kPass));
    ASSERT_TRUE(r.ok()) << i << ": " << r.status().ToString();
  }
  auto listed = client->Call("ListStateMachines", Obj(R"({"maxResults": 1000})"));
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->find("stateMachines")->size(), 200u);
}

TEST(SfnClientTest, SignsRequestsForAServerWithAuth) {
  std::string path = (std::filesystem::temp_directory_path() /
                      ("sfn_client_auth_" + std::to_string(getpid()) + ".json"))
                         .string();
  {
    std::ofstream f(path);
    f << R"([{"accessKeyId": "AKIDCLI", "secretAccessKey": "s3cret"},
             {"accessKeyId": "AKIDTMP", "secretAccessKey": "tmp", "sessionToken": "tok"}])";
  }
  server::ServerOptions options;
  options.auth_file = path;
  auto server = StartServer(options);
  std::filesystem::remove(path);
  ASSERT_NE(server, nullptr);

  SfnClientOptions good;
  good.credential = {"AKIDCLI", "s3cret", ""};
  good.region = "eu-central-1";
  auto client = ClientFor(server->endpoint(), good);
  auto r = client->Call("ListStateMachines", Value::EmptyObject());
  EXPECT_TRUE(r.ok()) << r.status().ToString();

  SfnClientOptions with_token;
  with_token.credential = {"AKIDTMP", "tmp", "tok"};
  r = ClientFor(server->endpoint(), with_token)->Call("ListStateMachines", Value::EmptyObject());
  EXPECT_TRUE(r.ok()) << r.status().ToString();

  SfnClientOptions wrong_secret;
  wrong_secret.credential = {"AKIDCLI", "wrong", ""};
  SfnError error;
  r = ClientFor(server->endpoint(), wrong_secret)
          ->Call("ListStateMachines", Value::EmptyObject(), &error);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(error.code, "InvalidSignatureException");

  SfnClientOptions unknown;  // the default test/test
  r = ClientFor(server->endpoint(), unknown)
          ->Call("ListStateMachines", Value::EmptyObject(), &error);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(error.code, "UnrecognizedClientException");
}

TEST(SfnClientTest, AnswersThatAreNotAwsShape) {
  // A plain HTTP server that answers 404 with text, as a wrong endpoint would.
  class NotFound : public api::Handler {
   public:
    void Handle(api::HttpRequest, api::Responder responder) override {
      responder.Send({404, {{"Content-Type", "text/plain"}}, "no such page"});
    }
  } handler;
  api::HttpServerOptions options;
  options.threads = 1;
  auto http = api::HttpServer::Start(options, &handler);
  ASSERT_TRUE(http.ok()) << http.status().ToString();
  auto client = ClientFor("http://127.0.0.1:" + std::to_string((*http)->port()));
  SfnError error;
  auto r = client->Call("ListStateMachines", Value::EmptyObject(), &error);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(error.http_status, 404);
  EXPECT_EQ(error.code, "");
  EXPECT_NE(r.status().message().find("HTTP 404 without an AWS error code: no such page"),
            std::string::npos)
      << r.status().message();
}

}  // namespace
}  // namespace stepfn::cli
