#include "cli/conformance.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <deque>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <sstream>

#include "cli/conformance_command.h"
#include "cli/conformance_compare.h"
#include "json/parse.h"
#include "json/write.h"

namespace stepfn::cli {
namespace {

json::Value J(std::string_view text) {
  Result<json::Value> v = json::Parse(text);
  EXPECT_TRUE(v.ok()) << v.status().ToString() << " in " << text;
  return v.ok() ? *v : json::Value();
}

// ---------------------------------------------------------------------------------------------
// CaseMatcher

TEST(CaseMatcherTest, ObjectsIgnoreKeyOrderNumbersCompareByValue) {
  CaseMatcher m;
  EXPECT_FALSE(
      m.Compare(J(R"({"a":1,"b":[1,2.0,{"c":true}]})"), J(R"({"b":[1.0,2,{"c":true}],"a":1.0})")));
}

TEST(CaseMatcherTest, ReportsThePathOfTheFirstDifference) {
  CaseMatcher m;
  EXPECT_EQ(m.Compare(J(R"({"a":{"b":3}})"), J(R"({"a":{"b":4}})")), "at /a/b: expected 3, got 4");
  EXPECT_EQ(m.Compare(J(R"([1,{"x/y":"s"}])"), J(R"([1,{"x/y":"t"}])")),
            "at /1/x~1y: expected \"s\", got \"t\"");
  EXPECT_EQ(m.Compare(J("3"), J("\"3\"")), "at /: expected 3, got \"3\"");
  EXPECT_EQ(m.Compare(J(R"({"a":1})"), J("{}")), "at /a: missing (expected 1)");
  EXPECT_EQ(m.Compare(J("{}"), J(R"({"z":null})")), "at /z: unexpected member (got null)");
  EXPECT_EQ(m.Compare(J("[1,2]"), J("[1,2,3]")), "at /: expected 2 items, got 3 ([1,2,3])");
  EXPECT_EQ(m.Compare(J("null"), J("false")), "at /: expected null, got false");
}

TEST(CaseMatcherTest, WholeTokenMatchesAnyValue) {
  CaseMatcher m({"date", "RandomNumberGenerated", "stateExitedEventDetails.output"});
  EXPECT_FALSE(m.Compare(J(R"({"t":"date"})"), J(R"({"t":"2024-08-16T15:52:50.123Z"})")));
  EXPECT_FALSE(m.Compare(J(R"({"r":"RandomNumberGenerated"})"), J(R"({"r":42})")));
  EXPECT_FALSE(m.Compare(J(R"("stateExitedEventDetails.output")"), J(R"({"x":[1]})")));
  // A token does not cover a missing member.
  EXPECT_TRUE(m.Compare(J(R"({"t":"date"})"), J("{}")));
}

TEST(CaseMatcherTest, TokensInsideStringsMatchArnParts) {
  CaseMatcher m(
      {"<partition>", "<region>", "111111111111", "<ArnPart_0idx>", "<ExecArnPart_0idx>"});
  std::string pattern =
      "arn:<partition>:states:<region>:111111111111:execution:<ArnPart_0idx>:<ExecArnPart_0idx>";
  EXPECT_TRUE(
      m.MatchString(pattern, "arn:aws:states:us-east-1:123456789012:execution:Machine:run-1"));
  EXPECT_FALSE(m.MatchString(pattern, "arn:aws:lambda:us-east-1:123456789012:function:f"));
  // The state machine name is now bound: the same token must match the same name.
  EXPECT_TRUE(m.MatchString("<ArnPart_0idx>", "Machine"));
  EXPECT_FALSE(m.MatchString("<ArnPart_0idx>", "Other"));
  EXPECT_TRUE(
      m.MatchString("arn:<partition>:states:<region>:111111111111:stateMachine:"
                    "<ArnPart_0idx>",
                    "arn:aws-cn:states:cn-north-1:000000000000:stateMachine:Machine"));
  EXPECT_FALSE(
      m.MatchString("arn:<partition>:states:<region>:111111111111:stateMachine:"
                    "<ArnPart_0idx>",
                    "arn:aws:states:us-east-1:000000000000:stateMachine:Other"));
  // A wildcard inside a string stands for at least one character.
  EXPECT_FALSE(m.MatchString("a:<region>:b", "a::b"));
}

TEST(CaseMatcherTest, NumberedTokensAreConsistentWithinACase) {
  CaseMatcher m({"<uuid:1>", "<uuid:2>"});
  json::Value expected = J(R"({"a":"<uuid:1>","b":"id <uuid:1>!","c":"<uuid:2>"})");
  EXPECT_FALSE(m.Compare(expected, J(R"({"a":"u-1","b":"id u-1!","c":"u-2"})")));
  CaseMatcher m2({"<uuid:1>"});
  EXPECT_EQ(m2.Compare(expected, J(R"({"a":"u-1","b":"id u-9!","c":"<uuid:2>"})")),
            "at /b: expected \"id <uuid:1>!\", got \"id u-9!\"");
  CaseMatcher m3({"<uuid:1>"});
  EXPECT_TRUE(m3.Compare(J(R"(["<uuid:1>","<uuid:1>"])"), J(R"(["x","y"])")));
}

TEST(CaseMatcherTest, BindingsBacktrack) {
  CaseMatcher m({"<resource:1>", "<resource:2>"});
  // <resource:1> can first try "a" and must give it up.
  EXPECT_TRUE(m.MatchString("<resource:1>:<resource:2>:<resource:1>", "a:b:c:a:b"));
  EXPECT_TRUE(m.MatchString("<resource:1>", "a:b"));
}

TEST(CaseMatcherTest, WordTokensDoNotMatchInsideWords) {
  CaseMatcher m({"date"});
  EXPECT_FALSE(m.MatchString("update the date", "upXXXX the 2024-01-01"));
  EXPECT_TRUE(m.MatchString("update the date", "update the 2024-01-01"));
  EXPECT_TRUE(m.MatchString("StartDate: date.", "StartDate: 2024-01-01."));
}

TEST(CaseMatcherTest, LongestTokenWins) {
  CaseMatcher m({"date", "<start-date>"});
  EXPECT_TRUE(m.MatchString("from <start-date>", "from 2024-01-01T00:00:00Z"));
}

TEST(CaseMatcherTest, ForCaseCollectsRedactionsAndTransformerReplacements) {
  json::Value doc = J(R"({
    "redacted": true,
    "redactions": ["<uuid:1>", "date"],
    "snapshot_transformers": [
      {"kind": "RegexTransformer", "args": ["__OPAQUE_2_sfn_role_arn__", "snf_role_arn"]},
      {"kind": "RegexTransformer",
       "args": ["x", "\\\"requestId\\\":<request-id>\\\""]},
      {"kind": "SfnNoneRecursiveParallelTransformer", "args": []}]})");
  CaseMatcher m = CaseMatcher::ForCase(doc);
  EXPECT_TRUE(m.IsWholeToken("<uuid:1>"));
  EXPECT_TRUE(m.IsWholeToken("date"));
  EXPECT_TRUE(m.IsWholeToken("snf_role_arn"));
  EXPECT_TRUE(m.IsWholeToken("<request-id>"));
  EXPECT_FALSE(m.IsWholeToken("args"));

  json::Value plain = J(R"({"redacted": false, "snapshot_transformers": [
      {"kind": "RegexTransformer", "args": ["__OPAQUE_2_sfn_role_arn__", "snf_role_arn"]}]})");
  EXPECT_TRUE(CaseMatcher::ForCase(plain).tokens().empty());
}

TEST(CaseMatcherTest, BindingTokenShapes) {
  EXPECT_TRUE(IsBindingToken("<uuid:1>"));
  EXPECT_TRUE(IsBindingToken("<json-input:12>"));
  EXPECT_TRUE(IsBindingToken("<ArnPart_0idx>"));
  EXPECT_TRUE(IsBindingToken("<SyncExecArn_Part1_0idx>"));
  EXPECT_FALSE(IsBindingToken("<region>"));
  EXPECT_FALSE(IsBindingToken("<start-date>"));
  EXPECT_FALSE(IsBindingToken("date"));
  EXPECT_FALSE(IsBindingToken("111111111111"));
}

// ---------------------------------------------------------------------------------------------
// History normalisation (Parallel)

std::vector<std::string> Split(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

TEST(NormaliseParallelEventsTest, SortsEventsInsideParallel) {
  auto raw = Split(
      "ExecutionStarted ParallelStateEntered ParallelStateStarted PassStateEntered "
      "PassStateExited PassStateEntered PassStateExited ParallelStateExited ExecutionSucceeded");
  EXPECT_EQ(NormaliseParallelEvents(raw),
            Split("ExecutionStarted ParallelStateEntered ParallelStateStarted PassStateEntered "
                  "PassStateEntered PassStateExited PassStateExited ParallelStateExited "
                  "ExecutionSucceeded"));
}

TEST(NormaliseParallelEventsTest, ReproducesTheUpstreamNestedQuirk) {
  // As recorded in pure/...test_parallel_state_nested: the outer end event replaces the span
  // with the inner sublist, losing the inner ParallelStateExited.
  auto raw = Split(
      "ExecutionStarted ParallelStateEntered ParallelStateStarted ParallelStateEntered "
      "ParallelStateStarted PassStateEntered PassStateExited ParallelStateExited "
      "ParallelStateExited ExecutionSucceeded");
  auto recorded = Split(
      "ExecutionStarted ParallelStateEntered ParallelStateStarted ParallelStateEntered "
      "ParallelStateStarted PassStateEntered PassStateExited ParallelStateExited "
      "ExecutionSucceeded");
  EXPECT_EQ(NormaliseParallelEvents(raw), recorded);
  EXPECT_EQ(NormaliseParallelEvents(recorded), recorded);
}

// ---------------------------------------------------------------------------------------------
// CompareExecution

TEST(CompareExecutionTest, StatusErrorCauseAndOutput) {
  json::Value doc = J(R"({"expected": {"status": "FAILED", "error": "States.Runtime",
      "cause": "bad input '<json-input:1>' here"}, "redacted": true,
      "redactions": ["<json-input:1>"]})");
  ExecutionOutcome o{"FAILED", {}, "States.Runtime", "bad input '{\"a\":1}' here", {}, false, {}};
  EXPECT_FALSE(CompareExecution(doc, o));
  o.status = "SUCCEEDED";
  EXPECT_EQ(CompareExecution(doc, o),
            "status: expected FAILED (States.Runtime), got SUCCEEDED (States.Runtime: bad input "
            "'{\"a\":1}' here)");
  o.status = "FAILED";
  o.error = "States.TaskFailed";
  EXPECT_EQ(CompareExecution(doc, o).value().rfind("error: expected States.Runtime, got "
                                                   "States.TaskFailed",
                                                   0),
            0u);
  o.error = "States.Runtime";
  o.cause = "other";
  EXPECT_EQ(CompareExecution(doc, o), "cause: expected bad input '<json-input:1>' here, got other");

  json::Value ok = J(R"({"expected": {"status": "SUCCEEDED", "output": {"a": [1, 2]}}})");
  ExecutionOutcome s{"SUCCEEDED", J(R"({"a": [1, 3]})"), "", "", {}, false, {}};
  EXPECT_EQ(CompareExecution(ok, s), "output differs at /a/1: expected 2, got 3");
  s.output = J(R"({"a": [1, 2.0]})");
  EXPECT_FALSE(CompareExecution(ok, s));
}

TEST(CompareExecutionTest, FailureWithoutRecordedErrorExpectsNone) {
  json::Value doc = J(R"({"expected": {"status": "FAILED"}})");
  EXPECT_FALSE(CompareExecution(doc, ExecutionOutcome{"FAILED", {}, "", "", {}, false, {}}));
  EXPECT_EQ(CompareExecution(doc, ExecutionOutcome{"FAILED", {}, "E", "", {}, false, {}}),
            "error: expected none, got E");
  EXPECT_EQ(CompareExecution(doc, ExecutionOutcome{"FAILED", {}, "", "why", {}, false, {}}),
            "cause: expected none, got why");
}

TEST(CompareExecutionTest, RawTextOutputAndRedactedOutput) {
  json::Value raw = J(R"({"expected": {"status": "SUCCEEDED", "output": "[1,2]",
      "output_is_raw_text": true}})");
  EXPECT_FALSE(CompareExecution(raw, {"SUCCEEDED", J("[1, 2]"), "", "", {}, false, {}}));
  EXPECT_EQ(CompareExecution(raw, {"SUCCEEDED", J("[1, 3]"), "", "", {}, false, {}}),
            "output differs at /1: expected 2, got 3");
  EXPECT_FALSE(CompareExecution(raw, {"SUCCEEDED", J("\"[1,2]\""), "", "", {}, false, {}}));
  json::Value text = J(R"({"expected": {"status": "SUCCEEDED", "output": "not json",
      "output_is_raw_text": true}})");
  EXPECT_TRUE(CompareExecution(text, {"SUCCEEDED", J("1"), "", "", {}, false, {}}));

  json::Value redacted = J(R"({"expected": {"status": "SUCCEEDED", "output": {"a": 1},
      "output_redacted_entirely": true}})");
  EXPECT_FALSE(CompareExecution(redacted, {"SUCCEEDED", J("[]"), "", "", {}, false, {}}));
  EXPECT_TRUE(CompareExecution(redacted, {"FAILED", J("[]"), "", "", {}, false, {}}));
}

TEST(CompareExecutionTest, CauseParsedBySnapshot) {
  json::Value doc = J(R"({"expected": {"status": "FAILED", "error": "E",
      "cause": {"errorMessage": "boom", "requestId": "<uuid:1>"},
      "cause_json_parsed_by_snapshot": true}, "redacted": true, "redactions": ["<uuid:1>"]})");
  EXPECT_FALSE(CompareExecution(
      doc, {"FAILED", {}, "E", R"({"requestId":"r-1","errorMessage":"boom"})", {}, false, {}}));
  EXPECT_EQ(
      CompareExecution(
          doc, {"FAILED", {}, "E", R"({"errorMessage":"bang","requestId":"r"})", {}, false, {}}),
      "cause differs at /errorMessage: expected \"boom\", got \"bang\"");
  EXPECT_EQ(CompareExecution(doc, {"FAILED", {}, "E", "plain", {}, false, {}}),
            "cause: expected JSON {\"errorMessage\":\"boom\",\"requestId\":\"<uuid:1>\"}, got the "
            "text plain");
}

TEST(CompareExecutionTest, HistoryAndEnteredStates) {
  json::Value doc = J(R"({"expected": {"status": "SUCCEEDED", "output": {},
      "history_event_types": ["ExecutionStarted", "PassStateEntered", "PassStateExited",
                              "ExecutionSucceeded"],
      "entered_states": ["A"]}})");
  ExecutionOutcome o{"SUCCEEDED", J("{}"), "", "", {}, false, {}};
  EXPECT_FALSE(CompareExecution(doc, o));  // no history given: not compared
  o.has_history = true;
  o.history_event_types = Split(
      "ExecutionStarted PassStateEntered PassStateExited "
      "ExecutionSucceeded");
  o.entered_states = std::vector<std::string>{"A"};
  EXPECT_FALSE(CompareExecution(doc, o));
  o.history_event_types[2] = "TaskStateExited";
  EXPECT_EQ(CompareExecution(doc, o),
            "history differs at event 2: expected PassStateExited, got TaskStateExited");
  o.history_event_types = Split(
      "ExecutionStarted PassStateEntered PassStateExited "
      "ExecutionSucceeded ExecutionFailed");
  EXPECT_EQ(CompareExecution(doc, o),
            "history: expected 4 events, got 5 (first extra: ExecutionFailed)");
  o.history_event_types.pop_back();
  o.entered_states = std::vector<std::string>{"B"};
  EXPECT_EQ(CompareExecution(doc, o), "entered states differs at state 0: expected A, got B");
}

TEST(CompareExecutionTest, ParallelOrderIgnoredWhenNormalised) {
  json::Value doc = J(R"({"expected": {"status": "SUCCEEDED", "output": {},
      "history_parallel_events_normalised": true,
      "history_event_types": ["ExecutionStarted", "ParallelStateEntered", "ParallelStateStarted",
          "PassStateEntered", "PassStateEntered", "PassStateExited", "PassStateExited",
          "ParallelStateExited", "ExecutionSucceeded"]}})");
  ExecutionOutcome o{"SUCCEEDED", J("{}"), "", "", {}, true, {}};
  o.history_event_types = Split(
      "ExecutionStarted ParallelStateEntered ParallelStateStarted PassStateEntered "
      "PassStateExited PassStateEntered PassStateExited ParallelStateExited ExecutionSucceeded");
  EXPECT_FALSE(CompareExecution(doc, o));
  o.history_event_types[3] = "TaskStateEntered";
  EXPECT_TRUE(CompareExecution(doc, o));
}

// ---------------------------------------------------------------------------------------------
// CompareValidation

TEST(CompareValidationTest, ErrorCodeDecidesMessageIsANote) {
  json::Value doc = J(R"({"expected": {"error_code": "InvalidDefinition",
      "message": "Invalid State Machine Definition: 'X'"}})");
  std::string note;
  EXPECT_FALSE(CompareValidation(
      doc, {"InvalidDefinition", "Invalid State Machine Definition: 'X'", "", {}}, &note));
  EXPECT_EQ(note, "");
  EXPECT_FALSE(CompareValidation(doc, {"InvalidDefinition", "other", "", {}}, &note));
  EXPECT_EQ(note, "message differs: expected Invalid State Machine Definition: 'X', got other");
  EXPECT_EQ(CompareValidation(doc, {"", "", "", {}}, &note),
            "error code: expected InvalidDefinition, got none (definition accepted)");
  EXPECT_EQ(CompareValidation(doc, {"ValidationException", "m", "", {}}, &note),
            "error code: expected InvalidDefinition, got ValidationException (m)");
}

TEST(CompareValidationTest, Diagnostics) {
  json::Value doc = J(R"({"expected": {"result": "FAIL", "diagnostics": [
      {"code": "SCHEMA_VALIDATION_FAILED", "location": "/", "message": "m",
       "severity": "ERROR"}]}})");
  std::string note;
  ValidationOutcome o;
  o.result = "FAIL";
  o.diagnostics.push_back({"ERROR", "SCHEMA_VALIDATION_FAILED", "m", "/"});
  EXPECT_FALSE(CompareValidation(doc, o, &note));
  EXPECT_EQ(note, "");
  o.diagnostics[0].location = "/States";
  EXPECT_FALSE(CompareValidation(doc, o, &note));
  EXPECT_EQ(note, "diagnostic 0 location: expected /, got /States");
  o.diagnostics[0].code = "INVALID_JSON_DESCRIPTION";
  EXPECT_EQ(
      CompareValidation(doc, o, &note),
      "diagnostic codes: expected [SCHEMA_VALIDATION_FAILED], got [INVALID_JSON_DESCRIPTION]");
  o.result = "OK";
  EXPECT_EQ(CompareValidation(doc, o, &note), "result: expected FAIL, got OK");
}

// ---------------------------------------------------------------------------------------------
// The recorded cases

// The shared cases, or an empty list (the test is then skipped).
const std::vector<ConformanceCase>& AllCases() {
  static const std::vector<ConformanceCase>* cases = [] {
    auto* out = new std::vector<ConformanceCase>();
    Result<std::string> dir = DefaultCasesDir();
    if (!dir.ok()) return out;
    Result<std::vector<ConformanceCase>> loaded = LoadCases({*dir});
    EXPECT_TRUE(loaded.ok()) << loaded.status().ToString();
    if (loaded.ok()) *out = std::move(loaded).value();
    return out;
  }();
  return *cases;
}

#define REQUIRE_CASES() \
  if (AllCases().empty()) GTEST_SKIP() << "no shared conformance cases"

std::vector<std::string> Strings(const json::Value* v) {
  std::vector<std::string> out;
  if (v == nullptr) return out;
  for (const json::Value& s : v->items()) out.push_back(s.as_string());
  return out;
}

// The outcome AWS recorded, as an engine would report it.
ExecutionOutcome ExpectedOutcome(const json::Value& doc) {
  const json::Value& e = *doc.find("expected");
  ExecutionOutcome o;
  o.status = e.find("status")->as_string();
  if (const json::Value* out = e.find("output")) o.output = *out;
  if (const json::Value* err = e.find("error")) o.error = err->as_string();
  if (const json::Value* cause = e.find("cause")) {
    o.cause = cause->is_string() ? cause->as_string() : json::Write(*cause);
  }
  if (const json::Value* h = e.find("history_event_types")) {
    o.has_history = true;
    o.history_event_types = Strings(h);
  }
  if (const json::Value* s = e.find("entered_states")) o.entered_states = Strings(s);
  return o;
}

// Replaces the placeholder tokens in a string by plausible concrete values, as a real engine
// would produce them: the comparator must accept those too.
std::string Concretise(const std::string& s, const std::vector<std::string>& tokens) {
  auto alnum = [](char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; };
  std::string out;
  size_t pos = 0;
  while (pos < s.size()) {
    const std::string* found = nullptr;
    for (const std::string& t : tokens) {  // longest first
      if (s.compare(pos, t.size(), t) != 0) continue;
      size_t end = pos + t.size();
      if (alnum(t.front()) && pos > 0 && alnum(s[pos - 1])) continue;
      if (alnum(t.back()) && end < s.size() && alnum(s[end])) continue;
      found = &t;
      break;
    }
    if (found == nullptr) {
      out.push_back(s[pos++]);
      continue;
    }
    if (*found == "111111111111") {
      out += "123456789012";
    } else if (*found == "<region>") {
      out += "us-east-1";
    } else if (*found == "<partition>") {
      out += "aws";
    } else {
      // Stable per token, so bound tokens stay consistent.
      out += "v" + std::to_string(std::hash<std::string>()(*found) % 100000) + "-x";
    }
    pos += found->size();
  }
  return out;
}

json::Value ConcretiseValue(const json::Value& v, const std::vector<std::string>& tokens) {
  switch (v.type()) {
    case json::Type::String:
      return json::Value::String(Concretise(v.as_string(), tokens));
    case json::Type::Array: {
      std::vector<json::Value> items;
      for (const json::Value& i : v.items()) items.push_back(ConcretiseValue(i, tokens));
      return json::Value::Array(std::move(items));
    }
    case json::Type::Object: {
      std::vector<json::Member> members;
      for (const json::Member& m : v.members()) {
        members.emplace_back(m.first, ConcretiseValue(m.second, tokens));
      }
      return json::Value::Object(std::move(members));
    }
    default:
      return v;
  }
}

// A fake engine that answers each execution with what AWS recorded for it. Executions are
// matched by (definition, input, type); identical requests are answered in case order.
class RecordedEngine {
 public:
  RecordedEngine(bool concretise, std::function<void(ExecutionOutcome*)> perturb = nullptr)
      : concretise_(concretise), perturb_(std::move(perturb)) {
    for (const ConformanceCase& c : AllCases()) {
      if (c.category == "validation") continue;
      ExecutionOutcome o = ExpectedOutcome(c.doc);
      if (concretise_) {
        CaseMatcher m = CaseMatcher::ForCase(c.doc);
        o.output = ConcretiseValue(o.output, m.tokens());
        o.error = Concretise(o.error, m.tokens());
        o.cause = Concretise(o.cause, m.tokens());
      }
      if (perturb_) perturb_(&o);
      queue_[Key(*c.doc.find("definition"), Input(c.doc), Type(c.doc))].push_back(o);
    }
  }
  ConformanceHooks Hooks() {
    ConformanceHooks h;
    h.run_execution = [this](const json::Value& def, const json::Value& input,
                             const std::string& type) -> Result<ExecutionOutcome> {
      auto& q = queue_[Key(def, input, type)];
      if (q.empty()) return NotFound("no recorded outcome");
      ExecutionOutcome o = q.front();
      q.pop_front();
      return o;
    };
    return h;
  }

 private:
  static json::Value Input(const json::Value& doc) {
    const json::Value* in = doc.find("input");
    return in != nullptr ? *in : json::Value::EmptyObject();
  }
  static std::string Type(const json::Value& doc) {
    const json::Value* t = doc.find("state_machine_type");
    return t != nullptr ? t->as_string() : "STANDARD";
  }
  static std::string Key(const json::Value& def, const json::Value& input,
                         const std::string& type) {
    return json::Write(def) + "\n" + json::Write(input) + "\n" + type;
  }
  bool concretise_;
  std::function<void(ExecutionOutcome*)> perturb_;
  std::map<std::string, std::deque<ExecutionOutcome>> queue_;
};

ConformanceOptions AllOptions() {
  ConformanceOptions o;
  Result<std::string> dir = DefaultCasesDir();
  if (dir.ok()) o.dirs = {*dir};
  return o;
}

TEST(RecordedCasesTest, LoadsAllFourFolders) {
  REQUIRE_CASES();
  std::map<std::string, int> per_category;
  for (const ConformanceCase& c : AllCases()) ++per_category[c.category];
  EXPECT_GT(per_category["pure"], 0);
  EXPECT_GT(per_category["services"], 0);
  EXPECT_GT(per_category["teststate"], 0);
  EXPECT_GT(per_category["validation"], 0);
  EXPECT_EQ(per_category.size(), 4u);
}

TEST(RecordedCasesTest, SkipTableIsPrecise) {
  REQUIRE_CASES();
  ConformanceHooks hooks;
  hooks.run_execution = [](const json::Value&, const json::Value&,
                           const std::string&) -> Result<ExecutionOutcome> {
    return ExecutionOutcome{};
  };
  hooks.run_validation = [](const ValidationRequest&) { return ValidationOutcome{}; };
  int runnable_pure = 0, runnable_validation = 0;
  for (const ConformanceCase& c : AllCases()) {
    std::optional<std::string> reason = SkipReason(c, hooks);
    if (c.category == "services" || c.category == "teststate") {
      EXPECT_TRUE(reason) << c.file_name;
      continue;
    }
    std::vector<std::string> features = Strings(c.doc.find("features"));
    bool variables = false;
    for (const std::string& f : features) {
      variables |= f == "JSONata" || f == "Assign" || f == "Variables" || f == "StatesVariable";
    }
    if (variables) {
      if (c.category == "pure") {
        EXPECT_EQ(reason, "JSONata and variables: a later issue") << c.file_name;
      } else {
        EXPECT_TRUE(reason) << c.file_name;
      }
      continue;
    }
    if (c.category == "pure") {
      // The only pure cases without JSONata/variables that are skipped need API calls mid-run.
      if (reason) {
        EXPECT_NE(c.doc.find("interactions"), nullptr) << c.file_name << ": " << *reason;
      } else {
        ++runnable_pure;
      }
    } else if (!reason) {
      ++runnable_validation;
      std::string api = c.doc.find("source")->find("api")->as_string();
      EXPECT_TRUE(api == "CreateStateMachine" || api == "ValidateStateMachineDefinition") << api;
    }
  }
  EXPECT_GT(runnable_pure, 400);
  EXPECT_GE(runnable_validation, 12);  // ValidateStateMachineDefinition ones using services too

  // Without hooks everything is skipped, with a reason.
  for (const ConformanceCase& c : AllCases()) EXPECT_TRUE(SkipReason(c, ConformanceHooks{}));
}

TEST(RecordedCasesTest, RecordedOutcomesPassTheirOwnCases) {
  REQUIRE_CASES();
  RecordedEngine engine(/*concretise=*/false);
  std::ostringstream out;
  EXPECT_EQ(RunConformance(AllOptions(), engine.Hooks(), out), 0) << out.str();
  EXPECT_NE(out.str().find(" 0 failed, "), std::string::npos) << out.str();
}

TEST(RecordedCasesTest, ConcreteValuesForPlaceholdersPass) {
  REQUIRE_CASES();
  RecordedEngine engine(/*concretise=*/true);
  std::ostringstream out;
  EXPECT_EQ(RunConformance(AllOptions(), engine.Hooks(), out), 0) << out.str();
}

TEST(RecordedCasesTest, EveryCaseComparesItsRecordEvenWhenSkipped) {
  // The comparator must accept AWS's own data in every folder that records executions, skipped
  // folders included (they will run one day).
  REQUIRE_CASES();
  int compared = 0;
  for (const ConformanceCase& c : AllCases()) {
    if (c.category == "validation") continue;
    if (c.category == "teststate") continue;  // a TestState response, not an execution
    CaseMatcher m = CaseMatcher::ForCase(c.doc);
    ExecutionOutcome o = ExpectedOutcome(c.doc);
    o.output = ConcretiseValue(o.output, m.tokens());
    o.error = Concretise(o.error, m.tokens());
    o.cause = Concretise(o.cause, m.tokens());
    EXPECT_EQ(CompareExecution(c.doc, o), std::nullopt) << c.file_name;
    ++compared;
  }
  EXPECT_GT(compared, 600);
}

TEST(RecordedCasesTest, PerturbedOutcomesFail) {
  REQUIRE_CASES();
  {
    RecordedEngine engine(false, [](ExecutionOutcome* o) {
      if (o->status == "SUCCEEDED") {
        o->output = json::Value::Object({{"perturbed", json::Value::Int(1)}});
      } else {
        o->status = "SUCCEEDED";
      }
    });
    ConformanceOptions options = AllOptions();
    options.category = "pure";
    std::ostringstream out;
    EXPECT_EQ(RunConformance(options, engine.Hooks(), out), 1);
    EXPECT_NE(out.str().find("\n0 passed, "), std::string::npos) << out.str();
    EXPECT_NE(out.str().find("output differs at /"), std::string::npos);
    EXPECT_NE(out.str().find("status: expected FAILED"), std::string::npos);
  }
  {
    RecordedEngine engine(false, [](ExecutionOutcome* o) {
      if (!o->has_history) {
        o->status = "PERTURBED";
      } else {
        std::swap(o->history_event_types.front(), o->history_event_types.back());
      }
    });
    ConformanceOptions options = AllOptions();
    options.category = "pure";
    std::ostringstream out;
    EXPECT_EQ(RunConformance(options, engine.Hooks(), out), 1);
    EXPECT_NE(out.str().find("\n0 passed, "), std::string::npos) << out.str();
    EXPECT_NE(out.str().find("history differs at event 0"), std::string::npos);
  }
}

TEST(RecordedCasesTest, ValidationCasesPassWithTheirRecordedCodes) {
  REQUIRE_CASES();
  std::map<std::string, ValidationOutcome> by_definition;
  for (const ConformanceCase& c : AllCases()) {
    if (c.category != "validation") continue;
    const json::Value& e = *c.doc.find("expected");
    ValidationOutcome o;
    if (const json::Value* code = e.find("error_code")) o.error_code = code->as_string();
    if (const json::Value* r = e.find("result")) o.result = r->as_string();
    if (const json::Value* d = e.find("diagnostics")) {
      for (const json::Value& x : d->items()) {
        o.diagnostics.push_back({x.find("severity")->as_string(), x.find("code")->as_string(),
                                 "different message", ""});
      }
    }
    by_definition[c.doc.find("definition_raw")->as_string()] = o;
  }
  ConformanceHooks hooks;
  hooks.run_validation = [&](const ValidationRequest& r) {
    return by_definition[r.definition_text];
  };
  ConformanceOptions options = AllOptions();
  options.category = "validation";
  options.verbose = true;
  std::ostringstream out;
  EXPECT_EQ(RunConformance(options, hooks, out), 0) << out.str();
  EXPECT_NE(out.str().find("message differs"), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("skipped validation/"), std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// The runner on a small folder of synthetic cases

class SyntheticCasesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("stepfn_conformance_test_" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir_ / "pure");
    std::filesystem::create_directories(dir_ / "validation");
    Write("pure/a_pass.json", R"({"definition": {"StartAt": "A"}, "input": {"x": 1},
        "state_machine_type": "STANDARD", "features": ["Pass"],
        "expected": {"status": "SUCCEEDED", "output": {"x": 1}}})");
    Write("pure/b_pass.json", R"({"definition": {"StartAt": "B"}, "input": {"x": 2},
        "features": ["Pass"], "expected": {"status": "SUCCEEDED", "output": {"x": 2}}})");
    Write("pure/c_jsonata.json", R"({"definition": {"StartAt": "C"}, "input": {},
        "features": ["JSONata"], "expected": {"status": "SUCCEEDED", "output": {}}})");
    Write("validation/d_invalid.json", R"({"definition_raw": "{}",
        "source": {"api": "CreateStateMachine"}, "validation_kind": "definition",
        "expected": {"error_code": "InvalidDefinition", "message": "m"}})");
    Write("README.txt", "not a case");
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  void Write(const std::string& name, const std::string& text) {
    std::ofstream(dir_ / name) << text;
  }
  // An engine that echoes the input, except that it doubles "x" for definition "B".
  static ConformanceHooks EchoHooks() {
    ConformanceHooks h;
    h.run_execution = [](const json::Value& def, const json::Value& input,
                         const std::string&) -> Result<ExecutionOutcome> {
      ExecutionOutcome o;
      o.status = "SUCCEEDED";
      o.output = input;
      if (def.find("StartAt")->as_string() == "B") {
        o.output = json::Value::Object({{"x", json::Value::Int(4)}});
      }
      return o;
    };
    return h;
  }
  std::string Run(ConformanceOptions options, const ConformanceHooks& hooks, int* code) {
    if (options.dirs.empty()) options.dirs = {dir_.string()};
    std::ostringstream out;
    *code = RunConformance(options, hooks, out);
    return out.str();
  }
  std::filesystem::path dir_;
};

TEST_F(SyntheticCasesTest, PrintsFailuresAndTheSummaryLineLast) {
  int code = -1;
  std::string out = Run({}, EchoHooks(), &code);
  EXPECT_EQ(out,
            "pure/b_pass.json: output differs at /x: expected 2, got 4\n"
            "1 passed, 1 failed, 2 skipped\n");
  EXPECT_EQ(code, 1);
}

TEST_F(SyntheticCasesTest, MinPassRate) {
  ConformanceOptions options;
  options.min_pass_rate = 0.5;
  int code = -1;
  Run(options, EchoHooks(), &code);
  EXPECT_EQ(code, 0);
  options.min_pass_rate = 0.51;
  Run(options, EchoHooks(), &code);
  EXPECT_EQ(code, 1);
}

TEST_F(SyntheticCasesTest, FilterCategoryAndVerbose) {
  ConformanceOptions options;
  options.filter = "a_";
  int code = -1;
  EXPECT_EQ(Run(options, EchoHooks(), &code), "1 passed, 0 failed, 0 skipped\n");
  EXPECT_EQ(code, 0);

  options = {};
  options.category = "validation";
  options.verbose = true;
  std::string out = Run(options, EchoHooks(), &code);
  EXPECT_EQ(out,
            "skipped validation/d_invalid.json: no validator hooked (run_validation is empty)\n"
            "skipped by reason:\n"
            "  1  no validator hooked (run_validation is empty)\n"
            "0 passed, 0 failed, 1 skipped\n");
  EXPECT_EQ(code, 0);

  options = {};
  options.dirs = {(dir_ / "pure" / "c_jsonata.json").string()};
  options.verbose = true;
  out = Run(options, EchoHooks(), &code);
  EXPECT_NE(out.find("skipped pure/c_jsonata.json: JSONata and variables: a later issue\n"),
            std::string::npos)
      << out;
}

TEST_F(SyntheticCasesTest, RefusedDefinition) {
  ConformanceHooks h;
  h.run_execution = [](const json::Value&, const json::Value&,
                       const std::string&) -> Result<ExecutionOutcome> {
    return InvalidArgument("Invalid State Machine Definition: 'nope'");
  };
  ConformanceOptions options;
  options.filter = "a_";
  int code = -1;
  EXPECT_EQ(Run(options, h, &code),
            "pure/a_pass.json: definition refused: Invalid State Machine Definition: 'nope'\n"
            "0 passed, 1 failed, 0 skipped\n");
}

TEST_F(SyntheticCasesTest, JsonSummary) {
  ConformanceOptions options;
  options.json = true;
  int code = -1;
  std::string out = Run(options, EchoHooks(), &code);
  json::Value summary = J(out);
  EXPECT_EQ(summary.find("passed")->as_int(), 1);
  EXPECT_EQ(summary.find("failed")->as_int(), 1);
  EXPECT_EQ(summary.find("skipped")->as_int(), 2);
  EXPECT_FALSE(summary.find("ok")->as_bool());
  EXPECT_EQ(summary.find("failures")->at(0)->find("case")->as_string(), "pure/b_pass.json");
  EXPECT_EQ(code, 1);
}

TEST_F(SyntheticCasesTest, MissingFolderIsAnError) {
  ConformanceOptions options;
  options.dirs = {(dir_ / "nope").string()};
  int code = -1;
  std::string out = Run(options, EchoHooks(), &code);
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("no such case file or folder"), std::string::npos);
}

TEST_F(SyntheticCasesTest, BrokenCaseFileIsAnError) {
  Write("pure/z_broken.json", "{");
  int code = -1;
  std::string out = Run({}, EchoHooks(), &code);
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("z_broken.json"), std::string::npos);
}

TEST_F(SyntheticCasesTest, Subcommand) {
  CLI::App app("stepfn");
  int code = -1;
  AddConformanceCommand(app, EchoHooks(), &code);
  std::ostringstream captured;
  std::streambuf* old = std::cout.rdbuf(captured.rdbuf());
  app.parse("conformance --filter a_ --min-pass-rate 0.9 " + dir_.string(), false);
  std::cout.rdbuf(old);
  EXPECT_EQ(code, 0);
  EXPECT_EQ(captured.str(), "1 passed, 0 failed, 0 skipped\n");

  CLI::App app2("stepfn");
  AddConformanceCommand(app2, EchoHooks(), &code);
  old = std::cout.rdbuf(captured.rdbuf());
  app2.parse("conformance " + dir_.string(), false);
  std::cout.rdbuf(old);
  EXPECT_EQ(code, 1);
}

// ---------------------------------------------------------------------------------------------
// TestState

// The response AWS recorded for a teststate case, as the API sends it: output and the payloads
// of inspectionData as JSON text (the record parsed some of them).
json::Value RecordedTestStateResponse(const json::Value& doc) {
  const json::Value& e = *doc.find("expected");
  json::ObjectBuilder b;
  for (const json::Member& m : e.members()) {
    if (m.first == "output") {
      b.Append("output", json::Value::String(json::Write(m.second)));
    } else if (m.first == "inspectionData") {
      json::ObjectBuilder d;
      for (const json::Member& i : m.second.members()) {
        bool text = !i.second.is_string() && !i.second.is_number() && i.first != "errorDetails";
        d.Append(i.first, text ? json::Value::String(json::Write(i.second)) : i.second);
      }
      b.Append("inspectionData", std::move(d).Build());
    } else {
      b.Append(m.first, m.second);
    }
  }
  return std::move(b).Build();
}

ConformanceHooks RecordedTestStateHooks(std::function<void(json::Value*)> perturb = {}) {
  ConformanceHooks h;
  h.run_test_state = [perturb](const json::Value& request) {
    // Find the case by its request: the definition text and input are enough here.
    TestStateOutcome o;
    for (const ConformanceCase& c : AllCases()) {
      if (c.category != "teststate") continue;
      json::Value mine = TestStateRequestOf(c);
      if (!(mine == request)) continue;
      o.response = RecordedTestStateResponse(c.doc);
      if (perturb) perturb(&o.response);
      return o;
    }
    o.error_code = "NoSuchCase";
    return o;
  };
  return h;
}

TEST(TestStateComparisonTest, JsonTextComparesByValue) {
  json::Value doc = J(R"({"expected": {"status": "SUCCEEDED", "output": {"a": [1, 2]},
      "nextState": "N", "inspectionData": {"input": {"a": 1}, "result": "[1, 2]",
      "afterResultPath": "\"x\"", "errorDetails": {"retryIndex": 0}, "maxConcurrency": 0}}})");
  json::Value response = J(R"({"status": "SUCCEEDED", "output": "{\"a\":[1,2.0]}",
      "nextState": "N", "inspectionData": {"input": "{\"a\":1}", "result": "[1,2]",
      "afterResultPath": "\"x\"", "errorDetails": {"retryIndex": 0}, "maxConcurrency": 0}})");
  EXPECT_EQ(CompareTestState(doc, response), std::nullopt);

  auto with = [&response](std::string_view key, json::Value v) {
    json::ObjectBuilder b(response);
    b.Set(std::string(key), std::move(v));
    return std::move(b).Build();
  };
  EXPECT_EQ(CompareTestState(doc, with("status", json::Value::String("FAILED"))),
            "status: expected SUCCEEDED, got FAILED");
  EXPECT_EQ(CompareTestState(doc, with("nextState", json::Value::String("M"))),
            "nextState: expected N, got M");
  EXPECT_EQ(CompareTestState(doc, with("output", json::Value::String("{\"a\":[1]}"))),
            "output differs at /a: expected 2 items, got 1 ([1])");
  EXPECT_EQ(CompareTestState(doc, with("error", json::Value::String("E"))),
            "error: expected none, got \"E\"");
  json::Value extra = with("inspectionData", J(R"({"input": "{\"a\":1}", "result": "[1,2]",
      "afterResultPath": "\"x\"", "errorDetails": {"retryIndex": 0}, "maxConcurrency": 0,
      "afterInputPath": "{}"})"));
  EXPECT_EQ(CompareTestState(doc, extra), "inspectionData.afterInputPath: unexpected (got \"{}\")");
  json::Value missing = with("inspectionData", J(R"({"input": "{\"a\":1}", "result": "[1,2]",
      "afterResultPath": "\"x\"", "errorDetails": {"retryIndex": 0}})"));
  EXPECT_EQ(CompareTestState(doc, missing), "inspectionData.maxConcurrency: missing (expected 0)");
  EXPECT_EQ(
      CompareTestState(J(R"({"expected": {"status": "SUCCEEDED", "nextState": "N"}})"), response),
      "output: expected none, got \"{\\\"a\\\":[1,2.0]}\"");
}

TEST(TestStateComparisonTest, RequestOfACase) {
  ConformanceCase c{"p", "f.json", "teststate",
                    J(R"({"request": {"inspectionLevel": "DEBUG", "mock": {"result": "{}"}},
                          "definition": {"Type": "Pass", "End": true}, "input": [1]})")};
  json::Value r = TestStateRequestOf(c);
  EXPECT_EQ(r.find("definition")->as_string(), R"({"Type":"Pass","End":true})");
  EXPECT_EQ(r.find("input")->as_string(), "[1]");
  EXPECT_EQ(r.find("inspectionLevel")->as_string(), "DEBUG");
  EXPECT_NE(r.find("roleArn"), nullptr);  // the recordings leave it out
  c.category = "validation";
  c.doc = J(R"({"request": {}, "definition": {}, "definition_raw": "{ \"Type\": 1 }"})");
  r = TestStateRequestOf(c);
  EXPECT_EQ(r.find("definition")->as_string(), R"({ "Type": 1 })");
  EXPECT_EQ(r.find("roleArn"), nullptr);
  EXPECT_EQ(r.find("input"), nullptr);
}

TEST(RecordedCasesTest, TestStateCasesNeedTheirHookAndSkipOnlyWhatIsOutOfReach) {
  REQUIRE_CASES();
  ConformanceHooks hooks = RecordedTestStateHooks();
  int runnable = 0, runnable_mocked = 0;
  for (const ConformanceCase& c : AllCases()) {
    if (c.category != "teststate") continue;
    EXPECT_TRUE(SkipReason(c, ConformanceHooks{})) << c.file_name;
    std::optional<std::string> reason = SkipReason(c, hooks);
    std::vector<std::string> features = Strings(c.doc.find("features"));
    bool variables = false;
    for (const std::string& f : features) {
      variables |= f == "JSONata" || f == "Assign" || f == "Variables" || f == "StatesVariable";
    }
    bool mocked = c.doc.find("request")->find("mock") != nullptr;
    if (variables) {
      EXPECT_EQ(reason, "JSONata and variables: a later issue") << c.file_name;
    } else if (!mocked && c.doc.find("services")->size() > 0) {
      EXPECT_TRUE(reason) << c.file_name;
    } else {
      EXPECT_EQ(reason, std::nullopt) << c.file_name;
      ++runnable;
      runnable_mocked += mocked ? 1 : 0;
    }
  }
  EXPECT_GE(runnable, 39);
  EXPECT_GE(runnable_mocked, 19);
}

TEST(RecordedCasesTest, RecordedTestStateResponsesPassTheirOwnCases) {
  REQUIRE_CASES();
  ConformanceOptions options = AllOptions();
  options.category = "teststate";
  std::ostringstream out;
  EXPECT_EQ(RunConformance(options, RecordedTestStateHooks(), out), 0) << out.str();
  EXPECT_NE(out.str().find(" 0 failed, "), std::string::npos) << out.str();
  // Every case, skipped or not, compares its own record.
  for (const ConformanceCase& c : AllCases()) {
    if (c.category != "teststate") continue;
    EXPECT_EQ(CompareTestState(c.doc, RecordedTestStateResponse(c.doc)), std::nullopt)
        << c.file_name;
  }
}

TEST(RecordedCasesTest, PerturbedTestStateResponsesFail) {
  REQUIRE_CASES();
  ConformanceOptions options = AllOptions();
  options.category = "teststate";
  std::ostringstream out;
  ConformanceHooks hooks = RecordedTestStateHooks([](json::Value* response) {
    json::ObjectBuilder b(*response);
    b.Set("nextState", json::Value::String("Elsewhere"));
    *response = std::move(b).Build();
  });
  EXPECT_EQ(RunConformance(options, hooks, out), 1);
  EXPECT_NE(out.str().find("\n0 passed, "), std::string::npos) << out.str();
  EXPECT_NE(out.str().find("nextState: expected none, got \"Elsewhere\""), std::string::npos);
}

}  // namespace
TEST(ConformanceLambdaTest, PlansFunctionsAndSubstitutesTokens) {
  json::Value doc = J(R"({
    "category": "services", "services": ["lambda"],
    "substitutions": {
      "__OPAQUE_1_short_uid__": {"label": "short_uid"},
      "__OPAQUE_2_lambda_function_arn__": {"label": "lambda_function_arn",
        "kind": "lambda_function_arn", "function_name": "fn___OPAQUE_1_short_uid__"}},
    "lambda_handlers": {"__OPAQUE_2_lambda_function_arn__": {"code": "def handler(e, c):\n  return e\n"}}})");
  Result<LambdaCasePlan> plan = PlanLambdaCase(doc, "abc123");
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->functions.size(), 1u);
  EXPECT_EQ(plan->functions[0].name, "fn_abc123");
  EXPECT_EQ(plan->functions[0].code, "def handler(e, c):\n  return e\n");
  json::Value def = J(R"({"States":{"T":{"Resource":"__OPAQUE_2_lambda_function_arn__"}},
                          "In":["no_such___OPAQUE_1_short_uid__"]})");
  EXPECT_EQ(json::Write(Substitute(def, *plan)),
            R"({"States":{"T":{"Resource":"arn:aws:lambda:us-east-1:123456789012:function:)"
            R"(fn_abc123"}},"In":["no_such_abc123"]})");
  // A function without code cannot be planned.
  json::Value no_code = J(R"({"services": ["lambda"], "substitutions": {
      "__OPAQUE_2_lambda_function_arn__": {"kind": "lambda_function_arn", "function_name": "f"}}})");
  EXPECT_FALSE(PlanLambdaCase(no_code, "x").ok());
  EXPECT_FALSE(PlanLambdaCase(J(R"({"services": ["lambda"]})"), "x").ok());
}

TEST(ConformanceLambdaTest, SkipsCasesBeyondLambdaOrWithoutCode) {
  ConformanceHooks hooks;
  hooks.run_execution = [](const json::Value&, const json::Value&,
                           const std::string&) -> Result<ExecutionOutcome> {
    return ExecutionOutcome{};
  };
  ConformanceCase s3{"", "s3.json", "services", J(R"({"services": ["lambda", "s3"]})")};
  EXPECT_NE(SkipReason(s3, hooks)->find("beyond Lambda"), std::string::npos);
  ConformanceCase no_code{"", "l.json", "services", J(R"({"services": ["lambda"]})")};
  EXPECT_NE(SkipReason(no_code, hooks)->find("no code"), std::string::npos);
  ConformanceCase ok{"", "ok.json", "services", J(R"({"services": ["lambda"],
      "substitutions": {"__OPAQUE_2_x__": {"kind": "lambda_function_arn", "function_name": "f"}},
      "lambda_handlers": {"__OPAQUE_2_x__": {"code": "pass"}}})")};
  EXPECT_NE(SkipReason(ok, hooks)->find("create_functions is empty"), std::string::npos);
  hooks.create_functions = [](const std::vector<CaseFunction>&) { return Status::Ok(); };
  hooks.delete_functions = [](const std::vector<CaseFunction>&) {};
  EXPECT_FALSE(SkipReason(ok, hooks).has_value());
  hooks.lambda_unavailable = [] { return std::optional<std::string>("no Lambda here"); };
  EXPECT_EQ(SkipReason(ok, hooks), "no Lambda here");
}

}  // namespace stepfn::cli

namespace stepfn::cli {
namespace {

TEST(WithAwsCodeFolder, MapsTheHandlerFileOfAStackTraceToVarTask) {
  EXPECT_EQ(WithAwsCodeFolder(R"(["  File \"/tmp/stepfn-lambda-x1/code/ab12/handler.py\", )"
                              R"(line 2, in handler\n"])"),
            R"(["  File \"/var/task/handler.py\", line 2, in handler\n"])");
  // In a cause as JSON text: the quotes are escaped there.
  std::string decoded = "File \"/data/lambda/code/9f/handler.py\", line 9 | File \"/x/handler.py\"";
  EXPECT_EQ(WithAwsCodeFolder(decoded),
            "File \"/var/task/handler.py\", line 9 | File \"/var/task/handler.py\"");
  // Other files, relative paths and text without a stack trace stay as they are.
  for (std::string same : {"File \"/usr/lib/python3.12/json/__init__.py\", line 1",
                           "File \"handler.py\", line 1", "no trace here", "File \"/open"}) {
    EXPECT_EQ(WithAwsCodeFolder(same), same);
  }
}

}  // namespace
}  // namespace stepfn::cli
