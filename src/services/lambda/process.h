// Worker processes of Lambda functions: starting them safely from a multi-threaded server, and
// what the kernel tells about them (exit, memory). Used by the execution environments
// (environments.h); nothing here knows about Lambda.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"

namespace stepfn::lambda {

struct ProcessSpec {
  std::string path;               // the executable (absolute, or relative to cwd)
  std::vector<std::string> argv;  // argv[0] included
  std::vector<std::string> env;   // "NAME=value", the whole environment
  std::string cwd;
};

// A started process: the leader of its own session and process group (pgid == pid), stdin
// /dev/null, stdout and stderr into one pipe whose read end is `output_fd` (non-blocking), no
// other descriptor of ours, signal dispositions and mask at their defaults.
struct ChildProcess {
  pid_t pid = -1;
  int pidfd = -1;      // readable when the process exits; -1 when the kernel has no pidfds
  int output_fd = -1;  // O_NONBLOCK | O_CLOEXEC
};

// Starts a process (posix_spawn: no code of ours runs in the child, so it is safe from any
// thread of a multi-threaded process). NotFound when the executable or cwd does not exist,
// FailedPrecondition when it cannot be executed (permissions, format), Unavailable on resource
// exhaustion.
Result<ChildProcess> SpawnProcess(const ProcessSpec& spec);

// SIGKILL to the process group `pgid` (the worker and everything it started that stayed in its
// group).
void KillProcessGroup(pid_t pgid);

// How a process ended, from a waitpid status: "exit status 1", "signal: killed", ...
std::string DescribeExit(int wait_status);

// Resident memory of one process in KiB (from /proc/<pid>/statm); -1 when it is gone.
int64_t ResidentKib(pid_t pid);

// Resident memory in KiB of every process whose session id is one of `sessions` (keys), summed
// per session into the map's values (set to 0 first). One pass over /proc.
void SessionResidentKib(std::unordered_map<pid_t, int64_t>* sessions);

// Runs argv (argv[0] looked up on PATH), waits for it and returns its stdout (at most 64 KiB),
// for short helper commands at start-up. Unavailable when it cannot start or exits non-zero.
Result<std::string> RunAndCapture(const std::vector<std::string>& argv, int timeout_ms);

// The full path of an executable named `name` on PATH ("" when there is none).
std::string FindOnPath(const std::string& name);

}  // namespace stepfn::lambda
