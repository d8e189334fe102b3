// Execution logs as AWS Step Functions writes them to CloudWatch Logs, kept in memory.
//
// - LogStore: log groups of log streams of log events, with the operations a CloudWatch Logs
//   API will serve (CreateLogGroup, CreateLogStream, PutLogEvents, GetLogEvents,
//   FilterLogEvents, DescribeLogGroups/Streams, DeleteLogGroup). Bounded: each group keeps its
//   newest `max_events_per_group` events and `max_bytes_per_group` bytes of messages (older
//   events are evicted first, across the group's streams), at most `max_streams_per_group`
//   streams (the least recently written go first) and `max_groups` groups.
// - ExecutionLogger: an ExecutorObserver that, for state machines whose loggingConfiguration
//   has level ALL, ERROR or FATAL, writes each execution's history events to the configured log
//   group (created when missing), one stream per execution, each event the JSON AWS writes:
//     {"id":"1","type":"ExecutionStarted","details":{...},"previous_event_id":"0",
//      "event_timestamp":"1713959670672","execution_arn":"arn:...","redrive_count":"0"}
//   ALL logs every event; ERROR the failure events (types ending in Failed, TimedOut or Aborted,
//   and FailStateEntered); FATAL only ExecutionFailed, ExecutionTimedOut and ExecutionAborted.
//   includeExecutionData false leaves out inputs, outputs and task parameters.
// - ServeLogs: `GET /logs` (the groups, one JSON object a line) and `GET /logs/<group>` (its
//   events' messages, one a line, oldest first; `?stream=`, `?start=`/`?end=` epoch millis,
//   `?limit=`, `?filter=` a plain substring), until the CloudWatch Logs API exists.
//
// Thread safety: every method may be called from any thread (one mutex for the store).
#pragma once

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

#include "api/http_server.h"
#include "common/clock.h"
#include "common/status.h"
#include "eval/history.h"
#include "server/executor.h"
#include "server/machine_settings.h"

namespace stepfn::server {

struct LogStoreOptions {
  size_t max_groups = 1000;
  size_t max_streams_per_group = 10'000;
  size_t max_events_per_group = 100'000;
  size_t max_bytes_per_group = 64 * 1024 * 1024;
  // CloudWatch Logs' limit on one event (256 KiB including 26 bytes of overhead): longer
  // messages are cut (AWS's Step Functions logs truncate payloads above 248 KB).
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
  // Events whose sequence is greater (paging: the last sequence seen).
  uint64_t after_sequence = 0;
};

class LogStore {
 public:
  explicit LogStore(Clock* clock, LogStoreOptions options = {});

  // AlreadyExists; InvalidArgument for a bad name; OutOfRange at max_groups.
  Status CreateLogGroup(const std::string& group);
  Status DeleteLogGroup(const std::string& group);  // NotFound
  // NotFound (group); AlreadyExists; InvalidArgument for a bad name.
  Status CreateLogStream(const std::string& group, const std::string& stream);
  // Appends to an existing stream (NotFound otherwise), in the order given.
  Status PutLogEvents(const std::string& group, const std::string& stream,
                      std::vector<InputLogEvent> events);
  // PutLogEvents that creates the group and the stream when missing (what Step Functions'
  // vended logs do for us here).
  Status Append(const std::string& group, const std::string& stream,
                std::vector<InputLogEvent> events);

  // One stream's events, in timestamp order (NotFound for a missing group or stream).
  Result<std::vector<LogEvent>> GetLogEvents(const std::string& group, const std::string& stream,
                                             const LogQuery& query) const;
  // Events of the named streams (all when empty) whose message contains `text` ("" for all), in
  // timestamp order across streams.
  Result<std::vector<LogEvent>> FilterLogEvents(const std::string& group,
                                                const std::vector<std::string>& streams,
                                                std::string_view text, const LogQuery& query) const;
  // Groups whose name starts with `prefix`, by name.
  std::vector<LogGroupInfo> DescribeLogGroups(std::string_view prefix = {}) const;
  Result<std::vector<LogStreamInfo>> DescribeLogStreams(const std::string& group,
                                                        std::string_view prefix = {}) const;

  // Events dropped to keep within the bounds, since the start.
  uint64_t evicted_events() const;

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
    uint64_t next_stream_id = 1;
    std::unordered_map<uint64_t, Stream> streams;      // by id
    std::map<std::string, uint64_t, std::less<>> ids;  // name -> id
    std::deque<uint64_t> order;  // the stream of each stored event, oldest first
    uint64_t events = 0;
    uint64_t bytes = 0;
  };

  Status PutLocked(Group& group, uint64_t stream_id, std::vector<InputLogEvent>& events);
  Stream* NewStreamLocked(Group& group, const std::string& name);
  void EvictOldestLocked(Group& group);
  void DropStreamLocked(Group& group, uint64_t id);
  static void Select(const std::deque<Stored>& events, const std::string& stream,
                     const LogQuery& query, std::string_view text, std::vector<LogEvent>* out);
  static void Trim(const LogQuery& query, std::vector<LogEvent>* events);

  Clock* const clock_;
  const LogStoreOptions options_;
  mutable std::mutex mu_;
  std::map<std::string, std::unique_ptr<Group>, std::less<>> groups_;  // guarded by mu_
  uint64_t next_sequence_ = 1;                                         // guarded by mu_
  uint64_t evicted_ = 0;                                               // guarded by mu_
};

// Which events a log level keeps (OFF keeps none).
bool LogLevelKeeps(ExecutionLogLevel level, eval::EventType type);

// The JSON text AWS writes for one history event (see the top of this file). `role_arn` goes
// into ExecutionStarted's details when not empty.
std::string ExecutionLogMessage(const eval::HistoryEvent& event, std::string_view execution_arn,
                                bool include_data, std::string_view role_arn,
                                int64_t redrive_count = 0);

// The log stream of an execution: "states/<machine>/<name>" ("states/<machine>/<name>/<uuid>"
// for EXPRESS ARNs, whose names repeat).
std::string ExecutionLogStreamName(std::string_view execution_arn);

class ExecutionLogger final : public ExecutorObserver {
 public:
  // Both must outlive the logger.
  ExecutionLogger(LogStore* logs, MachineSettingsCache* settings)
      : logs_(logs), settings_(settings) {}
  void OnCommit(const CommitReport& report) override;

 private:
  LogStore* const logs_;
  MachineSettingsCache* const settings_;
};

// Answers GET /logs and GET /logs/<group> (see the top of this file).
void ServeLogs(const LogStore& logs, const api::HttpRequest& request, api::Responder responder);

}  // namespace stepfn::server
