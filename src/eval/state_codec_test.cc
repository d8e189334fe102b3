#include "eval/state_codec.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <functional>
#include <map>

#include "asl/program.h"
#include "json/parse.h"
#include "json/write.h"

namespace stepfn::eval {
namespace {

json::Value J(std::string_view s) {
  auto r = json::Parse(s);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : json::Value();
}

std::shared_ptr<const asl::Program> Compile(std::string_view definition) {
  auto p = asl::Program::Compile(J(definition));
  EXPECT_TRUE(p.ok()) << p.status().ToString();
  return p.ok() ? *p : nullptr;
}

std::string CommandText(const Command& c) {
  std::string s = std::to_string(static_cast<int>(c.kind)) + " id=" + std::to_string(c.id);
  if (c.kind == CommandKind::RunTask) {
    s += " state=" + (c.state ? c.state->name : std::string("?")) +
         " params=" + json::Write(c.parameters) + " retry=" + std::to_string(c.retry_count) +
         " timeout=" + std::to_string(c.timeout_seconds) + " token=" + c.task_token;
  }
  if (c.kind == CommandKind::StartTimer) s += " at=" + std::to_string(c.fire_at);
  return s;
}

// Commands in order, except that a run of cancellations is sorted: the engine emits those in
// the iteration order of hash tables (pending ids, running children), which a decoded state
// (built afresh) need not share, and which means nothing to the caller.
std::vector<std::string> CommandTexts(const std::vector<Command>& commands) {
  std::vector<std::string> out;
  size_t run_start = 0;
  for (const Command& c : commands) {
    bool cancel = c.kind == CommandKind::CancelTask || c.kind == CommandKind::CancelTimer;
    if (!cancel) run_start = out.size() + 1;
    out.push_back(CommandText(c));
    if (cancel) {
      std::sort(out.begin() + static_cast<std::ptrdiff_t>(run_start), out.end());
    }
  }
  return out;
}

// Every field of an event, payloads as JSON text.
std::string EventText(const HistoryEvent& e) {
  return std::string(EventTypeName(e.type)) + " id=" + std::to_string(e.id) +
         " prev=" + std::to_string(e.previous_event_id) + " at=" + std::to_string(e.timestamp) +
         " index=" + std::to_string(e.index) + " name=" + json::Write(e.name) +
         " payload=" + json::Write(e.payload) + " resource=" + json::Write(e.resource) +
         " failure=" + json::Write(e.failure);
}

std::vector<std::string> EventTexts(const EventLog& events) {
  std::vector<std::string> out;
  out.reserve(events.size());
  for (const auto& e : events) out.push_back(EventText(e));
  return out;
}

struct Outstanding {
  Command cmd;
  int beats = 0;
};

// Runs one execution twice side by side: the original, never serialised, and a copy that is
// encoded and decoded into a fresh state before every Step. Both get the same inputs; their
// events, commands and encodings must match at every step. The twin also plays the outside
// world: it keeps the tasks and timers the commands ask for.
class Twin {
 public:
  explicit Twin(std::string_view definition, ExecutionInfo info = {}) {
    program_ = Compile(definition);
    if (info.seed == 0) info.seed = 42;
    info.execution_arn = "arn:aws:states:us-east-1:123456789012:execution:sm:run";
    info.execution_name = "run";
    info.state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:sm";
    info.state_machine_name = "sm";
    info.start_time = now;
    orig_ = NewExecution(*program_, info);
    copy_ = NewExecution(*program_, info);
  }

  void Step(const std::vector<Input>& inputs) {
    ++steps;
    max_ready = std::max(max_ready, orig_->ready.size());
    std::string bytes = EncodeState(*program_, *copy_);
    ASSERT_EQ(bytes, EncodeState(*program_, *orig_)) << "step " << steps;
    auto decoded = DecodeState(*program_, bytes);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString() << " at step " << steps;
    ExecutionState& d = **decoded;
    EXPECT_TRUE(d.context_execution.is_null());
    EXPECT_EQ(EncodeState(*program_, d), bytes) << "the encoding is not canonical";
    EXPECT_EQ(d.ready, orig_->ready);
    for (const auto& [id, f] : d.frames) {
      EXPECT_GE(program_->BodyId(f->body), 0) << "a body outside the program";
    }
    // After a crash, the tasks in flight are issued again exactly as first issued.
    std::vector<std::string> want, got;
    for (const auto& o : tasks) want.push_back(CommandText(o.cmd));
    for (const auto& c : PendingTaskCommands(*program_, d)) {
      got.push_back(CommandText(c));
      EXPECT_EQ(c.kind, CommandKind::RunTask);
    }
    std::sort(want.begin(), want.end());
    std::sort(got.begin(), got.end());
    EXPECT_EQ(got, want) << "step " << steps;
    copy_ = std::move(*decoded);

    StepOutput a, b;
    eval::Step(*program_, *orig_, inputs, now, &a);
    eval::Step(*program_, *copy_, inputs, now, &b);
    std::vector<std::string> ea = EventTexts(a.events);
    ASSERT_EQ(ea, EventTexts(b.events)) << "step " << steps;
    ASSERT_EQ(CommandTexts(a.commands), CommandTexts(b.commands)) << "step " << steps;
    ASSERT_EQ(a.more, b.more);
    more = a.more;
    for (auto& e : ea) events.push_back(std::move(e));
    for (const auto& e : a.events) types.emplace_back(EventTypeName(e.type));
    // What was answered is no longer out.
    for (const Input& in : inputs) {
      if (in.kind == InputKind::TaskSucceeded || in.kind == InputKind::TaskFailed) {
        std::erase_if(tasks, [&](const Outstanding& o) { return o.cmd.id == in.id; });
      }
      if (in.kind == InputKind::TimerFired) timers.erase(in.id);
    }
    for (const Command& c : a.commands) Apply(c);
  }

  void Start(std::string_view input) { Step({{InputKind::Start, 0, J(input), {}, {}}}); }

  // The default outside world: heartbeats for Callback*/Slow* tasks (two each), the oldest
  // other task answered (Flaky* tasks fail twice first, Work* tasks echo their input, with
  // null for item 2), then Callback* tasks answered with their token; Slow* tasks never answer;
  // then the earliest timer fires.
  std::vector<Input> Next() {
    for (auto& o : tasks) {
      const std::string& n = o.cmd.state->name;
      if ((n.starts_with("Callback") || n.starts_with("Slow")) && o.beats < 2) {
        ++o.beats;
        now += 10000;
        return {{InputKind::TaskHeartbeat, o.cmd.id, {}, {}, {}}};
      }
    }
    for (size_t i = 0; i < tasks.size(); ++i) {
      const Command c = tasks[i].cmd;
      const std::string& n = c.state->name;
      if (n.starts_with("Callback") || n.starts_with("Slow")) continue;
      if (n.starts_with("Flaky") && c.retry_count < 2) {
        return {
            {InputKind::TaskFailed, c.id, {}, "Boom", "attempt " + std::to_string(c.retry_count)}};
      }
      json::Value result = json::Value::Object({{"echo", c.parameters}});
      if (n.starts_with("Work")) {
        const json::Value* v = c.parameters.find("v");
        result = v != nullptr && v->is_int() && v->as_int() == 2 ? json::Value() : c.parameters;
      }
      return {{InputKind::TaskSucceeded, c.id, result, {}, {}}};
    }
    for (size_t i = 0; i < tasks.size(); ++i) {
      const Command c = tasks[i].cmd;
      if (!c.state->name.starts_with("Callback")) continue;
      return {{InputKind::TaskSucceeded,
               c.id,
               json::Value::Object({{"token", json::Value::String(c.task_token)}}),
               {},
               {}}};
    }
    if (!timers.empty()) {
      auto first = std::min_element(timers.begin(), timers.end(), [](const auto& x, const auto& y) {
        return x.second < y.second || (x.second == y.second && x.first < y.first);
      });
      uint64_t id = first->first;
      now = std::max(now, first->second);
      return {{InputKind::TimerFired, id, {}, {}, {}}};
    }
    return {};
  }

  // Runs to the end with `world` (Next by default).
  void Run(std::function<std::vector<Input>(Twin&)> world = nullptr) {
    while (Status(*orig_) == ExecutionStatus::Running && steps < 20000) {
      if (more) {
        Step({});
      } else {
        std::vector<Input> in = world ? world(*this) : Next();
        ASSERT_FALSE(in.empty()) << "stuck at step " << steps;
        Step(in);
      }
      if (::testing::Test::HasFatalFailure()) return;
    }
    EXPECT_EQ(Status(*copy_), Status(*orig_));
    EXPECT_EQ(json::Write(Output(*copy_)), json::Write(Output(*orig_)));
    EXPECT_EQ(Failure(*copy_).error, Failure(*orig_).error);
    EXPECT_EQ(Failure(*copy_).cause, Failure(*orig_).cause);
  }

  bool Saw(std::string_view type) const {
    return std::find(types.begin(), types.end(), type) != types.end();
  }
  ExecutionState& orig() { return *orig_; }
  ExecutionState& copy() { return *copy_; }
  const asl::Program& program() const { return *program_; }

  EpochMillis now = 1700000000000;
  int steps = 0;
  bool more = false;
  size_t max_ready = 0;
  std::vector<Outstanding> tasks;
  std::map<uint64_t, EpochMillis> timers;
  std::vector<std::string> events;
  std::vector<std::string> types;

 private:
  void Apply(const Command& c) {
    switch (c.kind) {
      case CommandKind::RunTask:
        tasks.push_back({c, 0});
        break;
      case CommandKind::StartTimer:
        timers[c.id] = c.fire_at;
        break;
      case CommandKind::CancelTask:
        std::erase_if(tasks, [&](const Outstanding& o) { return o.cmd.id == c.id; });
        break;
      case CommandKind::CancelTimer:
        timers.erase(c.id);
        break;
    }
  }

  std::shared_ptr<const asl::Program> program_;
  std::unique_ptr<ExecutionState> orig_;
  std::unique_ptr<ExecutionState> copy_;
};

// Parallel branches: a Task retried with jittered intervals, a callback Task waiting with
// TimeoutSeconds and HeartbeatSeconds and a `.waitForTaskToken` token, a Map with
// MaxConcurrency and an ItemSelector reading $$, a Distributed Map; then a Wait state.
constexpr std::string_view kEverything = R"j({"StartAt":"Init","TimeoutSeconds":100000,"States":{
  "Init":{"Type":"Pass","Parameters":{"items.$":"$.items","id.$":"States.UUID()","big":9007199254740993,
          "text":"caf\u00e9 \"quoted\"","f":0.1},"Next":"Par"},
  "Par":{"Type":"Parallel","ResultPath":"$.par","Next":"Wait","Branches":[
    {"StartAt":"Flaky","States":{"Flaky":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
      "Parameters":{"who":"flaky","retry.$":"$$.State.RetryCount"},
      "Retry":[{"ErrorEquals":["Boom"],"IntervalSeconds":3,"BackoffRate":2,"MaxAttempts":3,
                "JitterStrategy":"FULL"}],"End":true}}},
    {"StartAt":"Callback","States":{"Callback":{"Type":"Task",
      "Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
      "Parameters":{"token.$":"$$.Task.Token","big.$":"$.big"},"TimeoutSeconds":600,
      "HeartbeatSeconds":60,"End":true}}},
    {"StartAt":"Map","States":{"Map":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":3,
      "ItemSelector":{"v.$":"$$.Map.Item.Value","i.$":"$$.Map.Item.Index"},
      "ItemProcessor":{"StartAt":"Work","States":{"Work":{"Type":"Task",
        "Resource":"arn:aws:states:::lambda:invoke","End":true}}},"End":true}}},
    {"StartAt":"Dist","States":{"Dist":{"Type":"Map","ItemsPath":"$.items",
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
        "StartAt":"WorkD","States":{"WorkD":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
        "End":true}}},"End":true}}}
  ]},
  "Wait":{"Type":"Wait","Seconds":30,"Next":"Done"},
  "Done":{"Type":"Pass","End":true}}})j";

TEST(StateCodec, EverythingRunsTheSameFromDecodedCopiesAtEveryStep) {
  Twin t(kEverything);
  t.Start(R"({"items":[1,2,3,4,5,6,7]})");
  t.Run();
  ASSERT_EQ(Status(t.orig()), ExecutionStatus::Succeeded);
  EXPECT_GE(t.steps, 20);
  for (const char* type : {"TaskFailed", "MapIterationSucceeded", "MapRunStarted",
                           "WaitStateExited", "ParallelStateExited"}) {
    EXPECT_TRUE(t.Saw(type)) << type;
  }
  std::string out = json::Write(Output(t.orig()));
  EXPECT_NE(out.find("9007199254740993"), std::string::npos) << out;
  // Item 2's result (null) sits among the others.
  EXPECT_NE(out.find(R"({"v":1,"i":0},null,{"v":3,"i":2})"), std::string::npos) << out;
}

TEST(StateCodec, TimeoutsAndHeartbeatsFireTheSameAfterDecoding) {
  Twin t(R"j({"StartAt":"Slow","TimeoutSeconds":3600,"States":{
    "Slow":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
      "TimeoutSeconds":300,"HeartbeatSeconds":50,
      "Parameters":{"t.$":"$$.Task.Token","u.$":"States.UUID()"},
      "Retry":[{"ErrorEquals":["States.HeartbeatTimeout"],"MaxAttempts":1,"IntervalSeconds":5}],
      "Catch":[{"ErrorEquals":["States.ALL"],"ResultPath":"$.err","Next":"Slow2"}],"Next":"Done"},
    "Slow2":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","TimeoutSecondsPath":"$.to",
      "Catch":[{"ErrorEquals":["States.Timeout"],"ResultPath":"$.err2","Next":"W"}],"Next":"Done"},
    "W":{"Type":"Wait","SecondsPath":"$.to","Next":"Done"},
    "Done":{"Type":"Succeed"}}})j");
  t.Start(R"({"to":7})");
  t.Run();
  ASSERT_EQ(Status(t.orig()), ExecutionStatus::Succeeded);
  EXPECT_TRUE(t.Saw("TaskTimedOut"));
  std::string out = json::Write(Output(t.orig()));
  EXPECT_NE(out.find("States.HeartbeatTimeout"), std::string::npos) << out;
  EXPECT_NE(out.find("States.Timeout"), std::string::npos) << out;
}

TEST(StateCodec, ExecutionTimeoutCancelsEverythingTheSame) {
  Twin t(R"({"StartAt":"M","TimeoutSeconds":60,"States":{"M":{"Type":"Map","ItemProcessor":{
      "StartAt":"Slow","States":{"Slow":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
      "TimeoutSeconds":120,"End":true}}},"End":true}}})");
  t.Start("[1,2,3,4,5,6,7,8,9,10,11,12]");
  t.Run();
  EXPECT_EQ(Status(t.orig()), ExecutionStatus::TimedOut);
}

TEST(StateCodec, StopAbortsTheSame) {
  Twin t(R"({"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
      {"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":100,"End":true}}},
      {"StartAt":"Slow","States":{"Slow":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
        "End":true}}}]}}})");
  t.Start("{}");
  t.Run([](Twin&) { return std::vector<Input>{{InputKind::Stop, 0, {}, "Stopped", "test"}}; });
  EXPECT_EQ(Status(t.orig()), ExecutionStatus::Aborted);
}

TEST(StateCodec, ToleratedFailuresAndCatchRunTheSame) {
  Twin t(R"({"StartAt":"M","States":{
    "M":{"Type":"Map","MaxConcurrency":2,"ToleratedFailureCount":1,
      "ItemProcessor":{"StartAt":"Flaky","States":{"Flaky":{"Type":"Task",
        "Resource":"arn:aws:states:::lambda:invoke","End":true}}},
      "Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}],"End":true},
    "Caught":{"Type":"Pass","End":true}}})");
  t.Start("[1,2,3,4]");
  t.Run();
  ASSERT_EQ(Status(t.orig()), ExecutionStatus::Succeeded);
  EXPECT_TRUE(t.Saw("MapIterationFailed"));
  EXPECT_NE(json::Write(Output(t.orig())).find("ExceedToleratedFailureThreshold"),
            std::string::npos);
}

// Many answers in one Step and long loops behind them spend the transition budget: Step yields
// with frames still on the ready stack, whose order decides what runs next.
TEST(StateCodec, TheReadyStackKeepsItsOrderAcrossABudgetYield) {
  ExecutionInfo info;
  info.max_history_events = 0;
  Twin t(
      R"j({"StartAt":"M","States":{"M":{"Type":"Map","ItemSelector":{"c":0,"v.$":"$$.Map.Item.Value"},
    "ItemProcessor":{"StartAt":"T","States":{
      "T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke","ResultPath":"$.r","Next":"Loop"},
      "Loop":{"Type":"Choice","Choices":[{"Variable":"$.c","NumericLessThan":700,"Next":"Inc"}],
              "Default":"End"},
      "Inc":{"Type":"Pass","Parameters":{"c.$":"States.MathAdd($.c, 1)","v.$":"$.v"},"Next":"Loop"},
      "End":{"Type":"Pass","OutputPath":"$.v","End":true}}},"End":true}}})j",
      info);
  t.Start("[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]");
  ASSERT_EQ(t.tasks.size(), 20u);
  std::vector<Input> all;
  for (const auto& o : t.tasks)
    all.push_back({InputKind::TaskSucceeded, o.cmd.id, J("{}"), {}, {}});
  t.Step(all);
  EXPECT_TRUE(t.more);
  t.Run();
  EXPECT_GT(t.max_ready, 2u);
  ASSERT_EQ(Status(t.orig()), ExecutionStatus::Succeeded);
  EXPECT_EQ(json::Write(Output(t.orig())), "[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20]");
}

TEST(StateCodec, AHundredIterationsInFlight) {
  Twin t(R"({"StartAt":"M","States":{"M":{"Type":"Map","ItemProcessor":{"StartAt":"Work",
    "States":{"Work":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
    "Parameters":{"v.$":"$"},"End":true}}},"End":true}}})");
  std::string items = "[";
  for (int i = 0; i < 100; ++i) items += (i ? "," : "") + std::to_string(i);
  t.Start(items + "]");
  EXPECT_EQ(t.tasks.size(), 100u);
  EXPECT_EQ(t.orig().frames.size(), 101u);
  // Answer newest first.
  t.Run([](Twin& t) {
    Command c = t.tasks.back().cmd;
    return std::vector<Input>{{InputKind::TaskSucceeded, c.id, c.parameters, {}, {}}};
  });
  ASSERT_EQ(Status(t.orig()), ExecutionStatus::Succeeded);
  EXPECT_EQ(Output(t.orig()).size(), 100u);
}

// ---------------------------------------------------------------------------------------------
// Values and fields.

TEST(StateCodec, EveryFieldRoundTrips) {
  auto p = Compile(kEverything);
  ExecutionInfo info;
  info.execution_arn = "arn:exec";
  info.execution_name = "name";
  info.state_machine_arn = "arn:sm";
  info.state_machine_name = "sm";
  info.role_arn = "arn:role";
  info.start_time = -5;
  info.express = true;
  info.seed = 0xFFFFFFFFFFFFFFFFULL;
  info.max_payload_bytes = 1234;
  info.max_history_events = 77;
  info.default_timeout_seconds = 2.5;
  auto st = NewExecution(*p, info);
  st->next_id = 1000;
  st->next_event_id = 300;
  st->rng = 0x8000000000000001ULL;
  st->now = 1700000000123;
  st->timeout_timer = 999;
  st->execution_input = J(R"({"b":1,"a":[9007199254740993,-1,1.5e300,"\u0000x"],"z":{}})");
  st->status = static_cast<int>(ExecutionStatus::Running);
  st->failure = {"E", "C \"c\""};
  st->pending[999] = 0;
  // A Parallel frame with its fan-out, and one child running in branch 1 (a callback task).
  const asl::State& par = p->root().states[1];
  auto f = std::make_unique<Frame>();
  f->id = 10;
  f->body = &p->root();
  f->state = 1;
  f->phase = FramePhase::WaitChildren;
  f->input = J(R"({"x":[1,2]})");
  f->effective = f->input;
  f->entered_event_id = 5;
  f->last_event_id = 40;
  f->entered_time = 1700000000000;
  f->retry_counts.assign(par.retry.size(), 0);
  f->fanout = std::make_unique<Fanout>();
  Fanout& fan = *f->fanout;
  fan.items = J(R"({"shared":true})");
  fan.total = 4;
  fan.results.resize(4);
  fan.results[0] = J("null");  // finished with null: the same as a hole
  fan.results[3] = J(R"([1,{"k":"v"}])");
  fan.running = {11};
  fan.next_start = 2;
  fan.finished = 1;
  fan.failed = 0;
  fan.max_concurrency = 3;
  fan.tolerated_count = 1;
  fan.tolerated_percentage = 12.5;
  fan.failing = true;
  fan.error = {"Err", "Cause"};
  fan.context = J(R"({"ctx":1})");
  fan.map_run = 1;  // (a Parallel's fan-out never has one; the codec does not care)
  st->map_runs.resize(2);
  st->map_runs[1] = {"0f0e0d0c-0b0a-4908-8706-050403020100",
                     "Label",
                     1700000000001,
                     0,
                     MapRunStatus::Running,
                     7,
                     5,
                     2,
                     1,
                     3,
                     1.0,
                     12.5};
  st->map_runs[0].status = MapRunStatus::Aborted;
  auto c = std::make_unique<Frame>();
  c->id = 11;
  c->parent = 10;
  c->child_index = 1;
  c->body = par.branches[1].get();
  c->state = 0;
  c->phase = FramePhase::WaitTask;
  c->input = fan.items;
  c->effective = J(R"({"e":1})");
  c->task_parameters = c->effective;
  c->task_timeout_seconds = 600;
  c->retry_counts = {};
  c->retry_total = 3;
  c->pending = 12;
  c->timeout_timer = 13;
  c->heartbeat_timer = 14;
  c->heartbeat_seconds = 60;
  c->task_token = "0123456789abcdef0123456789abcdef";
  c->silent = true;
  c->entered_event_id = 20;
  c->last_event_id = 22;
  c->entered_time = 1700000000100;
  st->pending[12] = 11;
  st->pending[13] = 11;
  st->pending[14] = 11;
  st->frames.emplace(10, std::move(f));
  st->frames.emplace(11, std::move(c));
  st->ready = {11, 10, 11};

  std::string bytes = EncodeState(*p, *st);
  EXPECT_EQ(bytes[0], static_cast<char>(kStateFormatVersion));
  auto r = DecodeState(*p, bytes);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const ExecutionState& d = **r;
  EXPECT_EQ(EncodeState(*p, d), bytes);
  EXPECT_EQ(d.next_id, 1000u);
  EXPECT_EQ(d.next_event_id, 300);
  EXPECT_EQ(d.rng, 0x8000000000000001ULL);
  EXPECT_EQ(d.now, 1700000000123);
  EXPECT_EQ(d.timeout_timer, 999u);
  EXPECT_EQ(json::Write(d.execution_input),
            R"({"b":1,"a":[9007199254740993,-1,1.5e+300,"\u0000x"],"z":{}})");
  EXPECT_TRUE(d.execution_input.find("a")->items()[0].is_int());
  EXPECT_EQ(d.status, static_cast<int>(ExecutionStatus::Running));
  EXPECT_TRUE(d.output.is_null());
  EXPECT_EQ(d.failure.error, "E");
  EXPECT_EQ(d.failure.cause, "C \"c\"");
  EXPECT_EQ(d.pending, st->pending);
  EXPECT_EQ(d.ready, (std::vector<uint64_t>{11, 10, 11}));
  ASSERT_NE(d.info, nullptr);
  EXPECT_EQ(d.info->execution_arn, "arn:exec");
  EXPECT_EQ(d.info->execution_name, "name");
  EXPECT_EQ(d.info->state_machine_arn, "arn:sm");
  EXPECT_EQ(d.info->state_machine_name, "sm");
  EXPECT_EQ(d.info->role_arn, "arn:role");
  EXPECT_EQ(d.info->start_time, -5);
  EXPECT_TRUE(d.info->express);
  EXPECT_EQ(d.info->seed, 0xFFFFFFFFFFFFFFFFULL);
  EXPECT_EQ(d.info->max_payload_bytes, 1234u);
  EXPECT_EQ(d.info->max_history_events, 77);
  EXPECT_EQ(d.info->default_timeout_seconds, 2.5);

  ASSERT_EQ(d.frames.size(), 2u);
  const Frame& df = *d.frames.at(10);
  EXPECT_EQ(df.body, &p->root());
  EXPECT_EQ(df.state, 1);
  EXPECT_EQ(df.phase, FramePhase::WaitChildren);
  EXPECT_TRUE(df.effective.SameNode(df.input)) << "a shared value stays shared";
  EXPECT_EQ(df.entered_event_id, 5);
  EXPECT_EQ(df.last_event_id, 40);
  EXPECT_EQ(df.entered_time, 1700000000000);
  ASSERT_NE(df.fanout, nullptr);
  const Fanout& dfan = *df.fanout;
  EXPECT_EQ(json::Write(dfan.items), R"({"shared":true})");
  ASSERT_EQ(dfan.results.size(), 4u);
  EXPECT_TRUE(dfan.results[0].is_null());
  EXPECT_TRUE(dfan.results[1].is_null());
  EXPECT_EQ(json::Write(dfan.results[3]), R"([1,{"k":"v"}])");
  EXPECT_EQ(dfan.running, (IdSet{11}));
  EXPECT_EQ(dfan.total, 4u);
  EXPECT_EQ(dfan.next_start, 2u);
  EXPECT_EQ(dfan.finished, 1u);
  EXPECT_EQ(dfan.max_concurrency, 3u);
  EXPECT_EQ(dfan.tolerated_count, 1);
  EXPECT_EQ(dfan.tolerated_percentage, 12.5);
  EXPECT_TRUE(dfan.failing);
  EXPECT_EQ(dfan.error.error, "Err");
  EXPECT_EQ(dfan.error.cause, "Cause");
  EXPECT_EQ(json::Write(dfan.context), R"({"ctx":1})");
  EXPECT_EQ(dfan.map_run, 1);
  ASSERT_EQ(d.map_runs.size(), 2u);
  EXPECT_EQ(d.map_runs[0].status, MapRunStatus::Aborted);
  const MapRun& run = d.map_runs[1];
  EXPECT_EQ(run.id, "0f0e0d0c-0b0a-4908-8706-050403020100");
  EXPECT_EQ(run.label, "Label");
  EXPECT_EQ(run.start_date, 1700000000001);
  EXPECT_EQ(run.status, MapRunStatus::Running);
  EXPECT_EQ(run.total, 7u);
  EXPECT_EQ(run.started, 5u);
  EXPECT_EQ(run.succeeded, 2u);
  EXPECT_EQ(run.failed, 1u);
  EXPECT_EQ(run.max_concurrency, 3u);
  EXPECT_EQ(run.tolerated_count, 1.0);
  EXPECT_EQ(run.tolerated_percentage, 12.5);

  const Frame& dc = *d.frames.at(11);
  EXPECT_EQ(dc.parent, 10u);
  EXPECT_EQ(dc.child_index, 1u);
  EXPECT_EQ(dc.body, par.branches[1].get());
  EXPECT_EQ(dc.phase, FramePhase::WaitTask);
  EXPECT_EQ(json::Write(dc.effective), R"({"e":1})");
  EXPECT_TRUE(dc.task_parameters.SameNode(dc.effective));
  EXPECT_EQ(dc.task_timeout_seconds, 600);
  EXPECT_EQ(dc.retry_total, 3);
  EXPECT_EQ(dc.pending, 12u);
  EXPECT_EQ(dc.timeout_timer, 13u);
  EXPECT_EQ(dc.heartbeat_timer, 14u);
  EXPECT_EQ(dc.heartbeat_seconds, 60);
  EXPECT_EQ(dc.task_token, "0123456789abcdef0123456789abcdef");
  EXPECT_TRUE(dc.silent);
  EXPECT_EQ(dc.entered_event_id, 20);
  EXPECT_EQ(dc.last_event_id, 22);
  EXPECT_EQ(dc.entered_time, 1700000000100);

  std::vector<Command> cmds = PendingTaskCommands(*p, d);
  ASSERT_EQ(cmds.size(), 1u);
  EXPECT_EQ(cmds[0].kind, CommandKind::RunTask);
  EXPECT_EQ(cmds[0].id, 12u);
  EXPECT_EQ(cmds[0].state, &par.branches[1]->states[0]);
  EXPECT_EQ(json::Write(cmds[0].parameters), R"({"e":1})");
  EXPECT_EQ(cmds[0].retry_count, 3);
  EXPECT_EQ(cmds[0].timeout_seconds, 600);
  EXPECT_EQ(cmds[0].task_token, "0123456789abcdef0123456789abcdef");
}

TEST(StateCodec, AFinishedExecutionRoundTrips) {
  Twin t(R"({"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Bad","Cause":"it failed"}}})");
  t.Start(R"({"a":1})");
  ASSERT_EQ(Status(t.orig()), ExecutionStatus::Failed);
  auto p = Compile(R"({"StartAt":"F","States":{"F":{"Type":"Fail","Error":"Bad","Cause":"x"}}})");
  auto d = DecodeState(*p, EncodeState(t.program(), t.orig()));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(Status(**d), ExecutionStatus::Failed);
  EXPECT_EQ(Failure(**d).error, "Bad");
  EXPECT_EQ(Failure(**d).cause, "it failed");
  EXPECT_EQ(EventCount(**d), EventCount(t.orig()));
}

// The server re-issues the tasks in flight after a crash: the commands equal those Step issued,
// including parameters that cannot be evaluated twice (States.UUID, the retry count) and a
// timeout read from the input.
TEST(StateCodec, PendingTaskCommandsEqualTheOriginals) {
  auto p = Compile(R"j({"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
    {"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken",
      "Parameters":{"u.$":"States.UUID()","token.$":"$$.Task.Token","n.$":"$$.State.RetryCount"},
      "TimeoutSecondsPath":"$.to","Retry":[{"ErrorEquals":["E"],"IntervalSeconds":1}],"End":true}}},
    {"StartAt":"U","States":{"U":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
      "End":true}}},
    {"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":5,"End":true}}}]}}})j");
  auto st = NewExecution(*p, ExecutionInfo{.seed = 7});
  StepOutput out;
  Step(*p, *st, std::vector<Input>{{InputKind::Start, 0, J(R"({"to":42})"), {}, {}}}, 1000, &out);
  std::vector<Command> originals;
  for (const auto& c : out.commands) {
    if (c.kind == CommandKind::RunTask) originals.push_back(c);
  }
  ASSERT_EQ(originals.size(), 2u);
  // Fail T once: its retry runs with retry count 1 and new parameters.
  StepOutput fail;
  Step(*p, *st, std::vector<Input>{{InputKind::TaskFailed, originals[0].id, {}, "E", ""}}, 2000,
       &fail);
  uint64_t retry_timer = 0;
  for (const auto& c : fail.commands) {
    if (c.kind == CommandKind::StartTimer) retry_timer = c.id;
  }
  ASSERT_NE(retry_timer, 0u);
  // While T waits to retry only U is in flight.
  auto waiting = DecodeState(*p, EncodeState(*p, *st));
  ASSERT_TRUE(waiting.ok()) << waiting.status().ToString();
  std::vector<Command> now_out = PendingTaskCommands(*p, **waiting);
  ASSERT_EQ(now_out.size(), 1u);
  EXPECT_EQ(CommandText(now_out[0]), CommandText(originals[1]));
  StepOutput retry;
  Step(*p, *st, std::vector<Input>{{InputKind::TimerFired, retry_timer, {}, {}, {}}}, 3000, &retry);
  const Command* again = nullptr;
  for (const auto& c : retry.commands) {
    if (c.kind == CommandKind::RunTask) again = &c;
  }
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(again->retry_count, 1);
  EXPECT_EQ(again->timeout_seconds, 42);
  EXPECT_FALSE(again->task_token.empty());

  auto d = DecodeState(*p, EncodeState(*p, *st));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  std::vector<Command> pending = PendingTaskCommands(*p, **d);
  ASSERT_EQ(pending.size(), 2u);
  // In the order issued: U first, then T's retry.
  EXPECT_EQ(CommandText(pending[0]), CommandText(originals[1]));
  EXPECT_EQ(CommandText(pending[1]), CommandText(*again));
  EXPECT_EQ(pending[1].state, again->state);
  EXPECT_EQ(pending[1].kind, CommandKind::RunTask);
  EXPECT_NE(json::Write(pending[1].parameters), json::Write(originals[0].parameters));
}

// ---------------------------------------------------------------------------------------------
// Bad bytes.

// A state with a Map in flight, a Parallel, a task with timers: most of the format.
std::string SampleBytes(const asl::Program& p) {
  auto st = NewExecution(p, ExecutionInfo{.execution_arn = "arn", .seed = 3});
  StepOutput out;
  Step(p, *st,
       std::vector<Input>{{InputKind::Start, 0, J(R"({"items":[1,2,3,4],"big":1})"), {}, {}}}, 1000,
       &out);
  for (const auto& c : out.commands) {
    if (c.kind == CommandKind::RunTask && c.state->name == "Work") {
      StepOutput o2;
      Step(p, *st, std::vector<Input>{{InputKind::TaskSucceeded, c.id, J(R"({"r":1})"), {}, {}}},
           2000, &o2);
      break;
    }
  }
  return EncodeState(p, *st);
}

TEST(StateCodec, EveryTruncationIsAnError) {
  auto p = Compile(kEverything);
  std::string bytes = SampleBytes(*p);
  ASSERT_TRUE(DecodeState(*p, bytes).ok());
  ASSERT_GT(bytes.size(), 200u);
  for (size_t n = 0; n < bytes.size(); ++n) {
    auto r = DecodeState(*p, std::string_view(bytes.data(), n));
    ASSERT_FALSE(r.ok()) << "decoded from the first " << n << " bytes";
    EXPECT_EQ(r.status().code(), StatusCode::InvalidArgument) << n;
    EXPECT_NE(r.status().message().find("execution state"), std::string::npos)
        << r.status().ToString();
  }
  auto r = DecodeState(*p, std::string_view(bytes.data(), 40));
  EXPECT_NE(r.status().message().find("truncated"), std::string::npos) << r.status().ToString();
  auto extra = DecodeState(*p, bytes + "x");
  EXPECT_FALSE(extra.ok());
}

TEST(StateCodec, CorruptBytesNeverCrash) {
  auto p = Compile(kEverything);
  std::string bytes = SampleBytes(*p);
  int decoded = 0;
  for (size_t i = 0; i < bytes.size(); ++i) {
    for (int flip : {0x01, 0x80, 0xFF}) {
      std::string bad = bytes;
      bad[i] = static_cast<char>(bad[i] ^ flip);
      auto r = DecodeState(*p, bad);
      if (!r.ok()) {
        EXPECT_FALSE(r.status().message().empty());
        continue;
      }
      ++decoded;
      // What decodes is a state Step can run: deliver every pending id and let it go.
      ExecutionState& st = **r;
      std::vector<Input> inputs;
      for (const auto& [id, frame] : st.pending) {
        inputs.push_back({InputKind::TimerFired, id, {}, {}, {}});
        inputs.push_back({InputKind::TaskFailed, id, {}, "Boom", ""});
      }
      StepOutput out;
      Step(*p, st, inputs, 5000, &out);
      (void)PendingTaskCommands(*p, st);
    }
  }
  EXPECT_GT(decoded, 0);  // some flips only change a number or a letter
}

// Version 1 (before redrive points) has no redrive section (an svarint count and a flag) and no
// lists of succeeded children; versions 1 and 2 have no map-run section (a count, just before the
// JSON values) and no map-run index in fan-outs. A state without fan-outs is otherwise the same
// bytes.
TEST(StateCodec, VersionsOneAndTwoStillDecode) {
  auto p = Compile(R"({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":5,"End":true}}})");
  auto st = NewExecution(*p, {});
  StepOutput out;
  std::vector<Input> start = {{InputKind::Start, 0, json::Value::Object({}), {}, {}}};
  Step(*p, *st, start, 1000, &out);
  std::string bytes = EncodeState(*p, *st);
  ASSERT_EQ(bytes[0], 3);
  size_t json_at = bytes.rfind("[{}]");
  ASSERT_NE(json_at, std::string::npos);
  ASSERT_GE(json_at, 4u);
  ASSERT_EQ(bytes.substr(json_at - 3, 3), std::string("\0\0\0", 3));
  std::string v2 = "\x02" + bytes.substr(1, json_at - 2) + bytes.substr(json_at);
  auto r = DecodeState(*p, v2);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE((*r)->map_runs.empty());
  EXPECT_EQ(EncodeState(*p, **r), bytes);
  std::string v1 = "\x01" + bytes.substr(1, json_at - 4) + bytes.substr(json_at);
  r = DecodeState(*p, v1);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->redrive, nullptr);
  EXPECT_EQ(EncodeState(*p, **r), bytes);
}

TEST(StateCodec, VersionsOtherThanOneAreRefused) {
  auto p = Compile(kEverything);
  std::string bytes = SampleBytes(*p);
  std::string newer = bytes;
  newer[0] = static_cast<char>(kStateFormatVersion + 1);
  auto r = DecodeState(*p, newer);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::FailedPrecondition);
  EXPECT_NE(r.status().message().find("format version " + std::to_string(kStateFormatVersion + 1)),
            std::string::npos)
      << r.status().ToString();
  std::string zero = bytes;
  zero[0] = 0;
  r = DecodeState(*p, zero);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::InvalidArgument);
  r = DecodeState(*p, "");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::InvalidArgument);
}

void SetShape(std::string* bytes, uint64_t shape) {
  for (int i = 0; i < 8; ++i)
    (*bytes)[1 + static_cast<size_t>(i)] = static_cast<char>(shape >> (8 * i));
}

TEST(StateCodec, AStateOfAnotherProgramIsRefused) {
  auto p = Compile(kEverything);
  std::string bytes = SampleBytes(*p);
  auto other = Compile(R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})");
  auto r = DecodeState(*other, bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::FailedPrecondition);
  EXPECT_NE(r.status().message().find("another shape"), std::string::npos) << r.status().ToString();
  // Past the shape check, the bodies and states themselves must fit.
  SetShape(&bytes, other->shape_hash());
  r = DecodeState(*other, bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("out of range"), std::string::npos) << r.status().ToString();
}

TEST(StateCodec, BodiesAndStatesOutOfRangeAreRefused) {
  // A frame in the second branch (body 2) at state 2 of the root.
  auto a = Compile(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},
    "B":{"Type":"Pass","Next":"C"},"C":{"Type":"Wait","Seconds":5,"End":true}}})");
  auto st = NewExecution(*a, {});
  StepOutput out;
  Step(*a, *st, std::vector<Input>{{InputKind::Start, 0, J("{}"), {}, {}}}, 0, &out);
  ASSERT_EQ(st->frames.size(), 1u);
  EXPECT_EQ(st->frames.begin()->second->state, 2);
  std::string bytes = EncodeState(*a, *st);
  auto two = Compile(R"({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},
    "B":{"Type":"Wait","Seconds":5,"End":true}}})");
  SetShape(&bytes, two->shape_hash());
  auto r = DecodeState(*two, bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("state 2 is out of range"), std::string::npos)
      << r.status().ToString();

  auto par = Compile(R"({"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
    {"StartAt":"X","States":{"X":{"Type":"Pass","End":true}}},
    {"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":5,"End":true}}}]}}})");
  EXPECT_EQ(par->body_count(), 3);
  st = NewExecution(*par, {});
  Step(*par, *st, std::vector<Input>{{InputKind::Start, 0, J("{}"), {}, {}}}, 0, &out);
  bytes = EncodeState(*par, *st);
  SetShape(&bytes, a->shape_hash());
  r = DecodeState(*a, bytes);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("body 2 is out of range"), std::string::npos)
      << r.status().ToString();
}

TEST(StateCodec, SameShapeButOtherRetriersIsRefused) {
  auto a = Compile(
      R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
    "Retry":[{"ErrorEquals":["E"]},{"ErrorEquals":["F"]}],"End":true}}})");
  auto b = Compile(
      R"({"StartAt":"T","States":{"T":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
    "End":true}}})");
  EXPECT_EQ(a->shape_hash(), b->shape_hash());
  auto st = NewExecution(*a, {});
  StepOutput out;
  Step(*a, *st, std::vector<Input>{{InputKind::Start, 0, J("{}"), {}, {}}}, 0, &out);
  auto r = DecodeState(*b, EncodeState(*a, *st));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("retry counts"), std::string::npos) << r.status().ToString();
}

// The JSON values are read back with json::Parse's depth limit (999 nested arrays or objects),
// less the array that holds them: deeper values, which a state machine can build while it runs,
// give an error.
TEST(StateCodec, ValuesNestedDeeperThan998LevelsAreRefused) {
  auto p = Compile(R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})");
  auto nested = [](int depth) {
    json::Value v = json::Value::Int(1);
    for (int i = 0; i < depth; ++i) v = json::Value::Array({v});
    return v;
  };
  auto st = NewExecution(*p, {});
  st->execution_input = nested(998);
  auto r = DecodeState(*p, EncodeState(*p, *st));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(json::Write((*r)->execution_input), json::Write(st->execution_input));
  st->execution_input = nested(999);
  r = DecodeState(*p, EncodeState(*p, *st));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nested deeper"), std::string::npos) << r.status().ToString();
}

TEST(StateCodec, ProgramNumbersItsBodies) {
  auto p = Compile(kEverything);
  // Root, the four branches, the Map's processor, the Distributed Map's processor.
  ASSERT_EQ(p->body_count(), 7);
  EXPECT_EQ(p->BodyById(0), &p->root());
  EXPECT_EQ(p->BodyId(&p->root()), 0);
  const asl::State& par = p->root().states[1];
  EXPECT_EQ(p->BodyId(par.branches[0].get()), 1);
  EXPECT_EQ(p->BodyId(par.branches[1].get()), 2);
  EXPECT_EQ(p->BodyId(par.branches[2].get()), 3);
  EXPECT_EQ(p->BodyId(par.branches[2]->states[0].processor.get()), 4);
  EXPECT_EQ(p->BodyId(par.branches[3].get()), 5);
  for (int i = 0; i < p->body_count(); ++i) EXPECT_EQ(p->BodyId(p->BodyById(i)), i);
  EXPECT_EQ(p->BodyById(7), nullptr);
  EXPECT_EQ(p->BodyById(-1), nullptr);
  asl::Body stranger;
  EXPECT_EQ(p->BodyId(&stranger), -1);
  // The same definition, the same numbers and shape.
  EXPECT_EQ(Compile(kEverything)->shape_hash(), p->shape_hash());
}

}  // namespace
}  // namespace stepfn::eval
