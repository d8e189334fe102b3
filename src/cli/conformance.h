// The conformance runner: runs the cases recorded against real AWS
// (../shared/conformance/aws-recorded/{pure,services,teststate,validation}/*.json, format in
// ../shared/conformance/README.md) through hooks that reach the engine and the validator, and
// reports every difference.
//
// The runner knows the case format, the skip table and the comparison rules; it knows nothing
// of the engine. `stepfn conformance` (conformance_command.h) wires it to the real engine; the
// tests wire it to fakes.
#pragma once

#include <functional>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "json/value.h"

namespace stepfn::cli {

// What the engine produced for one execution.
struct ExecutionOutcome {
  std::string status;  // SUCCEEDED, FAILED, TIMED_OUT, ABORTED
  json::Value output;  // on SUCCEEDED
  std::string error;   // otherwise; empty when the execution has none
  std::string cause;
  // GetExecutionHistory's event types in order; compared only when has_history.
  std::vector<std::string> history_event_types;
  bool has_history = false;
  // Names of the states entered, in order; compared when present (and the case records them).
  std::optional<std::vector<std::string>> entered_states;
};

// A ValidateStateMachineDefinition diagnostic.
struct Diagnostic {
  std::string severity;  // ERROR, WARNING
  std::string code;      // SCHEMA_VALIDATION_FAILED, INVALID_JSON_DESCRIPTION, ...
  std::string message;
  std::string location;  // "/States/Pass", may be empty
};

// What the validator said about one definition.
struct ValidationRequest {
  std::string api;              // "CreateStateMachine" or "ValidateStateMachineDefinition"
  std::string definition_text;  // exactly as sent to AWS (may be invalid JSON)
  std::string type;             // STANDARD or EXPRESS
};
struct ValidationOutcome {
  // CreateStateMachine: the error code (e.g. "InvalidDefinition") and message, or an empty
  // error_code when the definition was accepted.
  std::string error_code;
  std::string message;
  // ValidateStateMachineDefinition: "OK" or "FAIL", and the diagnostics in order.
  std::string result;
  std::vector<Diagnostic> diagnostics;
};

// What a TestState request got: a refusal (error_code and message, e.g. ValidationException), or
// the response as the API sends it (`output` and the payloads of `inspectionData` as JSON text).
struct TestStateOutcome {
  std::string error_code;  // empty when the request was answered
  std::string message;
  json::Value response;
};

// A Lambda function a services case needs (its `lambda_handlers`): created before the run,
// deleted after. The code is Python (runtime python3.12), the file `handler.py` with
// `handler.handler` as its handler.
struct CaseFunction {
  std::string name;  // the function name, fixture tokens replaced
  std::string code;  // handler.py
  int timeout_seconds = 90;
};

struct ConformanceHooks {
  // Runs `definition` on `input` as a state machine of `type` ("STANDARD"/"EXPRESS") to its end.
  // A failed Status means the definition was refused (its message is reported). Empty: the
  // execution cases are skipped.
  std::function<Result<ExecutionOutcome>(const json::Value& definition, const json::Value& input,
                                         const std::string& type)>
      run_execution;
  // Validates a definition as the named API would. Empty: validation cases are skipped.
  std::function<ValidationOutcome(const ValidationRequest& request)> run_validation;
  // Answers a TestState request (the API's request body: definition, input, mock, context as
  // JSON text...). Empty: the teststate cases (and TestState validation cases) are skipped.
  std::function<TestStateOutcome(const json::Value& request)> run_test_state;
  // Runs a services case's execution (after create_functions) where its functions live.
  // Empty: run_execution.
  std::function<Result<ExecutionOutcome>(const json::Value& definition, const json::Value& input,
                                         const std::string& type)>
      run_service_execution;
  // Creates the Lambda functions of a services case (all or none). Empty: the services cases
  // are skipped.
  std::function<Status(const std::vector<CaseFunction>& functions)> create_functions;
  // Deletes them (best effort).
  std::function<void(const std::vector<CaseFunction>& functions)> delete_functions;
  // Why functions cannot be created where the services cases would run (e.g. the server has no
  // Lambda API), or nothing when they can; asked once per services case that would run. Empty:
  // assumed available.
  std::function<std::optional<std::string>()> lambda_unavailable;
};

// The functions a services case needs and what its fixture tokens (`substitutions`:
// __OPAQUE_n_label__) stand for: a short uid (`uid`), a function ARN (region us-east-1, account
// 123456789012, the function named in the substitution). FailedPrecondition when a function
// has no code in the record.
struct LambdaCasePlan {
  std::vector<CaseFunction> functions;
  std::vector<std::pair<std::string, std::string>> substitutions;  // token -> value
};
Result<LambdaCasePlan> PlanLambdaCase(const json::Value& case_doc, const std::string& uid);
// `v` with every token of `plan` replaced in its strings (and object keys).
json::Value Substitute(const json::Value& v, const LambdaCasePlan& plan);
// `text` with the folder of every `File "<absolute folder>/handler.py"` (a Python stack trace of
// a case's function) replaced by AWS's code folder, /var/task: where a machine unpacks a
// function's code is an environment detail, like the account or the region.
std::string WithAwsCodeFolder(std::string text);

struct ConformanceOptions {
  // Case files, folders of case files, or folders of such folders (aws-recorded/). Empty: the
  // default aws-recorded folder (see DefaultCasesDir).
  std::vector<std::string> dirs;
  std::string filter;          // run only cases whose "category/file name" contains this
  std::string category;        // "", or pure / services / teststate / validation
  bool verbose = false;        // also list skipped cases and message differences of passed cases
  bool json = false;           // print one JSON summary instead of lines
  double min_pass_rate = 1.0;  // passed / (passed + failed) needed for exit code 0
};

// One loaded case file.
struct ConformanceCase {
  std::string path;
  std::string file_name;  // the case's file name, used in reports and by --filter
  std::string category;   // the folder: pure, services, teststate, validation
  json::Value doc;
};

// Loads the case files under `dirs` (files, folders, or folders of folders; non-.json files are
// ignored), sorted by category then file name. A file that cannot be read or parsed fails the
// whole load: the data is shared and a broken file is worth a loud error.
Result<std::vector<ConformanceCase>> LoadCases(const std::vector<std::string>& dirs);

// The aws-recorded folder: $STEPFN_SHARED/conformance/aws-recorded when STEPFN_SHARED is set,
// else the first `<ancestor>/shared/conformance/aws-recorded` above the working directory or
// the running executable (the project lives beside shared/). NotFound when there is none.
Result<std::string> DefaultCasesDir();

// The skip table. A case is skipped when a rule matches it; the first matching rule gives the
// reason. Later issues remove lines as the missing pieces arrive.
struct SkipRule {
  enum class Kind {
    kCategory,              // every case of `category`
    kFeature,               // `features` holds `arg`
    kApi,                   // source.api == `arg`
    kApiNotIn,              // source.api is none of the comma-separated `arg`
    kValidationKind,        // validation_kind == `arg`
    kField,                 // the case has a non-null top-level field `arg`
    kFlag,                  // the case's boolean field `arg` is true
    kServices,              // `services` is not empty
    kServicesBeyond,        // `services` names one not in the comma-separated `arg`
    kLambdaWithoutCode,     // `services` holds lambda and no function has code in the record
    kExpectedContains,      // `expected` (as JSON text) contains `arg`
    kSetupCallsBeyond,      // setup_calls call a service not in the comma-separated `arg`
    kServicesUnmocked,      // `services` is not empty and the request has no `mock`
    kExpectedErrorCode,     // expected.error_code == `arg`
    kExpectedMessageStart,  // expected.message begins with `arg`
    kNoServiceModels        // as kExpectedMessageStart, and botocore's model data is not found
  };
  std::string_view category;  // "" = any category
  Kind kind;
  std::string_view arg;
  std::string_view reason;
};
const std::vector<SkipRule>& SkipTable();

// The reason to skip `c` with these hooks, or nothing when it runs.
std::optional<std::string> SkipReason(const ConformanceCase& c, const ConformanceHooks& hooks);

// The verdict on one case.
struct CaseResult {
  enum class Verdict { kPassed, kFailed, kSkipped };
  Verdict verdict = Verdict::kPassed;
  std::string reason;  // why it failed or was skipped
  std::string note;    // for a pass: differences that do not count (e.g. a validation message)
};

// Runs one case (which must not be skipped) and compares the outcome with the record.
CaseResult RunCase(const ConformanceCase& c, const ConformanceHooks& hooks);

// Compares an execution outcome with a case's `expected`: status, output, error, cause, history
// event types and entered states. Returns the first difference ("status: expected FAILED, got
// SUCCEEDED", "output differs at /a: expected 3, got 4", ...), or nothing when they match.
std::optional<std::string> CompareExecution(const json::Value& case_doc,
                                            const ExecutionOutcome& outcome);

// Compares a TestState response (as the API sends it) with a teststate case's `expected`:
// status, error, cause, nextState, output and every inspectionData member, each present exactly
// where the record has it. JSON text compares by value (the record parsed some of it).
std::optional<std::string> CompareTestState(const json::Value& case_doc,
                                            const json::Value& response);

// The TestState request of a teststate or validation case: its `request` members, the
// definition and the input as JSON text. Teststate cases get a stand-in `roleArn` when theirs
// was not recorded (the upstream tests gave one to every call in that folder).
json::Value TestStateRequestOf(const ConformanceCase& c);

// Compares a validation outcome with a validation case's `expected`. Error codes (and the
// ValidateStateMachineDefinition result and diagnostic codes) decide; message and location
// differences go to *note.
std::optional<std::string> CompareValidation(const json::Value& case_doc,
                                             const ValidationOutcome& outcome, std::string* note);

// Runs the selected cases and prints one line per failing case ("<file>: <reason>") and last
// "N passed, M failed, K skipped" (or, with options.json, one JSON object). Returns the exit
// code: 0 when passed / (passed + failed) >= min_pass_rate, 1 otherwise, 2 when the cases could
// not be loaded.
int RunConformance(const ConformanceOptions& options, const ConformanceHooks& hooks,
                   std::ostream& out);

}  // namespace stepfn::cli
