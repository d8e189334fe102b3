// The Lambda API on a restJson1 protocol handler: every operation of operations.h registered
// under its method and path (api/rest_json.h), with its body limit (CreateFunction and
// UpdateFunctionCode take a 50 MB zip, base64 inside JSON).
//
//   api::RestJsonProtocol protocol({.service_name = "Lambda", .signing_service = "lambda"}, ...);
//   RETURN_IF_ERROR(lambda::RegisterLambdaApi(&service, &protocol));
//
// Thread safety: register before serving; the operations are thread-safe.
#pragma once

#include "api/rest_json.h"
#include "common/status.h"
#include "services/lambda/lambda_service.h"

namespace stepfn::lambda {

// `service` must outlive the protocol's use of it.
Status RegisterLambdaApi(LambdaService* service, api::RestJsonProtocol* protocol);

}  // namespace stepfn::lambda
