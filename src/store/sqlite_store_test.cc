// SQLite-only behaviour: the data-directory lock, a full disk, schema versions, group commit.
// (Everything a Store promises is in store_test_suite.h, run for every backend.)
#include "store/sqlite_store.h"

#include <gtest/gtest.h>
#include <sqlite3.h>
#include <stdlib.h>

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <random>
#include <string>
#include <vector>

#include "store/history_chunk.h"
#include "store/memory_store.h"
#include "store/sqlite_db.h"
#include "store/sqlite_schema.h"

namespace stepfn::store {
namespace {

constexpr EpochMillis kT0 = 1700000000000;

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "stepfn-sqlite-test-XXXXXX").string();
    ASSERT_NE(mkdtemp(pattern.data()), nullptr);
    root_ = pattern;
    options_.data_dir = root_ + "/a/b/data";  // created on open
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
  std::unique_ptr<SqliteStore> OpenOrDie() {
    auto store = SqliteStore::Open(options_);
    EXPECT_TRUE(store.ok()) << store.status().ToString();
    return store.ok() ? std::move(store).value() : nullptr;
  }
  static Status Start(Store& store, const std::string& arn) {
    ExecutionRecord record;
    record.arn = arn;
    record.name = arn;
    record.state_machine_arn = "sm";
    record.start_date = kT0;
    Transition initial;
    initial.events.push_back(HistoryEventRecord{1, 0, kT0, "ExecutionStarted", "{}"});
    initial.state = "s1";
    return store.CreateExecution(record, initial);
  }
  static Transition Next(const std::string& arn, int64_t version, std::string state) {
    Transition transition;
    transition.execution_arn = arn;
    transition.expected_version = version;
    transition.events.push_back(
        HistoryEventRecord{version + 1, version, kT0, "PassStateEntered", "{}"});
    transition.state = std::move(state);
    return transition;
  }

  std::string root_;
  SqliteOptions options_;
};

TEST_F(SqliteStoreTest, SecondOpenOfTheDataDirectoryIsRefused) {
  auto first = OpenOrDie();
  ASSERT_NE(first, nullptr);
  auto second = SqliteStore::Open(options_);
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.status().code(), StatusCode::FailedPrecondition);
  EXPECT_NE(second.status().message().find("in use"), std::string::npos)
      << second.status().message();
  first.reset();
  EXPECT_NE(OpenOrDie(), nullptr);  // the lock goes with the store
}

TEST_F(SqliteStoreTest, AFullDiskFailsWritesCleanlyAndReadsKeepWorking) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  ASSERT_TRUE(Start(*store, "e").ok());
  ASSERT_TRUE(store->SetMaxPageCountForTest(1).ok());  // no room to grow
  const std::string big(64 * 1024, 'x');
  Status full = store->CommitTransition(Next("e", 1, big));
  EXPECT_EQ(full.code(), StatusCode::Unavailable) << full.ToString();
  EXPECT_NE(full.message().find("disk full"), std::string::npos) << full.message();
  auto got = store->GetExecution("e");  // reads keep working; nothing was applied
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(got->version, 1);
  EXPECT_EQ(got->state, "s1");
  EXPECT_EQ(store->GetHistory("e", 0, 10, false)->size(), 1u);
  // Space returns: the same write succeeds.
  ASSERT_TRUE(store->SetMaxPageCountForTest(0).ok());
  Status retried = store->CommitTransition(Next("e", 1, big));
  ASSERT_TRUE(retried.ok()) << retried.ToString();
  EXPECT_EQ(store->GetExecution("e")->state, big);
}

TEST_F(SqliteStoreTest, ANewerSchemaIsRefused) {
  { ASSERT_NE(OpenOrDie(), nullptr); }
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((options_.data_dir + "/stepfn.db").c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db, "INSERT INTO schema_version VALUES (999, 'from the future')", nullptr,
                         nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  auto store = SqliteStore::Open(options_);
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::FailedPrecondition);
  EXPECT_NE(store.status().message().find("999"), std::string::npos);
}

TEST_F(SqliteStoreTest, GroupCommitBatchesConcurrentWritesAndFailsConflictsAlone) {
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  constexpr int kExecutions = 200;
  for (int i = 0; i < kExecutions; ++i) {
    ASSERT_TRUE(Start(*store, "e" + std::to_string(i)).ok());
  }
  const SqliteStats before = store->stats();
  std::mutex mu;
  std::condition_variable cv;
  int pending = kExecutions * 2;
  std::atomic<int> ok{0};
  std::atomic<int> conflicts{0};
  for (int i = 0; i < kExecutions; ++i) {
    // Each execution gets a good transition and a stale one (same expected version).
    for (int copy = 0; copy < 2; ++copy) {
      store->CommitTransitionAsync(Next("e" + std::to_string(i), 1, "s2"), [&](Status status) {
        if (status.ok()) {
          ok.fetch_add(1);
        } else if (status.code() == StatusCode::FailedPrecondition) {
          conflicts.fetch_add(1);
        }
        std::lock_guard<std::mutex> lock(mu);
        if (--pending == 0) {
          cv.notify_one();
        }
      });
    }
  }
  {
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return pending == 0; });
  }
  EXPECT_EQ(ok.load(), kExecutions);
  EXPECT_EQ(conflicts.load(), kExecutions);
  const SqliteStats after = store->stats();
  EXPECT_EQ(after.writes - before.writes, 2 * kExecutions);
  EXPECT_LT(after.batches - before.batches, kExecutions);  // batched, not one fsync each
  EXPECT_GT(after.max_batch_size, 1);
  EXPECT_EQ(after.failed_batches, 0);
}

TEST_F(SqliteStoreTest, SyncModesOpen) {
  for (SqliteOptions::Sync sync : {SqliteOptions::Sync::Normal, SqliteOptions::Sync::Off}) {
    options_.sync = sync;
    options_.max_batch_delay = std::chrono::microseconds(200);
    auto store = OpenOrDie();
    ASSERT_NE(store, nullptr);
    ASSERT_TRUE(Start(*store, "e" + std::to_string(static_cast<int>(sync))).ok());
  }
}

// Schema 3 keeps a transition's events as one chunk: every page of every read must match the
// MemoryStore's rows (ids, order, limits, both directions), across chunks of every size and past
// the sparse index's stride.
TEST_F(SqliteStoreTest, HistoryPagesOverChunksMatchTheMemoryStore) {
  auto sqlite = OpenOrDie();
  ASSERT_NE(sqlite, nullptr);
  MemoryStore memory;
  std::mt19937 random(7);
  for (Store* store : {static_cast<Store*>(sqlite.get()), static_cast<Store*>(&memory)}) {
    ASSERT_TRUE(Start(*store, "e").ok());
  }
  int64_t last = 1;
  for (int64_t version = 1; last < 700; ++version) {
    Transition t;
    t.execution_arn = "e";
    t.expected_version = version;
    const int n = static_cast<int>(random() % 7);  // 0 .. 6 events (0: a state-only commit)
    for (int k = 0; k < n; ++k) {
      ++last;
      t.events.push_back(HistoryEventRecord{last, last - 1 - static_cast<int64_t>(random() % 2),
                                            kT0 + last * 3, "T" + std::to_string(last % 5),
                                            k % 2 ? "" : "{\"n\":" + std::to_string(last) + "}"});
    }
    t.state = "s" + std::to_string(version);
    ASSERT_TRUE(sqlite->CommitTransition(t).ok());
    ASSERT_TRUE(memory.CommitTransition(t).ok());
  }
  auto same = [&](int64_t from, int limit, bool reverse) {
    auto a = sqlite->GetHistory("e", from, limit, reverse);
    auto b = memory.GetHistory("e", from, limit, reverse);
    ASSERT_TRUE(a.ok()) << a.status().ToString();
    ASSERT_TRUE(b.ok());
    ASSERT_EQ(a->size(), b->size()) << from << " " << limit << " " << reverse;
    for (size_t i = 0; i < a->size(); ++i) {
      const HistoryEventRecord &x = (*a)[i], &y = (*b)[i];
      ASSERT_EQ(x.id, y.id) << from << " " << limit << " " << reverse << " at " << i;
      EXPECT_EQ(x.previous_event_id, y.previous_event_id);
      EXPECT_EQ(x.timestamp, y.timestamp);
      EXPECT_EQ(x.type, y.type);
      EXPECT_EQ(x.details, y.details);
    }
  };
  for (int64_t from : {-1, 0, 1, 2, 255, 256, 257, 300, 511, 512, 699, 700, 701, 1000}) {
    for (int limit : {1, 2, 3, 7, 100, 1000}) {
      same(from, limit, false);
      same(from, limit, true);
    }
  }
  // Paging through the whole history both ways, as GetExecutionHistory does.
  for (int limit : {1, 13, 100}) {
    for (bool reverse : {false, true}) {
      int64_t from = reverse ? 0 : 1;
      int64_t seen = 0;
      for (;;) {
        same(from, limit, reverse);
        auto page = sqlite->GetHistory("e", from, limit, reverse);
        ASSERT_TRUE(page.ok());
        seen += static_cast<int64_t>(page->size());
        if (static_cast<int>(page->size()) < limit) break;
        from = page->back().id + (reverse ? -1 : 1);
        if (reverse && from < 1) break;
      }
      EXPECT_EQ(seen, last);
    }
  }
}

// A database written by schema 2 (one row per event) opens, and its history reads the same.
TEST_F(SqliteStoreTest, ASchema2DatabaseIsMigratedWithItsHistory) {
  std::filesystem::create_directories(options_.data_dir);
  {
    auto db = sqlite::SqliteDb::Open(options_.data_dir + "/stepfn.db", 1000);
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(sqlite::MigrateTo(**db, 2).ok());
    ASSERT_EQ(*sqlite::SchemaVersion(**db), 2);
    // Two executions as schema 2 kept them; one with 150 events, one with none.
    ASSERT_TRUE((*db)
                    ->Exec("INSERT INTO executions VALUES (1, 'a', 'a', 'sm', '', '', '', 0, 1, "
                           "0, 0, 0, '', '', '{}', '', 'def'), (2, 'b', 'b', 'sm', '', '', '', 0, "
                           "2, 0, 0, 0, '', '', '{}', '', 'def')")
                    .ok());
    ASSERT_TRUE((*db)
                    ->Exec("INSERT INTO execution_states VALUES (1, 9, 150, 'owner', 4, 77, "
                           "x'0102'), (2, 1, 0, '', 0, 0, x'03')")
                    .ok());
    ASSERT_TRUE((*db)->Exec("BEGIN").ok());
    for (int id = 1; id <= 150; ++id) {
      ASSERT_TRUE((*db)
                      ->Exec("INSERT INTO history_events (execution_id, id, previous_id, "
                             "timestamp, type, details) VALUES (1, " +
                             std::to_string(id) + ", " + std::to_string(id - 1) + ", " +
                             std::to_string(kT0 + id) + ", 'Type" + std::to_string(id) +
                             "', '{\"i\":" + std::to_string(id) + "}')")
                      .ok());
    }
    ASSERT_TRUE((*db)->Exec("COMMIT").ok());
  }
  auto store = OpenOrDie();
  ASSERT_NE(store, nullptr);
  auto a = store->GetExecution("a");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  EXPECT_EQ(a->version, 9);
  EXPECT_EQ(a->last_event_id, 150);
  EXPECT_EQ(a->lease_owner, "owner");
  EXPECT_EQ(a->lease_token, 4);
  EXPECT_EQ(a->state, std::string("\x01\x02"));
  auto all = store->GetHistory("a", 0, 1000, false);
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  ASSERT_EQ(all->size(), 150u);
  for (int i = 0; i < 150; ++i) {
    EXPECT_EQ((*all)[i].id, i + 1);
    EXPECT_EQ((*all)[i].previous_event_id, i);
    EXPECT_EQ((*all)[i].timestamp, kT0 + i + 1);
    EXPECT_EQ((*all)[i].type, "Type" + std::to_string(i + 1));
    EXPECT_EQ((*all)[i].details, "{\"i\":" + std::to_string(i + 1) + "}");
  }
  auto tail = store->GetHistory("a", 0, 3, true);
  ASSERT_TRUE(tail.ok());
  ASSERT_EQ(tail->size(), 3u);
  EXPECT_EQ(tail->front().id, 150);
  EXPECT_TRUE(store->GetHistory("b", 0, 10, false)->empty());
  // Both go on from where they were.
  Transition t = Next("a", 9, "s10");
  t.lease_owner = "owner";
  t.lease_token = 4;
  t.events[0].id = 151;
  t.events[0].previous_event_id = 150;
  ASSERT_TRUE(store->CommitTransition(t).ok());
  t = Next("b", 1, "s2");
  t.events[0].id = 1;
  t.events[0].previous_event_id = 0;
  ASSERT_TRUE(store->CommitTransition(t).ok());
  EXPECT_EQ(store->GetHistory("a", 150, 10, false)->size(), 2u);
  EXPECT_EQ(store->GetHistory("b", 0, 10, false)->size(), 1u);
}

TEST(HistoryChunkTest, RoundTripsAndRefusesGarbage) {
  std::vector<HistoryEventRecord> events = {
      {5, 4, kT0, "ExecutionStarted", "{\"x\":1}"},
      {6, 0, kT0 - 10, "", ""},
      {7, 9, -3, std::string(300, 't'), std::string(70000, 'd')},
  };
  std::string blob;
  internal::EncodeHistoryChunk(events, &blob);
  std::vector<HistoryEventRecord> back;
  ASSERT_TRUE(internal::DecodeHistoryChunk(5, blob, &back).ok());
  ASSERT_EQ(back.size(), 3u);
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_EQ(back[i].id, events[i].id);
    EXPECT_EQ(back[i].previous_event_id, events[i].previous_event_id);
    EXPECT_EQ(back[i].timestamp, events[i].timestamp);
    EXPECT_EQ(back[i].type, events[i].type);
    EXPECT_EQ(back[i].details, events[i].details);
  }
  // A cut blob fails, unless it is cut between two events (then it holds fewer).
  for (size_t cut = 1; cut < blob.size(); cut += cut < 400 ? 1 : 997) {
    back.clear();
    Status status = internal::DecodeHistoryChunk(5, std::string_view(blob).substr(0, cut), &back);
    if (status.ok()) {
      EXPECT_LT(back.size(), 3u) << cut;
    } else {
      EXPECT_EQ(status.code(), StatusCode::Internal) << cut;
    }
  }
  back.clear();
  EXPECT_EQ(internal::DecodeHistoryChunk(5, "\xff\xff\xff", &back).code(), StatusCode::Internal);
  EXPECT_TRUE(internal::HistoryChunkIndexed(256, 256));
  EXPECT_TRUE(internal::HistoryChunkIndexed(250, 260));
  EXPECT_FALSE(internal::HistoryChunkIndexed(257, 511));
  EXPECT_TRUE(internal::HistoryChunkIndexed(257, 512));
}

}  // namespace
}  // namespace stepfn::store
