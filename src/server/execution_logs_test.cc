// The LogStore's operations and bounds; log levels; the AWS log event format; the
// ExecutionLogger over state machines with each logging configuration; GET /logs.
#include "server/execution_logs.h"

#include <gtest/gtest.h>

#include "api/raw_client_testing.h"
#include "json/parse.h"
#include "json/write.h"
#include "store/memory_store.h"

namespace stepfn::server {
namespace {

using eval::EventType;
using eval::HistoryEvent;

std::vector<InputLogEvent> Events(std::initializer_list<std::pair<EpochMillis, std::string>> in) {
  std::vector<InputLogEvent> out;
  for (const auto& [t, m] : in) out.push_back({t, m});
  return out;
}

std::vector<std::string> Messages(const Result<std::vector<LogEvent>>& events) {
  std::vector<std::string> out;
  if (!events.ok()) {
    out.push_back("error: " + events.status().ToString());
    return out;
  }
  for (const LogEvent& e : *events) out.push_back(e.message);
  return out;
}

TEST(LogStore, GroupsStreamsAndEvents) {
  ManualClock clock(5000);
  LogStore logs(&clock);
  ASSERT_TRUE(logs.CreateLogGroup("/aws/vendedlogs/states/x").ok());
  EXPECT_EQ(logs.CreateLogGroup("/aws/vendedlogs/states/x").code(), StatusCode::AlreadyExists);
  EXPECT_EQ(logs.CreateLogGroup("bad:name").code(), StatusCode::InvalidArgument);
  EXPECT_EQ(logs.CreateLogStream("nope", "s").code(), StatusCode::NotFound);
  ASSERT_TRUE(logs.CreateLogStream("/aws/vendedlogs/states/x", "s1").ok());
  EXPECT_EQ(logs.CreateLogStream("/aws/vendedlogs/states/x", "s1").code(),
            StatusCode::AlreadyExists);
  EXPECT_EQ(logs.CreateLogStream("/aws/vendedlogs/states/x", "a:b").code(),
            StatusCode::InvalidArgument);
  EXPECT_EQ(logs.PutLogEvents("/aws/vendedlogs/states/x", "s2", Events({{1, "m"}})).code(),
            StatusCode::NotFound);
  ASSERT_TRUE(
      logs.PutLogEvents("/aws/vendedlogs/states/x", "s1", Events({{10, "a"}, {20, "b"}})).ok());
  ASSERT_TRUE(logs.Append("/aws/vendedlogs/states/x", "s2", Events({{15, "c"}})).ok());
  ASSERT_TRUE(logs.Append("other", "s", Events({{1, "z"}})).ok());  // group created

  LogQuery all;
  EXPECT_EQ(Messages(logs.GetLogEvents("/aws/vendedlogs/states/x", "s1", all)),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Messages(logs.FilterLogEvents("/aws/vendedlogs/states/x", {}, "", all)),
            (std::vector<std::string>{"a", "c", "b"}));  // by timestamp across streams
  EXPECT_EQ(Messages(logs.FilterLogEvents("/aws/vendedlogs/states/x", {"s2"}, "", all)),
            (std::vector<std::string>{"c"}));
  EXPECT_EQ(Messages(logs.FilterLogEvents("/aws/vendedlogs/states/x", {}, "b", all)),
            (std::vector<std::string>{"b"}));
  LogQuery window;
  window.start = 15;
  window.end = 20;  // exclusive
  EXPECT_EQ(Messages(logs.FilterLogEvents("/aws/vendedlogs/states/x", {}, "", window)),
            (std::vector<std::string>{"c"}));
  LogQuery head;
  head.limit = 2;
  EXPECT_EQ(Messages(logs.FilterLogEvents("/aws/vendedlogs/states/x", {}, "", head)),
            (std::vector<std::string>{"a", "c"}));
  head.from_head = false;
  EXPECT_EQ(Messages(logs.FilterLogEvents("/aws/vendedlogs/states/x", {}, "", head)),
            (std::vector<std::string>{"c", "b"}));
  Result<std::vector<LogEvent>> got = logs.GetLogEvents("/aws/vendedlogs/states/x", "s1", all);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->front().ingestion_time, 5000);
  LogQuery after;
  after.after_sequence = got->front().sequence;
  EXPECT_EQ(Messages(logs.GetLogEvents("/aws/vendedlogs/states/x", "s1", after)),
            (std::vector<std::string>{"b"}));

  std::vector<LogGroupInfo> groups = logs.DescribeLogGroups();
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].name, "/aws/vendedlogs/states/x");
  EXPECT_EQ(groups[0].events, 3u);
  EXPECT_EQ(groups[0].stored_bytes, 3u);
  EXPECT_EQ(groups[0].streams, 2u);
  EXPECT_EQ(logs.DescribeLogGroups("oth").size(), 1u);
  auto streams = logs.DescribeLogStreams("/aws/vendedlogs/states/x");
  ASSERT_TRUE(streams.ok());
  ASSERT_EQ(streams->size(), 2u);
  EXPECT_EQ((*streams)[0].name, "s1");
  EXPECT_EQ((*streams)[0].first_event_timestamp, 10);
  EXPECT_EQ((*streams)[0].last_event_timestamp, 20);
  ASSERT_TRUE(logs.DeleteLogGroup("other").ok());
  EXPECT_EQ(logs.DeleteLogGroup("other").code(), StatusCode::NotFound);
  EXPECT_EQ(logs.GetLogEvents("other", "s", all).status().code(), StatusCode::NotFound);
}

TEST(LogStore, KeepsTheNewestEventsWithinItsBounds) {
  ManualClock clock(0);
  LogStoreOptions options;
  options.max_events_per_group = 3;
  options.max_bytes_per_group = 1000;
  options.max_streams_per_group = 2;
  options.max_groups = 2;
  options.max_message_bytes = 10;
  LogStore logs(&clock, options);
  ASSERT_TRUE(logs.Append("g", "s1", Events({{1, "1"}, {2, "2"}})).ok());
  ASSERT_TRUE(logs.Append("g", "s2", Events({{3, "3"}, {4, "4"}})).ok());
  EXPECT_EQ(Messages(logs.FilterLogEvents("g", {}, "", {})),
            (std::vector<std::string>{"2", "3", "4"}));
  EXPECT_EQ(logs.evicted_events(), 1u);
  // A third stream pushes out the one written longest ago (s1), with its events.
  clock.Advance(10);
  ASSERT_TRUE(logs.Append("g", "s2", Events({{5, "5"}})).ok());
  clock.Advance(10);
  ASSERT_TRUE(logs.Append("g", "s3", Events({{6, "6"}})).ok());
  auto streams = logs.DescribeLogStreams("g");
  ASSERT_TRUE(streams.ok());
  ASSERT_EQ(streams->size(), 2u);
  EXPECT_EQ((*streams)[0].name, "s2");
  EXPECT_EQ((*streams)[1].name, "s3");
  EXPECT_EQ(Messages(logs.FilterLogEvents("g", {}, "", {})),
            (std::vector<std::string>{"4", "5", "6"}));
  // Bytes, messages and groups.
  ASSERT_TRUE(logs.Append("g", "s3", Events({{7, "0123456789abcdef"}})).ok());
  EXPECT_EQ(Messages(logs.GetLogEvents("g", "s3", {})).back(), "0123456789");
  ASSERT_TRUE(logs.CreateLogGroup("h").ok());
  EXPECT_EQ(logs.CreateLogGroup("i").code(), StatusCode::OutOfRange);
  EXPECT_EQ(logs.Append("i", "s", Events({{1, "x"}})).code(), StatusCode::OutOfRange);

  LogStoreOptions small;
  small.max_bytes_per_group = 5;
  LogStore tight(&clock, small);
  ASSERT_TRUE(tight.Append("g", "s", Events({{1, "abc"}, {2, "def"}})).ok());
  EXPECT_EQ(Messages(tight.GetLogEvents("g", "s", {})), (std::vector<std::string>{"def"}));
}

TEST(ExecutionLogs, LevelsKeepWhatAwsLogs) {
  using L = ExecutionLogLevel;
  for (EventType t : {EventType::ExecutionStarted, EventType::PassStateEntered,
                      EventType::TaskSucceeded, EventType::ExecutionFailed}) {
    EXPECT_TRUE(LogLevelKeeps(L::All, t));
    EXPECT_FALSE(LogLevelKeeps(L::Off, t));
  }
  for (EventType t :
       {EventType::ExecutionFailed, EventType::ExecutionTimedOut, EventType::ExecutionAborted}) {
    EXPECT_TRUE(LogLevelKeeps(L::Fatal, t));
    EXPECT_TRUE(LogLevelKeeps(L::Error, t));
  }
  for (EventType t : {EventType::TaskFailed, EventType::TaskTimedOut, EventType::TaskStateAborted,
                      EventType::LambdaFunctionFailed, EventType::MapIterationFailed,
                      EventType::ParallelStateAborted, EventType::FailStateEntered,
                      EventType::EvaluationFailed, EventType::MapRunFailed}) {
    EXPECT_TRUE(LogLevelKeeps(L::Error, t)) << eval::EventTypeName(t);
    EXPECT_FALSE(LogLevelKeeps(L::Fatal, t)) << eval::EventTypeName(t);
  }
  for (EventType t :
       {EventType::ExecutionStarted, EventType::ExecutionSucceeded, EventType::TaskStateEntered,
        EventType::TaskScheduled, EventType::FailStateEntered}) {
    EXPECT_FALSE(LogLevelKeeps(L::Fatal, t)) << eval::EventTypeName(t);
  }
  EXPECT_FALSE(LogLevelKeeps(L::Error, EventType::TaskSucceeded));
  EXPECT_FALSE(LogLevelKeeps(L::Error, EventType::ExecutionSucceeded));
}

HistoryEvent Event(int64_t id, int64_t prev, EventType type, EpochMillis at) {
  HistoryEvent e;
  e.id = id;
  e.previous_event_id = prev;
  e.type = type;
  e.timestamp = at;
  return e;
}

TEST(ExecutionLogs, MessagesAreTheJsonAwsWrites) {
  const std::string arn = "arn:aws:states:us-east-1:123456789012:execution:m:run";
  HistoryEvent started = Event(1, 0, EventType::ExecutionStarted, 1713959670672);
  started.payload = json::Value::Object({{"a", json::Value::Int(1)}});
  EXPECT_EQ(ExecutionLogMessage(started, arn, true, "arn:aws:iam::123456789012:role/r"),
            R"({"id":"1","type":"ExecutionStarted","details":{"input":"{\"a\":1}",)"
            R"("inputDetails":{"truncated":false},"roleArn":"arn:aws:iam::123456789012:role/r"},)"
            R"("previous_event_id":"0","event_timestamp":"1713959670672",)"
            R"("execution_arn":"arn:aws:states:us-east-1:123456789012:execution:m:run",)"
            R"("redrive_count":"0"})");
  EXPECT_EQ(ExecutionLogMessage(started, arn, false, ""),
            R"({"id":"1","type":"ExecutionStarted","details":{},"previous_event_id":"0",)"
            R"("event_timestamp":"1713959670672",)"
            R"("execution_arn":"arn:aws:states:us-east-1:123456789012:execution:m:run",)"
            R"("redrive_count":"0"})");

  HistoryEvent scheduled = Event(3, 2, EventType::TaskScheduled, 5);
  scheduled.resource =
      json::Value::Array({json::Value::String("lambda"), json::Value::String("invoke")});
  scheduled.payload = json::Value::Object({{"FunctionName", json::Value::String("f")}});
  std::string with = ExecutionLogMessage(scheduled, arn, true, "");
  std::string without = ExecutionLogMessage(scheduled, arn, false, "");
  EXPECT_NE(with.find(R"("parameters":"{\"FunctionName\":\"f\"}")"), std::string::npos) << with;
  EXPECT_EQ(without.find("parameters"), std::string::npos) << without;
  EXPECT_NE(without.find(R"("resourceType":"lambda","resource":"invoke")"), std::string::npos);

  HistoryEvent failed = Event(4, 3, EventType::ExecutionFailed, 6);
  failed.SetFailure("Boom", "on purpose");
  EXPECT_EQ(ExecutionLogMessage(failed, arn, false, ""),
            R"({"id":"4","type":"ExecutionFailed","details":{"error":"Boom","cause":"on purpose"},)"
            R"("previous_event_id":"3","event_timestamp":"6",)"
            R"("execution_arn":"arn:aws:states:us-east-1:123456789012:execution:m:run",)"
            R"("redrive_count":"0"})");

  // Payloads over 248 KiB are cut and marked truncated.
  HistoryEvent big = Event(2, 1, EventType::PassStateEntered, 7);
  big.name = json::Value::String("P");
  big.payload = json::Value::String(std::string(300 * 1024, 'x'));
  auto parsed = json::Parse(ExecutionLogMessage(big, arn, true, ""));
  ASSERT_TRUE(parsed.ok());
  const json::Value* details = parsed->find("details");
  ASSERT_NE(details, nullptr);
  EXPECT_EQ(details->find("input")->as_string().size(), 248u * 1024);
  EXPECT_EQ(json::Write(*details->find("inputDetails")), R"({"truncated":true})");
  EXPECT_EQ(details->find("name")->as_string(), "P");
}

TEST(ExecutionLogs, StreamNames) {
  EXPECT_EQ(ExecutionLogStreamName("arn:aws:states:us-east-1:1:execution:m:run"), "states/m/run");
  EXPECT_EQ(ExecutionLogStreamName("arn:aws:states:us-east-1:1:express:m:run:0123-4567"),
            "states/m/run/0123-4567");
}

// A memory store with four state machines, one per logging level.
class ExecutionLoggerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Add("all", R"({"level":"ALL","includeExecutionData":true,"destinations":[{)"
               R"("cloudWatchLogsLogGroup":{"logGroupArn":)"
               R"("arn:aws:logs:us-east-1:123456789012:log-group:/aws/vendedlogs/all:*"}}]})");
    Add("errors", R"({"level":"ERROR","includeExecutionData":false,"destinations":[{)"
                  R"("cloudWatchLogsLogGroup":{"logGroupArn":)"
                  R"("arn:aws:logs:us-east-1:123456789012:log-group:errors:*"}}]})");
    Add("fatal", R"({"level":"FATAL","includeExecutionData":true,"destinations":[{)"
                 R"("cloudWatchLogsLogGroup":{"logGroupArn":)"
                 R"("arn:aws:logs:us-east-1:123456789012:log-group:fatal"}}]})");
    Add("off", R"({"level":"OFF","includeExecutionData":false})");
  }
  void Add(const std::string& name, const std::string& logging) {
    store::StateMachineRecord r;
    r.arn = "arn:aws:states:us-east-1:123456789012:stateMachine:" + name;
    r.name = name;
    r.definition = "{}";
    r.role_arn = "arn:aws:iam::123456789012:role/r";
    r.logging_configuration = logging;
    r.tracing_configuration = R"({"enabled":false})";
    ASSERT_TRUE(store_.CreateStateMachine(r).ok());
  }
  // Runs one execution of `machine` through the logger: started, a task that fails, failed.
  void Run(const std::string& machine, const std::string& name) {
    std::string arn = "arn:aws:states:us-east-1:123456789012:execution:" + machine + ":" + name;
    std::vector<HistoryEvent> first = {Event(1, 0, EventType::ExecutionStarted, 100),
                                       Event(2, 1, EventType::TaskStateEntered, 100),
                                       Event(3, 2, EventType::TaskScheduled, 100)};
    first[0].payload = json::Value::Object({{"in", json::Value::Int(1)}});
    first[1].name = json::Value::String("T");
    first[1].payload = first[0].payload;
    first[2].resource =
        json::Value::Array({json::Value::String("lambda"), json::Value::String("invoke")});
    first[2].payload = json::Value::EmptyObject();
    std::vector<HistoryEvent> second = {Event(4, 3, EventType::TaskFailed, 200),
                                        Event(5, 4, EventType::ExecutionFailed, 200)};
    second[0].resource = first[2].resource;
    second[0].SetFailure("Boom", "c");
    second[1].SetFailure("Boom", "c");
    for (auto* events : {&first, &second}) {
      CommitReport r;
      r.execution_arn = arn;
      r.state_machine_name = machine;
      r.events = *events;
      r.ended = events == &second;
      logger_.OnCommit(r);
    }
  }
  std::vector<std::string> Types(const std::string& group) {
    std::vector<std::string> out;
    auto events = logs_.FilterLogEvents(group, {}, "", {});
    if (!events.ok()) return {events.status().ToString()};
    for (const LogEvent& e : *events) {
      auto parsed = json::Parse(e.message);
      out.push_back(parsed.ok() ? parsed->find("type")->as_string() : "unparsed");
    }
    return out;
  }

  store::MemoryStore store_;
  ManualClock clock_{0};
  LogStore logs_{&clock_};
  MachineSettingsCache settings_{&store_};
  ExecutionLogger logger_{&logs_, &settings_};
};

TEST_F(ExecutionLoggerTest, WritesEachLevelsEventsToItsGroup) {
  Run("all", "a1");
  Run("errors", "e1");
  Run("fatal", "f1");
  Run("off", "o1");
  EXPECT_EQ(Types("/aws/vendedlogs/all"),
            (std::vector<std::string>{"ExecutionStarted", "TaskStateEntered", "TaskScheduled",
                                      "TaskFailed", "ExecutionFailed"}));
  EXPECT_EQ(Types("errors"), (std::vector<std::string>{"TaskFailed", "ExecutionFailed"}));
  EXPECT_EQ(Types("fatal"), (std::vector<std::string>{"ExecutionFailed"}));
  EXPECT_EQ(logs_.DescribeLogGroups().size(), 3u);  // nothing for "off"

  auto all = logs_.GetLogEvents("/aws/vendedlogs/all", "states/all/a1", {});
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 5u);
  EXPECT_EQ(all->front().timestamp, 100);
  EXPECT_NE(all->front().message.find(R"("input":"{\"in\":1}")"), std::string::npos);
  EXPECT_NE(all->front().message.find(R"("roleArn":"arn:aws:iam::123456789012:role/r")"),
            std::string::npos);
  auto errors = logs_.GetLogEvents("errors", "states/errors/e1", {});
  ASSERT_TRUE(errors.ok());
  EXPECT_NE(errors->back().message.find(R"("error":"Boom")"), std::string::npos);

  // A change of configuration applies once the cache is refreshed (the API does so).
  store::StateMachineRecord off;
  off.arn = "arn:aws:states:us-east-1:123456789012:stateMachine:all";
  off.name = "all";
  off.definition = "{}";
  off.logging_configuration = R"({"level":"OFF","includeExecutionData":false})";
  ASSERT_TRUE(store_.UpdateStateMachine(off, std::nullopt).ok());
  settings_.InvalidateAll();
  Run("all", "a2");
  EXPECT_EQ(Types("/aws/vendedlogs/all").size(), 5u);
}

// GET /logs through a real HttpServer whose handler is ServeLogs.
class LogsHandler final : public api::Handler {
 public:
  explicit LogsHandler(const LogStore* logs) : logs_(logs) {}
  void Handle(api::HttpRequest request, api::Responder responder) override {
    ServeLogs(*logs_, request, std::move(responder));
  }

 private:
  const LogStore* logs_;
};

TEST_F(ExecutionLoggerTest, ServesLogsOverHttp) {
  Run("all", "a1");
  Run("all", "a2");
  Run("errors", "e1");
  LogsHandler handler(&logs_);
  api::HttpServerOptions options;
  options.threads = 1;
  auto server = api::HttpServer::Start(options, &handler);
  ASSERT_TRUE(server.ok());
  auto get = [&](const std::string& target) {
    api::testing::RawClient client((*server)->port());
    EXPECT_TRUE(client.Send(api::testing::RawRequest("GET", target, "", "")));
    return client.Read();
  };
  auto lines = [](const std::string& body) {
    size_t n = 0;
    for (char c : body) n += c == '\n';
    return n;
  };
  api::testing::RawResponse groups = get("/logs");
  EXPECT_EQ(groups.status, 200);
  EXPECT_EQ(lines(groups.body), 2u);
  EXPECT_NE(groups.body.find(R"("logGroupName":"/aws/vendedlogs/all")"), std::string::npos);
  EXPECT_NE(groups.body.find(R"("events":10)"), std::string::npos) << groups.body;

  // The group name after /logs/, as written or %-escaped.
  api::testing::RawResponse all = get("/logs//aws/vendedlogs/all");
  EXPECT_EQ(all.status, 200);
  EXPECT_EQ(lines(all.body), 10u);
  EXPECT_EQ(all.body.substr(0, 8), R"({"id":"1)");
  EXPECT_EQ(get("/logs/%2Faws%2Fvendedlogs%2Fall").body, all.body);
  EXPECT_EQ(lines(get("/logs//aws/vendedlogs/all?stream=states/all/a2").body), 5u);
  EXPECT_EQ(lines(get("/logs//aws/vendedlogs/all?filter=TaskFailed&limit=1").body), 1u);
  EXPECT_EQ(lines(get("/logs//aws/vendedlogs/all?start=150").body), 4u);
  EXPECT_EQ(lines(get("/logs//aws/vendedlogs/all?end=150").body), 6u);
  EXPECT_EQ(lines(get("/logs/errors").body), 2u);
  EXPECT_EQ(get("/logs/nope").status, 404);
  EXPECT_EQ(get("/logs/errors?start=yesterday").status, 400);
  EXPECT_EQ(get("/logs/errors?color=red").status, 400);
  EXPECT_EQ(get("/logs/a%zz").status, 400);
  (*server)->Stop();
}

}  // namespace
}  // namespace stepfn::server
