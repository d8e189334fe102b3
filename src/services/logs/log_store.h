// LogStore: CloudWatch Logs' data (log groups of log streams of events), in memory, bounded, and
// persisted under a directory (or memory-only).
//
// - Bounded: each group keeps its newest `max_events_per_group` events and
//   `max_bytes_per_group` bytes of messages (older events go first, across the group's
//   streams); all groups together keep at most `max_total_bytes` (the group holding the most
//   bytes gives up its oldest events); at most `max_streams_per_group` streams a group (the
//   least recently written go) and `max_groups` groups. A retention policy (days) drops older
//   events as AWS's does (on the next write to the group, and from every read).
// - Persisted: with a data_dir, each group is one append-only file `<data_dir>/<escaped group
//   name>.log` of JSON lines (the group, its streams, its events, retention changes, deleted
//   streams), replayed by Recover(). A torn last line (a crash in the middle of a write) is cut
//   off; a malformed line is skipped. A file that grew past twice what its group holds is
//   rewritten from memory (a temporary file renamed over it). Writes are not fsynced: logs are
//   best effort, as AWS's delivery is.
// - Followers: every event gets a store-wide sequence number (its order of arrival);
//   WaitForEvents blocks until one past a sequence arrives (one condition variable, no polling).
//
// Thread safety: every method may be called from any thread (one mutex for the store).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "common/clock.h"
#include "common/status.h"

namespace stepfn::logs {

struct LogStoreOptions {
  // "" keeps everything in memory (stepfn serve --in-memory).
  std::string data_dir;
  size_t max_groups = 1000;
  size_t max_streams_per_group = 10'000;
  size_t max_events_per_group = 100'000;
  size_t max_bytes_per_group = 64 * 1024 * 1024;
  size_t max_total_bytes = 256 * 1024 * 1024;
  // CloudWatch Logs' limit on one event (256 KiB including 26 bytes of overhead): longer
  // messages are cut.
  size_t max_message_bytes = 256 * 1024 - 26;
};

struct InputLogEvent {
  EpochMillis timestamp = 0;
  std::string message;
};

struct LogEvent {
  std::string stream;
  EpochMillis timestamp = 0;
  EpochMillis ingestion_time = 0;
  std::string message;
  uint64_t sequence = 0;  // order of arrival in the store, for stable sorting and paging
};

struct LogGroupInfo {
  std::string name;
  EpochMillis creation_time = 0;
  uint64_t stored_bytes = 0;
  uint64_t events = 0;
  uint64_t streams = 0;
  int retention_days = 0;  // 0: never expire
};

struct LogStreamInfo {
  std::string name;
  EpochMillis creation_time = 0;
  EpochMillis first_event_timestamp = 0;  // 0 while it holds no event
  EpochMillis last_event_timestamp = 0;
  EpochMillis last_ingestion_time = 0;
  uint64_t stored_bytes = 0;
};

struct LogQuery {
  std::optional<EpochMillis> start;  // events at or after (event timestamps)
  std::optional<EpochMillis> end;    // events before
  size_t limit = 10'000;
  bool from_head = true;  // oldest first (false: the newest `limit`, still oldest first)
  // Paging by arrival: only events whose sequence is greater than `after_sequence` and (when
  // not 0) less than `before_sequence`.
  uint64_t after_sequence = 0;
  uint64_t before_sequence = 0;
  // Paging by time (FilterLogEvents): only events after this (timestamp, sequence) key.
  std::optional<std::pair<EpochMillis, uint64_t>> after_key;
};

// Which messages a filter pattern keeps: CloudWatch Logs' plain terms (every term must occur),
// quoted phrases ("two words"), and "?term ?term" (any of them). "" keeps everything.
class FilterPattern {
 public:
  static FilterPattern Parse(std::string_view pattern);
  bool Matches(std::string_view message) const;

 private:
  std::vector<std::string> all_;   // every one must occur
  std::vector<std::string> any_;   // at least one must occur (when not empty)
  std::vector<std::string> none_;  // none may occur ("-term")
};

class LogStore {
 public:
  explicit LogStore(Clock* clock, LogStoreOptions options = {});

  // With a data_dir: creates it when missing and replays its files. Call once, before use.
  // Unavailable when the directory cannot be created or read.
  Status Recover();

  // AlreadyExists; InvalidArgument for a bad name; OutOfRange at max_groups.
  Status CreateLogGroup(const std::string& group);
  Status DeleteLogGroup(const std::string& group);  // NotFound
  // NotFound (group); AlreadyExists; InvalidArgument for a bad name.
  Status CreateLogStream(const std::string& group, const std::string& stream);
  Status DeleteLogStream(const std::string& group, const std::string& stream);  // NotFound
  // days > 0 (AWS's allowed values are checked by the API); 0 removes the policy. NotFound.
  Status PutRetentionPolicy(const std::string& group, int days);
  // Appends to an existing stream (NotFound otherwise), in the order given.
  Status PutLogEvents(const std::string& group, const std::string& stream,
                      std::vector<InputLogEvent> events);
  // PutLogEvents that creates the group and the stream when missing (Lambda's and Step
  // Functions' log delivery).
  Status Append(const std::string& group, const std::string& stream,
                std::vector<InputLogEvent> events);

  // One stream's events, in arrival order (NotFound for a missing group or stream).
  Result<std::vector<LogEvent>> GetLogEvents(const std::string& group, const std::string& stream,
                                             const LogQuery& query) const;
  // Events of the named streams (all when empty; names that do not exist are skipped) that
  // `pattern` keeps, in (timestamp, sequence) order across streams.
  Result<std::vector<LogEvent>> FilterLogEvents(const std::string& group,
                                                const std::vector<std::string>& streams,
                                                const FilterPattern& pattern,
                                                const LogQuery& query) const;
  // Same, with a plain substring ("" for all).
  Result<std::vector<LogEvent>> FilterLogEvents(const std::string& group,
                                                const std::vector<std::string>& streams,
                                                std::string_view text, const LogQuery& query) const;
  // Groups whose name starts with `prefix`, by name.
  std::vector<LogGroupInfo> DescribeLogGroups(std::string_view prefix = {}) const;
  Result<LogGroupInfo> DescribeLogGroup(const std::string& group) const;  // NotFound
  Result<std::vector<LogStreamInfo>> DescribeLogStreams(const std::string& group,
                                                        std::string_view prefix = {}) const;

  // The sequence of the newest event stored (0 for none yet).
  uint64_t last_sequence() const;
  // Waits until an event with a sequence greater than `after` arrives, or `timeout` passes.
  // Returns last_sequence().
  uint64_t WaitForEvents(uint64_t after, std::chrono::milliseconds timeout) const;

  // Events dropped to keep within the bounds, since the start.
  uint64_t evicted_events() const;
  // Bytes of messages held, all groups together.
  uint64_t total_bytes() const;

  // CloudWatch Logs' name rules: groups 1-512 of [.\-_/#A-Za-z0-9], streams 1-512 without ':'
  // or '*'.
  static bool ValidGroupName(std::string_view name);
  static bool ValidStreamName(std::string_view name);

 private:
  struct Stored {
    EpochMillis timestamp;
    EpochMillis ingestion_time;
    uint64_t sequence;
    std::string message;
  };
  struct Stream {
    std::string name;
    EpochMillis creation_time = 0;
    EpochMillis last_ingestion_time = 0;
    uint64_t bytes = 0;
    std::deque<Stored> events;
  };
  struct Group {
    std::string name;
    EpochMillis creation_time = 0;
    int retention_days = 0;
    uint64_t next_stream_id = 1;
    std::unordered_map<uint64_t, Stream> streams;      // by id
    std::map<std::string, uint64_t, std::less<>> ids;  // name -> id
    std::deque<uint64_t> order;  // the stream of each stored event, oldest first
    uint64_t events = 0;
    uint64_t bytes = 0;
    uint64_t file_bytes = 0;  // the size of its file (persisted stores)
  };

  Group* NewGroupLocked(const std::string& name, EpochMillis creation_time);
  Stream* NewStreamLocked(Group& group, const std::string& name, EpochMillis creation_time);
  void PutLocked(Group& group, uint64_t stream_id, std::vector<InputLogEvent>& events,
                 EpochMillis ingestion_time);
  void EvictOldestLocked(Group& group);
  void DropStreamLocked(Group& group, uint64_t id);
  void ExpireLocked(Group& group, EpochMillis now);
  void EnforceTotalLocked();
  EpochMillis RetentionCutoff(const Group& group, EpochMillis now) const;

  // Persistence (no-ops without a data_dir).
  std::string FileOf(std::string_view group) const;
  Status AppendToFileLocked(Group& group, const std::string& lines);
  Status RewriteFileLocked(Group& group);
  void MaybeCompactLocked(Group& group);
  Status ReplayFile(const std::string& path);

  template <typename Keep>
  Result<std::vector<LogEvent>> Filter(const std::string& group,
                                       const std::vector<std::string>& streams, const Keep& keep,
                                       const LogQuery& query) const;
  static void Trim(const LogQuery& query, bool by_time, std::vector<LogEvent>* events);

  Clock* const clock_;
  const LogStoreOptions options_;
  mutable std::mutex mu_;
  mutable std::condition_variable appended_;
  std::map<std::string, std::unique_ptr<Group>, std::less<>> groups_;  // guarded by mu_
  uint64_t next_sequence_ = 1;                                         // guarded by mu_
  uint64_t evicted_ = 0;                                               // guarded by mu_
  uint64_t total_bytes_ = 0;                                           // guarded by mu_
};

}  // namespace stepfn::logs
