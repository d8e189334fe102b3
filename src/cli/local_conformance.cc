// `stepfn conformance` against the in-process engine and validator.
#include "asl/validate.h"
#include "cli/commands.h"
#include "cli/conformance.h"
#include "cli/conformance_command.h"
#include "engine/local_runner.h"
#include "engine/test_state.h"
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

// TestState in process: the engine's TestState, at a fixed time and seed.
TestStateOutcome RunTestState(const json::Value& body) {
  engine::TestStateEnvironment env;
  env.now = 1735689600000;  // 2025-01-01T00:00:00Z
  env.seed = 1;
  engine::TestStateOutcome outcome = engine::TestState(engine::TestStateRequestFromJson(body), env);
  TestStateOutcome o;
  if (const auto* refused = std::get_if<engine::TestStateRefusal>(&outcome)) {
    o.error_code = refused->code;
    o.message = refused->message;
  } else {
    o.response = std::get<engine::TestStateResponse>(outcome).ToJson();
  }
  return o;
}

}  // namespace

void AddLocalConformanceCommand(CLI::App& app, int* exit_code) {
  ConformanceHooks hooks;
  hooks.run_execution = RunExecution;
  hooks.run_validation = RunValidation;
  hooks.run_test_state = RunTestState;
  AddConformanceCommand(app, std::move(hooks), exit_code);
}

}  // namespace stepfn::cli
