// TestState's mock validation: a mocked Task result checked against the output shape of the
// operation the Task's Resource calls, as MockInput.fieldValidationMode asks:
// - STRICT (the default): every required field is present and every present field conforms;
// - PRESENT: every present field conforms;
// - NONE: nothing is checked.
// Fields the model does not name are not checked (AWS accepts them too). Member names are
// compared as Step Functions writes them, first letter upper-case ("ExecutionArn" for
// StartExecution's executionArn).
//
// Not checked, for want of a model that describes the result: a Lambda function ARN as the
// Resource (its result is the function's own payload), activities, `.sync` and
// `.waitForTaskToken` integrations (the result is what the job or the token's sender gives),
// HTTP Tasks, and services or operations botocore's data does not have.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "json/value.h"
#include "services/models/service_models.h"

namespace stepfn::models {

enum class FieldValidation { kStrict, kPresent, kNone };

// The botocore service and operation a Task Resource calls ("arn:aws:states:::lambda:invoke"
// -> lambda, Invoke; "arn:aws:states:::aws-sdk:sfn:startExecution" -> stepfunctions,
// StartExecution); nullopt when the Resource's result has no model (see above).
struct ModelOperation {
  std::string service;
  std::string operation;
};
std::optional<ModelOperation> OperationOfResource(std::string_view resource);

// The first way `result` breaks the output shape of the Resource's operation, in AWS's words
// ("Mock result schema validation error: Field 'StatusCode' must be a number"); nullopt when it
// conforms or there is nothing to check it against.
std::optional<std::string> ValidateMockResult(ServiceModels& models, std::string_view resource,
                                              const json::Value& result, FieldValidation mode);

// ValidateMockResult over ServiceModels::Default(), with the mode as TestState's request spells
// it ("STRICT", "PRESENT", "NONE"; anything else is STRICT, the default): what the server and
// the conformance runner give engine::TestStateEnvironment::check_mock_result.
std::optional<std::string> CheckMockResult(std::string_view resource, const json::Value& result,
                                           std::string_view mode);

}  // namespace stepfn::models
