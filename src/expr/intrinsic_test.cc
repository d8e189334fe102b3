#include "expr/intrinsic.h"

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

class MapVariables : public VariableLookup {
 public:
  explicit MapVariables(json::Value vars) : vars_(std::move(vars)) {}
  const json::Value* Find(std::string_view name) const override { return vars_.find(name); }

 private:
  json::Value vars_;
};

struct Env {
  json::Value input = json::Value::EmptyObject();
  json::Value context = json::Value::EmptyObject();
  json::Value vars = json::Value::EmptyObject();
  uint64_t counter = 0;

  Fallible<json::Value> Run(std::string_view text) {
    Result<IntrinsicPtr> call = CompileIntrinsic(text);
    EXPECT_TRUE(call.ok()) << text << ": " << call.status().ToString();
    if (!call.ok()) return StatesError{"compile", call.status().message()};
    MapVariables variables(vars);
    Scope scope;
    scope.input = &input;
    scope.context = &context;
    scope.variables = &variables;
    scope.random = [this]() { return 0x0123456789abcdefull * ++counter; };
    return EvaluateIntrinsic(**call, scope, "f.$");
  }

  // The result as JSON text, or "ERROR <error>: <cause>".
  std::string Text(std::string_view text) {
    Fallible<json::Value> r = Run(text);
    if (!r.ok()) return "ERROR " + r.error.error + ": " + r.error.cause;
    return json::Write(r.value);
  }
};

std::string Eval(std::string_view text, std::string_view input = "{}") {
  Env env;
  env.input = J(input);
  return env.Text(text);
}

std::string Invalid(std::string_view fn) {
  return "ERROR States.Runtime: Invalid arguments in States." + std::string(fn);
}

std::string CompileError(std::string_view text) {
  Result<IntrinsicPtr> r = CompileIntrinsic(text);
  return r.ok() ? "OK" : r.status().message();
}

TEST(IntrinsicParse, LooksLikeIntrinsic) {
  EXPECT_TRUE(LooksLikeIntrinsic("States.Array()"));
  EXPECT_TRUE(LooksLikeIntrinsic("  States.Format('{}', $.a) "));
  EXPECT_FALSE(LooksLikeIntrinsic("$.a"));
  EXPECT_FALSE(LooksLikeIntrinsic("States.Array"));
  EXPECT_FALSE(LooksLikeIntrinsic("Foo.Array()"));
}

TEST(IntrinsicParse, Errors) {
  EXPECT_NE(CompileError("States.Nope()").find("unknown intrinsic function 'States.Nope'"),
            std::string::npos);
  EXPECT_NE(CompileError("States.Array(").find("missing"), std::string::npos);
  EXPECT_NE(CompileError("States.Array(1,)").find("expected an argument"), std::string::npos);
  EXPECT_NE(CompileError("States.Array(1 2)").find("expected ',' or ')'"), std::string::npos);
  EXPECT_NE(CompileError("States.Array('abc)").find("unterminated"), std::string::npos);
  EXPECT_NE(CompileError("States.Array() x").find("after the closing"), std::string::npos);
  EXPECT_NE(CompileError("States.Array(1.2.3)").find("invalid number"), std::string::npos);
  EXPECT_NE(CompileError("States.Array(truex)").find("expected an argument"), std::string::npos);
  EXPECT_NE(CompileError("States.Array(States.array())").find("unknown"), std::string::npos);
  // AWS rejects \" (recorded: validation ESCAPE_SEQUENCES_ILLEGAL_INTRINSIC_FUNCTION_2).
  EXPECT_NE(CompileError(R"(States.Format('He said, \"Hello, {}!\"', 'x'))").find("escape"),
            std::string::npos);
  // The message says where.
  EXPECT_NE(CompileError("States.Array(1 2)").find("character 16"), std::string::npos);
}

TEST(IntrinsicParse, NestingLimit) {
  std::string ok = "1";
  for (int i = 0; i < 10; ++i) ok = "States.Array(" + ok + ")";
  EXPECT_EQ(CompileError(ok), "OK");
  EXPECT_NE(CompileError("States.Array(" + ok + ")").find("nested more than 10"),
            std::string::npos);
}

TEST(IntrinsicParse, ArityAndTypesAreRuntimeErrors) {
  // AWS accepts these in a definition and fails the execution.
  EXPECT_EQ(CompileError("States.Hash()"), "OK");
  EXPECT_EQ(Eval("States.Hash()"), Invalid("Hash"));
  EXPECT_EQ(Eval("States.ArrayRange('a', 5, 1)"), Invalid("ArrayRange"));
}

TEST(IntrinsicParse, Literals) {
  EXPECT_EQ(Eval("States.Array('a', 1, -2.5, true, false, null, 1e2)"),
            R"(["a",1,-2.5,true,false,null,100.0])");
  EXPECT_EQ(Eval(R"(States.Array('it\'s', 'back\\slash', '\{\}'))"),
            R"(["it's","back\\slash","{}"])");
  EXPECT_EQ(Eval("States.Array( 'a' ,\t1 )"), R"(["a",1])");
  EXPECT_EQ(Eval("States.Array('a,b)', ')')"), R"x(["a,b)",")"])x");
}

TEST(IntrinsicParse, Paths) {
  Env env;
  env.input = J(R"({"a": {"b,c": 1, "list": [1, 2, 3]}, "x": "y"})");
  env.context = J(R"({"Execution": {"Name": "exec"}})");
  env.vars = J(R"({"v": {"w": 7}})");
  EXPECT_EQ(env.Text("States.Array($.x, $$.Execution.Name, $v.w, $v)"),
            R"(["y","exec",7,{"w":7}])");
  EXPECT_EQ(env.Text("States.Array($.a['b,c'], $.a.list[1])"), "[1,2]");
  EXPECT_EQ(env.Text("States.Array($.a.list[?(@ > 1)])"), "[[2,3]]");
  EXPECT_EQ(env.Text("States.Array($)"), R"([{"a":{"b,c":1,"list":[1,2,3]},"x":"y"}])");
}

TEST(IntrinsicEval, PathNotFound) {
  EXPECT_EQ(Eval("States.Hash($.missing, 'SHA-256')"),
            "ERROR States.Runtime: The JSONPath '$.missing' specified for the field 'f.$' could "
            "not be found in the input '{}'");
  EXPECT_EQ(Eval("States.Array($undefined)", R"({"a":1})"),
            "ERROR States.Runtime: The JSONPath '$undefined' specified for the field 'f.$' could "
            "not be found in the input '{\"a\":1}'");
}

TEST(IntrinsicEval, Format) {
  EXPECT_EQ(Eval("States.Format('Hello {}', $.name)", R"({"name":"Ada"})"), R"("Hello Ada")");
  EXPECT_EQ(Eval("States.Format('{} {} {} {}', $.a, $.b, $.c, $.d)",
                 R"({"a":"x","b":2,"c":true,"d":null})"),
            R"("x 2 true null")");
  EXPECT_EQ(Eval("States.Format('no placeholders')"), R"("no placeholders")");
  EXPECT_EQ(Eval("States.Format($.t, $.n)", R"({"t":"Hello {}","n":"Ada"})"), R"("Hello Ada")");
  EXPECT_EQ(Eval(R"(States.Format('Escaped \{\} and {}', 1))"), R"("Escaped {} and 1")");
  EXPECT_EQ(Eval(R"(States.Format('Name: \'{}\'', 'G'))"), R"("Name: 'G'")");
  // Objects and arrays render as Java does (recorded: FORMAT_2).
  EXPECT_EQ(Eval("States.Format('{}|{}', $.o, $.a)",
                 R"({"o":{"Arg1":1,"Arg2":[]},"a":[1,"x",{"k":null}]})"),
            R"("{Arg1=1, Arg2=[]}|[1, x, {k=null}]")");
  EXPECT_EQ(Eval("States.Format('{}', 1.1)"), R"("1.1")");
  EXPECT_EQ(Eval("States.Format('{} {}', 'x')"), Invalid("Format"));
  EXPECT_EQ(Eval("States.Format('{}', 'x', 'y')"), Invalid("Format"));
  EXPECT_EQ(Eval("States.Format('Hello {', 'x')"), Invalid("Format"));
  EXPECT_EQ(Eval("States.Format('Hello {{}}', 'x')"), Invalid("Format"));
  EXPECT_EQ(Eval("States.Format('}')"), Invalid("Format"));
  EXPECT_EQ(Eval("States.Format($.t, 'x')", R"({"t":123})"), Invalid("Format"));
  EXPECT_EQ(Eval("States.Format()"), Invalid("Format"));
}

TEST(IntrinsicEval, StringToJsonAndBack) {
  EXPECT_EQ(Eval("States.StringToJson($.s)", R"({"s":"{\"a\": [1, 2.5, \"x\"]}"})"),
            R"({"a":[1,2.5,"x"]})");
  EXPECT_EQ(Eval("States.StringToJson('')"), "null");
  EXPECT_EQ(Eval("States.StringToJson('  ')"), "null");
  EXPECT_EQ(Eval("States.StringToJson('\"HelloWorld\"')"), R"("HelloWorld")");
  EXPECT_EQ(Eval("States.StringToJson('{bad')"), Invalid("StringToJson"));
  EXPECT_EQ(Eval("States.StringToJson(1)"), Invalid("StringToJson"));
  EXPECT_EQ(Eval("States.JsonToString($.o)", R"({"o":{"Arg1":1,"Arg2":[]}})"),
            R"("{\"Arg1\":1,\"Arg2\":[]}")");
  EXPECT_EQ(Eval("States.JsonToString('HelloWorld')"), R"("\"HelloWorld\"")");
  EXPECT_EQ(Eval("States.JsonToString(null)"), R"("null")");
  EXPECT_EQ(Eval("States.JsonToString()"), Invalid("JsonToString"));
}

TEST(IntrinsicEval, Arrays) {
  EXPECT_EQ(Eval("States.Array()"), "[]");
  EXPECT_EQ(Eval("States.ArrayPartition($.a, 2)", R"({"a":[1,2,3,4,5]})"), "[[1,2],[3,4],[5]]");
  EXPECT_EQ(Eval("States.ArrayPartition($.a, 2.6)", R"({"a":[1,2,3,4,5]})"), "[[1,2],[3,4],[5]]");
  EXPECT_EQ(Eval("States.ArrayPartition($.a, 10)", R"({"a":[1,2,3]})"), "[[1,2,3]]");
  EXPECT_EQ(Eval("States.ArrayPartition($.a, 1)", R"({"a":[]})"), "[]");
  EXPECT_EQ(Eval("States.ArrayPartition($.a, 0.6)", R"({"a":[1]})"), Invalid("ArrayPartition"));
  EXPECT_EQ(Eval("States.ArrayPartition($.a, 0)", R"({"a":[1]})"), Invalid("ArrayPartition"));
  EXPECT_EQ(Eval("States.ArrayPartition('x', 2)"), Invalid("ArrayPartition"));
  EXPECT_EQ(Eval("States.ArrayPartition($.a, '2')", R"({"a":[1]})"), Invalid("ArrayPartition"));
  EXPECT_EQ(Eval("States.ArrayPartition($.a)", R"({"a":[1]})"), Invalid("ArrayPartition"));

  EXPECT_EQ(Eval("States.ArrayContains($.a, $.v)", R"({"a":[[1,2,3],2],"v":[1,2,3]})"), "true");
  EXPECT_EQ(Eval("States.ArrayContains($.a, $.v)", R"({"a":[{"1":2,"2":[]}],"v":{"2":[],"1":2}})"),
            "true");
  EXPECT_EQ(Eval("States.ArrayContains($.a, null)", R"({"a":[[1,2,3],2]})"), "false");
  EXPECT_EQ(Eval("States.ArrayContains($.a, 1.0)", R"({"a":[1]})"), "true");
  EXPECT_EQ(Eval("States.ArrayContains(1, 1)"), Invalid("ArrayContains"));

  EXPECT_EQ(Eval("States.ArrayRange(1, 9, 2)"), "[1,3,5,7,9]");
  EXPECT_EQ(Eval("States.ArrayRange(5, 1, -2)"), "[5,3,1]");
  EXPECT_EQ(Eval("States.ArrayRange(3, 3, -1)"), "[3]");
  EXPECT_EQ(Eval("States.ArrayRange(5, 1, 1)"), "[]");
  EXPECT_EQ(Eval("States.ArrayRange(1.6, 1.4, 1)"), "[1]");  // AWS truncates
  EXPECT_EQ(Eval("States.ArrayRange(5.4, -0.6, -2.4)"), "[5,3,1]");
  EXPECT_EQ(Eval("States.ArrayRange(1, 10, 0)"), Invalid("ArrayRange"));
  EXPECT_EQ(Eval("States.ArrayRange(1, 10, 0.49)"), Invalid("ArrayRange"));
  Env env;
  Fallible<json::Value> big = env.Run("States.ArrayRange(1, 1000, 1)");
  ASSERT_TRUE(big.ok());
  EXPECT_EQ(big.value.size(), 1000u);
  EXPECT_EQ(big.value.at(999)->as_int(), 1000);
  EXPECT_EQ(Eval("States.ArrayRange(1, 1001, 1)"), Invalid("ArrayRange"));
  EXPECT_EQ(Eval("States.ArrayRange(1001, 1, -1)"), Invalid("ArrayRange"));
  EXPECT_EQ(Eval("States.ArrayRange(-9000000000000000000, 9000000000000000000, 1)"),
            Invalid("ArrayRange"));
  EXPECT_EQ(Eval("States.ArrayRange(1, 5)"), Invalid("ArrayRange"));

  EXPECT_EQ(Eval("States.ArrayGetItem($.a, 5)", R"({"a":[1,2,3,4,5,6,7,8,9]})"), "6");
  EXPECT_EQ(Eval("States.ArrayGetItem($.a, 9)", R"({"a":[1,2,3,4,5,6,7,8,9]})"),
            Invalid("ArrayGetItem"));
  EXPECT_EQ(Eval("States.ArrayGetItem($.a, -1)", R"({"a":[1]})"), Invalid("ArrayGetItem"));
  EXPECT_EQ(Eval("States.ArrayGetItem(States.StringSplit('a-b', '-'), 0)"), R"("a")");

  EXPECT_EQ(Eval("States.ArrayLength($.a)", R"({"a":[1,2,3]})"), "3");
  EXPECT_EQ(Eval("States.ArrayLength('abc')"), Invalid("ArrayLength"));

  EXPECT_EQ(Eval("States.ArrayUnique($.a)", R"({"a":[1,2,3,3,3,3,3,3,4,1.0,{"a":1,"b":2},
            {"b":2,"a":1},[1],[1.0],"1",null,null]})"),
            R"([1,2,3,4,{"a":1,"b":2},[1],"1",null])");
  EXPECT_NE(CompileError("States.ArrayUnique({})"), "OK");  // no object literals
}

TEST(IntrinsicEval, Base64) {
  EXPECT_EQ(Eval("States.Base64Encode('Data to encode')"), R"("RGF0YSB0byBlbmNvZGU=")");
  EXPECT_EQ(Eval("States.Base64Encode('')"), R"("")");
  EXPECT_EQ(Eval("States.Base64Encode('ab')"), R"("YWI=")");
  EXPECT_EQ(Eval("States.Base64Encode('abc')"), R"("YWJj")");
  EXPECT_EQ(Eval("States.Base64Decode('RGF0YSB0byBlbmNvZGU=')"), R"("Data to encode")");
  EXPECT_EQ(Eval("States.Base64Decode('YWI')"), R"("ab")");
  EXPECT_EQ(Eval("States.Base64Decode('')"), R"("")");
  EXPECT_EQ(Eval("States.Base64Decode('!!!!')"), Invalid("Base64Decode"));
  EXPECT_EQ(Eval("States.Base64Decode('YWJjZ')"), Invalid("Base64Decode"));
  EXPECT_EQ(Eval("States.Base64Decode('/w==')"), "\"\xEF\xBF\xBD\"");  // 0xFF -> U+FFFD
  EXPECT_EQ(Eval("States.Base64Encode(1)"), Invalid("Base64Encode"));
  std::string a10000(10000, 'a');
  std::string input = R"({"s":")" + a10000 + R"(","t":")" + a10000 + R"(a"})";
  EXPECT_EQ(Eval("States.Base64Encode($.s)", input).size(), 13336u + 2);
  EXPECT_EQ(Eval("States.Base64Encode($.t)", input), Invalid("Base64Encode"));
}

TEST(IntrinsicEval, Hash) {
  EXPECT_EQ(Eval("States.Hash('hello', 'MD5')"), R"("5d41402abc4b2a76b9719d911017c592")");
  EXPECT_EQ(Eval("States.Hash('hello', 'SHA-1')"), R"("aaf4c61ddcc5e8a2dabede0f3b482cd9aea9434d")");
  EXPECT_EQ(Eval("States.Hash('hello', 'SHA-256')"),
            R"("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824")");
  EXPECT_EQ(
      Eval("States.Hash('hello', 'SHA-384')"),
      R"("59e1748777448c69de6b800d7a33bbfb9ff1b463e44354c3553bcdb9c666fa90125a3c79f90397bdf5f6a13de828684f")");
  EXPECT_EQ(
      Eval("States.Hash('hello', 'SHA-512')"),
      R"("9b71d224bd62f3785d96d46ad3ea3d73319bfbc2890caadae2dff72519673ca72323c3d99ba5c11d7c7acc6e14b8c5da0c4663475c2e5c3adef46f73bcdec043")");
  EXPECT_EQ(Eval("States.Hash($.s, 'MD5')", R"({"s":"abc\u0000def"})"),
            R"("a5e4d5963ae44c1f4bfb37b1a3d55a3c")");
  EXPECT_EQ(Eval("States.Hash($.s, 'SHA-256')", R"({"s":"✓"})"),
            R"("1dabba21cdad44541f6b15796f8d22978fc7ea10c46aeceeeeb66c23b3ac7604")");
  EXPECT_EQ(Eval("States.Hash('data', 'sha-256')"), Invalid("Hash"));
  EXPECT_EQ(Eval("States.Hash('data', 'SHA256')"), Invalid("Hash"));
  EXPECT_EQ(Eval("States.Hash('hello', 123)"), Invalid("Hash"));
  EXPECT_EQ(Eval("States.Hash('hello', 'SHA-256', 'x')"), Invalid("Hash"));
  EXPECT_EQ(Eval("States.Hash(States.Format('{}:{}', 'x', 'y'), 'SHA-256')"),
            R"("1274e286686b54fe765ec40735665b4bf789cee2a5b22124c5e0491a88e15271")");
  std::string input = R"({"s":")" + std::string(10001, 'a') + R"("})";
  EXPECT_EQ(Eval("States.Hash($.s, 'MD5')", input), Invalid("Hash"));
}

TEST(IntrinsicEval, JsonMerge) {
  std::string in =
      R"({"a":{"a":{"a1":1,"a2":2},"b":2,"d":3},"b":{"a":{"a3":1,"a4":2},"c":3,"d":4}})";
  EXPECT_EQ(Eval("States.JsonMerge($.a, $.b, false)", in),
            R"({"a":{"a3":1,"a4":2},"b":2,"d":4,"c":3})");
  EXPECT_EQ(Eval("States.JsonMerge($.a, $.b, true)", in),
            R"({"a":{"a1":1,"a2":2,"a3":1,"a4":2},"b":2,"d":4,"c":3})");
  EXPECT_EQ(Eval("States.JsonMerge($.a, 1, false)", in), Invalid("JsonMerge"));
  EXPECT_EQ(Eval("States.JsonMerge($.a, $.b)", in), Invalid("JsonMerge"));
}

TEST(IntrinsicEval, Math) {
  // Recorded (MATH_ADD): each argument is rounded half up first.
  EXPECT_EQ(Eval("States.MathAdd(-9, 3)"), "-6");
  EXPECT_EQ(Eval("States.MathAdd(-0.5, 0.5)"), "1");
  EXPECT_EQ(Eval("States.MathAdd(-1.5, -1.51)"), "-3");
  EXPECT_EQ(Eval("States.MathAdd(1.49, 1.5)"), "3");
  EXPECT_EQ(Eval("States.MathAdd(-2.5, 0)"), "-2");
  EXPECT_EQ(Eval("States.MathAdd($.v, -1)", R"({"v":10})"), "9");
  EXPECT_EQ(Eval("States.MathAdd('1', 2)"), Invalid("MathAdd"));
  EXPECT_EQ(Eval("States.MathAdd(9223372036854775807, 1)"), Invalid("MathAdd"));

  Env env;
  for (int i = 0; i < 200; ++i) {
    Fallible<json::Value> r = env.Run("States.MathRandom(1.6, 5.4)");
    ASSERT_TRUE(r.ok());
    EXPECT_GE(r.value.as_int(), 1);
    EXPECT_LT(r.value.as_int(), 5);
  }
  EXPECT_EQ(Eval("States.MathRandom(1, 100, 42)"), Eval("States.MathRandom(1, 100, 42)"));
  EXPECT_EQ(Eval("States.MathRandom(1, 1)"), Invalid("MathRandom"));
  EXPECT_EQ(Eval("States.MathRandom(1.4, 1.6)"), Invalid("MathRandom"));
  EXPECT_EQ(Eval("States.MathRandom(10, 5)"), Invalid("MathRandom"));
  EXPECT_EQ(Eval("States.MathRandom(1, 10, null)"), Invalid("MathRandom"));
  EXPECT_EQ(Eval("States.MathRandom(1)"), Invalid("MathRandom"));
  Fallible<json::Value> wide =
      env.Run("States.MathRandom(-9223372036854775807, 9223372036854775807)");
  EXPECT_TRUE(wide.ok());
}

TEST(IntrinsicEval, RandomnessOnlyFromScope) {
  Result<IntrinsicPtr> call = CompileIntrinsic("States.UUID()");
  ASSERT_TRUE(call.ok());
  json::Value input;
  Scope scope;
  scope.input = &input;
  Fallible<json::Value> r = EvaluateIntrinsic(**call, scope);
  EXPECT_FALSE(r.ok());
  EXPECT_EQ(r.error.error, "States.Runtime");
  uint64_t n = 0;
  scope.random = [&n]() { return n++ == 0 ? 0 : ~0ull; };
  r = EvaluateIntrinsic(**call, scope);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value.as_string(), "00000000-0000-4000-bfff-ffffffffffff");
}

TEST(IntrinsicEval, Uuid) {
  Env env;
  std::string a = env.Text("States.UUID()");
  std::string b = env.Text("States.UUID()");
  EXPECT_NE(a, b);
  ASSERT_EQ(a.size(), 38u);
  EXPECT_EQ(a[15], '4');
  EXPECT_TRUE(a[20] == '8' || a[20] == '9' || a[20] == 'a' || a[20] == 'b') << a;
  EXPECT_EQ(env.Text("States.UUID(1)"), Invalid("UUID"));
}

TEST(IntrinsicEval, StringSplit) {
  EXPECT_EQ(Eval("States.StringSplit('1,2,3', ',')"), R"(["1","2","3"])");
  EXPECT_EQ(Eval("States.StringSplit(', , ,', ',')"), R"([" "," "])");
  EXPECT_EQ(Eval("States.StringSplit(',,,,', ',')"), "[]");
  EXPECT_EQ(Eval("States.StringSplit('This.is+a,test=string', '.+,=')"),
            R"(["This","is","a","test","string"])");
  EXPECT_EQ(Eval("States.StringSplit('a✓b', '✓')"), R"(["a","b"])");
  EXPECT_EQ(Eval("States.StringSplit('abc', '')"), R"(["abc"])");
  EXPECT_EQ(Eval("States.StringSplit('Hello\nWorld', '\n')"), R"(["Hello","World"])");
  EXPECT_EQ(Eval("States.StringSplit(1, ',')"), Invalid("StringSplit"));
}

}  // namespace
}  // namespace stepfn::expr
