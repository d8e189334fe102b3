#include "asl/validate.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "asl/validate_internal.h"
#include "asl/validate_syntax.h"
#include "json/json_path.h"
#include "json/parse.h"
#include "json/write.h"

namespace stepfn::asl {
namespace {

std::vector<Diagnostic> V(std::string_view text, MachineType type = MachineType::Standard) {
  return ValidateText(text, type);
}

std::string Dump(const std::vector<Diagnostic>& diagnostics) {
  std::string out;
  for (const Diagnostic& d : diagnostics) {
    out += d.severity + " " + d.code + ": " + d.message + " @ " + d.location + "\n";
  }
  return out;
}

// The single ERROR diagnostic, as "CODE: message @ location".
std::string One(std::string_view text, MachineType type = MachineType::Standard) {
  std::vector<Diagnostic> diagnostics = V(text, type);
  if (diagnostics.size() != 1) return "expected one diagnostic, got:\n" + Dump(diagnostics);
  const Diagnostic& d = diagnostics[0];
  return d.code + ": " + d.message + " @ " + d.location;
}

TEST(Validate, MinimalMachineIsValid) {
  EXPECT_EQ(Dump(V(R"j({"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})j")), "");
}

TEST(Validate, MissingTopLevelFields) {
  EXPECT_EQ(One("{}"),
            "SCHEMA_VALIDATION_FAILED: These fields are required: [States, StartAt] @ /");
  EXPECT_EQ(One(R"j({"StartAt":"A"})j"),
            "SCHEMA_VALIDATION_FAILED: These fields are required: [States] @ /");
  EXPECT_EQ(InvalidDefinitionMessage(V(R"j({"Comment":"x","StartAt":"A"})j")),
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: These fields are "
            "required: [States] at /'");
}

TEST(Validate, NotAnObject) {
  EXPECT_EQ(One(" "), "SCHEMA_VALIDATION_FAILED: Definition must be a valid JSON object @ ");
  EXPECT_EQ(One("[1]"), "SCHEMA_VALIDATION_FAILED: Definition must be a valid JSON object @ ");
  std::vector<Diagnostic> d = V("not a definition");
  ASSERT_EQ(d.size(), 1u);
  EXPECT_EQ(d[0].code, "INVALID_JSON_DESCRIPTION");
  EXPECT_EQ(d[0].location, "[Source: (String)\"not a definition\"; line: 1, column: 4]");
  EXPECT_EQ(One("{\"a\":"), One("{\"a\":"));  // a parse error, whatever the wording
}

TEST(Validate, UnknownAndMisplacedFields) {
  EXPECT_EQ(One(R"j({"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"Foo":1}}})j"),
            "SCHEMA_VALIDATION_FAILED: Field 'Foo' is not supported @ /States/A");
  EXPECT_EQ(One(R"j({"StartAt":"A","States":{"A":{"Type":"Succeed","Next":"A"}}})j"),
            "SCHEMA_VALIDATION_FAILED: Field 'Next' is not supported @ /States/A");
  EXPECT_EQ(One(R"j({"StartAt":"A","States":{"A":{"Type":"Nope","End":true}}})j"),
            "SCHEMA_VALIDATION_FAILED: The field 'Type' should have one of these values: [Task, "
            "Wait, Pass, Succeed, Fail, Choice, Parallel, Map] @ /States/A/Type");
}

TEST(Validate, TransitionsAndReachability) {
  std::vector<Diagnostic> d =
      V(R"j({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"Z"},"B":{"Type":"Succeed"}}})j");
  EXPECT_EQ(InvalidDefinitionMessage(d),
            "Invalid State Machine Definition: 'MISSING_TRANSITION_TARGET: Missing 'Next' "
            "target: Z at /States/A/Next, MISSING_TRANSITION_TARGET: State \"B\" is not "
            "reachable. at /States/B'");
  EXPECT_EQ(One(R"j({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"B"},
                    "B":{"Type":"Pass","Next":"A"}}})j"),
            "MISSING_END_STATE: Workflow has no terminal state @ ");
  EXPECT_EQ(One(R"j({"StartAt":"A","States":{"A":{"Type":"Pass","Next":"A","End":true}}})j"),
            "SCHEMA_VALIDATION_FAILED: These fields are mutually exclusive: [Next, End] @ "
            "/States/A");
  EXPECT_EQ(One(R"j({"StartAt":"X","States":{"A":{"Type":"Succeed"}}})j"),
            "MISSING_TRANSITION_TARGET: Missing 'Next' target: X @ /StartAt");
}

TEST(Validate, ChoiceRules) {
  EXPECT_EQ(Dump(V(R"j({"StartAt":"C","States":{"C":{"Type":"Choice"}}})j")),
            "ERROR SCHEMA_VALIDATION_FAILED: These fields are required: [Choices] @ /States/C\n"
            "ERROR MISSING_END_STATE: Workflow has no terminal state @ \n");
  EXPECT_EQ(Dump(V(R"j({"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[
      {"Variable":"$.x","NumericEquals":1,"Next":"D"},
      {"And":[{"Variable":"$.y","IsPresent":true},{"Not":{"Variable":"$.z","StringEquals":"a"}}],
       "Next":"D"}],"Default":"D"},"D":{"Type":"Succeed"}}})j")),
            "");
  EXPECT_EQ(One(R"j({"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[
      {"Variable":"$.x","NumericEquals":"1","Next":"D"}],"Default":"D"},"D":{"Type":"Succeed"}}})j"),
            "SCHEMA_VALIDATION_FAILED: The field 'NumericEquals' should be a number @ "
            "/States/C/Choices[0]/NumericEquals");
  EXPECT_EQ(One(R"j({"StartAt":"C","States":{"C":{"Type":"Choice","Choices":[
      {"Variable":"$.x","NumericEquals":1,"Next":"D"}],"Default":"E"},"D":{"Type":"Succeed"}}})j"),
            "MISSING_TRANSITION_TARGET: Missing 'Next' target: E @ /States/C/Default");
}

TEST(Validate, RetryAndCatch) {
  std::vector<Diagnostic> d = V(R"j({"StartAt":"T","States":{"T":{"Type":"Task",
      "Resource":"arn:aws:states:::lambda:invoke","End":true,
      "Retry":[{"ErrorEquals":["States.ALL","X"],"MaxAttempts":-1,"BackoffRate":0.5,
                "JitterStrategy":"SOME","IntervalSeconds":0},
               {"ErrorEquals":[]}],
      "Catch":[{"ErrorEquals":["States.ALL"]}]}}})j");
  EXPECT_EQ(Dump(d),
            "ERROR SCHEMA_VALIDATION_FAILED: 'States.ALL' must appear alone in 'ErrorEquals' @ "
            "/States/T/Retry[0]/ErrorEquals\n"
            "ERROR SCHEMA_VALIDATION_FAILED: 'States.ALL' must be in the last element of 'Retry' "
            "@ /States/T/Retry[0]\n"
            "ERROR SCHEMA_VALIDATION_FAILED: The field 'MaxAttempts' should be an integer "
            "between 0 and 99999999 @ /States/T/Retry[0]/MaxAttempts\n"
            "ERROR SCHEMA_VALIDATION_FAILED: The field 'BackoffRate' should be a number greater "
            "than or equal to 1.0 @ /States/T/Retry[0]/BackoffRate\n"
            "ERROR SCHEMA_VALIDATION_FAILED: The field 'JitterStrategy' should have one of these "
            "values: [FULL, NONE] @ /States/T/Retry[0]/JitterStrategy\n"
            "ERROR SCHEMA_VALIDATION_FAILED: The field 'IntervalSeconds' should be an integer "
            "between 1 and 99999999 @ /States/T/Retry[0]/IntervalSeconds\n"
            "ERROR SCHEMA_VALIDATION_FAILED: Value cannot be empty @ "
            "/States/T/Retry[1]/ErrorEquals\n"
            "ERROR SCHEMA_VALIDATION_FAILED: These fields are required: [Next] @ "
            "/States/T/Catch[0]\n");
}

TEST(Validate, PathsTemplatesAndIntrinsics) {
  EXPECT_EQ(One(R"j({"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"InputPath":"x"}}})j"),
            "SCHEMA_VALIDATION_FAILED: The value for the field 'InputPath' must be a valid "
            "JSONPath @ /States/A/InputPath");
  EXPECT_EQ(One(R"j({"StartAt":"A","States":{"A":{"Type":"Pass","End":true,
                    "Parameters":{"a":{"b.$":"States.Nope(1)"}}}}})j"),
            "SCHEMA_VALIDATION_FAILED: The value for the field 'b.$' must be a valid JSONPath or "
            "a valid intrinsic function call @ /States/A/Parameters");
  EXPECT_EQ(Dump(V(R"j({"StartAt":"A","States":{"A":{"Type":"Pass","End":true,
      "ResultPath":null,"OutputPath":"$.a[0]['b c']",
      "Parameters":{"x.$":"States.Format('{} \\' \\{', $.a, States.ArrayLength($$.Map))",
                    "y.$":"$.items[?(@.price > 1)]","z.$":"$var.field"}}}})j")),
            "");
}

TEST(Validate, WaitFailMapExclusions) {
  EXPECT_EQ(One(R"j({"StartAt":"W","States":{"W":{"Type":"Wait","Seconds":1,"SecondsPath":"$.s",
                    "End":true}}})j"),
            "SCHEMA_VALIDATION_FAILED: These fields are mutually exclusive: [Seconds, "
            "SecondsPath, Timestamp, TimestampPath] @ /States/W");
  EXPECT_EQ(One(R"j({"StartAt":"W","States":{"W":{"Type":"Wait","Timestamp":"2016-02-30T00:00:00Z",
                    "End":true}}})j"),
            "SCHEMA_VALIDATION_FAILED: String does not match RFC3339 timestamp @ "
            "/States/W/Timestamp");
  EXPECT_EQ(
      One(R"j({"StartAt":"F","States":{"F":{"Type":"Fail","Error":"E","ErrorPath":"$.e"}}})j"),
      "SCHEMA_VALIDATION_FAILED: These fields are mutually exclusive: [Error, ErrorPath] @ "
      "/States/F");
  EXPECT_EQ(One(R"j({"StartAt":"M","States":{"M":{"Type":"Map","MaxConcurrency":1,
      "MaxConcurrencyPath":"$.m","End":true,
      "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}}})j"),
            "SCHEMA_VALIDATION_FAILED: These fields are mutually exclusive: [MaxConcurrency, "
            "MaxConcurrencyPath] @ /States/M");
}

TEST(Validate, NestedMachinesHaveNestedLocations) {
  std::vector<Diagnostic> d = V(R"j({"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,
      "Branches":[{"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},
                  {"StartAt":"B","States":{"B":{"Type":"Pass","Next":"C"}}}]},
      "M":{"Type":"Map","End":true,"Iterator":{"StartAt":"X","States":{"X":{"Type":"Pass"}}}}}})j");
  EXPECT_EQ(Dump(d),
            "ERROR MISSING_TRANSITION_TARGET: Missing 'Next' target: C @ "
            "/States/P/Branches[1]/States/B/Next\n"
            "ERROR MISSING_END_STATE: Workflow has no terminal state @ \n"
            "ERROR SCHEMA_VALIDATION_FAILED: One of these fields is required: [Next, End] @ "
            "/States/M/Iterator/States/X\n"
            "ERROR MISSING_END_STATE: Workflow has no terminal state @ \n"
            "ERROR MISSING_TRANSITION_TARGET: State \"M\" is not reachable. @ /States/M\n");
}

TEST(Validate, QueryLanguage) {
  EXPECT_EQ(One(R"j({"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Pass",
                    "End":true,"InputPath":"$"}}})j"),
            "SCHEMA_VALIDATION_FAILED: Field 'InputPath' is not supported @ /States/A");
  EXPECT_EQ(One(R"j({"StartAt":"A","States":{"A":{"Type":"Pass","End":true,"Output":1}}})j"),
            "SCHEMA_VALIDATION_FAILED: Field 'Output' is not supported @ /States/A");
  EXPECT_EQ(Dump(V(R"j({"QueryLanguage":"JSONata","StartAt":"A","States":{"A":{"Type":"Task",
      "Resource":"arn:aws:states:::lambda:invoke","Arguments":{"x":"{% $states.input %}"},
      "Output":"{% $states.result %}","Assign":{"v":1},"TimeoutSeconds":"{% 3 %}","Next":"C"},
      "C":{"Type":"Choice","Choices":[{"Condition":"{% $v = 1 %}","Next":"W"}],"Default":"W"},
      "W":{"Type":"Wait","Timestamp":"{% $now() %}","End":true}}})j")),
            "");
}

TEST(Validate, ExpressRestrictions) {
  EXPECT_EQ(One(R"j({"StartAt":"T","States":{"T":{"Type":"Task",
                    "Resource":"arn:aws:states:::lambda:invoke.waitForTaskToken","End":true}}})j",
                MachineType::Express),
            "SCHEMA_VALIDATION_FAILED: Express state machine does not support "
            "'.waitForTaskToken' service integration  @ /States/T/Resource");
  EXPECT_EQ(One(R"j({"StartAt":"T","States":{"T":{"Type":"Task",
                    "Resource":"arn:aws:states:us-east-1:1:activity:a","End":true}}})j",
                MachineType::Express),
            "SCHEMA_VALIDATION_FAILED: Express state machine does not support Activity ARN @ "
            "/States/T/Resource");
  EXPECT_EQ(Dump(V(R"j({"StartAt":"T","States":{"T":{"Type":"Task",
                    "Resource":"arn:aws:states:::states:startExecution.sync:2","End":true}}})j")),
            "");
}

TEST(Validate, WarningsAreNotInTheCreateMessage) {
  std::vector<Diagnostic> d = {
      {"SCHEMA_VALIDATION_FAILED", "m", "/States/A", "ERROR"},
      {"NO_DOLLAR", "w", "/States/A", "WARNING"},
      {"MISSING_END_STATE", "Workflow has no terminal state", "", "ERROR"}};
  EXPECT_EQ(InvalidDefinitionMessage(d),
            "Invalid State Machine Definition: 'SCHEMA_VALIDATION_FAILED: m at /States/A, "
            "MISSING_END_STATE: Workflow has no terminal state at null'");
  EXPECT_TRUE(HasErrors(d));
  EXPECT_FALSE(HasErrors({d[1]}));
}

// A 1,000-state chain with Choice, Retry and templates: the validator is linear, so this is
// cheap; no timing is asserted here.
// State names are unique in the whole machine (ASL); found by tests/cli_bad_input_test.sh,
// where a repeat in another branch ran both states. The code and wording are ours: no recorded
// AWS case has a repeated name.
TEST(Validate, DuplicateStateNames) {
  EXPECT_EQ(One(R"j({"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
      {"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},
      {"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}}]}}})j"),
            "DUPLICATE_STATE_NAME: Duplicate State name: A @ /States/P/Branches[1]/States/A");
  EXPECT_EQ(One(R"j({"StartAt":"M","States":{"M":{"Type":"Map","Next":"X","ItemProcessor":{
      "StartAt":"X","States":{"X":{"Type":"Pass","End":true}}}},"X":{"Type":"Succeed"}}})j"),
            "DUPLICATE_STATE_NAME: Duplicate State name: X @ /States/X");
  EXPECT_EQ(Dump(V(R"j({"StartAt":"P","States":{"P":{"Type":"Parallel","End":true,"Branches":[
      {"StartAt":"A","States":{"A":{"Type":"Pass","End":true}}},
      {"StartAt":"B","States":{"B":{"Type":"Pass","End":true}}}]}}})j")),
            "");
}

// Found by fuzz/definition_fuzz.cc: the validator accepted what the template compiler refuses.
TEST(Validate, TemplateFieldGivenTwice) {
  EXPECT_EQ(One(R"j({"StartAt":"A","States":{"A":{"Type":"Pass","End":true,
      "Parameters":{"n":{"a":1,"a.$":"$.x"}}}}})j"),
            "SCHEMA_VALIDATION_FAILED: The field 'a' is given more than once (as 'a' and 'a.$') "
            "@ /States/A/Parameters");
  // "a.$.$" gives the field "a.$", which "a.$" (the field "a") does not clash with.
  EXPECT_EQ(Dump(V(R"j({"StartAt":"A","States":{"A":{"Type":"Pass","End":true,
      "Parameters":{"a.$":"$.x","a.$.$":"$.y"}}}})j")),
            "");
}

TEST(Validate, LargeDefinition) {
  std::string text = R"j({"StartAt":"S0","States":{)j";
  constexpr int kStates = 1000;
  for (int k = 0; k < kStates; ++k) {
    std::string name = "S" + std::to_string(k);
    std::string next = k + 1 < kStates ? "\"Next\":\"S" + std::to_string(k + 1) + "\""
                                       : std::string("\"End\":true");
    if (k > 0) text += ",";
    if (k % 3 == 1 && k + 1 < kStates) {
      text += "\"" + name +
              R"j(":{"Type":"Choice","Choices":[{"Variable":"$.x","NumericEquals":)j" +
              std::to_string(k) + R"j(,"Next":"S)j" + std::to_string(k + 1) +
              R"j("}],"Default":"S)j" + std::to_string(k + 1) + "\"}";
    } else {
      text += "\"" + name +
              R"j(":{"Type":"Task","Resource":"arn:aws:states:::lambda:invoke",)j"
              R"j("Parameters":{"a.$":"$.a","b.$":"States.Format('{}', $.b)"},)j"
              R"j("Retry":[{"ErrorEquals":["States.ALL"],"MaxAttempts":2}],)j" +
              next + "}";
    }
  }
  text += "}}";
  EXPECT_EQ(Dump(V(text)), "");
}

// The validator's shortcut for simple paths must agree with the path compiler on every text:
// what it accepts compiles as a reference path, and the answers of IsValidPath and
// IsValidReferencePath are the compiler's.
TEST(Validate, SimplePathShortcutAgreesWithTheCompiler) {
  using internal::IsSimplePath;
  using internal::IsValidPath;
  using internal::IsValidReferencePath;
  const std::vector<std::string> starts = {"",   "$",  "$$",  "$x", "$_a1", "$\xc3\xa9",
                                           "$1", "$-", "$$$", "x",  "$ ",   "$.$"};
  const std::vector<std::string> parts = {
      ".",        "..",     "a",     "A9", "_", "-", "\xc3\xa9", "\xe6\x97\xa5",
      "*",        "[0]",    "['a']", "[",  "]", "(", ")",        " ",
      "length()", "length", "\t",    "?",  "@", "0", "$",        "[?(@.a > 1)]",
      "[1:2]",    "\"",     "'",     ",",  "\\"};
  std::vector<std::string> texts = {"$.x",
                                    "$.a.b",
                                    "$$.Execution.Id",
                                    "$var.x",
                                    "$.",
                                    "$..x",
                                    "$.a.length()",
                                    "$.a b",
                                    "$.a[0]",
                                    "$['a']",
                                    "$.a..b",
                                    "$.a.",
                                    "$..",
                                    "$.a.*",
                                    "$.*",
                                    "$$.Map.Item.Value",
                                    "$.\xff\xfe",
                                    "$x.",
                                    "$x..y",
                                    "$.a-b.c_d.E9",
                                    "$.a.length",
                                    "$.length()",
                                    "$.a\x01",
                                    "$.a/b",
                                    "$.a:b"};
  for (const std::string& start : starts) {
    texts.push_back(start);
    for (const std::string& a : parts) {
      texts.push_back(start + a);
      for (const std::string& b : parts) {
        texts.push_back(start + a + b);
        for (const std::string& c : parts) texts.push_back(start + a + b + c);
      }
    }
  }
  size_t simple = 0;
  for (const std::string& text : texts) {
    Result<json::Path> path = json::Path::Compile(text);
    bool reference = path.ok() && path->is_reference();
    if (IsSimplePath(text)) {
      ++simple;
      EXPECT_TRUE(reference) << "'" << text << "' is simple but not a reference path";
    }
    EXPECT_EQ(IsValidPath(text), path.ok()) << text;
    EXPECT_EQ(IsValidReferencePath(text), reference) << text;
  }
  EXPECT_GT(simple, 1000u);  // the shortcut is taken, not only the compiler
  for (std::string_view text : {"$", "$$", "$.x", "$.a.b", "$$.Execution.Id", "$var.x", "$x",
                                "$.\xc3\xa9.\xe6\x97\xa5", "$.a-b.c_d"}) {
    EXPECT_TRUE(IsSimplePath(text)) << text;
  }
  for (std::string_view text : {"", "x", "$.", "$..x", "$.a.length()", "$.a b", "$.a[0]", "$['a']",
                                "$.*", "$1", "$x.", "$.a.", "$$x"}) {
    EXPECT_FALSE(IsSimplePath(text)) << text;
  }
}

TEST(Validate, NameTableGrowsAndKeepsTheFirstValue) {
  internal::NameTable table(0);
  std::vector<std::string> names;
  for (int k = 0; k < 5000; ++k) names.push_back("S" + std::to_string(k));
  for (size_t k = 0; k < names.size(); ++k) {
    EXPECT_EQ(table.Insert(names[k], static_cast<uint32_t>(k)), internal::NameTable::kAbsent);
  }
  for (size_t k = 0; k < names.size(); ++k) {
    EXPECT_EQ(table.Find(names[k]), k);
    EXPECT_EQ(table.Insert(names[k], 7), k);  // already there: unchanged
  }
  EXPECT_EQ(table.Find("S5000"), internal::NameTable::kAbsent);
  EXPECT_EQ(table.Find(""), internal::NameTable::kAbsent);
  EXPECT_EQ(table.Insert("", 9), internal::NameTable::kAbsent);
  EXPECT_EQ(table.Find(""), 9u);
}

// ---- The recorded AWS cases ----

std::filesystem::path SharedDir() {
  if (const char* env = std::getenv("STEPFN_SHARED")) return env;
  // src/asl/validate_test.cc -> <root>/../shared
  return std::filesystem::path(__FILE__).parent_path().parent_path().parent_path() / ".." /
         "shared";
}

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::string StringAt(const json::Value& v, std::string_view key) {
  const json::Value* child = v.find(key);
  return child != nullptr && child->is_string() ? child->as_string() : std::string();
}

// What an opaque token in a recorded definition stood for: a value of the right shape.
std::string Substitute(std::string text, const json::Value* substitutions) {
  if (substitutions == nullptr || !substitutions->is_object()) return text;
  for (const auto& [token, info] : substitutions->members()) {
    std::string label = StringAt(info, "label") + " " + StringAt(info, "kind");
    std::string value = "opaque";
    if (label.find("activity") != std::string::npos) {
      value = "arn:aws:states:us-east-1:111111111111:activity:act";
    } else if (label.find("lambda_function_arn") != std::string::npos) {
      value = "arn:aws:lambda:us-east-1:111111111111:function:fn";
    } else if (label.find("stateMachineArn") != std::string::npos) {
      value = "arn:aws:states:us-east-1:111111111111:stateMachine:sm";
    } else if (label.find("TopicArn") != std::string::npos) {
      value = "arn:aws:sns:us-east-1:111111111111:topic";
    }
    for (size_t at = text.find(token); at != std::string::npos; at = text.find(token, at)) {
      text.replace(at, token.size(), value);
      at += value.size();
    }
  }
  return text;
}

MachineType TypeOf(const json::Value& c) {
  std::string type = StringAt(c, "state_machine_type");
  if (const json::Value* request = c.find("request")) type += StringAt(*request, "type");
  return type.find("EXPRESS") != std::string::npos ? MachineType::Express : MachineType::Standard;
}

std::string DefinitionText(const json::Value& c) {
  const json::Value* raw = c.find("definition_raw");
  std::string text;
  if (raw != nullptr && raw->is_string()) {
    text = raw->as_string();
  } else if (const json::Value* def = c.find("definition")) {
    text = json::Write(*def);
  }
  return Substitute(std::move(text), c.find("substitutions"));
}

std::vector<std::filesystem::path> CaseFiles(const std::string& folder) {
  std::vector<std::filesystem::path> files;
  std::filesystem::path dir = SharedDir() / "conformance" / "aws-recorded" / folder;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

TEST(ValidateConformance, RecordedValidationCases) {
  std::vector<std::filesystem::path> files = CaseFiles("validation");
  if (files.empty()) GTEST_SKIP() << "no conformance data under " << SharedDir();
  int considered = 0;
  int matched = 0;
  for (const auto& file : files) {
    Result<json::Value> parsed = json::Parse(ReadFile(file));
    ASSERT_TRUE(parsed.ok()) << file;
    const json::Value& c = *parsed;
    const json::Value* source = c.find("source");
    const json::Value* expected = c.find("expected");
    if (source == nullptr || expected == nullptr) continue;
    std::string api = StringAt(*source, "api");
    std::string text = DefinitionText(c);
    if (api == "ValidateStateMachineDefinition") {
      ++considered;
      std::vector<Diagnostic> got = ValidateText(text, TypeOf(c));
      std::vector<Diagnostic> want;
      if (const json::Value* list = expected->find("diagnostics")) {
        for (const json::Value& d : list->items()) {
          want.push_back(Diagnostic{StringAt(d, "code"), StringAt(d, "message"),
                                    StringAt(d, "location"), StringAt(d, "severity")});
        }
      }
      EXPECT_EQ(Dump(got), Dump(want)) << file.filename();
      matched += Dump(got) == Dump(want) ? 1 : 0;
      continue;
    }
    std::string message = StringAt(*expected, "message");
    if (StringAt(*expected, "error_code") != "InvalidDefinition" ||
        message.rfind("Invalid State Machine Definition: ", 0) != 0) {
      continue;  // API-level cases (names, logging, versions, TestState requests)
    }
    if (api == "TestState") {
      // TestState validates one state by wrapping it in a machine.
      Result<json::Value> def = json::Parse(text);
      if (def.ok() && def->find("Type") != nullptr) {
        text = R"j({"StartAt":"StateName","States":{"StateName":)j" + text + "}}";
      }
    } else if (api != "CreateStateMachine") {
      continue;
    }
    ++considered;
    std::vector<Diagnostic> got = ValidateText(text, TypeOf(c));
    EXPECT_EQ(InvalidDefinitionMessage(got), message) << file.filename();
    matched += InvalidDefinitionMessage(got) == message ? 1 : 0;
  }
  std::printf("[ validation ] %d of %d recorded definition-validation cases matched exactly\n",
              matched, considered);
  EXPECT_GT(considered, 0);
}

TEST(ValidateConformance, AcceptedDefinitionsHaveNoErrors) {
  int total = 0;
  int false_errors = 0;
  for (const char* folder : {"pure", "services"}) {
    for (const auto& file : CaseFiles(folder)) {
      Result<json::Value> parsed = json::Parse(ReadFile(file));
      ASSERT_TRUE(parsed.ok()) << file;
      const json::Value& c = *parsed;
      if (c.find("definition") == nullptr) continue;
      ++total;
      std::vector<Diagnostic> got = ValidateText(DefinitionText(c), TypeOf(c));
      if (HasErrors(got)) {
        ++false_errors;
        ADD_FAILURE() << folder << "/" << file.filename().string() << "\n" << Dump(got);
      }
    }
  }
  if (total == 0) GTEST_SKIP() << "no conformance data under " << SharedDir();
  std::printf("[ accepted ] %d definitions, %d with false errors\n", total, false_errors);
}

TEST(ValidateText, StateNameGivenTwiceInOneStatesObject) {
  std::vector<Diagnostic> d = ValidateText(
      R"({"StartAt":"A","States":{"A":{"Type":"Pass","End":true},"A":{"Type":"Succeed"},
          "P":{"Type":"Parallel","End":true,"Branches":[{"StartAt":"B","States":{
             "B":{"Type":"Pass","End":true},"B":{"Type":"Pass","End":true}}}]}}})",
      MachineType::Standard);
  std::vector<std::string> found;
  for (const auto& x : d) {
    if (x.code == "DUPLICATE_STATE_NAME") found.push_back(x.message + " @ " + x.location);
  }
  std::sort(found.begin(), found.end());
  EXPECT_EQ(found,
            (std::vector<std::string>{"Duplicate State name: A @ /States/A",
                                      "Duplicate State name: B @ /States/P/Branches[0]/States/B"}));
  // Repeated keys elsewhere keep the last value, as before.
  EXPECT_FALSE(HasErrors(ValidateText(
      R"({"Comment":"x","Comment":"y","StartAt":"A","States":{"A":{"Type":"Pass","End":true}}})",
      MachineType::Standard)));
}

}  // namespace
}  // namespace stepfn::asl
