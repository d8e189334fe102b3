#include "expr/timestamp.h"

#include <gtest/gtest.h>

namespace stepfn::expr {
namespace {

int64_t Millis(std::string_view text) {
  Result<Timestamp> ts = ParseTimestamp(text);
  EXPECT_TRUE(ts.ok()) << text << ": " << ts.status().ToString();
  return ts.ok() ? ts->EpochMillis() : -1;
}

TEST(Timestamp, Epoch) {
  EXPECT_EQ(Millis("1970-01-01T00:00:00Z"), 0);
  EXPECT_EQ(Millis("1970-01-01T00:00:01Z"), 1000);
  EXPECT_EQ(Millis("1969-12-31T23:59:59Z"), -1000);
  EXPECT_EQ(Millis("1969-12-31T23:59:59.5Z"), -500);
}

TEST(Timestamp, KnownInstants) {
  // date -u -d 2016-03-14T01:59:00Z +%s
  EXPECT_EQ(Millis("2016-03-14T01:59:00Z"), 1457920740000);
  EXPECT_EQ(Millis("2012-10-09T19:00:55Z"), 1349809255000);
  EXPECT_EQ(Millis("2000-02-29T00:00:00Z"), 951782400000);
  EXPECT_EQ(Millis("2400-02-29T00:00:00Z"), 13574563200000);
  EXPECT_EQ(Millis("0001-01-01T00:00:00Z"), -62135596800000);
  EXPECT_EQ(Millis("9999-12-31T23:59:59Z"), 253402300799000);
}

TEST(Timestamp, FractionsKeepNanoseconds) {
  Result<Timestamp> ts = ParseTimestamp("2016-03-05T21:29:29.243167252Z");
  ASSERT_TRUE(ts.ok());
  EXPECT_EQ(ts->nanos, 243167252);
  EXPECT_EQ(ts->EpochMillis() % 1000, 243);
  EXPECT_EQ(ParseTimestamp("2016-03-05T21:29:29.1Z")->nanos, 100000000);
  EXPECT_EQ(ParseTimestamp("2016-03-05T21:29:29.000000001Z")->nanos, 1);
  EXPECT_LT(*ParseTimestamp("2016-03-05T21:29:29.000000001Z"),
            *ParseTimestamp("2016-03-05T21:29:29.000000002Z"));
}

TEST(Timestamp, OffsetsAreApplied) {
  EXPECT_EQ(*ParseTimestamp("2016-03-14T02:59:00+01:00"), *ParseTimestamp("2016-03-14T01:59:00Z"));
  EXPECT_EQ(*ParseTimestamp("2016-03-13T20:29:00-05:30"), *ParseTimestamp("2016-03-14T01:59:00Z"));
  EXPECT_EQ(*ParseTimestamp("2016-03-14T01:59:00+00:00"), *ParseTimestamp("2016-03-14T01:59:00Z"));
  EXPECT_TRUE(IsValidTimestamp("2016-03-14T01:59:00+18:00"));
  EXPECT_TRUE(IsValidTimestamp("2016-03-14T01:59:00-18:00"));
}

TEST(Timestamp, Rejects) {
  for (const char* text : {
           "",
           "2016-12-05T21:29:29",         // no zone (recorded NO_Z)
           "2016-12-05 21:29:29Z",        // no T (recorded NO_T)
           "2016-13-05T21:29:29Z",        // month 13 (recorded INVALID_DATE)
           "2016-12-05T25:29:29Z",        // hour 25 (recorded INVALID_TIME)
           "05-12-2016T21:29:29Z",        // day first (recorded INVALID_ISO)
           "2023-02-24 12:15:56.832957",  // Python str(datetime) (recorded case)
           "2016-02-30T00:00:00Z",        // Feb 30
           "2015-02-29T00:00:00Z",        // not a leap year
           "1900-02-29T00:00:00Z",        // century, not a leap year
           "2016-04-31T00:00:00Z",
           "2016-00-10T00:00:00Z",
           "2016-01-00T00:00:00Z",
           "2016-01-01T24:00:00Z",
           "2016-01-01T23:60:00Z",
           "2016-12-31T23:59:60Z",  // leap second
           "2016-01-01t00:00:00Z",
           "2016-01-01T00:00:00z",
           "2016-01-01T00:00Z",  // seconds omitted
           "2016-01-01T00:00:00.Z",
           "2016-01-01T00:00:00.1234567890Z",
           "2016-01-01T00:00:00+0100",
           "2016-01-01T00:00:00+01",
           "2016-01-01T00:00:00+18:01",
           "2016-01-01T00:00:00+01:60",
           "2016-01-01T00:00:00ZZ",
           " 2016-01-01T00:00:00Z",
           "2016-01-01T00:00:00Z ",
           "16-01-01T00:00:00Z",
           "+2016-01-01T00:00:00Z",
           "2016-1-01T00:00:00Z",
           "2016-01-01T00:00:00,5Z",
       }) {
    EXPECT_FALSE(IsValidTimestamp(text)) << text;
    Result<Timestamp> ts = ParseTimestamp(text);
    ASSERT_FALSE(ts.ok()) << text;
    EXPECT_EQ(ts.status().code(), StatusCode::InvalidArgument);
    EXPECT_NE(ts.status().message().find("String does not match RFC3339 timestamp"),
              std::string::npos);
  }
}

}  // namespace
}  // namespace stepfn::expr
