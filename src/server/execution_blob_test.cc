#include "server/execution_blob.h"

#include <gtest/gtest.h>

namespace stepfn::server {
namespace {

TEST(ExecutionBlob, RoundTripsEveryField) {
  std::string bytes;
  EncodeExecutionBlob("arn:sm#Case", "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1",
                      {{3, 1700000000000}, {9, 5}}, std::string("\0state", 6), &bytes);
  auto blob = DecodeExecutionBlob(bytes);
  ASSERT_TRUE(blob.ok()) << blob.status().ToString();
  EXPECT_EQ(blob->mock_test_case, "arn:sm#Case");
  EXPECT_EQ(blob->trace_header, "Root=1-5759e988-bd862e3fe1be46a994272793;Sampled=1");
  EXPECT_EQ(blob->timers, (std::map<uint64_t, EpochMillis>{{3, 1700000000000}, {9, 5}}));
  EXPECT_EQ(blob->state, std::string_view("\0state", 6));
}

// Version 1 had no trace header: the same bytes without it.
TEST(ExecutionBlob, VersionOneStillDecodes) {
  std::string v1 = std::string("\x01\x04") + "case" + "\x01\x07\x08" + "rest";
  auto blob = DecodeExecutionBlob(v1);
  ASSERT_TRUE(blob.ok()) << blob.status().ToString();
  EXPECT_EQ(blob->mock_test_case, "case");
  EXPECT_EQ(blob->trace_header, "");
  EXPECT_EQ(blob->timers, (std::map<uint64_t, EpochMillis>{{7, 8}}));
  EXPECT_EQ(blob->state, "rest");
}

TEST(ExecutionBlob, DamagedOrNewerBytesAreErrors) {
  std::string bytes;
  EncodeExecutionBlob("c", "t", {{1, 2}}, "s", &bytes);
  for (size_t cut = 0; cut + 1 < bytes.size(); ++cut) {
    // Every prefix that ends inside the envelope is refused (the state part may be anything).
    if (cut < bytes.size() - 1) {
      auto r = DecodeExecutionBlob(std::string_view(bytes).substr(0, cut));
      EXPECT_FALSE(r.ok()) << "cut at " << cut;
    }
  }
  std::string newer = bytes;
  newer[0] = 3;
  auto r = DecodeExecutionBlob(newer);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("envelope version 3"), std::string::npos);
}

}  // namespace
}  // namespace stepfn::server
