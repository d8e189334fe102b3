#include "server/service.h"

namespace stepfn::server {

void RegisterSyncOperations(ServiceContext* ctx, api::AwsJsonProtocol* protocol,
                            std::initializer_list<std::pair<const char*, SyncOperationFn>> ops) {
  for (const auto& [name, op] : ops) {
    protocol->RegisterSync(
        name, [ctx, op = op](const api::OperationRequest& request) { return op(ctx, request); });
  }
}

void RegisterAsyncOperations(ServiceContext* ctx, api::AwsJsonProtocol* protocol,
                             std::initializer_list<std::pair<const char*, AsyncOperationFn>> ops) {
  for (const auto& [name, op] : ops) {
    protocol->Register(
        name, [ctx, op = op](api::OperationRequest request, api::OperationResponder responder) {
          op(ctx, std::move(request), std::move(responder));
        });
  }
}

void RegisterAllOperations(ServiceContext* ctx, api::AwsJsonProtocol* protocol) {
  RegisterStateMachineOperations(ctx, protocol);
  RegisterActivityOperations(ctx, protocol);
  RegisterTagOperations(ctx, protocol);
  RegisterExecutionOperations(ctx, protocol);
  RegisterTaskOperations(ctx, protocol);
  RegisterMapRunOperations(ctx, protocol);
  RegisterTestStateOperation(ctx, protocol);
}

}  // namespace stepfn::server
