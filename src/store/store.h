// Store: the persistence interface of stepfn (ARCHITECTURE.md decision 7).
//
// The engine commits each transition of an execution (the history events a Step produced, the
// new execution state and the timers and task tokens to create or delete) in ONE call,
// CommitTransition, which is atomic: all of it becomes durable, or none of it. Everything else
// (state machines, activities, tags, leases) is plain records with narrow operations.
//
// Implementations: MemoryStore (EXPRESS executions, tests), SqliteStore (the embedded default:
// WAL, fsync, group commit). A PostgreSQL store shared by several stepfn nodes follows the same
// contracts; the lease and fencing-token rules below exist for it. One test suite
// (store_test_suite.h) runs against every implementation.
//
// Contracts common to every method:
// - Thread safety: every method may be called from any thread concurrently.
// - Errors are Status values, never exceptions:
//     NotFound            the named record does not exist.
//     AlreadyExists       a record with that key exists (create operations).
//     FailedPrecondition  a lost lease or a version conflict (see CommitTransition); the caller
//                         must reload the execution and not retry blindly.
//     InvalidArgument     the caller broke a rule (event ids not contiguous, a bad page token).
//     Unavailable         the storage failed (disk full, I/O error). Nothing of the failed
//                         write is applied; reads keep working; retrying later may succeed.
// - Writes are durable when they return OK (to the implementation's durability setting), and
//   visible to every reader from then on.
// - Opaque bytes (execution state, timer payloads) are stored and returned unchanged.
// - Times are EpochMillis from the caller's Clock; the store itself reads no clock.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/clock.h"
#include "common/status.h"
#include "json/value.h"

namespace stepfn::store {

// ---------------------------------------------------------------------------------------------
// Records.

enum class ExecutionStatus : uint8_t {
  Running = 0,
  Succeeded = 1,
  Failed = 2,
  TimedOut = 3,
  Aborted = 4,
  PendingRedrive = 5,
};
// "RUNNING", "SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED", "PENDING_REDRIVE".
std::string_view ExecutionStatusName(ExecutionStatus status);
// The inverse of ExecutionStatusName; InvalidArgument for any other text.
Result<ExecutionStatus> ParseExecutionStatus(std::string_view name);
// SUCCEEDED, FAILED, TIMED_OUT and ABORTED.
bool IsTerminal(ExecutionStatus status);

enum class StateMachineType : uint8_t { Standard = 0, Express = 1 };

// A state machine, one of its published versions, or an alias: one row each, with its own ARN.
enum class StateMachineKind : uint8_t { StateMachine = 0, Version = 1, Alias = 2 };

struct StateMachineRecord {
  std::string arn;
  StateMachineKind kind = StateMachineKind::StateMachine;
  // Versions and aliases: the ARN of their state machine. Empty for a state machine.
  std::string parent_arn;
  std::string name;        // the state machine's name; an alias's name
  std::string definition;  // ASL text, as submitted
  std::string role_arn;
  StateMachineType type = StateMachineType::Standard;
  std::string logging_configuration;  // JSON text, as the API returns it ("" when absent)
  std::string tracing_configuration;  // JSON text
  std::string description;            // versions and aliases
  EpochMillis creation_date = 0;
  EpochMillis update_date = 0;
  std::string revision_id;
  // Versions: their number (1, 2, ...). Assigned by PublishVersion.
  int64_t version_number = 0;
  // State machines: the highest version number ever published (numbers are never reused, even
  // after a version is deleted). Maintained by the store.
  int64_t last_version_number = 0;
  // Aliases: the routingConfiguration JSON text.
  std::string routing_configuration;
};

struct ExecutionRecord {
  std::string arn;
  std::string name;
  std::string state_machine_arn;          // the unqualified state machine ARN
  std::string state_machine_version_arn;  // when started through a version ("" otherwise)
  std::string state_machine_alias_arn;    // when started through an alias ("" otherwise)
  std::string map_run_arn;                // a Distributed Map child execution ("" otherwise)
  ExecutionStatus status = ExecutionStatus::Running;
  std::string input;   // JSON text
  std::string output;  // JSON text, when SUCCEEDED
  // The definition the execution runs (ASL text), fixed at its start: recovery and
  // DescribeStateMachineForExecution read it. Summaries (ListExecutions) leave it empty.
  std::string definition;
  std::string error;
  std::string cause;
  EpochMillis start_date = 0;
  EpochMillis stop_date = 0;  // 0 while not stopped
  int64_t redrive_count = 0;
  EpochMillis redrive_date = 0;  // 0 when never redriven

  // The engine's execution state: opaque, versioned bytes (the encoding is the engine's).
  std::string state;
  // 1 after CreateExecution, +1 per committed transition.
  int64_t version = 0;
  // The id of the last history event (0 when there is none).
  int64_t last_event_id = 0;

  // The lease (see AcquireLease). owner is "" when the execution is not leased.
  std::string lease_owner;
  int64_t lease_token = 0;  // the fencing token; grows each time the lease changes hands
  EpochMillis lease_expiry = 0;
};

// One history event as GetExecutionHistory returns it. `details` holds the event's
// "<kind>EventDetails" as the engine encodes them, opaque bytes to the store ("" when the event
// has none): the executor writes the compact form of docs/formats/history-details.md; older
// histories hold the JSON object as text.
struct HistoryEventRecord {
  int64_t id = 0;
  int64_t previous_event_id = 0;
  EpochMillis timestamp = 0;
  std::string type;  // "TaskStateEntered", ...
  std::string details;
  // When not null, the end of `details` not yet written: the event's details are `details`
  // followed by this value's JSON text, length-prefixed (PersistedDetails). Kept as a value
  // where nothing needs the text (the in-memory store), written out by a store that persists.
  json::Value payload;
};

// An event's whole details: `details`, then the payload (when set) as length-prefixed JSON text.
std::string PersistedDetails(const HistoryEventRecord& e);

// A persisted timer (Wait states, retry intervals, timeouts, heartbeats). Keyed by
// (execution_arn, timer_id).
struct TimerRecord {
  std::string execution_arn;
  int64_t timer_id = 0;
  EpochMillis fire_at = 0;
  std::string payload;  // opaque to the store
};

// A task token (`.waitForTaskToken`, activities). When activity_arn is set the token is also
// an activity task, queued for GetActivityTask until a worker claims it.
struct TaskTokenRecord {
  std::string token;
  std::string execution_arn;
  int64_t task_id = 0;       // the engine's task id (the Command id)
  std::string activity_arn;  // "" for a plain callback token
  std::string input;         // the activity task's input (JSON text)
  EpochMillis created = 0;
  // Set by ClaimActivityTask.
  bool claimed = false;
  std::string worker_name;
  EpochMillis claimed_at = 0;
};

struct ActivityRecord {
  std::string arn;
  std::string name;
  EpochMillis creation_date = 0;
};

struct Lease {
  std::string owner;
  int64_t token = 0;
  EpochMillis expiry = 0;
};

// ---------------------------------------------------------------------------------------------
// Pagination. Page tokens are opaque texts made by the store; a token stays valid while
// records are added or removed (a page continues after the last record returned, by key, not
// by offset). The API layer may wrap them (AWS's nextToken).

struct PageRequest {
  int limit = 100;    // at least 1; the store caps it at kMaxPageSize
  std::string token;  // "" for the first page
};
inline constexpr int kMaxPageSize = 1000;

template <typename T>
struct Page {
  std::vector<T> items;
  std::string next_token;  // "" when there are no more records
};

struct ExecutionFilter {
  // Exactly one of these two is set (ListExecutions takes stateMachineArn or mapRunArn).
  std::string state_machine_arn;  // unqualified: the state machine's executions
  std::string map_run_arn;        // the child executions of a Map Run
  // When set: only executions started through this version or alias ARN.
  std::string version_or_alias_arn;
  std::optional<ExecutionStatus> status;
};

struct StateMachineFilter {
  StateMachineKind kind = StateMachineKind::StateMachine;
  // Versions and aliases: whose (required). State machines: ignored.
  std::string parent_arn;
};

// ---------------------------------------------------------------------------------------------
// Transitions.

// Set when a transition changes the execution's status (it ends, is redriven, ...).
struct StatusUpdate {
  ExecutionStatus status = ExecutionStatus::Running;
  std::string output;
  std::string error;
  std::string cause;
  EpochMillis stop_date = 0;
  // When set, the transition is a redrive: redrive_count grows by one, redrive_date is set and
  // stop_date is cleared.
  std::optional<EpochMillis> redrive_date;
};

// Everything one Step of the interpreter produced, committed atomically by CommitTransition.
struct Transition {
  std::string execution_arn;
  // The version the engine read; the commit makes it expected_version + 1.
  int64_t expected_version = 0;
  // The caller's lease: ("", 0) when the caller holds none (single-node use).
  std::string lease_owner;
  int64_t lease_token = 0;

  // Appended to the history. Ids must continue the execution's history with no gap:
  // last_event_id + 1, + 2, ... May be empty.
  std::vector<HistoryEventRecord> events;
  // The new execution state (replaces the old one).
  std::string state;
  std::optional<StatusUpdate> status_update;

  std::vector<TimerRecord> timers_to_add;      // execution_arn is ignored (this execution's)
  std::vector<int64_t> timers_to_delete;       // timer ids; ids without a timer are ignored
  std::vector<TaskTokenRecord> tokens_to_add;  // execution_arn is ignored
  std::vector<std::string> tokens_to_delete;   // unknown tokens are ignored
  // ARNs of Distributed Map runs the execution started (FindMapRun finds the execution).
  std::vector<std::string> map_runs_to_add;
};

// Called once with the outcome of an asynchronous write. It may run on a store thread: it must
// be quick and must not call the store's blocking methods (post the work elsewhere instead).
using WriteCallback = std::function<void(Status)>;

// ---------------------------------------------------------------------------------------------

class Store {
 public:
  virtual ~Store() = default;
  Store() = default;
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;

  // --- Executions -----------------------------------------------------------------------------

  // Creates an execution together with its first transition (normally ExecutionStarted).
  // `execution` gives the identity, summary and lease fields (its state, version and
  // last_event_id are ignored); `initial` gives the first events (ids from 1), the state, the
  // timers and tokens and optionally a status update (its execution_arn, expected_version and
  // lease fields are ignored). The stored execution has version 1.
  // AlreadyExists when an execution with that ARN exists; InvalidArgument when the event ids
  // do not run 1, 2, ...; AlreadyExists when a token exists.
  //
  // StartExecution's idempotency (same name and same input on a RUNNING execution returns the
  // existing execution): on AlreadyExists the API calls GetExecution(arn) and compares the
  // input and status; the existing record's input never changes, so this is race-free.
  virtual void CreateExecutionAsync(ExecutionRecord execution, Transition initial,
                                    WriteCallback done) = 0;
  Status CreateExecution(ExecutionRecord execution, Transition initial);

  // Commits one transition atomically: the events, the new state (version becomes
  // expected_version + 1), the status update, the timers and tokens. It fails, applying
  // nothing, with (checked in this order):
  //   NotFound            no such execution;
  //   FailedPrecondition  "lease lost": the stored lease is not (lease_owner, lease_token) (a
  //                       lease expired and another node took it over). A caller holding a
  //                       lease past its expiry may still commit while nobody took it over:
  //                       the fencing token, not the clock, decides;
  //   FailedPrecondition  "version conflict": the stored version is not expected_version (a
  //                       stale state: someone else committed since the caller read it);
  //   InvalidArgument     event ids not contiguous with the stored history;
  //   AlreadyExists       a token in tokens_to_add exists.
  // When the status update makes the execution terminal, its remaining timers and task tokens
  // are deleted in the same transaction, and its lease is released.
  // Transitions of different executions committed concurrently are independent: one failing
  // its checks never fails another (group commit batches them but fails them one by one).
  virtual void CommitTransitionAsync(Transition transition, WriteCallback done) = 0;
  Status CommitTransition(Transition transition);

  // The whole record, state blob included. NotFound when there is none.
  virtual Result<ExecutionRecord> GetExecution(const std::string& arn) = 0;

  // Executions by start date, newest first (ties by ARN, descending). The records carry the
  // summary fields only: state, input and output are left empty.
  virtual Result<Page<ExecutionRecord>> ListExecutions(const ExecutionFilter& filter,
                                                       const PageRequest& page) = 0;

  // RUNNING executions, by ARN, full records (recovery after a crash or a node loss). With
  // `unleased_at` set, only those whose lease is free or expired at that time.
  virtual Result<Page<ExecutionRecord>> ListRunningExecutions(
      std::optional<EpochMillis> unleased_at, const PageRequest& page) = 0;

  // History events of an execution, at most `limit` (capped at kMaxPageSize). Forward: ids >=
  // from_id, ascending (from_id <= 1: from the first event). Reverse: ids <= from_id,
  // descending (from_id <= 0: from the last event). NotFound when the execution does not exist.
  virtual Result<std::vector<HistoryEventRecord>> GetHistory(const std::string& execution_arn,
                                                             int64_t from_id, int limit,
                                                             bool reverse) = 0;

  // --- Leases (several nodes sharing one database) --------------------------------------------
  //
  // An execution is advanced by the node holding its lease. A lease expires; a node may then
  // take it over, which increments the fencing token, so that the old holder's next
  // CommitTransition fails "lease lost" however late it arrives.

  // Takes the lease for `owner` until now + ttl_millis. Succeeds when the execution is not
  // leased, when its lease expired (expiry <= now: a takeover, new token), or when `owner`
  // already holds it (extended, same token). FailedPrecondition when another owner holds an
  // unexpired lease; NotFound when there is no such execution.
  virtual Result<Lease> AcquireLease(const std::string& execution_arn, const std::string& owner,
                                     EpochMillis now, int64_t ttl_millis) = 0;
  // Extends a held lease to now + ttl_millis. FailedPrecondition "lease lost" unless
  // (owner, token) is the current lease.
  virtual Result<Lease> RenewLease(const std::string& execution_arn, const Lease& lease,
                                   EpochMillis now, int64_t ttl_millis) = 0;
  // Gives the lease up (the token stays, so a later holder gets a higher one).
  // FailedPrecondition "lease lost" unless (owner, token) is the current lease.
  virtual Status ReleaseLease(const std::string& execution_arn, const Lease& lease) = 0;

  // --- Timers -------------------------------------------------------------------------------

  // Timers with fire_at <= now, earliest first (ties in an order fixed by the implementation),
  // at most `limit` (capped at kMaxPageSize). Timers are not removed by this: the transition that
  // delivers a timer deletes it (timers_to_delete), so a crash in between delivers it again after
  // recovery.
  virtual Result<std::vector<TimerRecord>> DueTimers(EpochMillis now, int limit) = 0;

  // --- Task tokens and activity tasks ---------------------------------------------------------

  // NotFound when the token does not exist (never issued, or its task finished).
  virtual Result<TaskTokenRecord> GetTaskToken(const std::string& token) = 0;

  // --- Map runs -------------------------------------------------------------------------------

  // The ARN of the execution that started the Distributed Map run `map_run_arn` (a transition's
  // map_runs_to_add); NotFound when there is none.
  virtual Result<std::string> FindMapRun(const std::string& map_run_arn) = 0;

  // Claims the oldest unclaimed task of an activity (by created, then token) for a worker
  // (sets claimed, worker_name and claimed_at). std::nullopt when none is queued. The token stays
  // until a transition deletes it (SendTaskSuccess/Failure, a timeout, the execution's end).
  virtual Result<std::optional<TaskTokenRecord>> ClaimActivityTask(const std::string& activity_arn,
                                                                   const std::string& worker_name,
                                                                   EpochMillis now) = 0;

  // --- State machines, versions, aliases ------------------------------------------------------

  // AlreadyExists when a record with that ARN exists.
  virtual Status CreateStateMachine(const StateMachineRecord& record) = 0;
  virtual Result<StateMachineRecord> GetStateMachine(const std::string& arn) = 0;
  // Replaces the record with that ARN (kind and parent must not change; last_version_number is
  // kept). NotFound when there is none. With expected_revision_id set, FailedPrecondition
  // "version conflict" unless the stored revision_id equals it.
  virtual Status UpdateStateMachine(const StateMachineRecord& record,
                                    std::optional<std::string> expected_revision_id) = 0;
  // Deletes the record and its tags; for a state machine, also its versions and aliases (and
  // their tags). Executions stay. NotFound when there is none.
  virtual Status DeleteStateMachine(const std::string& arn) = 0;
  // Publishes a version of a state machine: `version` gives the content (definition, role,
  // description, revision_id, creation_date, ...); the store assigns the next version number
  // (parent.last_version_number + 1), the ARN "<parent arn>:<number>", kind and parent_arn,
  // atomically. Returns the stored record. NotFound when the parent does not exist.
  virtual Result<StateMachineRecord> PublishVersion(const std::string& parent_arn,
                                                    StateMachineRecord version) = 0;
  // By creation date then ARN: oldest first for state machines and aliases, newest first for
  // versions (as ListStateMachineVersions).
  virtual Result<Page<StateMachineRecord>> ListStateMachines(const StateMachineFilter& filter,
                                                             const PageRequest& page) = 0;

  // --- Activities ---------------------------------------------------------------------------

  // AlreadyExists when an activity with that ARN exists (CreateActivity's idempotency is the
  // API's: on AlreadyExists it returns the existing record).
  virtual Status CreateActivity(const ActivityRecord& record) = 0;
  virtual Result<ActivityRecord> GetActivity(const std::string& arn) = 0;
  // Deletes the activity, its tags and its unclaimed tasks. NotFound when there is none.
  virtual Status DeleteActivity(const std::string& arn) = 0;
  // By creation date then ARN, oldest first.
  virtual Result<Page<ActivityRecord>> ListActivities(const PageRequest& page) = 0;

  // --- Tags ---------------------------------------------------------------------------------
  // Tags of any resource ARN. The store does not check that the resource exists.

  // Adds or overwrites tags.
  virtual Status TagResource(const std::string& arn,
                             const std::map<std::string, std::string>& tags) = 0;
  // Removes the keys; keys that are absent are ignored.
  virtual Status UntagResource(const std::string& arn, const std::vector<std::string>& keys) = 0;
  // By key. Empty when the resource has none.
  virtual Result<std::map<std::string, std::string>> ListTags(const std::string& arn) = 0;
};

// Page tokens as the stores make them: "<int64>:<text>". Exposed for the implementations.
std::string EncodePageToken(int64_t key, std::string_view tail);
// InvalidArgument "invalid page token" when `token` is not one.
Status DecodePageToken(std::string_view token, int64_t* key, std::string* tail);
// limit clamped to [1, kMaxPageSize].
int ClampLimit(int limit);

}  // namespace stepfn::store
