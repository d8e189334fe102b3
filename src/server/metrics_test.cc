// The Prometheus text format of MetricsRegistry, and what ServerMetrics counts from commits.
#include "server/metrics.h"

#include <gtest/gtest.h>

#include <thread>

#include "json/value.h"

namespace stepfn::server {
namespace {

using eval::EventType;
using eval::HistoryEvent;

TEST(MetricsText, RendersEveryKindInTheTextFormat) {
  MetricsRegistry r;
  CounterFamily* c = r.AddCounter("t_requests_total", "Requests.", {"op", "code"});
  c->With({"List", "200"})->Add(3);
  c->With({"Describe", "400"})->Add();
  r.AddCounter("t_empty_total", "Never counted.");
  GaugeFamily* g = r.AddGauge("t_temperature", "Degrees.", {"room"});
  g->With({"a"})->Set(21.5);
  HistogramFamily* h = r.AddHistogram("t_latency_seconds", "Latency.", {}, {0.1, 1});
  h->With({})->Observe(0.05);
  h->With({})->Observe(0.1);  // a bound is inclusive (le)
  h->With({})->Observe(0.5);
  h->With({})->Observe(7);
  r.AddCallback("t_answer", "The answer.", MetricType::Gauge, [] { return 42.0; });

  EXPECT_EQ(r.Render(),
            "# HELP t_requests_total Requests.\n"
            "# TYPE t_requests_total counter\n"
            "t_requests_total{op=\"Describe\",code=\"400\"} 1\n"
            "t_requests_total{op=\"List\",code=\"200\"} 3\n"
            "# HELP t_empty_total Never counted.\n"
            "# TYPE t_empty_total counter\n"
            "t_empty_total 0\n"
            "# HELP t_temperature Degrees.\n"
            "# TYPE t_temperature gauge\n"
            "t_temperature{room=\"a\"} 21.5\n"
            "# HELP t_latency_seconds Latency.\n"
            "# TYPE t_latency_seconds histogram\n"
            "t_latency_seconds_bucket{le=\"0.1\"} 2\n"
            "t_latency_seconds_bucket{le=\"1\"} 3\n"
            "t_latency_seconds_bucket{le=\"+Inf\"} 4\n"
            "t_latency_seconds_sum 7.65\n"
            "t_latency_seconds_count 4\n"
            "# HELP t_answer The answer.\n"
            "# TYPE t_answer gauge\n"
            "t_answer 42\n");
}

TEST(MetricsText, EscapesLabelValuesAndHelpAndFormatsNumbers) {
  MetricsRegistry r;
  r.AddCounter("t_x_total", "Line one\nback\\slash \"quotes\" stay.", {"name"})
      ->With({"a\"b\\c\nd"})
      ->Add();
  EXPECT_EQ(r.Render(),
            "# HELP t_x_total Line one\\nback\\\\slash \"quotes\" stay.\n"
            "# TYPE t_x_total counter\n"
            "t_x_total{name=\"a\\\"b\\\\c\\nd\"} 1\n");
  EXPECT_EQ(FormatSampleValue(0), "0");
  EXPECT_EQ(FormatSampleValue(-3), "-3");
  EXPECT_EQ(FormatSampleValue(0.25), "0.25");
  EXPECT_EQ(FormatSampleValue(1e-4), "0.0001");
  EXPECT_EQ(FormatSampleValue(1.0 / 0.0), "+Inf");
  EXPECT_EQ(FormatSampleValue(-1.0 / 0.0), "-Inf");
  EXPECT_EQ(FormatSampleValue(0.0 / 0.0), "NaN");
  EXPECT_EQ(FormatSampleValue(123456789012.0), "123456789012");
}

TEST(MetricsText, SeriesBeyondTheCapShareAnOtherSeries) {
  MetricsRegistry r;
  CounterFamily* c = r.AddCounter("t_capped_total", "Capped.", {"a", "b"}, 2);
  c->With({"1", "x"})->Add();
  c->With({"2", "x"})->Add();
  c->With({"3", "x"})->Add();
  c->With({"4", "y"})->Add();
  c->With({"1", "x"})->Add();
  EXPECT_EQ(r.Render(),
            "# HELP t_capped_total Capped.\n"
            "# TYPE t_capped_total counter\n"
            "t_capped_total{a=\"1\",b=\"x\"} 2\n"
            "t_capped_total{a=\"2\",b=\"x\"} 1\n"
            "t_capped_total{a=\"other\",b=\"other\"} 2\n");
}

TEST(MetricsText, CountersAreExactUnderConcurrency) {
  MetricsRegistry r;
  CounterFamily* c = r.AddCounter("t_hits_total", "Hits.", {"k"});
  HistogramFamily* h = r.AddHistogram("t_h", "H.", {"k"}, {1});
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&] {
      for (int j = 0; j < 10000; ++j) {
        c->With({"k"})->Add();
        h->With({"k"})->Observe(0.5);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(c->With({"k"})->value(), 40000u);
  EXPECT_EQ(h->With({"k"})->Read().count(), 40000u);
  EXPECT_DOUBLE_EQ(h->With({"k"})->Read().sum, 20000.0);
}

TEST(MetricsText, ProcessResidentMemoryIsKnown) { EXPECT_GT(ProcessResidentBytes(), 1024.0); }

// --- ServerMetrics ---------------------------------------------------------------------------

HistoryEvent Event(int64_t id, EventType type, EpochMillis at, std::string name = "") {
  HistoryEvent e;
  e.id = id;
  e.previous_event_id = id - 1;
  e.type = type;
  e.timestamp = at;
  if (!name.empty()) e.name = json::Value::String(name);
  return e;
}

CommitReport Report(std::string_view arn, std::string_view machine,
                    const std::vector<HistoryEvent>& events, bool ended = false) {
  CommitReport r;
  r.execution_arn = arn;
  r.state_machine_name = machine;
  r.events = events;
  r.commit_micros = 1500;
  r.ended = ended;
  return r;
}

// The value of one sample line ("name{labels} value") in a scrape, or -1.
double Sample(const std::string& text, const std::string& series) {
  size_t at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

TEST(ServerMetrics, CountsExecutionsTransitionsAndStateDurationsAcrossCommits) {
  ServerMetrics m;
  const std::string arn = "arn:aws:states:us-east-1:1:execution:hello:run1";
  std::vector<HistoryEvent> first = {
      Event(1, EventType::ExecutionStarted, 1000),
      Event(2, EventType::PassStateEntered, 1000, "A"),
      Event(3, EventType::PassStateExited, 1000, "A"),
      Event(4, EventType::WaitStateEntered, 1000, "W"),
  };
  m.OnCommit(Report(arn, "hello", first));
  EXPECT_EQ(m.open_states(), 1u);  // W is waiting
  std::vector<HistoryEvent> second = {
      Event(5, EventType::WaitStateExited, 3500, "W"),
      Event(6, EventType::TaskStateEntered, 3500, "T"),
  };
  m.OnCommit(Report(arn, "hello", second));
  EXPECT_EQ(m.open_states(), 1u);  // T is running
  std::vector<HistoryEvent> third = {
      Event(7, EventType::TaskStateExited, 3600, "T"),
      Event(8, EventType::FailStateEntered, 3600, "F"),
      Event(9, EventType::ExecutionFailed, 3600),
  };
  m.OnCommit(Report(arn, "hello", third, true));
  EXPECT_EQ(m.open_states(), 0u);  // the execution ended: nothing kept for it

  // A failed commit: latency observed, a failure counted, its events ignored.
  CommitReport failed = Report(arn, "hello", first);
  failed.status = Unavailable("disk full");
  m.OnCommit(failed);

  std::string text = m.Scrape().body;
  EXPECT_EQ(Sample(text, "stepfn_executions_started_total{state_machine=\"hello\"}"), 1);
  EXPECT_EQ(Sample(text, "stepfn_executions_total{state_machine=\"hello\",status=\"FAILED\"}"), 1);
  EXPECT_EQ(Sample(text, "stepfn_executions_total{state_machine=\"hello\",status=\"SUCCEEDED\"}"),
            0);
  EXPECT_EQ(Sample(text, "stepfn_state_transitions_total{state_machine=\"hello\"}"), 4);
  EXPECT_EQ(Sample(text,
                   "stepfn_state_duration_seconds_count{state_machine=\"hello\","
                   "state_type=\"Wait\"}"),
            1);
  EXPECT_EQ(Sample(text,
                   "stepfn_state_duration_seconds_sum{state_machine=\"hello\","
                   "state_type=\"Wait\"}"),
            2.5);
  EXPECT_EQ(Sample(text,
                   "stepfn_state_duration_seconds_bucket{state_machine=\"hello\","
                   "state_type=\"Wait\",le=\"1\"}"),
            0);
  EXPECT_EQ(Sample(text,
                   "stepfn_state_duration_seconds_bucket{state_machine=\"hello\","
                   "state_type=\"Wait\",le=\"5\"}"),
            1);
  EXPECT_EQ(Sample(text,
                   "stepfn_state_duration_seconds_count{state_machine=\"hello\","
                   "state_type=\"Pass\"}"),
            1);
  EXPECT_EQ(Sample(text,
                   "stepfn_state_duration_seconds_sum{state_machine=\"hello\","
                   "state_type=\"Task\"}"),
            0.1);
  // Fail states never exit: not timed (and a type never timed has no series).
  EXPECT_EQ(Sample(text,
                   "stepfn_state_duration_seconds_count{state_machine=\"hello\","
                   "state_type=\"Fail\"}"),
            -1);
  EXPECT_EQ(Sample(text, "stepfn_store_commit_seconds_count"), 4);
  EXPECT_EQ(Sample(text, "stepfn_store_commit_failures_total"), 1);
  EXPECT_NE(text.find("StateEntered events"), std::string::npos);
  EXPECT_GT(Sample(text, "process_resident_memory_bytes"), 0);
}

TEST(ServerMetrics, StateMachineNamesBeyondTheCapCountAsOther) {
  ServerMetricsOptions options;
  options.max_state_machines = 2;
  ServerMetrics m(options);
  for (std::string name : {"a", "b", "c", "d", "a"}) {
    std::vector<HistoryEvent> events = {Event(1, EventType::ExecutionStarted, 1)};
    std::string arn = "arn:aws:states:us-east-1:1:execution:" + name + ":x";
    m.OnCommit(Report(arn, name, events));
  }
  std::string text = m.Scrape().body;
  EXPECT_EQ(Sample(text, "stepfn_executions_started_total{state_machine=\"a\"}"), 2);
  EXPECT_EQ(Sample(text, "stepfn_executions_started_total{state_machine=\"b\"}"), 1);
  EXPECT_EQ(Sample(text, "stepfn_executions_started_total{state_machine=\"c\"}"), -1);
  EXPECT_EQ(Sample(text, "stepfn_executions_started_total{state_machine=\"other\"}"), 2);
}

TEST(ServerMetrics, OpenStatesAreBounded) {
  ServerMetricsOptions options;
  options.max_open_states = 3;
  ServerMetrics m(options);
  std::vector<HistoryEvent> events;
  for (int i = 0; i < 5; ++i) {
    events.push_back(Event(i + 1, EventType::WaitStateEntered, 1, "W" + std::to_string(i)));
  }
  m.OnCommit(Report("arn:aws:states:us-east-1:1:execution:m:x", "m", events));
  EXPECT_EQ(m.open_states(), 3u);
  EXPECT_EQ(Sample(m.Scrape().body, "stepfn_state_durations_untimed_total"), 2);
}

TEST(ServerMetrics, CountsRequestsByOperationAndCode) {
  ServerMetrics m;
  api::RequestSummary ok;
  ok.operation = "StartExecution";
  ok.http_status = 200;
  ok.micros = 2000;
  m.CountRequest(ok);
  m.CountRequest(ok);
  api::RequestSummary unknown;
  unknown.http_status = 400;
  m.CountRequest(unknown);
  api::RequestSummary lambda;
  lambda.operation = "TagResource";
  lambda.service = "lambda";
  lambda.http_status = 204;
  m.CountRequest(lambda);
  std::string text = m.Scrape().body;
  EXPECT_EQ(
      Sample(text, "stepfn_api_requests_total{operation=\"lambda.TagResource\",code=\"204\"}"), 1);
  EXPECT_EQ(Sample(text, "stepfn_api_requests_total{operation=\"StartExecution\",code=\"200\"}"),
            2);
  EXPECT_EQ(Sample(text, "stepfn_api_requests_total{operation=\"unknown\",code=\"400\"}"), 1);
  EXPECT_EQ(Sample(text, "stepfn_api_request_seconds_count{operation=\"StartExecution\"}"), 2);
  EXPECT_EQ(m.Scrape().headers.front().second, "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace
}  // namespace stepfn::server
