// IdMap: the same answers as std::unordered_map through random inserts and erasures (erasure's
// backward shift included), growth, iteration, move-only values, equality.
#include "eval/id_map.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <memory>
#include <random>
#include <unordered_map>
#include <vector>

namespace stepfn::eval {
namespace {

// Every key of `want` is found with its value, iteration visits exactly those entries, and keys
// outside it are absent.
void ExpectSame(const IdMap<uint64_t>& got, const std::unordered_map<uint64_t, uint64_t>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (const auto& [k, v] : want) {
    auto it = got.find(k);
    ASSERT_NE(it, got.end()) << k;
    ASSERT_EQ(it->first, k);
    ASSERT_EQ(it->second, v) << k;
  }
  size_t seen = 0;
  for (const auto& [k, v] : got) {
    auto it = want.find(k);
    ASSERT_NE(it, want.end()) << k;
    ASSERT_EQ(it->second, v);
    ++seen;
  }
  EXPECT_EQ(seen, want.size());
}

TEST(IdMap, MatchesUnorderedMapThroughRandomInsertsAndErasures) {
  std::mt19937_64 rng(7);
  IdMap<uint64_t> got;
  std::unordered_map<uint64_t, uint64_t> want;
  // Keys from a small range (so that erasures hit and probe runs form), plus 0 and the largest.
  auto key = [&] {
    uint64_t r = rng() % 1000;
    if (r == 0) return uint64_t{0};
    if (r == 1) return UINT64_MAX;
    return r % 600;
  };
  for (int step = 0; step < 200000; ++step) {
    uint64_t k = key();
    switch (rng() % 4) {
      case 0:
      case 1: {
        uint64_t v = rng();
        bool inserted = got.emplace(k, v).second;
        EXPECT_EQ(inserted, want.emplace(k, v).second);
        break;
      }
      case 2:
        ASSERT_EQ(got.erase(k), want.erase(k)) << k;
        break;
      case 3:
        got[k] += 1;
        want[k] += 1;
        break;
    }
    if (step % 5000 == 0) ExpectSame(got, want);
  }
  ExpectSame(got, want);
  // Erase everything through iterators found by key.
  std::vector<uint64_t> keys;
  for (const auto& [k, v] : want) keys.push_back(k);
  for (uint64_t k : keys) got.erase(got.find(k));
  EXPECT_TRUE(got.empty());
  EXPECT_EQ(got.begin(), got.end());
  EXPECT_EQ(got.find(keys.empty() ? 1 : keys[0]), got.end());
}

TEST(IdMap, ConsecutiveIdsGrowAndShrink) {
  IdMap<uint64_t> m;
  for (uint64_t id = 1; id <= 100000; ++id) m[id] = id * 3;
  ASSERT_EQ(m.size(), 100000u);
  for (uint64_t id = 1; id <= 100000; id += 2) ASSERT_EQ(m.erase(id), 1u);
  EXPECT_EQ(m.size(), 50000u);
  for (uint64_t id = 1; id <= 100000; ++id) {
    ASSERT_EQ(m.contains(id), id % 2 == 0) << id;
    if (id % 2 == 0) {
      ASSERT_EQ(m.at(id), id * 3);
    }
  }
  EXPECT_EQ(m.count(2), 1u);
  EXPECT_EQ(m.count(3), 0u);
  m.clear();
  EXPECT_TRUE(m.empty());
  EXPECT_FALSE(m.contains(2));
  m[5] = 1;  // reusable after clear
  EXPECT_EQ(m.at(5), 1u);
}

TEST(IdMap, HoldsMoveOnlyValuesThatOutliveRehashing) {
  IdMap<std::unique_ptr<int>> m;
  std::vector<int*> raw;
  for (int i = 0; i < 1000; ++i) {
    auto [it, inserted] = m.emplace(static_cast<uint64_t>(i + 1), std::make_unique<int>(i));
    ASSERT_TRUE(inserted);
    raw.push_back(it->second.get());
  }
  // The pointed-to objects never move, whatever the table does.
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(m.at(static_cast<uint64_t>(i + 1)).get(), raw[i]);
  EXPECT_FALSE(m.emplace(1, std::make_unique<int>(-1)).second);
  EXPECT_EQ(*m.at(1), 0);
  // Taking a value out before erasing keeps it alive (what Bury does with frames).
  auto it = m.find(500);
  std::unique_ptr<int> kept = std::move(it->second);
  m.erase(it);
  EXPECT_FALSE(m.contains(500));
  EXPECT_EQ(*kept, 499);
  EXPECT_EQ(m.size(), 999u);
}

TEST(IdMap, EqualityIgnoresOrder) {
  IdMap<uint64_t> a{{1, 10}, {2, 20}, {3, 30}};
  IdMap<uint64_t> b;
  b.reserve(100);
  b[3] = 30;
  b[1] = 10;
  b[2] = 20;
  EXPECT_TRUE(a == b);
  b[2] = 21;
  EXPECT_FALSE(a == b);
  b.erase(2);
  EXPECT_FALSE(a == b);
}

TEST(IdSet, InsertEraseIterate) {
  IdSet s{3, 1};
  EXPECT_TRUE(s.insert(2).second);
  EXPECT_FALSE(s.insert(3).second);
  EXPECT_EQ(s.size(), 3u);
  std::vector<uint64_t> ids(s.begin(), s.end());
  std::sort(ids.begin(), ids.end());
  EXPECT_EQ(ids, (std::vector<uint64_t>{1, 2, 3}));
  EXPECT_EQ(s.erase(1), 1u);
  EXPECT_EQ(s.erase(1), 0u);
  EXPECT_TRUE(s.contains(2));
  EXPECT_FALSE(s.contains(1));
  EXPECT_TRUE(s == (IdSet{2, 3}));
  EXPECT_FALSE(s == (IdSet{2}));
  s.clear();
  EXPECT_TRUE(s.empty());
  EXPECT_EQ(s.begin(), s.end());
}

}  // namespace
}  // namespace stepfn::eval
