// `stepfn validate DEFINITION`: every problem at once, as ValidateStateMachineDefinition.
#include <cstdio>
#include <memory>

#include "asl/validate.h"
#include "cli/commands.h"
#include "cli/files.h"
#include "json/write.h"

namespace stepfn::cli {
namespace {

struct ValidateArgs {
  std::string definition;
  std::string type = "STANDARD";
  bool json = false;
};

int Validate(const ValidateArgs& a) {
  asl::MachineType type;
  if (a.type == "STANDARD") {
    type = asl::MachineType::Standard;
  } else if (a.type == "EXPRESS") {
    type = asl::MachineType::Express;
  } else {
    std::fprintf(stderr, "stepfn validate: --type must be STANDARD or EXPRESS\n");
    return kExitUsage;
  }
  // Read a little more than the limit so that the validator reports the size itself.
  auto text = ReadFile(a.definition, asl::kMaxDefinitionBytes * 4);
  if (!text.ok()) {
    std::fprintf(stderr, "stepfn validate: %s\n", text.status().message().c_str());
    return kExitUsage;
  }
  // The parsed definition is kept to the process's end: freeing its thousands of nodes would
  // cost more than a quarter of a large definition's validation, for a process about to exit.
  // The pointer stays reachable, so leak checkers do not report it.
  static auto* const document = new json::Value();
  asl::ValidateTextOptions options;
  options.document = document;
  options.padded = HasParsePadding(*text);
  std::vector<asl::Diagnostic> diags = asl::ValidateText(*text, type, options);
  bool failed = asl::HasErrors(diags);
  if (a.json) {
    std::vector<json::Value> items;
    for (const auto& d : diags) {
      items.push_back(json::Value::Object({{"severity", json::Value::String(d.severity)},
                                           {"code", json::Value::String(d.code)},
                                           {"message", json::Value::String(d.message)},
                                           {"location", json::Value::String(d.location)}}));
    }
    json::Value out = json::Value::Object({{"result", json::Value::String(failed ? "FAIL" : "OK")},
                                           {"diagnostics", json::Value::Array(std::move(items))},
                                           {"truncated", json::Value::Bool(false)}});
    std::printf("%s\n", json::Write(out).c_str());
  } else {
    for (const auto& d : diags) {
      std::printf("%s %s %s: %s\n", d.severity.c_str(),
                  d.location.empty() ? "/" : d.location.c_str(), d.code.c_str(), d.message.c_str());
    }
    std::printf("%s: %s\n", a.definition.c_str(), failed ? "invalid" : "valid");
  }
  return failed ? kExitFailed : kExitOk;
}

}  // namespace

void AddValidateCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<ValidateArgs>();
  CLI::App* cmd = app.add_subcommand("validate", "Check a definition and print every problem");
  cmd->add_option("definition", args->definition, "ASL definition file (JSON)")->required();
  cmd->add_option("--type", args->type, "STANDARD or EXPRESS");
  cmd->add_flag("--json", args->json, "Print ValidateStateMachineDefinition's response shape");
  cmd->callback([args, exit_code] { *exit_code = Validate(*args); });
}

}  // namespace stepfn::cli
