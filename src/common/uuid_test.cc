#include "common/uuid.h"

#include <gtest/gtest.h>

#include <set>
#include <string>
#include <thread>
#include <vector>

namespace stepfn {
namespace {

TEST(Uuid, HasTheVersion4Shape) {
  for (int i = 0; i < 1000; ++i) {
    std::string u = NewUuid();
    ASSERT_EQ(u.size(), 36u) << u;
    for (size_t j = 0; j < u.size(); ++j) {
      if (j == 8 || j == 13 || j == 18 || j == 23) {
        ASSERT_EQ(u[j], '-') << u;
      } else {
        ASSERT_TRUE((u[j] >= '0' && u[j] <= '9') || (u[j] >= 'a' && u[j] <= 'f')) << u;
      }
    }
    EXPECT_EQ(u[14], '4') << u;
    EXPECT_NE(std::string("89ab").find(u[19]), std::string::npos) << u;
  }
}

TEST(Uuid, DoNotRepeatAcrossThreads) {
  std::vector<std::vector<std::string>> made(4);
  std::vector<std::thread> threads;
  for (auto& out : made) {
    threads.emplace_back([&out] {
      for (int i = 0; i < 20000; ++i) out.push_back(NewUuid());
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> all;
  for (const auto& out : made) all.insert(out.begin(), out.end());
  EXPECT_EQ(all.size(), 80000u);
}

TEST(Hex, PadsAndKeepsTheLowDigits) {
  EXPECT_EQ(Hex(0x2a, 4), "002a");
  EXPECT_EQ(Hex(0xdeadbeefcafef00dULL, 16), "deadbeefcafef00d");
  EXPECT_EQ(Hex(0xdeadbeefcafef00dULL, 8), "cafef00d");
}

TEST(Hex, RandomHexHasTheLengthAsked) {
  for (int digits : {0, 1, 8, 16, 17, 32, 40}) {
    std::string h = RandomHex(digits);
    ASSERT_EQ(h.size(), static_cast<size_t>(digits));
    for (char c : h) ASSERT_TRUE((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')) << h;
  }
  EXPECT_NE(RandomHex(32), RandomHex(32));
}

}  // namespace
}  // namespace stepfn
