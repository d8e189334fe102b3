#include "server/service.h"

namespace stepfn::server {

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
