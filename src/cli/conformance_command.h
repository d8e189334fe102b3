// `stepfn conformance [DIR...]`: the conformance runner (conformance.h) as a CLI11 subcommand.
#pragma once

#include <CLI/CLI.hpp>

#include "cli/conformance.h"

namespace stepfn::cli {

// Adds the `conformance` subcommand to `app`; running it calls RunConformance with `hooks` and
// prints to stdout. Options: DIR... (case files or folders), --filter SUBSTRING,
// --category pure|services|teststate|validation, --verbose, --json, --min-pass-rate RATE.
//
// The exit code: when `exit_code` is given, it receives RunConformance's code. When it is null, a
// non-zero code is reported the CLI11 way (a CLI::RuntimeError, which CLI11_PARSE / App::exit
// turn into the process's exit code); this is CLI11's protocol, not an error of ours.
void AddConformanceCommand(CLI::App& app, ConformanceHooks hooks, int* exit_code = nullptr);

}  // namespace stepfn::cli
