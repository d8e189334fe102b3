// ExecutionState: everything about one execution that changes while it runs. The compiled
// program (asl::Program) is immutable and shared; this is its per-execution counterpart:
// a tree of frames (one per running thread of control: the main flow, each Parallel branch,
// each Map iteration in flight), pending tasks and timers, and the counters that make event
// ids and randomness deterministic.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/clock.h"
#include "common/states_error.h"
#include "eval/id_map.h"
#include "json/value.h"

namespace stepfn::asl {
struct Body;
}

namespace stepfn::eval {

struct ExecutionInfo;

enum class FramePhase : uint8_t {
  Enter,         // about to enter `state`
  Execute,       // entered; run (or re-run after a retry) the state's work
  WaitTask,      // a RunTask command is out
  WaitTimer,     // a Wait state's timer
  WaitRetry,     // a retry interval
  WaitChildren,  // Parallel branches / Map iterations running
  Done,
};

// Parallel branches or Map iterations of one state.
struct Fanout {
  json::Value items;                 // Map: the items array (shared); Parallel: the branch input
  std::vector<json::Value> results;  // per child, in order
  // Per child: 1 once it succeeded (its result is in `results`). Empty until a child succeeds.
  // A redrive keeps these children and runs only the others.
  std::vector<uint8_t> ok;
  IdSet running;  // child frame ids in flight
  size_t total = 0;
  size_t next_start = 0;
  size_t finished = 0;
  size_t failed = 0;
  size_t max_concurrency = 0;   // 0: unlimited
  double tolerated_count = -1;  // < 0: none given
  double tolerated_percentage = -1;
  bool failing = false;
  StatesError error;
  json::Value context;   // Map: the state's context object for ItemSelector (or null)
  int64_t map_run = -1;  // a Distributed Map: its run's index in ExecutionState::map_runs
};

enum class MapRunStatus : uint8_t { Running, Succeeded, Failed, Aborted };

// A Distributed Map's run, what DescribeMapRun and ListMapRuns show. Kept for the execution's
// life (a few dozen bytes each). Items are counted as they start and end: pending = total -
// started, running = started - succeeded - failed.
struct MapRun {
  std::string id;     // a UUID from the execution's random stream
  std::string label;  // the Map's Label, else its state name
  EpochMillis start_date = 0;
  EpochMillis stop_date = 0;  // 0 while running
  MapRunStatus status = MapRunStatus::Running;
  uint64_t total = 0;
  uint64_t started = 0;
  uint64_t succeeded = 0;
  uint64_t failed = 0;
  uint64_t max_concurrency = 0;  // 0: unlimited
  double tolerated_count = -1;   // < 0: none given
  double tolerated_percentage = -1;
};

struct Frame {
  uint64_t id = 0;
  uint64_t parent = 0;  // 0: the execution's main frame
  size_t child_index = 0;
  const asl::Body* body = nullptr;
  int state = 0;
  FramePhase phase = FramePhase::Enter;
  json::Value input;      // the state's raw input
  json::Value effective;  // after InputPath (and Parameters for Task/Parallel)
  int64_t entered_event_id = 0;
  int64_t last_event_id = 0;
  EpochMillis entered_time = 0;
  std::vector<uint16_t> retry_counts;  // per retrier of the current state
  int retry_total = 0;
  uint64_t pending = 0;          // task or timer id
  uint64_t timeout_timer = 0;    // a Task's TimeoutSeconds timer
  uint64_t heartbeat_timer = 0;  // a Task's HeartbeatSeconds timer, restarted by heartbeats
  double heartbeat_seconds = 0;
  // While a RunTask command is out (WaitTask): its payload (Parameters applied) and
  // TimeoutSeconds, so that a recovered execution can issue it again (eval/state_codec.h).
  json::Value task_parameters;
  double task_timeout_seconds = 0;
  // A `.waitForTaskToken` task's token ($$.Task.Token), from the execution's random stream.
  std::string task_token;
  // Runs inside a Distributed Map's child execution: its events belong to that execution's
  // own history, not this one's.
  bool silent = false;
  std::unique_ptr<Fanout> fanout;
};

// Where a redrive resumes an execution that ended unsuccessfully (FAILED, TIMED_OUT, ABORTED):
// the main flow's unfinished state, entered again with the input it was entered with. For a
// Parallel or Map state that was running its children, the children that succeeded keep their
// results; only the others run again (from the start of their branch or iteration).
struct RedrivePoint {
  int state = 0;  // in the root body
  json::Value input;
  size_t children = 0;                               // the fan-out's size; 0: none kept
  std::vector<std::pair<size_t, json::Value>> kept;  // (index, result) of children that succeeded
};

class ExecutionState {
 public:
  uint64_t next_id = 1;  // frames, tasks and timers share one id space
  int64_t next_event_id = 1;
  uint64_t rng = 0;
  EpochMillis now = 0;
  IdMap<std::unique_ptr<Frame>> frames;
  IdMap<uint64_t> pending;      // task/timer id -> frame id
  std::vector<uint64_t> ready;  // frames to run (a stack)
  uint64_t timeout_timer = 0;
  json::Value execution_input;
  json::Value context_execution;  // the constant part of $$ (Execution, StateMachine)
  int status = 0;                 // ExecutionStatus
  json::Value output;
  StatesError failure;
  std::unique_ptr<ExecutionInfo> info;
  int64_t redrive_count = 0;
  // Set when the execution ended unsuccessfully (what Redrive needs), and after a redrive until
  // the main flow executes the redriven state.
  std::unique_ptr<RedrivePoint> redrive;
  std::vector<MapRun> map_runs;  // in start order

  ExecutionState();
  ~ExecutionState();
};

}  // namespace stepfn::eval
