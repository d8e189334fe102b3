// The `stepfn` command: run, validate, serve, conformance, start, describe, history.
#include <CLI/CLI.hpp>

#include "cli/commands.h"
#include "common/memory.h"

int main(int argc, char** argv) {
  stepfn::TuneAllocator();
  CLI::App app{"stepfn: AWS Step Functions state machines, run locally"};
  app.require_subcommand(1);
  int exit_code = stepfn::cli::kExitOk;
  stepfn::cli::AddRunCommand(app, &exit_code);
  stepfn::cli::AddValidateCommand(app, &exit_code);
  stepfn::cli::AddServeCommand(app, &exit_code);
  stepfn::cli::AddLocalConformanceCommand(app, &exit_code);
  stepfn::cli::AddStartCommand(app, &exit_code);
  stepfn::cli::AddDescribeCommand(app, &exit_code);
  stepfn::cli::AddHistoryCommand(app, &exit_code);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : stepfn::cli::kExitUsage;
  }
  return exit_code;
}
