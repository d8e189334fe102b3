// The `stepfn` command: run, validate, serve, conformance, start, describe, history.
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdlib>
#include <cstring>
#include <string>

#include "cli/commands.h"
#include "common/memory.h"

namespace {

// `stepfn serve` runs on tcmalloc: the server allocates and frees many small objects per state
// transition, and tcmalloc's thread caches take about an eighth off its CPU per durable
// transition (BENCHMARKS.md). The other commands keep glibc's malloc (tcmalloc's start-up costs
// about 2 ms of CPU, much of a short command's run). So `serve` executes itself again with
// tcmalloc preloaded, once, and the new process puts LD_PRELOAD back as it was (the processes
// the server starts, such as Lambda workers, do not inherit it). STEPFN_MALLOC=glibc keeps
// glibc's malloc. Built in only when CMake found tcmalloc (not in sanitizer builds).
void ServeOnTcmalloc(int argc, char** argv) {
#ifdef STEPFN_SERVER_MALLOC
  constexpr const char* kDone = "STEPFN_SERVER_PRELOADED";    // set in the re-executed process
  constexpr const char* kSaved = "STEPFN_SERVER_LD_PRELOAD";  // LD_PRELOAD as it was, if set
  if (const char* done = std::getenv(kDone); done != nullptr) {
    if (const char* saved = std::getenv(kSaved); saved != nullptr) {
      setenv("LD_PRELOAD", saved, 1);
    } else {
      unsetenv("LD_PRELOAD");
    }
    unsetenv(kSaved);
    unsetenv(kDone);
    return;
  }
  const char* choice = std::getenv("STEPFN_MALLOC");
  if (argc < 2 || std::strcmp(argv[1], "serve") != 0 ||
      (choice != nullptr && std::strcmp(choice, "glibc") == 0) ||
      access(STEPFN_SERVER_MALLOC, R_OK) != 0) {
    return;
  }
  std::string preload = STEPFN_SERVER_MALLOC;
  const char* old = std::getenv("LD_PRELOAD");
  if (old != nullptr) {
    setenv(kSaved, old, 1);
    preload += ":";
    preload += old;
  }
  setenv("LD_PRELOAD", preload.c_str(), 1);
  setenv(kDone, "1", 1);
  execv("/proc/self/exe", argv);
  // Could not execute: go on with glibc's malloc, the environment as it was.
  if (old != nullptr) {
    setenv("LD_PRELOAD", old, 1);
  } else {
    unsetenv("LD_PRELOAD");
  }
  unsetenv(kSaved);
  unsetenv(kDone);
#else
  (void)argc;
  (void)argv;
#endif
}

}  // namespace

int main(int argc, char** argv) {
  ServeOnTcmalloc(argc, argv);
  stepfn::TuneAllocator();
  CLI::App app{"stepfn: AWS Step Functions state machines, run locally"};
  app.require_subcommand(1);
  int exit_code = stepfn::cli::kExitOk;
  // Declaring every command's options costs about a million instructions, a fifth of a short
  // command's run: when the first argument names a command, only that one is declared (its
  // own --help is complete); otherwise all are, for the overview and the usage errors.
  struct Command {
    const char* name;
    void (*add)(CLI::App&, int*);
  };
  static constexpr Command kCommands[] = {
      {"run", stepfn::cli::AddRunCommand},
      {"validate", stepfn::cli::AddValidateCommand},
      {"serve", stepfn::cli::AddServeCommand},
      {"conformance", stepfn::cli::AddLocalConformanceCommand},
      {"start", stepfn::cli::AddStartCommand},
      {"describe", stepfn::cli::AddDescribeCommand},
      {"history", stepfn::cli::AddHistoryCommand},
      {"logs", stepfn::cli::AddLogsCommand},
  };
  const Command* named = nullptr;
  for (const Command& c : kCommands) {
    if (argc > 1 && std::strcmp(argv[1], c.name) == 0) named = &c;
  }
  if (named != nullptr) {
    named->add(app, &exit_code);
  } else {
    for (const Command& c : kCommands) c.add(app, &exit_code);
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : stepfn::cli::kExitUsage;
  }
  return exit_code;
}
