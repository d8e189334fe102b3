#include "engine/mock_config.h"

#include <gtest/gtest.h>

#include "asl/program.h"
#include "engine/local_runner.h"
#include "json/parse.h"
#include "json/write.h"

namespace stepfn::engine {
namespace {

json::Value J(std::string_view s) {
  auto r = json::Parse(s);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : json::Value();
}

constexpr std::string_view kMocks = R"({
  "StateMachines": {"Orders": {"TestCases": {
    "HappyPath": {"Charge": "ChargeOk"},
    "FlakyCharge": {"Charge": "ChargeFlaky"}}}},
  "MockedResponses": {
    "ChargeOk": {"0": {"Return": {"charged": true}}},
    "ChargeFlaky": {
      "0-1": {"Throw": {"Error": "Lambda.TooManyRequestsException", "Cause": "slow down"}},
      "2": {"Return": {"charged": "late"}}}}})";

TEST(MockConfig, AttemptsAndRanges) {
  auto mc = MockConfig::FromJson(J(kMocks));
  ASSERT_TRUE(mc.ok()) << mc.status().ToString();
  EXPECT_TRUE(mc->HasTestCase("Orders", "FlakyCharge"));
  EXPECT_FALSE(mc->HasTestCase("Orders", "Nope"));
  EXPECT_EQ(mc->SoleMachine(), "Orders");
  const MockedAnswer* a0 = mc->Find("Orders", "FlakyCharge", "Charge", 0);
  const MockedAnswer* a1 = mc->Find("Orders", "FlakyCharge", "Charge", 1);
  const MockedAnswer* a2 = mc->Find("Orders", "FlakyCharge", "Charge", 2);
  const MockedAnswer* a9 = mc->Find("Orders", "FlakyCharge", "Charge", 9);
  ASSERT_TRUE(a0 && a1 && a2 && a9);
  EXPECT_TRUE(a0->is_throw);
  EXPECT_EQ(a1->error.error, "Lambda.TooManyRequestsException");
  EXPECT_FALSE(a2->is_throw);
  EXPECT_EQ(json::Write(a2->result), R"({"charged":"late"})");
  EXPECT_EQ(a9, a2);  // past the last attempt given, the last one repeats
  EXPECT_EQ(mc->Find("Orders", "HappyPath", "Ship", 0), nullptr);
}

TEST(MockConfig, ErrorsNameTheKey) {
  auto bad_range = MockConfig::FromJson(J(R"({"StateMachines":{},
      "MockedResponses":{"R":{"0-x":{"Return":1}}}})"));
  ASSERT_FALSE(bad_range.ok());
  EXPECT_NE(bad_range.status().message().find("MockedResponses.R.0-x"), std::string::npos);
  auto both = MockConfig::FromJson(J(R"({"StateMachines":{},
      "MockedResponses":{"R":{"0":{"Return":1,"Throw":{"Error":"E"}}}}})"));
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.status().message().find("exactly one of Return or Throw"), std::string::npos);
  auto dangling =
      MockConfig::FromJson(J(R"({"StateMachines":{"M":{"TestCases":{"C":{"S":"Missing"}}}},
      "MockedResponses":{}})"));
  ASSERT_FALSE(dangling.ok());
  EXPECT_NE(dangling.status().message().find("no MockedResponses entry named 'Missing'"),
            std::string::npos);
}

// A workflow unit-tested the way users do it: the mocked Task fails twice, Retry absorbs it.
TEST(MockConfig, DrivesRetriesInARun) {
  auto mc = MockConfig::FromJson(J(kMocks));
  ASSERT_TRUE(mc.ok());
  auto program = CompileDefinition(J(R"({"StartAt":"Charge","States":{"Charge":{
      "Type":"Task","Resource":"arn:aws:states:::lambda:invoke",
      "Retry":[{"ErrorEquals":["Lambda.TooManyRequestsException"],"MaxAttempts":3}],
      "End":true}}})"));
  ASSERT_TRUE(program.ok()) << program.status().ToString();
  RunOptions options;
  options.mocks = &*mc;
  options.state_machine_name = "Orders";
  options.test_case = "FlakyCharge";
  options.time_scale = 0;
  auto r = RunLocal(**program, J("{}"), options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, "SUCCEEDED");
  EXPECT_EQ(json::Write(r->output), R"({"charged":"late"})");
  int failed = 0;
  for (const auto& e : r->history) failed += e.type == eval::EventType::TaskFailed;
  EXPECT_EQ(failed, 2);

  options.test_case = "NoSuchCase";
  EXPECT_FALSE(RunLocal(**program, J("{}"), options).ok());
}

}  // namespace
}  // namespace stepfn::engine
