// `stepfn conformance [DIR...]`: the conformance runner (conformance.h) as a CLI11 subcommand.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/conformance.h"

namespace stepfn::cli {

// Adds the `conformance` subcommand to `app`; running it calls RunConformance with `hooks` and
// prints to stdout. Options: DIR... (case files or folders), --filter SUBSTRING,
// --category pure|services|teststate|validation, --verbose, --json, --min-pass-rate RATE,
// --endpoint URL (run the cases through the Step Functions API of that server instead of
// `hooks`: RunConformanceOnServer in remote_conformance.h) and --jobs N (cases run at once
// there).
//
// When the command runs, *exit_code receives RunConformance's exit code. REQUIRES: exit_code
// is not null.
void AddConformanceCommand(CLI::App& app, ConformanceHooks hooks, int* exit_code);

}  // namespace stepfn::cli
