#include "store/sqlite_schema.h"

#include <string>
#include <vector>

#include "store/history_chunk.h"
#include "store/store.h"

namespace stepfn::store::sqlite {

namespace {

struct Migration {
  int version;
  const char* description;
  const char* sql;
  // Run after `sql`, in the same transaction (data conversions SQL cannot express).
  Status (*convert)(SqliteDb& db) = nullptr;
};

// Version 3: the rows of history_events become chunks (at most kMaxChunk events each, the
// execution's events in id order, linked by `prev`), and execution_states.last_chunk points at
// each execution's last chunk.
Status ConvertHistoryToChunks(SqliteDb& db) {
  constexpr size_t kMaxChunk = 64;
  ASSIGN_OR_RETURN(Stmt read, db.Prepare("SELECT execution_id, id, previous_id, timestamp, type, "
                                         "details FROM history_events ORDER BY execution_id, id"));
  int64_t execution = 0;
  int64_t last_chunk = 0;
  std::vector<HistoryEventRecord> events;
  std::string blob;
  auto flush = [&]() -> Status {
    if (events.empty()) {
      return Status::Ok();
    }
    blob.clear();
    internal::EncodeHistoryChunk(events, &blob);
    const int64_t first = events.front().id, last = events.back().id;
    ASSIGN_OR_RETURN(Stmt insert, db.Prepare("INSERT INTO history_chunks (execution_id, first_id, "
                                             "last_id, prev, mark, events) VALUES (?1, ?2, ?3, "
                                             "?4, ?5, ?6)"));
    insert.BindInt(1, execution);
    insert.BindInt(2, first);
    insert.BindInt(3, last);
    insert.BindInt(4, last_chunk);
    insert.BindInt(5, internal::HistoryChunkIndexed(first, last) ? 1 : 0);
    insert.BindBlob(6, blob);
    RETURN_IF_ERROR(insert.Run());
    last_chunk = db.LastInsertRowid();
    events.clear();
    return Status::Ok();
  };
  auto finish = [&]() -> Status {
    RETURN_IF_ERROR(flush());
    if (execution == 0 || last_chunk == 0) {
      return Status::Ok();
    }
    ASSIGN_OR_RETURN(Stmt update, db.Prepare("UPDATE execution_states SET last_chunk = ?2 WHERE "
                                             "execution_id = ?1"));
    update.BindInt(1, execution);
    update.BindInt(2, last_chunk);
    return update.Run();
  };
  for (;;) {
    ASSIGN_OR_RETURN(bool row, read.Step());
    if (!row) {
      break;
    }
    HistoryEventRecord e{read.Int(1), read.Int(2), read.Int(3), read.Text(4), read.Text(5)};
    if (read.Int(0) != execution) {
      RETURN_IF_ERROR(finish());
      execution = read.Int(0);
      last_chunk = 0;
    } else if (events.size() >= kMaxChunk || (!events.empty() && events.back().id + 1 != e.id)) {
      RETURN_IF_ERROR(flush());
    }
    events.push_back(std::move(e));
  }
  RETURN_IF_ERROR(finish());
  return db.Exec("DROP TABLE history_events");
}

// Append only: a released migration never changes; a change of schema is a new migration.
constexpr Migration kMigrations[] = {
    {1, "initial schema", R"sql(
CREATE TABLE state_machines (
  arn                   TEXT PRIMARY KEY,
  kind                  INTEGER NOT NULL,  -- 0 state machine, 1 version, 2 alias
  parent_arn            TEXT NOT NULL,     -- '' for a state machine
  name                  TEXT NOT NULL,
  definition            TEXT NOT NULL,
  role_arn              TEXT NOT NULL,
  type                  INTEGER NOT NULL,  -- 0 STANDARD, 1 EXPRESS
  logging_configuration TEXT NOT NULL,
  tracing_configuration TEXT NOT NULL,
  description           TEXT NOT NULL,
  creation_date         INTEGER NOT NULL,
  update_date           INTEGER NOT NULL,
  revision_id           TEXT NOT NULL,
  version_number        INTEGER NOT NULL,
  last_version_number   INTEGER NOT NULL,
  routing_configuration TEXT NOT NULL
);
CREATE INDEX state_machines_by_kind ON state_machines (kind, parent_arn, creation_date, arn);

CREATE TABLE executions (
  id                INTEGER PRIMARY KEY,
  arn               TEXT NOT NULL UNIQUE,
  name              TEXT NOT NULL,
  state_machine_arn TEXT NOT NULL,
  version_arn       TEXT NOT NULL,
  alias_arn         TEXT NOT NULL,
  map_run_arn       TEXT NOT NULL,
  status            INTEGER NOT NULL,  -- store::ExecutionStatus
  start_date        INTEGER NOT NULL,
  stop_date         INTEGER NOT NULL,
  redrive_count     INTEGER NOT NULL,
  redrive_date      INTEGER NOT NULL,
  error             TEXT NOT NULL,
  cause             TEXT NOT NULL,
  input             TEXT NOT NULL,
  output            TEXT NOT NULL,
  definition        TEXT NOT NULL
);
CREATE INDEX executions_by_machine ON executions (state_machine_arn, start_date, arn);
CREATE INDEX executions_by_machine_status
  ON executions (state_machine_arn, status, start_date, arn);
CREATE INDEX executions_by_map_run ON executions (map_run_arn, start_date, arn)
  WHERE map_run_arn <> '';
CREATE INDEX executions_running ON executions (arn) WHERE status = 0;

CREATE TABLE execution_states (
  execution_id  INTEGER PRIMARY KEY REFERENCES executions (id),
  version       INTEGER NOT NULL,
  last_event_id INTEGER NOT NULL,
  lease_owner   TEXT NOT NULL,
  lease_token   INTEGER NOT NULL,
  lease_expiry  INTEGER NOT NULL,
  state         BLOB NOT NULL
);

-- Rows are appended in commit order (the rowid), so a batch of transitions of many
-- executions fills a few pages at the end of the table instead of dirtying a page per
-- execution; the unique index finds an execution's events by id.
CREATE TABLE history_events (
  seq          INTEGER PRIMARY KEY,
  execution_id INTEGER NOT NULL,
  id           INTEGER NOT NULL,
  previous_id  INTEGER NOT NULL,
  timestamp    INTEGER NOT NULL,
  type         TEXT NOT NULL,
  details      TEXT NOT NULL
);
CREATE UNIQUE INDEX history_events_by_id ON history_events (execution_id, id);

CREATE TABLE timers (
  execution_id INTEGER NOT NULL,
  timer_id     INTEGER NOT NULL,
  fire_at      INTEGER NOT NULL,
  payload      BLOB NOT NULL,
  PRIMARY KEY (execution_id, timer_id)
) WITHOUT ROWID;
CREATE INDEX timers_by_time ON timers (fire_at, execution_id, timer_id);

CREATE TABLE task_tokens (
  token        TEXT PRIMARY KEY,
  execution_id INTEGER NOT NULL,
  task_id      INTEGER NOT NULL,
  activity_arn TEXT NOT NULL,
  input        TEXT NOT NULL,
  created      INTEGER NOT NULL,
  claimed      INTEGER NOT NULL,
  worker_name  TEXT NOT NULL,
  claimed_at   INTEGER NOT NULL
);
CREATE INDEX task_tokens_by_execution ON task_tokens (execution_id);
CREATE INDEX task_tokens_queued ON task_tokens (activity_arn, created, token)
  WHERE activity_arn <> '' AND claimed = 0;

CREATE TABLE activities (
  arn           TEXT PRIMARY KEY,
  name          TEXT NOT NULL,
  creation_date INTEGER NOT NULL
);
CREATE INDEX activities_by_date ON activities (creation_date, arn);

CREATE TABLE tags (
  resource_arn TEXT NOT NULL,
  key          TEXT NOT NULL,
  value        TEXT NOT NULL,
  PRIMARY KEY (resource_arn, key)
) WITHOUT ROWID;
)sql"},
    {2, "Distributed Map runs", R"sql(
CREATE TABLE map_runs (
  arn          TEXT PRIMARY KEY,
  execution_id INTEGER NOT NULL
);
)sql"},
    {3, "history in chunks, one row per transition", R"sql(
CREATE TABLE history_chunks (
  seq          INTEGER PRIMARY KEY,
  execution_id INTEGER NOT NULL,
  first_id     INTEGER NOT NULL,
  last_id      INTEGER NOT NULL,
  prev         INTEGER NOT NULL,  -- seq of the execution's previous chunk (0: none)
  mark         INTEGER NOT NULL,  -- 1: the chunk holds an id that is a multiple of 256
  events       BLOB NOT NULL
);
CREATE INDEX history_chunks_marked ON history_chunks (execution_id, first_id) WHERE mark = 1;

CREATE TABLE execution_states_v3 (
  execution_id  INTEGER PRIMARY KEY REFERENCES executions (id),
  version       INTEGER NOT NULL,
  last_event_id INTEGER NOT NULL,
  last_chunk    INTEGER NOT NULL,
  lease_owner   TEXT NOT NULL,
  lease_token   INTEGER NOT NULL,
  lease_expiry  INTEGER NOT NULL,
  state         BLOB NOT NULL
);
INSERT INTO execution_states_v3 (execution_id, version, last_event_id, last_chunk, lease_owner,
                                 lease_token, lease_expiry, state)
  SELECT execution_id, version, last_event_id, 0, lease_owner, lease_token, lease_expiry, state
  FROM execution_states;
DROP TABLE execution_states;
ALTER TABLE execution_states_v3 RENAME TO execution_states;
)sql",
     ConvertHistoryToChunks},
};

}  // namespace

int CurrentSchemaVersion() { return kMigrations[std::size(kMigrations) - 1].version; }

Result<int> SchemaVersion(SqliteDb& db) {
  RETURN_IF_ERROR(
      db.Exec("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, "
              "description TEXT NOT NULL)"));
  ASSIGN_OR_RETURN(Stmt stmt, db.Prepare("SELECT coalesce(max(version), 0) FROM schema_version"));
  ASSIGN_OR_RETURN(bool row, stmt.Step());
  return row ? static_cast<int>(stmt.Int(0)) : 0;
}

Status Migrate(SqliteDb& db) { return MigrateTo(db, CurrentSchemaVersion()); }

Status MigrateTo(SqliteDb& db, int target) {
  ASSIGN_OR_RETURN(int version, SchemaVersion(db));
  if (version > CurrentSchemaVersion()) {
    return FailedPrecondition("the database " + db.path() + " has schema version " +
                              std::to_string(version) + ", newer than this stepfn's (" +
                              std::to_string(CurrentSchemaVersion()) +
                              "): upgrade stepfn to open it");
  }
  for (const Migration& migration : kMigrations) {
    if (migration.version <= version || migration.version > target) {
      continue;
    }
    RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
    Status status = db.Exec(migration.sql);
    if (status.ok() && migration.convert != nullptr) {
      status = migration.convert(db);
    }
    if (status.ok()) {
      status = db.Exec("INSERT INTO schema_version (version, description) VALUES (" +
                       std::to_string(migration.version) + ", '" + migration.description + "')");
    }
    if (status.ok()) {
      status = db.Exec("COMMIT");
    }
    if (!status.ok()) {
      if (db.InTransaction()) {
        db.Exec("ROLLBACK").IgnoreError();
      }
      return status.WithPrefix("schema migration to version " + std::to_string(migration.version));
    }
  }
  return Status::Ok();
}

}  // namespace stepfn::store::sqlite
