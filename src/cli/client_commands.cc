// `stepfn start`, `stepfn describe`, `stepfn history` and `stepfn run --endpoint`: the commands
// that drive a Step Functions server (stepfn serve, or anything that speaks the AWS API)
// through SfnClient.
#include "cli/client_commands.h"

#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "asl/validate.h"
#include "cli/commands.h"
#include "cli/files.h"
#include "cli/sfn_client.h"
#include "common/clock.h"
#include "json/parse.h"
#include "json/write.h"

namespace stepfn::cli {
namespace {

using json::Value;

constexpr size_t kMaxInputBytes = 256 * 1024;
// CreateStateMachine needs a role; a stepfn server only checks its form.
constexpr const char* kDefaultRoleArn = "arn:aws:iam::123456789012:role/stepfn";

void PrintError(std::string_view command, const std::string& what) {
  std::fprintf(stderr, "stepfn %.*s: %s\n", static_cast<int>(command.size()), command.data(),
               what.c_str());
}

std::string Str(const Value& v, std::string_view key) {
  const Value* m = v.find(key);
  return m != nullptr && m->is_string() ? m->as_string() : "";
}

void PrintLine(const std::string& text) {
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fputc('\n', stdout);
}

// The endpoint from the option or STEPFN_ENDPOINT, as a client.
Result<std::unique_ptr<SfnClient>> Connect(const std::string& option, bool env_allowed) {
  std::string endpoint = option;
  if (endpoint.empty() && env_allowed) {
    if (const char* env = std::getenv("STEPFN_ENDPOINT")) endpoint = env;
  }
  if (endpoint.empty()) {
    return InvalidArgument(
        env_allowed ? "no endpoint: give --endpoint http://HOST:PORT or set STEPFN_ENDPOINT"
                    : "no endpoint: give --endpoint http://HOST:PORT");
  }
  return SfnClient::Create(SfnClientOptionsFromEnv(endpoint));
}

// The definition file's text, checked to be JSON (the server validates the rest).
Result<std::string> ReadDefinition(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path, asl::kMaxDefinitionBytes));
  auto parsed = json::Parse(text);
  if (!parsed.ok()) return parsed.status().WithPrefix(path);
  return text;
}

// The execution input as JSON text ("{}" when none is given).
Result<std::string> ReadInput(const std::string& input, const std::string& input_file) {
  if (!input.empty() && !input_file.empty()) {
    return InvalidArgument("give --input or --input-file, not both");
  }
  if (input.empty() && input_file.empty()) return std::string("{}");
  Result<std::string> text =
      input_file.empty() ? Result<std::string>(input) : ReadFile(input_file, kMaxInputBytes);
  if (text.ok() && text->size() > kMaxInputBytes) {
    text = OutOfRange("the input is " + std::to_string(text->size()) +
                      " bytes, over the limit of 262144 bytes");
  }
  if (!text.ok()) return text.status().WithPrefix("InvalidExecutionInput");
  auto parsed = json::Parse(*text);
  if (!parsed.ok()) return parsed.status().WithPrefix("InvalidExecutionInput");
  return text;
}

// A state machine name from a file name: AWS refuses whitespace, brackets, wildcards, some
// punctuation and control characters, and more than 80 characters.
std::string MachineNameFor(const std::string& path) {
  std::string name = std::filesystem::path(path).stem().string();
  for (char& c : name) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u == 0x7f ||
        std::string_view("<>{}[]?*\"#%\\^|~`$&,;:/").find(c) != std::string_view::npos) {
      c = '-';
    }
  }
  if (name.size() > 80) name.resize(80);
  return name.empty() ? "stepfn" : name;
}

// The ARN of the state machine named `name`, from ListStateMachines.
Result<std::string> FindStateMachine(SfnClient& client, const std::string& name) {
  std::string token;
  for (;;) {
    json::ObjectBuilder request;
    request.Append("maxResults", Value::Int(1000));
    if (!token.empty()) request.Append("nextToken", Value::String(token));
    ASSIGN_OR_RETURN(Value page, client.Call("ListStateMachines", std::move(request).Build()));
    if (const Value* list = page.find("stateMachines"); list != nullptr && list->is_array()) {
      for (const Value& m : list->items()) {
        if (Str(m, "name") == name) return Str(m, "stateMachineArn");
      }
    }
    token = Str(page, "nextToken");
    if (token.empty()) {
      return NotFound("the server at " + client.endpoint().url + " says state machine '" + name +
                      "' exists but does not list it");
    }
  }
}

// Creates the state machine `name`, or updates it when it exists with another definition.
// Returns its ARN.
Result<std::string> CreateOrUpdate(SfnClient& client, const std::string& name,
                                   const std::string& definition, const std::string& type,
                                   const std::string& role_arn) {
  SfnError error;
  auto created = client.Call("CreateStateMachine",
                             Value::Object({{"name", Value::String(name)},
                                            {"definition", Value::String(definition)},
                                            {"roleArn", Value::String(role_arn)},
                                            {"type", Value::String(type)}}),
                             &error);
  if (created.ok()) return Str(*created, "stateMachineArn");
  if (error.code != "StateMachineAlreadyExists") return created.status();
  ASSIGN_OR_RETURN(std::string arn, FindStateMachine(client, name));
  ASSIGN_OR_RETURN(Value described,
                   client.Call("DescribeStateMachine",
                               Value::Object({{"stateMachineArn", Value::String(arn)}})));
  std::string existing_type = Str(described, "type");
  if (!existing_type.empty() && existing_type != type) {
    return InvalidArgument("state machine '" + name + "' exists on " + client.endpoint().url +
                           " as " + existing_type + ", not " + type +
                           " (the type cannot change): name another with --state-machine");
  }
  RETURN_IF_ERROR(
      client
          .Call("UpdateStateMachine", Value::Object({{"stateMachineArn", Value::String(arn)},
                                                     {"definition", Value::String(definition)},
                                                     {"roleArn", Value::String(role_arn)}}))
          .status());
  return arn;
}

// How an execution ended.
struct Ended {
  std::string execution_arn;
  std::string status;
  Value output;  // on SUCCEEDED
  std::string error, cause;
};

Ended EndedFrom(const Value& answer) {
  Ended e;
  e.execution_arn = Str(answer, "executionArn");
  e.status = Str(answer, "status");
  e.error = Str(answer, "error");
  e.cause = Str(answer, "cause");
  if (const Value* out = answer.find("output"); out != nullptr && out->is_string()) {
    auto parsed = json::Parse(out->as_string());
    e.output = parsed.ok() ? *parsed : *out;
  }
  return e;
}

std::string Target(const std::string& arn, const std::string& test_case) {
  return test_case.empty() ? arn : arn + "#" + test_case;
}

Value StartRequest(const std::string& target, const std::string& input, const std::string& name) {
  json::ObjectBuilder request;
  request.Append("stateMachineArn", Value::String(target));
  request.Append("input", Value::String(input));
  if (!name.empty()) request.Append("name", Value::String(name));
  return std::move(request).Build();
}

// Runs to the end: StartSyncExecution for EXPRESS (it answers at the end), StartExecution and
// DescribeExecution polls for STANDARD.
Result<Ended> RunToEnd(SfnClient& client, const std::string& target, const std::string& type,
                       const std::string& input, const std::string& name, bool show) {
  if (type == "EXPRESS") {
    ASSIGN_OR_RETURN(Value answer,
                     client.Call("StartSyncExecution", StartRequest(target, input, name)));
    return EndedFrom(answer);
  }
  ASSIGN_OR_RETURN(Value started, client.Call("StartExecution", StartRequest(target, input, name)));
  std::string arn = Str(started, "executionArn");
  if (show) std::fprintf(stderr, "  \033[2m%s\033[0m\n", arn.c_str());
  ASSIGN_OR_RETURN(Value described, WaitForExecution(client, arn));
  return EndedFrom(described);
}

// Prints the result as the in-process `run` does.
int PrintEnded(const Ended& r, const std::optional<std::vector<Value>>& history, bool as_json,
               bool show, const std::vector<json::Member>& extra_json) {
  bool ok = r.status == "SUCCEEDED";
  if (as_json) {
    json::ObjectBuilder b;
    for (const auto& [k, v] : extra_json) b.Append(k, v);
    b.Append("status", Value::String(r.status));
    if (ok) {
      b.Append("output", r.output);
    } else {
      b.Append("error", Value::String(r.error));
      b.Append("cause", Value::String(r.cause));
    }
    if (history.has_value()) b.Append("history", Value::Array(*history));
    PrintLine(json::Write(std::move(b).Build()));
    return ok ? kExitOk : kExitFailed;
  }
  if (history.has_value()) {
    for (const Value& e : *history) PrintLine(json::Write(e));
  }
  if (show) {
    std::fprintf(stderr, "%s%s\033[0m\n", ok ? "\033[32m" : "\033[31m", r.status.c_str());
  }
  if (ok) {
    PrintLine(json::WritePretty(r.output));
  } else {
    std::printf("%s\nerror: %s\ncause: %s\n", r.status.c_str(), r.error.c_str(), r.cause.c_str());
  }
  return ok ? kExitOk : kExitFailed;
}

bool CheckType(std::string_view command, const std::string& type) {
  if (type == "STANDARD" || type == "EXPRESS") return true;
  PrintError(command, "--type must be STANDARD or EXPRESS, not '" + type + "'");
  return false;
}

// ---- stepfn start ----

struct StartArgs {
  std::string target;  // a definition file or a state machine ARN
  std::string input, input_file;
  std::string name;
  std::string type = "STANDARD";
  std::string state_machine;
  std::string test_case;
  std::string role_arn = kDefaultRoleArn;
  std::string endpoint;
  bool wait = false;
  bool json = false;
};

int Start(const StartArgs& a) {
  constexpr std::string_view kCmd = "start";
  if (!CheckType(kCmd, a.type)) return kExitUsage;
  auto input = ReadInput(a.input, a.input_file);
  if (!input.ok()) {
    PrintError(kCmd, input.status().message());
    return kExitUsage;
  }
  bool is_arn = a.target.starts_with("arn:");
  std::string definition;
  if (!is_arn) {
    auto text = ReadDefinition(a.target);
    if (!text.ok()) {
      PrintError(kCmd, text.status().message());
      return kExitUsage;
    }
    definition = std::move(*text);
  }
  auto client = Connect(a.endpoint, true);
  if (!client.ok()) {
    PrintError(kCmd, client.status().message());
    return kExitUsage;
  }
  SfnClient& c = **client;
  std::string machine_arn;
  std::string type = a.type;
  std::string test_case = a.test_case;
  if (is_arn) {
    machine_arn = a.target;
    if (size_t hash = machine_arn.find('#'); hash != std::string::npos) {
      if (test_case.empty()) test_case = machine_arn.substr(hash + 1);
      machine_arn.resize(hash);
    }
    if (a.wait) {  // EXPRESS machines run with StartSyncExecution: learn the type
      auto described = c.Call("DescribeStateMachine",
                              Value::Object({{"stateMachineArn", Value::String(machine_arn)}}));
      if (!described.ok()) {
        PrintError(kCmd, described.status().message());
        return kExitUsage;
      }
      if (std::string t = Str(*described, "type"); !t.empty()) type = t;
    }
  } else {
    std::string name = a.state_machine.empty() ? MachineNameFor(a.target) : a.state_machine;
    auto arn = CreateOrUpdate(c, name, definition, type, a.role_arn);
    if (!arn.ok()) {
      PrintError(kCmd, a.target + ": " + arn.status().message());
      return kExitUsage;
    }
    machine_arn = *arn;
  }
  std::string target = Target(machine_arn, test_case);
  if (!a.wait) {
    auto started = c.Call("StartExecution", StartRequest(target, *input, a.name));
    if (!started.ok()) {
      PrintError(kCmd, started.status().message());
      return kExitUsage;
    }
    if (a.json) {
      json::ObjectBuilder b(*started);
      b.Set("stateMachineArn", Value::String(machine_arn));
      PrintLine(json::Write(std::move(b).Build()));
    } else {
      PrintLine(Str(*started, "executionArn"));
    }
    return kExitOk;
  }
  bool show = !a.json && isatty(STDERR_FILENO);
  auto ended = RunToEnd(c, target, type, *input, a.name, false);
  if (!ended.ok()) {
    PrintError(kCmd, ended.status().message());
    return kExitUsage;
  }
  if (!a.json) PrintLine(ended->execution_arn);
  return PrintEnded(*ended, std::nullopt, a.json, show,
                    {{"executionArn", Value::String(ended->execution_arn)},
                     {"stateMachineArn", Value::String(machine_arn)}});
}

// ---- stepfn describe ----

struct DescribeArgs {
  std::string execution_arn;
  std::string endpoint;
  bool json = false;
};

std::string DateText(const Value& v) {
  if (!v.is_number()) return json::Write(v);
  return FormatIso8601Millis(static_cast<EpochMillis>(v.as_double() * 1000.0 + 0.5));
}

int Describe(const DescribeArgs& a) {
  constexpr std::string_view kCmd = "describe";
  auto client = Connect(a.endpoint, true);
  if (!client.ok()) {
    PrintError(kCmd, client.status().message());
    return kExitUsage;
  }
  auto described = (*client)->Call(
      "DescribeExecution", Value::Object({{"executionArn", Value::String(a.execution_arn)}}));
  if (!described.ok()) {
    PrintError(kCmd, described.status().message());
    return kExitUsage;
  }
  if (a.json) {
    PrintLine(json::Write(*described));
    return kExitOk;
  }
  constexpr const char* kShown[] = {"executionArn",
                                    "stateMachineArn",
                                    "name",
                                    "status",
                                    "startDate",
                                    "stopDate",
                                    "input",
                                    "output",
                                    "error",
                                    "cause",
                                    "redriveCount",
                                    "stateMachineVersionArn",
                                    "stateMachineAliasArn",
                                    "mapRunArn"};
  int width = 0;
  for (const char* key : kShown) {
    if (described->find(key) != nullptr) width = std::max(width, static_cast<int>(strlen(key)));
  }
  for (const char* key : kShown) {
    const Value* v = described->find(key);
    if (v == nullptr) continue;
    std::string text = std::string_view(key).ends_with("Date") ? DateText(*v)
                       : v->is_string()                        ? v->as_string()
                                                               : json::Write(*v);
    std::printf("%-*s%s\n", width + 2, (std::string(key) + ":").c_str(), text.c_str());
  }
  return kExitOk;
}

// ---- stepfn history ----

struct HistoryArgs {
  std::string execution_arn;
  std::string endpoint;
  bool json = false;
  bool reverse = false;
};

// "  12  2024-01-02T03:04:05.678Z  TaskStateEntered  Fetch" (the state's name, or the error
// and cause of a failure).
std::string EventLine(const Value& e) {
  std::string line = "  ";
  const Value* id = e.find("id");
  line += id != nullptr ? json::Write(*id) : "?";
  if (const Value* t = e.find("timestamp"); t != nullptr) line += "  " + DateText(*t);
  line += "  " + Str(e, "type");
  if (e.is_object()) {
    for (const auto& [key, details] : e.members()) {
      if (!key.ends_with("EventDetails") || !details.is_object()) continue;
      if (std::string name = Str(details, "name"); !name.empty()) line += "  " + name;
      if (std::string error = Str(details, "error"); !error.empty()) line += "  " + error;
      if (std::string cause = Str(details, "cause"); !cause.empty()) {
        if (cause.size() > 200) cause = cause.substr(0, 200) + "...";
        line += ": " + cause;
      }
    }
  }
  return line;
}

int History(const HistoryArgs& a) {
  constexpr std::string_view kCmd = "history";
  auto client = Connect(a.endpoint, true);
  if (!client.ok()) {
    PrintError(kCmd, client.status().message());
    return kExitUsage;
  }
  auto events = GetWholeHistory(**client, a.execution_arn, a.reverse);
  if (!events.ok()) {
    PrintError(kCmd, events.status().message());
    return kExitUsage;
  }
  if (a.json) {
    PrintLine(json::Write(Value::Object({{"events", Value::Array(std::move(*events))}})));
    return kExitOk;
  }
  for (const Value& e : *events) PrintLine(EventLine(e));
  return kExitOk;
}

void AddEndpointOption(CLI::App* cmd, std::string* endpoint) {
  cmd->add_option("--endpoint", *endpoint,
                  "Step Functions endpoint, http://HOST:PORT (default: $STEPFN_ENDPOINT)");
}

}  // namespace

int RunOnServer(const RemoteRunArgs& a) {
  constexpr std::string_view kCmd = "run";
  if (a.mock_config_given) {
    PrintError(kCmd,
               "--mock-config is not sent with --endpoint: the server reads its own (stepfn "
               "serve --mock-config FILE); pass --test-case NAME to use one of its test cases");
    return kExitUsage;
  }
  if (a.time_scale_given) {
    PrintError(kCmd,
               "--time-scale applies to runs in this process; with --endpoint the server's "
               "clock decides (stepfn serve --time-scale)");
    return kExitUsage;
  }
  if (!CheckType(kCmd, a.type)) return kExitUsage;
  auto definition = ReadDefinition(a.definition);
  if (!definition.ok()) {
    PrintError(kCmd, definition.status().message());
    return kExitUsage;
  }
  auto input = ReadInput(a.input, a.input_file);
  if (!input.ok()) {
    PrintError(kCmd, input.status().message());
    return kExitUsage;
  }
  auto client = Connect(a.endpoint, false);
  if (!client.ok()) {
    PrintError(kCmd, client.status().message());
    return kExitUsage;
  }
  SfnClient& c = **client;
  std::string name = a.state_machine.empty() ? MachineNameFor(a.definition) : a.state_machine;
  auto arn = CreateOrUpdate(c, name, *definition, a.type, kDefaultRoleArn);
  if (!arn.ok()) {
    PrintError(kCmd, a.definition + ": " + arn.status().message());
    return kExitUsage;
  }
  bool show = !a.json && isatty(STDERR_FILENO);
  auto ended = RunToEnd(c, Target(*arn, a.test_case), a.type, *input, a.name, show);
  if (!ended.ok()) {
    PrintError(kCmd, ended.status().message());
    return kExitUsage;
  }
  std::optional<std::vector<Value>> history;
  if (a.history) {
    auto events = GetWholeHistory(c, ended->execution_arn);
    if (!events.ok()) {
      PrintError(kCmd, "the execution ended " + ended->status +
                           " but its history could not be read: " + events.status().message());
      return kExitUsage;
    }
    history = std::move(*events);
  }
  return PrintEnded(*ended, history, a.json, show, {});
}

void AddStartCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<StartArgs>();
  CLI::App* cmd = app.add_subcommand(
      "start",
      "Start an execution on a server: of a definition file (its state machine is created or "
      "updated first, named after the file) or of a state machine ARN");
  cmd->add_option("definition_or_arn", args->target, "ASL definition file, or state machine ARN")
      ->required();
  cmd->add_option("--input", args->input, "Execution input (JSON text)");
  cmd->add_option("--input-file", args->input_file,
                  "File holding the execution input ('-': stdin)");
  cmd->add_option("--name", args->name, "Execution name");
  cmd->add_option("--type", args->type,
                  "STANDARD or EXPRESS, for a state machine created from a file");
  cmd->add_option("--state-machine", args->state_machine,
                  "Name of the state machine created from a file (default: the file's name)");
  cmd->add_option("--test-case", args->test_case,
                  "Test case of the server's mock config (starts '<ARN>#<test case>')");
  cmd->add_option("--role-arn", args->role_arn, "Role of a state machine created from a file");
  cmd->add_flag("--wait", args->wait,
                "Wait for the end and print the result as `run` does (exit 0 SUCCEEDED, 1 "
                "otherwise)");
  cmd->add_flag("--json", args->json, "Print exactly one JSON object on stdout");
  AddEndpointOption(cmd, &args->endpoint);
  cmd->callback([args, exit_code] { *exit_code = Start(*args); });
}

void AddDescribeCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<DescribeArgs>();
  CLI::App* cmd = app.add_subcommand("describe", "Describe an execution on a server");
  cmd->add_option("execution_arn", args->execution_arn, "Execution ARN")->required();
  cmd->add_flag("--json", args->json, "Print DescribeExecution's answer as JSON");
  AddEndpointOption(cmd, &args->endpoint);
  cmd->callback([args, exit_code] { *exit_code = Describe(*args); });
}

void AddHistoryCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<HistoryArgs>();
  CLI::App* cmd =
      app.add_subcommand("history", "Print the history of an execution on a server (all pages)");
  cmd->add_option("execution_arn", args->execution_arn, "Execution ARN")->required();
  cmd->add_flag("--json", args->json, "Print one JSON object: {\"events\": [...]}");
  cmd->add_flag("--reverse", args->reverse, "Newest event first");
  AddEndpointOption(cmd, &args->endpoint);
  cmd->callback([args, exit_code] { *exit_code = History(*args); });
}

}  // namespace stepfn::cli
