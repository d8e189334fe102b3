// The bytes the server stores as an execution's state (store::ExecutionRecord::state): the
// interpreter's ExecutionState (eval/state_codec.h) wrapped with what the server adds: the
// mock test case the execution runs under, StartExecution's trace header (so that traces and the
// functions called after a restart keep it) and its armed timers (so that recovery re-arms them
// without asking the store). Format: docs/formats/execution-state.md, "The server's envelope".
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "common/status.h"

namespace stepfn::server {

struct ExecutionBlob {
  std::string mock_test_case;
  std::string trace_header;                // "" when none (and in envelope version 1)
  std::map<uint64_t, EpochMillis> timers;  // timer id -> fire_at
  std::string_view state;                  // the encoded eval::ExecutionState
};

// Appends the envelope and then `state` to *out.
void EncodeExecutionBlob(const std::string& mock_test_case, const std::string& trace_header,
                         const std::map<uint64_t, EpochMillis>& timers, std::string_view state,
                         std::string* out);
// `blob.state` points into `bytes`. InvalidArgument for bytes that are not an envelope.
Result<ExecutionBlob> DecodeExecutionBlob(std::string_view bytes);

}  // namespace stepfn::server
