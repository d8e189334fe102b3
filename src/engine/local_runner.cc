#include "engine/local_runner.h"

#include <algorithm>
#include <chrono>
#include <optional>
#include <queue>
#include <thread>
#include <unordered_set>

#include "asl/program.h"
#include "engine/mock_config.h"
#include "eval/step.h"

namespace stepfn::engine {
namespace {

constexpr size_t kMaxTimersPerStep = 1024;

// Frees an emptied vector's buffer when it held more than a few thousand elements.
template <typename T>
void ReleaseIfLarge(std::vector<T>& v) {
  if (v.empty() && v.capacity() > 4096) std::vector<T>().swap(v);
}

constexpr const char* kAccount = "123456789012";
constexpr const char* kRegion = "us-east-1";

std::string GenerateName(uint64_t seed) {
  static const char kHex[] = "0123456789abcdef";
  std::string s;
  uint64_t x = seed ^ 0x5DEECE66DULL;
  for (int i = 0; i < 32; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    s.push_back(kHex[(x >> 60) & 15]);
    if (i == 7 || i == 11 || i == 15 || i == 19) s.push_back('-');
  }
  return s;
}

// Virtual time: real elapsed time plus every wait skipped (time_scale 0) or shortened.
class RunClock {
 public:
  explicit RunClock(double scale) : scale_(scale), start_(SystemClock().NowMillis()) {
    real_start_ = MonotonicNanos();
  }
  // Real time runs `scale` times faster in the execution (at least 1: with scale 0 only waits
  // are skipped), so execution timeouts honour --time-scale too.
  EpochMillis Now() const {
    double speed = scale_ > 1 ? scale_ : 1;
    return start_ +
           static_cast<EpochMillis>(static_cast<double>(MonotonicNanos() - real_start_) / 1e6 *
                                    speed) +
           skipped_;
  }
  EpochMillis start() const { return start_; }
  // Waits until virtual time `at`.
  void WaitUntil(EpochMillis at) {
    EpochMillis now = Now();
    if (at <= now) return;
    EpochMillis virtual_wait = at - now;
    if (scale_ <= 0) {
      skipped_ += virtual_wait;
      return;
    }
    double speed = scale_ > 1 ? scale_ : 1;
    double real_ms = static_cast<double>(virtual_wait) / scale_;
    std::this_thread::sleep_for(std::chrono::microseconds(static_cast<int64_t>(real_ms * 1000)));
    // The sleep advanced Now() by real_ms * speed; make up the rest.
    skipped_ += virtual_wait - static_cast<EpochMillis>(real_ms * speed);
    if (skipped_ < 0) skipped_ = 0;
  }

 private:
  double scale_;
  EpochMillis start_;
  int64_t real_start_ = 0;
  EpochMillis skipped_ = 0;
};

}  // namespace

Result<std::shared_ptr<const asl::Program>> CompileDefinition(const json::Value& definition,
                                                              MachineType type) {
  std::vector<asl::Diagnostic> diagnostics = asl::Validate(definition, type);
  if (asl::HasErrors(diagnostics)) {
    return InvalidArgument(asl::InvalidDefinitionMessage(diagnostics));
  }
  return asl::Program::Compile(definition);
}

Result<RunResult> RunLocal(const asl::Program& program, const json::Value& input,
                           const RunOptions& options) {
  if (options.time_scale < 0) return InvalidArgument("--time-scale must be 0 or more");
  std::optional<MockConfig::TestCase> test_case;
  if (options.mocks) {
    test_case = options.mocks->FindTestCase(options.state_machine_name, options.test_case);
    if (!test_case && !options.test_case.empty()) {
      return InvalidArgument("the mock config has no test case '" + options.test_case +
                             "' for state machine '" + options.state_machine_name + "'");
    }
  }
  RunClock clock(options.time_scale);
  static std::atomic<uint64_t> counter{0};
  uint64_t seed = static_cast<uint64_t>(MonotonicNanos()) ^ (++counter * 0x9E3779B97F4A7C15ULL);

  eval::ExecutionInfo info;
  bool express = options.type == MachineType::Express;
  info.start_time = clock.start();
  info.express = express;
  info.seed = seed;
  if (express) {
    info.max_history_events = 0;
    info.default_timeout_seconds = 300;
  }
  // Names and ARNs are seen only through the context object ($$): spell them out only for
  // programs that read it.
  if (program.uses_context() || !options.execution_name.empty()) {
    std::string kind = express ? "express" : "execution";
    info.state_machine_name = options.state_machine_name;
    info.state_machine_arn = std::string("arn:aws:states:") + kRegion + ":" + kAccount +
                             ":stateMachine:" + options.state_machine_name;
    info.execution_name =
        options.execution_name.empty() ? GenerateName(seed) : options.execution_name;
    info.execution_arn = std::string("arn:aws:states:") + kRegion + ":" + kAccount + ":" + kind +
                         ":" + options.state_machine_name + ":" + info.execution_name;
    // Express execution ARNs carry one more part, a run id.
    if (express) info.execution_arn += ":" + GenerateName(seed * 31 + 7);
    info.role_arn = std::string("arn:aws:iam::") + kAccount + ":role/stepfn-local";
  }

  auto state = eval::NewExecution(program, info);
  RunResult result;
  std::vector<eval::Input> inputs;
  inputs.reserve(8);  // one Step's task answers and fired timers, as a rule
  inputs.push_back({eval::InputKind::Start, 0, input, {}, {}});
  using Timer = std::pair<EpochMillis, uint64_t>;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers;
  std::unordered_set<uint64_t> cancelled;
  eval::StepOutput out;

  // Step appends events to out.events; with record_history they stay there (no copy) and
  // become the result's history.
  size_t seen = 0;
  out.discard_events = !options.record_history && !options.on_event;
  out.commands.reserve(8);
  thread_local size_t history_hint = 64;
  if (options.record_history) out.events.reserve(history_hint);
  while (true) {
    if (!options.record_history) out.events.clear(), seen = 0;
    out.commands.clear();
    out.more = false;
    eval::Step(program, *state, inputs, clock.Now(), &out);
    inputs.clear();
    ReleaseIfLarge(inputs);
    if (options.on_event) {
      for (size_t i = seen; i < out.events.size(); ++i) options.on_event(out.events[i]);
    }
    seen = out.events.size();
    for (auto& c : out.commands) {
      switch (c.kind) {
        case eval::CommandKind::RunTask: {
          const MockedAnswer* a =
              test_case ? test_case->Find(c.state->name, c.retry_count) : nullptr;
          if (a == nullptr) {
            inputs.push_back({eval::InputKind::TaskFailed,
                              c.id,
                              {},
                              "States.TaskFailed",
                              "No service answers the resource '" + c.state->resource +
                                  "' here: give a mocked response for state '" + c.state->name +
                                  "' (--mock-config, --test-case)."});
          } else if (a->is_throw) {
            inputs.push_back(
                {eval::InputKind::TaskFailed, c.id, {}, a->error.error, a->error.cause});
          } else {
            eval::Input& answer = inputs.emplace_back();  // built in place: no strings moved
            answer.kind = eval::InputKind::TaskSucceeded;
            answer.id = c.id;
            answer.value = a->result;
          }
          break;
        }
        case eval::CommandKind::StartTimer:
          timers.push({c.fire_at, c.id});
          break;
        case eval::CommandKind::CancelTimer:
        case eval::CommandKind::CancelTask:
          cancelled.insert(c.id);
          break;
      }
    }
    // A burst (a Map starting thousands of iterations at once) leaves these vectors large:
    // give the memory back rather than hold it beside the next burst.
    out.commands.clear();
    ReleaseIfLarge(out.commands);
    if (eval::Status(*state) != eval::ExecutionStatus::Running) break;
    // Timers already due (an execution timeout during a long run of transitions).
    EpochMillis now = timers.empty() ? 0 : clock.Now();
    // At most kMaxTimersPerStep at a time: a Map whose thousands of iterations wait on one
    // instant would otherwise build an Input for every one of them before any could end.
    while (!timers.empty() && timers.top().first <= now && inputs.size() < kMaxTimersPerStep) {
      if (!cancelled.erase(timers.top().second)) {
        inputs.push_back({eval::InputKind::TimerFired, timers.top().second, {}, {}, {}});
      }
      timers.pop();
    }
    if (!inputs.empty() || out.more) continue;
    // Nothing to do but wait for the next timer.
    while (!timers.empty() && cancelled.count(timers.top().second)) {
      cancelled.erase(timers.top().second);
      timers.pop();
    }
    if (timers.empty()) return Internal("execution is blocked with nothing pending");
    Timer t = timers.top();
    timers.pop();
    clock.WaitUntil(t.first);
    inputs.push_back({eval::InputKind::TimerFired, t.second, {}, {}, {}});
  }
  if (options.record_history) {
    history_hint = std::clamp<size_t>(out.events.size(), 16, 1 << 20);
    result.history = std::move(out.events);
  }
  result.status = std::string(eval::ExecutionStatusName(eval::Status(*state)));
  if (eval::Status(*state) == eval::ExecutionStatus::Succeeded) {
    result.output = eval::Output(*state);
  } else {
    result.error = eval::Failure(*state).error;
    result.cause = eval::Failure(*state).cause;
  }
  return result;
}

}  // namespace stepfn::engine
