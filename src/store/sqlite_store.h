// SqliteStore: the Store in a SQLite database in a data directory (the embedded default).
//
// Files: DATA_DIR/stepfn.db (+ -wal, -shm) and DATA_DIR/stepfn.lock. Open creates the
// directory when missing, takes an exclusive flock on the lock file (a second process, or a
// second SqliteStore in this one, on the same directory fails to open: FailedPrecondition),
// and migrates the schema (sqlite_schema.h; docs/formats/store-schema.md).
//
// Durability: WAL journal; with Sync::Full (the default) every commit is fsynced before the
// write returns. Sync::Normal survives a crash of the process but not of the machine.
//
// Group commit: all writes go to one committer thread that owns the only writing connection.
// It takes the requests queued (up to max_batch, waiting up to max_batch_delay for more when
// fewer are queued) and runs them in ONE SQLite transaction, so that a write that fails (a
// version conflict, a lost lease, AlreadyExists) fails alone while the others commit:
// transitions and execution creations check everything before they write (savepoints copy
// every page they touch, which costs more than the write on this hot path), the other writes
// run inside their own savepoint. Should a transition fail after writing (a storage error),
// the transaction is rolled back and the rest of the batch runs again without it. Each caller
// learns its own outcome once the batch is durable. While one batch is being fsynced the next one
// queues, so throughput grows with the number of writers in flight (use the *Async writes to keep
// many in flight from few threads).
//
// Errors: a full disk or an I/O error fails the writes of the batch with Unavailable (their
// effects rolled back) and the store keeps serving reads; later writes succeed once the cause
// is gone.
//
// Reads use a pool of connections (WAL readers do not block the writer nor each other) and
// see every write that has returned.
//
// Thread safety: every method may be called from any thread. Write callbacks run on the
// committer thread: they must be quick and must not call the store's blocking methods (a
// blocking write from the committer thread is a CHECK failure: it would wait for itself).
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "store/sqlite_db.h"
#include "store/store.h"

namespace stepfn::store {

struct SqliteOptions {
  std::string data_dir;  // required
  enum class Sync { Full, Normal, Off };
  Sync sync = Sync::Full;
  // At most this many writes per transaction.
  int max_batch = 2048;
  // How long the committer waits for more writes when fewer than max_batch are queued. 0 takes
  // what is queued (batches then form while the previous batch is being fsynced).
  std::chrono::microseconds max_batch_delay{0};
  // Read connections kept open (more are opened on demand and closed after use).
  int readers = 4;
  // SQLite checkpoints the WAL into the database once it holds this many pages (4 KiB each; 0:
  // never). A checkpoint copies each page once however often the WAL rewrote it, and the hot
  // pages (execution states) are rewritten by every batch: larger checkpoints copy less per
  // commit (about 12% less server CPU per durable transition at 10,000 than at SQLite's 1,000,
  // BENCHMARKS.md), for a WAL file of up to ~40 MiB.
  int wal_autocheckpoint_pages = 10000;
};

// Counters for metrics and tests. Monotonic.
struct SqliteStats {
  int64_t batches = 0;         // transactions committed or attempted
  int64_t writes = 0;          // write requests handled
  int64_t failed_batches = 0;  // batches in which the storage failed (Unavailable)
  int64_t max_batch_size = 0;
};

class SqliteStore final : public Store {
 public:
  static Result<std::unique_ptr<SqliteStore>> Open(const SqliteOptions& options);
  // Finishes the writes already queued, then closes the database and releases the lock.
  ~SqliteStore() override;

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

  SqliteStats stats();
  const std::string& path() const { return path_; }

  // Limits the database file to `pages` pages (0: no limit), so that writes fail as on a full
  // disk (SQLITE_FULL). For tests.
  Status SetMaxPageCountForTest(int64_t pages);

 private:
  using WriteFn = std::function<Status(sqlite::SqliteDb&)>;
  // A write that checks before it writes (sqlite_ops.h): run without a savepoint.
  using CheckedWriteFn = std::function<Status(sqlite::SqliteDb&, bool* wrote)>;
  struct WriteRequest {
    CheckedWriteFn apply;
    bool savepoint = true;  // apply ignores `wrote` and runs inside its own savepoint
    WriteCallback done;
  };

  // A read connection from the pool, returned when destroyed.
  class Reader {
   public:
    Reader(SqliteStore* store, std::unique_ptr<sqlite::SqliteDb> db)
        : store_(store), db_(std::move(db)) {}
    ~Reader();
    Reader(Reader&&) = default;
    Reader& operator=(Reader&&) = delete;
    sqlite::SqliteDb& db() { return *db_; }

   private:
    SqliteStore* store_;
    std::unique_ptr<sqlite::SqliteDb> db_;
  };

  SqliteStore(SqliteOptions options, std::string path, int lock_fd,
              std::unique_ptr<sqlite::SqliteDb> writer);

  void Submit(WriteRequest request);
  Status WriteSync(WriteFn apply);
  void CommitterLoop();
  void RunBatch(std::vector<WriteRequest>& batch);
  // Runs batch[todo...] in one transaction and commits. Returns false when a write without a
  // savepoint failed after writing: the transaction was rolled back, *broken is its index in
  // `todo`, and the caller runs the others again.
  bool RunTransaction(std::vector<WriteRequest>& batch, const std::vector<size_t>& todo,
                      std::vector<Status>& results, size_t* broken);
  Result<Reader> AcquireReader();

  // Constant after construction.
  const SqliteOptions options_;
  const std::string path_;
  const int lock_fd_;
  std::unique_ptr<sqlite::SqliteDb> writer_;  // used by the committer thread only
  std::thread committer_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<WriteRequest> queue_;  // guarded by queue_mu_
  bool stopping_ = false;           // guarded by queue_mu_
  SqliteStats stats_;               // guarded by queue_mu_

  std::mutex readers_mu_;
  std::vector<std::unique_ptr<sqlite::SqliteDb>> idle_readers_;  // guarded by readers_mu_
};

}  // namespace stepfn::store
