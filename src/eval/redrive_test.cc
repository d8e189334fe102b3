// Redrive: an execution that ended unsuccessfully runs again from the state it did not finish.
#include <gtest/gtest.h>

#include <algorithm>

#include "asl/program.h"
#include "eval/state_codec.h"
#include "eval/step.h"
#include "json/parse.h"
#include "json/write.h"

namespace stepfn::eval {
namespace {

json::Value J(std::string_view s) {
  auto r = json::Parse(s);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : json::Value();
}

class Driver {
 public:
  explicit Driver(std::string_view definition) {
    auto p = asl::Program::Compile(J(definition));
    EXPECT_TRUE(p.ok()) << p.status().ToString();
    program_ = *p;
    state_ = NewExecution(*program_, {});
  }
  void Absorb(StepOutput& out) {
    for (const auto& e : out.events) history.push_back(e);
    for (const auto& c : out.commands) {
      if (c.kind == CommandKind::RunTask) tasks.push_back(c);
      if (c.kind == CommandKind::StartTimer) timers.push_back(c);
    }
  }
  void Step(std::vector<Input> inputs) {
    StepOutput out;
    eval::Step(*program_, *state_, inputs, now, &out);
    Absorb(out);
    while (out.more) {
      out = StepOutput();
      eval::Step(*program_, *state_, {}, now, &out);
      Absorb(out);
    }
  }
  void Start(std::string_view input) { Step({{InputKind::Start, 0, J(input), {}, {}}}); }
  // Through the codec, as the server does, then Redrive and one Step.
  void Redrive() {
    ASSERT_TRUE(Redrivable(*state_));
    auto decoded = DecodeState(*program_, EncodeState(*program_, *state_));
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    state_ = std::move(*decoded);
    ASSERT_TRUE(Redrivable(*state_));
    StepOutput out;
    eval::Redrive(*program_, *state_, now, &out);
    Absorb(out);
    auto again = DecodeState(*program_, EncodeState(*program_, *state_));
    ASSERT_TRUE(again.ok()) << again.status().ToString();
    state_ = std::move(*again);
    Step({});
  }
  // Answers every task not answered yet: `fail(parameters)` says which fail.
  template <typename F>
  void AnswerAll(F fail) {
    while (answered_ < tasks.size()) {
      Command c = tasks[answered_++];
      if (fail(c)) {
        Step({{InputKind::TaskFailed, c.id, {}, "Boom", "it broke"}});
      } else {
        Step({{InputKind::TaskSucceeded, c.id, c.parameters, {}, {}}});
      }
    }
  }
  size_t Count(const std::string& type, size_t from = 0) const {
    size_t n = 0;
    for (size_t i = from; i < history.size(); ++i) n += EventTypeName(history[i].type) == type;
    return n;
  }
  size_t IndexOf(const std::string& type) const {
    for (size_t i = 0; i < history.size(); ++i) {
      if (EventTypeName(history[i].type) == type) return i;
    }
    return history.size();
  }
  void ExpectContiguousIds() const {
    for (size_t i = 0; i < history.size(); ++i) {
      EXPECT_EQ(history[i].id, static_cast<int64_t>(i + 1));
    }
  }
  ExecutionState& state() { return *state_; }

  EpochMillis now = 1700000000000;
  std::vector<HistoryEvent> history;
  std::vector<Command> tasks;
  std::vector<Command> timers;

 private:
  std::shared_ptr<const asl::Program> program_;
  std::unique_ptr<ExecutionState> state_;
  size_t answered_ = 0;
};

TEST(Redrive, AFailedTaskRunsAgainAndSucceeds) {
  Driver d(R"({"StartAt":"P","States":{
      "P":{"Type":"Pass","Result":{"x":1},"Next":"T"},
      "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
           "Parameters":{"x.$":"$.x","rc.$":"$$.Execution.RedriveCount"},
           "Retry":[{"ErrorEquals":["Boom"],"IntervalSeconds":1,"MaxAttempts":1}],"End":true}}})");
  d.Start("{}");
  d.AnswerAll([](const Command&) { return true; });
  ASSERT_EQ(d.timers.size(), 1u);  // the retry
  d.Step({{InputKind::TimerFired, d.timers[0].id, {}, {}, {}}});
  d.AnswerAll([](const Command&) { return true; });
  ASSERT_EQ(Status(d.state()), ExecutionStatus::Failed);
  EXPECT_EQ(Failure(d.state()).error, "Boom");
  size_t before = d.history.size();
  d.Redrive();
  ASSERT_EQ(Status(d.state()), ExecutionStatus::Running);
  EXPECT_EQ(EventTypeName(d.history[before].type), "ExecutionRedriven");
  json::Value redriven = d.history[before].ToJson();
  ASSERT_NE(redriven.find("executionRedrivenEventDetails"), nullptr);
  EXPECT_EQ(json::Write(*redriven.find("executionRedrivenEventDetails")), R"({"redriveCount":1})");
  EXPECT_EQ(EventTypeName(d.history[before + 1].type), "TaskStateEntered");
  EXPECT_EQ(d.Count("PassStateEntered"), 1u);  // the Pass state is not run again
  ASSERT_EQ(d.tasks.size(), 3u);
  EXPECT_EQ(d.tasks[2].retry_count, 0);  // retries count from zero again
  EXPECT_EQ(json::Write(d.tasks[2].parameters), R"({"x":1,"rc":1})");
  d.AnswerAll([](const Command&) { return false; });
  ASSERT_EQ(Status(d.state()), ExecutionStatus::Succeeded);
  EXPECT_EQ(json::Write(Output(d.state())), R"({"x":1,"rc":1})");
  EXPECT_FALSE(Redrivable(d.state()));
  d.ExpectContiguousIds();
}

TEST(Redrive, OnlyTheFailedParallelBranchRunsAgain) {
  Driver d(R"({"StartAt":"Par","States":{"Par":{"Type":"Parallel","End":true,"Branches":[
      {"StartAt":"A","States":{"A":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
                                    "Parameters":{"b":"a"},"End":true}}},
      {"StartAt":"B","States":{"B":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
                                    "Parameters":{"b":"b"},"End":true}}}]}}})");
  d.Start("{}");
  auto fail_b = [](const Command& c) { return json::Write(c.parameters) == R"({"b":"b"})"; };
  d.AnswerAll(fail_b);
  ASSERT_EQ(Status(d.state()), ExecutionStatus::Failed);
  ASSERT_EQ(d.tasks.size(), 2u);
  d.Redrive();
  ASSERT_EQ(d.tasks.size(), 3u);  // only B again
  EXPECT_EQ(json::Write(d.tasks[2].parameters), R"({"b":"b"})");
  d.AnswerAll([](const Command&) { return false; });
  ASSERT_EQ(Status(d.state()), ExecutionStatus::Succeeded);
  EXPECT_EQ(json::Write(Output(d.state())), R"([{"b":"a"},{"b":"b"}])");
  d.ExpectContiguousIds();
}

TEST(Redrive, OnlyTheFailedMapIterationsRunAgain) {
  Driver d(R"({"StartAt":"M","States":{"M":{"Type":"Map","End":true,
      "ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task",
          "Resource":"arn:aws:states:::lambda:invoke","End":true}}}}}})");
  d.Start("[0,1,2,3,4]");
  auto odd = [](const Command& c) { return c.parameters.as_int() % 2 == 1; };
  d.AnswerAll(odd);
  ASSERT_EQ(Status(d.state()), ExecutionStatus::Failed);
  size_t first = d.tasks.size();
  size_t before = d.history.size();
  d.Redrive();
  std::vector<int64_t> again;
  for (size_t i = first; i < d.tasks.size(); ++i) again.push_back(d.tasks[i].parameters.as_int());
  std::sort(again.begin(), again.end());
  // The first failure ended the Map: iterations 2..4 may not have finished either; every
  // iteration that succeeded (0, and 2 or 4 when they did) is kept.
  for (int64_t v : again) EXPECT_TRUE(v != 0) << v;
  EXPECT_EQ(d.Count("MapIterationStarted", before), again.size());
  d.AnswerAll([](const Command&) { return false; });
  ASSERT_EQ(Status(d.state()), ExecutionStatus::Succeeded);
  EXPECT_EQ(json::Write(Output(d.state())), "[0,1,2,3,4]");
  d.ExpectContiguousIds();
}

TEST(Redrive, TwoOfFiveMapIterationsFailedAndOnlyThoseRunAgain) {
  // Iterations 0, 2 and 4 succeed, then 1 fails (the Map fails, 3 is aborted): 1 and 3 run again.
  Driver d(R"({"StartAt":"M","States":{"M":{"Type":"Map","End":true,
      "ItemProcessor":{"StartAt":"T","States":{"T":{"Type":"Task",
          "Resource":"arn:aws:states:::lambda:invoke","End":true}}}}}})");
  d.Start("[0,1,2,3,4]");
  // Answer the successes first, then the failures: three succeed before the first failure.
  std::vector<Command> pending = d.tasks;
  for (const Command& c : pending) {
    int64_t v = c.parameters.as_int();
    if (v != 1 && v != 3) d.Step({{InputKind::TaskSucceeded, c.id, c.parameters, {}, {}}});
  }
  for (const Command& c : pending) {
    int64_t v = c.parameters.as_int();
    if (v == 1 || v == 3) d.Step({{InputKind::TaskFailed, c.id, {}, "Boom", "x"}});
  }
  ASSERT_EQ(Status(d.state()), ExecutionStatus::Failed);
  size_t first = d.tasks.size();
  size_t before = d.history.size();
  d.Redrive();
  std::vector<int64_t> again;
  for (size_t i = first; i < d.tasks.size(); ++i) again.push_back(d.tasks[i].parameters.as_int());
  std::sort(again.begin(), again.end());
  EXPECT_EQ(again, (std::vector<int64_t>{1, 3}));
  EXPECT_EQ(d.Count("MapIterationStarted", before), 2u);
  d.AnswerAll([](const Command&) { return false; });
  ASSERT_EQ(Status(d.state()), ExecutionStatus::Succeeded);
  EXPECT_EQ(json::Write(Output(d.state())), "[0,1,2,3,4]");
  d.ExpectContiguousIds();
}

TEST(Redrive, AnAbortedExecutionContinuesFromItsWait) {
  Driver d(R"({"StartAt":"P","States":{"P":{"Type":"Pass","Next":"W"},
      "W":{"Type":"Wait","Seconds":10,"End":true}}})");
  d.Start(R"({"a":1})");
  d.Step({{InputKind::Stop, 0, {}, "Stopped", ""}});
  ASSERT_EQ(Status(d.state()), ExecutionStatus::Aborted);
  d.Redrive();
  ASSERT_EQ(Status(d.state()), ExecutionStatus::Running);
  EXPECT_EQ(d.Count("PassStateEntered"), 1u);
  EXPECT_EQ(d.Count("WaitStateEntered"), 2u);
  ASSERT_EQ(d.timers.size(), 2u);
  d.Step({{InputKind::TimerFired, d.timers[1].id, {}, {}, {}}});
  ASSERT_EQ(Status(d.state()), ExecutionStatus::Succeeded);
  EXPECT_EQ(json::Write(Output(d.state())), R"({"a":1})");
  d.ExpectContiguousIds();
}

TEST(Redrive, ATimedOutExecutionGetsItsTimeoutAgain) {
  Driver d(R"({"TimeoutSeconds":5,"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","End":true}}})");
  d.Start("{}");
  ASSERT_EQ(d.timers.size(), 1u);
  d.now += 5000;
  d.Step({{InputKind::TimerFired, d.timers[0].id, {}, {}, {}}});
  ASSERT_EQ(Status(d.state()), ExecutionStatus::TimedOut);
  d.now += 60000;
  d.Redrive();
  ASSERT_EQ(d.timers.size(), 2u);
  EXPECT_EQ(d.timers[1].fire_at, d.now + 5000);  // the timeout starts again
  ASSERT_EQ(d.tasks.size(), 2u);
  d.now += 5000;
  d.Step({{InputKind::TimerFired, d.timers[1].id, {}, {}, {}}});
  ASSERT_EQ(Status(d.state()), ExecutionStatus::TimedOut);
  // Redriven twice: the count goes on.
  d.Redrive();
  EXPECT_EQ(d.state().redrive_count, 2);
  d.AnswerAll([](const Command&) { return false; });
  ASSERT_EQ(Status(d.state()), ExecutionStatus::Succeeded);
  d.ExpectContiguousIds();
}

TEST(Redrive, SucceededExecutionsAreNotRedrivable) {
  Driver d(R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})");
  d.Start("{}");
  EXPECT_FALSE(Redrivable(d.state()));
}

TEST(Redrive, TheRedrivePointRoundTripsThroughTheCodec) {
  Driver d(R"({"StartAt":"Par","States":{"Par":{"Type":"Parallel","End":true,"Branches":[
      {"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"big":[1,2,3]},"End":true}}},
      {"StartAt":"B","States":{"B":{"Type":"Fail","Error":"E"}}}]}}})");
  d.Start(R"({"in":true})");
  ASSERT_EQ(Status(d.state()), ExecutionStatus::Failed);
  ASSERT_NE(d.state().redrive, nullptr);
  EXPECT_EQ(d.state().redrive->children, 2u);
  ASSERT_EQ(d.state().redrive->kept.size(), 1u);
  EXPECT_EQ(d.state().redrive->kept[0].first, 0u);
  auto p = asl::Program::Compile(J(R"({"StartAt":"Par","States":{"Par":{"Type":"Parallel",
      "End":true,"Branches":[
      {"StartAt":"A","States":{"A":{"Type":"Pass","Result":{"big":[1,2,3]},"End":true}}},
      {"StartAt":"B","States":{"B":{"Type":"Fail","Error":"E"}}}]}}})"));
  ASSERT_TRUE(p.ok());
  std::string bytes = EncodeState(**p, d.state());
  EXPECT_EQ(bytes[0], static_cast<char>(kStateFormatVersion));
  auto decoded = DecodeState(**p, bytes);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const RedrivePoint& rp = *(*decoded)->redrive;
  EXPECT_EQ(rp.state, 0);
  EXPECT_EQ(json::Write(rp.input), R"({"in":true})");
  EXPECT_EQ(rp.children, 2u);
  ASSERT_EQ(rp.kept.size(), 1u);
  EXPECT_EQ(json::Write(rp.kept[0].second), R"({"big":[1,2,3]})");
  EXPECT_EQ(EncodeState(**p, **decoded), bytes);
}

}  // namespace
}  // namespace stepfn::eval
