#include "services/lambda/rest_api.h"

#include <memory>
#include <utility>

#include "services/lambda/operations.h"

namespace stepfn::lambda {
namespace {

ApiRequest FromRest(api::RestRequest request) {
  ApiRequest out;
  out.labels = std::move(request.labels);
  out.query = std::move(request.query);
  out.headers = std::move(request.headers);
  out.body = std::move(request.body);
  out.request_id = std::move(request.request_id);
  return out;
}

api::AwsOr<api::RestResponse> ToRest(ApiOutcome outcome) {
  if (auto* error = std::get_if<api::AwsError>(&outcome)) return std::move(*error);
  ApiResponse& response = std::get<ApiResponse>(outcome);
  api::RestResponse out;
  out.status = response.status;
  out.headers = std::move(response.headers);
  out.body = std::move(response.body);
  out.content_type = std::move(response.content_type);
  return out;
}

}  // namespace

Status RegisterLambdaApi(LambdaService* service, api::RestJsonProtocol* protocol) {
  for (const ApiOperation& op : LambdaApiOperations()) {
    api::RestRouteOptions route;
    route.max_body_bytes = op.max_body_bytes;
    if (op.sync != nullptr && op.blocking) {
      SyncApiOperation fn = op.sync;
      RETURN_IF_ERROR(protocol->Register(
          op.name, op.method, op.path,
          [service, fn](api::RestRequest request, api::RestResponder responder) {
            auto shared = std::make_shared<std::pair<api::RestRequest, api::RestResponder>>(
                std::move(request), std::move(responder));
            service->PostBlocking([service, fn, shared] {
              shared->second.Finish(ToRest(fn(service, FromRest(std::move(shared->first)))));
            });
          },
          route));
    } else if (op.sync != nullptr) {
      SyncApiOperation fn = op.sync;
      RETURN_IF_ERROR(protocol->RegisterSync(
          op.name, op.method, op.path,
          [service, fn](const api::RestRequest& request) {
            return ToRest(fn(service, FromRest(request)));
          },
          route));
    } else {
      AsyncApiOperation fn = op.async;
      RETURN_IF_ERROR(protocol->Register(
          op.name, op.method, op.path,
          [service, fn](api::RestRequest request, api::RestResponder responder) {
            auto out = std::make_shared<api::RestResponder>(std::move(responder));
            fn(service, FromRest(std::move(request)),
               [out](ApiOutcome outcome) { out->Finish(ToRest(std::move(outcome))); });
          },
          route));
    }
  }
  return Status::Ok();
}

}  // namespace stepfn::lambda
