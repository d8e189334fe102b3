// The commands that drive a Step Functions server through its API (client_commands.cc):
// `stepfn start`, `describe`, `history` (registered in commands.h) and `stepfn run --endpoint`,
// which run_command.cc hands over to RunOnServer.
#pragma once

#include <string>

namespace stepfn::cli {

// The arguments of `stepfn run DEFINITION --endpoint URL`.
struct RemoteRunArgs {
  std::string endpoint;    // "http://host:port"
  std::string definition;  // the definition file
  std::string input;       // JSON text, or
  std::string input_file;  // a file holding it ("-": stdin)
  std::string type = "STANDARD";
  std::string name;           // the execution name ("" lets the server pick one)
  std::string state_machine;  // the state machine's name ("": the file's name)
  std::string test_case;      // the server's mock configuration: starts "<ARN>#<test case>"
  bool history = false;
  bool json = false;
  // Options of the in-process run that a server run cannot honour (refused with a reason).
  bool mock_config_given = false;
  bool time_scale_given = false;
};

// Creates or updates the state machine, runs one execution on the server to its end and prints
// the result exactly as the in-process `run` does (same --json shape). Returns the exit status:
// 0 SUCCEEDED, 1 any other end, 2 unusable arguments or input, a refused definition, or a
// server that could not be reached or answered an error.
int RunOnServer(const RemoteRunArgs& args);

}  // namespace stepfn::cli
