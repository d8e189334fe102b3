// EventLog: appending across chunks, indexing, iteration, copies, clear and reuse.
#include "eval/event_log.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <vector>

namespace stepfn::eval {
namespace {

EventLog Numbered(size_t n) {
  EventLog log;
  for (size_t i = 0; i < n; ++i) {
    HistoryEvent& e = log.emplace_back();
    e.id = static_cast<int64_t>(i + 1);
    e.name = json::Value::String("s" + std::to_string(i));
  }
  return log;
}

TEST(EventLog, AppendsAcrossChunksInOrder) {
  // 32 + 64 + 128 + 256 + 512 + 1024 = 2016: the last events land in the seventh chunk.
  EventLog log = Numbered(3000);
  ASSERT_EQ(log.size(), 3000u);
  for (size_t i = 0; i < log.size(); ++i) ASSERT_EQ(log[i].id, static_cast<int64_t>(i + 1)) << i;
  EXPECT_EQ(log.front().id, 1);
  EXPECT_EQ(log.back().id, 3000);
  EXPECT_EQ(HistoryEvent::Text(log[2015].name), "s2015");
  EXPECT_EQ(HistoryEvent::Text(log[2016].name), "s2016");
  int64_t expected = 1;
  for (const HistoryEvent& e : log) EXPECT_EQ(e.id, expected++);
  EXPECT_EQ(expected, 3001);
  EXPECT_EQ(log.end() - log.begin(), 3000);
}

TEST(EventLog, ReferencesStayWhereTheyAreWhileItGrows) {
  EventLog log;
  HistoryEvent* first = &log.emplace_back();
  first->id = 7;
  for (int i = 0; i < 5000; ++i) log.emplace_back();
  EXPECT_EQ(&log[0], first);
  EXPECT_EQ(log[0].id, 7);
}

TEST(EventLog, CopiesMovesAndVectors) {
  EventLog log = Numbered(100);
  EventLog copy = log;
  EXPECT_EQ(copy.size(), 100u);
  EXPECT_EQ(HistoryEvent::Text(copy[99].name), "s99");
  EventLog moved = std::move(copy);
  EXPECT_EQ(moved.size(), 100u);
  EXPECT_TRUE(copy.empty());  // NOLINT: a moved-from log is empty
  std::vector<HistoryEvent> v = moved.ToVector();
  ASSERT_EQ(v.size(), 100u);
  EXPECT_EQ(v[50].id, 51);
  copy = moved;
  EXPECT_EQ(copy.size(), 100u);
  EXPECT_TRUE(
      std::all_of(copy.begin(), copy.end(), [](const HistoryEvent& e) { return e.id > 0; }));
}

TEST(EventLog, ClearKeepsItsChunksForTheNextEvents) {
  EventLog log = Numbered(500);
  const HistoryEvent* first = &log[0];
  log.clear();
  EXPECT_TRUE(log.empty());
  HistoryEvent& again = log.emplace_back();
  EXPECT_EQ(&again, first);
  EXPECT_EQ(again.id, 0);
  EXPECT_TRUE(again.name.is_null());
  for (int i = 0; i < 499; ++i) log.emplace_back().id = i;
  EXPECT_EQ(log.size(), 500u);
  EXPECT_EQ(log.back().id, 498);
}

TEST(EventLog, ReserveThenAppend) {
  EventLog log;
  log.reserve(1000);  // one chunk of 1,024
  const HistoryEvent* first = &log.emplace_back();
  for (int i = 1; i < 1000; ++i) log.emplace_back().id = i;
  EXPECT_EQ(log[999].id, 999);
  EXPECT_EQ(&log[999], first + 999);  // still the first chunk
  for (int i = 1000; i < 5000; ++i) log.emplace_back().id = i;
  for (int i = 0; i < 5000; ++i) ASSERT_EQ(log[i].id, i == 0 ? 0 : i);
  EventLog other;
  other.reserve(10);
  other.push_back(log[5]);
  EXPECT_EQ(other.size(), 1u);
  EXPECT_EQ(other[0].id, 5);
}

}  // namespace
}  // namespace stepfn::eval
