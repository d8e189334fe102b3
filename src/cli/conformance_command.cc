#include "cli/conformance_command.h"

#include <iostream>
#include <memory>
#include <utility>

#include "cli/remote_conformance.h"

namespace stepfn::cli {

void AddConformanceCommand(CLI::App& app, ConformanceHooks hooks, int* exit_code) {
  CLI::App* sub = app.add_subcommand(
      "conformance",
      "Run the cases recorded against AWS (../shared/conformance/aws-recorded) and report "
      "every difference");
  auto options = std::make_shared<ConformanceOptions>();
  sub->add_option("dirs", options->dirs,
                  "Case files or folders (default: all of aws-recorded; STEPFN_SHARED points at "
                  "the shared/ folder)");
  sub->add_option("--filter", options->filter, "Run only cases whose name contains SUBSTRING")
      ->type_name("SUBSTRING");
  sub->add_option("--category", options->category, "Run only one folder of cases")
      ->check(CLI::IsMember({"pure", "services", "teststate", "validation"}));
  sub->add_flag("--verbose,-v", options->verbose,
                "Also list skipped cases with reasons, and differences that do not count");
  sub->add_flag("--json", options->json, "Print a machine-readable JSON summary");
  sub->add_option("--min-pass-rate", options->min_pass_rate,
                  "Exit 0 when passed / (passed + failed) is at least RATE (default 1.0)")
      ->check(CLI::Range(0.0, 1.0))
      ->type_name("RATE");
  auto endpoint = std::make_shared<std::string>();
  auto jobs = std::make_shared<int>(8);
  sub->add_option("--endpoint", *endpoint,
                  "Run the cases through the Step Functions API of this server (http://HOST:PORT) "
                  "instead of in this process");
  sub->add_option("--jobs", *jobs, "Cases run at once with --endpoint (default 8)")
      ->check(CLI::Range(1, 256));
  sub->callback([options, hooks = std::move(hooks), exit_code, endpoint, jobs]() {
    int code = endpoint->empty() ? RunConformance(*options, hooks, std::cout)
                                 : RunConformanceOnServer(*options, *endpoint, *jobs, std::cout);
    std::cout.flush();
    *exit_code = code;
  });
}

}  // namespace stepfn::cli
