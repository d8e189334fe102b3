// The one test suite every Store implementation passes (Temporal's persistence-tests idea).
//
// A backend joins by adding a StoreFactory to the INSTANTIATE_TEST_SUITE_P list in
// store_test.cc. Include this header in exactly one .cc of a test binary (it defines tests).
// Tests that need data to survive a reopen (reopen, crash) skip non-persistent backends.
#pragma once

#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "common/varint.h"
#include "store/store.h"

namespace stepfn::store::testing {

struct StoreFactory {
  std::string name;
  // Opens a store over `dir`; the same dir again reopens it.
  std::function<Result<std::unique_ptr<Store>>(const std::string& dir)> open;
  bool persistent = false;
};

inline void PrintTo(const StoreFactory& factory, std::ostream* os) { *os << factory.name; }

inline std::string FactoryName(const ::testing::TestParamInfo<StoreFactory>& info) {
  return info.param.name;
}

constexpr const char* kMachine = "arn:aws:states:us-east-1:123456789012:stateMachine:M";
constexpr EpochMillis kT0 = 1700000000000;

class StoreTest : public ::testing::TestWithParam<StoreFactory> {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "stepfn-store-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    dir_ = pattern;
    Open();
  }
  void TearDown() override {
    store_.reset();
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  void Open() {
    auto opened = GetParam().open(dir_);
    ASSERT_TRUE(opened.ok()) << opened.status().ToString();
    store_ = std::move(opened).value();
  }
  void Reopen() {
    store_.reset();
    Open();
  }
  Store& store() { return *store_; }

  static std::string ExecArn(const std::string& name) {
    return "arn:aws:states:us-east-1:123456789012:execution:M:" + name;
  }
  static ExecutionRecord Execution(const std::string& name, EpochMillis start = kT0) {
    ExecutionRecord record;
    record.arn = ExecArn(name);
    record.name = name;
    record.state_machine_arn = kMachine;
    record.input = "{\"n\":\"" + name + "\"}";
    record.definition = R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})";
    record.start_date = start;
    return record;
  }
  static HistoryEventRecord Event(int64_t id, std::string type = "PassStateEntered") {
    return HistoryEventRecord{id, id - 1, kT0 + id, std::move(type),
                              "{\"name\":\"S" + std::to_string(id) + "\"}"};
  }
  // Creates an execution with ExecutionStarted (event 1) and state "s1".
  Status Start(const std::string& name, EpochMillis start = kT0) {
    Transition initial;
    initial.events.push_back(Event(1, "ExecutionStarted"));
    initial.state = "s1";
    return store().CreateExecution(Execution(name, start), std::move(initial));
  }
  // A transition of `name` from `version` adding `events` events after `last_event_id`.
  static Transition Next(const std::string& name, int64_t version, int64_t last_event_id,
                         int events = 2) {
    Transition transition;
    transition.execution_arn = ExecArn(name);
    transition.expected_version = version;
    for (int i = 1; i <= events; ++i) {
      transition.events.push_back(Event(last_event_id + i));
    }
    transition.state = "s" + std::to_string(version + 1);
    return transition;
  }
  static StateMachineRecord Machine(const std::string& name, EpochMillis created = kT0) {
    StateMachineRecord record;
    record.arn = "arn:aws:states:us-east-1:123456789012:stateMachine:" + name;
    record.name = name;
    record.definition = R"({"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}})";
    record.role_arn = "arn:aws:iam::123456789012:role/R";
    record.logging_configuration = R"({"level":"OFF","includeExecutionData":false})";
    record.tracing_configuration = R"({"enabled":false})";
    record.creation_date = created;
    record.update_date = created;
    record.revision_id = "rev-1";
    return record;
  }

  std::string dir_;
  std::unique_ptr<Store> store_;
};

#define ASSERT_OK(expr)                                     \
  do {                                                      \
    ::stepfn::Status _s = (expr);                           \
    ASSERT_TRUE(_s.ok()) << #expr << ": " << _s.ToString(); \
  } while (0)
#define EXPECT_CODE(expr, want) EXPECT_EQ((expr).code(), ::stepfn::StatusCode::want)

// --- State machines -----------------------------------------------------------------------------

TEST_P(StoreTest, StateMachineCrud) {
  StateMachineRecord machine = Machine("M");
  ASSERT_OK(store().CreateStateMachine(machine));
  EXPECT_CODE(store().CreateStateMachine(machine), AlreadyExists);
  auto got = store().GetStateMachine(machine.arn);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->name, "M");
  EXPECT_EQ(got->definition, machine.definition);
  EXPECT_EQ(got->role_arn, machine.role_arn);
  EXPECT_EQ(got->logging_configuration, machine.logging_configuration);
  EXPECT_EQ(got->tracing_configuration, machine.tracing_configuration);
  EXPECT_EQ(got->creation_date, kT0);
  EXPECT_EQ(got->type, StateMachineType::Standard);
  EXPECT_EQ(got->kind, StateMachineKind::StateMachine);
  EXPECT_CODE(store().GetStateMachine(machine.arn + "x").status(), NotFound);

  machine.definition = R"({"StartAt":"Q","States":{"Q":{"Type":"Succeed"}}})";
  machine.revision_id = "rev-2";
  EXPECT_CODE(store().UpdateStateMachine(machine, std::string("rev-0")), FailedPrecondition);
  ASSERT_OK(store().UpdateStateMachine(machine, std::string("rev-1")));
  EXPECT_EQ(store().GetStateMachine(machine.arn)->revision_id, "rev-2");
  EXPECT_EQ(store().GetStateMachine(machine.arn)->definition, machine.definition);
  StateMachineRecord missing = Machine("Nope");
  EXPECT_CODE(store().UpdateStateMachine(missing, std::nullopt), NotFound);

  ASSERT_OK(store().TagResource(machine.arn, {{"team", "a"}}));
  ASSERT_OK(store().DeleteStateMachine(machine.arn));
  EXPECT_CODE(store().GetStateMachine(machine.arn).status(), NotFound);
  EXPECT_CODE(store().DeleteStateMachine(machine.arn), NotFound);
  EXPECT_TRUE(store().ListTags(machine.arn)->empty());
}

TEST_P(StoreTest, StateMachinesListInPagesOldestFirst) {
  for (int i = 0; i < 5; ++i) {
    // Two share a creation date: the ARN breaks the tie.
    ASSERT_OK(store().CreateStateMachine(Machine("M" + std::to_string(i), kT0 + i / 2)));
  }
  std::vector<std::string> names;
  PageRequest page{2, ""};
  int pages = 0;
  do {
    auto listed = store().ListStateMachines(StateMachineFilter{}, page);
    ASSERT_TRUE(listed.ok()) << listed.status().ToString();
    for (const StateMachineRecord& record : listed->items) {
      names.push_back(record.name);
    }
    page.token = listed->next_token;
    ++pages;
  } while (!page.token.empty());
  EXPECT_EQ(pages, 3);
  EXPECT_EQ(names, (std::vector<std::string>{"M0", "M1", "M2", "M3", "M4"}));
  EXPECT_CODE(store().ListStateMachines(StateMachineFilter{}, PageRequest{2, "garbage"}).status(),
              InvalidArgument);
}

TEST_P(StoreTest, VersionsAreNumberedOnceAndAliasesAreRows) {
  StateMachineRecord machine = Machine("M");
  ASSERT_OK(store().CreateStateMachine(machine));
  for (int i = 1; i <= 3; ++i) {
    StateMachineRecord content = machine;
    content.description = "v" + std::to_string(i);
    content.creation_date = kT0 + i;
    auto version = store().PublishVersion(machine.arn, content);
    ASSERT_TRUE(version.ok()) << version.status().ToString();
    EXPECT_EQ(version->version_number, i);
    EXPECT_EQ(version->arn, machine.arn + ":" + std::to_string(i));
    EXPECT_EQ(version->kind, StateMachineKind::Version);
  }
  ASSERT_OK(store().DeleteStateMachine(machine.arn + ":3"));
  StateMachineRecord content = machine;
  content.creation_date = kT0 + 10;
  auto fourth = store().PublishVersion(machine.arn, content);
  ASSERT_TRUE(fourth.ok());
  EXPECT_EQ(fourth->version_number, 4);  // numbers are never reused
  EXPECT_EQ(store().GetStateMachine(machine.arn)->last_version_number, 4);
  EXPECT_CODE(store().PublishVersion(machine.arn + "x", content).status(), NotFound);

  StateMachineFilter versions{StateMachineKind::Version, machine.arn};
  auto listed = store().ListStateMachines(versions, PageRequest{2, ""});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->items.size(), 2u);
  EXPECT_EQ(listed->items[0].version_number, 4);  // newest first
  EXPECT_EQ(listed->items[1].version_number, 2);
  listed = store().ListStateMachines(versions, PageRequest{2, listed->next_token});
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items[0].version_number, 1);
  EXPECT_TRUE(listed->next_token.empty());

  // Versions published in the same millisecond list by number: 12 before 11, ..., 10 before 9.
  for (int i = 5; i <= 12; ++i) {
    StateMachineRecord same_ms = machine;
    same_ms.creation_date = kT0 + 20;
    ASSERT_TRUE(store().PublishVersion(machine.arn, same_ms).ok());
  }
  std::vector<int64_t> numbers;
  std::string token;
  do {
    auto part = store().ListStateMachines(versions, PageRequest{3, token});
    ASSERT_TRUE(part.ok()) << part.status().ToString();
    for (const auto& v : part->items) numbers.push_back(v.version_number);
    token = part->next_token;
  } while (!token.empty());
  EXPECT_EQ(numbers, (std::vector<int64_t>{12, 11, 10, 9, 8, 7, 6, 5, 4, 2, 1}));

  StateMachineRecord alias = machine;
  alias.arn = machine.arn + ":PROD";
  alias.kind = StateMachineKind::Alias;
  alias.parent_arn = machine.arn;
  alias.name = "PROD";
  alias.routing_configuration = R"([{"stateMachineVersionArn":"x:1","weight":100}])";
  ASSERT_OK(store().CreateStateMachine(alias));
  ASSERT_OK(store().TagResource(alias.arn, {{"k", "v"}}));
  auto aliases = store().ListStateMachines({StateMachineKind::Alias, machine.arn}, PageRequest{});
  ASSERT_TRUE(aliases.ok());
  ASSERT_EQ(aliases->items.size(), 1u);
  EXPECT_EQ(aliases->items[0].routing_configuration, alias.routing_configuration);
  // Only state machines are listed as state machines.
  EXPECT_EQ(store().ListStateMachines(StateMachineFilter{}, PageRequest{})->items.size(), 1u);

  ASSERT_OK(store().DeleteStateMachine(machine.arn));  // takes its versions and aliases
  EXPECT_CODE(store().GetStateMachine(alias.arn).status(), NotFound);
  EXPECT_CODE(store().GetStateMachine(machine.arn + ":1").status(), NotFound);
  EXPECT_TRUE(store().ListTags(alias.arn)->empty());
}

// --- Executions and transitions -----------------------------------------------------------------

TEST_P(StoreTest, CreateExecutionStoresTheFirstTransition) {
  Transition initial;
  initial.events = {Event(1, "ExecutionStarted"), Event(2, "PassStateEntered")};
  initial.state = std::string("\0bytes\xff", 7);
  initial.timers_to_add.push_back(TimerRecord{"", 7, kT0 + 1000, "p"});
  ExecutionRecord execution = Execution("e1");
  execution.state_machine_version_arn = std::string(kMachine) + ":1";
  ASSERT_OK(store().CreateExecution(execution, initial));

  auto got = store().GetExecution(ExecArn("e1"));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->name, "e1");
  EXPECT_EQ(got->state_machine_arn, kMachine);
  EXPECT_EQ(got->state_machine_version_arn, execution.state_machine_version_arn);
  EXPECT_EQ(got->status, ExecutionStatus::Running);
  EXPECT_EQ(got->input, execution.input);
  EXPECT_EQ(got->definition, execution.definition);
  EXPECT_EQ(got->start_date, kT0);
  EXPECT_EQ(got->stop_date, 0);
  EXPECT_EQ(got->state, initial.state);  // opaque bytes, NULs included
  EXPECT_EQ(got->version, 1);
  EXPECT_EQ(got->last_event_id, 2);
  EXPECT_EQ(store().DueTimers(kT0 + 1000, 10)->size(), 1u);

  // The same name again: AlreadyExists, and the existing input is untouched (the API compares
  // it for StartExecution's idempotency).
  ExecutionRecord again = Execution("e1");
  again.input = "{\"other\":1}";
  EXPECT_CODE(store().CreateExecution(again, initial), AlreadyExists);
  EXPECT_EQ(store().GetExecution(ExecArn("e1"))->input, execution.input);
  EXPECT_CODE(store().GetExecution(ExecArn("nope")).status(), NotFound);

  Transition gap;
  gap.events = {Event(2)};
  EXPECT_CODE(store().CreateExecution(Execution("e2"), gap), InvalidArgument);
  EXPECT_CODE(store().GetExecution(ExecArn("e2")).status(), NotFound);
}

TEST_P(StoreTest, MapRunsFindTheirExecution) {
  const std::string run1 = "arn:aws:states:us-east-1:123456789012:mapRun:M/Map:run-1";
  const std::string run2 = "arn:aws:states:us-east-1:123456789012:mapRun:M/Map:run-2";
  Transition initial;
  initial.events.push_back(Event(1, "ExecutionStarted"));
  initial.state = "s1";
  initial.map_runs_to_add = {run1};
  ASSERT_OK(store().CreateExecution(Execution("e1"), initial));
  ASSERT_OK(Start("e2"));
  Transition next = Next("e2", 1, 1);
  next.map_runs_to_add = {run2};
  ASSERT_OK(store().CommitTransition(next));
  auto found = store().FindMapRun(run1);
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ(*found, ExecArn("e1"));
  EXPECT_EQ(*store().FindMapRun(run2), ExecArn("e2"));
  EXPECT_CODE(store().FindMapRun(run1 + "x").status(), NotFound);
}

TEST_P(StoreTest, TransitionsAppendHistoryAndAdvanceTheVersion) {
  ASSERT_OK(Start("e"));
  int64_t last = 1;
  for (int64_t version = 1; version <= 3; ++version) {
    ASSERT_OK(store().CommitTransition(Next("e", version, last)));
    last += 2;
  }
  // A transition with no events (a state change only) is fine too.
  ASSERT_OK(store().CommitTransition(Next("e", 4, last, 0)));
  auto got = store().GetExecution(ExecArn("e"));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->version, 5);
  EXPECT_EQ(got->last_event_id, 7);
  EXPECT_EQ(got->state, "s5");
  auto history = store().GetHistory(ExecArn("e"), 0, 100, false);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 7u);
  for (size_t i = 0; i < history->size(); ++i) {
    EXPECT_EQ((*history)[i].id, static_cast<int64_t>(i) + 1);
    EXPECT_EQ((*history)[i].previous_event_id, static_cast<int64_t>(i));
  }
  EXPECT_EQ((*history)[0].type, "ExecutionStarted");
  EXPECT_EQ((*history)[3].details, "{\"name\":\"S4\"}");
  EXPECT_EQ((*history)[3].timestamp, kT0 + 4);
}

TEST_P(StoreTest, AnEventPayloadKeptAsAValueReadsBackAsItsText) {
  ASSERT_OK(Start("e"));
  Transition next = Next("e", 1, 1, 1);
  next.events[0].details = "head";
  next.events[0].payload = json::Value::Object(
      {{"k", json::Value::Array({json::Value::Int(1), json::Value::String("x\"y")})}});
  ASSERT_OK(store().CommitTransition(std::move(next)));
  auto history = store().GetHistory(ExecArn("e"), 0, 100, false);
  ASSERT_TRUE(history.ok());
  ASSERT_EQ(history->size(), 2u);
  std::string expected = "head";
  PutLengthPrefixed(R"({"k":[1,"x\"y"]})", &expected);
  EXPECT_EQ(PersistedDetails((*history)[1]), expected);
  // A record without a payload value is its details as they are.
  EXPECT_EQ(PersistedDetails((*history)[0]), (*history)[0].details);
}

TEST_P(StoreTest, VersionConflictAppliesNothing) {
  ASSERT_OK(Start("e"));
  ASSERT_OK(store().CommitTransition(Next("e", 1, 1)));
  Transition stale = Next("e", 1, 1);  // read before the commit above
  stale.timers_to_add.push_back(TimerRecord{"", 1, kT0, ""});
  Status status = store().CommitTransition(stale);
  EXPECT_CODE(status, FailedPrecondition);
  EXPECT_NE(status.message().find("version conflict"), std::string::npos) << status.message();
  auto got = store().GetExecution(ExecArn("e"));
  EXPECT_EQ(got->version, 2);
  EXPECT_EQ(got->last_event_id, 3);
  EXPECT_EQ(got->state, "s2");
  EXPECT_TRUE(store().DueTimers(kT0, 10)->empty());
  EXPECT_CODE(store().CommitTransition(Next("missing", 1, 1)), NotFound);
}

TEST_P(StoreTest, EventIdsMustContinueTheHistory) {
  ASSERT_OK(Start("e"));
  Transition gap = Next("e", 1, 2);  // ids 3, 4 after 1
  EXPECT_CODE(store().CommitTransition(gap), InvalidArgument);
  Transition repeat = Next("e", 1, 0);  // ids 1, 2 again
  EXPECT_CODE(store().CommitTransition(repeat), InvalidArgument);
  Transition jumbled = Next("e", 1, 1);
  jumbled.events[1].id = 7;
  EXPECT_CODE(store().CommitTransition(jumbled), InvalidArgument);
  auto got = store().GetExecution(ExecArn("e"));
  EXPECT_EQ(got->version, 1);
  EXPECT_EQ(got->last_event_id, 1);
  EXPECT_EQ(store().GetHistory(ExecArn("e"), 0, 100, false)->size(), 1u);
}

TEST_P(StoreTest, HistoryPagesForwardAndReverse) {
  ASSERT_OK(Start("e"));
  ASSERT_OK(store().CommitTransition(Next("e", 1, 1, 24)));  // ids 1..25
  auto ids = [](const std::vector<HistoryEventRecord>& events) {
    std::vector<int64_t> out;
    for (const auto& event : events) {
      out.push_back(event.id);
    }
    return out;
  };
  auto page = store().GetHistory(ExecArn("e"), 1, 10, false);
  ASSERT_TRUE(page.ok());
  EXPECT_EQ(ids(*page).front(), 1);
  EXPECT_EQ(ids(*page).back(), 10);
  page = store().GetHistory(ExecArn("e"), 21, 10, false);
  EXPECT_EQ(ids(*page), (std::vector<int64_t>{21, 22, 23, 24, 25}));
  page = store().GetHistory(ExecArn("e"), 26, 10, false);
  EXPECT_TRUE(page->empty());
  page = store().GetHistory(ExecArn("e"), 0, 3, true);
  EXPECT_EQ(ids(*page), (std::vector<int64_t>{25, 24, 23}));
  page = store().GetHistory(ExecArn("e"), 3, 10, true);
  EXPECT_EQ(ids(*page), (std::vector<int64_t>{3, 2, 1}));
  EXPECT_CODE(store().GetHistory(ExecArn("none"), 0, 10, false).status(), NotFound);
}

TEST_P(StoreTest, ListExecutionsNewestFirstWithStableTokens) {
  // start dates: e0..e5 at kT0 + i, e6 shares e5's date.
  for (int i = 0; i < 6; ++i) {
    ASSERT_OK(Start("e" + std::to_string(i), kT0 + i));
  }
  ASSERT_OK(Start("e6", kT0 + 5));
  ExecutionFilter filter;
  filter.state_machine_arn = kMachine;
  auto first = store().ListExecutions(filter, PageRequest{3, ""});
  ASSERT_TRUE(first.ok()) << first.status().ToString();
  ASSERT_EQ(first->items.size(), 3u);
  EXPECT_EQ(first->items[0].name, "e6");  // same date: ARN descending
  EXPECT_EQ(first->items[1].name, "e5");
  EXPECT_EQ(first->items[2].name, "e4");
  EXPECT_TRUE(first->items[0].input.empty());  // summaries
  EXPECT_TRUE(first->items[0].definition.empty());
  EXPECT_TRUE(first->items[0].state.empty());
  // A newer execution arriving between pages shifts nothing.
  ASSERT_OK(Start("e7", kT0 + 100));
  std::vector<std::string> rest;
  PageRequest page{3, first->next_token};
  while (!page.token.empty()) {
    auto listed = store().ListExecutions(filter, page);
    ASSERT_TRUE(listed.ok());
    for (const auto& record : listed->items) {
      rest.push_back(record.name);
    }
    page.token = listed->next_token;
  }
  EXPECT_EQ(rest, (std::vector<std::string>{"e3", "e2", "e1", "e0"}));

  // Status filter.
  Transition end = Next("e2", 1, 1);
  end.status_update = StatusUpdate{ExecutionStatus::Succeeded, "{}", "", "", kT0 + 50};
  ASSERT_OK(store().CommitTransition(end));
  filter.status = ExecutionStatus::Succeeded;
  auto succeeded = store().ListExecutions(filter, PageRequest{});
  ASSERT_TRUE(succeeded.ok());
  ASSERT_EQ(succeeded->items.size(), 1u);
  EXPECT_EQ(succeeded->items[0].name, "e2");
  EXPECT_EQ(succeeded->items[0].status, ExecutionStatus::Succeeded);
  filter.status = ExecutionStatus::Running;
  EXPECT_EQ(store().ListExecutions(filter, PageRequest{})->items.size(), 7u);

  // By version or alias, and by Map Run.
  ExecutionRecord by_version = Execution("v1", kT0 + 200);
  by_version.state_machine_version_arn = std::string(kMachine) + ":1";
  ExecutionRecord child = Execution("child", kT0 + 300);
  child.map_run_arn = "arn:aws:states:us-east-1:123456789012:mapRun:M/run:1";
  for (const ExecutionRecord& record : {by_version, child}) {
    Transition initial;
    initial.events.push_back(Event(1, "ExecutionStarted"));
    ASSERT_OK(store().CreateExecution(record, initial));
  }
  ExecutionFilter versions;
  versions.state_machine_arn = kMachine;
  versions.version_or_alias_arn = by_version.state_machine_version_arn;
  auto listed = store().ListExecutions(versions, PageRequest{});
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items[0].name, "v1");
  ExecutionFilter map_run;
  map_run.map_run_arn = child.map_run_arn;
  listed = store().ListExecutions(map_run, PageRequest{});
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items[0].name, "child");
  ExecutionFilter other;
  other.state_machine_arn = std::string(kMachine) + "Other";
  EXPECT_TRUE(store().ListExecutions(other, PageRequest{})->items.empty());
  EXPECT_CODE(store().ListExecutions(filter, PageRequest{3, "1:"}).status(), Ok);
  EXPECT_CODE(store().ListExecutions(filter, PageRequest{3, "x:y"}).status(), InvalidArgument);
}

TEST_P(StoreTest, TerminalStatusClearsTimersTokensAndLease) {
  ASSERT_OK(Start("e"));
  auto lease = store().AcquireLease(ExecArn("e"), "node-a", kT0, 10000);
  ASSERT_TRUE(lease.ok());
  Transition wait = Next("e", 1, 1);
  wait.lease_owner = "node-a";
  wait.lease_token = lease->token;
  wait.timers_to_add = {TimerRecord{"", 1, kT0 + 10, "t1"}, TimerRecord{"", 2, kT0 + 20, "t2"}};
  wait.tokens_to_add.push_back(TaskTokenRecord{"tok-1", "", 5, "", "", kT0});
  ASSERT_OK(store().CommitTransition(wait));
  EXPECT_EQ(store().DueTimers(kT0 + 100, 10)->size(), 2u);
  EXPECT_EQ(store().GetTaskToken("tok-1")->execution_arn, ExecArn("e"));

  Transition fail = Next("e", 2, 3);
  fail.lease_owner = "node-a";
  fail.lease_token = lease->token;
  fail.status_update =
      StatusUpdate{ExecutionStatus::Failed, "", "States.TaskFailed", "boom", kT0 + 30};
  ASSERT_OK(store().CommitTransition(fail));
  auto got = store().GetExecution(ExecArn("e"));
  EXPECT_EQ(got->status, ExecutionStatus::Failed);
  EXPECT_EQ(got->error, "States.TaskFailed");
  EXPECT_EQ(got->cause, "boom");
  EXPECT_EQ(got->stop_date, kT0 + 30);
  EXPECT_TRUE(got->lease_owner.empty());
  EXPECT_TRUE(store().DueTimers(kT0 + 100, 10)->empty());
  EXPECT_CODE(store().GetTaskToken("tok-1").status(), NotFound);
  EXPECT_TRUE(store().ListRunningExecutions(std::nullopt, PageRequest{})->items.empty());

  // A redrive runs it again.
  Transition redrive = Next("e", 3, 5);
  redrive.status_update = StatusUpdate{ExecutionStatus::Running, "", "", "", 0, kT0 + 40};
  ASSERT_OK(store().CommitTransition(redrive));
  got = store().GetExecution(ExecArn("e"));
  EXPECT_EQ(got->status, ExecutionStatus::Running);
  EXPECT_EQ(got->redrive_count, 1);
  EXPECT_EQ(got->redrive_date, kT0 + 40);
  EXPECT_EQ(got->stop_date, 0);
  EXPECT_TRUE(got->error.empty());
  EXPECT_EQ(store().ListRunningExecutions(std::nullopt, PageRequest{})->items.size(), 1u);
}

// --- Leases ------------------------------------------------------------------------------------

TEST_P(StoreTest, LeasesExpireAndStaleCommitsAreFenced) {
  ASSERT_OK(Start("e"));
  const std::string arn = ExecArn("e");
  auto a = store().AcquireLease(arn, "node-a", kT0, 1000);
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->owner, "node-a");
  EXPECT_EQ(a->expiry, kT0 + 1000);
  // Held: another node is refused; the holder extends it with the same token.
  EXPECT_CODE(store().AcquireLease(arn, "node-b", kT0 + 500, 1000).status(), FailedPrecondition);
  auto again = store().AcquireLease(arn, "node-a", kT0 + 500, 1000);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->token, a->token);
  EXPECT_EQ(again->expiry, kT0 + 1500);
  // Without a lease a commit on a leased execution is refused.
  EXPECT_CODE(store().CommitTransition(Next("e", 1, 1)), FailedPrecondition);
  // The holder commits, past its expiry even, while nobody took over.
  Transition by_a = Next("e", 1, 1);
  by_a.lease_owner = "node-a";
  by_a.lease_token = a->token;
  ASSERT_OK(store().CommitTransition(by_a));

  // Unleased-at filter for recovery scans.
  EXPECT_TRUE(store().ListRunningExecutions(kT0 + 1000, PageRequest{})->items.empty());
  EXPECT_EQ(store().ListRunningExecutions(kT0 + 1500, PageRequest{})->items.size(), 1u);

  // Expired: node-b takes it over with a newer token.
  auto b = store().AcquireLease(arn, "node-b", kT0 + 1500, 1000);
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_GT(b->token, a->token);
  Transition stale = Next("e", 2, 3);  // node-a's next step, after the takeover
  stale.lease_owner = "node-a";
  stale.lease_token = a->token;
  Status refused = store().CommitTransition(stale);
  EXPECT_CODE(refused, FailedPrecondition);
  EXPECT_NE(refused.message().find("lease lost"), std::string::npos) << refused.message();
  EXPECT_CODE(store().RenewLease(arn, *a, kT0 + 1600, 1000).status(), FailedPrecondition);
  EXPECT_CODE(store().ReleaseLease(arn, *a), FailedPrecondition);

  Transition by_b = Next("e", 2, 3);
  by_b.lease_owner = "node-b";
  by_b.lease_token = b->token;
  ASSERT_OK(store().CommitTransition(by_b));
  auto renewed = store().RenewLease(arn, *b, kT0 + 2000, 1000);
  ASSERT_TRUE(renewed.ok());
  EXPECT_EQ(renewed->expiry, kT0 + 3000);
  ASSERT_OK(store().ReleaseLease(arn, *b));
  auto c = store().AcquireLease(arn, "node-c", kT0 + 2001, 1000);
  ASSERT_TRUE(c.ok());
  EXPECT_GT(c->token, b->token);
  auto got = store().GetExecution(arn);
  EXPECT_EQ(got->lease_owner, "node-c");
  EXPECT_EQ(got->lease_token, c->token);
  EXPECT_EQ(got->version, 3);
  EXPECT_CODE(store().AcquireLease(ExecArn("none"), "x", kT0, 1).status(), NotFound);
}

TEST_P(StoreTest, ListRunningExecutionsPages) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK(Start("r" + std::to_string(i)));
  }
  std::vector<std::string> names;
  PageRequest page{2, ""};
  do {
    auto listed = store().ListRunningExecutions(std::nullopt, page);
    ASSERT_TRUE(listed.ok());
    for (const auto& record : listed->items) {
      names.push_back(record.name);
      EXPECT_EQ(record.state, "s1");  // full records, for recovery
    }
    page.token = listed->next_token;
  } while (!page.token.empty());
  EXPECT_EQ(names, (std::vector<std::string>{"r0", "r1", "r2", "r3", "r4"}));
}

// --- Timers, tokens, activities, tags ----------------------------------------------------------

TEST_P(StoreTest, DueTimersInTimeOrder) {
  ASSERT_OK(Start("a"));
  ASSERT_OK(Start("b"));
  Transition ta = Next("a", 1, 1);
  ta.timers_to_add = {TimerRecord{"", 1, kT0 + 30, "a1"}, TimerRecord{"", 2, kT0 + 10, "a2"}};
  ASSERT_OK(store().CommitTransition(ta));
  Transition tb = Next("b", 1, 1);
  tb.timers_to_add = {TimerRecord{"", 1, kT0 + 20, "b1"}, TimerRecord{"", 2, kT0 + 99, "b2"}};
  ASSERT_OK(store().CommitTransition(tb));

  auto due = store().DueTimers(kT0 + 30, 10);
  ASSERT_TRUE(due.ok());
  ASSERT_EQ(due->size(), 3u);
  EXPECT_EQ((*due)[0].payload, "a2");
  EXPECT_EQ((*due)[0].execution_arn, ExecArn("a"));
  EXPECT_EQ((*due)[1].payload, "b1");
  EXPECT_EQ((*due)[2].payload, "a1");
  EXPECT_EQ((*due)[2].fire_at, kT0 + 30);
  EXPECT_EQ(store().DueTimers(kT0 + 30, 2)->size(), 2u);
  EXPECT_TRUE(store().DueTimers(kT0 + 9, 10)->empty());

  // Delivered timers are deleted by the transition that delivers them; re-adding an id
  // replaces the timer.
  Transition fired = Next("a", 2, 3);
  fired.timers_to_delete = {2, 42};
  fired.timers_to_add = {TimerRecord{"", 1, kT0 + 500, "a1-later"}};
  ASSERT_OK(store().CommitTransition(fired));
  due = store().DueTimers(kT0 + 1000, 10);
  ASSERT_EQ(due->size(), 3u);
  EXPECT_EQ((*due)[0].payload, "b1");
  EXPECT_EQ((*due)[1].payload, "b2");
  EXPECT_EQ((*due)[2].payload, "a1-later");
}

TEST_P(StoreTest, TaskTokensAndActivityTasks) {
  const std::string activity = "arn:aws:states:us-east-1:123456789012:activity:A";
  ASSERT_OK(store().CreateActivity(ActivityRecord{activity, "A", kT0}));
  EXPECT_CODE(store().CreateActivity(ActivityRecord{activity, "A", kT0}), AlreadyExists);
  EXPECT_EQ(store().GetActivity(activity)->name, "A");
  ASSERT_OK(Start("e"));
  Transition schedule = Next("e", 1, 1);
  schedule.tokens_to_add = {
      TaskTokenRecord{"t-late", "", 2, activity, "{\"n\":2}", kT0 + 2},
      TaskTokenRecord{"t-early", "", 1, activity, "{\"n\":1}", kT0 + 1},
      TaskTokenRecord{"t-callback", "", 3, "", "", kT0 + 3},
  };
  ASSERT_OK(store().CommitTransition(schedule));
  auto token = store().GetTaskToken("t-callback");
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(token->execution_arn, ExecArn("e"));
  EXPECT_EQ(token->task_id, 3);

  auto claimed = store().ClaimActivityTask(activity, "worker-1", kT0 + 10);
  ASSERT_TRUE(claimed.ok()) << claimed.status().ToString();
  ASSERT_TRUE(claimed->has_value());
  EXPECT_EQ((*claimed)->token, "t-early");
  EXPECT_EQ((*claimed)->input, "{\"n\":1}");
  EXPECT_EQ((*claimed)->execution_arn, ExecArn("e"));
  EXPECT_TRUE((*claimed)->claimed);
  auto stored = store().GetTaskToken("t-early");
  EXPECT_TRUE(stored->claimed);
  EXPECT_EQ(stored->worker_name, "worker-1");
  EXPECT_EQ(stored->claimed_at, kT0 + 10);
  EXPECT_EQ((*store().ClaimActivityTask(activity, "w", kT0))->token, "t-late");
  EXPECT_FALSE(store().ClaimActivityTask(activity, "w", kT0)->has_value());

  // A duplicate token fails the transition alone.
  Transition duplicate = Next("e", 2, 3);
  duplicate.tokens_to_add = {TaskTokenRecord{"t-callback", "", 9, "", "", kT0}};
  EXPECT_CODE(store().CommitTransition(duplicate), AlreadyExists);
  EXPECT_EQ(store().GetExecution(ExecArn("e"))->version, 2);

  Transition answered = Next("e", 2, 3);
  answered.tokens_to_delete = {"t-callback", "unknown"};
  answered.tokens_to_add = {TaskTokenRecord{"t-queued", "", 4, activity, "{}", kT0 + 4}};
  ASSERT_OK(store().CommitTransition(answered));
  EXPECT_CODE(store().GetTaskToken("t-callback").status(), NotFound);

  ASSERT_OK(store().DeleteActivity(activity));  // its unclaimed task goes with it
  EXPECT_CODE(store().GetTaskToken("t-queued").status(), NotFound);
  EXPECT_TRUE(store().GetTaskToken("t-early").ok());  // claimed tasks stay
  EXPECT_CODE(store().DeleteActivity(activity), NotFound);
  EXPECT_CODE(store().GetActivity(activity).status(), NotFound);
}

TEST_P(StoreTest, ActivitiesListInPages) {
  for (int i = 0; i < 5; ++i) {
    std::string name = "A" + std::to_string(i);
    ASSERT_OK(store().CreateActivity(
        ActivityRecord{"arn:aws:states:us-east-1:123456789012:activity:" + name, name, kT0 + i}));
  }
  std::vector<std::string> names;
  PageRequest page{3, ""};
  do {
    auto listed = store().ListActivities(page);
    ASSERT_TRUE(listed.ok());
    for (const auto& record : listed->items) {
      names.push_back(record.name);
    }
    page.token = listed->next_token;
  } while (!page.token.empty());
  EXPECT_EQ(names, (std::vector<std::string>{"A0", "A1", "A2", "A3", "A4"}));
}

TEST_P(StoreTest, Tags) {
  const std::string arn = kMachine;
  EXPECT_TRUE(store().ListTags(arn)->empty());
  ASSERT_OK(store().TagResource(arn, {{"b", "2"}, {"a", "1"}}));
  ASSERT_OK(store().TagResource(arn, {{"a", "one"}}));
  auto tags = store().ListTags(arn);
  ASSERT_TRUE(tags.ok());
  EXPECT_EQ(*tags, (std::map<std::string, std::string>{{"a", "one"}, {"b", "2"}}));
  ASSERT_OK(store().UntagResource(arn, {"a", "zzz"}));
  EXPECT_EQ(*store().ListTags(arn), (std::map<std::string, std::string>{{"b", "2"}}));
  ASSERT_OK(store().UntagResource("arn:none", {"a"}));
}

// --- Concurrency, durability --------------------------------------------------------------------

// 8 threads, each with 25 executions, all their transitions in flight at once per round.
TEST_P(StoreTest, ConcurrentCommitsLoseNothing) {
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  constexpr int kRounds = 12;
  for (int t = 0; t < kThreads; ++t) {
    for (int e = 0; e < kPerThread; ++e) {
      ASSERT_OK(Start("c" + std::to_string(t) + "-" + std::to_string(e)));
    }
  }
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < kRounds; ++round) {
        std::mutex mu;
        std::condition_variable cv;
        int pending = kPerThread;
        for (int e = 0; e < kPerThread; ++e) {
          std::string name = "c" + std::to_string(t) + "-" + std::to_string(e);
          store().CommitTransitionAsync(Next(name, round + 1, 1 + 2 * round), [&](Status s) {
            if (!s.ok()) {
              failures.fetch_add(1);
            }
            std::lock_guard<std::mutex> lock(mu);
            if (--pending == 0) {
              cv.notify_one();
            }
          });
        }
        std::unique_lock<std::mutex> lock(mu);
        cv.wait(lock, [&] { return pending == 0; });
      }
    });
  }
  for (std::thread& thread : threads) {
    thread.join();
  }
  EXPECT_EQ(failures.load(), 0);
  for (int t = 0; t < kThreads; ++t) {
    for (int e = 0; e < kPerThread; ++e) {
      std::string name = "c" + std::to_string(t) + "-" + std::to_string(e);
      auto got = store().GetExecution(ExecArn(name));
      ASSERT_TRUE(got.ok());
      EXPECT_EQ(got->version, kRounds + 1);
      EXPECT_EQ(got->last_event_id, 1 + 2 * kRounds);
      EXPECT_EQ(got->state, "s" + std::to_string(kRounds + 1));
      EXPECT_EQ(store().GetHistory(ExecArn(name), 0, 1000, false)->size(),
                static_cast<size_t>(1 + 2 * kRounds));
    }
  }
}

TEST_P(StoreTest, ReopenKeepsEverything) {
  if (!GetParam().persistent) {
    GTEST_SKIP() << "not a persistent store";
  }
  ASSERT_OK(store().CreateStateMachine(Machine("M")));
  ASSERT_OK(store().CreateActivity(ActivityRecord{"arn:act", "act", kT0}));
  ASSERT_OK(store().TagResource(kMachine, {{"k", "v"}}));
  ASSERT_OK(Start("e"));
  auto lease = store().AcquireLease(ExecArn("e"), "node", kT0, 5000);
  ASSERT_TRUE(lease.ok());
  Transition transition = Next("e", 1, 1);
  transition.lease_owner = "node";
  transition.lease_token = lease->token;
  transition.timers_to_add = {TimerRecord{"", 3, kT0 + 7, "payload"}};
  transition.tokens_to_add = {TaskTokenRecord{"tok", "", 1, "arn:act", "{}", kT0}};
  ASSERT_OK(store().CommitTransition(transition));

  Reopen();
  EXPECT_EQ(store().GetStateMachine(kMachine)->definition, Machine("M").definition);
  EXPECT_EQ(store().GetActivity("arn:act")->name, "act");
  EXPECT_EQ(store().ListTags(kMachine)->at("k"), "v");
  auto got = store().GetExecution(ExecArn("e"));
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->version, 2);
  EXPECT_EQ(got->state, "s2");
  EXPECT_EQ(got->lease_owner, "node");
  EXPECT_EQ(got->lease_token, lease->token);
  EXPECT_EQ(store().GetHistory(ExecArn("e"), 0, 100, false)->size(), 3u);
  EXPECT_EQ(store().DueTimers(kT0 + 7, 10)->at(0).payload, "payload");
  EXPECT_EQ(store().GetTaskToken("tok")->task_id, 1);
  // And it keeps working.
  Transition next = Next("e", 2, 3);
  next.lease_owner = "node";
  next.lease_token = lease->token;
  ASSERT_OK(store().CommitTransition(next));
}

// A child process commits transitions in a loop and is killed with SIGKILL at a random moment.
// The reopened store holds every acknowledged commit, and per committing thread a prefix of its
// sequence; no execution's history has a gap.
TEST_P(StoreTest, CrashKeepsAPrefixOfTheCommits) {
  if (!GetParam().persistent) {
    GTEST_SKIP() << "not a persistent store";
  }
  constexpr int kThreads = 4;
  constexpr int kPerThread = 5;
  auto name_of = [](int t, int e) { return "k" + std::to_string(t) + "-" + std::to_string(e); };
  for (int t = 0; t < kThreads; ++t) {
    for (int e = 0; e < kPerThread; ++e) {
      ASSERT_OK(Start(name_of(t, e)));
    }
  }
  store_.reset();  // the child opens the store (and takes its lock)

  const unsigned seed =
      static_cast<unsigned>(std::chrono::steady_clock::now().time_since_epoch().count());
  std::mt19937 random(seed);
  const int kill_after_acks = 40 + static_cast<int>(random() % 200);
  const int extra_delay_us = static_cast<int>(random() % 20000);
  SCOPED_TRACE("seed " + std::to_string(seed));

  int fds[2];
  ASSERT_EQ(pipe(fds), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    close(fds[0]);
    auto opened = GetParam().open(dir_);
    if (!opened.ok()) {
      _exit(2);
    }
    std::unique_ptr<Store> child = std::move(opened).value();
    std::vector<std::thread> threads;
    for (int t = 0; t < kThreads; ++t) {
      threads.emplace_back([&, t] {
        for (int round = 0;; ++round) {
          for (int e = 0; e < kPerThread; ++e) {
            if (!child->CommitTransition(Next(name_of(t, e), round + 1, 1 + 2 * round)).ok()) {
              _exit(3);
            }
            int32_t ack[3] = {t, e, round};
            if (write(fds[1], ack, sizeof(ack)) != static_cast<ssize_t>(sizeof(ack))) {
              _exit(4);
            }
          }
        }
      });
    }
    for (std::thread& thread : threads) {
      thread.join();
    }
    _exit(0);
  }
  close(fds[1]);
  // acked[t][e]: transitions acknowledged for that execution.
  std::vector<std::vector<int>> acked(kThreads, std::vector<int>(kPerThread, 0));
  auto read_ack = [&]() {
    int32_t ack[3];
    size_t got = 0;
    while (got < sizeof(ack)) {
      ssize_t n = read(fds[0], reinterpret_cast<char*>(ack) + got, sizeof(ack) - got);
      if (n <= 0) {
        return false;
      }
      got += static_cast<size_t>(n);
    }
    acked[ack[0]][ack[1]] = std::max(acked[ack[0]][ack[1]], ack[2] + 1);
    return true;
  };
  int acks = 0;
  while (acks < kill_after_acks && read_ack()) {
    ++acks;
  }
  ASSERT_EQ(acks, kill_after_acks) << "the child stopped early";
  std::this_thread::sleep_for(std::chrono::microseconds(extra_delay_us));
  kill(pid, SIGKILL);
  int wstatus = 0;
  waitpid(pid, &wstatus, 0);
  ASSERT_TRUE(WIFSIGNALED(wstatus)) << "child exit status " << WEXITSTATUS(wstatus);
  while (read_ack()) {
  }
  close(fds[0]);

  Open();
  for (int t = 0; t < kThreads; ++t) {
    std::vector<int> committed(kPerThread);
    int total_committed = 0;
    int total_acked = 0;
    for (int e = 0; e < kPerThread; ++e) {
      const std::string arn = ExecArn(name_of(t, e));
      auto got = store().GetExecution(arn);
      ASSERT_TRUE(got.ok());
      committed[e] = static_cast<int>(got->version - 1);
      EXPECT_EQ(got->last_event_id, 1 + 2 * committed[e]) << arn;
      EXPECT_EQ(got->state, "s" + std::to_string(got->version)) << arn;
      auto history = store().GetHistory(arn, 0, 1000, false);
      ASSERT_TRUE(history.ok());
      ASSERT_EQ(static_cast<int64_t>(history->size()), got->last_event_id) << arn;
      for (size_t i = 0; i < history->size(); ++i) {
        ASSERT_EQ((*history)[i].id, static_cast<int64_t>(i) + 1) << arn;
      }
      EXPECT_GE(committed[e], acked[t][e]) << "an acknowledged commit was lost: " << arn;
      total_committed += committed[e];
      total_acked += acked[t][e];
    }
    // A prefix of thread t's sequence (round-robin over its executions): counts never rise
    // along e and differ by at most one; at most one commit was in flight unacknowledged.
    for (int e = 1; e < kPerThread; ++e) {
      EXPECT_LE(committed[e], committed[e - 1]) << "thread " << t;
    }
    EXPECT_LE(committed[0] - committed[kPerThread - 1], 1) << "thread " << t;
    EXPECT_GE(total_committed - total_acked, 0);
    EXPECT_LE(total_committed - total_acked, 1);
  }
}

}  // namespace stepfn::store::testing
