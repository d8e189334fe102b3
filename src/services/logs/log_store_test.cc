#include "services/logs/log_store.h"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <thread>

namespace stepfn::logs {
namespace {

class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "stepfn-logs-test-XXXXXX").string();
    char* made = ::mkdtemp(pattern.data());
    EXPECT_NE(made, nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::vector<std::string> Messages(const Result<std::vector<LogEvent>>& events) {
  std::vector<std::string> out;
  if (!events.ok()) return {"<" + events.status().ToString() + ">"};
  for (const LogEvent& e : *events) out.push_back(e.message);
  return out;
}

TEST(LogStore, AppendCreatesGroupsAndStreamsAndReadsBack) {
  ManualClock clock(1'000'000);
  LogStore store(&clock);
  ASSERT_TRUE(store.Append("/aws/lambda/f", "2026/11/26/[$LATEST]abc", {{1, "a"}, {2, "b"}}).ok());
  ASSERT_TRUE(store.Append("/aws/lambda/f", "other", {{3, "c"}}).ok());
  EXPECT_EQ(Messages(store.GetLogEvents("/aws/lambda/f", "2026/11/26/[$LATEST]abc", {})),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(Messages(store.FilterLogEvents("/aws/lambda/f", {}, "", {})),
            (std::vector<std::string>{"a", "b", "c"}));
  std::vector<LogGroupInfo> groups = store.DescribeLogGroups("/aws/");
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].events, 3u);
  EXPECT_EQ(groups[0].streams, 2u);
  EXPECT_EQ(store.last_sequence(), 3u);
  EXPECT_EQ(store.CreateLogGroup("/aws/lambda/f").code(), StatusCode::AlreadyExists);
  EXPECT_EQ(store.GetLogEvents("/nope", "s", {}).status().code(), StatusCode::NotFound);
  EXPECT_EQ(store.PutLogEvents("/aws/lambda/f", "nope", {{1, "x"}}).code(), StatusCode::NotFound);
  EXPECT_EQ(store.Append("bad name", "s", {{1, "x"}}).code(), StatusCode::InvalidArgument);
  ASSERT_TRUE(store.DeleteLogStream("/aws/lambda/f", "other").ok());
  EXPECT_EQ(Messages(store.FilterLogEvents("/aws/lambda/f", {}, "", {})),
            (std::vector<std::string>{"a", "b"}));
}

TEST(LogStore, FilterPatterns) {
  FilterPattern terms = FilterPattern::Parse("ERROR timeout");
  EXPECT_TRUE(terms.Matches("ERROR: a timeout happened"));
  EXPECT_FALSE(terms.Matches("ERROR only"));
  FilterPattern phrase = FilterPattern::Parse("\"Task timed out\"");
  EXPECT_TRUE(phrase.Matches("2026 Task timed out after 3.00 seconds"));
  EXPECT_FALSE(phrase.Matches("Task has timed out"));
  FilterPattern any = FilterPattern::Parse("?ERROR ?WARN");
  EXPECT_TRUE(any.Matches("WARN x"));
  EXPECT_FALSE(any.Matches("INFO x"));
  FilterPattern excluded = FilterPattern::Parse("START -RequestId");
  EXPECT_TRUE(excluded.Matches("START now"));
  EXPECT_FALSE(excluded.Matches("START RequestId: 1"));
  EXPECT_TRUE(FilterPattern::Parse("").Matches("anything"));
}

TEST(LogStore, BoundsPerGroupAndOverall) {
  ManualClock clock(1'000'000);
  LogStoreOptions options;
  options.max_events_per_group = 5;
  options.max_total_bytes = 30;
  LogStore store(&clock, options);
  for (int i = 0; i < 8; ++i) {
    ASSERT_TRUE(store.Append("g1", "s", {{i, "event" + std::to_string(i)}}).ok());
  }
  EXPECT_EQ(Messages(store.GetLogEvents("g1", "s", {})),
            (std::vector<std::string>{"event3", "event4", "event5", "event6", "event7"}));
  EXPECT_EQ(store.evicted_events(), 3u);
  EXPECT_EQ(store.total_bytes(), 30u);
  // Another group's events push the largest group's oldest out.
  ASSERT_TRUE(store.Append("g2", "s", {{0, "0123456789"}}).ok());
  EXPECT_LE(store.total_bytes(), 30u);
  EXPECT_EQ(Messages(store.GetLogEvents("g1", "s", {})),
            (std::vector<std::string>{"event5", "event6", "event7"}));
  EXPECT_EQ(Messages(store.GetLogEvents("g2", "s", {})), (std::vector<std::string>{"0123456789"}));
}

TEST(LogStore, RetentionDropsOldEvents) {
  ManualClock clock(100LL * 24 * 3600 * 1000);
  LogStore store(&clock);
  EpochMillis now = clock.NowMillis();
  ASSERT_TRUE(store.Append("g", "s", {{now - 3LL * 24 * 3600 * 1000, "old"}, {now, "new"}}).ok());
  ASSERT_TRUE(store.PutRetentionPolicy("g", 1).ok());
  EXPECT_EQ(Messages(store.GetLogEvents("g", "s", {})), (std::vector<std::string>{"new"}));
  EXPECT_EQ(store.DescribeLogGroups()[0].retention_days, 1);
}

TEST(LogStore, PersistsAcrossARestartAndSurvivesATornLine) {
  TempDir dir;
  ManualClock clock(1'000'000);
  LogStoreOptions options;
  options.data_dir = dir.path() + "/logs";
  {
    LogStore store(&clock, options);
    ASSERT_TRUE(store.Recover().ok());
    ASSERT_TRUE(store.Append("/aws/lambda/f", "s1", {{1, "one"}, {2, "two\nlines"}}).ok());
    ASSERT_TRUE(store.CreateLogGroup("/empty").ok());
    ASSERT_TRUE(store.CreateLogStream("/empty", "idle").ok());
    ASSERT_TRUE(store.PutRetentionPolicy("/empty", 7).ok());
    ASSERT_TRUE(store.Append("/gone", "s", {{1, "x"}}).ok());
    ASSERT_TRUE(store.DeleteLogGroup("/gone").ok());
  }
  // A crash in the middle of a write leaves half a line.
  std::string file = options.data_dir + "/%2Faws%2Flambda%2Ff.log";
  ASSERT_TRUE(std::filesystem::exists(file));
  {
    std::ofstream out(file, std::ios::app);
    out << "{\"e\":\"s1\",\"t\":3,\"i\":1,\"m\":\"tor";
  }
  {
    LogStore store(&clock, options);
    ASSERT_TRUE(store.Recover().ok());
    EXPECT_EQ(Messages(store.GetLogEvents("/aws/lambda/f", "s1", {})),
              (std::vector<std::string>{"one", "two\nlines"}));
    std::vector<LogGroupInfo> groups = store.DescribeLogGroups();
    ASSERT_EQ(groups.size(), 2u);
    EXPECT_EQ(groups[0].name, "/aws/lambda/f");
    EXPECT_EQ(groups[1].name, "/empty");
    EXPECT_EQ(groups[1].retention_days, 7);
    EXPECT_EQ(groups[1].streams, 1u);
    // Appending after the repair starts a line of its own.
    ASSERT_TRUE(store.Append("/aws/lambda/f", "s1", {{4, "four"}}).ok());
  }
  LogStore store(&clock, options);
  ASSERT_TRUE(store.Recover().ok());
  EXPECT_EQ(Messages(store.GetLogEvents("/aws/lambda/f", "s1", {})),
            (std::vector<std::string>{"one", "two\nlines", "four"}));
}

TEST(LogStore, CompactsAFileThatOutgrewItsGroup) {
  TempDir dir;
  ManualClock clock(1'000'000);
  LogStoreOptions options;
  options.data_dir = dir.path();
  options.max_events_per_group = 10;
  std::string file = dir.path() + "/g.log";
  {
    LogStore store(&clock, options);
    ASSERT_TRUE(store.Recover().ok());
    std::string big(1000, 'x');
    for (int i = 0; i < 5000; ++i) ASSERT_TRUE(store.Append("g", "s", {{i, big}}).ok());
    // Ten events of 1 KB are held; the file stays within a few MB, not 5 MB.
    EXPECT_LT(std::filesystem::file_size(file), 3u * 1024 * 1024);
  }
  LogStore store(&clock, options);
  ASSERT_TRUE(store.Recover().ok());
  Result<std::vector<LogEvent>> events = store.GetLogEvents("g", "s", {});
  ASSERT_TRUE(events.ok());
  EXPECT_EQ(events->size(), 10u);
  EXPECT_EQ(events->back().timestamp, 4999);
}

TEST(LogStore, FollowersWaitForNewEvents) {
  SystemClock clock;
  LogStore store(&clock);
  uint64_t seen = store.last_sequence();
  EXPECT_EQ(store.WaitForEvents(seen, std::chrono::milliseconds(1)), seen);
  std::thread writer([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    store.Append("g", "s", {{1, "hello"}}).IgnoreError();
  });
  uint64_t now = store.WaitForEvents(seen, std::chrono::seconds(10));
  writer.join();
  EXPECT_EQ(now, seen + 1);
  LogQuery after;
  after.after_sequence = seen;
  EXPECT_EQ(Messages(store.FilterLogEvents("g", {}, "", after)),
            (std::vector<std::string>{"hello"}));
}

}  // namespace
}  // namespace stepfn::logs
