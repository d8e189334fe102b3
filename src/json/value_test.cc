#include "json/value.h"

#include <gtest/gtest.h>

#include <cstdio>

#include "json/parse.h"
#include "json/write.h"

namespace stepfn::json {
namespace {

Value P(std::string_view s) {
  auto r = Parse(s);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : Value();
}

TEST(Value, RoundTripKeepsKeyOrderAndIntegers) {
  std::string text =
      R"({"z":1,"a":[true,false,null],"m":{"b":"x","a":-9223372036854775808},"d":1.5})";
  EXPECT_EQ(Write(P(text)), text);
}

TEST(Value, IntegersAreExactDoublesAreDoubles) {
  Value v = P("[9007199254740993, 2.0, 1e300]");
  ASSERT_EQ(v.size(), 3u);
  EXPECT_TRUE(v.at(0)->is_int());
  EXPECT_EQ(v.at(0)->as_int(), 9007199254740993LL);
  EXPECT_TRUE(v.at(1)->is_double());
}

TEST(Value, EqualityIgnoresKeyOrderAndNumberKind) {
  EXPECT_EQ(P(R"({"a":1,"b":[1,2]})"), P(R"({"b":[1.0,2],"a":1.0})"));
  EXPECT_FALSE(P(R"({"a":1})") == P(R"({"a":1,"b":2})"));
}

TEST(Value, RepeatedKeysKeepTheLast) {
  Value v = P(R"({"a":1,"b":2,"a":3})");
  EXPECT_EQ(Write(v), R"({"a":3,"b":2})");
}

TEST(Value, RepeatedKeysInLargeObjectsKeepTheLast) {
  std::string text = "{";
  for (int i = 0; i < 40; ++i)
    text += "\"key_number_" + std::to_string(i % 30) + "\":" + std::to_string(i) + ",";
  text.back() = '}';
  Value v = P(text);
  ASSERT_EQ(v.size(), 30u);
  EXPECT_EQ(v.find("key_number_5")->as_int(), 35);
  EXPECT_EQ(v.find("key_number_29")->as_int(), 29);
  EXPECT_EQ(v.members()[0].first, "key_number_0");
  EXPECT_EQ(v.members()[0].second.as_int(), 30);
}

TEST(Value, LargeObjectsAreIndexed) {
  std::string text = "{";
  for (int i = 0; i < 100; ++i)
    text += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":" + std::to_string(i);
  text += "}";
  Value v = P(text);
  ASSERT_NE(v.find("k77"), nullptr);
  EXPECT_EQ(v.find("k77")->as_int(), 77);
  EXPECT_EQ(v.find("k100"), nullptr);
}

TEST(Value, CopiesShareNodes) {
  Value a = P(R"({"big":[1,2,3]})");
  Value b = *a.find("big");
  EXPECT_TRUE(b.SameNode(*a.find("big")));
}

TEST(Value, SetAtKeysCopiesOnlyThePath) {
  Value root = P(R"({"keep":{"x":1},"a":{"b":1}})");
  bool ok = false;
  Value out = SetAtKeys(root, {"a", "c"}, Value::Int(5), &ok);
  ASSERT_TRUE(ok);
  EXPECT_EQ(Write(out), R"({"keep":{"x":1},"a":{"b":1,"c":5}})");
  EXPECT_TRUE(out.find("keep")->SameNode(*root.find("keep")));
  SetAtKeys(root, {"keep", "x", "y"}, Value(), &ok);
  EXPECT_FALSE(ok);
}

TEST(ObjectBuilder, GrowsSetsErasesAndKeepsOrder) {
  ObjectBuilder b;
  // Past the first room (4) and past the index threshold, with long keys (not inline in the
  // string) so that moving the members while growing must keep them intact.
  for (int i = 0; i < 20; ++i) {
    b.Append("key-number-" + std::to_string(i) + "-with-a-long-name", Value::Int(i));
  }
  b.Set("key-number-3-with-a-long-name", Value::String("three"));  // replaced in place
  b.Set("new", Value::Bool(true));                                 // appended
  EXPECT_TRUE(b.Erase("key-number-0-with-a-long-name"));
  EXPECT_FALSE(b.Erase("absent"));
  ObjectBuilder moved = std::move(b);
  EXPECT_EQ(moved.size(), 20u);
  Value v = std::move(moved).Build();
  ASSERT_EQ(v.size(), 20u);
  EXPECT_EQ(v.members()[0].first, "key-number-1-with-a-long-name");
  EXPECT_EQ(v.members()[2].second.as_string(), "three");
  EXPECT_EQ(v.members()[19].first, "new");
  // Large: found through the index.
  ASSERT_NE(v.find("key-number-17-with-a-long-name"), nullptr);
  EXPECT_EQ(v.find("key-number-17-with-a-long-name")->as_int(), 17);
  EXPECT_EQ(v.find("key-number-0-with-a-long-name"), nullptr);
  EXPECT_EQ(Write(v).size(), v.SerializedSizeBound());
}

TEST(ObjectBuilder, StartsFromAnObjectAndLeavesItAlone) {
  Value base = P(R"({"a":1,"b":{"c":[1,2]}})");
  ObjectBuilder b(base, 0);
  b.SetValueAt(0, Value::Int(2));
  b.Append("d", Value::String("x"));  // no room left: grows
  Value v = std::move(b).Build();
  EXPECT_EQ(Write(v), R"({"a":2,"b":{"c":[1,2]},"d":"x"})");
  EXPECT_EQ(Write(base), R"({"a":1,"b":{"c":[1,2]}})");
  EXPECT_TRUE(v.find("b")->SameNode(*base.find("b")));  // shared, not copied
  // Not an object: an empty start. A builder dropped unbuilt frees what it holds.
  ObjectBuilder from_null{Value()};
  EXPECT_EQ(from_null.size(), 0u);
  { ObjectBuilder dropped(base); }
  EXPECT_EQ(Write(std::move(from_null).Build()), "{}");
  EXPECT_EQ(Write(ObjectBuilder().Build()), "{}");
}

TEST(Value, WithMemberReplacesOrAppendsAndKnowsItsSize) {
  Value base = P(R"({"a":1,"b":{"c":"x"}})");
  ASSERT_EQ(base.SerializedSizeBound(), Write(base).size());  // known from here on
  Value array = P(R"([1,2,3])");
  array.SerializedSizeBound();
  Value unknown = WithMember(base, "a", P(R"([4])"));  // a part of unknown size: not recorded
  EXPECT_EQ(unknown.KnownSerializedSize(), 0u);
  Value replaced = WithMember(base, "a", array);
  EXPECT_EQ(Write(replaced), R"({"a":[1,2,3],"b":{"c":"x"}})");
  EXPECT_TRUE(replaced.find("b")->SameNode(*base.find("b")));
  EXPECT_EQ(replaced.KnownSerializedSize(), Write(replaced).size());
  Value text = Value::String("q\"uote");
  text.SerializedSizeBound();
  Value appended = WithMember(base, "new key", text);
  EXPECT_EQ(Write(appended), R"({"a":1,"b":{"c":"x"},"new key":"q\"uote"})");
  EXPECT_EQ(appended.KnownSerializedSize(), Write(appended).size());
  Value from_null = WithMember(Value(), "k", Value::Int(-12));
  EXPECT_EQ(Write(from_null), R"({"k":-12})");
  EXPECT_EQ(from_null.KnownSerializedSize(), Write(from_null).size());
  EXPECT_EQ(Write(base), R"({"a":1,"b":{"c":"x"}})");  // unchanged
  // A large (indexed) object: the index finds the member to replace, and the result is indexed.
  ObjectBuilder b;
  for (int i = 0; i < 30; ++i) b.Append("k" + std::to_string(i), Value::Int(i));
  Value large = WithMember(std::move(b).Build(), "k17", Value::Bool(false));
  EXPECT_EQ(large.size(), 30u);
  EXPECT_EQ(large.members()[17].first, "k17");
  EXPECT_FALSE(large.find("k17")->as_bool());
  EXPECT_EQ(large.find("k29")->as_int(), 29);
}

TEST(Parse, ErrorsSayWhere) {
  auto r = Parse("{\n  \"a\": [1, 2,, 3]\n}");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("line 2, column 14"), std::string::npos)
      << r.status().message();
  auto u = Parse("\"\xff\"");
  ASSERT_FALSE(u.ok());
  EXPECT_NE(u.status().message().find("UTF-8"), std::string::npos) << u.status().message();
}

TEST(Parse, ReportsWhereKeysRepeatAsJsonPointers) {
  std::vector<std::string> repeated;
  ParseOptions options;
  options.repeated_keys = &repeated;
  auto r = Parse(R"({"a":[0,{"x":1,"x":2,"x":3}],"b/c":{"~":1,"~":2},"d":{"e":1}})", options);
  ASSERT_TRUE(r.ok()) << r.status().message();
  // One report per repeated key, with its path escaped as RFC 6901 says ("/" -> "~1",
  // "~" -> "~0"), array indexes included.
  EXPECT_EQ(repeated, (std::vector<std::string>{"/a/1/x", "/b~1c/~0"}));
  EXPECT_EQ(Write(*r), R"({"a":[0,{"x":3}],"b/c":{"~":2},"d":{"e":1}})");
}

TEST(Parse, DeepNestingIsRefused) {
  std::string deep(10000, '[');
  deep += std::string(10000, ']');
  auto r = Parse(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("nested deeper"), std::string::npos);
}

// A padded text is parsed in place: what follows its end (spare capacity the caller
// promises is readable) must not change the result, whatever it holds.
TEST(Parse, PaddedTextIgnoresWhatFollowsItsEnd) {
  struct Case {
    std::string_view text;
    bool ok;
  };
  const Case cases[] = {
      {R"({"a":[1,2,{"b":"c"}],"d":null})", true},
      {R"([1,2)", false},
      {R"("abc)", false},
      {R"({"a":tru)", false},
      {R"(123)", true},
      {R"("\u00e9")", true},
      {"", false},
  };
  for (const Case& c : cases) {
    for (char fill : {'\0', ']', '"', 'e', ' ', '}'}) {
      std::string buffer(c.text);
      buffer.append(kParsePadding, fill);
      std::string_view text(buffer.data(), c.text.size());
      ParseOptions padded;
      padded.padded = true;
      auto in_place = Parse(text, padded);
      auto copied = Parse(text);
      ASSERT_EQ(in_place.ok(), c.ok) << c.text << " followed by '" << fill << "'";
      ASSERT_EQ(copied.ok(), c.ok) << c.text;
      if (c.ok) {
        EXPECT_EQ(Write(*in_place), Write(*copied)) << c.text;
      } else {
        EXPECT_EQ(in_place.status().message(), copied.status().message()) << c.text;
      }
    }
  }
}

TEST(Value, SerializedSizeBoundIsExactWithoutDoubles) {
  for (const char* text : {R"({"a":[1,-22,333,true,false,null],"b\n":"x\"y\u0001"})", "[]", "{}",
                           R"([[],{},"",0,-9223372036854775808])"}) {
    Value v = P(text);
    EXPECT_EQ(v.SerializedSizeBound(), Write(v).size()) << text;
  }
  Value d = P("[0.1, 1e300]");
  EXPECT_GE(d.SerializedSizeBound(), Write(d).size());
}

TEST(Write, EscapesAndDoubles) {
  EXPECT_EQ(Write(Value::String("a\"b\\c\n\x01")), R"("a\"b\\c\n\u0001")");
  EXPECT_EQ(Write(Value::Double(0.1)), "0.1");
  EXPECT_EQ(Write(Value::Double(2)), "2.0");
}

// Escaping one byte at a time, as JSON (RFC 8259) asks: the reference that WriteString's
// word-at-a-time scan must match.
std::string EscapedOneByOne(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    const char* named = c == '"'    ? "\\\""
                        : c == '\\' ? "\\\\"
                        : c == '\n' ? "\\n"
                        : c == '\r' ? "\\r"
                        : c == '\t' ? "\\t"
                        : c == '\b' ? "\\b"
                        : c == '\f' ? "\\f"
                                    : nullptr;
    char code[8];
    if (named != nullptr) {
      out += named;
    } else if (c < 0x20) {
      std::snprintf(code, sizeof code, "\\u%04x", c);
      out += code;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

TEST(Write, StringEscapingMatchesByteByByteAtEveryPositionAndLength) {
  // Every byte value at every offset of strings up to 24 bytes long (three words and tails), in
  // a background of plain text, of UTF-8 (high bytes) and of bytes near the escaped ones.
  const std::string backgrounds[] = {
      "abcdefghijklmnopqrstuvwxyz0123456789ABCD",
      "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
      "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
      "ab",
      std::string(40, ' '),
      std::string(40, '!'),
      std::string(40, '#'),
      std::string(40, '['),
      std::string(40, ']'),
      std::string(40, '\x7f'),
      std::string(40, '\xa2'),
      std::string(40, '\xdc')};
  for (const std::string& background : backgrounds) {
    for (size_t len = 0; len <= 24; ++len) {
      std::string base = background.substr(0, len);
      ASSERT_EQ(Write(Value::String(base)), EscapedOneByOne(base));
      for (size_t at = 0; at < len; ++at) {
        for (int byte = 0; byte < 256; ++byte) {
          std::string s = base;
          s[at] = static_cast<char>(byte);
          std::string got;
          WriteString(s, &got);
          ASSERT_EQ(got, EscapedOneByOne(s)) << "byte " << byte << " at " << at << " of " << len;
          ASSERT_EQ(QuotedSizeOf(s), got.size()) << "byte " << byte << " at " << at;
        }
      }
    }
  }
}

TEST(Write, StringsDenseWithEscapesAppendAfterWhatIsThere) {
  // Runs of escapes of both lengths among plain bytes, appended to text already in the string
  // (the writer makes room for the escaped rest once it meets the first escape).
  const char alphabet[] = {'a', '"', '\\', '\n', '\x01', '\x1f', 'z', ' ', '\xc3', '\xa9'};
  uint64_t seed = 12345;
  for (int round = 0; round < 2000; ++round) {
    seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
    const size_t len = (seed >> 33) % 200;
    std::string s;
    for (size_t i = 0; i < len; ++i) {
      seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
      s.push_back(alphabet[(seed >> 33) % sizeof alphabet]);
    }
    std::string got = "prefix";
    WriteString(s, &got);
    ASSERT_EQ(got, "prefix" + EscapedOneByOne(s)) << "round " << round;
    ASSERT_EQ(QuotedSizeOf(s), got.size() - 6) << "round " << round;
    Value nested = Value::Object({{s, Value::Array({Value::String(s), Value::Int(-7)})}});
    const std::string quoted = EscapedOneByOne(s);
    ASSERT_EQ(Write(nested), "{" + quoted + ":[" + quoted + ",-7]}") << "round " << round;
  }
}

TEST(Write, PrettyIndentsTwoSpacesAndKeepsEmptyContainersOnOneLine) {
  auto v = Parse(R"({"a":[1,2.5,{"b":null,"c":[],"d":{}},"x\"y"],"e":true,"h":[[[]]]})");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(WritePretty(*v),
            "{\n"
            "  \"a\": [\n"
            "    1,\n"
            "    2.5,\n"
            "    {\n"
            "      \"b\": null,\n"
            "      \"c\": [],\n"
            "      \"d\": {}\n"
            "    },\n"
            "    \"x\\\"y\"\n"
            "  ],\n"
            "  \"e\": true,\n"
            "  \"h\": [\n"
            "    [\n"
            "      []\n"
            "    ]\n"
            "  ]\n"
            "}");
  EXPECT_EQ(WritePretty(Value::Int(-3)), "-3");
  EXPECT_EQ(WritePretty(Value::Object({})), "{}");
}

}  // namespace
}  // namespace stepfn::json
