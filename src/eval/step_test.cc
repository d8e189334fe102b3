#include "eval/step.h"

#include <gtest/gtest.h>

#include "asl/program.h"
#include "eval/stepper.h"
#include "json/parse.h"
#include "json/write.h"

namespace stepfn::eval {
namespace {

json::Value J(std::string_view s) {
  auto r = json::Parse(s);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : json::Value();
}

// Drives one execution by hand: the test plays the outside world.
class Driver {
 public:
  explicit Driver(std::string_view definition, ExecutionInfo info = {}) {
    auto p = asl::Program::Compile(J(definition));
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    program_ = *p;
    state_ = NewExecution(*program_, std::move(info));
  }
  StepOutput Step(std::vector<Input> inputs) {
    StepOutput out;
    eval::Step(*program_, *state_, inputs, now, &out);
    while (out.more) {
      StepOutput more;
      eval::Step(*program_, *state_, {}, now, &more);
      for (auto& e : more.events) out.events.push_back(std::move(e));
      for (auto& c : more.commands) out.commands.push_back(std::move(c));
      out.more = more.more;
    }
    for (const auto& e : out.events) history.push_back(e);
    return out;
  }
  StepOutput Start(std::string_view input) {
    return Step({{InputKind::Start, 0, J(input), {}, {}}});
  }
  std::vector<std::string> Types() const {
    std::vector<std::string> t;
    for (const auto& e : history) t.emplace_back(EventTypeName(e.type));
    return t;
  }
  ExecutionState& state() { return *state_; }

  EpochMillis now = 1700000000000;
  std::vector<HistoryEvent> history;

 private:
  std::shared_ptr<const asl::Program> program_;
  std::unique_ptr<ExecutionState> state_;
};

const Command* Find(const StepOutput& out, CommandKind kind) {
  for (const auto& c : out.commands) {
    if (c.kind == kind) return &c;
  }
  return nullptr;
}

TEST(Step, PassChainWithParametersAndHistoryIds) {
  Driver d(R"({"StartAt":"A","States":{
      "A":{"Type":"Pass","Parameters":{"a.$":"$.x","n":1},"ResultPath":"$.r","Next":"B"},
      "B":{"Type":"Pass","OutputPath":"$.r","End":true}}})");
  d.Start(R"({"x":7})");
  ASSERT_EQ(Status(d.state()), ExecutionStatus::Succeeded);
  EXPECT_EQ(json::Write(Output(d.state())), R"({"a":7,"n":1})");
  EXPECT_EQ(d.Types(), (std::vector<std::string>{"ExecutionStarted", "PassStateEntered",
                                                 "PassStateExited", "PassStateEntered",
                                                 "PassStateExited", "ExecutionSucceeded"}));
  for (size_t i = 0; i < d.history.size(); ++i) {
    EXPECT_EQ(d.history[i].id, static_cast<int64_t>(i + 1));
    EXPECT_EQ(d.history[i].previous_event_id, static_cast<int64_t>(i));
  }
  json::Value entered = d.history[1].ToJson();
  EXPECT_EQ(json::Write(*entered.find("stateEnteredEventDetails")),
            R"({"name":"A","input":"{\"x\":7}","inputDetails":{"truncated":false}})");
}

TEST(Step, TaskRetriesWithBackoffThenCatches) {
  Driver d(R"({"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
           "Retry":[{"ErrorEquals":["Boom"],"IntervalSeconds":2,"BackoffRate":3,"MaxAttempts":2}],
           "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"Caught"}],
           "End":true},
      "Caught":{"Type":"Pass","End":true}}})");
  StepOutput out = d.Start(R"({"k":1})");
  std::vector<EpochMillis> delays;
  for (int attempt = 0; attempt < 3; ++attempt) {
    const Command* task = Find(out, CommandKind::RunTask);
    ASSERT_NE(task, nullptr) << "attempt " << attempt;
    EXPECT_EQ(task->retry_count, attempt);
    EXPECT_EQ(json::Write(task->parameters), R"({"k":1})");
    out = d.Step({{InputKind::TaskFailed, task->id, {}, "Boom", "bad"}});
    if (attempt < 2) {
      const Command* timer = Find(out, CommandKind::StartTimer);
      ASSERT_NE(timer, nullptr);
      delays.push_back(timer->fire_at - d.now);
      d.now = timer->fire_at;
      out = d.Step({{InputKind::TimerFired, timer->id, {}, {}, {}}});
    }
  }
  EXPECT_EQ(delays, (std::vector<EpochMillis>{2000, 6000}));
  ASSERT_EQ(Status(d.state()), ExecutionStatus::Succeeded);
  EXPECT_EQ(json::Write(Output(d.state())), R"({"k":1,"err":{"Error":"Boom","Cause":"bad"}})");
}

TEST(Step, TaskTimeoutFailsWithStatesTimeout) {
  Driver d(R"({"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSeconds":5,
           "End":true}}})");
  StepOutput out = d.Start("{}");
  const Command* task = Find(out, CommandKind::RunTask);
  const Command* timer = Find(out, CommandKind::StartTimer);
  ASSERT_NE(task, nullptr);
  ASSERT_NE(timer, nullptr);
  EXPECT_EQ(timer->fire_at - d.now, 5000);
  uint64_t task_id = task->id;
  d.now += 5000;
  d.Step({{InputKind::TimerFired, timer->id, {}, {}, {}}});
  ASSERT_EQ(Status(d.state()), ExecutionStatus::Failed);
  EXPECT_EQ(Failure(d.state()).error, "States.Timeout");
  // A late result is ignored.
  d.Step({{InputKind::TaskSucceeded, task_id, J("{}"), {}, {}}});
  EXPECT_EQ(Status(d.state()), ExecutionStatus::Failed);
  EXPECT_EQ(d.Types().back(), "ExecutionFailed");
}

TEST(Step, HeartbeatsKeepATaskAliveUntilTheyStop) {
  Driver d(R"({"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
           "HeartbeatSeconds":10,
           "Catch":[{"ErrorEquals":["States.HeartbeatTimeout"],"Next":"Late"}],"End":true},
      "Late":{"Type":"Pass","End":true}}})");
  StepOutput out = d.Start("{}");
  const Command* task = Find(out, CommandKind::RunTask);
  const Command* timer = Find(out, CommandKind::StartTimer);
  ASSERT_NE(task, nullptr);
  ASSERT_NE(timer, nullptr);
  uint64_t task_id = task->id;
  uint64_t first_timer = timer->id;
  EXPECT_EQ(timer->fire_at - d.now, 10000);
  // A heartbeat at 8 s restarts the clock: the first timer no longer counts.
  d.now += 8000;
  out = d.Step({{InputKind::TaskHeartbeat, task_id, {}, {}, {}}});
  const Command* second = Find(out, CommandKind::StartTimer);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(second->fire_at - d.now, 10000);
  uint64_t second_timer = second->id;
  d.now += 2000;
  d.Step({{InputKind::TimerFired, first_timer, {}, {}, {}}});
  EXPECT_EQ(Status(d.state()), ExecutionStatus::Running);
  // Silence past HeartbeatSeconds: States.HeartbeatTimeout, caught.
  d.now += 8000;
  d.Step({{InputKind::TimerFired, second_timer, {}, {}, {}}});
  ASSERT_EQ(Status(d.state()), ExecutionStatus::Succeeded);
  auto types = d.Types();
  EXPECT_NE(std::find(types.begin(), types.end(), "TaskTimedOut"), types.end());
  EXPECT_EQ(json::Write(Output(d.state())), R"({"Error":"States.HeartbeatTimeout","Cause":""})");
}

TEST(Step, MapHonoursMaxConcurrency) {
  Driver d(R"({"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":2,
      "ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task",
        "Resource":"arn:aws:states:::lambda:invoke","End":true}}},"End":true}}})");
  StepOutput out = d.Start("[1,2,3,4,5]");
  std::vector<std::pair<uint64_t, json::Value>> in_flight;
  int answered = 0;
  while (Status(d.state()) == ExecutionStatus::Running) {
    for (const auto& c : out.commands) {
      if (c.kind == CommandKind::RunTask) in_flight.emplace_back(c.id, c.parameters);
    }
    ASSERT_LE(in_flight.size(), 2u);
    ASSERT_FALSE(in_flight.empty());
    auto [id, params] = in_flight.front();
    in_flight.erase(in_flight.begin());
    json::Value result = json::Value::Int(params.as_int() * 10);
    out = d.Step({{InputKind::TaskSucceeded, id, result, {}, {}}});
    ++answered;
  }
  EXPECT_EQ(answered, 5);
  EXPECT_EQ(json::Write(Output(d.state())), "[10,20,30,40,50]");
}

// A Distributed Map keeps a run (DescribeMapRun): counts as items start and end, limits that
// UpdateMapRun changes while it runs, SUCCEEDED and a stop date at the end, and the state
// bytes carry it all.
TEST(Step, DistributedMapKeepsItsRun) {
  ExecutionInfo info;
  info.execution_arn = "arn:aws:states:eu-west-1:111122223333:execution:Machine:run-1";
  info.state_machine_name = "Machine";
  info.seed = 7;
  Driver d(R"({"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1,"Label":"Fan",
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
        "StartAt":"T","States":{"T":{"Type":"Task",
        "Resource":"arn:aws:states:::lambda:invoke","End":true}}},"End":true}}})",
           info);
  StepOutput out = d.Start("[1,2,3]");
  ASSERT_EQ(d.state().map_runs.size(), 1u);
  const MapRun& run = d.state().map_runs[0];
  std::string arn = MapRunArn(d.state(), 0);
  EXPECT_EQ(arn, "arn:aws:states:eu-west-1:111122223333:mapRun:Machine/Fan:" + run.id);
  EXPECT_EQ(run.id.size(), 36u);
  EXPECT_EQ(run.status, MapRunStatus::Running);
  EXPECT_EQ(run.total, 3u);
  EXPECT_EQ(run.started, 1u);  // MaxConcurrency 1
  bool arn_in_history = false;
  for (const auto& e : d.history) {
    if (e.type != EventType::MapRunStarted) continue;
    std::string_view key;
    json::Value details = e.Details(true, &key);
    arn_in_history = json::Write(details) == "{\"mapRunArn\":\"" + arn + "\"}";
  }
  EXPECT_TRUE(arn_in_history);

  // UpdateMapRun: three at once from now on.
  std::vector<uint64_t> tasks;
  for (const auto& c : out.commands) {
    if (c.kind == CommandKind::RunTask) tasks.push_back(c.id);
  }
  ASSERT_EQ(tasks.size(), 1u);
  out = d.Step({{InputKind::UpdateMapRun, 0, J(R"({"maxConcurrency":3})"), {}, {}}});
  for (const auto& c : out.commands) {
    if (c.kind == CommandKind::RunTask) tasks.push_back(c.id);
  }
  ASSERT_EQ(tasks.size(), 3u);
  EXPECT_EQ(d.state().map_runs[0].started, 3u);
  EXPECT_EQ(d.state().map_runs[0].max_concurrency, 3u);
  d.Step({{InputKind::TaskSucceeded, tasks[0], J("1"), {}, {}}});
  EXPECT_EQ(d.state().map_runs[0].succeeded, 1u);
  d.now += 1000;
  d.Step({{InputKind::TaskSucceeded, tasks[1], J("2"), {}, {}},
          {InputKind::TaskSucceeded, tasks[2], J("3"), {}, {}}});
  ASSERT_EQ(Status(d.state()), ExecutionStatus::Succeeded);
  EXPECT_EQ(d.state().map_runs[0].status, MapRunStatus::Succeeded);
  EXPECT_EQ(d.state().map_runs[0].succeeded, 3u);
  EXPECT_EQ(d.state().map_runs[0].stop_date, d.now);
}

// A run still going when the execution stops is ABORTED.
TEST(Step, StoppingAnExecutionAbortsItsMapRun) {
  ExecutionInfo info;
  info.execution_arn = "arn:aws:states:us-east-1:123456789012:execution:M:e";
  info.state_machine_name = "M";
  Driver d(R"({"StartAt":"M","States":{"M":{"Type":"Map",
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
        "StartAt":"T","States":{"T":{"Type":"Task",
        "Resource":"arn:aws:states:::lambda:invoke","End":true}}},"End":true}}})",
           info);
  d.Start("[1,2]");
  d.Step({{InputKind::Stop, 0, {}, "Stopped", ""}});
  ASSERT_EQ(d.state().map_runs.size(), 1u);
  EXPECT_EQ(d.state().map_runs[0].status, MapRunStatus::Aborted);
  EXPECT_EQ(d.state().map_runs[0].label, "M");  // no Label: the state's name
}

TEST(Step, WaitStartsATimer) {
  Driver d(R"({"StartAt":"W","States":{"W":{"Type":"Wait","SecondsPath":"$.s","Next":"P"},
      "P":{"Type":"Pass","End":true}}})");
  StepOutput out = d.Start(R"({"s":30})");
  const Command* timer = Find(out, CommandKind::StartTimer);
  ASSERT_NE(timer, nullptr);
  EXPECT_EQ(timer->fire_at - d.now, 30000);
  EXPECT_EQ(Status(d.state()), ExecutionStatus::Running);
  d.now = timer->fire_at;
  d.Step({{InputKind::TimerFired, timer->id, {}, {}, {}}});
  EXPECT_EQ(Status(d.state()), ExecutionStatus::Succeeded);
}

TEST(Step, PayloadLimitGivesDataLimitExceeded) {
  ExecutionInfo info;
  info.max_payload_bytes = 1000;
  Driver d(R"({"StartAt":"P","States":{"P":{"Type":"Pass",
      "Parameters":{"a.$":"$.s","b.$":"$.s","c.$":"$.s"},"End":true}}})",
           info);
  d.Start(R"({"s":")" + std::string(400, 'x') + R"("})");
  ASSERT_EQ(Status(d.state()), ExecutionStatus::Failed);
  EXPECT_EQ(Failure(d.state()).error, "States.DataLimitExceeded");
}

TEST(Step, EndlessLoopStopsAtTheHistoryLimit) {
  ExecutionInfo info;
  info.max_history_events = 25000;
  Driver d(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},
      "B":{"Type":"Pass","Next":"A"}}})",
           info);
  d.Start("{}");
  ASSERT_EQ(Status(d.state()), ExecutionStatus::Failed);
  EXPECT_EQ(Failure(d.state()).error, "States.Runtime");
  EXPECT_LE(EventCount(d.state()), 25000);
}

TEST(Step, ParallelBranchFailureFailsTheState) {
  Driver d(R"({"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
      {"StartAt":"ok","States":{"ok":{"Type":"Pass","End":true}}},
      {"StartAt":"bad","States":{"bad":{"Type":"Fail","Error":"E","Cause":"C"}}}]}}})");
  d.Start("{}");
  ASSERT_EQ(Status(d.state()), ExecutionStatus::Failed);
  EXPECT_EQ(Failure(d.state()).error, "E");
  EXPECT_EQ(Failure(d.state()).cause, "C");
  auto types = d.Types();
  EXPECT_NE(std::find(types.begin(), types.end(), "ParallelStateFailed"), types.end());
}

TEST(Step, StopAbortsTheExecution) {
  Driver d(R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":100,"End":true}}})");
  d.Start("{}");
  d.Step({{InputKind::Stop, 0, {}, "Stopped", "by a test"}});
  EXPECT_EQ(Status(d.state()), ExecutionStatus::Aborted);
  EXPECT_EQ(d.Types().back(), "ExecutionAborted");
}

}  // namespace
}  // namespace stepfn::eval

namespace stepfn::eval {
namespace {

constexpr const char* kFunctionArn = "arn:aws:lambda:us-east-1:123456789012:function:f";

std::string FunctionTask(std::string_view extra) {
  return std::string(R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":")") + kFunctionArn +
         "\"" + std::string(extra) + R"(,"End":true},
      "Caught":{"Type":"Pass","End":true}}})";
}

TEST(StepLambda, FunctionArnRecordsLambdaFunctionEvents) {
  Driver d(FunctionTask(R"(,"TimeoutSeconds":30)"));
  StepOutput out = d.Start(R"({"a":1})");
  const Command* run = Find(out, CommandKind::RunTask);
  ASSERT_NE(run, nullptr);
  d.Step({{InputKind::TaskSucceeded, run->id, J(R"({"b":2})"), {}, {}}});
  ASSERT_EQ(Status(d.state()), ExecutionStatus::Succeeded);
  EXPECT_EQ(d.Types(), (std::vector<std::string>{"ExecutionStarted", "TaskStateEntered",
                                                 "LambdaFunctionScheduled", "LambdaFunctionStarted",
                                                 "LambdaFunctionSucceeded", "TaskStateExited",
                                                 "ExecutionSucceeded"}));
  EXPECT_EQ(json::Write(d.history[2].ToJson()),
            R"({"timestamp":1700000000.0,"type":"LambdaFunctionScheduled","id":3,)"
            R"("previousEventId":2,"lambdaFunctionScheduledEventDetails":{"resource":")" +
                std::string(kFunctionArn) +
                R"(","input":"{\"a\":1}","inputDetails":{"truncated":false},)"
                R"("timeoutInSeconds":30}})");
  EXPECT_EQ(json::Write(d.history[3].ToJson()),
            R"({"timestamp":1700000000.0,"type":"LambdaFunctionStarted","id":4,)"
            R"("previousEventId":3})");
  EXPECT_EQ(json::Write(*d.history[4].ToJson().find("lambdaFunctionSucceededEventDetails")),
            R"({"output":"{\"b\":2}","outputDetails":{"truncated":false}})");
}

TEST(StepLambda, FailureAndTimeoutUseLambdaFunctionEvents) {
  Driver d(FunctionTask(R"(,"TimeoutSeconds":5,"Retry":[{"ErrorEquals":["Oops"],
      "IntervalSeconds":1,"MaxAttempts":1}])"));
  StepOutput out = d.Start("{}");
  const Command* run = Find(out, CommandKind::RunTask);
  ASSERT_NE(run, nullptr);
  out = d.Step({{InputKind::TaskFailed, run->id, {}, "Oops", "it broke"}});
  const Command* retry = Find(out, CommandKind::StartTimer);
  ASSERT_NE(retry, nullptr);
  d.now = retry->fire_at;
  out = d.Step({{InputKind::TimerFired, retry->id, {}, {}, {}}});
  const Command* timeout = nullptr;
  for (const auto& c : out.commands) {
    if (c.kind == CommandKind::StartTimer) timeout = &c;
  }
  ASSERT_NE(timeout, nullptr);
  d.now = timeout->fire_at;
  d.Step({{InputKind::TimerFired, timeout->id, {}, {}, {}}});
  ASSERT_EQ(Status(d.state()), ExecutionStatus::Failed);
  EXPECT_EQ(Failure(d.state()).error, "States.Timeout");
  EXPECT_EQ(d.Types(),
            (std::vector<std::string>{
                "ExecutionStarted", "TaskStateEntered", "LambdaFunctionScheduled",
                "LambdaFunctionStarted", "LambdaFunctionFailed", "LambdaFunctionScheduled",
                "LambdaFunctionStarted", "LambdaFunctionTimedOut", "ExecutionFailed"}));
  EXPECT_EQ(json::Write(*d.history[4].ToJson().find("lambdaFunctionFailedEventDetails")),
            R"({"error":"Oops","cause":"it broke"})");
  EXPECT_EQ(json::Write(*d.history[7].ToJson().find("lambdaFunctionTimedOutEventDetails")),
            R"({"error":"States.Timeout"})");
}

TEST(StepLambda, OversizedResultFailsTheTaskAndStatesAllCatchesIt) {
  ExecutionInfo info;
  info.max_payload_bytes = 250;
  Driver d(FunctionTask(R"(,"Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}])"), info);
  StepOutput out = d.Start("{}");
  const Command* run = Find(out, CommandKind::RunTask);
  ASSERT_NE(run, nullptr);
  d.Step({{InputKind::TaskSucceeded, run->id, json::Value::String(std::string(300, 'a')), {}, {}}});
  ASSERT_EQ(Status(d.state()), ExecutionStatus::Succeeded);
  EXPECT_EQ(d.Types()[4], "LambdaFunctionFailed");
  EXPECT_EQ(json::Write(Output(d.state())),
            R"({"Error":"States.DataLimitExceeded","Cause":"The state/task ')" +
                std::string(kFunctionArn) +
                R"(' returned a result with a size exceeding the maximum number of bytes )"
                R"(service limit."})");
}

TEST(StepLambda, ServiceIntegrationKeepsTaskEventsAndNamesTheServiceWhenTooBig) {
  ExecutionInfo info;
  info.max_payload_bytes = 100;
  Driver d(R"({"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"arn:aws:states:::lambda:invoke","Parameters":{"FunctionName":"f"},
      "End":true}}})",
           info);
  StepOutput out = d.Start("{}");
  const Command* run = Find(out, CommandKind::RunTask);
  ASSERT_NE(run, nullptr);
  d.Step({{InputKind::TaskSucceeded, run->id, json::Value::String(std::string(200, 'a')), {}, {}}});
  ASSERT_EQ(Status(d.state()), ExecutionStatus::Failed);
  EXPECT_EQ(d.Types(),
            (std::vector<std::string>{"ExecutionStarted", "TaskStateEntered", "TaskScheduled",
                                      "TaskStarted", "TaskFailed", "ExecutionFailed"}));
  EXPECT_EQ(Failure(d.state()).cause,
            "The state/task 'lambda' returned a result with a size exceeding the maximum number "
            "of bytes service limit.");
}

TEST(StepLambda, RecognisesFunctionArns) {
  using asl::IsLambdaFunctionArn;
  EXPECT_TRUE(IsLambdaFunctionArn(kFunctionArn));
  EXPECT_TRUE(IsLambdaFunctionArn("arn:aws:lambda:eu-west-1:123456789012:function:f:$LATEST"));
  EXPECT_TRUE(IsLambdaFunctionArn("arn:aws-cn:lambda:cn-north-1:123456789012:function:f:prod"));
  EXPECT_FALSE(IsLambdaFunctionArn("arn:aws:states:::lambda:invoke"));
  EXPECT_FALSE(IsLambdaFunctionArn("arn:aws:lambda:us-east-1:123456789012:layer:l:1"));
  EXPECT_FALSE(IsLambdaFunctionArn("arn:aws:lambda:us-east-1:123456789012:function:"));
  EXPECT_FALSE(IsLambdaFunctionArn("arn:aws:states:us-east-1:123456789012:activity:a"));
}

TEST(StepLambda, AnOutputPathThatSelectsNothingEndsTheExecutionUncaught) {
  Driver d(FunctionTask(R"(,"OutputPath":"$.no.such.path",
      "Catch":[{"ErrorEquals":["States.Runtime"],"Next":"Caught"}])"));
  StepOutput out = d.Start("{}");
  const Command* run = Find(out, CommandKind::RunTask);
  ASSERT_NE(run, nullptr);
  d.Step({{InputKind::TaskSucceeded, run->id, J("{}"), {}, {}}});
  ASSERT_EQ(Status(d.state()), ExecutionStatus::Failed);
  EXPECT_EQ(Failure(d.state()).error, "States.Runtime");
  EXPECT_EQ(Failure(d.state()).cause,
            "An error occurred while executing the state 'T' (entered at the event id #2). "
            "Invalid path '$.no.such.path' : Missing property in path $['no']");
  EXPECT_EQ(d.Types().back(), "ExecutionFailed");
  EXPECT_EQ(d.Types()[4], "LambdaFunctionSucceeded");
  EXPECT_EQ(d.Types().size(), 6u);
}

}  // namespace
}  // namespace stepfn::eval
