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
#include <string>

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

}  // namespace
}  // namespace stepfn::store
