// CreateStateMachine ... ValidateStateMachineDefinition, driven with real clients (boto3, the aws
// CLI, the JS SDK) against a TestServer (testing.h). Scripts are in testdata/.
#include <gtest/gtest.h>

#include "server/testing.h"

namespace stepfn::server {
namespace {

using namespace testing;

TEST(Harness, ServesBoto3OverBothStores) {
  if (!HasBoto3()) GTEST_SKIP() << "boto3 is not installed";
  for (StoreKind kind : {StoreKind::Memory, StoreKind::Sqlite}) {
    TestServer server({.store = kind});
    ScriptResult out = RunPythonScript(TestdataPath("harness_boto3.py"), server.endpoint());
    ASSERT_TRUE(out.ok()) << out.output;
    EXPECT_NE(At(out.json, {"list_activities"}), nullptr) << out.output;
    EXPECT_NE(StrAt(out.json, {"unknown", "code"}), "<missing>") << out.output;
  }
}

}  // namespace
}  // namespace stepfn::server
