// `stepfn conformance` against the in-process engine and validator.
#include "asl/validate.h"
#include "cli/commands.h"
#include "cli/conformance.h"
#include "cli/conformance_command.h"
#include "engine/local_runner.h"
#include "json/write.h"

namespace stepfn::cli {
namespace {

Result<ExecutionOutcome> RunExecution(const json::Value& definition, const json::Value& input,
                                      const std::string& type) {
  engine::MachineType t =
      type == "EXPRESS" ? engine::MachineType::Express : engine::MachineType::Standard;
  ASSIGN_OR_RETURN(auto program, engine::CompileDefinition(definition, t));
  engine::RunOptions options;
  options.type = t;
  options.time_scale = 0;
  options.record_history = true;
  ASSIGN_OR_RETURN(engine::RunResult r, engine::RunLocal(*program, input, options));
  ExecutionOutcome o;
  o.status = r.status;
  o.output = r.output;
  o.error = r.error;
  o.cause = r.cause;
  o.has_history = true;
  std::vector<std::string> entered;
  for (const auto& e : r.history) {
    std::string_view name = eval::EventTypeName(e.type);
    o.history_event_types.emplace_back(name);
    if (name.ends_with("StateEntered")) entered.emplace_back(eval::HistoryEvent::Text(e.name));
  }
  o.entered_states = std::move(entered);
  return o;
}

ValidationOutcome RunValidation(const ValidationRequest& req) {
  asl::MachineType t =
      req.type == "EXPRESS" ? asl::MachineType::Express : asl::MachineType::Standard;
  std::vector<asl::Diagnostic> diags = asl::ValidateText(req.definition_text, t);
  ValidationOutcome o;
  bool failed = asl::HasErrors(diags);
  if (req.api == "CreateStateMachine") {
    if (failed) {
      o.error_code = "InvalidDefinition";
      o.message = asl::InvalidDefinitionMessage(diags);
    }
    return o;
  }
  o.result = failed ? "FAIL" : "OK";
  for (const auto& d : diags) o.diagnostics.push_back({d.severity, d.code, d.message, d.location});
  return o;
}

}  // namespace

void AddLocalConformanceCommand(CLI::App& app, int* exit_code) {
  ConformanceHooks hooks;
  hooks.run_execution = RunExecution;
  hooks.run_validation = RunValidation;
  AddConformanceCommand(app, std::move(hooks), exit_code);
}

}  // namespace stepfn::cli
