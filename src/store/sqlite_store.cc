#include "store/sqlite_store.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <future>
#include <string>
#include <utility>

#include "store/history_chunk.h"
#include "store/sqlite_ops.h"
#include "store/sqlite_schema.h"

namespace stepfn::store {

namespace {

constexpr int kBusyTimeoutMs = 5000;
constexpr int64_t kDefaultMaxPageCount = 1073741823;

const char* SyncPragma(SqliteOptions::Sync sync) {
  switch (sync) {
    case SqliteOptions::Sync::Full:
      return "PRAGMA synchronous = FULL";
    case SqliteOptions::Sync::Normal:
      return "PRAGMA synchronous = NORMAL";
    case SqliteOptions::Sync::Off:
      return "PRAGMA synchronous = OFF";
  }
  return "PRAGMA synchronous = FULL";
}

// Takes an exclusive lock on DIR/stepfn.lock for the life of the returned descriptor, and
// writes this process's id into it (for the message a second process gets).
Result<int> LockDataDir(const std::string& dir) {
  const std::string path = dir + "/stepfn.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) {
    return Unavailable("cannot open the lock file " + path + ": " + std::strerror(errno));
  }
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    int error = errno;
    char pid[32] = {0};
    ssize_t n = ::pread(fd, pid, sizeof(pid) - 1, 0);
    ::close(fd);
    if (error == EWOULDBLOCK) {
      std::string holder = n > 0 ? std::string(pid, static_cast<size_t>(n)) : "unknown";
      return FailedPrecondition("the data directory " + dir +
                                " is in use by another stepfn store (pid " + holder + ")");
    }
    return Unavailable("cannot lock " + path + ": " + std::strerror(error));
  }
  std::string pid = std::to_string(::getpid());
  if (::ftruncate(fd, 0) != 0 ||
      ::pwrite(fd, pid.data(), pid.size(), 0) != static_cast<ssize_t>(pid.size())) {
    // The pid is informative only; the lock is what matters.
  }
  return fd;
}

}  // namespace

Result<std::unique_ptr<SqliteStore>> SqliteStore::Open(const SqliteOptions& options) {
  if (options.data_dir.empty()) {
    return InvalidArgument("SqliteStore: no data directory given");
  }
  std::error_code ec;
  std::filesystem::create_directories(options.data_dir, ec);
  if (ec) {
    return Unavailable("cannot create the data directory " + options.data_dir + ": " +
                       ec.message());
  }
  ASSIGN_OR_RETURN(int lock_fd, LockDataDir(options.data_dir));
  const std::string path = options.data_dir + "/stepfn.db";
  auto writer = sqlite::SqliteDb::Open(path, kBusyTimeoutMs);
  Status status = writer.status();
  if (status.ok()) {
    sqlite::SqliteDb& db = **writer;
    for (const char* pragma : {"PRAGMA journal_mode = WAL", "PRAGMA cache_size = -65536",
                               "PRAGMA temp_store = MEMORY", "PRAGMA foreign_keys = OFF"}) {
      if (status.ok()) {
        status = db.Exec(pragma);
      }
    }
    if (status.ok()) {
      status = db.Exec(SyncPragma(options.sync));
    }
    if (status.ok()) {
      status = db.Exec("PRAGMA wal_autocheckpoint = " +
                       std::to_string(std::max(0, options.wal_autocheckpoint_pages)));
    }
    if (status.ok()) {
      status = sqlite::Migrate(db);
    }
  }
  if (!status.ok()) {
    ::close(lock_fd);
    return status.WithPrefix("opening the store in " + options.data_dir);
  }
  return std::unique_ptr<SqliteStore>(
      new SqliteStore(options, path, lock_fd, std::move(writer).value()));
}

SqliteStore::SqliteStore(SqliteOptions options, std::string path, int lock_fd,
                         std::unique_ptr<sqlite::SqliteDb> writer)
    : options_(std::move(options)),
      path_(std::move(path)),
      lock_fd_(lock_fd),
      writer_(std::move(writer)) {
  committer_ = std::thread([this] { CommitterLoop(); });
}

SqliteStore::~SqliteStore() {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    stopping_ = true;
  }
  queue_cv_.notify_all();
  committer_.join();
  {
    std::lock_guard<std::mutex> lock(readers_mu_);
    idle_readers_.clear();
  }
  writer_.reset();
  ::close(lock_fd_);
}

// --- Group commit -----------------------------------------------------------------------------

void SqliteStore::Submit(WriteRequest request) {
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    queue_.push_back(std::move(request));
  }
  queue_cv_.notify_one();
}

Status SqliteStore::WriteSync(WriteFn apply) {
  STEPFN_CHECK(std::this_thread::get_id() != committer_.get_id());
  std::promise<Status> promise;
  std::future<Status> future = promise.get_future();
  Submit(WriteRequest{[apply = std::move(apply)](sqlite::SqliteDb& db, bool*) { return apply(db); },
                      true, [&promise](Status status) { promise.set_value(std::move(status)); }});
  return future.get();
}

void SqliteStore::CommitterLoop() {
  const size_t max_batch = static_cast<size_t>(std::max(1, options_.max_batch));
  std::vector<WriteRequest> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> lock(queue_mu_);
      queue_cv_.wait(lock, [this] { return !queue_.empty() || stopping_; });
      if (queue_.empty()) {
        return;  // stopping, and everything queued is done
      }
      if (options_.max_batch_delay.count() > 0 && queue_.size() < max_batch && !stopping_) {
        queue_cv_.wait_for(lock, options_.max_batch_delay,
                           [&] { return queue_.size() >= max_batch || stopping_; });
      }
      while (!queue_.empty() && batch.size() < max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    RunBatch(batch);
    batch.clear();
  }
}

void SqliteStore::RunBatch(std::vector<WriteRequest>& batch) {
  std::vector<Status> results(batch.size());
  std::vector<size_t> todo(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) {
    todo[i] = i;
  }
  int64_t transactions = 0;
  for (;;) {
    size_t broken = 0;
    ++transactions;
    if (RunTransaction(batch, todo, results, &broken)) {
      break;
    }
    // One write failed half-way (its status is in results): run the others again without it,
    // unless the storage itself is failing, in which case they fail with it.
    const Status failure = results[todo[broken]];
    todo.erase(todo.begin() + static_cast<std::ptrdiff_t>(broken));
    if (failure.code() == StatusCode::Unavailable || todo.empty()) {
      for (size_t index : todo) {
        results[index] = failure.WithPrefix("rolled back with the rest of its batch");
      }
      break;
    }
  }
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    stats_.batches += transactions;
    stats_.writes += static_cast<int64_t>(batch.size());
    stats_.max_batch_size = std::max(stats_.max_batch_size, static_cast<int64_t>(batch.size()));
    for (const Status& result : results) {
      if (result.code() == StatusCode::Unavailable) {
        stats_.failed_batches += 1;  // once per batch
        break;
      }
    }
  }
  for (size_t i = 0; i < batch.size(); ++i) {
    batch[i].done(std::move(results[i]));
  }
}

bool SqliteStore::RunTransaction(std::vector<WriteRequest>& batch, const std::vector<size_t>& todo,
                                 std::vector<Status>& results, size_t* broken) {
  sqlite::SqliteDb& db = *writer_;
  Status begin = db.Run("BEGIN IMMEDIATE");
  if (!begin.ok()) {
    for (size_t index : todo) {
      results[index] = begin;
    }
    return true;
  }
  Status aborted;  // set when the transaction cannot go on
  size_t position = 0;
  for (; position < todo.size(); ++position) {
    WriteRequest& request = batch[todo[position]];
    Status status;
    if (request.savepoint) {
      status = db.Run("SAVEPOINT w");
      if (status.ok()) {
        status = request.apply(db, nullptr);
        if (status.ok()) {
          status = db.Run("RELEASE w");
        } else if (db.InTransaction()) {
          Status rollback = db.Run("ROLLBACK TO w");
          if (rollback.ok()) {
            rollback = db.Run("RELEASE w");
          }
          if (!rollback.ok()) {
            aborted = rollback;
          }
        }
      }
    } else {
      bool wrote = false;
      status = request.apply(db, &wrote);
      if (!status.ok() && wrote) {
        results[todo[position]] = status;
        if (db.InTransaction()) {
          db.Run("ROLLBACK").IgnoreError();
        }
        *broken = position;
        return false;
      }
    }
    results[todo[position]] = status;
    if (aborted.ok() && !db.InTransaction()) {
      aborted = status.ok() ? Unavailable("sqlite: the transaction was rolled back") : status;
    }
    if (!aborted.ok()) {
      ++position;
      break;
    }
  }
  Status commit = aborted;
  if (commit.ok()) {
    commit = db.Run("COMMIT");
  }
  if (!commit.ok()) {
    if (db.InTransaction()) {
      db.Run("ROLLBACK").IgnoreError();
    }
    Status failure = commit.WithPrefix("commit failed, nothing of this write was applied");
    for (size_t index : todo) {
      if (results[index].ok()) {
        results[index] = failure;
      }
    }
  }
  return true;
}

SqliteStats SqliteStore::stats() {
  std::lock_guard<std::mutex> lock(queue_mu_);
  return stats_;
}

Status SqliteStore::SetMaxPageCountForTest(int64_t pages) {
  return WriteSync([pages](sqlite::SqliteDb& db) {
    return db.Exec("PRAGMA max_page_count = " +
                   std::to_string(pages > 0 ? pages : kDefaultMaxPageCount));
  });
}

// --- Readers ----------------------------------------------------------------------------------

SqliteStore::Reader::~Reader() {
  if (db_ == nullptr) {
    return;
  }
  std::lock_guard<std::mutex> lock(store_->readers_mu_);
  if (static_cast<int>(store_->idle_readers_.size()) < store_->options_.readers) {
    store_->idle_readers_.push_back(std::move(db_));
  }
}

Result<SqliteStore::Reader> SqliteStore::AcquireReader() {
  {
    std::lock_guard<std::mutex> lock(readers_mu_);
    if (!idle_readers_.empty()) {
      std::unique_ptr<sqlite::SqliteDb> db = std::move(idle_readers_.back());
      idle_readers_.pop_back();
      return Reader(this, std::move(db));
    }
  }
  ASSIGN_OR_RETURN(std::unique_ptr<sqlite::SqliteDb> db,
                   sqlite::SqliteDb::Open(path_, kBusyTimeoutMs));
  RETURN_IF_ERROR(db->Exec("PRAGMA query_only = 1"));
  return Reader(this, std::move(db));
}

// --- Writes -----------------------------------------------------------------------------------

void SqliteStore::CreateExecutionAsync(ExecutionRecord execution, Transition initial,
                                       WriteCallback done) {
  std::string chunk;
  store::internal::EncodeHistoryChunk(initial.events, &chunk);
  Submit(WriteRequest{[execution = std::move(execution), initial = std::move(initial),
                       chunk = std::move(chunk)](sqlite::SqliteDb& db, bool* wrote) {
                        return sqlite::CreateExecution(db, execution, initial, chunk, wrote);
                      },
                      false, std::move(done)});
}

void SqliteStore::CommitTransitionAsync(Transition transition, WriteCallback done) {
  // The events are packed here, on the caller's thread: the committer only binds the blob.
  std::string chunk;
  store::internal::EncodeHistoryChunk(transition.events, &chunk);
  Submit(WriteRequest{[transition = std::move(transition), chunk = std::move(chunk)](
                          sqlite::SqliteDb& db, bool* wrote) {
                        return sqlite::CommitTransition(db, transition, chunk, wrote);
                      },
                      false, std::move(done)});
}

Result<Lease> SqliteStore::AcquireLease(const std::string& execution_arn, const std::string& owner,
                                        EpochMillis now, int64_t ttl_millis) {
  Lease lease;
  RETURN_IF_ERROR(WriteSync([&](sqlite::SqliteDb& db) {
    return sqlite::AcquireLease(db, execution_arn, owner, now, ttl_millis, &lease);
  }));
  return lease;
}

Result<Lease> SqliteStore::RenewLease(const std::string& execution_arn, const Lease& lease,
                                      EpochMillis now, int64_t ttl_millis) {
  Lease renewed;
  RETURN_IF_ERROR(WriteSync([&](sqlite::SqliteDb& db) {
    return sqlite::RenewLease(db, execution_arn, lease, now, ttl_millis, &renewed);
  }));
  return renewed;
}

Status SqliteStore::ReleaseLease(const std::string& execution_arn, const Lease& lease) {
  return WriteSync(
      [&](sqlite::SqliteDb& db) { return sqlite::ReleaseLease(db, execution_arn, lease); });
}

Result<std::optional<TaskTokenRecord>> SqliteStore::ClaimActivityTask(
    const std::string& activity_arn, const std::string& worker_name, EpochMillis now) {
  std::optional<TaskTokenRecord> claimed;
  RETURN_IF_ERROR(WriteSync([&](sqlite::SqliteDb& db) {
    return sqlite::ClaimActivityTask(db, activity_arn, worker_name, now, &claimed);
  }));
  return claimed;
}

Status SqliteStore::CreateStateMachine(const StateMachineRecord& record) {
  return WriteSync([&](sqlite::SqliteDb& db) { return sqlite::CreateStateMachine(db, record); });
}

Status SqliteStore::UpdateStateMachine(const StateMachineRecord& record,
                                       std::optional<std::string> expected_revision_id) {
  return WriteSync([&](sqlite::SqliteDb& db) {
    return sqlite::UpdateStateMachine(db, record, expected_revision_id);
  });
}

Status SqliteStore::DeleteStateMachine(const std::string& arn) {
  return WriteSync([&](sqlite::SqliteDb& db) { return sqlite::DeleteStateMachine(db, arn); });
}

Result<StateMachineRecord> SqliteStore::PublishVersion(const std::string& parent_arn,
                                                       StateMachineRecord version) {
  RETURN_IF_ERROR(WriteSync(
      [&](sqlite::SqliteDb& db) { return sqlite::PublishVersion(db, parent_arn, &version); }));
  return version;
}

Status SqliteStore::CreateActivity(const ActivityRecord& record) {
  return WriteSync([&](sqlite::SqliteDb& db) { return sqlite::CreateActivity(db, record); });
}

Status SqliteStore::DeleteActivity(const std::string& arn) {
  return WriteSync([&](sqlite::SqliteDb& db) { return sqlite::DeleteActivity(db, arn); });
}

Status SqliteStore::TagResource(const std::string& arn,
                                const std::map<std::string, std::string>& tags) {
  return WriteSync([&](sqlite::SqliteDb& db) { return sqlite::TagResource(db, arn, tags); });
}

Status SqliteStore::UntagResource(const std::string& arn, const std::vector<std::string>& keys) {
  return WriteSync([&](sqlite::SqliteDb& db) { return sqlite::UntagResource(db, arn, keys); });
}

// --- Reads ------------------------------------------------------------------------------------

Result<ExecutionRecord> SqliteStore::GetExecution(const std::string& arn) {
  ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  return sqlite::GetExecution(reader.db(), arn);
}

Result<Page<ExecutionRecord>> SqliteStore::ListExecutions(const ExecutionFilter& filter,
                                                          const PageRequest& page) {
  ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  return sqlite::ListExecutions(reader.db(), filter, page);
}

Result<Page<ExecutionRecord>> SqliteStore::ListRunningExecutions(
    std::optional<EpochMillis> unleased_at, const PageRequest& page) {
  ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  return sqlite::ListRunningExecutions(reader.db(), unleased_at, page);
}

Result<std::vector<HistoryEventRecord>> SqliteStore::GetHistory(const std::string& execution_arn,
                                                                int64_t from_id, int limit,
                                                                bool reverse) {
  ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  return sqlite::GetHistory(reader.db(), execution_arn, from_id, limit, reverse);
}

Result<std::vector<TimerRecord>> SqliteStore::DueTimers(EpochMillis now, int limit) {
  ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  return sqlite::DueTimers(reader.db(), now, limit);
}

Result<TaskTokenRecord> SqliteStore::GetTaskToken(const std::string& token) {
  ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  return sqlite::GetTaskToken(reader.db(), token);
}

Result<std::string> SqliteStore::FindMapRun(const std::string& map_run_arn) {
  ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  return sqlite::FindMapRun(reader.db(), map_run_arn);
}

Result<StateMachineRecord> SqliteStore::GetStateMachine(const std::string& arn) {
  ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  return sqlite::GetStateMachine(reader.db(), arn);
}

Result<Page<StateMachineRecord>> SqliteStore::ListStateMachines(const StateMachineFilter& filter,
                                                                const PageRequest& page) {
  ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  return sqlite::ListStateMachines(reader.db(), filter, page);
}

Result<ActivityRecord> SqliteStore::GetActivity(const std::string& arn) {
  ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  return sqlite::GetActivity(reader.db(), arn);
}

Result<Page<ActivityRecord>> SqliteStore::ListActivities(const PageRequest& page) {
  ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  return sqlite::ListActivities(reader.db(), page);
}

Result<std::map<std::string, std::string>> SqliteStore::ListTags(const std::string& arn) {
  ASSIGN_OR_RETURN(Reader reader, AcquireReader());
  return sqlite::ListTags(reader.db(), arn);
}

}  // namespace stepfn::store
