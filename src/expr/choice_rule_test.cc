#include "expr/choice_rule.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "json/parse.h"
#include "json/write.h"

namespace stepfn::expr {
namespace {

json::Value J(std::string_view text) {
  Result<json::Value> v = json::Parse(text);
  EXPECT_TRUE(v.ok()) << text << ": " << v.status().ToString();
  return v.ok() ? *v : json::Value();
}

ChoiceRule MustCompile(std::string_view rule_text,
                       ChoiceRule::Level level = ChoiceRule::Level::Nested) {
  Result<ChoiceRule> rule = ChoiceRule::Compile(J(rule_text), level, "/States/C/Choices/0");
  EXPECT_TRUE(rule.ok()) << rule_text << ": " << rule.status().ToString();
  STEPFN_CHECK(rule.ok());
  return *std::move(rule);
}

std::string CompileError(std::string_view rule_text,
                         ChoiceRule::Level level = ChoiceRule::Level::Nested) {
  Result<ChoiceRule> rule = ChoiceRule::Compile(J(rule_text), level, "/States/C/Choices/0");
  EXPECT_FALSE(rule.ok()) << rule_text;
  return rule.ok() ? "" : rule.status().message();
}

// Evaluates `rule_text` on input `input_text`; "true", "false" or "error:<name>:<cause>".
std::string Eval(std::string_view rule_text, std::string_view input_text) {
  ChoiceRule rule = MustCompile(rule_text);
  json::Value input = J(input_text);
  json::Value context = J(R"({"Execution":{"Name":"x"}})");
  Scope scope;
  scope.input = &input;
  scope.context = &context;
  Fallible<bool> result = rule.Evaluate(scope);
  if (!result.ok()) {
    return "error:" + result.error.error + ":" + result.error.cause;
  }
  return result.value ? "true" : "false";
}

TEST(ChoiceRuleCompile, NextOnlyAtTopLevel) {
  ChoiceRule top = MustCompile(R"({"Variable":"$.a","StringEquals":"x","Next":"S"})",
                               ChoiceRule::Level::TopLevel);
  EXPECT_EQ(top.next(), "S");
  EXPECT_EQ(top.op(), ChoiceOp::StringEquals);
  EXPECT_EQ(CompileError(R"({"Variable":"$.a","StringEquals":"x"})", ChoiceRule::Level::TopLevel),
            "SCHEMA_VALIDATION_FAILED: The field 'Next' is required but was missing at "
            "/States/C/Choices/0");
  EXPECT_EQ(CompileError(R"({"Variable":"$.a","StringEquals":"x","Next":"S"})"),
            "SCHEMA_VALIDATION_FAILED: The field 'Next' is not supported by Step Functions at "
            "/States/C/Choices/0");
  ChoiceRule nested = MustCompile(R"({"Variable":"$.a","StringEquals":"x","Comment":"c"})");
  EXPECT_EQ(nested.next(), "");
}

TEST(ChoiceRuleCompile, Errors) {
  EXPECT_EQ(CompileError(R"({"Variable":"$.a","StringEqualz":"x"})"),
            "SCHEMA_VALIDATION_FAILED: The field 'StringEqualz' is not supported by Step "
            "Functions at /States/C/Choices/0");
  EXPECT_NE(CompileError(R"({"Variable":"$.a","StringEquals":"x","NumericEquals":1})")
                .find("only one comparison operator"),
            std::string::npos);
  EXPECT_NE(CompileError(R"({"Variable":"$.a"})").find("must have one comparison operator"),
            std::string::npos);
  EXPECT_EQ(CompileError(R"({"StringEquals":"x"})"),
            "SCHEMA_VALIDATION_FAILED: The field 'Variable' is required but was missing at "
            "/States/C/Choices/0");
  EXPECT_EQ(CompileError(R"({"Variable":"$.a","StringEqualsPath":"not a path"})"),
            "SCHEMA_VALIDATION_FAILED: The value for the field 'StringEqualsPath' must be a "
            "valid JSONPath at /States/C/Choices/0");
  EXPECT_EQ(CompileError(R"({"Variable":"a.b","IsNull":true})"),
            "SCHEMA_VALIDATION_FAILED: The value for the field 'Variable' must be a valid "
            "JSONPath at /States/C/Choices/0");
  EXPECT_EQ(CompileError(R"({"Variable":"$.a","NumericEquals":"1"})"),
            "SCHEMA_VALIDATION_FAILED: The value for the field 'NumericEquals' must be a number "
            "at /States/C/Choices/0");
  EXPECT_NE(CompileError(R"({"Variable":"$.a","StringEquals":1})").find("must be a string"),
            std::string::npos);
  EXPECT_NE(CompileError(R"({"Variable":"$.a","BooleanEquals":"true"})").find("a boolean"),
            std::string::npos);
  EXPECT_NE(CompileError(R"({"Variable":"$.a","IsNull":"true"})").find("a boolean"),
            std::string::npos);
  EXPECT_EQ(CompileError(R"({"Variable":"$.a","TimestampEquals":"2016-12-05T21:29:29"})"),
            "SCHEMA_VALIDATION_FAILED: String does not match RFC3339 timestamp at "
            "/States/C/Choices/0/TimestampEquals");
  EXPECT_EQ(CompileError(R"({"And":[]})"),
            "SCHEMA_VALIDATION_FAILED: Value cannot be empty at /States/C/Choices/0/And");
  EXPECT_NE(CompileError(R"({"Or":{}})").find("must be an array"), std::string::npos);
  EXPECT_NE(CompileError(R"({"Not":[]})").find("must be an object"), std::string::npos);
  EXPECT_NE(CompileError(R"({"Variable":"$.a","Not":{"Variable":"$.a","IsNull":true}})")
                .find("'Variable' is not supported"),
            std::string::npos);
  // Nested errors carry the nested location.
  EXPECT_EQ(CompileError(R"({"And":[{"Variable":"$.a","IsNull":true},{"Variable":"$.b"}]})"),
            "SCHEMA_VALIDATION_FAILED: A choice rule must have one comparison operator (with "
            "'Variable') or And/Or/Not at /States/C/Choices/0/And/1");
  EXPECT_NE(CompileError(R"({"Not":{"Variable":"$.a","Foo":1}})").find("/Choices/0/Not"),
            std::string::npos);
  EXPECT_NE(CompileError("[]").find("must be an object"), std::string::npos);
}

TEST(ChoiceRuleEval, TypeMismatchIsFalse) {
  EXPECT_EQ(Eval(R"({"Variable":"$.v","NumericEquals":1})", R"({"v":"1"})"), "false");
  EXPECT_EQ(Eval(R"({"Variable":"$.v","StringEquals":"1"})", R"({"v":1})"), "false");
  EXPECT_EQ(Eval(R"({"Variable":"$.v","BooleanEquals":true})", R"({"v":"true"})"), "false");
  EXPECT_EQ(
      Eval(R"({"Variable":"$.v","TimestampEquals":"2012-10-09T19:00:55Z"})", R"({"v":1349809255})"),
      "false");
  EXPECT_EQ(Eval(R"({"Variable":"$.v","BooleanEqualsPath":"$.w"})", R"({"v":null,"w":true})"),
            "false");
  EXPECT_EQ(Eval(R"({"Variable":"$.v","NumericLessThanPath":"$.w"})", R"({"v":1,"w":"2"})"),
            "false");
  EXPECT_EQ(Eval(R"({"Variable":"$.v","StringMatches":"*"})", R"({"v":[]})"), "false");
}

TEST(ChoiceRuleEval, MissingPathIsRuntimeError) {
  EXPECT_EQ(Eval(R"({"Variable":"$.nope","NumericEquals":1})", "{}"),
            "error:States.Runtime:Invalid path '$.nope': The choice state's condition path "
            "references an invalid value.");
  EXPECT_EQ(Eval(R"({"Variable":"$.v","NumericEqualsPath":"$.nope"})", R"({"v":1})"),
            "error:States.Runtime:Invalid path '$.nope': The choice state's condition path "
            "references an invalid value.");
  EXPECT_EQ(Eval(R"({"Variable":"$.nope","IsNull":false})", "{}").substr(0, 20),
            "error:States.Runtime");
  EXPECT_EQ(Eval(R"({"Variable":"$.nope","IsPresent":true})", "{}"), "false");
  EXPECT_EQ(Eval(R"({"Variable":"$.nope","IsPresent":false})", "{}"), "true");
  EXPECT_EQ(Eval(R"({"Variable":"$.v","IsPresent":true})", R"({"v":null})"), "true");
}

TEST(ChoiceRuleEval, Numbers) {
  EXPECT_EQ(Eval(R"({"Variable":"$.v","NumericEquals":1})", R"({"v":1.0})"), "true");
  EXPECT_EQ(Eval(R"({"Variable":"$.v","NumericEquals":1.0})", R"({"v":1})"), "true");
  EXPECT_EQ(Eval(R"({"Variable":"$.v","NumericLessThan":1.5})", R"({"v":1})"), "true");
  EXPECT_EQ(Eval(R"({"Variable":"$.v","NumericGreaterThan":-1.5})", R"({"v":-1})"), "true");
  EXPECT_EQ(Eval(R"({"Variable":"$.v","NumericLessThan":-1.5})", R"({"v":-2})"), "true");
  EXPECT_EQ(Eval(R"({"Variable":"$.v","NumericLessThanEquals":0})", R"({"v":-0.0})"), "true");
  EXPECT_EQ(Eval(R"({"Variable":"$.v","NumericGreaterThanEquals":20})", R"({"v":22})"), "true");
  // Exact beyond 2^53: 9007199254740993 is not the double 9007199254740992.0.
  EXPECT_EQ(
      Eval(R"({"Variable":"$.v","NumericEquals":9007199254740992.0})", R"({"v":9007199254740993})"),
      "false");
  EXPECT_EQ(Eval(R"({"Variable":"$.v","NumericGreaterThan":9007199254740992.0})",
                 R"({"v":9007199254740993})"),
            "true");
  EXPECT_EQ(Eval(R"({"Variable":"$.v","NumericLessThan":1e300})", R"({"v":9223372036854775807})"),
            "true");
  EXPECT_EQ(Eval(R"({"Variable":"$.v","NumericEqualsPath":"$.w"})", R"({"v":3,"w":3.0})"), "true");
  EXPECT_EQ(Eval(R"({"Variable":"$.v","NumericGreaterThanPath":"$.w"})", R"({"v":3.5,"w":3})"),
            "true");
}

TEST(ChoiceRuleEval, Strings) {
  EXPECT_EQ(Eval(R"({"Variable":"$.v","StringLessThan":"b"})", R"({"v":"a"})"), "true");
  EXPECT_EQ(Eval(R"({"Variable":"$.v","StringLessThan":"a"})", R"({"v":"a"})"), "false");
  EXPECT_EQ(Eval(R"({"Variable":"$.v","StringLessThanEquals":"a"})", R"({"v":"a"})"), "true");
  EXPECT_EQ(Eval(R"({"Variable":"$.v","StringLessThan":"ab"})", R"({"v":"a"})"), "true");
  EXPECT_EQ(Eval(R"({"Variable":"$.v","StringLessThan":"a"})", R"({"v":"B"})"), "true");
  EXPECT_EQ(Eval(R"({"Variable":"$.v","StringGreaterThanEquals":""})", R"({"v":""})"), "true");
  // UTF-16 order: U+FF21 (FULLWIDTH A) sorts after U+1F600 in Java, before it in code points.
  EXPECT_EQ(Eval(R"({"Variable":"$.v","StringLessThan":"\uFF21"})", R"({"v":"\uD83D\uDE00"})"),
            "true");
  EXPECT_EQ(Eval(R"({"Variable":"$.v","StringLessThan":"\u00e9"})", R"({"v":"e"})"), "true");
  EXPECT_EQ(Eval(R"({"Variable":"$.v","StringEqualsPath":"$.w"})", R"({"v":"x","w":"x"})"), "true");
}

TEST(ChoiceRuleEval, StringMatches) {
  const auto m = [](std::string_view pattern_json, std::string_view value_json) {
    return Eval(
        std::string(R"({"Variable":"$.v","StringMatches":)") + std::string(pattern_json) + "}",
        std::string(R"({"v":)") + std::string(value_json) + "}");
  };
  EXPECT_EQ(m(R"("log-*.txt")", R"("log-2024.txt")"), "true");
  EXPECT_EQ(m(R"("log-*.txt")", R"("log-.txt")"), "true");
  EXPECT_EQ(m(R"("log-*.txt")", R"("log-2024.txt.gz")"), "false");
  EXPECT_EQ(m(R"("*")", R"("")"), "true");
  EXPECT_EQ(m(R"("")", R"("")"), "true");
  EXPECT_EQ(m(R"("")", R"("a")"), "false");
  EXPECT_EQ(m(R"("a*b*c")", R"("aXbYbZc")"), "true");
  EXPECT_EQ(m(R"("a*b*c")", R"("aXbYcZ")"), "false");
  EXPECT_EQ(m(R"("**a")", R"("bba")"), "true");
  EXPECT_EQ(m(R"("a\\*")", R"("a*")"), "true");  // \* is a literal star
  EXPECT_EQ(m(R"("a\\*")", R"("ab")"), "false");
  EXPECT_EQ(m(R"("a\\\\*")", R"("a\\bc")"), "true");  // \\ is a literal backslash, then *
  EXPECT_EQ(m(R"("a\\\\*")", R"("abc")"), "false");
  EXPECT_EQ(m(R"("a\\b")", R"("a\\b")"), "true");  // lone backslash is literal
  EXPECT_EQ(m(R"("ABC")", R"("abc")"), "false");
}

TEST(ChoiceRuleEval, BooleansAndTimestamps) {
  EXPECT_EQ(Eval(R"({"Variable":"$.v","BooleanEquals":false})", R"({"v":false})"), "true");
  EXPECT_EQ(Eval(R"({"Variable":"$.v","BooleanEqualsPath":"$.w"})", R"({"v":true,"w":true})"),
            "true");
  EXPECT_EQ(Eval(R"({"Variable":"$.v","TimestampEquals":"2016-03-14T01:59:00Z"})",
                 R"({"v":"2016-03-14T02:59:00+01:00"})"),
            "true");
  EXPECT_EQ(Eval(R"({"Variable":"$.v","TimestampLessThan":"2016-03-14T01:59:00.000000001Z"})",
                 R"({"v":"2016-03-14T01:59:00Z"})"),
            "true");
  EXPECT_EQ(Eval(R"({"Variable":"$.v","TimestampLessThanEqualsPath":"$.w"})",
                 R"({"v":"2016-03-14T01:59:00Z","w":"not a time"})"),
            "false");
  EXPECT_EQ(Eval(R"({"Variable":"$.v","TimestampGreaterThanPath":"$.w"})",
                 R"({"v":"2016-03-14T01:59:01Z","w":"2016-03-14T01:59:00Z"})"),
            "true");
}

TEST(ChoiceRuleEval, TypeTests) {
  const char* input =
      R"({"n":null,"i":1,"d":1.5,"s":"x","b":false,"t":"2016-03-14T01:59:00Z","o":{},"a":[]})";
  EXPECT_EQ(Eval(R"({"Variable":"$.n","IsNull":true})", input), "true");
  EXPECT_EQ(Eval(R"({"Variable":"$.i","IsNull":false})", input), "true");
  EXPECT_EQ(Eval(R"({"Variable":"$.i","IsNumeric":true})", input), "true");
  EXPECT_EQ(Eval(R"({"Variable":"$.d","IsNumeric":true})", input), "true");
  EXPECT_EQ(Eval(R"({"Variable":"$.s","IsNumeric":false})", input), "true");
  EXPECT_EQ(Eval(R"({"Variable":"$.s","IsString":true})", input), "true");
  EXPECT_EQ(Eval(R"({"Variable":"$.b","IsBoolean":true})", input), "true");
  EXPECT_EQ(Eval(R"({"Variable":"$.o","IsBoolean":false})", input), "true");
  EXPECT_EQ(Eval(R"({"Variable":"$.t","IsTimestamp":true})", input), "true");
  EXPECT_EQ(Eval(R"({"Variable":"$.s","IsTimestamp":true})", input), "false");
  EXPECT_EQ(Eval(R"({"Variable":"$.a","IsString":true})", input), "false");
}

TEST(ChoiceRuleEval, Composites) {
  const char* input = R"({"type":"Private","value":22})";
  EXPECT_EQ(Eval(R"({"Not":{"Variable":"$.type","StringEquals":"Private"}})", input), "false");
  EXPECT_EQ(Eval(R"({"And":[{"Variable":"$.value","NumericGreaterThanEquals":20},
                            {"Variable":"$.value","NumericLessThan":30}]})",
                 input),
            "true");
  EXPECT_EQ(Eval(R"({"Or":[{"Variable":"$.value","NumericEquals":0},
                           {"Variable":"$.type","StringEquals":"Private"}]})",
                 input),
            "true");
  // Short-circuit: the missing path in the second child is never read.
  EXPECT_EQ(Eval(R"({"And":[{"Variable":"$.value","NumericEquals":0},
                            {"Variable":"$.nope","NumericEquals":0}]})",
                 input),
            "false");
  EXPECT_EQ(Eval(R"({"Or":[{"Variable":"$.value","NumericEquals":22},
                           {"Variable":"$.nope","NumericEquals":0}]})",
                 input),
            "true");
  EXPECT_EQ(Eval(R"({"Or":[{"Variable":"$.value","NumericEquals":0},
                           {"Variable":"$.nope","NumericEquals":0}]})",
                 input)
                .substr(0, 20),
            "error:States.Runtime");
  EXPECT_EQ(Eval(R"({"Not":{"Variable":"$.nope","NumericEquals":0}})", input).substr(0, 20),
            "error:States.Runtime");
}

TEST(ChoiceRuleEval, ContextAndWholeInput) {
  EXPECT_EQ(Eval(R"({"Variable":"$$.Execution.Name","StringEquals":"x"})", "{}"), "true");
  EXPECT_EQ(Eval(R"({"Variable":"$","NumericEquals":3})", "3"), "true");
  EXPECT_EQ(Eval(R"({"Variable":"$.a[1]","StringEquals":"y"})", R"({"a":["x","y"]})"), "true");
}

// ---- The AWS-recorded cases ----

std::filesystem::path SharedDir() {
  if (const char* env = std::getenv("STEPFN_SHARED")) {
    return env;
  }
  return std::filesystem::path(__FILE__).parent_path() / "../../../shared";
}

bool HasFeature(const json::Value& features, std::string_view needle, bool prefix) {
  for (const json::Value& f : features.items()) {
    const std::string& s = f.as_string();
    if (prefix ? s.rfind(needle, 0) == 0 : s.find(needle) != std::string::npos) {
      return true;
    }
  }
  return false;
}

// For each recorded case whose definition starts with a Choice state, evaluates that state's
// rules on the case input and checks the outcome against AWS's: the state taken (entered_states,
// or the Result of the Pass state it leads to), or the error.
TEST(ChoiceConformance, RecordedCases) {
  const std::filesystem::path dir = SharedDir() / "conformance/aws-recorded/pure";
  if (!std::filesystem::exists(dir)) {
    GTEST_SKIP() << "no conformance data at " << dir;
  }
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  int considered = 0;
  int agree = 0;
  int not_at_start = 0;
  std::vector<std::string> disagreements;
  for (const std::filesystem::path& file : files) {
    std::ifstream in(file);
    std::stringstream buffer;
    buffer << in.rdbuf();
    Result<json::Value> parsed = json::Parse(buffer.str());
    ASSERT_TRUE(parsed.ok()) << file;
    const json::Value& c = *parsed;
    const json::Value* features = c.find("features");
    if (features == nullptr || !HasFeature(*features, "Choice:", true)) {
      continue;
    }
    if (HasFeature(*features, "JSONata", false) || HasFeature(*features, "Assign", false) ||
        HasFeature(*features, "Variables", false) ||
        HasFeature(*features, "StatesVariable", false)) {
      continue;
    }
    ++considered;
    const json::Value& definition = *c.find("definition");
    const json::Value& states = *definition.find("States");
    const std::string& start = definition.find("StartAt")->as_string();
    const json::Value& choice = *states.find(start);
    if (choice.find("Type")->as_string() != "Choice") {
      ++not_at_start;  // the Choice runs inside a Map or after other states: interpreter tests
      continue;
    }
    const std::string name = file.filename().string();
    std::string outcome;  // state name, or "error:<name>"
    const json::Value& choices = *choice.find("Choices");
    json::Value input = *c.find("input");
    // The context object as far as Choice rules read it: $$.Execution.Input.
    json::Value context =
        json::Value::Object({{"Execution", json::Value::Object({{"Input", input}})}});
    Scope scope;
    scope.input = &input;
    scope.context = &context;
    for (size_t index = 0; index < choices.size() && outcome.empty(); ++index) {
      Result<ChoiceRule> rule =
          ChoiceRule::Compile(choices.items()[index], ChoiceRule::Level::TopLevel,
                              "/States/" + start + "/Choices/" + std::to_string(index));
      if (!rule.ok()) {
        outcome = "compile:" + rule.status().message();
        break;
      }
      Fallible<bool> taken = rule->Evaluate(scope);
      if (!taken.ok()) {
        outcome = "error:" + taken.error.error;
      } else if (taken.value) {
        outcome = rule->next();
      }
    }
    if (outcome.empty()) {
      const json::Value* fallback = choice.find("Default");
      outcome = fallback != nullptr ? fallback->as_string() : "error:States.NoChoiceMatched";
    }
    const json::Value& expected = *c.find("expected");
    const std::string& status = expected.find("status")->as_string();
    bool ok = false;
    const json::Value* target = states.find(outcome);
    if (status == "FAILED") {
      const std::string& error = expected.find("error")->as_string();
      if (outcome.rfind("error:", 0) == 0) {
        ok = outcome == "error:" + error;
      } else if (target != nullptr && target->find("Type")->as_string() == "Fail") {
        const json::Value* fail_error = target->find("Error");
        ok = fail_error != nullptr && fail_error->as_string() == error;
      }
    } else if (status == "SUCCEEDED" && target != nullptr) {
      const json::Value* entered = expected.find("entered_states");
      const json::Value* result = target->find("Result");
      if (entered != nullptr && entered->size() >= 2) {
        ok = entered->items()[1].as_string() == outcome;
      } else if (result != nullptr && expected.find("output") != nullptr) {
        ok = result->Equals(*expected.find("output"));
      } else {
        ok = false;  // cannot tell which branch ran
      }
    }
    if (ok) {
      ++agree;
    } else {
      disagreements.push_back(name + " -> " + outcome + " (input " + json::Write(input) + ")");
    }
  }
  std::printf(
      "Choice conformance: %d of %d evaluable cases agree (%d considered, %d need the "
      "interpreter: Choice not at StartAt)\n",
      agree, considered - not_at_start, considered, not_at_start);
  for (const std::string& d : disagreements) {
    ADD_FAILURE() << d;
  }
}

}  // namespace
}  // namespace stepfn::expr
