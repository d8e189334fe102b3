#include "server/executor.h"

#include <algorithm>

#include "eval/history_codec.h"
#include "eval/state_codec.h"
#include "json/write.h"
#include "server/execution_blob.h"
#include "server/log.h"
#include "store/memory_store.h"

namespace stepfn::server {

struct Executor::Live {
  // Constant after creation.
  std::string arn;
  std::string state_machine_arn;  // the machine's, unqualified (for observers)
  std::shared_ptr<const asl::Program> program;
  store::Store* store = nullptr;
  bool express = false;
  std::string test_case;
  std::string trace_header;
  std::optional<engine::MockConfig::TestCase> mocks;
  // Only for executions someone waits on (StartSyncExecution): the record to answer with.
  std::unique_ptr<store::ExecutionRecord> summary;

  // Owned by the worker that holds `busy`.
  std::unique_ptr<eval::ExecutionState> state;
  int64_t version = 0;
  std::map<uint64_t, EpochMillis> timers;            // armed timers
  std::unordered_map<uint64_t, std::string> tokens;  // task id -> its token
  // Tasks handed to a task service (for CancelTask), until their outcome is consumed.
  std::unordered_map<uint64_t, services::TaskService*> service_tasks;
  bool ended = false;

  std::mutex mu;
  // Guarded by mu.
  std::vector<InboxEntry> inbox;
  bool busy = false;
  EndCallback on_end;
};

// One Step's worth of work between the worker that ran it and the commit's outcome.
struct Executor::Batch {
  std::vector<eval::Input> inputs;
  std::vector<std::function<void(Status)>> committed;
  std::vector<eval::Command> commands;
  std::vector<std::string> activities;     // activities that got a task
  std::vector<eval::HistoryEvent> events;  // for observers
  int64_t handed_to_store = 0;             // MonotonicNanos when the commit began
  int64_t store_answered = 0;              // and when the store called back
  bool more = false;
};

namespace {

store::ExecutionStatus StoreStatus(eval::ExecutionStatus s) {
  switch (s) {
    case eval::ExecutionStatus::Running:
      return store::ExecutionStatus::Running;
    case eval::ExecutionStatus::Succeeded:
      return store::ExecutionStatus::Succeeded;
    case eval::ExecutionStatus::Failed:
      return store::ExecutionStatus::Failed;
    case eval::ExecutionStatus::TimedOut:
      return store::ExecutionStatus::TimedOut;
    case eval::ExecutionStatus::Aborted:
      return store::ExecutionStatus::Aborted;
  }
  return store::ExecutionStatus::Failed;
}

bool IsActivity(const std::string& resource) {
  return resource.find(":activity:") != std::string::npos;
}

// `keep_payload`: the payload stays a value (for the in-memory store, which never needs its
// text unless the history is read).
store::HistoryEventRecord EventRecord(const eval::HistoryEvent& e, bool keep_payload) {
  store::HistoryEventRecord r;
  r.id = e.id;
  r.previous_event_id = e.previous_event_id;
  r.timestamp = e.timestamp;
  r.type = std::string(eval::EventTypeName(e.type));
  // Compact details: GetExecutionHistory renders the JSON when it reads them.
  if (keep_payload) {
    eval::EncodeCompactDetailsHead(e, &r.details);
    r.payload = e.payload;
  } else {
    eval::EncodeCompactDetails(e, &r.details);
  }
  return r;
}

}  // namespace

Executor::Executor(store::Store* durable, Clock* clock, const engine::MockConfig* mocks,
                   ExecutorOptions options)
    : durable_(durable),
      express_(std::make_unique<store::MemoryStore>(options.express_kept)),
      clock_(clock),
      mocks_(mocks),
      options_(options) {
  gate_->executor = this;
  int n = options_.workers > 0 ? options_.workers
                               : std::max(1, static_cast<int>(std::thread::hardware_concurrency()));
  for (int i = 0; i < n; ++i) workers_.emplace_back([this] { WorkerLoop(); });
  timers_ = std::make_unique<TimerQueue>(clock_, [this](const std::string& arn, uint64_t id) {
    if (id == 0) {  // a commit to try again
      if (auto live = Find(arn)) Post([this, live] { Advance(live); });
      return;
    }
    Deliver(arn, {eval::InputKind::TimerFired, id, {}, {}, {}}, nullptr);
  });
}

Executor::~Executor() { Stop(); }

void Executor::Stop() {
  {
    std::unique_lock<std::mutex> lock(gate_->mu);
    gate_->executor = nullptr;
    gate_->idle.wait(lock, [this] { return gate_->running == 0; });
  }
  if (timers_) timers_->Stop();
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  queue_cv_.notify_all();
  for (auto& t : workers_) t.join();
  workers_.clear();
}

store::Store* Executor::StoreFor(std::string_view execution_arn) {
  return execution_arn.find(":express:") != std::string_view::npos ? express_.get() : durable_;
}

size_t Executor::live_count() const {
  std::lock_guard<std::mutex> lock(live_mu_);
  return live_.size();
}

std::shared_ptr<Executor::Live> Executor::Find(const std::string& arn) const {
  std::lock_guard<std::mutex> lock(live_mu_);
  auto it = live_.find(arn);
  return it == live_.end() ? nullptr : it->second;
}

void Executor::Post(std::function<void()> work) {
  bool wake;
  {
    std::lock_guard<std::mutex> lock(queue_mu_);
    if (stopping_) return;
    queue_.push_back(std::move(work));
    queued_.store(queue_.size(), std::memory_order_release);
    // A spinning worker takes the work without a wake-up; sleepers are woken for the rest.
    wake = queue_.size() > spinning_;
  }
  if (wake) queue_cv_.notify_one();
}

std::function<void(Status)> Executor::Gated(std::function<void(Status)> done) {
  return [gate = gate_, done = std::move(done)](Status status) {
    {
      std::lock_guard<std::mutex> lock(gate->mu);
      if (gate->executor == nullptr) return;
      ++gate->running;
    }
    done(std::move(status));
    std::lock_guard<std::mutex> lock(gate->mu);
    if (--gate->running == 0) gate->idle.notify_all();
  };
}

void Executor::AfterStore(const Live& live, std::function<void()> work) {
  // The in-memory store (EXPRESS) answers on the calling thread with no lock held: go on right
  // here (a StartSyncExecution of pure states then runs start to end on the request's thread).
  // The SQLite store answers on its committer thread, which must not do our work.
  if (live.express) {
    work();
  } else {
    Post(std::move(work));
  }
}

void Executor::Schedule(const std::shared_ptr<Live>& live) {
  Post([this, live] { Advance(live); });
}

void Executor::WorkerLoop() {
  IdleSpin idle(options_.idle_spin);
  std::unique_lock<std::mutex> lock(queue_mu_);
  while (true) {
    // Poll a while before sleeping: the next work (a Lambda's answer, the next step) often
    // comes within microseconds, and waking from sleep costs more.
    while (queue_.empty() && !stopping_) {
      ++spinning_;
      lock.unlock();
      bool open = true;
      while (queued_.load(std::memory_order_acquire) == 0 && (open = idle.Spin())) {
      }
      lock.lock();
      --spinning_;
      if (!open) break;
    }
    queue_cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    std::function<void()> work = std::move(queue_.front());
    queue_.pop_front();
    queued_.store(queue_.size(), std::memory_order_release);
    lock.unlock();
    work();
    idle.Worked();
    lock.lock();
  }
}

void Executor::Start(Launch launch, std::function<void(Status)> started, EndCallback ended) {
  auto live = std::make_shared<Live>();
  live->arn = launch.record.arn;
  live->state_machine_arn = launch.record.state_machine_arn;
  live->program = launch.program;
  live->express = launch.info.express;
  live->store = live->express ? express_.get() : durable_;
  live->test_case = launch.mock_test_case;
  live->trace_header = std::move(launch.trace_header);
  if (mocks_ != nullptr && !live->test_case.empty()) {
    live->mocks = mocks_->FindTestCase(launch.info.state_machine_name, live->test_case);
  }
  live->state = eval::NewExecution(*live->program, launch.info);
  live->busy = true;
  if (ended) {
    live->on_end = std::move(ended);
    // The summary is the record without its definition (not copied: set aside meanwhile).
    std::string definition = std::move(launch.record.definition);
    live->summary = std::make_unique<store::ExecutionRecord>(launch.record);
    launch.record.definition = std::move(definition);
  }
  {
    std::lock_guard<std::mutex> lock(live_mu_);
    if (!live_.emplace(live->arn, live).second) {
      started(AlreadyExists("execution " + live->arn + " already exists"));
      return;
    }
  }
  auto batch = std::make_shared<Batch>();
  batch->inputs.push_back({eval::InputKind::Start, 0, std::move(launch.input), {}, {}});
  store::Transition initial;
  RunStep(*live, *batch, &initial);
  live->store->CreateExecutionAsync(
      std::move(launch.record), std::move(initial),
      Gated([this, live, batch, started = std::move(started)](Status status) {
        batch->store_answered = MonotonicNanos();
        AfterStore(*live, [this, live, batch, started, status] {
          if (!status.ok()) {
            {
              std::lock_guard<std::mutex> lock(live_mu_);
              auto it = live_.find(live->arn);
              if (it != live_.end() && it->second == live) live_.erase(it);
            }
            started(status);
            return;
          }
          started(Status::Ok());
          AfterCommit(live, batch, Status::Ok());
        });
      }));
}

void Executor::Deliver(const std::string& execution_arn, eval::Input input,
                       std::function<void(Status)> committed) {
  std::shared_ptr<Live> live = Find(execution_arn);
  if (live == nullptr) {
    if (committed) committed(NotFound("execution " + execution_arn + " is not running here"));
    return;
  }
  bool schedule = false;
  {
    std::lock_guard<std::mutex> lock(live->mu);
    live->inbox.push_back({std::move(input), std::move(committed)});
    if (!live->busy) {
      live->busy = true;
      schedule = true;
    }
  }
  if (schedule) Schedule(live);
}

void Executor::Advance(const std::shared_ptr<Live>& live) {
  auto batch = std::make_shared<Batch>();
  {
    std::lock_guard<std::mutex> lock(live->mu);
    batch->inputs.reserve(live->inbox.size());
    for (InboxEntry& e : live->inbox) {
      batch->inputs.push_back(std::move(e.input));
      if (e.committed) batch->committed.push_back(std::move(e.committed));
    }
    live->inbox.clear();
  }
  for (const eval::Input& in : batch->inputs) {
    if (in.kind == eval::InputKind::TaskSucceeded || in.kind == eval::InputKind::TaskFailed) {
      live->service_tasks.erase(in.id);
    }
  }
  store::Transition t;
  RunStep(*live, *batch, &t);
  live->store->CommitTransitionAsync(
      std::move(t), Gated([this, live, batch](Status status) {
        batch->store_answered = MonotonicNanos();
        AfterStore(*live, [this, live, batch, status] { AfterCommit(live, batch, status); });
      }));
}

// Runs one Step over batch.inputs and turns what it produced into the transition to commit:
// events, timers and tokens to add and delete, the status update, the new state.
void Executor::RunStep(Live& live, Batch& batch, store::Transition* t, bool redrive) {
  EpochMillis now = clock_->NowMillis();
  eval::StepOutput out;
  const size_t map_runs_before = live.state->map_runs.size();
  if (redrive) {
    eval::Redrive(*live.program, *live.state, now, &out);
    store::StatusUpdate revive;
    revive.status = store::ExecutionStatus::Running;
    revive.redrive_date = now;
    t->status_update = std::move(revive);
  } else {
    eval::Step(*live.program, *live.state, batch.inputs, now, &out);
  }
  transitions_.fetch_add(1, std::memory_order_relaxed);
  t->execution_arn = live.arn;
  t->expected_version = live.version;
  t->events.reserve(out.events.size());
  for (const eval::HistoryEvent& e : out.events) {
    t->events.push_back(EventRecord(e, live.express));
  }
  for (const eval::Input& in : batch.inputs) {
    if (in.kind == eval::InputKind::TimerFired) {
      if (live.timers.erase(in.id) != 0) t->timers_to_delete.push_back(static_cast<int64_t>(in.id));
    } else if (in.kind == eval::InputKind::TaskSucceeded ||
               in.kind == eval::InputKind::TaskFailed) {
      auto tok = live.tokens.find(in.id);
      if (tok != live.tokens.end() && !live.state->pending.count(in.id)) {
        t->tokens_to_delete.push_back(tok->second);
        live.tokens.erase(tok);
      }
    }
  }
  for (const eval::Command& c : out.commands) {
    switch (c.kind) {
      case eval::CommandKind::StartTimer:
        live.timers[c.id] = c.fire_at;
        t->timers_to_add.push_back({live.arn, static_cast<int64_t>(c.id), c.fire_at, {}});
        break;
      case eval::CommandKind::CancelTimer:
        if (live.timers.erase(c.id) != 0) t->timers_to_delete.push_back(static_cast<int64_t>(c.id));
        break;
      case eval::CommandKind::RunTask:
        if (!c.task_token.empty()) {
          live.tokens[c.id] = c.task_token;
          store::TaskTokenRecord token;
          token.token = c.task_token;
          token.task_id = static_cast<int64_t>(c.id);
          if (IsActivity(c.state->resource)) {
            token.activity_arn = c.state->resource;
            token.input = json::Write(c.parameters);
            batch.activities.push_back(c.state->resource);
          }
          token.created = now;
          t->tokens_to_add.push_back(std::move(token));
        }
        break;
      case eval::CommandKind::CancelTask: {
        auto tok = live.tokens.find(c.id);
        if (tok != live.tokens.end()) {
          t->tokens_to_delete.push_back(tok->second);
          live.tokens.erase(tok);
        }
        break;
      }
    }
  }
  // Distributed Map runs started by this Step: DescribeMapRun finds the execution by them.
  for (size_t i = map_runs_before; i < live.state->map_runs.size(); ++i) {
    t->map_runs_to_add.push_back(eval::MapRunArn(*live.state, i));
  }
  eval::ExecutionStatus status = eval::Status(*live.state);
  if (status != eval::ExecutionStatus::Running) {
    live.ended = true;
    store::StatusUpdate update;
    update.status = StoreStatus(status);
    if (status == eval::ExecutionStatus::Succeeded) {
      update.output = json::Write(eval::Output(*live.state));
    } else {
      update.error = eval::Failure(*live.state).error;
      update.cause = eval::Failure(*live.state).cause;
    }
    update.stop_date = now;
    if (live.summary) {
      live.summary->status = update.status;
      live.summary->output = update.output;
      live.summary->error = update.error;
      live.summary->cause = update.cause;
      live.summary->stop_date = now;
    }
    t->status_update = std::move(update);
    live.timers.clear();
    live.tokens.clear();
  }
  // EXPRESS executions are never recovered: their state need not be written.
  if (!live.express) {
    EncodeExecutionBlob(live.test_case, live.trace_header, live.timers,
                        eval::EncodeState(*live.program, *live.state), &t->state);
  }
  batch.commands = std::move(out.commands);
  if (!observers_.empty()) {
    batch.events.assign(std::make_move_iterator(out.events.begin()),
                        std::make_move_iterator(out.events.end()));
  }
  batch.handed_to_store = MonotonicNanos();
  batch.more = out.more;
}

void Executor::AfterCommit(const std::shared_ptr<Live>& live, const std::shared_ptr<Batch>& batch,
                           Status status) {
  if (!observers_.empty()) {
    CommitReport report;
    report.execution_arn = live->arn;
    report.state_machine_arn = live->state_machine_arn;
    if (live->state->info) report.state_machine_name = live->state->info->state_machine_name;
    report.express = live->express;
    report.events = batch->events;
    report.commit_micros = (batch->store_answered - batch->handed_to_store) / 1000;
    report.status = status;
    report.ended = status.ok() && live->ended;
    report.trace_header = live->trace_header;
    for (ExecutorObserver* o : observers_) o->OnCommit(report);
  }
  if (!status.ok()) {
    // At most one line a second: a full disk fails every execution's commits at once.
    int64_t now_ns = MonotonicNanos();
    int64_t last = last_failure_log_.load(std::memory_order_relaxed);
    uint64_t failures = commit_failures_.fetch_add(1, std::memory_order_relaxed) + 1;
    if (now_ns - last > 1'000'000'000 &&
        last_failure_log_.compare_exchange_strong(last, now_ns, std::memory_order_relaxed)) {
      Log(LogLevel::Error, "transition not committed; retrying",
          {{"execution", live->arn},
           {"error", status.ToString()},
           {"failed_commits_so_far", std::to_string(failures)}});
    }
    // Nothing of the Step happened: go back to the committed state and try the same inputs
    // again later (a full disk may get space back). A lost lease or a conflict means another
    // writer owns the execution now: forget it here.
    Status reloaded =
        status.code() == StatusCode::FailedPrecondition || status.code() == StatusCode::NotFound
            ? status
            : Reload(*live);
    if (!reloaded.ok()) {
      Forget(live, FailedPrecondition("execution " + live->arn + " is no longer run here"));
      for (auto& cb : batch->committed) cb(reloaded);
      return;
    }
    {
      std::lock_guard<std::mutex> lock(live->mu);
      std::vector<InboxEntry> again;
      again.reserve(batch->inputs.size() + live->inbox.size());
      size_t cb = 0;
      for (eval::Input& in : batch->inputs) {
        InboxEntry e{std::move(in), nullptr};
        again.push_back(std::move(e));
      }
      // The callbacks ride on the first retried input: they are answered when it commits.
      if (!again.empty()) {
        auto callbacks = std::move(batch->committed);
        again.front().committed = [callbacks](Status s) {
          for (const auto& c : callbacks) c(s);
        };
      }
      (void)cb;
      for (InboxEntry& e : live->inbox) again.push_back(std::move(e));
      live->inbox = std::move(again);
    }
    timers_->Add(live->arn, 0, clock_->NowMillis() + options_.retry_millis);
    return;
  }
  live->version += 1;
  for (auto& cb : batch->committed) cb(Status::Ok());
  for (const eval::Command& c : batch->commands) Dispatch(*live, c);
  for (const std::string& activity : batch->activities) NotifyActivity(activity);
  if (live->ended) {
    Forget(live, FailedPrecondition("execution " + live->arn + " has ended"));
    return;
  }
  bool again = false;
  {
    std::lock_guard<std::mutex> lock(live->mu);
    again = !live->inbox.empty() || batch->more || FireEarliestTimerIfIdle(*live);
    if (!again) live->busy = false;
  }
  if (again) Schedule(live);
}

// Under --time-scale 0 nothing waits, but timers still fire in the order of their due times:
// an execution with nothing else to do gets its earliest timer (as the local runner's virtual
// clock does), so a Wait ends before a later execution timeout.
bool Executor::FireEarliestTimerIfIdle(Live& live) {
  if (options_.time_scale != 0 || live.timers.empty() || !live.inbox.empty()) return false;
  auto earliest = live.timers.begin();
  for (auto it = live.timers.begin(); it != live.timers.end(); ++it) {
    if (it->second < earliest->second) earliest = it;
  }
  live.inbox.push_back({{eval::InputKind::TimerFired, earliest->first, {}, {}, {}}, nullptr});
  return true;
}

void Executor::Dispatch(Live& live, const eval::Command& c) {
  switch (c.kind) {
    case eval::CommandKind::StartTimer:
      // Under --time-scale 0 timers fire one at a time when the execution is idle.
      if (options_.time_scale != 0) timers_->Add(live.arn, c.id, ScaledFireTime(c.fire_at));
      return;
    case eval::CommandKind::CancelTimer:
      timers_->Cancel(live.arn, c.id);
      return;
    case eval::CommandKind::CancelTask: {
      auto it = live.service_tasks.find(c.id);
      if (it != live.service_tasks.end()) {
        it->second->Cancel(live.arn, c.id);
        live.service_tasks.erase(it);
      }
      return;
    }
    case eval::CommandKind::RunTask:
      break;
  }
  eval::Input answer;
  answer.id = c.id;
  if (live.mocks) {
    const engine::MockedAnswer* a = live.mocks->Find(c.state->name, c.retry_count);
    if (a != nullptr) {
      if (a->is_throw) {
        answer.kind = eval::InputKind::TaskFailed;
        answer.error = a->error.error;
        answer.cause = a->error.cause;
      } else {
        answer.kind = eval::InputKind::TaskSucceeded;
        answer.value = a->result;
      }
      std::lock_guard<std::mutex> lock(live.mu);
      live.inbox.push_back({std::move(answer), nullptr});
      return;
    }
  }
  if (RunServiceTask(live, c)) return;
  // Callbacks and activities wait for whoever holds the token (SendTaskSuccess, ...).
  if (!c.task_token.empty()) return;
  answer.kind = eval::InputKind::TaskFailed;
  answer.error = "States.TaskFailed";
  answer.cause = "No service answers the resource '" + c.state->resource +
                 "' on this server yet: give a mocked response for state '" + c.state->name +
                 "' (a mock configuration and a test case), or use an activity or a "
                 ".waitForTaskToken callback.";
  std::lock_guard<std::mutex> lock(live.mu);
  live.inbox.push_back({std::move(answer), nullptr});
}

bool Executor::RunServiceTask(Live& live, const eval::Command& c) {
  if (task_services_ == nullptr || IsActivity(c.state->resource)) return false;
  services::TaskService* service = task_services_->Find(c.state->resource);
  if (service == nullptr) return false;
  services::TaskRequest request;
  request.resource = c.state->resource;
  request.parameters = c.parameters;
  request.execution_arn = live.arn;
  request.state_name = c.state->name;
  request.retry_count = c.retry_count;
  request.timeout_seconds = c.timeout_seconds;
  request.task_token = c.task_token;
  request.trace_header = live.trace_header;
  request.task_id = c.id;
  live.service_tasks[c.id] = service;
  // A callback task (.waitForTaskToken) waits for its token after the service accepted it;
  // the service's failure fails it.
  const bool callback = !c.task_token.empty();
  service->Run(std::move(request),
               [gate = gate_, arn = live.arn, id = c.id, callback](services::TaskOutcome o) {
                 eval::Input in;
                 in.id = id;
                 if (auto* value = std::get_if<json::Value>(&o)) {
                   if (callback) return;
                   in.kind = eval::InputKind::TaskSucceeded;
                   in.value = std::move(*value);
                 } else {
                   auto& err = std::get<services::TaskError>(o);
                   in.kind = eval::InputKind::TaskFailed;
                   in.error = std::move(err.error);
                   in.cause = std::move(err.cause);
                 }
                 Executor* executor;
                 {
                   std::lock_guard<std::mutex> lock(gate->mu);
                   executor = gate->executor;
                   if (executor == nullptr) return;
                   ++gate->running;
                 }
                 executor->DeliverTaskOutcome(arn, std::move(in));
                 std::lock_guard<std::mutex> lock(gate->mu);
                 if (--gate->running == 0) gate->idle.notify_all();
               });
  return true;
}

void Executor::DeliverTaskOutcome(const std::string& execution_arn, eval::Input input) {
  std::shared_ptr<Live> live = Find(execution_arn);
  if (live == nullptr) return;
  bool advance = false;
  {
    std::lock_guard<std::mutex> lock(live->mu);
    live->inbox.push_back({std::move(input), nullptr});
    if (!live->busy) {
      live->busy = true;
      advance = true;
    }
  }
  if (!advance) return;
  if (live->express) {
    Advance(live);
  } else {
    Schedule(live);
  }
}

EpochMillis Executor::ScaledFireTime(EpochMillis fire_at) {
  if (options_.time_scale == 1.0) return fire_at;
  EpochMillis now = clock_->NowMillis();
  if (fire_at <= now) return fire_at;
  return now + static_cast<EpochMillis>(static_cast<double>(fire_at - now) * options_.time_scale);
}

void Executor::Forget(const std::shared_ptr<Live>& live, const Status& why) {
  {
    std::lock_guard<std::mutex> lock(live_mu_);
    auto it = live_.find(live->arn);
    if (it != live_.end() && it->second == live) live_.erase(it);
  }
  std::vector<InboxEntry> left;
  EndCallback on_end;
  {
    std::lock_guard<std::mutex> lock(live->mu);
    left.swap(live->inbox);
    on_end = std::move(live->on_end);
    live->on_end = nullptr;
  }
  for (InboxEntry& e : left) {
    if (e.committed) e.committed(why);
  }
  if (on_end && live->ended && live->summary) on_end(*live->summary);
}

Status Executor::Reload(Live& live) {
  ASSIGN_OR_RETURN(store::ExecutionRecord record, live.store->GetExecution(live.arn));
  if (record.status != store::ExecutionStatus::Running) {
    return FailedPrecondition("execution " + live.arn + " is no longer running");
  }
  ASSIGN_OR_RETURN(ExecutionBlob blob, DecodeExecutionBlob(record.state));
  ASSIGN_OR_RETURN(std::unique_ptr<eval::ExecutionState> state,
                   eval::DecodeState(*live.program, blob.state));
  live.state = std::move(state);
  live.version = record.version;
  live.timers = std::move(blob.timers);
  live.tokens.clear();
  for (const eval::Command& c : eval::PendingTaskCommands(*live.program, *live.state)) {
    if (!c.task_token.empty()) live.tokens[c.id] = c.task_token;
  }
  live.ended = false;
  return Status::Ok();
}

Status Executor::Recover() {
  store::PageRequest page;
  page.limit = store::kMaxPageSize;
  size_t recovered = 0, failed = 0;
  while (true) {
    ASSIGN_OR_RETURN(store::Page<store::ExecutionRecord> running,
                     durable_->ListRunningExecutions(std::nullopt, page));
    for (store::ExecutionRecord& record : running.items) {
      Status s = RecoverOne(std::move(record));
      if (s.ok()) {
        ++recovered;
      } else {
        ++failed;
        Log(LogLevel::Error, "execution not recovered", {{"error", s.ToString()}});
      }
    }
    if (running.next_token.empty()) break;
    page.token = running.next_token;
  }
  Log(LogLevel::Info, "recovery done",
      {{"recovered", std::to_string(recovered)}, {"failed", std::to_string(failed)}});
  return Status::Ok();
}

Status Executor::RecoverOne(store::ExecutionRecord record) {
  auto live = std::make_shared<Live>();
  live->arn = record.arn;
  live->state_machine_arn = record.state_machine_arn;
  live->store = durable_;
  ASSIGN_OR_RETURN(live->program, programs_.Get(record.definition, asl::MachineType::Standard));
  RETURN_IF_ERROR(Reload(*live));
  ASSIGN_OR_RETURN(ExecutionBlob blob, DecodeExecutionBlob(record.state));
  live->test_case = blob.mock_test_case;
  live->trace_header = blob.trace_header;
  if (mocks_ != nullptr && !live->test_case.empty() && live->state->info) {
    live->mocks = mocks_->FindTestCase(live->state->info->state_machine_name, live->test_case);
  }
  live->busy = true;
  {
    std::lock_guard<std::mutex> lock(live_mu_);
    if (!live_.emplace(live->arn, live).second) return Status::Ok();  // already live
  }
  if (options_.time_scale != 0) {
    for (const auto& [id, at] : live->timers) timers_->Add(live->arn, id, ScaledFireTime(at));
  }
  // Tasks in flight when the process stopped: their results were never committed.
  for (const eval::Command& c : eval::PendingTaskCommands(*live->program, *live->state)) {
    Dispatch(*live, c);
  }
  bool again = false;
  {
    std::lock_guard<std::mutex> lock(live->mu);
    again = !live->inbox.empty() || !live->state->ready.empty() || FireEarliestTimerIfIdle(*live);
    if (!again) live->busy = false;
  }
  if (again) Schedule(live);
  return Status::Ok();
}

void Executor::Redrive(const std::string& arn, std::function<void(Result<EpochMillis>)> done) {
  auto not_redrivable = [&](const std::string& status) {
    done(FailedPrecondition("Execution is " + status + " and cannot be redriven."));
  };
  if (Find(arn) != nullptr) return not_redrivable("RUNNING");
  Result<store::ExecutionRecord> record = durable_->GetExecution(arn);
  if (!record.ok()) return done(record.status());
  if (!store::IsTerminal(record->status) || record->status == store::ExecutionStatus::Succeeded) {
    return not_redrivable(std::string(store::ExecutionStatusName(record->status)));
  }
  auto live = std::make_shared<Live>();
  live->arn = arn;
  live->state_machine_arn = record->state_machine_arn;
  live->store = durable_;
  Result<std::shared_ptr<const asl::Program>> program =
      programs_.Get(record->definition, asl::MachineType::Standard);
  if (!program.ok()) return done(program.status());
  live->program = std::move(*program);
  Result<ExecutionBlob> blob = DecodeExecutionBlob(record->state);
  if (!blob.ok()) return done(blob.status());
  Result<std::unique_ptr<eval::ExecutionState>> state =
      eval::DecodeState(*live->program, blob->state);
  if (!state.ok()) return done(state.status());
  if (!eval::Redrivable(**state)) {
    return done(FailedPrecondition("Execution cannot be redriven: it kept no redrive point."));
  }
  live->state = std::move(*state);
  live->version = record->version;
  live->test_case = blob->mock_test_case;
  live->trace_header = blob->trace_header;
  if (mocks_ != nullptr && !live->test_case.empty() && live->state->info) {
    live->mocks = mocks_->FindTestCase(live->state->info->state_machine_name, live->test_case);
  }
  live->busy = true;
  {
    std::lock_guard<std::mutex> lock(live_mu_);
    if (!live_.emplace(arn, live).second) return not_redrivable("RUNNING");
  }
  auto batch = std::make_shared<Batch>();
  store::Transition t;
  RunStep(*live, *batch, &t, /*redrive=*/true);
  batch->more = true;  // the revived states run in the next Step
  EpochMillis redrive_date = t.status_update->redrive_date.value_or(0);
  live->store->CommitTransitionAsync(
      std::move(t), Gated([this, live, batch, done = std::move(done), redrive_date](Status status) {
        batch->store_answered = MonotonicNanos();
        Post([this, live, batch, done, redrive_date, status] {
          if (!status.ok()) {
            Forget(live, status);
            return done(status);
          }
          done(redrive_date);
          AfterCommit(live, batch, Status::Ok());
        });
      }));
}

uint64_t Executor::WaitForActivity(const std::string& activity_arn, std::function<void()> wake) {
  std::lock_guard<std::mutex> lock(activity_mu_);
  uint64_t id = next_waiter_++;
  activity_waiters_.emplace(id, std::make_pair(activity_arn, std::move(wake)));
  return id;
}

void Executor::Unwait(uint64_t id) {
  std::lock_guard<std::mutex> lock(activity_mu_);
  activity_waiters_.erase(id);
}

void Executor::NotifyActivity(const std::string& activity_arn) {
  std::vector<std::function<void()>> wake;
  {
    std::lock_guard<std::mutex> lock(activity_mu_);
    for (auto it = activity_waiters_.begin(); it != activity_waiters_.end();) {
      if (it->second.first == activity_arn) {
        wake.push_back(std::move(it->second.second));
        it = activity_waiters_.erase(it);
      } else {
        ++it;
      }
    }
  }
  for (auto& w : wake) w();
}

}  // namespace stepfn::server
