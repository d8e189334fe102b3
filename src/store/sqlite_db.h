// A thin wrapper over one SQLite connection (internal to store/): opening, errors as Status,
// cached prepared statements and a statement handle that resets itself.
//
// Thread safety: a SqliteDb and its statements belong to one thread at a time (the connection
// is opened without SQLite's own mutex); SqliteStore hands connections out one user at a time.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "common/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace stepfn::store::sqlite {

// Maps a SQLite result code to a Status: a full disk, I/O errors, busy/locked, out of memory
// and "cannot open" become Unavailable, a constraint violation AlreadyExists, anything else
// Internal. The message names the operation, SQLite's text and the database file.
Status ErrorStatus(int rc, sqlite3* db, std::string_view what, const std::string& path);

class SqliteDb;

// A prepared statement in use: Bind*, then Step() per row or Run() for a statement without
// rows. Resets the statement and clears its bindings when destroyed, so the cached statement
// is ready for the next user. Columns and parameters are 0- and 1-based, as in SQLite.
class Stmt {
 public:
  Stmt(SqliteDb* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Stmt();
  Stmt(Stmt&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Stmt(const Stmt&) = delete;
  Stmt& operator=(const Stmt&) = delete;
  Stmt& operator=(Stmt&&) = delete;

  // Text and blobs are bound without a copy: the bytes must outlive the statement's use.
  void BindInt(int index, int64_t value);
  void BindText(int index, std::string_view value);
  void BindBlob(int index, std::string_view value);
  void BindNull(int index);

  // true: a row is available; false: done.
  Result<bool> Step();
  // Steps to the end (the statement returns no rows, or they are not wanted), then resets
  // the statement (bindings stay) so that it can be bound and run again.
  Status Run();

  // Ready for new bindings without stepping further (bindings stay).
  void Reset();

  int64_t Int(int column) const;
  std::string Text(int column) const;  // text or blob, as bytes
  bool IsNull(int column) const;

 private:
  SqliteDb* db_;
  sqlite3_stmt* stmt_;
};

class SqliteDb {
 public:
  // Opens (creating when missing) the database file. busy_timeout_ms: how long a statement
  // waits for another connection's lock before failing with Unavailable.
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path, int busy_timeout_ms);
  ~SqliteDb();
  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;

  // Runs SQL text (one or more statements) without results, uncached.
  Status Exec(std::string_view sql);
  // A cached prepared statement for `sql` (prepared on first use).
  Result<Stmt> Prepare(const std::string& sql);
  // Runs a cached statement without parameters or rows (BEGIN, COMMIT, SAVEPOINT, ...).
  Status Run(const std::string& sql);

  // True inside an explicit transaction (SQLite may roll one back by itself after an I/O
  // error or a full disk; callers check this after a failure).
  bool InTransaction() const;
  int64_t LastInsertRowid() const;
  int Changes() const;

  Status Error(int rc, std::string_view what) const;
  const std::string& path() const { return path_; }
  sqlite3* handle() const { return db_; }

 private:
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}

  sqlite3* db_;
  std::string path_;
  std::unordered_map<std::string, sqlite3_stmt*> cache_;
};

}  // namespace stepfn::store::sqlite
