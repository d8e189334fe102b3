// `stepfn conformance` against the in-process engine and validator (the cases with Lambda
// functions against a server started in this process).
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <mutex>

#include "asl/validate.h"
#include "cli/commands.h"
#include "cli/conformance.h"
#include "cli/conformance_command.h"
#include "cli/remote_conformance.h"
#include "engine/local_runner.h"
#include "engine/test_state.h"
#include "json/write.h"
#include "server/server.h"
#include "services/lambda/operations.h"
#include "services/models/mock_validation.h"

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
  env.check_mock_result = models::CheckMockResult;
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

// The cases with Lambda functions need the Lambda service: a server in this process (memory
// store, a free loopback port), started for the first such case, and the endpoint runner's
// hooks on it.
class InProcessServer {
 public:
  Result<ConformanceHooks*> Hooks() {
    std::lock_guard<std::mutex> lock(mu_);
    if (!started_.ok()) return started_;
    if (server_ == nullptr) {
      server::ServerOptions options;
      options.port = 0;
      options.fsync = false;
      auto server = server::Server::Start(options);
      if (!server.ok()) {
        started_ = server.status();
        return started_;
      }
      server_ = std::move(*server);
      std::string pattern =
          (std::filesystem::temp_directory_path() / "stepfn-conformance-XXXXXX").string();
      if (::mkdtemp(pattern.data()) == nullptr) {
        started_ = Internal("cannot make a temporary directory for the functions' code");
        return started_;
      }
      code_dir_ = pattern;
      hooks_ = RemoteConformanceHooks(SfnClientOptionsFromEnv(server_->endpoint()),
                                      std::chrono::milliseconds(300'000));
      // The functions are made through the Lambda API's operations in this process (their code
      // a local folder), whether or not the server's HTTP port serves that API.
      hooks_.create_functions = [this](const std::vector<CaseFunction>& functions) {
        return CreateFunctions(functions);
      };
      hooks_.delete_functions = [this](const std::vector<CaseFunction>& functions) {
        DeleteFunctions(functions);
      };
      hooks_.lambda_unavailable = [] { return std::optional<std::string>(); };
    }
    return &hooks_;
  }
  ~InProcessServer() {
    if (server_ != nullptr) server_->Stop();
    if (!code_dir_.empty()) {
      std::error_code ignored;
      std::filesystem::remove_all(code_dir_, ignored);
    }
  }

 private:
  static const lambda::ApiOperation* Operation(std::string_view name) {
    for (const lambda::ApiOperation& op : lambda::LambdaApiOperations()) {
      if (name == op.name) return &op;
    }
    return nullptr;
  }

  Status CreateFunctions(const std::vector<CaseFunction>& functions) {
    const lambda::ApiOperation* create = Operation("CreateFunction");
    if (create == nullptr || create->sync == nullptr) return Internal("no CreateFunction");
    for (const CaseFunction& f : functions) {
      std::filesystem::path dir = std::filesystem::path(code_dir_) / f.name;
      std::error_code ec;
      std::filesystem::create_directories(dir, ec);
      std::ofstream(dir / "handler.py") << f.code;
      lambda::ApiRequest request;
      request.body = json::Write(json::Value::Object(
          {{"FunctionName", json::Value::String(f.name)},
           {"Runtime", json::Value::String("python3.12")},
           {"Role", json::Value::String("arn:aws:iam::123456789012:role/stepfn-conformance")},
           {"Handler", json::Value::String("handler.handler")},
           {"Timeout", json::Value::Int(f.timeout_seconds)},
           {"Code", json::Value::Object({{"S3Bucket", json::Value::String("stepfn-local")},
                                         {"S3Key", json::Value::String(dir.string())}})}}));
      request.request_id = "conformance-" + f.name;
      lambda::ApiOutcome out = create->sync(server_->lambda(), request);
      if (const auto* error = std::get_if<api::AwsError>(&out)) {
        return Internal("CreateFunction " + f.name + ": " + error->code + ": " + error->message);
      }
    }
    return Status::Ok();
  }

  void DeleteFunctions(const std::vector<CaseFunction>& functions) {
    const lambda::ApiOperation* del = Operation("DeleteFunction");
    if (del == nullptr || del->sync == nullptr) return;
    for (const CaseFunction& f : functions) {
      lambda::ApiRequest request;
      request.labels = {{"FunctionName", f.name}};
      request.request_id = "conformance-delete-" + f.name;
      (void)del->sync(server_->lambda(), request);
      std::error_code ignored;
      std::filesystem::remove_all(std::filesystem::path(code_dir_) / f.name, ignored);
    }
  }

  std::mutex mu_;
  Status started_ = Status::Ok();
  std::unique_ptr<server::Server> server_;
  std::string code_dir_;
  ConformanceHooks hooks_;
};

}  // namespace

void AddLocalConformanceCommand(CLI::App& app, int* exit_code) {
  ConformanceHooks hooks;
  hooks.run_execution = RunExecution;
  hooks.run_validation = RunValidation;
  hooks.run_test_state = RunTestState;
  auto server = std::make_shared<InProcessServer>();
  hooks.create_functions = [server](const std::vector<CaseFunction>& functions) -> Status {
    ASSIGN_OR_RETURN(ConformanceHooks * remote, server->Hooks());
    return remote->create_functions(functions);
  };
  hooks.delete_functions = [server](const std::vector<CaseFunction>& functions) {
    auto remote = server->Hooks();
    if (remote.ok()) (*remote)->delete_functions(functions);
  };
  hooks.lambda_unavailable = [server]() -> std::optional<std::string> {
    auto remote = server->Hooks();
    if (!remote.ok()) return "the in-process server did not start: " + remote.status().message();
    return (*remote)->lambda_unavailable();
  };
  hooks.run_service_execution = [server](const json::Value& definition, const json::Value& input,
                                         const std::string& type) -> Result<ExecutionOutcome> {
    ASSIGN_OR_RETURN(ConformanceHooks * remote, server->Hooks());
    return remote->run_execution(definition, input, type);
  };
  AddConformanceCommand(app, std::move(hooks), exit_code);
}

}  // namespace stepfn::cli
