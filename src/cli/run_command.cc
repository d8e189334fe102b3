// `stepfn run DEFINITION`: one execution, in this process (on a server with --endpoint:
// RunOnServer, client_commands.cc).
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <iostream>
#include <memory>

#include "asl/program.h"
#include "asl/validate.h"
#include "cli/client_commands.h"
#include "cli/commands.h"
#include "cli/files.h"
#include "engine/local_runner.h"
#include "engine/mock_config.h"
#include "json/parse.h"
#include "json/write.h"

namespace stepfn::cli {
namespace {

// AWS's limits: definitions up to 1 MiB of text, execution input up to 256 KiB.
constexpr size_t kMaxInputBytes = 256 * 1024;

struct RunArgs {
  std::string definition;
  std::string input;
  std::string input_file;
  std::string type = "STANDARD";
  std::string mock_config;
  std::string test_case;
  std::string state_machine;
  std::string name;
  double time_scale = 1.0;
  bool history = false;
  bool json = false;
  std::string endpoint;  // run on this server instead (client_commands.h)
};

void PrintError(const std::string& what) { std::fprintf(stderr, "stepfn run: %s\n", what.c_str()); }

// Shows the states as they are entered, on a terminal. Inside a Map, the states of the first
// kShownIterations iterations are shown and the rest counted, so that a Map over thousands of
// items stays readable; failures are always shown.
std::function<void(const eval::HistoryEvent&)> TerminalProgress() {
  constexpr int kShownIterations = 3;
  struct Progress {
    int hidden_depth = 0;  // > 0 while inside iterations past the first few
    int64_t hidden = 0;    // iterations not shown in the current Map
  };
  auto p = std::make_shared<Progress>();
  return [p](const eval::HistoryEvent& e) {
    using eval::EventType;
    std::string_view t = eval::EventTypeName(e.type);
    switch (e.type) {
      case EventType::MapIterationStarted:
        if (p->hidden_depth > 0 || e.index >= kShownIterations) {
          ++p->hidden_depth;
          if (p->hidden_depth == 1) ++p->hidden;
        }
        return;
      case EventType::MapIterationSucceeded:
      case EventType::MapIterationFailed:
      case EventType::MapIterationAborted:
        if (p->hidden_depth > 0) --p->hidden_depth;
        break;
      case EventType::MapStateSucceeded:
      case EventType::MapStateFailed:
        if (p->hidden_depth == 0 && p->hidden > 0) {
          std::fprintf(stderr, "    \033[2m… and %lld more iteration%s\033[0m\n",
                       static_cast<long long>(p->hidden), p->hidden == 1 ? "" : "s");
          p->hidden = 0;
        }
        return;
      default:
        break;
    }
    bool failure = t == "TaskFailed" || t == "MapIterationFailed" || t == "TaskTimedOut";
    if (failure) {
      std::string err(eval::HistoryEvent::Text(e.error())),
          cause(eval::HistoryEvent::Text(e.cause()));
      std::fprintf(stderr, "    \033[31m✗ %s: %s\033[0m\n", err.c_str(), cause.c_str());
      return;
    }
    if (p->hidden_depth > 0 || !t.ends_with("StateEntered")) return;
    std::string_view name = eval::HistoryEvent::Text(e.name);
    std::fprintf(stderr, "  \033[36m▶\033[0m %.*s \033[2m(%.*s)\033[0m\n",
                 static_cast<int>(name.size()), name.data(), static_cast<int>(t.size() - 12),
                 t.data());
  };
}

int Run(const RunArgs& a) {
  auto text = ReadFile(a.definition, asl::kMaxDefinitionBytes);
  if (!text.ok()) {
    PrintError(text.status().message());
    return kExitUsage;
  }
  json::ParseOptions parse_options;
  parse_options.padded = HasParsePadding(*text);
  auto def = json::Parse(*text, parse_options);
  if (!def.ok()) {
    PrintError(a.definition + ": " + def.status().message());
    return kExitUsage;
  }
  engine::MachineType type;
  if (a.type == "STANDARD") {
    type = engine::MachineType::Standard;
  } else if (a.type == "EXPRESS") {
    type = engine::MachineType::Express;
  } else {
    PrintError("--type must be STANDARD or EXPRESS, not '" + a.type + "'");
    return kExitUsage;
  }
  // Validate the text, not only the parsed value: a state name given twice in one States
  // object shows only there.
  asl::ValidateTextOptions validate_options;
  validate_options.padded = parse_options.padded;
  std::vector<asl::Diagnostic> diagnostics = asl::ValidateText(*text, type, validate_options);
  if (asl::HasErrors(diagnostics)) {
    PrintError(a.definition + ": " + asl::InvalidDefinitionMessage(diagnostics));
    return kExitUsage;
  }
  auto program = asl::Program::Compile(*def);
  if (!program.ok()) {
    PrintError(a.definition + ": " + program.status().message());
    return kExitUsage;
  }
  json::Value input = json::Value::EmptyObject();
  if (!a.input.empty() && !a.input_file.empty()) {
    PrintError("give --input or --input-file, not both");
    return kExitUsage;
  }
  if (!a.input.empty() || !a.input_file.empty()) {
    Result<std::string> text = a.input_file.empty() ? Result<std::string>(a.input)
                                                    : ReadFile(a.input_file, kMaxInputBytes);
    if (text.ok() && text->size() > kMaxInputBytes) {
      text = OutOfRange("the input is " + std::to_string(text->size()) +
                        " bytes, over the limit of 262144 bytes");
    }
    if (!text.ok()) {
      PrintError("InvalidExecutionInput: " + text.status().message());
      return kExitUsage;
    }
    auto parsed = json::Parse(*text);
    if (!parsed.ok()) {
      PrintError("InvalidExecutionInput: " + parsed.status().message());
      return kExitUsage;
    }
    input = std::move(*parsed);
  }
  std::optional<engine::MockConfig> mocks;
  engine::RunOptions options;
  options.type = type;
  options.time_scale = a.time_scale;
  options.record_history = a.history;
  options.execution_name = a.name;
  options.state_machine_name = std::filesystem::path(a.definition).stem().string();
  if (!a.mock_config.empty()) {
    auto mc = engine::MockConfig::Load(a.mock_config);
    if (!mc.ok()) {
      PrintError(mc.status().message());
      return kExitUsage;
    }
    mocks = std::move(*mc);
    if (a.test_case.empty()) {
      PrintError("--mock-config needs --test-case NAME");
      return kExitUsage;
    }
    options.state_machine_name = !a.state_machine.empty()        ? a.state_machine
                                 : !mocks->SoleMachine().empty() ? mocks->SoleMachine()
                                                                 : options.state_machine_name;
    options.mocks = &*mocks;
    options.test_case = a.test_case;
  } else if (!a.test_case.empty()) {
    PrintError("--test-case needs --mock-config FILE");
    return kExitUsage;
  }
  bool show = !a.json && isatty(STDERR_FILENO);
  if (show) options.on_event = TerminalProgress();
  auto result = engine::RunLocal(**program, input, options);
  if (!result.ok()) {
    PrintError(result.status().message());
    return kExitUsage;
  }
  const engine::RunResult& r = *result;
  bool ok = r.status == "SUCCEEDED";
  if (a.json) {
    json::ObjectBuilder b;
    b.Append("status", json::Value::String(r.status));
    if (ok) {
      b.Append("output", r.output);
    } else {
      b.Append("error", json::Value::String(r.error));
      b.Append("cause", json::Value::String(r.cause));
    }
    if (a.history) {
      std::vector<json::Value> events;
      events.reserve(r.history.size());
      for (const auto& e : r.history) events.push_back(e.ToJson());
      b.Append("history", json::Value::Array(std::move(events)));
    }
    std::string out = json::Write(std::move(b).Build());
    out.push_back('\n');
    std::fwrite(out.data(), 1, out.size(), stdout);
    return ok ? kExitOk : kExitFailed;
  }
  if (a.history) {
    for (const auto& e : r.history) {
      std::string line = json::Write(e.ToJson());
      std::printf("%s\n", line.c_str());
    }
  }
  if (show) {
    std::fprintf(stderr, "%s%s\033[0m\n", ok ? "\033[32m" : "\033[31m", r.status.c_str());
  }
  if (ok) {
    std::string out = json::WritePretty(r.output);
    std::printf("%s\n", out.c_str());
  } else {
    std::printf("%s\nerror: %s\ncause: %s\n", r.status.c_str(), r.error.c_str(), r.cause.c_str());
  }
  return ok ? kExitOk : kExitFailed;
}

}  // namespace

void AddRunCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<RunArgs>();
  CLI::App* cmd = app.add_subcommand("run", "Run one execution of a state machine definition");
  cmd->add_option("definition", args->definition, "ASL definition file (JSON)")->required();
  cmd->add_option("--input", args->input, "Execution input (JSON text)");
  cmd->add_option("--input-file", args->input_file,
                  "File holding the execution input ('-': stdin)");
  cmd->add_option("--type", args->type, "STANDARD or EXPRESS");
  cmd->add_option("--mock-config", args->mock_config,
                  "Mocked task responses (AWS Step Functions Local format)");
  cmd->add_option("--test-case", args->test_case, "Test case of the mock config to use");
  cmd->add_option(
      "--state-machine", args->state_machine,
      "State machine name in the mock config (default: its only one, or the file name)");
  cmd->add_option("--name", args->name, "Execution name");
  cmd->add_option(
      "--time-scale", args->time_scale,
      "Speed of waits, retries and timeouts: 1 real time, 10 ten times faster, 0 no waiting");
  cmd->add_flag("--history", args->history, "Print the history events");
  cmd->add_flag("--json", args->json, "Print exactly one JSON object on stdout");
  cmd->add_option("--endpoint", args->endpoint,
                  "Run on a Step Functions server (http://HOST:PORT) instead of in this process");
  cmd->callback([args, exit_code, cmd] {
    if (args->endpoint.empty()) {
      *exit_code = Run(*args);
      return;
    }
    RemoteRunArgs remote;
    remote.endpoint = args->endpoint;
    remote.definition = args->definition;
    remote.input = args->input;
    remote.input_file = args->input_file;
    remote.type = args->type;
    remote.name = args->name;
    remote.state_machine = args->state_machine;
    remote.test_case = args->test_case;
    remote.history = args->history;
    remote.json = args->json;
    remote.mock_config_given = !args->mock_config.empty();
    remote.time_scale_given = cmd->count("--time-scale") > 0;
    *exit_code = RunOnServer(remote);
  });
}

}  // namespace stepfn::cli
