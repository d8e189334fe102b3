#include "cli/conformance.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <tuple>
#include <utility>

#include "cli/conformance_compare.h"
#include "json/parse.h"
#include "json/write.h"
#include "services/models/service_models.h"

namespace stepfn::cli {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view kJsonataAndVariables = "JSONata and variables: a later issue";
constexpr std::string_view kServices = "needs service emulations: Lambda/S3/... not built yet";
constexpr std::string_view kSubstitution =
    "the definition holds fixture tokens (__OPAQUE_n_...__) with no stand-in yet";
// The recordings leave roleArn out; the upstream tests gave one to every TestState call of the
// teststate folder (and left it out where they tested its absence, in validation/).
constexpr std::string_view kStandInRoleArn = "arn:aws:iam::111111111111:role/stepfn-conformance";

std::string StringField(const json::Value& doc, std::string_view key, std::string fallback = "") {
  const json::Value* v = doc.find(key);
  return v != nullptr && v->is_string() ? v->as_string() : fallback;
}

bool BoolField(const json::Value& doc, std::string_view key) {
  const json::Value* v = doc.find(key);
  return v != nullptr && v->is_bool() && v->as_bool();
}

std::vector<std::string_view> SplitCommas(std::string_view s) {
  std::vector<std::string_view> parts;
  while (true) {
    size_t comma = s.find(',');
    parts.push_back(s.substr(0, comma));
    if (comma == std::string_view::npos) break;
    s.remove_prefix(comma + 1);
  }
  return parts;
}

bool Contains(const std::vector<std::string_view>& list, std::string_view s) {
  return std::find(list.begin(), list.end(), s) != list.end();
}

std::string SourceApi(const json::Value& doc) {
  const json::Value* source = doc.find("source");
  return source != nullptr ? StringField(*source, "api") : "";
}

bool RuleMatches(const SkipRule& rule, const ConformanceCase& c) {
  if (!rule.category.empty() && rule.category != c.category) return false;
  const json::Value& doc = c.doc;
  switch (rule.kind) {
    case SkipRule::Kind::kCategory:
      return true;
    case SkipRule::Kind::kFeature: {
      const json::Value* features = doc.find("features");
      if (features == nullptr || !features->is_array()) return false;
      for (const json::Value& f : features->items()) {
        if (f.is_string() && f.as_string() == rule.arg) return true;
      }
      return false;
    }
    case SkipRule::Kind::kApi:
      return SourceApi(doc) == rule.arg;
    case SkipRule::Kind::kApiNotIn:
      return !Contains(SplitCommas(rule.arg), SourceApi(doc));
    case SkipRule::Kind::kValidationKind:
      return StringField(doc, "validation_kind") == rule.arg;
    case SkipRule::Kind::kField: {
      const json::Value* v = doc.find(rule.arg);
      return v != nullptr && !v->is_null();
    }
    case SkipRule::Kind::kFlag:
      return BoolField(doc, rule.arg);
    case SkipRule::Kind::kServices: {
      const json::Value* v = doc.find("services");
      return v != nullptr && v->is_array() && v->size() > 0;
    }
    case SkipRule::Kind::kServicesBeyond: {
      const json::Value* v = doc.find("services");
      if (v == nullptr || !v->is_array()) return false;
      std::vector<std::string_view> allowed = SplitCommas(rule.arg);
      for (const json::Value& service : v->items()) {
        if (!service.is_string() || !Contains(allowed, service.as_string())) return true;
      }
      return false;
    }
    case SkipRule::Kind::kLambdaWithoutCode: {
      const json::Value* v = doc.find("services");
      if (v == nullptr || !v->is_array()) return false;
      bool lambda = false;
      for (const json::Value& service : v->items()) {
        lambda = lambda || (service.is_string() && service.as_string() == "lambda");
      }
      return lambda && !PlanLambdaCase(doc, "x").ok();
    }
    case SkipRule::Kind::kExpectedContains: {
      const json::Value* e = doc.find("expected");
      return e != nullptr && json::Write(*e).find(rule.arg) != std::string::npos;
    }
    case SkipRule::Kind::kSetupCallsBeyond: {
      const json::Value* calls = doc.find("setup_calls");
      if (calls == nullptr || !calls->is_array()) return false;
      std::vector<std::string_view> allowed = SplitCommas(rule.arg);
      for (const json::Value& call : calls->items()) {
        if (!Contains(allowed, StringField(call, "service"))) return true;
      }
      return false;
    }
    case SkipRule::Kind::kServicesUnmocked: {
      const json::Value* v = doc.find("services");
      const json::Value* request = doc.find("request");
      bool mocked = request != nullptr && request->is_object() && request->find("mock") != nullptr;
      return v != nullptr && v->is_array() && v->size() > 0 && !mocked;
    }
    case SkipRule::Kind::kExpectedErrorCode: {
      const json::Value* e = doc.find("expected");
      return e != nullptr && e->is_object() && StringField(*e, "error_code") == rule.arg;
    }
    case SkipRule::Kind::kExpectedMessageStart:
    case SkipRule::Kind::kNoServiceModels: {
      const json::Value* e = doc.find("expected");
      bool matches = e != nullptr && e->is_object() &&
                     std::string_view(StringField(*e, "message")).starts_with(rule.arg);
      if (rule.kind == SkipRule::Kind::kExpectedMessageStart || !matches) return matches;
      return models::ServiceModels::Default().data_dir().empty();
    }
  }
  return false;
}

Result<std::string> ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("cannot open " + path.string());
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return Unavailable("cannot read " + path.string());
  return text.str();
}

Status AddCaseFile(const fs::path& path, std::string category, std::vector<ConformanceCase>* out) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  Result<json::Value> doc = json::Parse(text);
  if (!doc.ok()) return doc.status().WithPrefix(path.string());
  if (!doc->is_object()) return InvalidArgument(path.string() + ": a case must be a JSON object");
  out->push_back(ConformanceCase{path.string(), path.filename().string(), std::move(category),
                                 std::move(doc).value()});
  return Status::Ok();
}

// The entries of a folder, sorted; `dirs` gets the sub-folders, `files` the .json files.
Status ListDir(const fs::path& dir, std::vector<fs::path>* dirs, std::vector<fs::path>* files) {
  std::error_code ec;
  fs::directory_iterator it(dir, ec);
  if (ec) return NotFound("cannot list " + dir.string() + ": " + ec.message());
  for (; it != fs::directory_iterator(); it.increment(ec)) {
    if (ec) return Unavailable("cannot list " + dir.string() + ": " + ec.message());
    std::error_code ec2;
    if (it->is_directory(ec2)) {
      dirs->push_back(it->path());
    } else if (it->path().extension() == ".json" && it->is_regular_file(ec2)) {
      files->push_back(it->path());
    }
  }
  std::sort(dirs->begin(), dirs->end());
  std::sort(files->begin(), files->end());
  return Status::Ok();
}

std::string CategoryOfDir(const fs::path& dir) {
  fs::path p = dir;
  if (p.filename().empty()) p = p.parent_path();  // "pure/" -> "pure"
  return p.filename().string();
}

std::string CaseLabel(const ConformanceCase& c) { return c.category + "/" + c.file_name; }

// The `expected` member, or an empty object.
const json::Value& Expected(const json::Value& doc) {
  static const json::Value kEmpty = json::Value::EmptyObject();
  const json::Value* e = doc.find("expected");
  return e != nullptr && e->is_object() ? *e : kEmpty;
}

std::vector<std::string> StringList(const json::Value& v) {
  std::vector<std::string> out;
  if (!v.is_array()) return out;
  for (const json::Value& item : v.items()) out.push_back(item.is_string() ? item.as_string() : "");
  return out;
}

std::string JoinList(const std::vector<std::string>& items, size_t max_items = 8) {
  std::string out = "[";
  for (size_t i = 0; i < items.size() && i < max_items; ++i) {
    if (i > 0) out += ", ";
    out += items[i];
  }
  if (items.size() > max_items) out += ", ... (" + std::to_string(items.size()) + " in all)";
  return out + "]";
}

// "history differs at event 3: expected X, got Y" or a length difference; nothing when equal.
std::optional<std::string> CompareLists(std::string_view what, std::string_view unit,
                                        const std::vector<std::string>& expected,
                                        const std::vector<std::string>& actual) {
  size_t n = std::min(expected.size(), actual.size());
  for (size_t i = 0; i < n; ++i) {
    if (expected[i] != actual[i]) {
      return std::string(what) + " differs at " + std::string(unit) + " " + std::to_string(i) +
             ": expected " + expected[i] + ", got " + actual[i];
    }
  }
  if (expected.size() == actual.size()) return std::nullopt;
  std::string reason = std::string(what) + ": expected " + std::to_string(expected.size()) + " " +
                       std::string(unit) + "s, got " + std::to_string(actual.size());
  if (actual.size() > expected.size()) {
    reason += " (first extra: " + actual[n] + ")";
  } else {
    reason += " (first missing: " + expected[n] + ")";
  }
  return reason;
}

std::string DescribeFailure(const ExecutionOutcome& o) {
  if (o.error.empty() && o.cause.empty()) return "";
  std::string s = " (" + (o.error.empty() ? std::string("no error") : o.error);
  if (!o.cause.empty()) s += ": " + BriefText(o.cause, 160);
  return s + ")";
}

std::optional<std::string> CompareOutput(const json::Value& expected_doc, CaseMatcher* matcher,
                                         const json::Value& actual) {
  const json::Value* expected = expected_doc.find("output");
  if (expected == nullptr || BoolField(expected_doc, "output_redacted_entirely")) {
    return std::nullopt;
  }
  std::optional<std::string> diff;
  if (BoolField(expected_doc, "output_is_raw_text") && expected->is_string() &&
      !actual.is_string() && !matcher->IsWholeToken(expected->as_string())) {
    // AWS's output text stayed text in the record: compare it parsed, else as text.
    Result<json::Value> parsed = json::Parse(expected->as_string());
    if (parsed.ok()) {
      diff = matcher->Compare(*parsed, actual);
    } else if (matcher->MatchString(expected->as_string(), json::Write(actual))) {
      diff = std::nullopt;
    } else {
      diff =
          "at /: expected the text " + BriefText(expected->as_string()) + ", got " + Brief(actual);
    }
  } else {
    diff = matcher->Compare(*expected, actual);
  }
  if (diff) return "output differs " + *diff;
  return std::nullopt;
}

std::optional<std::string> CompareCause(const json::Value& expected_doc, CaseMatcher* matcher,
                                        const std::string& actual) {
  const json::Value* expected = expected_doc.find("cause");
  if (expected == nullptr) {
    if (actual.empty()) return std::nullopt;
    return "cause: expected none, got " + BriefText(actual);
  }
  if (expected->is_string()) {
    if (matcher->MatchString(expected->as_string(), actual)) return std::nullopt;
    return "cause: expected " + BriefText(expected->as_string(), 300) + ", got " +
           BriefText(actual, 300);
  }
  // The recorder parsed a JSON cause (cause_json_parsed_by_snapshot): compare it parsed.
  if (matcher->IsWholeToken(json::Write(*expected))) return std::nullopt;
  Result<json::Value> parsed = json::Parse(actual);
  if (!parsed.ok()) {
    return "cause: expected JSON " + Brief(*expected) + ", got the text " + BriefText(actual);
  }
  if (auto diff = matcher->Compare(*expected, *parsed)) return "cause differs " + *diff;
  return std::nullopt;
}

// 8 characters of [a-z0-9], different on every call of this process (and likely across runs).
std::string NewShortUid() {
  static std::atomic<uint64_t> counter{0};
  uint64_t x = static_cast<uint64_t>(std::chrono::system_clock::now().time_since_epoch().count()) ^
               (counter.fetch_add(1) * 0x9E3779B97F4A7C15ULL);
  x ^= x >> 31;
  x *= 0xBF58476D1CE4E5B9ULL;
  x ^= x >> 29;
  std::string uid;
  for (int i = 0; i < 8; ++i, x /= 36)
    uid.push_back("0123456789abcdefghijklmnopqrstuvwxyz"[x % 36]);
  return uid;
}

std::string ReplaceAll(std::string s, const LambdaCasePlan& plan) {
  for (const auto& [token, value] : plan.substitutions) {
    for (size_t at = s.find(token); at != std::string::npos;
         at = s.find(token, at + value.size())) {
      s.replace(at, token.size(), value);
    }
  }
  return s;
}

}  // namespace

Result<LambdaCasePlan> PlanLambdaCase(const json::Value& doc, const std::string& uid) {
  LambdaCasePlan plan;
  const json::Value* subs = doc.find("substitutions");
  const json::Value* handlers = doc.find("lambda_handlers");
  // Short uids first: function names are built from them.
  if (subs != nullptr && subs->is_object()) {
    for (const auto& [token, sub] : subs->members()) {
      if (StringField(sub, "label") == "short_uid") plan.substitutions.emplace_back(token, uid);
    }
  }
  bool any_function = false;
  if (subs != nullptr && subs->is_object()) {
    for (const auto& [token, sub] : subs->members()) {
      if (StringField(sub, "kind") != "lambda_function_arn" &&
          StringField(sub, "label") != "lambda_function_arn") {
        continue;
      }
      any_function = true;
      const json::Value* handler = handlers != nullptr ? handlers->find(token) : nullptr;
      const json::Value* code = handler != nullptr ? handler->find("code") : nullptr;
      if (code == nullptr || !code->is_string()) {
        return FailedPrecondition("the function behind " + token + " has no code in the record");
      }
      CaseFunction f;
      f.name = ReplaceAll(StringField(sub, "function_name"), plan);
      if (f.name.empty()) f.name = "stepfn_conformance_" + uid;
      f.code = code->as_string();
      plan.functions.push_back(f);
      plan.substitutions.emplace_back(token,
                                      "arn:aws:lambda:us-east-1:123456789012:function:" + f.name);
    }
  }
  if (!any_function) {
    return FailedPrecondition("the case names no Lambda function with code (lambda_handlers)");
  }
  return plan;
}

std::string WithAwsCodeFolder(std::string text) {
  static constexpr std::string_view kHandler = "/handler.py";
  // `File "<path>"` as Python prints it, and `File \"<path>\"` inside JSON text (a cause).
  for (std::string_view open : {std::string_view("File \""), std::string_view("File \\\"")}) {
    const bool escaped = open.size() == 7;
    size_t at = 0;
    while ((at = text.find(open, at)) != std::string::npos) {
      size_t path = at + open.size();
      size_t quote = text.find('"', path);
      if (quote == std::string::npos) break;
      size_t end = quote;  // one past the path
      if (escaped) {
        if (quote == path || text[quote - 1] != '\\') {
          at = quote + 1;
          continue;
        }
        end = quote - 1;
      }
      std::string_view p(text.data() + path, end - path);
      if (p.size() > kHandler.size() && p.front() == '/' && p.ends_with(kHandler)) {
        text.replace(path, p.size() - kHandler.size(), "/var/task");
        at = path + std::string_view("/var/task/handler.py").size();
      } else {
        at = quote + 1;
      }
    }
  }
  return text;
}

namespace {
json::Value WithAwsCodeFolderIn(const json::Value& v) {
  if (v.is_string()) return json::Value::String(WithAwsCodeFolder(v.as_string()));
  if (v.is_array()) {
    std::vector<json::Value> items;
    for (const json::Value& item : v.items()) items.push_back(WithAwsCodeFolderIn(item));
    return json::Value::Array(std::move(items));
  }
  if (v.is_object()) {
    json::ObjectBuilder b;
    for (const auto& [key, member] : v.members()) b.Set(key, WithAwsCodeFolderIn(member));
    return std::move(b).Build();
  }
  return v;
}
}  // namespace

json::Value Substitute(const json::Value& v, const LambdaCasePlan& plan) {
  if (v.is_string()) return json::Value::String(ReplaceAll(v.as_string(), plan));
  if (v.is_array()) {
    std::vector<json::Value> items;
    for (const json::Value& item : v.items()) items.push_back(Substitute(item, plan));
    return json::Value::Array(std::move(items));
  }
  if (v.is_object()) {
    json::ObjectBuilder b;
    for (const auto& [key, member] : v.members())
      b.Set(ReplaceAll(key, plan), Substitute(member, plan));
    return std::move(b).Build();
  }
  return v;
}

const std::vector<SkipRule>& SkipTable() {
  using K = SkipRule::Kind;
  static const std::vector<SkipRule> kTable = {
      {"services", K::kServicesBeyond, "lambda",
       "needs service emulations beyond Lambda (S3, DynamoDB, SNS, SQS, nested executions, "
       "activities, ...)"},
      {"services", K::kLambdaWithoutCode, "",
       "names a Lambda function but the record carries no code for it"},
      {"validation", K::kApi, "DescribeStateMachine.variableReferences",
       "variableReferences (static analysis of variables): JSONata and variables, a later issue"},
      {"validation", K::kApiNotIn, "CreateStateMachine,ValidateStateMachineDefinition,TestState",
       "a call other than the three the runner replays, recorded without the calls it needs "
       "before it"},
      {"validation", K::kValidationKind, "api_other",
       "an API call the record cannot replay: it names no operation, and lacks what came before "
       "it (an existing state machine or execution, the machine's type, a logging configuration "
       "kept as an opaque token)"},
      {"", K::kFeature, "JSONata", kJsonataAndVariables},
      {"", K::kFeature, "Assign", kJsonataAndVariables},
      {"", K::kFeature, "Variables", kJsonataAndVariables},
      {"", K::kFeature, "StatesVariable", kJsonataAndVariables},
      // TestState answers Task states from mocks: fixture tokens there are plain strings.
      {"pure", K::kFlag, "needs_substitution", kSubstitution},
      {"validation", K::kFlag, "needs_substitution", kSubstitution},
      {"teststate", K::kServicesUnmocked, "",
       "TestState of a Task without a mock calls the real service: needs service emulations"},
      {"validation", K::kNoServiceModels, "Mock result schema validation error",
       "mock results are checked against botocore's service models, and none were found "
       "(setup installs Debian's python3-botocore; STEPFN_BOTOCORE_DATA names another)"},
      {"validation", K::kExpectedErrorCode, "ParamValidationError",
       "a client-side error (botocore's parameter validation) that never reaches a server"},
      // Executions that reach beyond the engine (validation cases only read definitions).
      {"pure", K::kServices, "", kServices},
      {"pure", K::kFeature, "ItemReader", "ItemReader reads from S3: needs the S3 emulation"},
      {"pure", K::kFeature, "ResultWriter", "ResultWriter writes to S3: needs the S3 emulation"},
      {"pure", K::kSetupCallsBeyond, "logs",
       "needs data put in services before the run (setup_calls): service emulations"},
      {"pure", K::kField, "interactions",
       "needs API calls during the run (e.g. StopExecution), which the runner does not make"},
  };
  return kTable;
}

std::optional<std::string> SkipReason(const ConformanceCase& c, const ConformanceHooks& hooks) {
  for (const SkipRule& rule : SkipTable()) {
    if (RuleMatches(rule, c)) return std::string(rule.reason);
  }
  if (c.category == "teststate" ||
      (c.category == "validation" && SourceApi(c.doc) == "TestState")) {
    if (!hooks.run_test_state) return "no TestState hooked (run_test_state is empty)";
  } else if (c.category == "services" && !hooks.create_functions) {
    return "no Lambda functions hooked (create_functions is empty)";
  } else if (c.category == "services" && hooks.lambda_unavailable) {
    if (std::optional<std::string> why = hooks.lambda_unavailable()) return *why;
  } else if (c.category == "validation") {
    if (!hooks.run_validation) return "no validator hooked (run_validation is empty)";
  } else if (!hooks.run_execution) {
    return "no engine hooked (run_execution is empty)";
  }
  return std::nullopt;
}

Result<std::string> DefaultCasesDir() {
  std::error_code ec;
  if (const char* shared = std::getenv("STEPFN_SHARED"); shared != nullptr && *shared != '\0') {
    fs::path dir = fs::path(shared) / "conformance" / "aws-recorded";
    if (fs::is_directory(dir, ec)) return dir.string();
    return NotFound("STEPFN_SHARED is set but " + dir.string() + " is not a folder");
  }
  std::vector<fs::path> starts;
  fs::path cwd = fs::current_path(ec);
  if (!ec) starts.push_back(cwd);
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) starts.push_back(exe.parent_path());
  for (const fs::path& start : starts) {
    for (fs::path p = start; !p.empty(); p = p.parent_path()) {
      fs::path dir = p / "shared" / "conformance" / "aws-recorded";
      if (fs::is_directory(dir, ec)) return dir.string();
      if (p == p.parent_path()) break;
    }
  }
  return NotFound(
      "no conformance cases found: set STEPFN_SHARED to the shared/ folder or pass folders");
}

Result<std::vector<ConformanceCase>> LoadCases(const std::vector<std::string>& dirs) {
  std::vector<ConformanceCase> cases;
  for (const std::string& arg : dirs) {
    fs::path path(arg);
    std::error_code ec;
    if (fs::is_regular_file(path, ec)) {
      RETURN_IF_ERROR(
          AddCaseFile(path, CategoryOfDir(fs::absolute(path, ec).parent_path()), &cases));
      continue;
    }
    if (!fs::is_directory(path, ec)) return NotFound("no such case file or folder: " + arg);
    std::vector<fs::path> subdirs, files;
    RETURN_IF_ERROR(ListDir(path, &subdirs, &files));
    std::string category = CategoryOfDir(fs::absolute(path, ec));
    for (const fs::path& f : files) RETURN_IF_ERROR(AddCaseFile(f, category, &cases));
    for (const fs::path& d : subdirs) {
      std::vector<fs::path> deeper, subfiles;
      RETURN_IF_ERROR(ListDir(d, &deeper, &subfiles));
      for (const fs::path& f : subfiles) RETURN_IF_ERROR(AddCaseFile(f, CategoryOfDir(d), &cases));
    }
  }
  std::stable_sort(cases.begin(), cases.end(),
                   [](const ConformanceCase& a, const ConformanceCase& b) {
                     return std::tie(a.category, a.file_name) < std::tie(b.category, b.file_name);
                   });
  return cases;
}

std::optional<std::string> CompareExecution(const json::Value& case_doc,
                                            const ExecutionOutcome& outcome) {
  const json::Value& expected = Expected(case_doc);
  CaseMatcher matcher = CaseMatcher::ForCase(case_doc);
  std::string status = StringField(expected, "status");
  if (status != outcome.status) {
    std::string want = status;
    if (const json::Value* e = expected.find("error"); e != nullptr && e->is_string()) {
      want += " (" + e->as_string() + ")";
    }
    return "status: expected " + want + ", got " + outcome.status + DescribeFailure(outcome);
  }
  // Error and cause: recorded for failures; absent there means AWS gave none.
  if (const json::Value* e = expected.find("error"); e != nullptr && e->is_string()) {
    if (!matcher.MatchString(e->as_string(), outcome.error)) {
      return "error: expected " + e->as_string() + ", got " +
             (outcome.error.empty() ? std::string("none") : outcome.error) +
             DescribeFailure(ExecutionOutcome{"", {}, "", outcome.cause, {}, false, {}});
    }
  } else if (status == "FAILED" && !outcome.error.empty()) {
    return "error: expected none, got " + outcome.error;
  }
  if (status == "FAILED" || expected.find("cause") != nullptr) {
    if (auto diff = CompareCause(expected, &matcher, outcome.cause)) return diff;
  }
  if (auto diff = CompareOutput(expected, &matcher, outcome.output)) return diff;
  bool normalised = BoolField(expected, "history_parallel_events_normalised");
  if (const json::Value* h = expected.find("history_event_types");
      h != nullptr && outcome.has_history) {
    std::vector<std::string> want = StringList(*h);
    std::vector<std::string> got = outcome.history_event_types;
    if (normalised) {
      want = NormaliseParallelEvents(std::move(want));
      got = NormaliseParallelEvents(std::move(got));
    }
    if (auto diff = CompareLists(normalised ? "history (Parallel events sorted)" : "history",
                                 "event", want, got)) {
      return diff;
    }
  }
  if (const json::Value* s = expected.find("entered_states");
      s != nullptr && outcome.entered_states.has_value()) {
    std::vector<std::string> want = StringList(*s);
    std::vector<std::string> got = *outcome.entered_states;
    if (normalised) {  // the record's order inside Parallel states is the upstream's sort
      std::sort(want.begin(), want.end());
      std::sort(got.begin(), got.end());
    }
    if (auto diff = CompareLists("entered states", "state", want, got)) return diff;
  }
  return std::nullopt;
}

namespace {

// A value the API sends as JSON text (`actual`) against the record, which parsed some such text
// (objects) and kept the rest as text: equal when the parsed text, or the text itself, matches.
std::optional<std::string> CompareJsonText(const json::Value& expected, const json::Value& actual,
                                           CaseMatcher* matcher) {
  if (!actual.is_string()) return matcher->Compare(expected, actual);
  const std::string& text = actual.as_string();
  Result<json::Value> parsed = json::Parse(text);
  json::Value value = parsed.ok() ? *parsed : actual;
  std::optional<std::string> diff = matcher->Compare(expected, value);
  if (!diff) return std::nullopt;
  if (expected.is_string()) {
    if (Result<json::Value> e = json::Parse(expected.as_string()); e.ok()) {
      if (!matcher->Compare(*e, value)) return std::nullopt;
    }
    if (matcher->MatchString(expected.as_string(), text)) return std::nullopt;
  }
  return diff;
}

}  // namespace

std::optional<std::string> CompareTestState(const json::Value& case_doc,
                                            const json::Value& response) {
  const json::Value& expected = Expected(case_doc);
  CaseMatcher matcher = CaseMatcher::ForCase(case_doc);
  if (!response.is_object()) return "the response is not a JSON object";
  std::string status = StringField(expected, "status");
  std::string got_status = StringField(response, "status");
  if (status != got_status) {
    std::string reason = "status: expected " + status + ", got " + got_status;
    std::string error = StringField(response, "error");
    if (!error.empty()) {
      reason += " (" + error + ": " + BriefText(StringField(response, "cause"), 160) + ")";
    }
    return reason;
  }
  for (const char* key : {"error", "cause", "nextState"}) {
    const json::Value* want = expected.find(key);
    const json::Value* got = response.find(key);
    if (want == nullptr && got == nullptr) continue;
    if (want == nullptr) return std::string(key) + ": expected none, got " + Brief(*got);
    if (got == nullptr) return std::string(key) + ": expected " + Brief(*want) + ", got none";
    if (want->is_string() && got->is_string()) {
      if (!matcher.MatchString(want->as_string(), got->as_string())) {
        return std::string(key) + ": expected " + BriefText(want->as_string(), 300) + ", got " +
               BriefText(got->as_string(), 300);
      }
    } else if (auto diff = CompareJsonText(*want, *got, &matcher)) {
      return std::string(key) + " differs " + *diff;
    }
  }
  {
    const json::Value* want = expected.find("output");
    const json::Value* got = response.find("output");
    if (want != nullptr && got == nullptr) return "output: expected " + Brief(*want) + ", got none";
    if (want == nullptr && got != nullptr) return "output: expected none, got " + Brief(*got);
    if (want != nullptr) {
      if (auto diff = CompareJsonText(*want, *got, &matcher)) return "output differs " + *diff;
    }
  }
  const json::Value* want = expected.find("inspectionData");
  const json::Value* got = response.find("inspectionData");
  if (want == nullptr && got == nullptr) return std::nullopt;
  if (want == nullptr) return "inspectionData: expected none, got " + Brief(*got);
  if (got == nullptr || !got->is_object()) return "inspectionData: expected some, got none";
  for (const json::Member& m : want->members()) {
    const json::Value* g = got->find(m.first);
    if (g == nullptr)
      return "inspectionData." + m.first + ": missing (expected " + Brief(m.second) + ")";
    if (auto diff = CompareJsonText(m.second, *g, &matcher)) {
      return "inspectionData." + m.first + " differs " + *diff;
    }
  }
  for (const json::Member& m : got->members()) {
    if (want->find(m.first) == nullptr) {
      return "inspectionData." + m.first + ": unexpected (got " + Brief(m.second) + ")";
    }
  }
  return std::nullopt;
}

json::Value TestStateRequestOf(const ConformanceCase& c) {
  const json::Value& doc = c.doc;
  json::ObjectBuilder body;
  if (const json::Value* request = doc.find("request");
      request != nullptr && request->is_object()) {
    for (const json::Member& m : request->members()) body.Set(m.first, m.second);
  }
  if (const json::Value* raw = doc.find("definition_raw"); raw != nullptr && raw->is_string()) {
    body.Set("definition", *raw);
  } else if (const json::Value* def = doc.find("definition"); def != nullptr) {
    body.Set("definition", json::Value::String(json::Write(*def)));
  }
  if (const json::Value* input = doc.find("input"); input != nullptr) {
    body.Set("input", json::Value::String(json::Write(*input)));
  }
  json::Value built = std::move(body).Build();
  if (c.category == "teststate" && built.find("roleArn") == nullptr) {
    json::ObjectBuilder with_role(built);
    with_role.Set("roleArn", json::Value::String(kStandInRoleArn));
    built = std::move(with_role).Build();
  }
  return built;
}

std::optional<std::string> CompareValidation(const json::Value& case_doc,
                                             const ValidationOutcome& outcome, std::string* note) {
  const json::Value& expected = Expected(case_doc);
  CaseMatcher matcher = CaseMatcher::ForCase(case_doc);
  std::vector<std::string> notes;
  if (const json::Value* code = expected.find("error_code"); code != nullptr && code->is_string()) {
    if (outcome.error_code.empty()) {
      return "error code: expected " + code->as_string() + ", got none (definition accepted)";
    }
    if (!matcher.MatchString(code->as_string(), outcome.error_code)) {
      return "error code: expected " + code->as_string() + ", got " + outcome.error_code + " (" +
             BriefText(outcome.message, 200) + ")";
    }
    std::string message = StringField(expected, "message");
    if (!matcher.MatchString(message, outcome.message)) {
      notes.push_back("message differs: expected " + BriefText(message, 300) + ", got " +
                      BriefText(outcome.message, 300));
    }
  }
  if (const json::Value* diags = expected.find("diagnostics");
      diags != nullptr && diags->is_array()) {
    std::string result = StringField(expected, "result");
    if (!result.empty() && result != outcome.result) {
      return "result: expected " + result + ", got " +
             (outcome.result.empty() ? std::string("none") : outcome.result);
    }
    std::vector<std::string> want_codes, got_codes;
    for (const json::Value& d : diags->items()) want_codes.push_back(StringField(d, "code"));
    for (const Diagnostic& d : outcome.diagnostics) got_codes.push_back(d.code);
    if (want_codes != got_codes) {
      return "diagnostic codes: expected " + JoinList(want_codes) + ", got " + JoinList(got_codes);
    }
    for (size_t i = 0; i < want_codes.size(); ++i) {
      const json::Value& d = diags->items()[i];
      const Diagnostic& g = outcome.diagnostics[i];
      std::string where = "diagnostic " + std::to_string(i);
      std::string severity = StringField(d, "severity");
      if (severity != g.severity) {
        notes.push_back(where + " severity: expected " + severity + ", got " + g.severity);
      }
      std::string location = StringField(d, "location");
      if (!matcher.MatchString(location, g.location)) {
        notes.push_back(where + " location: expected " + BriefText(location) + ", got " +
                        BriefText(g.location));
      }
      std::string message = StringField(d, "message");
      if (!matcher.MatchString(message, g.message)) {
        notes.push_back(where + " message: expected " + BriefText(message, 200) + ", got " +
                        BriefText(g.message, 200));
      }
    }
  }
  if (note != nullptr) {
    note->clear();
    for (const std::string& n : notes) *note += (note->empty() ? "" : "; ") + n;
  }
  return std::nullopt;
}

CaseResult RunCase(const ConformanceCase& c, const ConformanceHooks& hooks) {
  CaseResult result;
  auto fail = [&result](std::string reason) {
    result.verdict = CaseResult::Verdict::kFailed;
    result.reason = std::move(reason);
    return result;
  };
  const json::Value& doc = c.doc;
  const json::Value& expected = Expected(doc);
  if (c.category == "teststate") {
    TestStateOutcome outcome = hooks.run_test_state(TestStateRequestOf(c));
    if (!outcome.error_code.empty()) {
      return fail("refused: " + outcome.error_code + ": " + BriefText(outcome.message, 300));
    }
    if (auto diff = CompareTestState(doc, outcome.response)) return fail(*diff);
    return result;
  }
  if (c.category == "validation" && SourceApi(doc) == "TestState") {
    TestStateOutcome answered = hooks.run_test_state(TestStateRequestOf(c));
    ValidationOutcome outcome;
    outcome.error_code = answered.error_code;
    outcome.message = answered.message;
    if (auto diff = CompareValidation(doc, outcome, &result.note)) return fail(*diff);
    return result;
  }
  if (c.category == "validation") {
    ValidationRequest request;
    request.api = SourceApi(doc);
    if (const json::Value* raw = doc.find("definition_raw"); raw != nullptr && raw->is_string()) {
      request.definition_text = raw->as_string();
    } else if (const json::Value* def = doc.find("definition"); def != nullptr) {
      request.definition_text = json::Write(*def);
    }
    request.type = "STANDARD";
    if (const json::Value* req = doc.find("request"); req != nullptr && req->is_object()) {
      request.type = StringField(*req, "type", "STANDARD");
    }
    ValidationOutcome outcome = hooks.run_validation(request);
    if (auto diff = CompareValidation(doc, outcome, &result.note)) return fail(*diff);
    return result;
  }
  const json::Value* definition = doc.find("definition");
  if (definition == nullptr) return fail("the case has no definition");
  const json::Value* input = doc.find("input");
  json::Value input_value = input != nullptr ? *input : json::Value::EmptyObject();
  std::string type = StringField(doc, "state_machine_type", "STANDARD");
  json::Value definition_value = *definition;
  LambdaCasePlan plan;
  if (c.category == "services") {
    // The case's functions, created for this run under fresh names, and its tokens replaced.
    Result<LambdaCasePlan> planned = PlanLambdaCase(doc, NewShortUid());
    if (!planned.ok()) return fail(planned.status().message());
    plan = std::move(*planned);
    definition_value = Substitute(definition_value, plan);
    input_value = Substitute(input_value, plan);
    Status created = hooks.create_functions(plan.functions);
    if (!created.ok()) {
      hooks.delete_functions(plan.functions);
      return fail("creating the case's functions: " + BriefText(created.message(), 300));
    }
  }
  const bool service = c.category == "services" && hooks.run_service_execution;
  Result<ExecutionOutcome> outcome =
      service ? hooks.run_service_execution(definition_value, input_value, type)
              : hooks.run_execution(definition_value, input_value, type);
  if (c.category == "services") hooks.delete_functions(plan.functions);
  if (c.category == "services" && outcome.ok()) {
    // The functions' code folder is where this machine unpacked it; AWS's is /var/task.
    outcome->cause = WithAwsCodeFolder(std::move(outcome->cause));
    outcome->output = WithAwsCodeFolderIn(outcome->output);
  }
  if (!outcome.ok()) {
    // Refused. Right only where the case expects a refusal.
    if (const json::Value* code = expected.find("error_code"); code != nullptr) {
      return result;
    }
    return fail("definition refused: " + BriefText(outcome.status().message(), 300));
  }
  if (auto diff = CompareExecution(doc, *outcome)) return fail(*diff);
  return result;
}

int RunConformance(const ConformanceOptions& options, const ConformanceHooks& hooks,
                   std::ostream& out) {
  std::vector<std::string> dirs = options.dirs;
  if (dirs.empty()) {
    Result<std::string> dir = DefaultCasesDir();
    if (!dir.ok()) {
      out << "conformance: " << dir.status().message() << "\n";
      return 2;
    }
    dirs.push_back(*dir);
  }
  Result<std::vector<ConformanceCase>> cases = LoadCases(dirs);
  if (!cases.ok()) {
    out << "conformance: " << cases.status().message() << "\n";
    return 2;
  }

  struct Line {
    std::string label, text;
  };
  std::vector<Line> failures, skips, notes;
  std::map<std::string, int> skip_counts;
  int passed = 0;
  for (const ConformanceCase& c : *cases) {
    std::string label = CaseLabel(c);
    if (!options.category.empty() && c.category != options.category) continue;
    if (!options.filter.empty() && label.find(options.filter) == std::string::npos) continue;
    if (std::optional<std::string> reason = SkipReason(c, hooks)) {
      ++skip_counts[*reason];
      skips.push_back({label, *reason});
      continue;
    }
    CaseResult r = RunCase(c, hooks);
    if (r.verdict == CaseResult::Verdict::kFailed) {
      failures.push_back({label, r.reason});
    } else {
      ++passed;
      if (!r.note.empty()) notes.push_back({label, r.note});
    }
  }
  int failed = static_cast<int>(failures.size());
  int skipped = static_cast<int>(skips.size());
  double rate = passed + failed == 0 ? 1.0 : static_cast<double>(passed) / (passed + failed);
  int exit_code = rate >= options.min_pass_rate ? 0 : 1;

  if (options.json) {
    auto lines = [](const std::vector<Line>& list, const char* text_key) {
      std::vector<json::Value> items;
      for (const Line& l : list) {
        items.push_back(json::Value::Object(
            {{"case", json::Value::String(l.label)}, {text_key, json::Value::String(l.text)}}));
      }
      return json::Value::Array(std::move(items));
    };
    std::vector<json::Member> by_reason;
    for (const auto& [reason, n] : skip_counts) by_reason.emplace_back(reason, json::Value::Int(n));
    std::vector<json::Member> summary = {
        {"passed", json::Value::Int(passed)},
        {"failed", json::Value::Int(failed)},
        {"skipped", json::Value::Int(skipped)},
        {"pass_rate", json::Value::Double(rate)},
        {"min_pass_rate", json::Value::Double(options.min_pass_rate)},
        {"ok", json::Value::Bool(exit_code == 0)},
        {"failures", lines(failures, "reason")},
        {"skipped_by_reason", json::Value::Object(std::move(by_reason))},
    };
    if (options.verbose) {
      summary.emplace_back("skipped_cases", lines(skips, "reason"));
      summary.emplace_back("notes", lines(notes, "note"));
    }
    out << json::WritePretty(json::Value::Object(std::move(summary))) << "\n";
    return exit_code;
  }

  if (options.verbose) {
    for (const Line& l : skips) out << "skipped " << l.label << ": " << l.text << "\n";
    for (const Line& l : notes) out << "passed " << l.label << ": " << l.text << "\n";
  }
  for (const Line& l : failures) out << l.label << ": " << l.text << "\n";
  if (options.verbose && !skip_counts.empty()) {
    out << "skipped by reason:\n";
    for (const auto& [reason, n] : skip_counts) out << "  " << n << "  " << reason << "\n";
  }
  out << passed << " passed, " << failed << " failed, " << skipped << " skipped\n";
  return exit_code;
}

}  // namespace stepfn::cli
