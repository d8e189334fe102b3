// `stepfn conformance --endpoint URL`: the runner's hooks over the Step Functions API.
//
// The runner asks its hooks one case at a time. To run `jobs` cases at once without changing
// it, RunConformanceOnServer first selects the cases the runner will ask about (as
// RunConformance does: category, filter, skip table), runs their requests through the API on
// `jobs` threads, and then hands the runner hooks that answer from those results (a request it
// did not foresee goes to the server then).
#include "cli/remote_conformance.h"

#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "json/parse.h"
#include "json/write.h"

namespace stepfn::cli {
namespace {

using json::Value;

constexpr const char* kRoleArn = "arn:aws:iam::123456789012:role/stepfn-conformance";

std::string Str(const Value& v, std::string_view key) {
  const Value* m = v.find(key);
  return m != nullptr && m->is_string() ? m->as_string() : "";
}

// A zip archive holding one file, stored (not compressed): a Lambda deployment package.
uint32_t Crc32(std::string_view data) {
  static const auto kTable = [] {
    std::array<uint32_t, 256> t{};
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
      t[i] = c;
    }
    return t;
  }();
  uint32_t c = 0xFFFFFFFFu;
  for (unsigned char b : data) c = kTable[(c ^ b) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::string ZipOneFile(const std::string& name, const std::string& content) {
  std::string out;
  auto u16 = [&out](uint32_t v) {
    out.push_back(static_cast<char>(v & 0xFF));
    out.push_back(static_cast<char>((v >> 8) & 0xFF));
  };
  auto u32 = [&](uint32_t v) {
    u16(v & 0xFFFF);
    u16(v >> 16);
  };
  const uint32_t crc = Crc32(content);
  const auto size = static_cast<uint32_t>(content.size());
  const auto name_size = static_cast<uint32_t>(name.size());
  const uint32_t kDosTime = 0, kDosDate = (1 << 5) | 1 | ((2020 - 1980) << 9);
  // Local file header, the data, the central directory, its end.
  u32(0x04034b50), u16(20), u16(0), u16(0), u16(kDosTime), u16(kDosDate), u32(crc), u32(size),
      u32(size), u16(name_size), u16(0);
  out += name;
  out += content;
  const auto central_at = static_cast<uint32_t>(out.size());
  u32(0x02014b50), u16((3 << 8) | 20), u16(20), u16(0), u16(0), u16(kDosTime), u16(kDosDate),
      u32(crc), u32(size), u32(size), u16(name_size), u16(0), u16(0), u16(0), u16(0),
      u32(0100644u << 16), u32(0);
  out += name;
  const auto central_size = static_cast<uint32_t>(out.size()) - central_at;
  u32(0x06054b50), u16(0), u16(0), u16(1), u16(1), u32(central_size), u32(central_at), u16(0);
  return out;
}

std::string Base64(std::string_view bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  size_t i = 0;
  for (; i + 2 < bytes.size(); i += 3) {
    uint32_t n = (static_cast<unsigned char>(bytes[i]) << 16) |
                 (static_cast<unsigned char>(bytes[i + 1]) << 8) |
                 static_cast<unsigned char>(bytes[i + 2]);
    for (int k = 18; k >= 0; k -= 6) out.push_back(kAlphabet[(n >> k) & 63]);
  }
  if (i < bytes.size()) {
    uint32_t n = static_cast<unsigned char>(bytes[i]) << 16;
    if (i + 1 < bytes.size()) n |= static_cast<unsigned char>(bytes[i + 1]) << 8;
    out.push_back(kAlphabet[(n >> 18) & 63]);
    out.push_back(kAlphabet[(n >> 12) & 63]);
    out.push_back(i + 1 < bytes.size() ? kAlphabet[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

// The hooks' shared state: clients to borrow (one per thread at a time) and unique names.
class Remote {
 public:
  Remote(SfnClientOptions options, std::chrono::milliseconds max_wait)
      : options_(std::move(options)),
        max_wait_(max_wait),
        prefix_("stepfn-conformance-" + std::to_string(getpid()) + "-" +
                std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(
                                   std::chrono::system_clock::now().time_since_epoch())
                                   .count() %
                               1'000'000'000)) {}

  Result<ExecutionOutcome> RunExecution(const std::string& definition, const std::string& input,
                                        const std::string& type) {
    ASSIGN_OR_RETURN(Lease lease, Borrow());
    SfnClient& c = *lease.client;
    std::string name = NextName();
    ASSIGN_OR_RETURN(Value created, c.Call("CreateStateMachine",
                                           Value::Object({{"name", Value::String(name)},
                                                          {"definition", Value::String(definition)},
                                                          {"roleArn", Value::String(kRoleArn)},
                                                          {"type", Value::String(type)}})));
    std::string machine = Str(created, "stateMachineArn");
    Result<ExecutionOutcome> outcome =
        type == "EXPRESS" ? RunExpress(c, machine, input) : RunStandard(c, machine, input);
    // Best effort: a failed delete leaves a state machine behind, nothing worse.
    (void)c.Call("DeleteStateMachine",
                 Value::Object({{"stateMachineArn", Value::String(machine)}}));
    Return(std::move(lease));
    return outcome;
  }

  // CreateFunction for each (python3.12, handler.py zipped, handler.handler); all or none.
  Status CreateFunctions(const std::vector<CaseFunction>& functions) {
    ASSIGN_OR_RETURN(Lease lease, Borrow());
    Status status = Status::Ok();
    for (const CaseFunction& f : functions) {
      Value request = Value::Object(
          {{"FunctionName", Value::String(f.name)},
           {"Runtime", Value::String("python3.12")},
           {"Role", Value::String("arn:aws:iam::123456789012:role/stepfn-conformance")},
           {"Handler", Value::String("handler.handler")},
           {"Timeout", Value::Int(f.timeout_seconds)},
           {"Code", Value::Object(
                        {{"ZipFile", Value::String(Base64(ZipOneFile("handler.py", f.code)))}})}});
      auto created = lease.client->CallRest("POST", "/2015-03-31/functions", "lambda", request);
      if (!created.ok()) {
        status = created.status();
        break;
      }
    }
    Return(std::move(lease));
    return status;
  }

  // Whether the endpoint answers the Lambda API (ListFunctions), asked once.
  std::optional<std::string> LambdaUnavailable() {
    std::lock_guard<std::mutex> lock(lambda_mu_);
    if (!lambda_checked_) {
      lambda_checked_ = true;
      Result<Lease> lease = Borrow();
      if (!lease.ok()) {
        lambda_unavailable_ = "the endpoint cannot be reached: " + lease.status().message();
      } else {
        auto listed = lease->client->CallRest("GET", "/2015-03-31/functions", "lambda", Value());
        if (!listed.ok()) {
          lambda_unavailable_ =
              "the endpoint has no Lambda API (ListFunctions: " + listed.status().message() + ")";
        }
        Return(std::move(*lease));
      }
    }
    return lambda_unavailable_;
  }

  void DeleteFunctions(const std::vector<CaseFunction>& functions) {
    Result<Lease> lease = Borrow();
    if (!lease.ok()) return;
    for (const CaseFunction& f : functions) {
      (void)lease->client->CallRest("DELETE", "/2015-03-31/functions/" + f.name, "lambda", Value());
    }
    Return(std::move(*lease));
  }

  TestStateOutcome RunTestState(const std::string& request_text) {
    TestStateOutcome o;
    Result<Value> request = json::Parse(request_text);
    Result<Lease> lease = Borrow();
    if (!request.ok() || !lease.ok()) {
      o.error_code = "(no answer)";
      o.message = !request.ok() ? request.status().message() : lease.status().message();
      return o;
    }
    SfnError error;
    Result<Value> answer = lease->client->Call("TestState", *request, &error);
    if (answer.ok()) {
      o.response = std::move(*answer);
    } else {
      o.error_code = error.code.empty() ? "(no answer)" : error.code;
      o.message = error.code.empty() ? answer.status().message() : error.message;
    }
    Return(std::move(*lease));
    return o;
  }

  ValidationOutcome RunValidation(const ValidationRequest& req) {
    ValidationOutcome o;
    Result<Lease> lease = Borrow();
    if (!lease.ok()) {
      o.error_code = "(no answer)";
      o.message = lease.status().message();
      return o;
    }
    SfnClient& c = *lease->client;
    SfnError error;
    auto refused = [&](const Status& st) {
      o.error_code = error.code.empty() ? "(no answer)" : error.code;
      o.message = error.code.empty() ? st.message() : error.message;
    };
    if (req.api == "CreateStateMachine") {
      auto created = c.Call("CreateStateMachine",
                            Value::Object({{"name", Value::String(NextName())},
                                           {"definition", Value::String(req.definition_text)},
                                           {"roleArn", Value::String(kRoleArn)},
                                           {"type", Value::String(req.type)}}),
                            &error);
      if (created.ok()) {
        (void)c.Call(
            "DeleteStateMachine",
            Value::Object({{"stateMachineArn", Value::String(Str(*created, "stateMachineArn"))}}));
      } else {
        refused(created.status());
      }
    } else {
      auto validated = c.Call("ValidateStateMachineDefinition",
                              Value::Object({{"definition", Value::String(req.definition_text)},
                                             {"type", Value::String(req.type)}}),
                              &error);
      if (validated.ok()) {
        o.result = Str(*validated, "result");
        if (const Value* list = validated->find("diagnostics"); list && list->is_array()) {
          for (const Value& d : list->items()) {
            o.diagnostics.push_back(
                {Str(d, "severity"), Str(d, "code"), Str(d, "message"), Str(d, "location")});
          }
        }
      } else {
        refused(validated.status());
      }
    }
    Return(std::move(*lease));
    return o;
  }

 private:
  struct Lease {
    std::unique_ptr<SfnClient> client;
  };

  Result<Lease> Borrow() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!idle_.empty()) {
        Lease l{std::move(idle_.back())};
        idle_.pop_back();
        return l;
      }
    }
    ASSIGN_OR_RETURN(std::unique_ptr<SfnClient> client, SfnClient::Create(options_));
    return Lease{std::move(client)};
  }

  void Return(Lease lease) {
    std::lock_guard<std::mutex> lock(mu_);
    idle_.push_back(std::move(lease.client));
  }

  std::string NextName() { return prefix_ + "-" + std::to_string(next_++); }

  static void TakeEnd(const Value& answer, ExecutionOutcome* o) {
    o->status = Str(answer, "status");
    o->error = Str(answer, "error");
    o->cause = Str(answer, "cause");
    if (const Value* out = answer.find("output"); out != nullptr && out->is_string()) {
      Result<Value> parsed = json::Parse(out->as_string());
      o->output = parsed.ok() ? *parsed : *out;
    }
  }

  Result<ExecutionOutcome> RunExpress(SfnClient& c, const std::string& machine,
                                      const std::string& input) {
    ASSIGN_OR_RETURN(
        Value answer,
        c.Call("StartSyncExecution", Value::Object({{"stateMachineArn", Value::String(machine)},
                                                    {"input", Value::String(input)}})));
    ExecutionOutcome o;
    TakeEnd(answer, &o);
    return o;
  }

  Result<ExecutionOutcome> RunStandard(SfnClient& c, const std::string& machine,
                                       const std::string& input) {
    ASSIGN_OR_RETURN(
        Value started,
        c.Call("StartExecution", Value::Object({{"stateMachineArn", Value::String(machine)},
                                                {"input", Value::String(input)}})));
    std::string arn = Str(started, "executionArn");
    ExecutionOutcome o;
    Result<Value> ended = WaitForExecution(c, arn, max_wait_);
    if (!ended.ok() && ended.status().code() == StatusCode::DeadlineExceeded) {
      (void)c.Call("StopExecution", Value::Object({{"executionArn", Value::String(arn)}}));
      o.status = "RUNNING";
      o.error = "stepfn conformance: " + ended.status().message() + " (stopped)";
      return o;
    }
    if (!ended.ok()) return ended.status();
    TakeEnd(*ended, &o);
    ASSIGN_OR_RETURN(std::vector<Value> events, GetWholeHistory(c, arn));
    std::vector<std::string> entered;
    for (const Value& e : events) {
      std::string type = Str(e, "type");
      if (type.ends_with("StateEntered")) {
        const Value* details = e.find("stateEnteredEventDetails");
        entered.push_back(details != nullptr ? Str(*details, "name") : "");
      }
      o.history_event_types.push_back(std::move(type));
    }
    o.has_history = true;
    o.entered_states = std::move(entered);
    return o;
  }

  const SfnClientOptions options_;
  const std::chrono::milliseconds max_wait_;
  const std::string prefix_;
  std::atomic<int64_t> next_{1};
  std::mutex mu_;
  std::vector<std::unique_ptr<SfnClient>> idle_;
  std::mutex lambda_mu_;
  bool lambda_checked_ = false;
  std::optional<std::string> lambda_unavailable_;
};

std::string ExecutionKey(const std::string& definition, const std::string& input,
                         const std::string& type) {
  return definition + '\x1f' + input + '\x1f' + type;
}

std::string ValidationKey(const ValidationRequest& r) {
  return r.api + '\x1f' + r.type + '\x1f' + r.definition_text;
}

std::string TestStateKey(const std::string& request_text) { return "TestState\x1f" + request_text; }

// One request the runner will ask for, foreseen from its case.
struct Job {
  enum class Kind { kExecution, kValidation, kTestState } kind = Kind::kExecution;
  std::string key;
  std::string definition, input, type;  // executions
  ValidationRequest request;            // validations
  std::string test_state_request;       // TestState requests, as JSON text
};

// The requests of the cases RunConformance will run with `hooks` (as RunCase builds them).
std::vector<Job> ForeseeJobs(const ConformanceOptions& options, const ConformanceHooks& hooks) {
  std::vector<std::string> dirs = options.dirs;
  if (dirs.empty()) {
    Result<std::string> dir = DefaultCasesDir();
    if (!dir.ok()) return {};
    dirs.push_back(*dir);
  }
  Result<std::vector<ConformanceCase>> cases = LoadCases(dirs);
  if (!cases.ok()) return {};  // RunConformance reports it
  std::vector<Job> jobs;
  std::unordered_set<std::string> seen;
  for (const ConformanceCase& c : *cases) {
    std::string label = c.category + "/" + c.file_name;
    if (!options.category.empty() && c.category != options.category) continue;
    if (!options.filter.empty() && label.find(options.filter) == std::string::npos) continue;
    if (SkipReason(c, hooks).has_value()) continue;
    // Cases with Lambda functions run one at a time when the runner asks (their functions are
    // created for the run).
    if (c.category == "services") continue;
    Job job;
    const Value* source = c.doc.find("source");
    std::string api = source != nullptr ? Str(*source, "api") : "";
    if (c.category == "teststate" || (c.category == "validation" && api == "TestState")) {
      job.kind = Job::Kind::kTestState;
      job.test_state_request = json::Write(TestStateRequestOf(c));
      job.key = TestStateKey(job.test_state_request);
    } else if (c.category == "validation") {
      job.kind = Job::Kind::kValidation;
      job.request.api = api;
      if (const Value* raw = c.doc.find("definition_raw"); raw != nullptr && raw->is_string()) {
        job.request.definition_text = raw->as_string();
      } else if (const Value* def = c.doc.find("definition"); def != nullptr) {
        job.request.definition_text = json::Write(*def);
      }
      job.request.type = "STANDARD";
      if (const Value* req = c.doc.find("request"); req != nullptr && req->is_object()) {
        if (std::string t = Str(*req, "type"); !t.empty()) job.request.type = t;
      }
      if (job.request.api != "CreateStateMachine" &&
          job.request.api != "ValidateStateMachineDefinition") {
        continue;  // another hook's case
      }
      job.key = ValidationKey(job.request);
    } else {
      const Value* def = c.doc.find("definition");
      if (def == nullptr) continue;
      const Value* input = c.doc.find("input");
      job.definition = json::Write(*def);
      job.input = json::Write(input != nullptr ? *input : Value::EmptyObject());
      job.type = Str(c.doc, "state_machine_type");
      if (job.type.empty()) job.type = "STANDARD";
      job.key = ExecutionKey(job.definition, job.input, job.type);
    }
    if (seen.insert(job.key).second) jobs.push_back(std::move(job));
  }
  return jobs;
}

}  // namespace

ConformanceHooks RemoteConformanceHooks(const SfnClientOptions& options,
                                        std::chrono::milliseconds max_wait) {
  auto remote = std::make_shared<Remote>(options, max_wait);
  ConformanceHooks hooks;
  hooks.run_execution = [remote](const Value& definition, const Value& input,
                                 const std::string& type) {
    return remote->RunExecution(json::Write(definition), json::Write(input), type);
  };
  hooks.run_validation = [remote](const ValidationRequest& request) {
    return remote->RunValidation(request);
  };
  hooks.run_test_state = [remote](const Value& request) {
    return remote->RunTestState(json::Write(request));
  };
  hooks.create_functions = [remote](const std::vector<CaseFunction>& functions) {
    return remote->CreateFunctions(functions);
  };
  hooks.delete_functions = [remote](const std::vector<CaseFunction>& functions) {
    remote->DeleteFunctions(functions);
  };
  hooks.lambda_unavailable = [remote] { return remote->LambdaUnavailable(); };
  return hooks;
}

int RunConformanceOnServer(const ConformanceOptions& options, const std::string& endpoint, int jobs,
                           std::ostream& out) {
  SfnClientOptions client_options = SfnClientOptionsFromEnv(endpoint);
  {
    auto probe = SfnClient::Create(client_options);
    if (probe.ok()) {
      auto listed =
          (*probe)->Call("ListStateMachines", Value::Object({{"maxResults", Value::Int(1)}}));
      if (!listed.ok()) probe = listed.status();
    }
    if (!probe.ok()) {
      out << "conformance: " << probe.status().message() << "\n";
      return 2;
    }
  }
  ConformanceHooks direct = RemoteConformanceHooks(client_options);
  auto started = std::chrono::steady_clock::now();

  std::vector<Job> work = ForeseeJobs(options, direct);
  std::vector<std::optional<Result<ExecutionOutcome>>> executions(work.size());
  std::vector<std::optional<ValidationOutcome>> validations(work.size());
  std::vector<std::optional<TestStateOutcome>> test_states(work.size());
  std::atomic<size_t> next{0};
  std::atomic<size_t> done{0};
  bool progress = isatty(STDERR_FILENO) != 0;
  std::mutex progress_mu;
  auto worker = [&] {
    for (size_t i = next++; i < work.size(); i = next++) {
      const Job& job = work[i];
      if (job.kind == Job::Kind::kValidation) {
        validations[i] = direct.run_validation(job.request);
      } else if (job.kind == Job::Kind::kTestState) {
        Result<Value> request = json::Parse(job.test_state_request);
        if (request.ok()) test_states[i] = direct.run_test_state(*request);
      } else {
        // The hook takes values; the text round trip keeps JSON handles within this thread.
        Result<Value> def = json::Parse(job.definition);
        Result<Value> input = json::Parse(job.input);
        if (def.ok() && input.ok()) executions[i] = direct.run_execution(*def, *input, job.type);
      }
      size_t n = ++done;
      if (progress) {
        std::lock_guard<std::mutex> lock(progress_mu);
        std::fprintf(stderr, "\rconformance: %zu/%zu requests through %s", n, work.size(),
                     endpoint.c_str());
        std::fflush(stderr);
      }
    }
  };
  std::vector<std::thread> threads;
  int n_threads = std::max(1, std::min<int>(jobs, static_cast<int>(work.size())));
  for (int t = 0; t < n_threads; ++t) threads.emplace_back(worker);
  for (std::thread& t : threads) t.join();
  if (progress && !work.empty()) std::fprintf(stderr, "\n");

  auto cached_executions =
      std::make_shared<std::unordered_map<std::string, Result<ExecutionOutcome>>>();
  auto cached_validations = std::make_shared<std::unordered_map<std::string, ValidationOutcome>>();
  auto cached_test_states = std::make_shared<std::unordered_map<std::string, TestStateOutcome>>();
  for (size_t i = 0; i < work.size(); ++i) {
    if (executions[i].has_value()) cached_executions->emplace(work[i].key, *executions[i]);
    if (validations[i].has_value()) cached_validations->emplace(work[i].key, *validations[i]);
    if (test_states[i].has_value()) cached_test_states->emplace(work[i].key, *test_states[i]);
  }
  ConformanceHooks hooks = direct;
  hooks.run_execution = [direct, cached_executions](const Value& definition, const Value& input,
                                                    const std::string& type) {
    std::string d = json::Write(definition), i = json::Write(input);
    auto it = cached_executions->find(ExecutionKey(d, i, type));
    if (it != cached_executions->end()) return it->second;
    return direct.run_execution(definition, input, type);
  };
  hooks.run_validation = [direct, cached_validations](const ValidationRequest& request) {
    auto it = cached_validations->find(ValidationKey(request));
    if (it != cached_validations->end()) return it->second;
    return direct.run_validation(request);
  };
  hooks.run_test_state = [direct, cached_test_states](const Value& request) {
    auto it = cached_test_states->find(TestStateKey(json::Write(request)));
    if (it != cached_test_states->end()) return it->second;
    return direct.run_test_state(request);
  };
  int code = RunConformance(options, hooks, out);
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::fprintf(stderr, "conformance: %zu requests through %s in %.1f s (%d at a time)\n",
               work.size(), endpoint.c_str(), seconds, n_threads);
  return code;
}

}  // namespace stepfn::cli
