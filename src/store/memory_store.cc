#include "store/memory_store.h"

#include <algorithm>
#include <limits>

#include "store/store_internal.h"

namespace stepfn::store {

namespace {

ExecutionRecord Summary(const ExecutionRecord& record) {
  ExecutionRecord summary = record;
  summary.state.clear();
  summary.input.clear();
  summary.definition.clear();
  summary.output.clear();
  return summary;
}

void ApplyStatusUpdate(const StatusUpdate& update, ExecutionRecord& record) {
  record.status = update.status;
  record.output = update.output;
  record.error = update.error;
  record.cause = update.cause;
  record.stop_date = update.stop_date;
  if (update.redrive_date) {
    record.redrive_count += 1;
    record.redrive_date = *update.redrive_date;
    record.stop_date = 0;
  }
}

}  // namespace

Status MemoryStore::ApplyTransition(Execution& execution, Transition& transition) {
  ExecutionRecord& record = execution.record;
  RETURN_IF_ERROR(internal::CheckEventIds(record.arn, record.last_event_id, transition.events));
  for (const TaskTokenRecord& token : transition.tokens_to_add) {
    if (tokens_.count(token.token) != 0) {
      return AlreadyExists("task token already exists");
    }
  }
  // Checked; from here on nothing fails.
  for (HistoryEventRecord& event : transition.events) {
    record.last_event_id = event.id;
    execution.history.push_back(std::move(event));
  }
  record.state = std::move(transition.state);
  record.version += 1;
  for (int64_t timer_id : transition.timers_to_delete) {
    DeleteTimer(execution, timer_id);
  }
  for (TimerRecord& timer : transition.timers_to_add) {
    DeleteTimer(execution, timer.timer_id);
    timer.execution_arn = record.arn;
    timers_by_time_.emplace(timer.fire_at, record.arn, timer.timer_id);
    execution.timer_ids.insert(timer.timer_id);
    timers_[{record.arn, timer.timer_id}] = std::move(timer);
  }
  for (const std::string& token : transition.tokens_to_delete) {
    DeleteToken(execution, token);
  }
  for (std::string& map_run : transition.map_runs_to_add) {
    map_runs_[map_run] = record.arn;
    execution.map_runs.push_back(std::move(map_run));
  }
  for (TaskTokenRecord& token : transition.tokens_to_add) {
    token.execution_arn = record.arn;
    if (!token.activity_arn.empty() && !token.claimed) {
      queued_[token.activity_arn].emplace(token.created, token.token);
    }
    execution.tokens.insert(token.token);
    std::string key = token.token;
    tokens_.emplace(std::move(key), std::move(token));
  }
  if (transition.status_update) {
    ApplyStatusUpdate(*transition.status_update, record);
    if (IsTerminal(record.status)) {
      std::set<int64_t> timer_ids = execution.timer_ids;
      for (int64_t timer_id : timer_ids) {
        DeleteTimer(execution, timer_id);
      }
      std::set<std::string> tokens = execution.tokens;
      for (const std::string& token : tokens) {
        DeleteToken(execution, token);
      }
      record.lease_owner.clear();
      record.lease_expiry = 0;
    }
  }
  return Status::Ok();
}

void MemoryStore::DeleteTimer(Execution& execution, int64_t timer_id) {
  auto it = timers_.find({execution.record.arn, timer_id});
  if (it == timers_.end()) {
    return;
  }
  timers_by_time_.erase({it->second.fire_at, execution.record.arn, timer_id});
  execution.timer_ids.erase(timer_id);
  timers_.erase(it);
}

void MemoryStore::DeleteToken(Execution& execution, const std::string& token) {
  auto it = tokens_.find(token);
  if (it == tokens_.end() || it->second.execution_arn != execution.record.arn) {
    return;
  }
  if (!it->second.activity_arn.empty()) {
    auto queue = queued_.find(it->second.activity_arn);
    if (queue != queued_.end()) {
      queue->second.erase({it->second.created, token});
    }
  }
  execution.tokens.erase(token);
  tokens_.erase(it);
}

void MemoryStore::DeleteTags(const std::string& arn) { tags_.erase(arn); }

void MemoryStore::InternDefinition(Execution& execution) {
  std::string& text = execution.record.definition;
  auto it = definitions_.find(text);
  if (it == definitions_.end()) it = definitions_.emplace(std::move(text), 0).first;
  ++it->second;
  execution.definition = &*it;
  std::string().swap(text);  // its buffer too (clear() would keep it)
}

void MemoryStore::ReleaseDefinition(Execution& execution) {
  if (execution.definition == nullptr) return;
  if (--execution.definition->second == 0) definitions_.erase(execution.definition->first);
  execution.definition = nullptr;
}

ExecutionRecord MemoryStore::Whole(const Execution& execution) {
  ExecutionRecord record = execution.record;
  if (execution.definition != nullptr) record.definition = execution.definition->first;
  return record;
}

void MemoryStore::CreateExecutionAsync(ExecutionRecord execution, Transition initial,
                                       WriteCallback done) {
  Status status;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (executions_.count(execution.arn) != 0) {
      status = AlreadyExists("execution " + execution.arn + " already exists");
    } else {
      Execution entry;
      entry.record = std::move(execution);
      entry.record.state.clear();
      entry.record.version = 0;
      entry.record.last_event_id = 0;
      const std::string arn = entry.record.arn;
      auto [it, inserted] = executions_.emplace(arn, std::move(entry));
      InternDefinition(it->second);
      status = ApplyTransition(it->second, initial);
      if (!status.ok()) {
        ReleaseDefinition(it->second);
        executions_.erase(it);
      } else {
        const ExecutionRecord& record = it->second.record;
        std::pair<int64_t, std::string> key{record.start_date, arn};
        if (!record.map_run_arn.empty()) {
          by_map_run_[record.map_run_arn].insert(key);
        }
        by_machine_[record.state_machine_arn].insert(std::move(key));
        if (IsTerminal(record.status)) NoteEnded(arn);
      }
    }
  }
  done(std::move(status));
}

void MemoryStore::CommitTransitionAsync(Transition transition, WriteCallback done) {
  Status status;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = executions_.find(transition.execution_arn);
    if (it == executions_.end()) {
      status = internal::ExecutionNotFound(transition.execution_arn);
    } else if (!internal::LeaseMatches(it->second.record.lease_owner, it->second.record.lease_token,
                                       transition.lease_owner, transition.lease_token)) {
      status = internal::LeaseLost(transition.execution_arn);
    } else if (it->second.record.version != transition.expected_version) {
      status = internal::VersionConflict(transition.execution_arn, it->second.record.version,
                                         transition.expected_version);
    } else {
      bool was_running = !IsTerminal(it->second.record.status);
      status = ApplyTransition(it->second, transition);
      if (status.ok() && was_running && IsTerminal(it->second.record.status)) {
        NoteEnded(transition.execution_arn);
      }
    }
  }
  done(std::move(status));
}

void MemoryStore::NoteEnded(const std::string& arn) {
  if (max_ended_ == 0) return;
  ended_.push_back(arn);
  while (ended_.size() > max_ended_) {
    auto it = executions_.find(ended_.front());
    ended_.pop_front();
    if (it == executions_.end() || !IsTerminal(it->second.record.status)) continue;
    const ExecutionRecord& r = it->second.record;
    std::pair<int64_t, std::string> key{r.start_date, r.arn};
    by_machine_[r.state_machine_arn].erase(key);
    if (!r.map_run_arn.empty()) by_map_run_[r.map_run_arn].erase(key);
    DeleteTags(r.arn);
    for (const std::string& map_run : it->second.map_runs) map_runs_.erase(map_run);
    ReleaseDefinition(it->second);
    executions_.erase(it);
  }
}

Result<ExecutionRecord> MemoryStore::GetExecution(const std::string& arn) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = executions_.find(arn);
  if (it == executions_.end()) {
    return internal::ExecutionNotFound(arn);
  }
  return Whole(it->second);
}

Result<Page<ExecutionRecord>> MemoryStore::ListExecutions(const ExecutionFilter& filter,
                                                          const PageRequest& page) {
  const int limit = ClampLimit(page.limit);
  std::pair<int64_t, std::string> after{std::numeric_limits<int64_t>::max(), ""};
  bool has_token = !page.token.empty();
  if (has_token) {
    RETURN_IF_ERROR(DecodePageToken(page.token, &after.first, &after.second));
  }
  std::lock_guard<std::mutex> lock(mu_);
  Page<ExecutionRecord> result;
  const std::map<std::string, StartIndex>& index =
      filter.map_run_arn.empty() ? by_machine_ : by_map_run_;
  auto found =
      index.find(filter.map_run_arn.empty() ? filter.state_machine_arn : filter.map_run_arn);
  if (found == index.end()) {
    return result;
  }
  const StartIndex& keys = found->second;
  // Newest first: walk backwards from the first key below the token.
  auto it = has_token ? keys.lower_bound(after) : keys.end();
  while (it != keys.begin()) {
    --it;
    const ExecutionRecord& record = executions_.at(it->second).record;
    if (filter.status && record.status != *filter.status) {
      continue;
    }
    if (!filter.version_or_alias_arn.empty() &&
        record.state_machine_version_arn != filter.version_or_alias_arn &&
        record.state_machine_alias_arn != filter.version_or_alias_arn) {
      continue;
    }
    if (static_cast<int>(result.items.size()) == limit) {
      const ExecutionRecord& last = result.items.back();
      result.next_token = EncodePageToken(last.start_date, last.arn);
      break;
    }
    result.items.push_back(Summary(record));
  }
  return result;
}

Result<Page<ExecutionRecord>> MemoryStore::ListRunningExecutions(
    std::optional<EpochMillis> unleased_at, const PageRequest& page) {
  const int limit = ClampLimit(page.limit);
  std::string after;
  if (!page.token.empty()) {
    int64_t unused = 0;
    RETURN_IF_ERROR(DecodePageToken(page.token, &unused, &after));
  }
  std::lock_guard<std::mutex> lock(mu_);
  Page<ExecutionRecord> result;
  auto it = page.token.empty() ? executions_.begin() : executions_.upper_bound(after);
  for (; it != executions_.end(); ++it) {
    const ExecutionRecord& record = it->second.record;
    if (record.status != ExecutionStatus::Running) {
      continue;
    }
    if (unleased_at && !record.lease_owner.empty() && record.lease_expiry > *unleased_at) {
      continue;
    }
    if (static_cast<int>(result.items.size()) == limit) {
      result.next_token = EncodePageToken(0, result.items.back().arn);
      break;
    }
    result.items.push_back(Whole(it->second));
  }
  return result;
}

Result<std::vector<HistoryEventRecord>> MemoryStore::GetHistory(const std::string& execution_arn,
                                                                int64_t from_id, int limit,
                                                                bool reverse) {
  limit = ClampLimit(limit);
  std::lock_guard<std::mutex> lock(mu_);
  auto it = executions_.find(execution_arn);
  if (it == executions_.end()) {
    return internal::ExecutionNotFound(execution_arn);
  }
  const std::vector<HistoryEventRecord>& history = it->second.history;
  const int64_t count = static_cast<int64_t>(history.size());  // ids are 1..count
  std::vector<HistoryEventRecord> events;
  if (reverse) {
    int64_t id = (from_id <= 0 || from_id > count) ? count : from_id;
    for (; id >= 1 && static_cast<int>(events.size()) < limit; --id) {
      events.push_back(history[id - 1]);
    }
  } else {
    for (int64_t id = std::max<int64_t>(from_id, 1);
         id <= count && static_cast<int>(events.size()) < limit; ++id) {
      events.push_back(history[id - 1]);
    }
  }
  return events;
}

Result<Lease> MemoryStore::AcquireLease(const std::string& execution_arn, const std::string& owner,
                                        EpochMillis now, int64_t ttl_millis) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = executions_.find(execution_arn);
  if (it == executions_.end()) {
    return internal::ExecutionNotFound(execution_arn);
  }
  ExecutionRecord& record = it->second.record;
  if (record.lease_owner != owner) {
    if (!record.lease_owner.empty() && record.lease_expiry > now) {
      return internal::LeaseHeld(execution_arn, record.lease_owner, record.lease_expiry);
    }
    record.lease_owner = owner;
    record.lease_token += 1;
  }
  record.lease_expiry = now + ttl_millis;
  return Lease{record.lease_owner, record.lease_token, record.lease_expiry};
}

Result<Lease> MemoryStore::RenewLease(const std::string& execution_arn, const Lease& lease,
                                      EpochMillis now, int64_t ttl_millis) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = executions_.find(execution_arn);
  if (it == executions_.end()) {
    return internal::ExecutionNotFound(execution_arn);
  }
  ExecutionRecord& record = it->second.record;
  if (lease.owner.empty() || record.lease_owner != lease.owner ||
      record.lease_token != lease.token) {
    return internal::LeaseLost(execution_arn);
  }
  record.lease_expiry = now + ttl_millis;
  return Lease{record.lease_owner, record.lease_token, record.lease_expiry};
}

Status MemoryStore::ReleaseLease(const std::string& execution_arn, const Lease& lease) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = executions_.find(execution_arn);
  if (it == executions_.end()) {
    return internal::ExecutionNotFound(execution_arn);
  }
  ExecutionRecord& record = it->second.record;
  if (lease.owner.empty() || record.lease_owner != lease.owner ||
      record.lease_token != lease.token) {
    return internal::LeaseLost(execution_arn);
  }
  record.lease_owner.clear();
  record.lease_expiry = 0;
  return Status::Ok();
}

Result<std::vector<TimerRecord>> MemoryStore::DueTimers(EpochMillis now, int limit) {
  limit = ClampLimit(limit);
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<TimerRecord> due;
  for (const TimerKey& key : timers_by_time_) {
    if (std::get<0>(key) > now || static_cast<int>(due.size()) == limit) {
      break;
    }
    due.push_back(timers_.at({std::get<1>(key), std::get<2>(key)}));
  }
  return due;
}

Result<std::string> MemoryStore::FindMapRun(const std::string& map_run_arn) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = map_runs_.find(map_run_arn);
  if (it == map_runs_.end()) return NotFound("map run " + map_run_arn + " does not exist");
  return it->second;
}

Result<TaskTokenRecord> MemoryStore::GetTaskToken(const std::string& token) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tokens_.find(token);
  if (it == tokens_.end()) {
    return NotFound("task token does not exist");
  }
  return it->second;
}

Result<std::optional<TaskTokenRecord>> MemoryStore::ClaimActivityTask(
    const std::string& activity_arn, const std::string& worker_name, EpochMillis now) {
  std::lock_guard<std::mutex> lock(mu_);
  auto queue = queued_.find(activity_arn);
  if (queue == queued_.end() || queue->second.empty()) {
    return std::optional<TaskTokenRecord>();
  }
  std::string token = queue->second.begin()->second;
  queue->second.erase(queue->second.begin());
  TaskTokenRecord& record = tokens_.at(token);
  record.claimed = true;
  record.worker_name = worker_name;
  record.claimed_at = now;
  return std::optional<TaskTokenRecord>(record);
}

Status MemoryStore::CreateStateMachine(const StateMachineRecord& record) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!state_machines_.emplace(record.arn, record).second) {
    return AlreadyExists("state machine " + record.arn + " already exists");
  }
  return Status::Ok();
}

Result<StateMachineRecord> MemoryStore::GetStateMachine(const std::string& arn) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = state_machines_.find(arn);
  if (it == state_machines_.end()) {
    return NotFound("state machine " + arn + " does not exist");
  }
  return it->second;
}

Status MemoryStore::UpdateStateMachine(const StateMachineRecord& record,
                                       std::optional<std::string> expected_revision_id) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = state_machines_.find(record.arn);
  if (it == state_machines_.end()) {
    return NotFound("state machine " + record.arn + " does not exist");
  }
  if (expected_revision_id && it->second.revision_id != *expected_revision_id) {
    return FailedPrecondition("version conflict: state machine " + record.arn + " has revision " +
                              it->second.revision_id);
  }
  int64_t last_version_number = it->second.last_version_number;
  StateMachineKind kind = it->second.kind;
  std::string parent_arn = it->second.parent_arn;
  it->second = record;
  it->second.last_version_number = last_version_number;
  it->second.kind = kind;
  it->second.parent_arn = std::move(parent_arn);
  return Status::Ok();
}

Status MemoryStore::DeleteStateMachine(const std::string& arn) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = state_machines_.find(arn);
  if (it == state_machines_.end()) {
    return NotFound("state machine " + arn + " does not exist");
  }
  if (it->second.kind == StateMachineKind::StateMachine) {
    for (auto child = state_machines_.begin(); child != state_machines_.end();) {
      if (child->second.parent_arn == arn) {
        DeleteTags(child->first);
        child = state_machines_.erase(child);
      } else {
        ++child;
      }
    }
  }
  DeleteTags(arn);
  state_machines_.erase(arn);
  return Status::Ok();
}

Result<StateMachineRecord> MemoryStore::PublishVersion(const std::string& parent_arn,
                                                       StateMachineRecord version) {
  std::lock_guard<std::mutex> lock(mu_);
  auto parent = state_machines_.find(parent_arn);
  if (parent == state_machines_.end() || parent->second.kind != StateMachineKind::StateMachine) {
    return NotFound("state machine " + parent_arn + " does not exist");
  }
  int64_t number = parent->second.last_version_number + 1;
  version.kind = StateMachineKind::Version;
  version.parent_arn = parent_arn;
  version.version_number = number;
  version.last_version_number = 0;
  version.arn = parent_arn + ":" + std::to_string(number);
  if (state_machines_.count(version.arn) != 0) {
    return AlreadyExists("state machine version " + version.arn + " already exists");
  }
  parent->second.last_version_number = number;
  state_machines_.emplace(version.arn, version);
  return version;
}

Result<Page<StateMachineRecord>> MemoryStore::ListStateMachines(const StateMachineFilter& filter,
                                                                const PageRequest& page) {
  const int limit = ClampLimit(page.limit);
  const bool newest_first = filter.kind == StateMachineKind::Version;
  std::pair<int64_t, std::string> after;
  if (!page.token.empty()) {
    RETURN_IF_ERROR(DecodePageToken(page.token, &after.first, &after.second));
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<int64_t, std::string>> keys;
  for (const auto& [arn, record] : state_machines_) {
    if (record.kind != filter.kind) {
      continue;
    }
    if (filter.kind != StateMachineKind::StateMachine && record.parent_arn != filter.parent_arn) {
      continue;
    }
    // Versions by number (several may share a creation millisecond), the others by date.
    std::pair<int64_t, std::string> key{newest_first ? record.version_number : record.creation_date,
                                        arn};
    if (!page.token.empty() && (newest_first ? !(key < after) : !(after < key))) {
      continue;
    }
    keys.push_back(std::move(key));
  }
  std::sort(keys.begin(), keys.end());
  if (newest_first) {
    std::reverse(keys.begin(), keys.end());
  }
  Page<StateMachineRecord> result;
  for (const auto& key : keys) {
    if (static_cast<int>(result.items.size()) == limit) {
      result.next_token =
          EncodePageToken(keys[result.items.size() - 1].first, result.items.back().arn);
      break;
    }
    result.items.push_back(state_machines_.at(key.second));
  }
  return result;
}

Status MemoryStore::CreateActivity(const ActivityRecord& record) {
  std::lock_guard<std::mutex> lock(mu_);
  if (!activities_.emplace(record.arn, record).second) {
    return AlreadyExists("activity " + record.arn + " already exists");
  }
  return Status::Ok();
}

Result<ActivityRecord> MemoryStore::GetActivity(const std::string& arn) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = activities_.find(arn);
  if (it == activities_.end()) {
    return NotFound("activity " + arn + " does not exist");
  }
  return it->second;
}

Status MemoryStore::DeleteActivity(const std::string& arn) {
  std::lock_guard<std::mutex> lock(mu_);
  if (activities_.erase(arn) == 0) {
    return NotFound("activity " + arn + " does not exist");
  }
  DeleteTags(arn);
  auto queue = queued_.find(arn);
  if (queue != queued_.end()) {
    for (const auto& [created, token] : queue->second) {
      auto record = tokens_.find(token);
      if (record != tokens_.end()) {
        auto execution = executions_.find(record->second.execution_arn);
        if (execution != executions_.end()) {
          execution->second.tokens.erase(token);
        }
        tokens_.erase(record);
      }
    }
    queued_.erase(queue);
  }
  return Status::Ok();
}

Result<Page<ActivityRecord>> MemoryStore::ListActivities(const PageRequest& page) {
  const int limit = ClampLimit(page.limit);
  std::pair<int64_t, std::string> after;
  if (!page.token.empty()) {
    RETURN_IF_ERROR(DecodePageToken(page.token, &after.first, &after.second));
  }
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<int64_t, std::string>> keys;
  for (const auto& [arn, record] : activities_) {
    std::pair<int64_t, std::string> key{record.creation_date, arn};
    if (page.token.empty() || after < key) {
      keys.push_back(std::move(key));
    }
  }
  std::sort(keys.begin(), keys.end());
  Page<ActivityRecord> result;
  for (const auto& key : keys) {
    if (static_cast<int>(result.items.size()) == limit) {
      const ActivityRecord& last = result.items.back();
      result.next_token = EncodePageToken(last.creation_date, last.arn);
      break;
    }
    result.items.push_back(activities_.at(key.second));
  }
  return result;
}

Status MemoryStore::TagResource(const std::string& arn,
                                const std::map<std::string, std::string>& tags) {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, std::string>& stored = tags_[arn];
  for (const auto& [key, value] : tags) {
    stored[key] = value;
  }
  return Status::Ok();
}

Status MemoryStore::UntagResource(const std::string& arn, const std::vector<std::string>& keys) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tags_.find(arn);
  if (it == tags_.end()) {
    return Status::Ok();
  }
  for (const std::string& key : keys) {
    it->second.erase(key);
  }
  if (it->second.empty()) {
    tags_.erase(it);
  }
  return Status::Ok();
}

Result<std::map<std::string, std::string>> MemoryStore::ListTags(const std::string& arn) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = tags_.find(arn);
  if (it == tags_.end()) {
    return std::map<std::string, std::string>();
  }
  return it->second;
}

}  // namespace stepfn::store
