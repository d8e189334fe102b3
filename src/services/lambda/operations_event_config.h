// The Lambda API's event invoke configuration operations (operations_event_config.cc), listed in
// LambdaApiOperations with the others.
#pragma once

#include "services/lambda/operations.h"

namespace stepfn::lambda::ops {

ApiOutcome PutFunctionEventInvokeConfig(LambdaService* service, const ApiRequest& request);
ApiOutcome UpdateFunctionEventInvokeConfig(LambdaService* service, const ApiRequest& request);
ApiOutcome GetFunctionEventInvokeConfig(LambdaService* service, const ApiRequest& request);
ApiOutcome DeleteFunctionEventInvokeConfig(LambdaService* service, const ApiRequest& request);
ApiOutcome ListFunctionEventInvokeConfigs(LambdaService* service, const ApiRequest& request);

}  // namespace stepfn::lambda::ops
