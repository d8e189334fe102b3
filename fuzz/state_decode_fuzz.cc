// Fuzzes eval::DecodeState, the reading of a persisted execution state (eval/state_codec.h).
//
// Each input is tried twice against one fixed program (Parallel, Map with MaxConcurrency and an
// ItemSelector, a Distributed Map, a retried Task with TimeoutSeconds, HeartbeatSeconds and a
// task token, Wait, Choice):
//   1. as the bytes themselves, with the program's shape hash written over bytes 1..8 (without
//      it random bytes never get past the header);
//   2. as damage to a real encoding: states recorded at every step of a run of the program;
//      the input picks one (byte 0), an offset (bytes 1-2) and XORs the rest in there.
// Checked: decoding fails with a message, or gives a state that encodes canonically (decoding
// that encoding gives the same bytes again), whose pending tasks can be listed, and that Step
// can run: every pending id is delivered as each kind of input, then a Stop.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "asl/program.h"
#include "eval/state_codec.h"
#include "eval/step.h"
#include "json/parse.h"

namespace {

namespace asl = stepfn::asl;
namespace json = stepfn::json;
using stepfn::EpochMillis;
using stepfn::eval::Command;
using stepfn::eval::CommandKind;
using stepfn::eval::DecodeState;
using stepfn::eval::EncodeState;
using stepfn::eval::ExecutionInfo;
using stepfn::eval::ExecutionState;
using stepfn::eval::ExecutionStatus;
using stepfn::eval::Input;
using stepfn::eval::InputKind;
using stepfn::eval::NewExecution;
using stepfn::eval::PendingTaskCommands;
using stepfn::eval::StepOutput;

constexpr EpochMillis kNow = 1700000000000;

constexpr std::string_view kDefinition = R"j({"StartAt":"Init","TimeoutSeconds":1000,"States":{
  "Init":{"Type":"Pass","Parameters":{"items.$":"$.items","id.$":"States.UUID()"},"Next":"Par"},
  "Par":{"Type":"Parallel","ResultPath":"$.par","Next":"Check","Branches":[
    {"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"arn:aws:states:::sqs:sendMessage.waitForTaskToken",
      "Parameters":{"token.$":"$$.Task.Token"},"TimeoutSeconds":60,"HeartbeatSeconds":10,
      "Retry":[{"ErrorEquals":["States.ALL"],"IntervalSeconds":1,"MaxAttempts":2}],
      "Catch":[{"ErrorEquals":["States.ALL"],"Next":"Caught"}],"End":true},
      "Caught":{"Type":"Pass","End":true}}},
    {"StartAt":"M","States":{"M":{"Type":"Map","ItemsPath":"$.items","MaxConcurrency":2,
      "ToleratedFailureCount":1,
      "ItemSelector":{"v.$":"$$.Map.Item.Value","i.$":"$$.Map.Item.Index"},
      "ItemProcessor":{"StartAt":"W","States":{"W":{"Type":"Task",
        "Resource":"arn:aws:states:::lambda:invoke","End":true}}},"End":true}}},
    {"StartAt":"D","States":{"D":{"Type":"Map","ItemsPath":"$.items",
      "ItemProcessor":{"ProcessorConfig":{"Mode":"DISTRIBUTED","ExecutionType":"STANDARD"},
        "StartAt":"DW","States":{"DW":{"Type":"Wait","Seconds":3,"End":true}}},"End":true}}}]},
  "Check":{"Type":"Choice","Choices":[{"Variable":"$.items[0]","NumericEquals":1,"Next":"Wait"}],
           "Default":"Wait"},
  "Wait":{"Type":"Wait","Seconds":5,"End":true}}})j";

[[noreturn]] void Die(const char* what, const std::string& detail) {
  std::fprintf(stderr, "%s\n  %s\n", what, detail.c_str());
  std::abort();
}

const asl::Program& TheProgram() {
  static const std::shared_ptr<const asl::Program> program = [] {
    auto p = asl::Program::Compile(*json::Parse(kDefinition));
    if (!p.ok()) Die("the fuzz program does not compile", p.status().ToString());
    return *p;
  }();
  return *program;
}

// The state after every step of one run: tasks answered in turn (every other one failing),
// timers fired in turn.
const std::vector<std::string>& Recorded() {
  static const std::vector<std::string> recorded = [] {
    const asl::Program& p = TheProgram();
    std::vector<std::string> out;
    ExecutionInfo info;
    info.execution_arn = "arn:aws:states:us-east-1:123456789012:execution:sm:x";
    info.seed = 9;
    auto st = NewExecution(p, info);
    std::vector<Input> inputs{{InputKind::Start, 0, *json::Parse(R"({"items":[1,2,3]})"), {}, {}}};
    std::vector<uint64_t> tasks, timers;
    EpochMillis now = kNow;
    for (int step = 0; step < 200 && stepfn::eval::Status(*st) == ExecutionStatus::Running;
         ++step) {
      StepOutput o;
      stepfn::eval::Step(p, *st, inputs, now, &o);
      out.push_back(EncodeState(p, *st));
      for (const Command& c : o.commands) {
        if (c.kind == CommandKind::RunTask) tasks.push_back(c.id);
        if (c.kind == CommandKind::StartTimer) timers.push_back(c.id);
      }
      inputs.clear();
      now += 1000;
      if (o.more) continue;
      if (!tasks.empty()) {
        uint64_t id = tasks.front();
        tasks.erase(tasks.begin());
        if (step % 2 == 0) {
          inputs.push_back({InputKind::TaskFailed, id, {}, "E", "c"});
        } else {
          inputs.push_back({InputKind::TaskSucceeded, id, *json::Parse(R"({"ok":1})"), {}, {}});
        }
      } else if (!timers.empty()) {
        inputs.push_back({InputKind::TimerFired, timers.front(), {}, {}, {}});
        timers.erase(timers.begin());
      }
    }
    return out;
  }();
  return recorded;
}

void Check(std::string_view bytes) {
  const asl::Program& p = TheProgram();
  auto r = DecodeState(p, bytes);
  if (!r.ok()) {
    if (r.status().message().empty()) Die("an error without a message", "");
    return;
  }
  ExecutionState& st = **r;
  std::string again = EncodeState(p, st);
  auto second = DecodeState(p, again);
  if (!second.ok()) Die("a decoded state's encoding does not decode", second.status().ToString());
  if (EncodeState(p, **second) != again) Die("the encoding is not canonical", "");
  std::vector<Command> tasks = PendingTaskCommands(p, st);
  for (const Command& c : tasks) {
    if (c.kind != CommandKind::RunTask || c.state == nullptr || c.id == 0) {
      Die("a bad pending task command", std::to_string(c.id));
    }
  }
  std::vector<Input> inputs;
  for (const auto& [id, frame] : st.pending) {
    inputs.push_back({InputKind::TaskHeartbeat, id, {}, {}, {}});
    inputs.push_back({InputKind::TimerFired, id, {}, {}, {}});
    inputs.push_back({InputKind::TaskFailed, id, {}, "E", "c"});
    inputs.push_back({InputKind::TaskSucceeded, id, {}, {}, {}});
  }
  StepOutput out;
  stepfn::eval::Step(p, st, inputs, kNow + 1000, &out);
  StepOutput stop;
  stepfn::eval::Step(p, st, std::vector<Input>{{InputKind::Stop, 0, {}, "Stop", ""}}, kNow + 2000,
                     &stop);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string raw(reinterpret_cast<const char*>(data), size);
  if (raw.size() >= 9) {
    uint64_t shape = TheProgram().shape_hash();
    for (int i = 0; i < 8; ++i)
      raw[1 + static_cast<size_t>(i)] = static_cast<char>(shape >> (8 * i));
  }
  Check(raw);
  const std::vector<std::string>& recorded = Recorded();
  if (size >= 3 && !recorded.empty()) {
    std::string damaged = recorded[data[0] % recorded.size()];
    size_t offset = (static_cast<size_t>(data[1]) << 8 | data[2]) % damaged.size();
    for (size_t i = 3; i < size && offset < damaged.size(); ++i, ++offset) {
      damaged[offset] = static_cast<char>(damaged[offset] ^ data[i]);
    }
    Check(damaged);
  }
  return 0;
}
