// Regressions found by fuzz/json_parse_fuzz.cc.
#include <gtest/gtest.h>

#include <string>

#include "json/parse.h"
#include "json/write.h"

namespace stepfn::json {
namespace {

// simdjson refuses integers beyond 64 bits; they are read as doubles (as AWS and JavaScript
// read them), so that whatever Write produces for a large double parses again.
TEST(ParseFuzzRegress, IntegersBeyond64BitsReadAsDoubles) {
  auto v = Parse(
      "[18446744073709551615, 18446744073709551616, -9223372036854775809, "
      "123456789012345678901234567890, \"12345678901234567890123\", 1]");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(v->at(0)->is_double());
  EXPECT_EQ(v->at(1)->as_double(), 18446744073709551616.0);
  EXPECT_EQ(v->at(2)->as_double(), -9223372036854775809.0);
  EXPECT_EQ(v->at(3)->as_double(), 123456789012345678901234567890.0);
  EXPECT_EQ(v->at(4)->as_string(), "12345678901234567890123");
  EXPECT_TRUE(v->at(5)->is_int());
  std::string written = Write(*v);
  auto again = Parse(written);
  ASSERT_TRUE(again.ok()) << written;
  EXPECT_EQ(*again, *v);
  // Integers that fit stay exact.
  EXPECT_EQ(Parse("-9223372036854775808")->as_int(), INT64_MIN);
  EXPECT_EQ(Parse("9223372036854775807")->as_int(), INT64_MAX);
}

TEST(ParseFuzzRegress, BadNumbersStillFailWithALocation) {
  auto v = Parse("[123456789012345678901234, 01]");
  ASSERT_FALSE(v.ok());
  EXPECT_NE(v.status().message().find("line 1"), std::string::npos) << v.status().message();
  EXPECT_FALSE(Parse("[1234567890123456789012-]").ok());
  EXPECT_FALSE(Parse("{\"a\": 99999999999999999999999").ok());
}

// Found by the bad-input tests of the command line (tests/cli_bad_input_test.sh): a number
// beyond the range of a double was reported as "invalid number" at the end of the document.
// It is reported where it starts, saying why; numbers too small to represent read as 0.
TEST(ParseFuzzRegress, NumbersBeyondDoubleRangeAreLocated) {
  auto v = Parse("{\"a\": [1, 2],\n \"b\": 1e400, \"c\": 3}");
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().message(),
            "invalid JSON at line 2, column 7 (byte 20): number out of range (beyond 1.8e308)");
  auto big = Parse("[-" + std::string(400, '9') + "]");
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("byte 1): number out of range"), std::string::npos)
      << big.status().message();
  auto tiny = Parse("[1e-400, 1.7976931348623157e308]");
  ASSERT_TRUE(tiny.ok()) << tiny.status().ToString();
  EXPECT_EQ(tiny->at(0)->as_double(), 0.0);
  // Other bad numbers keep their wording.
  auto bad = Parse("[1.e5]");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message().find("out of range"), std::string::npos);
}

}  // namespace
}  // namespace stepfn::json
