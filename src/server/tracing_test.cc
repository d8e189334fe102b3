// Trace headers, the OTLP JSON encoding, the Tracer's spans for tasks, retries, Parallel and
// Map, and the exporter against an in-test collector.
#include "server/tracing.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>

#include "api/http_server.h"
#include "api/router.h"
#include "json/parse.h"
#include "json/write.h"
#include "store/memory_store.h"

namespace stepfn::server {
namespace {

using eval::EventType;
using eval::HistoryEvent;
using namespace std::chrono_literals;

TEST(TraceHeaders, ParseAndFormatXRayHeaders) {
  TraceContext c;
  ASSERT_TRUE(ParseXRayTraceHeader(
      "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1", &c));
  EXPECT_EQ(c.trace_id, "5759e988bd862e3fe1be46a994272793");
  EXPECT_EQ(c.parent_span_id, "53995c3f42cd8ad8");
  EXPECT_TRUE(c.sampled);
  ASSERT_TRUE(ParseXRayTraceHeader("Sampled=0; Root=1-5759E988-BD862E3FE1BE46A994272793", &c));
  EXPECT_EQ(c.trace_id, "5759e988bd862e3fe1be46a994272793");
  EXPECT_EQ(c.parent_span_id, "");
  EXPECT_FALSE(c.sampled);
  EXPECT_FALSE(ParseXRayTraceHeader("", &c));
  EXPECT_FALSE(ParseXRayTraceHeader("Parent=53995c3f42cd8ad8", &c));
  EXPECT_FALSE(ParseXRayTraceHeader("Root=1-5759e988-bd86", &c));
  EXPECT_FALSE(ParseXRayTraceHeader("Root=2-5759e988-bd862e3fe1be46a994272793", &c));
  EXPECT_FALSE(ParseXRayTraceHeader("Root=1-5759e98g-bd862e3fe1be46a994272793", &c));

  EXPECT_EQ(XRayTraceHeader("5759e988bd862e3fe1be46a994272793", "53995c3f42cd8ad8"),
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1");
  std::string id = NewTraceId();
  ASSERT_EQ(id.size(), 32u);
  ASSERT_TRUE(ParseXRayTraceHeader(XRayTraceHeader(id, NewSpanId()), &c));
  EXPECT_EQ(c.trace_id, id);
  // The first 8 digits are the epoch seconds, as X-Ray's.
  int64_t seconds = std::stoll(id.substr(0, 8), nullptr, 16);
  int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  EXPECT_LE(std::abs(now - seconds), 5);
  EXPECT_EQ(NewSpanId().size(), 16u);
  EXPECT_NE(NewSpanId(), NewSpanId());
}

TEST(Otlp, EncodesAnExportTraceServiceRequestInJson) {
  SpanData s;
  s.trace_id = "5759e988bd862e3fe1be46a994272793";
  s.span_id = "53995c3f42cd8ad8";
  s.parent_span_id = "0102030405060708";
  s.name = "T";
  s.kind = SpanData::kClient;
  s.start_unix_nanos = 1700000000000000000;
  s.end_unix_nanos = 1700000000001000000;
  s.attributes = {{"k", "v"}};
  s.status_code = SpanData::kError;
  s.status_message = "Boom";
  SpanData root = s;
  root.parent_span_id.clear();
  root.status_code = SpanData::kUnset;
  root.status_message.clear();
  EXPECT_EQ(OtlpTraceRequestJson({s, root}, "stepfn"),
            R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":)"
            R"({"stringValue":"stepfn"}}]},"scopeSpans":[{"scope":{"name":"stepfn"},"spans":[)"
            R"({"traceId":"5759e988bd862e3fe1be46a994272793","spanId":"53995c3f42cd8ad8",)"
            R"("parentSpanId":"0102030405060708","name":"T","kind":3,)"
            R"("startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000001000000",)"
            R"("attributes":[{"key":"k","value":{"stringValue":"v"}}],)"
            R"("status":{"code":2,"message":"Boom"}},)"
            R"({"traceId":"5759e988bd862e3fe1be46a994272793","spanId":"53995c3f42cd8ad8",)"
            R"("name":"T","kind":3,)"
            R"("startTimeUnixNano":"1700000000000000000","endTimeUnixNano":"1700000000001000000",)"
            R"("attributes":[{"key":"k","value":{"stringValue":"v"}}],"status":{}}]}]}]})");
}

TEST(Otlp, ParsesEndpointUrls) {
  std::string host, port, path;
  ASSERT_TRUE(ParseHttpUrl("http://collector:4318", &host, &port, &path).ok());
  EXPECT_EQ(host, "collector");
  EXPECT_EQ(port, "4318");
  EXPECT_EQ(path, "");
  ASSERT_TRUE(ParseHttpUrl("http://[::1]:9/otel/", &host, &port, &path).ok());
  EXPECT_EQ(host, "::1");
  EXPECT_EQ(port, "9");
  EXPECT_EQ(path, "/otel");
  ASSERT_TRUE(ParseHttpUrl("http://h", &host, &port, &path).ok());
  EXPECT_EQ(port, "80");
  EXPECT_FALSE(ParseHttpUrl("https://h:4318", &host, &port, &path).ok());
  EXPECT_FALSE(ParseHttpUrl("h:4318", &host, &port, &path).ok());
  EXPECT_FALSE(ParseHttpUrl("http://:4318", &host, &port, &path).ok());
  EXPECT_FALSE(ParseHttpUrl("http://h:x", &host, &port, &path).ok());
  EXPECT_FALSE(OtlpExporter::Start({.endpoint = "https://x"}).ok());
}

// Keeps every span it is given.
class CapturingSink final : public SpanSink {
 public:
  void Export(std::vector<SpanData> spans) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (SpanData& s : spans) spans_.push_back(std::move(s));
  }
  std::vector<SpanData> spans() {
    std::lock_guard<std::mutex> lock(mu_);
    return spans_;
  }

 private:
  std::mutex mu_;
  std::vector<SpanData> spans_;
};

// Builds the events of one execution, chaining previous_event_id per branch as the stepper does.
class Events {
 public:
  HistoryEvent& Add(int64_t prev, EventType type, std::string name = "") {
    HistoryEvent& e = events_.emplace_back();
    e.id = static_cast<int64_t>(events_.size());
    e.previous_event_id = prev;
    e.type = type;
    e.timestamp = 1000 + e.id;  // 1 ms apart
    if (!name.empty()) e.name = json::Value::String(name);
    if (type == EventType::TaskScheduled || type == EventType::TaskFailed ||
        type == EventType::TaskSucceeded) {
      e.resource =
          json::Value::Array({json::Value::String("lambda"), json::Value::String("invoke")});
    }
    return e;
  }
  int64_t last() const { return static_cast<int64_t>(events_.size()); }
  std::vector<HistoryEvent>& all() { return events_; }

 private:
  std::vector<HistoryEvent> events_;
};

class TracerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (const auto& [name, enabled] :
         std::vector<std::pair<std::string, bool>>{{"traced", true}, {"plain", false}}) {
      store::StateMachineRecord r;
      r.arn = "arn:aws:states:us-east-1:123456789012:stateMachine:" + name;
      r.name = name;
      r.definition = "{}";
      r.tracing_configuration = enabled ? R"({"enabled":true})" : R"({"enabled":false})";
      ASSERT_TRUE(store_.CreateStateMachine(r).ok());
    }
  }
  void Commit(const std::string& machine, std::span<const HistoryEvent> events, bool ended,
              std::string_view header = "") {
    CommitReport r;
    arn_ = "arn:aws:states:us-east-1:123456789012:execution:" + machine + ":run";
    r.execution_arn = arn_;
    r.state_machine_name = machine;
    r.events = events;
    r.ended = ended;
    r.trace_header = header;
    tracer_.OnCommit(r);
  }
  const SpanData* Find(const std::vector<SpanData>& spans, const std::string& name, int nth = 0) {
    for (const SpanData& s : spans) {
      if (s.name == name && nth-- == 0) return &s;
    }
    return nullptr;
  }

  std::string arn_;
  store::MemoryStore store_;
  MachineSettingsCache settings_{&store_};
  CapturingSink sink_;
  Tracer tracer_{&settings_, &sink_};
};

TEST_F(TracerTest, SpansForStatesTasksRetriesParallelBranchesAndMapIterations) {
  Events ev;
  ev.Add(0, EventType::ExecutionStarted);       // 1
  ev.Add(1, EventType::PassStateEntered, "P");  // 2
  ev.Add(2, EventType::PassStateExited, "P");   // 3
  ev.Add(3, EventType::TaskStateEntered, "T");  // 4
  ev.Add(4, EventType::TaskScheduled);          // 5
  ev.Add(5, EventType::TaskStarted);            // 6
  size_t first_commit = ev.all().size();
  ev.Add(6, EventType::TaskFailed).SetFailure("Boom", "first");  // 7
  ev.Add(7, EventType::TaskScheduled);                           // 8 (retry)
  ev.Add(8, EventType::TaskStarted);                             // 9
  size_t second_commit = ev.all().size();
  ev.Add(9, EventType::TaskSucceeded);                 // 10
  ev.Add(10, EventType::TaskStateExited, "T");         // 11
  ev.Add(11, EventType::ParallelStateEntered, "Par");  // 12
  ev.Add(12, EventType::ParallelStateStarted);         // 13
  ev.Add(13, EventType::PassStateEntered, "A");        // 14 (branch 1)
  ev.Add(13, EventType::PassStateEntered, "B");        // 15 (branch 2)
  ev.Add(14, EventType::PassStateExited, "A");         // 16
  ev.Add(15, EventType::PassStateExited, "B");         // 17
  ev.Add(17, EventType::ParallelStateSucceeded);       // 18 (joined: the last child's id)
  ev.Add(18, EventType::ParallelStateExited, "Par");   // 19
  ev.Add(19, EventType::MapStateEntered, "M");         // 20
  ev.Add(20, EventType::MapStateStarted);              // 21
  ev.Add(21, EventType::MapIterationStarted, "M");     // 22
  ev.Add(22, EventType::PassStateEntered, "I");        // 23
  ev.Add(23, EventType::PassStateExited, "I");         // 24
  ev.Add(24, EventType::MapIterationSucceeded, "M");   // 25
  ev.Add(25, EventType::MapIterationStarted, "M");     // 26
  ev.Add(26, EventType::PassStateEntered, "I");        // 27
  ev.Add(27, EventType::PassStateExited, "I");         // 28
  ev.Add(28, EventType::MapIterationSucceeded, "M");   // 29
  ev.Add(29, EventType::MapStateSucceeded);            // 30
  ev.Add(30, EventType::MapStateExited, "M");          // 31
  ev.Add(31, EventType::ExecutionSucceeded);           // 32
  std::span<const HistoryEvent> all = ev.all();
  const std::string header =
      "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
  Commit("traced", all.subspan(0, first_commit), false, header);
  EXPECT_EQ(tracer_.traced_executions(), 1u);
  // While the task runs, what it calls gets the trace and the task's span as parent.
  std::optional<std::string> call = tracer_.TaskTraceHeader(arn_, "T");
  ASSERT_TRUE(call.has_value());
  EXPECT_TRUE(call->starts_with("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=")) << *call;
  EXPECT_FALSE(tracer_.TaskTraceHeader(arn_, "P").has_value());
  Commit("traced", all.subspan(first_commit, second_commit - first_commit), false, header);
  Commit("traced", all.subspan(second_commit), true, header);
  EXPECT_EQ(tracer_.traced_executions(), 0u);
  EXPECT_FALSE(tracer_.TaskTraceHeader(arn_, "T").has_value());

  std::vector<SpanData> spans = sink_.spans();
  ASSERT_EQ(spans.size(), 11u);  // root, P, T, 2 tasks, Par, A, B, M, 2 x I
  for (const SpanData& s : spans) {
    EXPECT_EQ(s.trace_id, "5759e988bd862e3fe1be46a994272793") << s.name;
    EXPECT_LE(s.start_unix_nanos, s.end_unix_nanos) << s.name;
  }
  const SpanData* root = Find(spans, "traced");
  ASSERT_NE(root, nullptr);
  EXPECT_EQ(root->parent_span_id, "53995c3f42cd8ad8");
  EXPECT_EQ(root->kind, SpanData::kServer);
  EXPECT_EQ(root->status_code, SpanData::kOk);
  EXPECT_EQ(root->start_unix_nanos, 1001 * 1'000'000LL);
  EXPECT_EQ(root->end_unix_nanos, 1032 * 1'000'000LL);
  EXPECT_EQ(spans.back().name, "traced");  // the root ends last

  const SpanData* p = Find(spans, "P");
  const SpanData* t = Find(spans, "T");
  const SpanData* par = Find(spans, "Par");
  const SpanData* m = Find(spans, "M");
  ASSERT_TRUE(p && t && par && m);
  for (const SpanData* s : {p, t, par, m}) {
    EXPECT_EQ(s->parent_span_id, root->span_id) << s->name;
    EXPECT_EQ(s->kind, SpanData::kInternal);
  }
  EXPECT_EQ(t->start_unix_nanos, 1004 * 1'000'000LL);
  EXPECT_EQ(t->end_unix_nanos, 1011 * 1'000'000LL);
  const SpanData* attempt1 = Find(spans, "lambda:invoke", 0);
  const SpanData* attempt2 = Find(spans, "lambda:invoke", 1);
  ASSERT_TRUE(attempt1 && attempt2);
  EXPECT_EQ(attempt1->parent_span_id, t->span_id);
  EXPECT_EQ(attempt2->parent_span_id, t->span_id);
  EXPECT_EQ(attempt1->kind, SpanData::kClient);
  EXPECT_EQ(attempt1->status_code, SpanData::kError);
  EXPECT_EQ(attempt1->status_message, "TaskFailed Boom: first");
  EXPECT_EQ(attempt2->status_code, SpanData::kOk);
  EXPECT_NE(call->find(attempt1->span_id), std::string::npos);
  EXPECT_EQ(Find(spans, "A")->parent_span_id, par->span_id);
  EXPECT_EQ(Find(spans, "B")->parent_span_id, par->span_id);
  EXPECT_EQ(Find(spans, "I", 0)->parent_span_id, m->span_id);
  EXPECT_EQ(Find(spans, "I", 1)->parent_span_id, m->span_id);
  EXPECT_NE(Find(spans, "I", 0)->span_id, Find(spans, "I", 1)->span_id);
}

TEST_F(TracerTest, OpenSpansEndWithAFailedExecutionAndUntracedMachinesGiveNothing) {
  Events ev;
  ev.Add(0, EventType::ExecutionStarted);
  ev.Add(1, EventType::TaskStateEntered, "T");
  ev.Add(2, EventType::TaskScheduled);
  ev.Add(3, EventType::TaskFailed).SetFailure("Boom", "no");
  ev.Add(4, EventType::ExecutionFailed).SetFailure("Boom", "no");
  Commit("plain", ev.all(), true);
  EXPECT_TRUE(sink_.spans().empty());
  Commit("traced", ev.all(), true);
  std::vector<SpanData> spans = sink_.spans();
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(spans[0].name, "lambda:invoke");
  EXPECT_EQ(spans[1].name, "T");  // never exited: ends with the execution, as an error
  EXPECT_EQ(spans[1].status_code, SpanData::kError);
  EXPECT_EQ(spans[2].name, "traced");
  EXPECT_EQ(spans[2].status_code, SpanData::kError);
  EXPECT_EQ(spans[2].status_message, "Boom: no");
  EXPECT_EQ(spans[2].parent_span_id, "");
  EXPECT_EQ(spans[2].trace_id.size(), 32u);

  // Sampled=0: no spans, and nothing kept once the execution ends.
  Commit("traced", ev.all(), true, "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=0");
  EXPECT_EQ(sink_.spans().size(), 3u);
  EXPECT_EQ(tracer_.traced_executions(), 0u);
}

// A collector: an HttpServer that keeps every request it gets.
class Collector final : public api::Handler {
 public:
  void Handle(api::HttpRequest request, api::Responder responder) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      requests_.push_back(request);
    }
    responder.Send(api::TextResponse(status_, "application/json", "{}"));
  }
  std::vector<api::HttpRequest> requests() {
    std::lock_guard<std::mutex> lock(mu_);
    return requests_;
  }
  // Waits until the collector got `n` spans in all.
  size_t WaitForSpans(size_t n, std::chrono::milliseconds limit = 10s) {
    auto end = std::chrono::steady_clock::now() + limit;
    size_t seen = 0;
    while (std::chrono::steady_clock::now() < end) {
      seen = 0;
      for (const api::HttpRequest& r : requests()) {
        auto body = json::Parse(r.body);
        if (!body.ok()) continue;
        std::string text = json::Write(*body);
        for (size_t at = text.find("\"spanId\""); at != std::string::npos;
             at = text.find("\"spanId\"", at + 1)) {
          ++seen;
        }
      }
      if (seen >= n) return seen;
      std::this_thread::sleep_for(20ms);
    }
    return seen;
  }
  std::atomic<int> status_{200};  // set by the test, read by the server's threads

 private:
  std::mutex mu_;
  std::vector<api::HttpRequest> requests_;
};

SpanData Span(std::string name) {
  SpanData s;
  s.trace_id = NewTraceId();
  s.span_id = NewSpanId();
  s.name = std::move(name);
  s.start_unix_nanos = 1;
  s.end_unix_nanos = 2;
  return s;
}

TEST(OtlpExporter, PostsBatchesToTheCollectorAndCountsWhatItDrops) {
  Collector collector;
  api::HttpServerOptions http;
  http.threads = 1;
  auto server = api::HttpServer::Start(http, &collector);
  ASSERT_TRUE(server.ok());
  std::string endpoint = "http://127.0.0.1:" + std::to_string((*server)->port()) + "/base/";
  OtlpExporterOptions options;
  options.endpoint = endpoint;
  options.max_batch = 2;
  options.flush_millis = 50;
  options.service_name = "unit";
  auto exporter = OtlpExporter::Start(options);
  ASSERT_TRUE(exporter.ok()) << exporter.status().ToString();
  EXPECT_EQ((*exporter)->traces_url(),
            "http://127.0.0.1:" + std::to_string((*server)->port()) + "/base/v1/traces");
  (*exporter)->Export({Span("a"), Span("b"), Span("c")});
  EXPECT_EQ(collector.WaitForSpans(3), 3u);
  std::vector<api::HttpRequest> requests = collector.requests();
  ASSERT_GE(requests.size(), 2u);  // batches of at most 2
  for (const api::HttpRequest& r : requests) {
    EXPECT_EQ(r.method, "POST");
    EXPECT_EQ(r.target, "/base/v1/traces");
    EXPECT_EQ(*r.FindHeader("Content-Type"), "application/json");
    EXPECT_NE(r.body.find(R"({"key":"service.name","value":{"stringValue":"unit"}})"),
              std::string::npos);
  }
  EXPECT_EQ((*exporter)->exported_spans(), 3u);

  // The collector fails: the batch is dropped and counted.
  collector.status_ = 503;
  (*exporter)->Export({Span("d")});
  for (int i = 0; i < 200 && (*exporter)->failed_requests() == 0; ++i) {
    std::this_thread::sleep_for(10ms);
  }
  EXPECT_EQ((*exporter)->failed_requests(), 1u);
  EXPECT_EQ((*exporter)->dropped_failed(), 1u);
  (*exporter)->Stop();
  (*exporter)->Export({Span("after stop")});
  EXPECT_EQ((*exporter)->dropped_queue_full(), 1u);
  (*server)->Stop();
}

TEST(OtlpExporter, ABoundedQueueAndAnUnreachableCollector) {
  OtlpExporterOptions options;
  options.endpoint = "http://127.0.0.1:1";  // nothing listens on port 1
  options.max_queue = 2;
  options.max_batch = 100;
  options.flush_millis = 60'000;
  auto exporter = OtlpExporter::Start(options);
  ASSERT_TRUE(exporter.ok());
  (*exporter)->Export({Span("a"), Span("b"), Span("c"), Span("d")});
  EXPECT_EQ((*exporter)->dropped_queue_full(), 2u);
  (*exporter)->Stop();  // one attempt, refused
  EXPECT_EQ((*exporter)->failed_requests(), 1u);
  EXPECT_EQ((*exporter)->dropped_failed(), 2u);
  EXPECT_EQ((*exporter)->exported_spans(), 0u);
}

}  // namespace
}  // namespace stepfn::server
