// `stepfn serve`'s observability end to end: a Server on a free port with an OTLP collector,
// executions run by boto3 (testdata/observability_boto3.py), then GET /metrics, GET /logs and
// the spans the collector received.
#include "server/observability.h"

#include <gtest/gtest.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "api/raw_client_testing.h"
#include "api/router.h"
#include "json/parse.h"
#include "json/write.h"
#include "server/server.h"
#include "server/testing.h"

namespace stepfn::server {
namespace {

using namespace std::chrono_literals;
using testing::HasBoto3;
using testing::RunPythonScript;
using testing::StrAt;
using testing::TestdataPath;

// An OTLP collector: keeps the body of every request.
class Collector final : public api::Handler {
 public:
  void Handle(api::HttpRequest request, api::Responder responder) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      bodies_.push_back(request.target + " " + request.body);
    }
    responder.Send(api::TextResponse(200, "application/json", "{}"));
  }
  struct Span {
    std::string name, trace_id, span_id, parent, status;
  };
  std::vector<Span> Spans() {
    std::vector<Span> out;
    std::lock_guard<std::mutex> lock(mu_);
    for (const std::string& entry : bodies_) {
      if (!entry.starts_with("/v1/traces ")) continue;
      auto body = json::Parse(entry.substr(entry.find(' ') + 1));
      if (!body.ok()) continue;
      const json::Value* resource_spans = body->find("resourceSpans");
      for (size_t i = 0; resource_spans && i < resource_spans->size(); ++i) {
        const json::Value* scopes = resource_spans->at(i)->find("scopeSpans");
        for (size_t j = 0; scopes && j < scopes->size(); ++j) {
          const json::Value* spans = scopes->at(j)->find("spans");
          for (size_t k = 0; spans && k < spans->size(); ++k) {
            const json::Value& s = *spans->at(k);
            out.push_back({StrAt(s, {"name"}), StrAt(s, {"traceId"}), StrAt(s, {"spanId"}),
                           StrAt(s, {"parentSpanId"}), StrAt(s, {"status", "code"})});
          }
        }
      }
    }
    return out;
  }

 private:
  std::mutex mu_;
  std::vector<std::string> bodies_;
};

api::testing::RawResponse Get(uint16_t port, const std::string& target) {
  api::testing::RawClient client(port);
  EXPECT_TRUE(client.Send(api::testing::RawRequest("GET", target, "", "")));
  return client.Read();
}

// The value of one sample ("name{labels}") in a scrape, or -1 when absent.
double Sample(const std::string& text, const std::string& series) {
  size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

std::vector<json::Value> Lines(const std::string& body) {
  std::vector<json::Value> out;
  size_t start = 0;
  while (start < body.size()) {
    size_t end = body.find('\n', start);
    auto parsed = json::Parse(body.substr(start, end - start));
    EXPECT_TRUE(parsed.ok()) << body.substr(start, end - start);
    if (parsed.ok()) out.push_back(*parsed);
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

std::vector<std::string> Types(const std::vector<json::Value>& lines) {
  std::vector<std::string> out;
  for (const json::Value& l : lines) out.push_back(StrAt(l, {"type"}));
  return out;
}

TEST(Observability, MetricsLogsAndTracesOfExecutionsRunByBoto3) {
  if (!HasBoto3()) GTEST_SKIP() << "boto3 is not installed";
  Collector collector;
  api::HttpServerOptions http;
  http.threads = 1;
  auto collector_server = api::HttpServer::Start(http, &collector);
  ASSERT_TRUE(collector_server.ok());

  ServerOptions options;
  options.port = 0;
  options.data_dir = "";  // memory
  options.time_scale = 0;
  options.otlp_endpoint = "http://127.0.0.1:" + std::to_string((*collector_server)->port());
  auto server = Server::Start(options);
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  uint16_t port = (*server)->port();

  auto out = RunPythonScript(TestdataPath("observability_boto3.py"), (*server)->endpoint());
  ASSERT_TRUE(out.ok()) << out.output;
  const json::Value& r = out.json;
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(StrAt(*r.find("plain")->at(static_cast<size_t>(i)), {"status"}), "SUCCEEDED");
  }
  EXPECT_EQ(StrAt(r, {"failing", "status"}), "FAILED");
  EXPECT_EQ(StrAt(r, {"missing", "code"}), "ExecutionDoesNotExist");
  EXPECT_EQ(StrAt(r, {"all", "status"}), "SUCCEEDED");
  EXPECT_EQ(StrAt(r, {"errors", "status"}), "FAILED");
  EXPECT_EQ(StrAt(r, {"fatal", "status"}), "FAILED");
  EXPECT_EQ(StrAt(r, {"fatal_ok", "status"}), "SUCCEEDED");
  EXPECT_EQ(StrAt(r, {"all_after_off", "status"}), "SUCCEEDED");
  EXPECT_EQ(StrAt(r, {"express", "status"}), "SUCCEEDED");
  EXPECT_EQ(StrAt(r, {"traced", "status"}), "SUCCEEDED") << StrAt(r, {"traced", "cause"});
  EXPECT_EQ(StrAt(r, {"untraced", "status"}), "SUCCEEDED");

  // --- /metrics. A client may see an execution's end (committed) a moment before the observers
  // hear of that commit: wait until none is running any more (bounded).
  for (int i = 0; i < 200; ++i) {
    if (Sample(Get(port, "/metrics").body, "stepfn_executions_running") == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  api::testing::RawResponse scrape = Get(port, "/metrics");
  ASSERT_EQ(scrape.status, 200);
  EXPECT_EQ(scrape.Header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const std::string& m = scrape.body;
  EXPECT_EQ(Sample(m, R"(stepfn_executions_started_total{state_machine="obs-plain"})"), 4) << m;
  EXPECT_EQ(Sample(m, R"(stepfn_executions_total{state_machine="obs-plain",status="SUCCEEDED"})"),
            4);
  EXPECT_EQ(Sample(m, R"(stepfn_executions_total{state_machine="obs-failing",status="FAILED"})"),
            1);
  EXPECT_EQ(Sample(m, R"(stepfn_executions_total{state_machine="obs-express",status="SUCCEEDED"})"),
            1);
  EXPECT_EQ(Sample(m, R"(stepfn_state_transitions_total{state_machine="obs-plain"})"), 12);
  EXPECT_EQ(Sample(m, R"(stepfn_state_duration_seconds_count{state_machine="obs-plain",)"
                      R"(state_type="Wait"})"),
            4);
  EXPECT_EQ(Sample(m, R"(stepfn_state_duration_seconds_count{state_machine="obs-plain",)"
                      R"(state_type="Pass"})"),
            8);
  EXPECT_EQ(Sample(m, R"(stepfn_api_requests_total{operation="StartExecution",code="200"})"), 11);
  EXPECT_EQ(Sample(m, R"(stepfn_api_requests_total{operation="StartSyncExecution",code="200"})"),
            1);
  EXPECT_EQ(Sample(m, R"(stepfn_api_requests_total{operation="DescribeExecution",code="400"})"), 1);
  EXPECT_EQ(Sample(m, "stepfn_executions_running"), 0);
  EXPECT_GE(Sample(m, "stepfn_store_commit_seconds_count"), 12);  // one or more per execution
  EXPECT_EQ(Sample(m, "stepfn_store_commit_failures_total"), 0);
  EXPECT_GT(Sample(m, "process_resident_memory_bytes"), 0);
  EXPECT_EQ(Sample(m, "stepfn_trace_spans_dropped_total"), 0);

  // --- /logs
  std::vector<json::Value> groups = Lines(Get(port, "/logs").body);
  EXPECT_EQ(groups.size(), 4u);  // obs-all's, obs-errors, obs-fatal, obs-express
  std::vector<json::Value> all = Lines(Get(port, "/logs//aws/vendedlogs/states/obs-all").body);
  EXPECT_EQ(Types(all),
            (std::vector<std::string>{"ExecutionStarted", "PassStateEntered", "PassStateExited",
                                      "WaitStateEntered", "WaitStateExited", "PassStateEntered",
                                      "PassStateExited", "ExecutionSucceeded"}));
  for (const json::Value& line : all) {  // a2 ran after logging was turned off
    EXPECT_EQ(StrAt(line, {"execution_arn"}), StrAt(r, {"all", "arn"}));
  }
  ASSERT_FALSE(all.empty());
  EXPECT_EQ(StrAt(all[0], {"id"}), "1");
  EXPECT_EQ(StrAt(all[0], {"previous_event_id"}), "0");
  EXPECT_EQ(StrAt(all[0], {"redrive_count"}), "0");
  EXPECT_EQ(StrAt(all[0], {"details", "input"}), R"({"secret":42})");
  EXPECT_EQ(StrAt(all[0], {"details", "roleArn"}), "arn:aws:iam::123456789012:role/stepfn-test");
  EXPECT_EQ(StrAt(all[1], {"details", "name"}), "A");

  std::string errors_body = Get(port, "/logs/obs-errors").body;
  EXPECT_EQ(Types(Lines(errors_body)), (std::vector<std::string>{"TaskFailed", "ExecutionFailed"}));
  EXPECT_EQ(errors_body.find("secret"), std::string::npos);  // includeExecutionData false
  EXPECT_NE(errors_body.find("Lambda.ResourceNotFoundException"), std::string::npos);
  std::vector<json::Value> fatal = Lines(Get(port, "/logs/obs-fatal").body);
  EXPECT_EQ(Types(fatal), (std::vector<std::string>{"ExecutionFailed"}));
  std::string express_arn = StrAt(r, {"express", "arn"});
  std::string stream = ExecutionLogStreamName(express_arn);
  EXPECT_EQ(stream.rfind("states/obs-express/s1/", 0), 0u) << stream;
  EXPECT_EQ(Lines(Get(port, "/logs/obs-express?stream=" + stream).body).size(), 8u);
  EXPECT_EQ(Get(port, "/logs/nope").status, 404);
  // A POST to /metrics is still an AWS request.
  api::testing::RawClient client(port);
  ASSERT_TRUE(client.Send(api::testing::RawRequest("POST", "/metrics", "", "{}")));
  EXPECT_EQ(client.Read().Header("x-amzn-ErrorType"), "UnknownOperationException");

  // --- traces (the exporter sends within its flush interval, a second)
  std::vector<Collector::Span> spans;
  for (int i = 0; i < 500 && spans.size() < 11; ++i) {
    std::this_thread::sleep_for(20ms);
    spans = collector.Spans();
  }
  ASSERT_EQ(spans.size(), 11u);  // root, P, T, 2 attempts, Par, BA, BB, M, 2 x I
  std::map<std::string, std::vector<Collector::Span>> by_name;
  for (const Collector::Span& s : spans) {
    EXPECT_EQ(s.trace_id, "5759e988bd862e3fe1be46a994272793");
    by_name[s.name].push_back(s);
  }
  ASSERT_EQ(by_name["obs-traced"].size(), 1u);
  const Collector::Span& root = by_name["obs-traced"][0];
  EXPECT_EQ(root.parent, "53995c3f42cd8ad8");
  for (const char* state : {"P", "T", "Par", "M"}) {
    ASSERT_EQ(by_name[state].size(), 1u) << state;
    EXPECT_EQ(by_name[state][0].parent, root.span_id) << state;
  }
  ASSERT_EQ(by_name["lambda:invoke"].size(), 2u);
  for (const Collector::Span& task : by_name["lambda:invoke"]) {
    EXPECT_EQ(task.parent, by_name["T"][0].span_id);
    EXPECT_EQ(task.status, "2");  // ERROR
  }
  EXPECT_EQ(by_name["BA"][0].parent, by_name["Par"][0].span_id);
  EXPECT_EQ(by_name["BB"][0].parent, by_name["Par"][0].span_id);
  ASSERT_EQ(by_name["I"].size(), 2u);
  EXPECT_EQ(by_name["I"][0].parent, by_name["M"][0].span_id);
  EXPECT_EQ(by_name["I"][1].parent, by_name["M"][0].span_id);
  EXPECT_EQ(by_name.count("obs-plain"), 0u);  // not traced, header or not

  // The exporter counts a batch once the collector has answered its POST, which may be a moment
  // after the collector recorded the spans: wait for the count (bounded).
  std::string after;
  for (int i = 0; i < 200; ++i) {
    after = Get(port, "/metrics").body;
    if (Sample(after, "stepfn_trace_spans_exported_total") >= 11) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(Sample(after, "stepfn_trace_spans_exported_total"), 11);
  (*server)->Stop();
  (*collector_server)->Stop();
}

TEST(Observability, AnHttpsCollectorIsRefusedAtStart) {
  ServerOptions options;
  options.port = 0;
  options.otlp_endpoint = "https://collector:4318";
  auto server = Server::Start(options);
  ASSERT_FALSE(server.ok());
  EXPECT_NE(server.status().message().find("http://"), std::string::npos);
}

}  // namespace
}  // namespace stepfn::server
