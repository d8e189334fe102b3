#include "services/models/mock_validation.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "json/parse.h"

namespace stepfn::models {
namespace {

namespace fs = std::filesystem;

// A model of our own, in botocore's format, with one operation whose output uses every kind of
// shape the check knows.
constexpr const char* kModel = R"({
  "metadata": {"apiVersion": "2020-01-01"},
  "operations": {
    "DoThing": {"name": "DoThing", "output": {"shape": "DoThingOutput"}}
  },
  "shapes": {
    "DoThingOutput": {"type": "structure", "required": ["thingArn", "Count"],
      "members": {
        "thingArn": {"shape": "Arn"},
        "Count": {"shape": "Count"},
        "Ratio": {"shape": "Double"},
        "Color": {"shape": "Color"},
        "Blob": {"shape": "Blob"},
        "When": {"shape": "Time"},
        "Done": {"shape": "Bool"},
        "Items": {"shape": "ItemList"},
        "Tags": {"shape": "TagMap"}
      }},
    "Arn": {"type": "string", "min": 1, "max": 20},
    "Count": {"type": "integer", "min": 1, "max": 10},
    "Double": {"type": "double"},
    "Color": {"type": "string", "enum": ["RED", "BLUE"]},
    "Blob": {"type": "blob", "min": 1},
    "Time": {"type": "timestamp"},
    "Bool": {"type": "boolean"},
    "ItemList": {"type": "list", "member": {"shape": "Item"}, "max": 2},
    "Item": {"type": "structure", "required": ["Id"], "members": {"Id": {"shape": "Arn"}}},
    "TagMap": {"type": "map", "key": {"shape": "Arn"}, "value": {"shape": "Arn"}}
  }
})";

class MockValidationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("stepfn-models-" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "-" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_ / "thing" / "2019-01-01");
    fs::create_directories(dir_ / "thing" / "2020-01-01");
    std::ofstream(dir_ / "thing" / "2019-01-01" / "service-2.json") << R"({"operations": {}})";
    std::ofstream(dir_ / "thing" / "2020-01-01" / "service-2.json") << kModel;
    models_ = std::make_unique<ServiceModels>(dir_.string());
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::optional<std::string> Check(const std::string& result,
                                   FieldValidation mode = FieldValidation::kStrict) {
    auto parsed = json::Parse(result);
    EXPECT_TRUE(parsed.ok()) << result;
    return ValidateMockResult(*models_, "arn:aws:states:::aws-sdk:thing:doThing", *parsed, mode);
  }

  fs::path dir_;
  std::unique_ptr<ServiceModels> models_;
};

constexpr const char* kPrefix = "Mock result schema validation error: ";

TEST_F(MockValidationTest, AConformingResultPasses) {
  EXPECT_EQ(Check(R"({"ThingArn": "a", "Count": 3, "Ratio": 0.5, "Color": "RED", "Blob": "eA==",
                      "When": "2025-01-01T00:00:00Z", "Done": true, "Items": [{"Id": "x"}],
                      "Tags": {"k": "v"}, "NotInTheModel": [1, 2]})"),
            std::nullopt);
}

TEST_F(MockValidationTest, EachRuleSaysWhichFieldAndWhy) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"ThingArn": 5, "Count": 1})", "Field 'ThingArn' must be a string"},
      {R"({"ThingArn": "", "Count": 1})", "Field 'ThingArn' is smaller than the minimum length"},
      {R"({"ThingArn": "123456789012345678901", "Count": 1})",
       "Field 'ThingArn' exceeds the maximum length"},
      {R"({"ThingArn": "a", "Count": "1"})", "Field 'Count' must be a number"},
      {R"({"ThingArn": "a", "Count": 0})", "Field 'Count' is less than the minimum value"},
      {R"({"ThingArn": "a", "Count": 11})", "Field 'Count' exceeds the maximum value"},
      {R"({"ThingArn": "a", "Count": 1, "Color": "GREEN"})",
       "Field 'Color' is not an expected value"},
      {R"({"ThingArn": "a", "Count": 1, "Blob": 7})", "Field 'Blob' must be a string"},
      {R"({"ThingArn": "a", "Count": 1, "Blob": ""})",
       "Field 'Blob' is smaller than the minimum length"},
      {R"({"ThingArn": "a", "Count": 1, "When": 1764103483})", "Field 'When' must be a string"},
      {R"({"ThingArn": "a", "Count": 1, "Done": "yes"})", "Field 'Done' must be a boolean"},
      {R"({"ThingArn": "a", "Count": 1, "Items": {}})", "Field 'Items' must be an array"},
      {R"({"ThingArn": "a", "Count": 1, "Items": [{}, {}, {}]})",
       "Field 'Items' exceeds the maximum length"},
      {R"({"ThingArn": "a", "Count": 1, "Items": [{"Id": "x"}, {"Id": 2}]})",
       "Field 'Id' must be a string"},
      {R"({"ThingArn": "a", "Count": 1, "Items": [{}]})", "Required field 'Id' is missing"},
      {R"({"ThingArn": "a", "Count": 1, "Tags": {"k": 1}})", "Field 'k' must be a string"},
      {R"({"Count": 1})", "Required field 'ThingArn' is missing"},
  };
  for (const auto& [result, message] : cases) {
    EXPECT_EQ(Check(result), std::string(kPrefix) + message) << result;
  }
}

TEST_F(MockValidationTest, PresentChecksOnlyWhatIsThereAndNoneNothing) {
  EXPECT_EQ(Check(R"({})", FieldValidation::kPresent), std::nullopt);
  EXPECT_EQ(Check(R"({"Items": [{}]})", FieldValidation::kPresent), std::nullopt);
  EXPECT_EQ(Check(R"({"Count": "1"})", FieldValidation::kPresent),
            std::string(kPrefix) + "Field 'Count' must be a number");
  EXPECT_EQ(Check(R"({"Count": "1"})", FieldValidation::kNone), std::nullopt);
}

TEST_F(MockValidationTest, ResourcesWithoutAModelAreNotChecked) {
  auto bad = json::Parse(R"({"Count": "1"})");
  ASSERT_TRUE(bad.ok());
  for (const char* resource :
       {"arn:aws:states:::aws-sdk:thing:doOtherThing", "arn:aws:states:::aws-sdk:nothing:doThing",
        "arn:aws:states:::aws-sdk:thing:doThing.waitForTaskToken",
        "arn:aws:lambda:us-east-1:123456789012:function:f", "arn:aws:states:::http:invoke",
        "arn:aws:states:::aws-sdk:../thing:doThing"}) {
    EXPECT_EQ(ValidateMockResult(*models_, resource, *bad, FieldValidation::kStrict), std::nullopt)
        << resource;
  }
}

TEST(OperationOfResource, MapsStepFunctionsNamesToBotocoresAndActionsToOperations) {
  auto op = OperationOfResource("arn:aws:states:::lambda:invoke");
  ASSERT_TRUE(op);
  EXPECT_EQ(op->service, "lambda");
  EXPECT_EQ(op->operation, "Invoke");
  op = OperationOfResource("arn:aws:states:::aws-sdk:sfn:startExecution");
  ASSERT_TRUE(op);
  EXPECT_EQ(op->service, "stepfunctions");
  EXPECT_EQ(op->operation, "StartExecution");
  op = OperationOfResource("arn:aws:states:::states:startExecution");
  ASSERT_TRUE(op);
  EXPECT_EQ(op->service, "stepfunctions");
  EXPECT_FALSE(OperationOfResource("arn:aws:states:::states:startExecution.sync:2"));
}

// With botocore's own models, when this machine has them (setup installs Debian's
// python3-botocore): a Lambda Invoke result's StatusCode is an integer.
TEST(BotocoreModels, LambdaInvokeStatusCodeMustBeANumber) {
  ServiceModels& models = ServiceModels::Default();
  if (models.data_dir().empty()) GTEST_SKIP() << "no botocore data on this machine";
  auto bad = json::Parse(R"({"StatusCode": "200"})");
  auto good = json::Parse(R"({"StatusCode": 200, "Payload": "x", "SdkHttpMetadata": {}})");
  ASSERT_TRUE(bad.ok() && good.ok());
  EXPECT_EQ(
      ValidateMockResult(models, "arn:aws:states:::lambda:invoke", *bad, FieldValidation::kStrict),
      std::string(kPrefix) + "Field 'StatusCode' must be a number");
  EXPECT_EQ(
      ValidateMockResult(models, "arn:aws:states:::lambda:invoke", *good, FieldValidation::kStrict),
      std::nullopt);
}

}  // namespace
}  // namespace stepfn::models
