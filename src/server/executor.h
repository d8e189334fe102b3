// Executor: runs executions. Each execution is advanced by the pure step function (eval::Step);
// each Step's events, new state, timers and task tokens are committed to the store in one
// transition BEFORE any of its effects (tasks run, timers armed, callers answered) happen, so a
// crash at any moment loses nothing that anyone was told about.
//
// Shape:
// - Live executions are kept in memory (program, decoded state, the inputs waiting for them).
//   An execution is advanced by one worker at a time; different executions in parallel on a
//   pool of workers. Commits are asynchronous: a worker hands a transition to the store and goes
//   on with another execution, so the store's group commit batches many executions per fsync.
// - Inputs (task results, fired timers, StopExecution, callbacks) go to an execution's inbox;
//   Deliver's `committed` callback runs once the transition that consumed the input is durable.
// - STANDARD executions use the durable store; EXPRESS ones an in-memory store (their history
//   kept for inspection), with the same code.
// - Recover() loads every RUNNING execution after a restart and continues it: tasks in flight
//   are issued again (their results were not committed), timers re-armed from the state.
//
// Thread safety: every public method may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "asl/program.h"
#include "common/clock.h"
#include "common/idle_spin.h"
#include "common/status.h"
#include "engine/mock_config.h"
#include "eval/step.h"
#include "server/program_cache.h"
#include "server/timer_queue.h"
#include "services/task_service.h"
#include "store/store.h"

namespace stepfn::server {

struct ExecutorOptions {
  int workers = 0;  // 0: one per core
  // How often a transition that failed to commit (disk full) is tried again.
  int64_t retry_millis = 500;
  // Waits, retry intervals and timeouts last this many times their length (0: no waiting).
  // For tests of long-running workflows; history timestamps still say what was asked.
  double time_scale = 1.0;
  // Ended EXPRESS executions kept in memory for inspection (the oldest are forgotten first).
  size_t express_kept = 10'000;
  // How long an idle worker keeps polling the queue before it sleeps (common/idle_spin.h);
  // 0 sleeps at once.
  std::chrono::microseconds idle_spin = kDefaultIdleSpin;
};

// Everything needed to start one execution (the API resolved names, ARNs and versions).
struct Launch {
  store::ExecutionRecord record;  // arn, name, machine ARNs, input, definition, start_date
  std::shared_ptr<const asl::Program> program;
  eval::ExecutionInfo info;  // execution_arn, names, role, start_time, express, limits
  json::Value input;
  std::string mock_test_case;  // AWS Step Functions Local's "<machine ARN>#<test case>"
  std::string trace_header;    // StartExecution's traceHeader ("" when none; for traces)
};

// What observers (metrics, execution logs, traces) learn of each committed Step.
struct CommitReport {
  std::string_view execution_arn;
  std::string_view state_machine_arn;  // unqualified; "" when not known
  std::string_view state_machine_name;
  bool express = false;
  // The Step's history events (ids, types, timestamps, state names, payloads).
  std::span<const eval::HistoryEvent> events;
  // From handing the transition to the store to its outcome.
  int64_t commit_micros = 0;
  Status status;       // the commit's outcome; on failure nothing of the Step happened
  bool ended = false;  // the execution ended with this Step (see its last event)
  // StartExecution's traceHeader; "" when none was given (kept across restarts).
  std::string_view trace_header;
};

// Observers are called on executor threads, for every commit, in commit order per execution
// (executions in parallel): keep them quick and thread-safe.
class ExecutorObserver {
 public:
  virtual ~ExecutorObserver() = default;
  virtual void OnCommit(const CommitReport& report) = 0;
};

// Called once an execution ends, with its final record (status, output, error, cause, dates).
using EndCallback = std::function<void(const store::ExecutionRecord&)>;

class Executor {
 public:
  Executor(store::Store* durable, Clock* clock, const engine::MockConfig* mocks,
           ExecutorOptions options = {});
  ~Executor();  // Stop()

  ProgramCache& programs() { return programs_; }
  // Adds an observer (before the first execution starts; it must outlive the executor).
  void AddObserver(ExecutorObserver* observer) { observers_.push_back(observer); }
  // The services that run Task states after mocks (before the first execution starts; they
  // must outlive the executor's use of them: until Stop). Without one, a Task that no mock
  // answers and no token waits for fails with "No service answers the resource ...".
  void SetTaskServices(services::TaskServices* services) { task_services_ = services; }
  // The store that holds an execution: EXPRESS ARNs live in memory.
  store::Store* StoreFor(std::string_view execution_arn);
  store::Store* express_store() { return express_.get(); }

  // Continues every RUNNING execution of the durable store (after a restart).
  Status Recover();

  // Starts an execution: runs its first Step and commits it with the record. `started` gets
  // OK once that is durable, or the store's error (AlreadyExists for a taken ARN). `ended`,
  // when given, is called when the execution ends (StartSyncExecution).
  void Start(Launch launch, std::function<void(Status)> started, EndCallback ended = nullptr);

  // Hands an input to a live execution. `committed` (may be null) gets OK once the
  // transition that consumed it is durable, NotFound when the execution is not running here,
  // FailedPrecondition when it ended before consuming the input.
  void Deliver(const std::string& execution_arn, eval::Input input,
               std::function<void(Status)> committed);

  // RedriveExecution: revives an execution that ended FAILED, TIMED_OUT or ABORTED and runs its
  // unsuccessful states again. `done` gets the redrive date once the revival is durable;
  // FailedPrecondition with AWS's reason ("Execution is SUCCEEDED and cannot be redriven.")
  // when it cannot be redriven; NotFound when there is no such execution.
  void Redrive(const std::string& execution_arn, std::function<void(Result<EpochMillis>)> done);

  // Long polls of GetActivityTask: `wake` is called (once) when a task for `activity_arn` was
  // queued, or never; returns an id for Unwait.
  uint64_t WaitForActivity(const std::string& activity_arn, std::function<void()> wake);
  void Unwait(uint64_t id);

  // Stops the workers and timers; live executions stay RUNNING in the store (a restart
  // recovers them).
  void Stop();

  size_t live_count() const;
  uint64_t transitions() const { return transitions_.load(std::memory_order_relaxed); }

 private:
  struct Live;
  struct InboxEntry {
    eval::Input input;
    std::function<void(Status)> committed;
  };
  struct Batch;
  // Lets task outcomes and store answers that arrive after Stop find no executor (see
  // RunServiceTask, Gated); Stop waits for those being delivered (`running`) before it goes on.
  struct Gate {
    std::mutex mu;
    std::condition_variable idle;
    Executor* executor = nullptr;
    int running = 0;
  };

  std::shared_ptr<Live> Find(const std::string& arn) const;
  void Schedule(const std::shared_ptr<Live>& live);  // REQUIRES: live->busy was just set
  void Post(std::function<void()> work);
  // A store callback that runs only while the executor does: the SQLite store answers on its
  // committer thread, which outlives the executor, so an answer that comes after Stop is
  // dropped (the write is durable; a restart recovers the execution), and Stop waits for the
  // answers under way.
  std::function<void(Status)> Gated(std::function<void(Status)> done);
  // Runs `work` after the store answered a write of `live`: at once, or on a worker.
  void AfterStore(const Live& live, std::function<void()> work);
  void WorkerLoop();
  void Advance(const std::shared_ptr<Live>& live);
  // `redrive`: eval::Redrive instead of Step, and the transition revives the execution.
  void RunStep(Live& live, Batch& batch, store::Transition* t, bool redrive = false);
  void AfterCommit(const std::shared_ptr<Live>& live, const std::shared_ptr<Batch>& batch,
                   Status status);
  void Dispatch(Live& live, const eval::Command& command);
  // Hands a RunTask to the task service that handles its resource; false when none does.
  bool RunServiceTask(Live& live, const eval::Command& command);
  // A task service's outcome: like Deliver, but an idle EXPRESS execution is advanced right
  // here, on the thread that got the outcome (its store answers inline), instead of waking a
  // worker: the hop would cost more than the Step.
  void DeliverTaskOutcome(const std::string& execution_arn, eval::Input input);
  // Drops a live execution (it ended, or is no longer ours); inputs still waiting get `why`.
  void Forget(const std::shared_ptr<Live>& live, const Status& why);
  // When a timer due at `fire_at` (execution time) fires, under options_.time_scale.
  EpochMillis ScaledFireTime(EpochMillis fire_at);
  // REQUIRES: live.mu held.
  bool FireEarliestTimerIfIdle(Live& live);
  void NotifyActivity(const std::string& activity_arn);
  // Back to the last committed state (after a failed commit, or to recover).
  Status Reload(Live& live);
  Status RecoverOne(store::ExecutionRecord record);

  store::Store* const durable_;
  std::unique_ptr<store::Store> express_;
  Clock* const clock_;
  const engine::MockConfig* const mocks_;
  services::TaskServices* task_services_ = nullptr;
  std::shared_ptr<Gate> gate_ = std::make_shared<Gate>();
  const ExecutorOptions options_;
  ProgramCache programs_;

  mutable std::mutex live_mu_;
  std::unordered_map<std::string, std::shared_ptr<Live>> live_;

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<std::function<void()>> queue_;
  bool stopping_ = false;
  // Workers polling the queue before they sleep (common/idle_spin.h); guarded by queue_mu_.
  size_t spinning_ = 0;
  // queue_.size(), readable without the lock (by spinning workers).
  std::atomic<size_t> queued_{0};
  std::vector<std::thread> workers_;

  std::mutex activity_mu_;
  uint64_t next_waiter_ = 1;
  std::unordered_map<uint64_t, std::pair<std::string, std::function<void()>>> activity_waiters_;

  std::atomic<uint64_t> transitions_{0};
  std::vector<ExecutorObserver*> observers_;
  std::atomic<uint64_t> commit_failures_{0};
  std::atomic<int64_t> last_failure_log_{0};
  std::unique_ptr<TimerQueue> timers_;
};

}  // namespace stepfn::server
