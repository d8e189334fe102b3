// MemoryStore: the Store in memory. For EXPRESS executions (kept for inspection, never
// persisted) and tests. Nothing survives the object.
//
// Thread safety: all methods are safe to call concurrently; one mutex guards everything, so
// calls are serialised (each is short: no I/O). Asynchronous writes complete inline, calling
// `done` on the caller's thread before returning.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include "store/store.h"

namespace stepfn::store {

class MemoryStore final : public Store {
 public:
  MemoryStore() = default;
  // Keeps at most this many ended executions (with their histories), forgetting the oldest
  // ended first; 0 keeps all. For EXPRESS executions, which are kept only for inspection.
  explicit MemoryStore(size_t max_ended_executions) : max_ended_(max_ended_executions) {}
  ~MemoryStore() override = default;

  // For tests: how many distinct definition texts the kept executions run.
  size_t definitions_kept() const {
    std::lock_guard<std::mutex> lock(mu_);
    return definitions_.size();
  }

  void CreateExecutionAsync(ExecutionRecord execution, Transition initial,
                            WriteCallback done) override;
  void CommitTransitionAsync(Transition transition, WriteCallback done) override;
  Result<ExecutionRecord> GetExecution(const std::string& arn) override;
  Result<Page<ExecutionRecord>> ListExecutions(const ExecutionFilter& filter,
                                               const PageRequest& page) override;
  Result<Page<ExecutionRecord>> ListRunningExecutions(std::optional<EpochMillis> unleased_at,
                                                      const PageRequest& page) override;
  Result<std::vector<HistoryEventRecord>> GetHistory(const std::string& execution_arn,
                                                     int64_t from_id, int limit,
                                                     bool reverse) override;

  Result<Lease> AcquireLease(const std::string& execution_arn, const std::string& owner,
                             EpochMillis now, int64_t ttl_millis) override;
  Result<Lease> RenewLease(const std::string& execution_arn, const Lease& lease, EpochMillis now,
                           int64_t ttl_millis) override;
  Status ReleaseLease(const std::string& execution_arn, const Lease& lease) override;

  Result<std::vector<TimerRecord>> DueTimers(EpochMillis now, int limit) override;

  Result<TaskTokenRecord> GetTaskToken(const std::string& token) override;
  Result<std::string> FindMapRun(const std::string& map_run_arn) override;
  Result<std::optional<TaskTokenRecord>> ClaimActivityTask(const std::string& activity_arn,
                                                           const std::string& worker_name,
                                                           EpochMillis now) override;

  Status CreateStateMachine(const StateMachineRecord& record) override;
  Result<StateMachineRecord> GetStateMachine(const std::string& arn) override;
  Status UpdateStateMachine(const StateMachineRecord& record,
                            std::optional<std::string> expected_revision_id) override;
  Status DeleteStateMachine(const std::string& arn) override;
  Result<StateMachineRecord> PublishVersion(const std::string& parent_arn,
                                            StateMachineRecord version) override;
  Result<Page<StateMachineRecord>> ListStateMachines(const StateMachineFilter& filter,
                                                     const PageRequest& page) override;

  Status CreateActivity(const ActivityRecord& record) override;
  Result<ActivityRecord> GetActivity(const std::string& arn) override;
  Status DeleteActivity(const std::string& arn) override;
  Result<Page<ActivityRecord>> ListActivities(const PageRequest& page) override;

  Status TagResource(const std::string& arn,
                     const std::map<std::string, std::string>& tags) override;
  Status UntagResource(const std::string& arn, const std::vector<std::string>& keys) override;
  Result<std::map<std::string, std::string>> ListTags(const std::string& arn) override;

 private:
  // Definition texts, each kept once, with the number of executions that run it: many
  // executions of one machine share it (EXPRESS executions are kept by the ten thousand).
  using Definitions = std::unordered_map<std::string, size_t>;
  struct Execution {
    ExecutionRecord record;  // its definition left empty: see `definition`
    Definitions::value_type* definition = nullptr;
    std::vector<HistoryEventRecord> history;
    std::set<int64_t> timer_ids;
    std::set<std::string> tokens;
    std::vector<std::string> map_runs;
  };
  // (start_date, arn), ascending; lists walk it backwards.
  using StartIndex = std::set<std::pair<int64_t, std::string>>;
  using TimerKey = std::tuple<int64_t, std::string, int64_t>;  // fire_at, arn, id

  // Checks everything first, then applies (so a failure applies nothing).
  Status ApplyTransition(Execution& execution, Transition& transition);
  // Keeps the record's definition in definitions_ (once per text) and takes it out of the record.
  void InternDefinition(Execution& execution);
  // Lets go of the execution's definition (erased when no execution runs it any more).
  void ReleaseDefinition(Execution& execution);
  // The record as the store interface gives it: with its definition.
  static ExecutionRecord Whole(const Execution& execution);
  void DeleteTimer(Execution& execution, int64_t timer_id);
  void DeleteToken(Execution& execution, const std::string& token);
  void DeleteTags(const std::string& arn);
  // Notes that `arn` ended and forgets the oldest ended executions beyond max_ended_.
  void NoteEnded(const std::string& arn);

  const size_t max_ended_ = 0;
  std::deque<std::string> ended_;  // ended executions, oldest first (when max_ended_ > 0)
  mutable std::mutex mu_;
  std::map<std::string, Execution> executions_;
  Definitions definitions_;
  std::map<std::string, StartIndex> by_machine_;
  std::map<std::string, StartIndex> by_map_run_;
  std::map<std::pair<std::string, int64_t>, TimerRecord> timers_;
  std::set<TimerKey> timers_by_time_;
  std::map<std::string, TaskTokenRecord> tokens_;
  std::map<std::string, std::string> map_runs_;  // map run ARN -> execution ARN
  // Unclaimed activity tasks: activity ARN -> (created, token).
  std::map<std::string, std::set<std::pair<int64_t, std::string>>> queued_;
  std::map<std::string, StateMachineRecord> state_machines_;
  std::map<std::string, ActivityRecord> activities_;
  std::map<std::string, std::map<std::string, std::string>> tags_;
};

}  // namespace stepfn::store
