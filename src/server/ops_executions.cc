#include "server/service.h"

namespace stepfn::server {

// Not written yet: the operations answer UnknownOperationException until they are.
void RegisterExecutionOperations(ServiceContext* /*ctx*/, api::AwsJsonProtocol* /*protocol*/) {}

}  // namespace stepfn::server
