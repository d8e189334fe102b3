#include "expr/payload_template.h"

#include <gtest/gtest.h>

#include <string>

#include "json/parse.h"
#include "json/write.h"

namespace stepfn::expr {
namespace {

json::Value J(std::string_view text) {
  Result<json::Value> v = json::Parse(text);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? *v : json::Value();
}

class OneVariable : public VariableLookup {
 public:
  const json::Value* Find(std::string_view name) const override {
    return name == "greeting" ? &value_ : nullptr;
  }

 private:
  json::Value value_ = json::Value::String("hi");
};

std::string CompileError(std::string_view tmpl) {
  Result<PayloadTemplate> t = PayloadTemplate::Compile(J(tmpl));
  return t.ok() ? "OK" : t.status().message();
}

std::string RunTemplate(std::string_view tmpl, std::string_view input) {
  Result<PayloadTemplate> t = PayloadTemplate::Compile(J(tmpl));
  EXPECT_TRUE(t.ok()) << t.status().ToString();
  if (!t.ok()) return "COMPILE ERROR";
  json::Value in = J(input);
  json::Value ctx = J(R"j({"Execution":{"Name":"e1"},"Map":{"Item":{"Index":3}}})j");
  OneVariable vars;
  Scope scope{&in, &ctx, &vars, [] { return uint64_t{7}; }};
  Fallible<json::Value> r = t->Evaluate(scope);
  if (!r.ok()) return "ERROR " + r.error.error + ": " + r.error.cause;
  return json::Write(r.value);
}

TEST(PayloadTemplate, OutputsKnowTheirExactSerialisedSize) {
  for (const char* tmpl :
       {R"({"a.$":"$.x","n":1})", R"({"s.$":"$.s","o":{"k.$":"$.x"},"l":[1,"\n"]})", R"({})",
        R"({"q\"k.$":"$.o"})"}) {
    Result<PayloadTemplate> t = PayloadTemplate::Compile(J(tmpl));
    ASSERT_TRUE(t.ok()) << tmpl;
    json::Value in = J(R"({"x":-12,"s":"a\"b","o":{"z":[true,null,2.5]}})");
    in.SerializedSizeBound();  // known, as after the previous state's payload check
    Scope scope{&in, nullptr, nullptr, [] { return uint64_t{7}; }};
    Fallible<json::Value> r = t->Evaluate(scope);
    ASSERT_TRUE(r.ok()) << tmpl;
    // The same bound as a fresh copy of the output computes for itself.
    EXPECT_EQ(r.value.SerializedSizeBound(), J(json::Write(r.value)).SerializedSizeBound()) << tmpl;
  }
}

TEST(PayloadTemplate, StaticValuesAreCopiedAsTheyAre) {
  EXPECT_EQ(RunTemplate(R"j({"a":1,"b":"$.x","c":[1,{"d":null}]})j", "{}"),
            R"j({"a":1,"b":"$.x","c":[1,{"d":null}]})j");
  EXPECT_EQ(RunTemplate(R"j("just a string")j", "{}"), R"j("just a string")j");
  EXPECT_EQ(RunTemplate("[1,2]", "{}"), "[1,2]");
}

TEST(PayloadTemplate, PathsContextVariablesAndIntrinsics) {
  EXPECT_EQ(RunTemplate(R"j({"a.$":"$.x","n.$":"$$.Execution.Name","v.$":"$greeting",
                    "i.$":"$$.Map.Item.Index","all.$":"$","f.$":"States.Format('{}!', $.x)",
                    "static":true})j",
                        R"j({"x":"val"})j"),
            R"j({"a":"val","n":"e1","v":"hi","i":3,"all":{"x":"val"},"f":"val!","static":true})j");
}

TEST(PayloadTemplate, NestedTemplates) {
  EXPECT_EQ(
      RunTemplate(R"j({"outer":{"inner.$":"$.x","k":1},"list":[{"y.$":"$.x"},2,[{"z.$":"$.x"}]]})j",
                  R"j({"x":5})j"),
      R"j({"outer":{"inner":5,"k":1},"list":[{"y":5},2,[{"z":5}]]})j");
}

TEST(PayloadTemplate, SharesStaticNodes) {
  json::Value tmpl = J(R"j({"big":{"a":[1,2,3]},"x.$":"$.x"})j");
  Result<PayloadTemplate> t = PayloadTemplate::Compile(tmpl);
  ASSERT_TRUE(t.ok());
  json::Value in = J(R"j({"x":{"deep":[1,2]}})j");
  Scope scope;
  scope.input = &in;
  Fallible<json::Value> r = t->Evaluate(scope);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r.value.find("big")->SameNode(*tmpl.find("big")));
  EXPECT_TRUE(r.value.find("x")->SameNode(*in.find("x")));
  // A template with nothing dynamic evaluates to the template itself.
  Result<PayloadTemplate> s =
      PayloadTemplate::Compile(tmpl.find("big")->Equals(J("{}")) ? tmpl : *tmpl.find("big"));
  ASSERT_TRUE(s.ok());
  Fallible<json::Value> r2 = s->Evaluate(scope);
  ASSERT_TRUE(r2.ok());
  EXPECT_TRUE(r2.value.SameNode(*tmpl.find("big")));
}

TEST(PayloadTemplate, CompileErrorsNameTheField) {
  const std::string suffix = "' must be a valid JSONPath or a valid intrinsic function call";
  EXPECT_EQ(CompileError(R"j({"a.$":"not a path"})j"), "The value for the field 'a.$" + suffix);
  EXPECT_EQ(CompileError(R"j({"a.$":5})j"), "The value for the field 'a.$" + suffix);
  EXPECT_EQ(CompileError(R"j({"a.$":"$.x["})j"), "The value for the field 'a.$" + suffix);
  EXPECT_EQ(CompileError(R"j({"a.$":"States.Nope()"})j"), "The value for the field 'a.$" + suffix);
  EXPECT_EQ(CompileError(R"j({"parsed.$":"States.Format('He said, \\\"Hello, {}!\\\"', 'x')"})j"),
            "The value for the field 'parsed.$" + suffix);
  EXPECT_EQ(CompileError(R"j({"o":{"l":[{"b.$":"x"}]}})j"),
            "The value for the field 'b.$" + suffix + " (at /o/l/0)");
  EXPECT_NE(CompileError(R"j({"a":1,"a.$":"$.x"})j").find("more than once"), std::string::npos);
}

TEST(PayloadTemplate, PathNotFound) {
  // Recorded: INVALID_JSONPATH_IN_STRING_EXPR_JSONPATH (the interpreter adds the state prefix).
  EXPECT_EQ(RunTemplate(R"j({"value.$":"$.no_such_jsonpath"})j", R"j({"int-literal":0})j"),
            "ERROR States.Runtime: The JSONPath '$.no_such_jsonpath' specified for the field "
            "'value.$' could not be found in the input '{\"int-literal\":0}'");
  EXPECT_EQ(RunTemplate(R"j({"n":{"value.$":"States.Array($.missing)"}})j", "{}"),
            "ERROR States.Runtime: The JSONPath '$.missing' specified for the field 'value.$' "
            "could not be found in the input '{}'");
  // A path that finds null is found.
  EXPECT_EQ(RunTemplate(R"j({"v.$":"$.x"})j", R"j({"x":null})j"), R"j({"v":null})j");
}

}  // namespace
}  // namespace stepfn::expr
