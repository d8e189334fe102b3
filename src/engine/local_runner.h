// Running one execution in this process, to completion: `stepfn run`, the conformance runner
// and the benchmarks. Task states are answered by the mock configuration (or fail with
// States.TaskFailed when no mock or service covers them); waits and retry intervals follow
// `time_scale` (0: no waiting at all; 1: real time).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "asl/validate.h"
#include "common/status.h"
#include "eval/event_log.h"
#include "eval/history.h"
#include "json/value.h"

namespace stepfn::asl {
class Program;
}

namespace stepfn::engine {

class MockConfig;

using MachineType = asl::MachineType;

struct RunOptions {
  MachineType type = MachineType::Standard;
  // Mocked task responses (AWS Step Functions Local format) and the test case to use.
  const MockConfig* mocks = nullptr;
  std::string state_machine_name = "StateMachine";
  std::string test_case;
  std::string execution_name;  // generated when empty
  double time_scale = 1.0;
  bool record_history = true;
  // Called for each history event as it is produced (e.g. to show states on a terminal).
  std::function<void(const eval::HistoryEvent&)> on_event;
};

struct RunResult {
  std::string status;  // SUCCEEDED, FAILED, TIMED_OUT, ABORTED
  json::Value output;  // on SUCCEEDED
  std::string error;   // otherwise
  std::string cause;
  eval::EventLog history;  // when record_history
};

// Compiles a definition (validated first; InvalidArgument carries AWS's InvalidDefinition
// message). The program is immutable and may be run many times, from many threads.
Result<std::shared_ptr<const asl::Program>> CompileDefinition(
    const json::Value& definition, MachineType type = MachineType::Standard);

// Runs one execution to its end. Fails (Status) only for unusable options; every ASL outcome,
// failures included, is a RunResult.
Result<RunResult> RunLocal(const asl::Program& program, const json::Value& input,
                           const RunOptions& options);

}  // namespace stepfn::engine
