// The Lambda API's resource-based policy and tag operations (operations_policy.cc), listed in
// LambdaApiOperations with the others.
#pragma once

#include "services/lambda/operations.h"

namespace stepfn::lambda::ops {

ApiOutcome AddPermission(LambdaService* service, const ApiRequest& request);
ApiOutcome GetPolicy(LambdaService* service, const ApiRequest& request);
ApiOutcome RemovePermission(LambdaService* service, const ApiRequest& request);
ApiOutcome TagResource(LambdaService* service, const ApiRequest& request);
ApiOutcome UntagResource(LambdaService* service, const ApiRequest& request);
ApiOutcome ListTags(LambdaService* service, const ApiRequest& request);

}  // namespace stepfn::lambda::ops
