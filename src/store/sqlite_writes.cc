// SqliteStore's writes. Each runs on the committer thread inside the batch transaction and
// its own savepoint: a failure returned here rolls back everything the function wrote.
#include <set>
#include <string>
#include <string_view>

#include "store/history_chunk.h"
#include "store/sqlite_ops.h"
#include "store/store_internal.h"

namespace stepfn::store::sqlite {

namespace {

Status RequireChange(SqliteDb& db, const char* what) {
  if (db.Changes() != 1) {
    return Internal(std::string("sqlite store: ") + what + " changed no row");
  }
  return Status::Ok();
}

// Appends a transition's events as one history chunk after the execution's chunk `prev`;
// returns the new chunk's seq.
Result<int64_t> InsertHistoryChunk(SqliteDb& db, int64_t id, int64_t prev,
                                   const std::vector<HistoryEventRecord>& events,
                                   std::string_view chunk) {
  const int64_t first = events.front().id, last = events.back().id;
  ASSIGN_OR_RETURN(Stmt stmt, db.Prepare("INSERT INTO history_chunks (execution_id, first_id, "
                                         "last_id, prev, mark, events) VALUES (?1, ?2, ?3, ?4, "
                                         "?5, ?6)"));
  stmt.BindInt(1, id);
  stmt.BindInt(2, first);
  stmt.BindInt(3, last);
  stmt.BindInt(4, prev);
  stmt.BindInt(5, internal::HistoryChunkIndexed(first, last) ? 1 : 0);
  stmt.BindBlob(6, chunk);
  RETURN_IF_ERROR(stmt.Run());
  return db.LastInsertRowid();
}

// Writes the parts of a transition that follow the state update and the history chunk:
// timers, tokens and the status update.
Status ApplyTransitionBody(SqliteDb& db, int64_t id, const Transition& transition) {
  if (!transition.timers_to_delete.empty()) {
    ASSIGN_OR_RETURN(Stmt stmt, db.Prepare("DELETE FROM timers WHERE execution_id = ?1 AND "
                                           "timer_id = ?2"));
    for (int64_t timer_id : transition.timers_to_delete) {
      stmt.BindInt(1, id);
      stmt.BindInt(2, timer_id);
      RETURN_IF_ERROR(stmt.Run());
    }
  }
  if (!transition.timers_to_add.empty()) {
    ASSIGN_OR_RETURN(Stmt stmt, db.Prepare("INSERT OR REPLACE INTO timers (execution_id, "
                                           "timer_id, fire_at, payload) VALUES (?1, ?2, ?3, ?4)"));
    for (const TimerRecord& timer : transition.timers_to_add) {
      stmt.BindInt(1, id);
      stmt.BindInt(2, timer.timer_id);
      stmt.BindInt(3, timer.fire_at);
      stmt.BindBlob(4, timer.payload);
      RETURN_IF_ERROR(stmt.Run());
    }
  }
  if (!transition.map_runs_to_add.empty()) {
    ASSIGN_OR_RETURN(Stmt stmt, db.Prepare("INSERT OR REPLACE INTO map_runs (arn, execution_id) "
                                           "VALUES (?1, ?2)"));
    for (const std::string& map_run : transition.map_runs_to_add) {
      stmt.BindText(1, map_run);
      stmt.BindInt(2, id);
      RETURN_IF_ERROR(stmt.Run());
    }
  }
  if (!transition.tokens_to_delete.empty()) {
    ASSIGN_OR_RETURN(Stmt stmt, db.Prepare("DELETE FROM task_tokens WHERE token = ?1 AND "
                                           "execution_id = ?2"));
    for (const std::string& token : transition.tokens_to_delete) {
      stmt.BindText(1, token);
      stmt.BindInt(2, id);
      RETURN_IF_ERROR(stmt.Run());
    }
  }
  if (!transition.tokens_to_add.empty()) {
    ASSIGN_OR_RETURN(Stmt stmt,
                     db.Prepare("INSERT INTO task_tokens (token, execution_id, task_id, "
                                "activity_arn, input, created, claimed, worker_name, claimed_at) "
                                "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
    for (const TaskTokenRecord& token : transition.tokens_to_add) {
      stmt.BindText(1, token.token);
      stmt.BindInt(2, id);
      stmt.BindInt(3, token.task_id);
      stmt.BindText(4, token.activity_arn);
      stmt.BindText(5, token.input);
      stmt.BindInt(6, token.created);
      stmt.BindInt(7, token.claimed ? 1 : 0);
      stmt.BindText(8, token.worker_name);
      stmt.BindInt(9, token.claimed_at);
      Status status = stmt.Run();
      if (status.code() == StatusCode::AlreadyExists) {
        return AlreadyExists("task token already exists");
      }
      RETURN_IF_ERROR(status);
    }
  }
  if (transition.status_update) {
    const StatusUpdate& update = *transition.status_update;
    ASSIGN_OR_RETURN(
        Stmt stmt,
        db.Prepare("UPDATE executions SET status = ?2, output = ?3, error = ?4, cause = ?5, "
                   "stop_date = ?6, redrive_count = redrive_count + ?7, "
                   "redrive_date = CASE WHEN ?7 = 1 THEN ?8 ELSE redrive_date END WHERE id = ?1"));
    stmt.BindInt(1, id);
    stmt.BindInt(2, static_cast<int64_t>(update.status));
    stmt.BindText(3, update.output);
    stmt.BindText(4, update.error);
    stmt.BindText(5, update.cause);
    stmt.BindInt(6, update.redrive_date ? 0 : update.stop_date);
    stmt.BindInt(7, update.redrive_date ? 1 : 0);
    stmt.BindInt(8, update.redrive_date.value_or(0));
    RETURN_IF_ERROR(stmt.Run());
    if (IsTerminal(update.status)) {
      for (const char* sql : {"DELETE FROM timers WHERE execution_id = ?1",
                              "DELETE FROM task_tokens WHERE execution_id = ?1",
                              "UPDATE execution_states SET lease_owner = '', lease_expiry = 0 "
                              "WHERE execution_id = ?1"}) {
        ASSIGN_OR_RETURN(Stmt cleanup, db.Prepare(sql));
        cleanup.BindInt(1, id);
        RETURN_IF_ERROR(cleanup.Run());
      }
    }
  }
  return Status::Ok();
}

// AlreadyExists when a token exists or is listed twice.
Status CheckTokensAbsent(SqliteDb& db, const std::vector<TaskTokenRecord>& tokens) {
  if (tokens.empty()) {
    return Status::Ok();
  }
  std::set<std::string_view> seen;
  ASSIGN_OR_RETURN(Stmt stmt, db.Prepare("SELECT 1 FROM task_tokens WHERE token = ?1"));
  for (const TaskTokenRecord& token : tokens) {
    if (!seen.insert(token.token).second) {
      return AlreadyExists("task token listed twice in one transition");
    }
    stmt.BindText(1, token.token);
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    stmt.Reset();
    if (row) {
      return AlreadyExists("task token already exists");
    }
  }
  return Status::Ok();
}

Status CheckLease(const std::string& arn, const Stmt& stmt, const Lease& lease) {
  if (lease.owner.empty() || stmt.Text(1) != lease.owner || stmt.Int(2) != lease.token) {
    return internal::LeaseLost(arn);
  }
  return Status::Ok();
}

constexpr const char* kSelectLease =
    "SELECT s.execution_id, s.lease_owner, s.lease_token, s.lease_expiry "
    "FROM executions e JOIN execution_states s ON s.execution_id = e.id WHERE e.arn = ?1";
constexpr const char* kUpdateLease =
    "UPDATE execution_states SET lease_owner = ?2, lease_token = ?3, lease_expiry = ?4 "
    "WHERE execution_id = ?1";

Status WriteLease(SqliteDb& db, int64_t id, const Lease& lease) {
  ASSIGN_OR_RETURN(Stmt stmt, db.Prepare(kUpdateLease));
  stmt.BindInt(1, id);
  stmt.BindText(2, lease.owner);
  stmt.BindInt(3, lease.token);
  stmt.BindInt(4, lease.expiry);
  return stmt.Run();
}

void BindStateMachine(Stmt& stmt, const StateMachineRecord& record) {
  stmt.BindText(1, record.arn);
  stmt.BindInt(2, static_cast<int64_t>(record.kind));
  stmt.BindText(3, record.parent_arn);
  stmt.BindText(4, record.name);
  stmt.BindText(5, record.definition);
  stmt.BindText(6, record.role_arn);
  stmt.BindInt(7, static_cast<int64_t>(record.type));
  stmt.BindText(8, record.logging_configuration);
  stmt.BindText(9, record.tracing_configuration);
  stmt.BindText(10, record.description);
  stmt.BindInt(11, record.creation_date);
  stmt.BindInt(12, record.update_date);
  stmt.BindText(13, record.revision_id);
  stmt.BindInt(14, record.version_number);
  stmt.BindInt(15, record.last_version_number);
  stmt.BindText(16, record.routing_configuration);
}

Status InsertStateMachine(SqliteDb& db, const StateMachineRecord& record) {
  ASSIGN_OR_RETURN(Stmt stmt,
                   db.Prepare(std::string("INSERT INTO state_machines (") + kStateMachineColumns +
                              ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
                              "?11, ?12, ?13, ?14, ?15, ?16)"));
  BindStateMachine(stmt, record);
  Status status = stmt.Run();
  if (status.code() == StatusCode::AlreadyExists) {
    return AlreadyExists("state machine " + record.arn + " already exists");
  }
  return status;
}

Status DeleteTags(SqliteDb& db, const std::string& arn) {
  ASSIGN_OR_RETURN(Stmt stmt, db.Prepare("DELETE FROM tags WHERE resource_arn = ?1"));
  stmt.BindText(1, arn);
  return stmt.Run();
}

}  // namespace

Status CreateExecution(SqliteDb& db, const ExecutionRecord& execution, const Transition& initial,
                       std::string_view chunk, bool* wrote) {
  *wrote = false;
  RETURN_IF_ERROR(internal::CheckEventIds(execution.arn, 0, initial.events));
  RETURN_IF_ERROR(CheckTokensAbsent(db, initial.tokens_to_add));
  {
    ASSIGN_OR_RETURN(
        Stmt stmt,
        db.Prepare("INSERT INTO executions (arn, name, state_machine_arn, version_arn, "
                   "alias_arn, map_run_arn, status, start_date, stop_date, redrive_count, "
                   "redrive_date, error, cause, input, output, definition) VALUES (?1, ?2, ?3, ?4, "
                   "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16)"));
    stmt.BindText(1, execution.arn);
    stmt.BindText(2, execution.name);
    stmt.BindText(3, execution.state_machine_arn);
    stmt.BindText(4, execution.state_machine_version_arn);
    stmt.BindText(5, execution.state_machine_alias_arn);
    stmt.BindText(6, execution.map_run_arn);
    stmt.BindInt(7, static_cast<int64_t>(execution.status));
    stmt.BindInt(8, execution.start_date);
    stmt.BindInt(9, execution.stop_date);
    stmt.BindInt(10, execution.redrive_count);
    stmt.BindInt(11, execution.redrive_date);
    stmt.BindText(12, execution.error);
    stmt.BindText(13, execution.cause);
    stmt.BindText(14, execution.input);
    stmt.BindText(15, execution.output);
    stmt.BindText(16, execution.definition);
    Status status = stmt.Run();
    if (status.code() == StatusCode::AlreadyExists) {
      return AlreadyExists("execution " + execution.arn + " already exists");
    }
    RETURN_IF_ERROR(status);
  }
  // A failed INSERT is undone by SQLite's statement journal: nothing was written before here.
  *wrote = true;
  const int64_t id = db.LastInsertRowid();
  int64_t last_chunk = 0;
  if (!initial.events.empty()) {
    ASSIGN_OR_RETURN(last_chunk, InsertHistoryChunk(db, id, 0, initial.events, chunk));
  }
  {
    ASSIGN_OR_RETURN(Stmt stmt,
                     db.Prepare("INSERT INTO execution_states (execution_id, version, "
                                "last_event_id, last_chunk, lease_owner, lease_token, "
                                "lease_expiry, state) VALUES (?1, 1, ?2, ?3, ?4, ?5, ?6, ?7)"));
    stmt.BindInt(1, id);
    stmt.BindInt(2, initial.events.empty() ? 0 : initial.events.back().id);
    stmt.BindInt(3, last_chunk);
    stmt.BindText(4, execution.lease_owner);
    stmt.BindInt(5, execution.lease_token);
    stmt.BindInt(6, execution.lease_expiry);
    stmt.BindBlob(7, initial.state);
    RETURN_IF_ERROR(stmt.Run());
  }
  return ApplyTransitionBody(db, id, initial);
}

Status CommitTransition(SqliteDb& db, const Transition& transition, std::string_view chunk,
                        bool* wrote) {
  *wrote = false;
  const std::vector<HistoryEventRecord>& events = transition.events;
  // Every check, in the documented order, before the first write.
  int64_t id = 0, last_event_id = 0, last_chunk = 0;
  {
    ASSIGN_OR_RETURN(Stmt stmt, db.Prepare("SELECT s.execution_id, s.version, s.last_event_id, "
                                           "s.last_chunk, s.lease_owner, s.lease_token FROM "
                                           "executions e JOIN execution_states s ON "
                                           "s.execution_id = e.id WHERE e.arn = ?1"));
    stmt.BindText(1, transition.execution_arn);
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) {
      return internal::ExecutionNotFound(transition.execution_arn);
    }
    if (!internal::LeaseMatches(stmt.Text(4), stmt.Int(5), transition.lease_owner,
                                transition.lease_token)) {
      return internal::LeaseLost(transition.execution_arn);
    }
    if (stmt.Int(1) != transition.expected_version) {
      return internal::VersionConflict(transition.execution_arn, stmt.Int(1),
                                       transition.expected_version);
    }
    id = stmt.Int(0);
    last_event_id = stmt.Int(2);
    last_chunk = stmt.Int(3);
  }
  RETURN_IF_ERROR(internal::CheckEventIds(transition.execution_arn, last_event_id, events));
  RETURN_IF_ERROR(CheckTokensAbsent(db, transition.tokens_to_add));
  *wrote = true;
  if (!events.empty()) {
    ASSIGN_OR_RETURN(last_chunk, InsertHistoryChunk(db, id, last_chunk, events, chunk));
    last_event_id = events.back().id;
  }
  {
    ASSIGN_OR_RETURN(Stmt stmt, db.Prepare("UPDATE execution_states SET version = ?2, "
                                           "last_event_id = ?3, last_chunk = ?4, state = ?5 "
                                           "WHERE execution_id = ?1"));
    stmt.BindInt(1, id);
    stmt.BindInt(2, transition.expected_version + 1);
    stmt.BindInt(3, last_event_id);
    stmt.BindInt(4, last_chunk);
    stmt.BindBlob(5, transition.state);
    RETURN_IF_ERROR(stmt.Run());
  }
  return ApplyTransitionBody(db, id, transition);
}

Status AcquireLease(SqliteDb& db, const std::string& arn, const std::string& owner, EpochMillis now,
                    int64_t ttl_millis, Lease* out) {
  int64_t id = 0;
  {
    ASSIGN_OR_RETURN(Stmt stmt, db.Prepare(kSelectLease));
    stmt.BindText(1, arn);
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) {
      return internal::ExecutionNotFound(arn);
    }
    id = stmt.Int(0);
    std::string holder = stmt.Text(1);
    out->owner = owner;
    out->token = stmt.Int(2);
    out->expiry = now + ttl_millis;
    if (holder != owner) {
      EpochMillis expiry = stmt.Int(3);
      if (!holder.empty() && expiry > now) {
        return internal::LeaseHeld(arn, holder, expiry);
      }
      out->token += 1;
    }
  }
  return WriteLease(db, id, *out);
}

Status RenewLease(SqliteDb& db, const std::string& arn, const Lease& lease, EpochMillis now,
                  int64_t ttl_millis, Lease* out) {
  int64_t id = 0;
  {
    ASSIGN_OR_RETURN(Stmt stmt, db.Prepare(kSelectLease));
    stmt.BindText(1, arn);
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) {
      return internal::ExecutionNotFound(arn);
    }
    RETURN_IF_ERROR(CheckLease(arn, stmt, lease));
    id = stmt.Int(0);
  }
  *out = Lease{lease.owner, lease.token, now + ttl_millis};
  return WriteLease(db, id, *out);
}

Status ReleaseLease(SqliteDb& db, const std::string& arn, const Lease& lease) {
  int64_t id = 0;
  {
    ASSIGN_OR_RETURN(Stmt stmt, db.Prepare(kSelectLease));
    stmt.BindText(1, arn);
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) {
      return internal::ExecutionNotFound(arn);
    }
    RETURN_IF_ERROR(CheckLease(arn, stmt, lease));
    id = stmt.Int(0);
  }
  return WriteLease(db, id, Lease{"", lease.token, 0});
}

Status ClaimActivityTask(SqliteDb& db, const std::string& activity_arn,
                         const std::string& worker_name, EpochMillis now,
                         std::optional<TaskTokenRecord>* out) {
  {
    ASSIGN_OR_RETURN(Stmt stmt,
                     db.Prepare(std::string("SELECT ") + kTaskTokenColumns +
                                " FROM task_tokens t JOIN executions e ON e.id = t.execution_id "
                                "WHERE t.activity_arn = ?1 AND t.claimed = 0 "
                                "ORDER BY t.created, t.token LIMIT 1"));
    stmt.BindText(1, activity_arn);
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) {
      out->reset();
      return Status::Ok();
    }
    *out = ReadTaskToken(stmt);
  }
  TaskTokenRecord& record = **out;
  record.claimed = true;
  record.worker_name = worker_name;
  record.claimed_at = now;
  ASSIGN_OR_RETURN(Stmt stmt, db.Prepare("UPDATE task_tokens SET claimed = 1, worker_name = ?2, "
                                         "claimed_at = ?3 WHERE token = ?1"));
  stmt.BindText(1, record.token);
  stmt.BindText(2, worker_name);
  stmt.BindInt(3, now);
  return stmt.Run();
}

Status CreateStateMachine(SqliteDb& db, const StateMachineRecord& record) {
  return InsertStateMachine(db, record);
}

Status UpdateStateMachine(SqliteDb& db, const StateMachineRecord& record,
                          const std::optional<std::string>& expected_revision_id) {
  {
    ASSIGN_OR_RETURN(Stmt stmt,
                     db.Prepare("SELECT revision_id FROM state_machines WHERE arn = ?1"));
    stmt.BindText(1, record.arn);
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) {
      return NotFound("state machine " + record.arn + " does not exist");
    }
    if (expected_revision_id && stmt.Text(0) != *expected_revision_id) {
      return FailedPrecondition("version conflict: state machine " + record.arn + " has revision " +
                                stmt.Text(0));
    }
  }
  ASSIGN_OR_RETURN(
      Stmt stmt,
      db.Prepare("UPDATE state_machines SET name = ?4, definition = ?5, role_arn = ?6, "
                 "type = ?7, logging_configuration = ?8, tracing_configuration = ?9, "
                 "description = ?10, creation_date = ?11, update_date = ?12, revision_id = ?13, "
                 "version_number = ?14, routing_configuration = ?16 "
                 "WHERE arn = ?1"));
  BindStateMachine(stmt, record);
  RETURN_IF_ERROR(stmt.Run());
  return RequireChange(db, "UpdateStateMachine");
}

Status DeleteStateMachine(SqliteDb& db, const std::string& arn) {
  int64_t kind = 0;
  {
    ASSIGN_OR_RETURN(Stmt stmt, db.Prepare("SELECT kind FROM state_machines WHERE arn = ?1"));
    stmt.BindText(1, arn);
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) {
      return NotFound("state machine " + arn + " does not exist");
    }
    kind = stmt.Int(0);
  }
  if (kind == static_cast<int64_t>(StateMachineKind::StateMachine)) {
    for (const char* sql : {"DELETE FROM tags WHERE resource_arn IN "
                            "(SELECT arn FROM state_machines WHERE parent_arn = ?1)",
                            "DELETE FROM state_machines WHERE parent_arn = ?1"}) {
      ASSIGN_OR_RETURN(Stmt stmt, db.Prepare(sql));
      stmt.BindText(1, arn);
      RETURN_IF_ERROR(stmt.Run());
    }
  }
  RETURN_IF_ERROR(DeleteTags(db, arn));
  ASSIGN_OR_RETURN(Stmt stmt, db.Prepare("DELETE FROM state_machines WHERE arn = ?1"));
  stmt.BindText(1, arn);
  return stmt.Run();
}

Status PublishVersion(SqliteDb& db, const std::string& parent_arn, StateMachineRecord* version) {
  int64_t number = 0;
  {
    ASSIGN_OR_RETURN(Stmt stmt, db.Prepare("SELECT last_version_number FROM state_machines "
                                           "WHERE arn = ?1 AND kind = 0"));
    stmt.BindText(1, parent_arn);
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) {
      return NotFound("state machine " + parent_arn + " does not exist");
    }
    number = stmt.Int(0) + 1;
  }
  {
    ASSIGN_OR_RETURN(Stmt stmt, db.Prepare("UPDATE state_machines SET last_version_number = ?2 "
                                           "WHERE arn = ?1"));
    stmt.BindText(1, parent_arn);
    stmt.BindInt(2, number);
    RETURN_IF_ERROR(stmt.Run());
  }
  version->kind = StateMachineKind::Version;
  version->parent_arn = parent_arn;
  version->version_number = number;
  version->last_version_number = 0;
  version->arn = parent_arn + ":" + std::to_string(number);
  return InsertStateMachine(db, *version);
}

Status CreateActivity(SqliteDb& db, const ActivityRecord& record) {
  ASSIGN_OR_RETURN(Stmt stmt, db.Prepare("INSERT INTO activities (arn, name, creation_date) "
                                         "VALUES (?1, ?2, ?3)"));
  stmt.BindText(1, record.arn);
  stmt.BindText(2, record.name);
  stmt.BindInt(3, record.creation_date);
  Status status = stmt.Run();
  if (status.code() == StatusCode::AlreadyExists) {
    return AlreadyExists("activity " + record.arn + " already exists");
  }
  return status;
}

Status DeleteActivity(SqliteDb& db, const std::string& arn) {
  {
    ASSIGN_OR_RETURN(Stmt stmt, db.Prepare("DELETE FROM activities WHERE arn = ?1"));
    stmt.BindText(1, arn);
    RETURN_IF_ERROR(stmt.Run());
    if (db.Changes() == 0) {
      return NotFound("activity " + arn + " does not exist");
    }
  }
  RETURN_IF_ERROR(DeleteTags(db, arn));
  ASSIGN_OR_RETURN(Stmt stmt, db.Prepare("DELETE FROM task_tokens WHERE activity_arn = ?1 AND "
                                         "claimed = 0"));
  stmt.BindText(1, arn);
  return stmt.Run();
}

Status TagResource(SqliteDb& db, const std::string& arn,
                   const std::map<std::string, std::string>& tags) {
  ASSIGN_OR_RETURN(Stmt stmt, db.Prepare("INSERT OR REPLACE INTO tags (resource_arn, key, value) "
                                         "VALUES (?1, ?2, ?3)"));
  for (const auto& [key, value] : tags) {
    stmt.BindText(1, arn);
    stmt.BindText(2, key);
    stmt.BindText(3, value);
    RETURN_IF_ERROR(stmt.Run());
  }
  return Status::Ok();
}

Status UntagResource(SqliteDb& db, const std::string& arn, const std::vector<std::string>& keys) {
  ASSIGN_OR_RETURN(Stmt stmt, db.Prepare("DELETE FROM tags WHERE resource_arn = ?1 AND key = ?2"));
  for (const std::string& key : keys) {
    stmt.BindText(1, arn);
    stmt.BindText(2, key);
    RETURN_IF_ERROR(stmt.Run());
  }
  return Status::Ok();
}

}  // namespace stepfn::store::sqlite
