// The SQL behind SqliteStore (internal to store/): each write is a function run by the
// committer thread inside the batch transaction (within its own savepoint); each read runs on a
// pooled read connection. Contracts are those of the Store methods of the same name.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/sqlite_db.h"
#include "store/store.h"

namespace stepfn::store::sqlite {

// Writes.
//
// The two hot-path writes run without a savepoint (a savepoint copies every page it touches):
// they make all their checks before their first write and set *wrote at that write, so a
// failure with *wrote false applied nothing. A failure with *wrote true leaves partial writes
// in the transaction: the committer must roll the whole transaction back.
// `chunk` is the transition's events packed by internal::EncodeHistoryChunk (done by the caller,
// off the committer thread).
Status CreateExecution(SqliteDb& db, const ExecutionRecord& execution, const Transition& initial,
                       std::string_view chunk, bool* wrote);
Status CommitTransition(SqliteDb& db, const Transition& transition, std::string_view chunk,
                        bool* wrote);
Status AcquireLease(SqliteDb& db, const std::string& arn, const std::string& owner, EpochMillis now,
                    int64_t ttl_millis, Lease* out);
Status RenewLease(SqliteDb& db, const std::string& arn, const Lease& lease, EpochMillis now,
                  int64_t ttl_millis, Lease* out);
Status ReleaseLease(SqliteDb& db, const std::string& arn, const Lease& lease);
Status ClaimActivityTask(SqliteDb& db, const std::string& activity_arn,
                         const std::string& worker_name, EpochMillis now,
                         std::optional<TaskTokenRecord>* out);
Status CreateStateMachine(SqliteDb& db, const StateMachineRecord& record);
Status UpdateStateMachine(SqliteDb& db, const StateMachineRecord& record,
                          const std::optional<std::string>& expected_revision_id);
Status DeleteStateMachine(SqliteDb& db, const std::string& arn);
Status PublishVersion(SqliteDb& db, const std::string& parent_arn, StateMachineRecord* version);
Status CreateActivity(SqliteDb& db, const ActivityRecord& record);
Status DeleteActivity(SqliteDb& db, const std::string& arn);
Status TagResource(SqliteDb& db, const std::string& arn,
                   const std::map<std::string, std::string>& tags);
Status UntagResource(SqliteDb& db, const std::string& arn, const std::vector<std::string>& keys);

// Reads.
Result<ExecutionRecord> GetExecution(SqliteDb& db, const std::string& arn);
Result<Page<ExecutionRecord>> ListExecutions(SqliteDb& db, const ExecutionFilter& filter,
                                             const PageRequest& page);
Result<Page<ExecutionRecord>> ListRunningExecutions(SqliteDb& db,
                                                    std::optional<EpochMillis> unleased_at,
                                                    const PageRequest& page);
Result<std::vector<HistoryEventRecord>> GetHistory(SqliteDb& db, const std::string& arn,
                                                   int64_t from_id, int limit, bool reverse);
Result<std::vector<TimerRecord>> DueTimers(SqliteDb& db, EpochMillis now, int limit);
Result<TaskTokenRecord> GetTaskToken(SqliteDb& db, const std::string& token);
Result<std::string> FindMapRun(SqliteDb& db, const std::string& map_run_arn);
Result<StateMachineRecord> GetStateMachine(SqliteDb& db, const std::string& arn);
Result<Page<StateMachineRecord>> ListStateMachines(SqliteDb& db, const StateMachineFilter& filter,
                                                   const PageRequest& page);
Result<ActivityRecord> GetActivity(SqliteDb& db, const std::string& arn);
Result<Page<ActivityRecord>> ListActivities(SqliteDb& db, const PageRequest& page);
Result<std::map<std::string, std::string>> ListTags(SqliteDb& db, const std::string& arn);

// Shared by reads and writes.
inline constexpr const char* kStateMachineColumns =
    "arn, kind, parent_arn, name, definition, role_arn, type, logging_configuration, "
    "tracing_configuration, description, creation_date, update_date, revision_id, "
    "version_number, last_version_number, routing_configuration";
StateMachineRecord ReadStateMachine(const Stmt& stmt);
inline constexpr const char* kTaskTokenColumns =
    "t.token, e.arn, t.task_id, t.activity_arn, t.input, t.created, t.claimed, t.worker_name, "
    "t.claimed_at";
TaskTokenRecord ReadTaskToken(const Stmt& stmt);

}  // namespace stepfn::store::sqlite
