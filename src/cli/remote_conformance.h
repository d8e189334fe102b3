// `stepfn conformance --endpoint URL`: the conformance runner (conformance.h) with hooks that go
// through the Step Functions API of a server instead of the engine in this process.
#pragma once

#include <ostream>
#include <string>

#include "cli/conformance.h"
#include "cli/sfn_client.h"

namespace stepfn::cli {

// Hooks over the API of the server at options.endpoint (thread-safe: each call borrows a client
// of its own):
// - run_execution: CreateStateMachine (a unique name per case, the case's type), then
//   StartExecution and DescribeExecution polls (STANDARD) or StartSyncExecution (EXPRESS, sent
//   without the `sync-` host prefix), then GetExecutionHistory, all pages (STANDARD): event
//   types and the names of the states entered. The state machine is deleted afterwards.
// - run_validation: CreateStateMachine or ValidateStateMachineDefinition; an error answer gives
//   its code and message.
// - run_test_state: TestState (sent without the `sync-` host prefix), the answer as it comes, or
//   the error's code and message.
// A case whose execution still runs after `max_wait` is stopped and reported as RUNNING.
ConformanceHooks RemoteConformanceHooks(
    const SfnClientOptions& options,
    std::chrono::milliseconds max_wait = std::chrono::milliseconds(600'000));

// Runs the cases selected by `options` against the server at `endpoint`, `jobs` cases at a
// time, and reports as RunConformance does (its exit codes; 2 also when the server cannot be
// reached). Prints to `out`; progress and the time taken go to stderr.
int RunConformanceOnServer(const ConformanceOptions& options, const std::string& endpoint, int jobs,
                           std::ostream& out);

}  // namespace stepfn::cli
