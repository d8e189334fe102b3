// The execution state as bytes: what the durable server stores after every committed transition
// and reads back after a crash to continue exactly where the execution stopped. The format and
// its versioning rule: docs/formats/execution-state.md.
//
// The bytes name the program's bodies and states by number (asl::Program::BodyId and state
// indices), so they are read back with the program that wrote them: DecodeState refuses bytes
// whose program shape differs, and anything else that does not fit the program.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "eval/execution_state.h"
#include "eval/step.h"

namespace stepfn::asl {
class Program;
}

namespace stepfn::eval {

// The format version EncodeState writes. DecodeState reads this and every older version.
inline constexpr uint8_t kStateFormatVersion = 3;

// The state as bytes. REQUIRES: `state` belongs to `program` (every frame's body is one of its
// bodies) and has its ExecutionInfo. The context-object cache (context_execution) is not kept:
// it is rebuilt when needed.
std::string EncodeState(const asl::Program& program, const ExecutionState& state);
// The same, appended to *out (a buffer reused between calls saves its allocation).
void EncodeStateTo(const asl::Program& program, const ExecutionState& state, std::string* out);

// The state the bytes hold, every frame's body pointing into `program`. Any input is safe:
// truncated or corrupt bytes give InvalidArgument; bytes of a newer format version, or of a
// program of another shape, or whose bodies, states, ids or children do not fit `program`, give
// FailedPrecondition or InvalidArgument. The message says what and where.
Result<std::unique_ptr<ExecutionState>> DecodeState(const asl::Program& program,
                                                    std::string_view bytes);

// The RunTask commands of the tasks in flight (frames waiting on a task), in the order they
// were issued, each as Step first issued it (id, state, parameters, retry count, timeout, task
// token): what a recovered server sends again. Their timers are not included (they are stored
// with their due times beside the state).
std::vector<Command> PendingTaskCommands(const asl::Program& program, const ExecutionState& state);

}  // namespace stepfn::eval
