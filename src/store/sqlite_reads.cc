// SqliteStore's reads, each on a pooled read connection.
#include <algorithm>
#include <string>
#include <vector>

#include "store/history_chunk.h"
#include "store/sqlite_ops.h"
#include "store/store_internal.h"

namespace stepfn::store::sqlite {

namespace {

// Columns of an execution record, in the order ReadExecution reads them. Summaries select
// empty input, output and state.
constexpr const char* kExecutionColumns =
    "e.arn, e.name, e.state_machine_arn, e.version_arn, e.alias_arn, e.map_run_arn, e.status, "
    "e.start_date, e.stop_date, e.redrive_count, e.redrive_date, e.error, e.cause, s.version, "
    "s.last_event_id, s.lease_owner, s.lease_token, s.lease_expiry, e.input, e.output, s.state, "
    "e.definition";
constexpr const char* kSummaryColumns =
    "e.arn, e.name, e.state_machine_arn, e.version_arn, e.alias_arn, e.map_run_arn, e.status, "
    "e.start_date, e.stop_date, e.redrive_count, e.redrive_date, e.error, e.cause, s.version, "
    "s.last_event_id, s.lease_owner, s.lease_token, s.lease_expiry, '', '', x'', ''";
constexpr const char* kExecutionJoin =
    " FROM executions e JOIN execution_states s ON s.execution_id = e.id ";

ExecutionRecord ReadExecution(const Stmt& stmt) {
  ExecutionRecord record;
  record.arn = stmt.Text(0);
  record.name = stmt.Text(1);
  record.state_machine_arn = stmt.Text(2);
  record.state_machine_version_arn = stmt.Text(3);
  record.state_machine_alias_arn = stmt.Text(4);
  record.map_run_arn = stmt.Text(5);
  record.status = static_cast<ExecutionStatus>(stmt.Int(6));
  record.start_date = stmt.Int(7);
  record.stop_date = stmt.Int(8);
  record.redrive_count = stmt.Int(9);
  record.redrive_date = stmt.Int(10);
  record.error = stmt.Text(11);
  record.cause = stmt.Text(12);
  record.version = stmt.Int(13);
  record.last_event_id = stmt.Int(14);
  record.lease_owner = stmt.Text(15);
  record.lease_token = stmt.Int(16);
  record.lease_expiry = stmt.Int(17);
  record.input = stmt.Text(18);
  record.output = stmt.Text(19);
  record.state = stmt.Text(20);
  record.definition = stmt.Text(21);
  return record;
}

// Reads up to limit + 1 rows: limit into the page, the extra one only says there is more.
template <typename T, typename ReadFn, typename KeyFn>
Result<Page<T>> ReadPage(Stmt& stmt, int limit, ReadFn read, KeyFn key) {
  Page<T> page;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) {
      break;
    }
    if (static_cast<int>(page.items.size()) == limit) {
      page.next_token = key(page.items.back());
      break;
    }
    page.items.push_back(read(stmt));
  }
  return page;
}

ActivityRecord ReadActivity(const Stmt& stmt) {
  return ActivityRecord{stmt.Text(0), stmt.Text(1), stmt.Int(2)};
}

}  // namespace

StateMachineRecord ReadStateMachine(const Stmt& stmt) {
  StateMachineRecord record;
  record.arn = stmt.Text(0);
  record.kind = static_cast<StateMachineKind>(stmt.Int(1));
  record.parent_arn = stmt.Text(2);
  record.name = stmt.Text(3);
  record.definition = stmt.Text(4);
  record.role_arn = stmt.Text(5);
  record.type = static_cast<StateMachineType>(stmt.Int(6));
  record.logging_configuration = stmt.Text(7);
  record.tracing_configuration = stmt.Text(8);
  record.description = stmt.Text(9);
  record.creation_date = stmt.Int(10);
  record.update_date = stmt.Int(11);
  record.revision_id = stmt.Text(12);
  record.version_number = stmt.Int(13);
  record.last_version_number = stmt.Int(14);
  record.routing_configuration = stmt.Text(15);
  return record;
}

TaskTokenRecord ReadTaskToken(const Stmt& stmt) {
  TaskTokenRecord record;
  record.token = stmt.Text(0);
  record.execution_arn = stmt.Text(1);
  record.task_id = stmt.Int(2);
  record.activity_arn = stmt.Text(3);
  record.input = stmt.Text(4);
  record.created = stmt.Int(5);
  record.claimed = stmt.Int(6) != 0;
  record.worker_name = stmt.Text(7);
  record.claimed_at = stmt.Int(8);
  return record;
}

Result<ExecutionRecord> GetExecution(SqliteDb& db, const std::string& arn) {
  ASSIGN_OR_RETURN(Stmt stmt, db.Prepare(std::string("SELECT ") + kExecutionColumns +
                                         kExecutionJoin + "WHERE e.arn = ?1"));
  stmt.BindText(1, arn);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    return internal::ExecutionNotFound(arn);
  }
  return ReadExecution(stmt);
}

Result<Page<ExecutionRecord>> ListExecutions(SqliteDb& db, const ExecutionFilter& filter,
                                             const PageRequest& page) {
  const int limit = ClampLimit(page.limit);
  int64_t after_date = 0;
  std::string after_arn;
  if (!page.token.empty()) {
    RETURN_IF_ERROR(DecodePageToken(page.token, &after_date, &after_arn));
  }
  // One SQL text per filter shape, so each shape keeps its cached statement and its index.
  std::string sql = std::string("SELECT ") + kSummaryColumns + kExecutionJoin;
  sql += filter.map_run_arn.empty() ? "WHERE e.state_machine_arn = ?1" : "WHERE e.map_run_arn = ?1";
  if (filter.status) {
    sql += " AND e.status = ?2";
  }
  if (!filter.version_or_alias_arn.empty()) {
    sql += " AND (e.version_arn = ?3 OR e.alias_arn = ?3)";
  }
  if (!page.token.empty()) {
    sql += " AND (e.start_date, e.arn) < (?4, ?5)";
  }
  sql += " ORDER BY e.start_date DESC, e.arn DESC LIMIT ?6";
  ASSIGN_OR_RETURN(Stmt stmt, db.Prepare(sql));
  stmt.BindText(1, filter.map_run_arn.empty() ? filter.state_machine_arn : filter.map_run_arn);
  if (filter.status) {
    stmt.BindInt(2, static_cast<int64_t>(*filter.status));
  }
  if (!filter.version_or_alias_arn.empty()) {
    stmt.BindText(3, filter.version_or_alias_arn);
  }
  if (!page.token.empty()) {
    stmt.BindInt(4, after_date);
    stmt.BindText(5, after_arn);
  }
  stmt.BindInt(6, limit + 1);
  return ReadPage<ExecutionRecord>(stmt, limit, ReadExecution, [](const ExecutionRecord& last) {
    return EncodePageToken(last.start_date, last.arn);
  });
}

Result<Page<ExecutionRecord>> ListRunningExecutions(SqliteDb& db,
                                                    std::optional<EpochMillis> unleased_at,
                                                    const PageRequest& page) {
  const int limit = ClampLimit(page.limit);
  std::string after;
  if (!page.token.empty()) {
    int64_t unused = 0;
    RETURN_IF_ERROR(DecodePageToken(page.token, &unused, &after));
  }
  std::string sql = std::string("SELECT ") + kExecutionColumns + kExecutionJoin +
                    "WHERE e.status = 0 AND e.arn > ?1";
  if (unleased_at) {
    sql += " AND (s.lease_owner = '' OR s.lease_expiry <= ?2)";
  }
  sql += " ORDER BY e.arn LIMIT ?3";
  ASSIGN_OR_RETURN(Stmt stmt, db.Prepare(sql));
  stmt.BindText(1, after);
  if (unleased_at) {
    stmt.BindInt(2, *unleased_at);
  }
  stmt.BindInt(3, limit + 1);
  return ReadPage<ExecutionRecord>(stmt, limit, ReadExecution, [](const ExecutionRecord& last) {
    return EncodePageToken(0, last.arn);
  });
}

// The history is a chain of chunks per execution (history_chunks, newest last, each naming the
// one before it: `prev`), one chunk per transition. A read finds where to enter the chain
// through the sparse index of marked chunks (one at least every kHistoryIndexStride ids), then
// walks back: at most a stride's worth of chunks besides those it returns.
Result<std::vector<HistoryEventRecord>> GetHistory(SqliteDb& db, const std::string& arn,
                                                   int64_t from_id, int limit, bool reverse) {
  int64_t id = 0, last_event_id = 0, last_chunk = 0;
  {
    ASSIGN_OR_RETURN(
        Stmt stmt, db.Prepare("SELECT e.id, s.last_event_id, s.last_chunk FROM executions e "
                              "JOIN execution_states s ON s.execution_id = e.id WHERE e.arn = ?1"));
    stmt.BindText(1, arn);
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) {
      return internal::ExecutionNotFound(arn);
    }
    id = stmt.Int(0);
    last_event_id = stmt.Int(1);
    last_chunk = stmt.Int(2);
  }
  limit = ClampLimit(limit);
  // The ids wanted: [lo, hi] (forward: the first `limit` of them; reverse: the last).
  int64_t lo = 1, hi = last_event_id;
  if (reverse) {
    if (from_id > 0) {
      hi = std::min(hi, from_id);
    }
  } else {
    lo = std::max<int64_t>(from_id, 1);
    if (lo <= hi) {
      hi = std::min(hi, lo + limit - 1);
    }
  }
  std::vector<HistoryEventRecord> events;
  if (lo > hi || last_chunk == 0) {
    return events;
  }
  // Enter the chain at the first marked chunk past hi (its chain holds everything up to hi).
  int64_t seq = last_chunk;
  {
    ASSIGN_OR_RETURN(Stmt stmt,
                     db.Prepare("SELECT seq FROM history_chunks WHERE execution_id = ?1 AND "
                                "mark = 1 AND first_id > ?2 ORDER BY first_id LIMIT 1"));
    stmt.BindInt(1, id);
    stmt.BindInt(2, hi);
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (row) {
      seq = stmt.Int(0);
    }
  }
  ASSIGN_OR_RETURN(Stmt chunk, db.Prepare("SELECT prev, first_id, last_id, events FROM "
                                          "history_chunks WHERE seq = ?1 AND execution_id = ?2"));
  // Chunks newest first; their events (ascending within each) gathered from the back.
  std::vector<HistoryEventRecord> decoded;
  size_t wanted = static_cast<size_t>(limit);
  while (seq != 0) {
    chunk.BindInt(1, seq);
    chunk.BindInt(2, id);
    ASSIGN_OR_RETURN(bool row, chunk.Step());
    if (!row) {
      return Internal("sqlite store: history chunk " + std::to_string(seq) + " of " + arn +
                      " is missing");
    }
    const int64_t prev = chunk.Int(0), first = chunk.Int(1), last = chunk.Int(2);
    if (prev >= seq || first > last) {  // chunks are appended: a chain only goes back
      return Internal("sqlite store: history chunk " + std::to_string(seq) + " of " + arn +
                      " is corrupt");
    }
    if (first <= hi) {
      decoded.clear();
      std::string bytes = chunk.Text(3);
      RETURN_IF_ERROR(internal::DecodeHistoryChunk(first, bytes, &decoded));
      if (decoded.empty() || decoded.back().id != last) {
        return Internal("sqlite store: history chunk " + std::to_string(seq) + " of " + arn +
                        " does not hold its events");
      }
      for (auto it = decoded.rbegin(); it != decoded.rend(); ++it) {
        if (it->id > hi || it->id < lo) {
          continue;
        }
        events.push_back(std::move(*it));
      }
    }
    chunk.Reset();
    if (first <= lo || (reverse && events.size() >= wanted)) {
      break;
    }
    seq = prev;
  }
  // events is newest first.
  if (reverse) {
    if (events.size() > wanted) {
      events.resize(wanted);
    }
  } else {
    std::reverse(events.begin(), events.end());
  }
  return events;
}

Result<std::vector<TimerRecord>> DueTimers(SqliteDb& db, EpochMillis now, int limit) {
  ASSIGN_OR_RETURN(Stmt stmt,
                   db.Prepare("SELECT e.arn, t.timer_id, t.fire_at, t.payload FROM timers t "
                              "JOIN executions e ON e.id = t.execution_id WHERE t.fire_at <= ?1 "
                              "ORDER BY t.fire_at, t.execution_id, t.timer_id LIMIT ?2"));
  stmt.BindInt(1, now);
  stmt.BindInt(2, ClampLimit(limit));
  std::vector<TimerRecord> timers;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) {
      break;
    }
    timers.push_back(TimerRecord{stmt.Text(0), stmt.Int(1), stmt.Int(2), stmt.Text(3)});
  }
  return timers;
}

Result<TaskTokenRecord> GetTaskToken(SqliteDb& db, const std::string& token) {
  ASSIGN_OR_RETURN(Stmt stmt,
                   db.Prepare(std::string("SELECT ") + kTaskTokenColumns +
                              " FROM task_tokens t JOIN executions e ON e.id = t.execution_id "
                              "WHERE t.token = ?1"));
  stmt.BindText(1, token);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    return NotFound("task token does not exist");
  }
  return ReadTaskToken(stmt);
}

Result<std::string> FindMapRun(SqliteDb& db, const std::string& map_run_arn) {
  ASSIGN_OR_RETURN(Stmt stmt, db.Prepare("SELECT e.arn FROM map_runs m JOIN executions e "
                                         "ON e.id = m.execution_id WHERE m.arn = ?1"));
  stmt.BindText(1, map_run_arn);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return NotFound("map run " + map_run_arn + " does not exist");
  return stmt.Text(0);
}

Result<StateMachineRecord> GetStateMachine(SqliteDb& db, const std::string& arn) {
  ASSIGN_OR_RETURN(Stmt stmt, db.Prepare(std::string("SELECT ") + kStateMachineColumns +
                                         " FROM state_machines WHERE arn = ?1"));
  stmt.BindText(1, arn);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    return NotFound("state machine " + arn + " does not exist");
  }
  return ReadStateMachine(stmt);
}

Result<Page<StateMachineRecord>> ListStateMachines(SqliteDb& db, const StateMachineFilter& filter,
                                                   const PageRequest& page) {
  const int limit = ClampLimit(page.limit);
  // Versions newest first, by number (several may share a creation millisecond); state
  // machines and aliases oldest first.
  const bool newest_first = filter.kind == StateMachineKind::Version;
  const std::string order = newest_first ? "version_number" : "creation_date";
  int64_t after_key = 0;
  std::string after_arn;
  if (!page.token.empty()) {
    RETURN_IF_ERROR(DecodePageToken(page.token, &after_key, &after_arn));
  }
  std::string sql = std::string("SELECT ") + kStateMachineColumns +
                    " FROM state_machines WHERE kind = ?1 AND parent_arn = ?2";
  if (!page.token.empty()) {
    sql += " AND (" + order + ", arn) " + (newest_first ? "<" : ">") + " (?3, ?4)";
  }
  sql += " ORDER BY " + order + (newest_first ? " DESC, arn DESC" : ", arn") + " LIMIT ?5";
  ASSIGN_OR_RETURN(Stmt stmt, db.Prepare(sql));
  stmt.BindInt(1, static_cast<int64_t>(filter.kind));
  const std::string parent =
      filter.kind == StateMachineKind::StateMachine ? std::string() : filter.parent_arn;
  stmt.BindText(2, parent);
  if (!page.token.empty()) {
    stmt.BindInt(3, after_key);
    stmt.BindText(4, after_arn);
  }
  stmt.BindInt(5, limit + 1);
  return ReadPage<StateMachineRecord>(
      stmt, limit, ReadStateMachine, [newest_first](const StateMachineRecord& last) {
        return EncodePageToken(newest_first ? last.version_number : last.creation_date, last.arn);
      });
}

Result<ActivityRecord> GetActivity(SqliteDb& db, const std::string& arn) {
  ASSIGN_OR_RETURN(Stmt stmt,
                   db.Prepare("SELECT arn, name, creation_date FROM activities WHERE arn = ?1"));
  stmt.BindText(1, arn);
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) {
    return NotFound("activity " + arn + " does not exist");
  }
  return ReadActivity(stmt);
}

Result<Page<ActivityRecord>> ListActivities(SqliteDb& db, const PageRequest& page) {
  const int limit = ClampLimit(page.limit);
  int64_t after_date = 0;
  std::string after_arn;
  if (!page.token.empty()) {
    RETURN_IF_ERROR(DecodePageToken(page.token, &after_date, &after_arn));
  }
  ASSIGN_OR_RETURN(
      Stmt stmt,
      db.Prepare(page.token.empty()
                     ? "SELECT arn, name, creation_date FROM activities "
                       "ORDER BY creation_date, arn LIMIT ?3"
                     : "SELECT arn, name, creation_date FROM activities "
                       "WHERE (creation_date, arn) > (?1, ?2) ORDER BY creation_date, arn "
                       "LIMIT ?3"));
  if (!page.token.empty()) {
    stmt.BindInt(1, after_date);
    stmt.BindText(2, after_arn);
  }
  stmt.BindInt(3, limit + 1);
  return ReadPage<ActivityRecord>(stmt, limit, ReadActivity, [](const ActivityRecord& last) {
    return EncodePageToken(last.creation_date, last.arn);
  });
}

Result<std::map<std::string, std::string>> ListTags(SqliteDb& db, const std::string& arn) {
  ASSIGN_OR_RETURN(Stmt stmt, db.Prepare("SELECT key, value FROM tags WHERE resource_arn = ?1 "
                                         "ORDER BY key"));
  stmt.BindText(1, arn);
  std::map<std::string, std::string> tags;
  for (;;) {
    ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) {
      break;
    }
    tags.emplace(stmt.Text(0), stmt.Text(1));
  }
  return tags;
}

}  // namespace stepfn::store::sqlite
