#include "store/sqlite_db.h"

#include <sqlite3.h>

#include <utility>

namespace stepfn::store::sqlite {

Status ErrorStatus(int rc, sqlite3* db, std::string_view what, const std::string& path) {
  std::string message = "sqlite: ";
  message += what;
  message += ": ";
  message += sqlite3_errstr(rc);
  if (db != nullptr) {
    const char* detail = sqlite3_errmsg(db);
    if (detail != nullptr && std::string_view(detail) != sqlite3_errstr(rc)) {
      message += " (";
      message += detail;
      message += ")";
    }
  }
  message += " [";
  message += path;
  message += "]";
  switch (rc & 0xff) {
    case SQLITE_FULL:
      return Unavailable("disk full: " + message);
    case SQLITE_IOERR:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_NOMEM:
    case SQLITE_CANTOPEN:
    case SQLITE_READONLY:
    case SQLITE_PROTOCOL:
    case SQLITE_INTERRUPT:
      return Unavailable(std::move(message));
    case SQLITE_CONSTRAINT:
      return AlreadyExists(std::move(message));
    default:
      return Internal(std::move(message));
  }
}

Stmt::~Stmt() {
  if (stmt_ != nullptr) {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
}

void Stmt::BindInt(int index, int64_t value) { sqlite3_bind_int64(stmt_, index, value); }

void Stmt::BindText(int index, std::string_view value) {
  sqlite3_bind_text64(stmt_, index, value.data(), value.size(), SQLITE_STATIC, SQLITE_UTF8);
}

void Stmt::BindBlob(int index, std::string_view value) {
  // A zero-length blob from a null pointer would bind NULL; bind an empty blob instead.
  if (value.empty()) {
    sqlite3_bind_zeroblob(stmt_, index, 0);
    return;
  }
  sqlite3_bind_blob64(stmt_, index, value.data(), value.size(), SQLITE_STATIC);
}

void Stmt::BindNull(int index) { sqlite3_bind_null(stmt_, index); }

Result<bool> Stmt::Step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) {
    return true;
  }
  if (rc == SQLITE_DONE) {
    return false;
  }
  return db_->Error(rc, std::string("executing \"") + sqlite3_sql(stmt_) + "\"");
}

Status Stmt::Run() {
  for (;;) {
    Result<bool> row = Step();
    if (!row.ok() || !*row) {
      // Ready for new bindings (a statement run in a loop).
      sqlite3_reset(stmt_);
      return std::move(row).status();
    }
  }
}

void Stmt::Reset() { sqlite3_reset(stmt_); }

int64_t Stmt::Int(int column) const { return sqlite3_column_int64(stmt_, column); }

std::string Stmt::Text(int column) const {
  const void* data = sqlite3_column_blob(stmt_, column);
  int size = sqlite3_column_bytes(stmt_, column);
  if (data == nullptr || size <= 0) {
    return std::string();
  }
  return std::string(static_cast<const char*>(data), static_cast<size_t>(size));
}

bool Stmt::IsNull(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path, int busy_timeout_ms) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(
      path.c_str(), &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status status = ErrorStatus(rc, db, "opening the database", path);
    sqlite3_close_v2(db);
    return status;
  }
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, busy_timeout_ms);
  return std::unique_ptr<SqliteDb>(new SqliteDb(db, path));
}

SqliteDb::~SqliteDb() {
  for (auto& [sql, stmt] : cache_) {
    sqlite3_finalize(stmt);
  }
  sqlite3_close_v2(db_);
}

Status SqliteDb::Exec(std::string_view sql) {
  std::string text(sql);
  char* error = nullptr;
  int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
  sqlite3_free(error);
  if (rc != SQLITE_OK) {
    return Error(rc, "executing \"" + text.substr(0, 80) + "\"");
  }
  return Status::Ok();
}

Result<Stmt> SqliteDb::Prepare(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    sqlite3_stmt* stmt = nullptr;
    int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size()),
                                SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
    if (rc != SQLITE_OK) {
      sqlite3_finalize(stmt);
      return Error(rc, "preparing \"" + sql + "\"");
    }
    it = cache_.emplace(sql, stmt).first;
  }
  return Stmt(this, it->second);
}

Status SqliteDb::Run(const std::string& sql) {
  ASSIGN_OR_RETURN(Stmt stmt, Prepare(sql));
  return stmt.Run();
}

bool SqliteDb::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

int64_t SqliteDb::LastInsertRowid() const { return sqlite3_last_insert_rowid(db_); }

int SqliteDb::Changes() const { return sqlite3_changes(db_); }

Status SqliteDb::Error(int rc, std::string_view what) const {
  return ErrorStatus(rc, db_, what, path_);
}

}  // namespace stepfn::store::sqlite
