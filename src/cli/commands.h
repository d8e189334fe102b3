// The `stepfn` subcommands. Each Add*Command registers its options on `app` and, when the
// command runs, stores the process exit status in *exit_code.
#pragma once

#include <CLI/CLI.hpp>

namespace stepfn::cli {

void AddRunCommand(CLI::App& app, int* exit_code);
void AddValidateCommand(CLI::App& app, int* exit_code);
void AddServeCommand(CLI::App& app, int* exit_code);
// `stepfn conformance`, wired to the in-process engine and validator.
void AddLocalConformanceCommand(CLI::App& app, int* exit_code);
// Commands that drive a server through the Step Functions API (client_commands.cc; `run
// --endpoint` is in client_commands.h): start an execution, describe one, print its history.
void AddStartCommand(CLI::App& app, int* exit_code);
void AddDescribeCommand(CLI::App& app, int* exit_code);
void AddHistoryCommand(CLI::App& app, int* exit_code);
// `stepfn logs` (logs_command.cc).
void AddLogsCommand(CLI::App& app, int* exit_code);

// Exit statuses shared by the commands.
inline constexpr int kExitOk = 0;
inline constexpr int kExitFailed = 1;
inline constexpr int kExitUsage = 2;

}  // namespace stepfn::cli
