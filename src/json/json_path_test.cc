#include "json/json_path.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>

#include "json/parse.h"
#include "json/write.h"

namespace stepfn::json {
namespace {

Value P(std::string_view s) {
  auto r = Parse(s);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Value();
}

Path C(std::string_view text) {
  auto r = Path::Compile(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
  if (!r.ok()) return *Path::Compile("$");
  return *r;
}

// Evaluates `path` on `doc` and returns the compact JSON, or "NotFound".
std::string Eval(std::string_view path, std::string_view doc) {
  auto p = Path::Compile(path);
  if (!p.ok()) return "compile error: " + p.status().message();
  auto r = p->Evaluate(P(doc));
  if (!r.ok()) {
    return r.status().code() == StatusCode::NotFound ? "NotFound" : r.status().ToString();
  }
  return Write(*r);
}

std::string CompileError(std::string_view path) {
  auto p = Path::Compile(path);
  if (p.ok()) return "compiled";
  EXPECT_EQ(p.status().code(), StatusCode::InvalidArgument);
  return p.status().message();
}

constexpr std::string_view kStore = R"({
  "store": {
    "book": [
      {"category": "reference", "author": "Nigel Rees", "title": "Sayings", "price": 8.95},
      {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword", "price": 12.99},
      {"category": "fiction", "author": "Herman Melville", "title": "Moby Dick",
       "isbn": "0-553-21311-3", "price": 8.99},
      {"category": "fiction", "author": "J. R. R. Tolkien", "title": "The Lord of the Rings",
       "isbn": "0-395-19395-8", "price": 22.99}
    ],
    "bicycle": {"color": "red", "price": 19.95}
  },
  "expensive": 10
})";

TEST(JsonPath, Roots) {
  Path p = C("$");
  EXPECT_EQ(p.root(), PathRoot::Input);
  EXPECT_TRUE(p.is_root_only());
  EXPECT_TRUE(p.is_definite());
  EXPECT_TRUE(p.is_reference());
  EXPECT_EQ(p.text(), "$");

  Path ctx = C("$$.Execution.Id");
  EXPECT_EQ(ctx.root(), PathRoot::Context);
  EXPECT_FALSE(ctx.is_root_only());
  EXPECT_TRUE(C("$$").is_root_only());
  EXPECT_EQ(C("$$").root(), PathRoot::Context);

  Path var = C("$x.y[0]");
  EXPECT_EQ(var.root(), PathRoot::Variable);
  EXPECT_EQ(var.variable_name(), "x");
  EXPECT_TRUE(var.is_definite());
  Path var2 = C("$constant_obj_empty");
  EXPECT_EQ(var2.variable_name(), "constant_obj_empty");
  EXPECT_TRUE(var2.is_root_only());
  EXPECT_EQ(Eval("$x.y[0]", R"({"y":[7]})"), "7");
}

TEST(JsonPath, SingleNameIsOnlyOnePlainNameOfTheInput) {
  ASSERT_NE(C("$.a").single_name(), nullptr);
  EXPECT_EQ(*C("$.a").single_name(), "a");
  ASSERT_NE(C("$['a b']").single_name(), nullptr);
  EXPECT_EQ(*C("$['a b']").single_name(), "a b");
  for (const char* other : {"$", "$.a.b", "$$.a", "$[0]", "$..a", "$.*", "$.a[0]"}) {
    EXPECT_EQ(C(other).single_name(), nullptr) << other;
  }
}

TEST(JsonPath, DefiniteNamesAndIndices) {
  EXPECT_EQ(Eval("$.store.bicycle.color", kStore), R"("red")");
  EXPECT_EQ(Eval("$['store']['bicycle'][\"price\"]", kStore), "19.95");
  EXPECT_EQ(Eval("$.store.book[0].author", kStore), R"("Nigel Rees")");
  EXPECT_EQ(Eval("$.store.book[-1].price", kStore), "22.99");
  EXPECT_EQ(Eval("$.store.book[-4].price", kStore), "8.95");
  EXPECT_EQ(Eval("$.store.book[-5]", kStore), "NotFound");
  EXPECT_EQ(Eval("$.store.book[4]", kStore), "NotFound");
  EXPECT_EQ(Eval("$.store.missing", kStore), "NotFound");
  EXPECT_EQ(Eval("$.store.bicycle.color.x", kStore), "NotFound");
  EXPECT_EQ(Eval("$.store[0]", kStore), "NotFound");
  EXPECT_EQ(Eval("$.expensive", kStore), "10");
  EXPECT_EQ(Eval("$", "[1,2]"), "[1,2]");
  EXPECT_EQ(Eval("$[1]", "[1,2]"), "2");
  EXPECT_EQ(Eval("$.delivery-partner", R"({"delivery-partner":"x"})"), R"("x")");
  EXPECT_EQ(Eval("$.a.null", R"({"a":{"null":null}})"), "null");
  EXPECT_TRUE(C("$.a[0].b").is_definite());
  EXPECT_TRUE(C("$.a[-1]").is_definite());
  EXPECT_FALSE(C("$.a[-1]").is_reference());
  EXPECT_TRUE(C("$.a[2].b").is_reference());
}

TEST(JsonPath, NotFoundSaysWhere) {
  auto r = C("$.store.nope.x").Evaluate(P(kStore));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::NotFound);
  EXPECT_NE(r.status().message().find("'$.store' has no '.nope'"), std::string::npos)
      << r.status().message();
}

TEST(JsonPath, DefiniteEvaluationSharesTheNode) {
  Value doc = P(kStore);
  auto r = C("$.store.book").Evaluate(doc);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->SameNode(*doc.find("store")->find("book")));
}

TEST(JsonPath, SpecialCharactersInBrackets) {
  EXPECT_EQ(Eval("$['a b']", R"({"a b":1})"), "1");
  EXPECT_EQ(Eval("$['a.b']", R"({"a.b":2,"a":{"b":3}})"), "2");
  EXPECT_EQ(Eval("$[\"a'b\"]", R"({"a'b":3})"), "3");
  EXPECT_EQ(Eval(R"($['a\'b'])", R"({"a'b":4})"), "4");
  EXPECT_EQ(Eval("$['[x]']", R"({"[x]":5})"), "5");
  EXPECT_EQ(Eval("$['']", R"({"":6})"), "6");
  EXPECT_EQ(Eval("$[ 'a' ]", R"({"a":7})"), "7");
  // Recorded against AWS: a backslash before the other quote character is kept.
  EXPECT_EQ(Eval(R"($['Test\""Name"'])", R"({"Test\\\"\"Name\"":"Value\"\\"})"), R"("Value\"\\")");
  EXPECT_TRUE(C("$['a b']").is_reference());
}

TEST(JsonPath, Wildcards) {
  EXPECT_EQ(Eval("$.store.book[*].author", kStore),
            R"(["Nigel Rees","Evelyn Waugh","Herman Melville","J. R. R. Tolkien"])");
  EXPECT_EQ(Eval("$.store.bicycle.*", kStore), R"(["red",19.95])");
  EXPECT_EQ(Eval("$[*]", "{}"), "[]");
  EXPECT_EQ(Eval("$.items[*]", "{}"), "[]");
  EXPECT_EQ(Eval("$.a[*]", R"({"a":5})"), "[]");
  EXPECT_EQ(Eval("$[*].a", R"([{"a":1},{"b":2},3,{"a":[4]}])"), "[1,[4]]");
  EXPECT_FALSE(C("$[*]").is_definite());
  EXPECT_FALSE(C("$[*]").is_reference());
}

TEST(JsonPath, DeepScan) {
  EXPECT_EQ(Eval("$..author", kStore),
            R"(["Nigel Rees","Evelyn Waugh","Herman Melville","J. R. R. Tolkien"])");
  EXPECT_EQ(Eval("$.store..price", kStore), "[8.95,12.99,8.99,22.99,19.95]");
  EXPECT_EQ(Eval("$..a", R"({"a":1,"b":{"a":2,"c":[{"a":3}]}})"), "[1,2,3]");
  // Each node's own match comes before its descendants' (Jayway).
  EXPECT_EQ(Eval("$..a", R"({"b":{"a":2},"a":1})"), "[1,2]");
  EXPECT_EQ(Eval("$..*", R"({"a":{"b":1},"c":[2]})"), R"([{"b":1},[2],1,2])");
  EXPECT_EQ(Eval("$..[0]", R"({"a":[1,[2,3]]})"), "[1,2]");
  EXPECT_EQ(Eval("$..['b']", R"({"a":{"b":1}})"), "[1]");
  EXPECT_EQ(Eval("$..book[2].title", kStore), R"(["Moby Dick"])");
  EXPECT_EQ(Eval("$..nothing", kStore), "[]");
  EXPECT_EQ(
      Eval("$..events..output.x", R"({"events":[{"output":{"x":1}},{"o":{"output":{"x":2}}}]})"),
      "[1,2]");
}

TEST(JsonPath, Unions) {
  EXPECT_EQ(Eval("$.store.book[0,2].title", kStore), R"(["Sayings","Moby Dick"])");
  EXPECT_EQ(Eval("$[0,-1]", "[1,2,3]"), "[1,3]");
  EXPECT_EQ(Eval("$[0, 9]", "[1,2,3]"), "[1]");
  // Jayway merges a final multi-name selection into one object of the names present.
  EXPECT_EQ(Eval("$['a','c','z']", R"({"a":1,"b":2,"c":3})"), R"({"a":1,"c":3})");
  EXPECT_TRUE(C("$['a','b']").is_definite());
  EXPECT_EQ(Eval("$['a','b'].x", R"({"a":{"x":1},"b":{"x":2}})"), "[1,2]");
  EXPECT_FALSE(C("$['a','b'].x").is_definite());
  EXPECT_EQ(Eval("$[*]['a','b']", R"([{"a":1},{"b":2,"c":3}])"), R"([{"a":1},{"b":2}])");
}

TEST(JsonPath, Slices) {
  std::string_view a = "[0,1,2,3,4,5]";
  EXPECT_EQ(Eval("$[1:3]", a), "[1,2]");
  EXPECT_EQ(Eval("$[:2]", a), "[0,1]");
  EXPECT_EQ(Eval("$[4:]", a), "[4,5]");
  EXPECT_EQ(Eval("$[-2:]", a), "[4,5]");
  EXPECT_EQ(Eval("$[:-4]", a), "[0,1]");
  EXPECT_EQ(Eval("$[1:100]", a), "[1,2,3,4,5]");
  EXPECT_EQ(Eval("$[::2]", a), "[0,2,4]");
  EXPECT_EQ(Eval("$[1:5:3]", a), "[1,4]");
  EXPECT_EQ(Eval("$[::-1]", a), "[5,4,3,2,1,0]");
  EXPECT_EQ(Eval("$[4:1:-2]", a), "[4,2]");
  EXPECT_EQ(Eval("$[3:1]", a), "[]");
  EXPECT_EQ(Eval("$[:]", a), "[0,1,2,3,4,5]");
  EXPECT_EQ(Eval("$.item.items[1:5].itemValue", "{}"), "[]");
  EXPECT_EQ(Eval("$.items[1:].v", R"({"items":[{"v":1},{"v":2},{"w":3}]})"), "[2]");
  EXPECT_EQ(Eval("$[1:2]", R"({"a":1})"), "[]");
  EXPECT_FALSE(C("$[1:2]").is_definite());
}

TEST(JsonPath, Filters) {
  EXPECT_EQ(Eval("$.store.book[?(@.price < 10)].title", kStore), R"(["Sayings","Moby Dick"])");
  EXPECT_EQ(Eval("$.store.book[?(@.isbn)].title", kStore),
            R"(["Moby Dick","The Lord of the Rings"])");
  EXPECT_EQ(Eval("$.store.book[?(!@.isbn)].title", kStore), R"(["Sayings","Sword"])");
  EXPECT_EQ(Eval("$.store.book[?(@.category == 'reference')].author", kStore), R"(["Nigel Rees"])");
  EXPECT_EQ(Eval("$.store.book[?(@.category != \"fiction\")].price", kStore), "[8.95]");
  EXPECT_EQ(Eval("$.store.book[?(@.price > 10 && @.price < 20)].title", kStore), R"(["Sword"])");
  EXPECT_EQ(Eval("$.store.book[?(@.price > 20 || @.price < 9)].price", kStore),
            "[8.95,8.99,22.99]");
  EXPECT_EQ(Eval("$.store.book[?(@.price <= 8.99)].price", kStore), "[8.95,8.99]");
  EXPECT_EQ(Eval("$.store.book[?(@.price >= 22.99)].price", kStore), "[22.99]");
  EXPECT_EQ(Eval("$.store.book[?(@.price > $.expensive)].price", kStore), "[12.99,22.99]");
  EXPECT_EQ(Eval("$..book[?(@.author =='Herman Melville')].price", kStore), "[8.99]");
  EXPECT_EQ(Eval("$[?(@ > 1)]", "[1,2,3]"), "[2,3]");
  EXPECT_EQ(Eval("$[?(@.a == true)].b", R"([{"a":true,"b":1},{"a":false,"b":2}])"), "[1]");
  EXPECT_EQ(Eval("$[?(@.a == null)].b", R"([{"a":null,"b":1},{"b":2}])"), "[1]");
  EXPECT_EQ(Eval("$[?(@.a != null)].b", R"([{"a":null,"b":1},{"b":2},{"a":0,"b":3}])"), "[2,3]");
  EXPECT_EQ(Eval("$[?(@.a == 1)].b", R"([{"a":1.0,"b":1},{"a":"1","b":2}])"), "[1]");
  EXPECT_EQ(Eval("$[?(@.a == @.b)].c", R"([{"a":1,"b":1,"c":"y"},{"a":1,"b":2,"c":"n"}])"),
            R"(["y"])");
  EXPECT_EQ(Eval("$[?(@.a < 'm')]", R"([{"a":"b"},{"a":"z"},{"a":1}])"), R"([{"a":"b"}])");
  EXPECT_EQ(Eval("$[?(@.a in ['x','y'])].a", R"([{"a":"x"},{"a":"z"}])"), R"(["x"])");
  EXPECT_EQ(Eval("$[?(@.a nin ['x','y'])].a", R"([{"a":"x"},{"a":"z"}])"), R"(["z"])");
  EXPECT_EQ(Eval("$[?(@.a.length() > 1)].a", R"([{"a":[1]},{"a":[1,2]}])"), "[[1,2]]");
  EXPECT_EQ(
      Eval("$[?((@.a > 1 || @.a < 0) && !(@.a == 5))].a", R"([{"a":-1},{"a":0},{"a":2},{"a":5}])"),
      "[-1,2]");
  EXPECT_EQ(Eval("$[?(@.a.b[0] == -1.5e0)].a.b", R"([{"a":{"b":[-1.5]}}])"), "[[-1.5]]");
  EXPECT_EQ(Eval("$[?@.a]", R"([{"a":1},{}])"), R"([{"a":1}])");
  // A filter on an object tests the object itself (Jayway).
  EXPECT_EQ(Eval("$.o[?(@.a == 1)]", R"({"o":{"a":1}})"), R"([{"a":1}])");
  EXPECT_EQ(Eval("$.o[?(@.a == 2)]", R"({"o":{"a":1}})"), "[]");
  EXPECT_EQ(Eval("$[?(@.a[?(@ > 2)])].a", R"([{"a":[1,2]},{"a":[3]}])"), "[[3]]");
  EXPECT_FALSE(C("$[?(@.x)]").is_definite());
}

TEST(JsonPath, Length) {
  EXPECT_EQ(Eval("$.a.length()", R"({"a":[1,2,3]})"), "3");
  EXPECT_EQ(Eval("$.a.length()", R"({"a":"abcd"})"), "4");
  EXPECT_EQ(Eval("$.a.length()", R"({"a":5})"), "NotFound");
  EXPECT_EQ(Eval("$[*].length()", "[1,2]"), "2");
  EXPECT_TRUE(C("$.a.length()").is_definite());
  EXPECT_FALSE(C("$.a.length()").is_reference());
}

TEST(JsonPath, CompileErrorsSayWhere) {
  EXPECT_EQ(CompileError("a.b"),
            "invalid JSONPath 'a.b' at offset 0 (at \"a.b\"): a path must start with '$'");
  EXPECT_EQ(CompileError(""),
            "invalid JSONPath '' at offset 0 (at the end): a path must start with '$'");
  EXPECT_EQ(CompileError("$."),
            "invalid JSONPath '$.' at offset 2 (at the end): expected a name or '*' after '.'");
  EXPECT_EQ(CompileError("$.a["), "invalid JSONPath '$.a[' at offset 3 (at \"[\"): unclosed '['");
  EXPECT_EQ(
      CompileError("$.a b"),
      "invalid JSONPath '$.a b' at offset 3 (at \" b\"): expected '.', '..' or '[' to continue "
      "the path");
  EXPECT_EQ(CompileError("$['a"),
            "invalid JSONPath '$['a' at offset 2 (at \"'a\"): unterminated quoted name");
  EXPECT_NE(CompileError("$[?(@.a =~ /x/)]").find("regular expressions"), std::string::npos);
  EXPECT_NE(CompileError("$[1:2:0]").find("step must not be 0"), std::string::npos);
  EXPECT_NE(CompileError("$.a.foo()").find("unknown function"), std::string::npos);
  EXPECT_NE(CompileError("$.a.length().b").find("must end the path"), std::string::npos);
  for (std::string_view bad : {"$..",
                               "$...a",
                               "$[]",
                               "$[a]",
                               "$[1",
                               "$[1,]",
                               "$['a',]",
                               "$[?(@.a ==)]",
                               "$[?(@.a = 1)]",
                               "$[?(@.a > 1]",
                               "$[?()]",
                               "$[99999999999999999999]",
                               "$[-]",
                               "$]",
                               "$$$",
                               "$x-y",
                               "$[?(@.a == 'x)]",
                               "$.a)",
                               "$[*",
                               "$['a']x"}) {
    EXPECT_NE(CompileError(bad), "compiled") << bad;
  }
}

TEST(JsonPath, DeepNestingIsRefused) {
  std::string deep = "$";
  for (int i = 0; i < 100; ++i) deep += "[?(@";
  EXPECT_NE(CompileError(deep).find("nested too deeply"), std::string::npos);
  std::string parens = "$[?(";
  for (int i = 0; i < 100; ++i) parens += "(";
  EXPECT_NE(CompileError(parens).find("nested too deeply"), std::string::npos);
}

TEST(JsonPath, ExpensivePathsStopWithOutOfRange) {
  std::string doc = "[";
  for (int i = 0; i < 200; ++i) doc += std::string(i ? "," : "") + R"({"a":[1,{"b":2}]})";
  doc += "]";
  std::string path = "$";
  for (int i = 0; i < 6; ++i) path += "..[?($";
  for (int i = 0; i < 6; ++i) path += ")]";
  auto r = C(path).Evaluate(P(doc));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::OutOfRange);
}

TEST(JsonPath, AssignReplacesAlongThePath) {
  Value doc = P(R"({"a":{"b":1,"keep":[1,2]},"other":{"x":1}})");
  auto r = C("$.a.b").Assign(doc, Value::Int(5));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Write(*r), R"({"a":{"b":5,"keep":[1,2]},"other":{"x":1}})");
  // Untouched parts are shared, not copied; the original is unchanged.
  EXPECT_TRUE(r->find("other")->SameNode(*doc.find("other")));
  EXPECT_TRUE(r->find("a")->find("keep")->SameNode(*doc.find("a")->find("keep")));
  EXPECT_EQ(Write(doc), R"({"a":{"b":1,"keep":[1,2]},"other":{"x":1}})");

  EXPECT_EQ(Write(*C("$").Assign(doc, Value::Int(1))), "1");
  EXPECT_EQ(Write(*C("$.n.m.o").Assign(P("{}"), Value::Int(1))), R"({"n":{"m":{"o":1}}})");
  EXPECT_EQ(Write(*C("$['a b'].c").Assign(P(R"({"z":0})"), Value::Int(1))),
            R"({"z":0,"a b":{"c":1}})");
  EXPECT_EQ(Write(*C("$.l[1].v").Assign(P(R"({"l":[{"v":0},{"v":0}]})"), Value::Int(9))),
            R"({"l":[{"v":0},{"v":9}]})");
  EXPECT_EQ(Write(*C("$.a").Assign(P(R"({"a":1,"b":2})"), Value::Int(3))), R"({"a":3,"b":2})");
}

TEST(JsonPath, AssignKeepsSerialisedSizesExact) {
  for (const char* doc : {R"({})", R"({"a":1})", R"({"r":{"x":"y"},"q":[1,2]})", R"({"r":{}})"}) {
    for (const char* path : {"$.r", "$.r.s", "$.new.deeper"}) {
      Value d = P(doc);
      d.SerializedSizeBound();  // known, as after a payload check
      Value v = P(R"({"k":"v\n","n":[1,true,null]})");
      v.SerializedSizeBound();
      auto out = C(path).Assign(d, v);
      ASSERT_TRUE(out.ok()) << doc << " " << path;
      EXPECT_EQ(out->SerializedSizeBound(), P(Write(*out)).SerializedSizeBound())
          << doc << " " << path;
    }
  }
}

TEST(JsonPath, AssignErrors) {
  auto scalar = C("$.a.b").Assign(P(R"({"a":"str"})"), Value::Int(1));
  ASSERT_FALSE(scalar.ok());
  EXPECT_EQ(scalar.status().code(), StatusCode::InvalidArgument);
  EXPECT_NE(scalar.status().message().find("'$.a' is string"), std::string::npos)
      << scalar.status().message();
  EXPECT_FALSE(C("$.a").Assign(P("[1]"), Value::Int(1)).ok());
  EXPECT_FALSE(C("$.a").Assign(P("null"), Value::Int(1)).ok());
  EXPECT_FALSE(C("$.a.b").Assign(P(R"({"a":null})"), Value::Int(1)).ok());
  EXPECT_FALSE(C("$.l[5]").Assign(P(R"({"l":[1]})"), Value::Int(1)).ok());
  EXPECT_FALSE(C("$.l[0]").Assign(P(R"({})"), Value::Int(1)).ok());
  EXPECT_FALSE(C("$[*]").Assign(P(R"([1])"), Value::Int(1)).ok());
  EXPECT_FALSE(C("$.a[-1]").Assign(P(R"({"a":[1]})"), Value::Int(1)).ok());
}

// Every path in the recorded AWS conformance cases compiles; the reference fields compile as
// reference paths.
TEST(JsonPath, ConformanceCasePathsCompile) {
  const char* shared = std::getenv("STEPFN_SHARED");
  std::filesystem::path dir = std::filesystem::path(shared != nullptr ? shared : "../shared") /
                              "conformance" / "aws-recorded" / "pure";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "no conformance cases at " << dir;
  static const std::set<std::string> kReferenceFields = {"ResultPath", "Variable"};
  static const std::set<std::string> kPathFields = {"InputPath",     "OutputPath", "ResultPath",
                                                    "ItemsPath",     "Variable",   "SecondsPath",
                                                    "TimestampPath", "ErrorPath",  "CausePath"};
  int checked = 0;
  std::function<void(const Value&, const std::string&)> walk = [&](const Value& v,
                                                                   const std::string& file) {
    if (v.is_array()) {
      for (const Value& item : v.items()) walk(item, file);
      return;
    }
    if (!v.is_object()) return;
    for (const Member& m : v.members()) {
      const std::string& key = m.first;
      bool is_path_field = kPathFields.count(key) > 0 ||
                           (key.size() > 4 && key.compare(key.size() - 4, 4, "Path") == 0);
      bool is_dollar = key.size() > 2 && key.compare(key.size() - 2, 2, ".$") == 0;
      if (m.second.is_string() && (is_path_field || is_dollar)) {
        const std::string& text = m.second.as_string();
        if (!text.empty() && text[0] == '$') {
          auto p = Path::Compile(text);
          EXPECT_TRUE(p.ok()) << file << " " << key << ": " << p.status().ToString();
          if (p.ok() && kReferenceFields.count(key) > 0) {
            EXPECT_TRUE(p->is_reference()) << file << " " << key << ": " << text;
          }
          ++checked;
        }
      }
      walk(m.second, file);
    }
  };
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    std::stringstream ss;
    ss << in.rdbuf();
    auto doc = Parse(ss.str());
    ASSERT_TRUE(doc.ok()) << entry.path();
    if (const Value* def = doc->find("definition")) walk(*def, entry.path().filename().string());
  }
  EXPECT_GT(checked, 100);
}

}  // namespace
}  // namespace stepfn::json
