// What only the MemoryStore does: forgetting the oldest ended executions past a bound.
#include "store/memory_store.h"

#include <gtest/gtest.h>

namespace stepfn::store {
namespace {

const char* kMachine = "arn:aws:states:us-east-1:123456789012:stateMachine:M";

std::string Arn(int i) {
  return "arn:aws:states:us-east-1:123456789012:express:M:e" + std::to_string(i) + ":u";
}

Status Start(MemoryStore& store, int i, std::string definition = "") {
  ExecutionRecord r;
  r.definition = std::move(definition);
  r.arn = Arn(i);
  r.name = "e" + std::to_string(i);
  r.state_machine_arn = kMachine;
  r.start_date = 1000 + i;
  Transition t;
  t.events.push_back({1, 0, 1000 + i, "ExecutionStarted", ""});
  return store.CreateExecution(r, std::move(t));
}

Status End(MemoryStore& store, int i) {
  Transition t;
  t.execution_arn = Arn(i);
  t.expected_version = 1;
  t.events.push_back({2, 1, 2000 + i, "ExecutionSucceeded", ""});
  StatusUpdate u;
  u.status = ExecutionStatus::Succeeded;
  u.output = "{}";
  u.stop_date = 2000 + i;
  t.status_update = u;
  return store.CommitTransition(std::move(t));
}

TEST(MemoryStore, ForgetsTheOldestEndedExecutionsPastItsBound) {
  MemoryStore store(3);
  for (int i = 0; i < 6; ++i) ASSERT_TRUE(Start(store, i).ok());
  // Running executions are never forgotten.
  for (int i : {0, 2, 4, 5}) ASSERT_TRUE(End(store, i).ok());
  EXPECT_EQ(store.GetExecution(Arn(0)).status().code(), StatusCode::NotFound);
  for (int i : {1, 2, 3, 4, 5}) EXPECT_TRUE(store.GetExecution(Arn(i)).ok()) << i;
  EXPECT_EQ(store.GetHistory(Arn(0), 1, 10, false).status().code(), StatusCode::NotFound);
  EXPECT_EQ(store.GetHistory(Arn(5), 1, 10, false)->size(), 2u);
  ExecutionFilter filter;
  filter.state_machine_arn = kMachine;
  auto listed = store.ListExecutions(filter, PageRequest{});
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(listed->items.size(), 5u);
}

TEST(MemoryStore, KeepsEverythingWithoutABound) {
  MemoryStore store;
  for (int i = 0; i < 5; ++i) {
    ASSERT_TRUE(Start(store, i).ok());
    ASSERT_TRUE(End(store, i).ok());
  }
  for (int i = 0; i < 5; ++i) EXPECT_TRUE(store.GetExecution(Arn(i)).ok());
}

TEST(MemoryStore, KeepsEachDefinitionOnceWhileAnExecutionRunsIt) {
  MemoryStore store(2);
  const std::string a = R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})";
  const std::string b = R"({"StartAt":"B","States":{"B":{"Type":"Succeed"}}})";
  ASSERT_TRUE(Start(store, 0, a).ok());
  ASSERT_TRUE(Start(store, 1, a).ok());
  ASSERT_TRUE(Start(store, 2, b).ok());
  EXPECT_EQ(store.definitions_kept(), 2u);
  EXPECT_EQ(store.GetExecution(Arn(1))->definition, a);
  EXPECT_EQ(store.GetExecution(Arn(2))->definition, b);
  auto running = store.ListRunningExecutions(std::nullopt, PageRequest{});
  ASSERT_TRUE(running.ok());
  ASSERT_EQ(running->items.size(), 3u);
  for (const ExecutionRecord& r : running->items) {
    EXPECT_EQ(r.definition, r.arn == Arn(2) ? b : a) << r.arn;
  }
  // Past the bound of two ended executions, e0 is forgotten; e1 still runs `a`.
  for (int i : {0, 1, 2}) ASSERT_TRUE(End(store, i).ok());
  EXPECT_EQ(store.definitions_kept(), 2u);
  EXPECT_EQ(store.GetExecution(Arn(1))->definition, a);
  // With e1 forgotten too, nothing runs `a` any more.
  ASSERT_TRUE(Start(store, 3, b).ok());
  ASSERT_TRUE(End(store, 3).ok());
  EXPECT_EQ(store.GetExecution(Arn(1)).status().code(), StatusCode::NotFound);
  EXPECT_EQ(store.definitions_kept(), 1u);
  EXPECT_EQ(store.GetExecution(Arn(3))->definition, b);
}

}  // namespace
}  // namespace stepfn::store
