// Fuzzes intrinsic functions: CompileIntrinsic on arbitrary text, then EvaluateIntrinsic against
// a fixed input, context and variables. Checks that evaluation is deterministic for a given
// source of randomness, that the same text used as a payload-template field gives the same
// result, and that results serialise.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "expr/intrinsic.h"
#include "expr/payload_template.h"
#include "json/parse.h"
#include "json/value.h"
#include "json/write.h"

namespace {

using stepfn::Fallible;
using stepfn::expr::CompileIntrinsic;
using stepfn::expr::EvaluateIntrinsic;
using stepfn::expr::PayloadTemplate;
using stepfn::expr::Scope;
using stepfn::expr::VariableLookup;
using stepfn::json::Value;

constexpr std::string_view kInput = R"({
  "s": "Hello, World", "csv": "a,b,,c", "n": 3, "d": 2.5, "neg": -7, "big": 9223372036854775807,
  "t": true, "z": null, "json": "{\"k\": [1, 2, {\"x\": \"y\"}]}", "b64": "RGF0YSB0byBlbmNvZGU=",
  "tmpl": "{} and {}", "arr": [1, 2, 2, "x", [1], {"a": 1}, null, 1.0],
  "o1": {"a": {"b": 1}, "c": 2}, "o2": {"a": {"d": 3}, "e": [4]}, "empty": [], "eo": {}
})";
constexpr std::string_view kContext =
    R"({"Execution": {"Id": "arn:x:1", "Name": "exec-1", "Input": {"k": "v"}},
        "State": {"Name": "S"}, "Map": {"Item": {"Index": 2, "Value": {"v": [1, 2]}}}})";

class Variables : public VariableLookup {
 public:
  Variables() : vars_(*stepfn::json::Parse(R"({"v": {"list": [3, 1, 2]}, "str": "a-b-c"})")) {}
  const Value* Find(std::string_view name) const override { return vars_.find(name); }

 private:
  Value vars_;
};

struct Fixture {
  Value input = *stepfn::json::Parse(kInput);
  Value context = *stepfn::json::Parse(kContext);
  Variables vars;
};

const Fixture& Fix() {
  static const Fixture f;
  return f;
}

Scope MakeScope(uint64_t* counter) {
  const Fixture& f = Fix();
  Scope scope;
  scope.input = &f.input;
  scope.context = &f.context;
  scope.variables = &f.vars;
  scope.random = [counter] { return ++*counter * 0x9E3779B97F4A7C15ull; };
  return scope;
}

[[noreturn]] void Die(const char* what, std::string_view text, const std::string& detail) {
  std::fprintf(stderr, "%s\n  call: %.*s\n  %s\n", what, static_cast<int>(text.size()), text.data(),
               detail.c_str());
  std::abort();
}

std::string Describe(const Fallible<Value>& r) {
  return r.ok() ? stepfn::json::Write(r.value) : r.error.error + ": " + r.error.cause;
}

bool Same(const Fallible<Value>& a, const Fallible<Value>& b) {
  if (a.ok() != b.ok()) return false;
  if (!a.ok()) return a.error.error == b.error.error && a.error.cause == b.error.cause;
  return a.value.Equals(b.value);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto call = CompileIntrinsic(text);
  if (!call.ok()) {
    if (call.status().message().empty()) Die("compile error without a message", text, "");
    return 0;
  }
  uint64_t c1 = 0;
  uint64_t c2 = 0;
  Fallible<Value> first = EvaluateIntrinsic(**call, MakeScope(&c1), "f.$");
  Fallible<Value> second = EvaluateIntrinsic(**call, MakeScope(&c2), "f.$");
  if (!Same(first, second)) {
    Die("evaluation is not deterministic", text, Describe(first) + " vs " + Describe(second));
  }
  if (!first.ok() && (first.error.error.empty() || first.error.cause.empty())) {
    Die("error without name or cause", text, Describe(first));
  }
  if (first.ok()) {
    std::string out = stepfn::json::Write(first.value);
    if (out.empty()) Die("empty serialisation", text, "");
  }

  // The same call as a payload-template field.
  auto tmpl = PayloadTemplate::Compile(Value::Object({{"f.$", Value::String(std::string(text))}}));
  if (stepfn::expr::LooksLikeIntrinsic(text)) {
    if (!tmpl.ok()) Die("template refused a call that compiles", text, tmpl.status().ToString());
    uint64_t c3 = 0;
    Fallible<Value> via_template = tmpl->Evaluate(MakeScope(&c3));
    Fallible<Value> expected = first;
    if (expected.ok()) expected = Value::Object({{"f", first.value}});
    if (!Same(via_template, expected)) {
      Die("template result differs", text, Describe(via_template) + " vs " + Describe(expected));
    }
  }
  return 0;
}
