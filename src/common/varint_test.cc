#include "common/varint.h"

#include <gtest/gtest.h>

#include <limits>

namespace stepfn {
namespace {

TEST(Varint, RoundTripsEdgesAndRefusesTruncation) {
  std::string out;
  const uint64_t unsigned_values[] = {0, 1, 127, 128, 300, std::numeric_limits<uint64_t>::max()};
  const int64_t signed_values[] = {
      0, -1, 1, -64, 64, std::numeric_limits<int64_t>::min(), std::numeric_limits<int64_t>::max()};
  for (uint64_t v : unsigned_values) PutVarint(v, &out);
  for (int64_t v : signed_values) PutSvarint(v, &out);
  PutLengthPrefixed("abc", &out);
  PutLengthPrefixed("", &out);
  VarintReader r(out);
  for (uint64_t want : unsigned_values) {
    uint64_t got = 0;
    ASSERT_TRUE(r.Varint(&got));
    EXPECT_EQ(got, want);
  }
  for (int64_t want : signed_values) {
    int64_t got = 0;
    ASSERT_TRUE(r.Svarint(&got));
    EXPECT_EQ(got, want);
  }
  std::string_view s;
  ASSERT_TRUE(r.LengthPrefixed(&s));
  EXPECT_EQ(s, "abc");
  ASSERT_TRUE(r.LengthPrefixed(&s));
  EXPECT_EQ(s, "");
  EXPECT_TRUE(r.done());

  std::string one;
  PutVarint(300, &one);  // two bytes
  uint64_t v = 0;
  EXPECT_FALSE(VarintReader(std::string_view(one).substr(0, 1)).Varint(&v));
  std::string_view text;
  EXPECT_FALSE(VarintReader(std::string_view("\x05"
                                             "ab",
                                             3))
                   .LengthPrefixed(&text));
  // Eleven continuation bytes run past 64 bits.
  EXPECT_FALSE(VarintReader(std::string(11, '\xff')).Varint(&v));
}

}  // namespace
}  // namespace stepfn
