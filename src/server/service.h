// The AWS Step Functions API: every operation of the stepfunctions service model, registered
// on an api::AwsJsonProtocol. Operations are grouped one file per resource (ops_*.cc); each
// group has a Register function below. They share a ServiceContext.
//
// Thread safety: operations run on the HTTP server's threads, several at once. The context's
// members are thread-safe (the Store, the Clock, the Executor) or constant (config, arns).
#pragma once

#include <initializer_list>
#include <memory>
#include <string>
#include <utility>

#include "api/aws_json.h"
#include "common/clock.h"
#include "server/arn.h"
#include "store/store.h"

namespace stepfn::engine {
class MockConfig;
}
namespace stepfn::lambda {
class Invoker;
}

namespace stepfn::server {

class Executor;

struct ServerConfig {
  std::string region = "us-east-1";
  std::string account = "123456789012";
};

struct ServiceContext {
  ServerConfig config;
  Arns arns{config.region, config.account};
  // State machines, versions, aliases, activities, tags and STANDARD executions (durable).
  store::Store* store = nullptr;
  Clock* clock = nullptr;
  // Runs executions (STANDARD on `store`, EXPRESS in memory). May be null in tests of the
  // operations that need none.
  Executor* executor = nullptr;
  // AWS Step Functions Local's mock configuration (SFN_MOCK_CONFIG), or null.
  const engine::MockConfig* mocks = nullptr;
  // Lambda invocations (the LambdaService), for Task states; null when Lambda is not served.
  lambda::Invoker* lambda = nullptr;
};

// State machines, versions and aliases; ValidateStateMachineDefinition (ops_state_machines.cc).
void RegisterStateMachineOperations(ServiceContext* ctx, api::AwsJsonProtocol* protocol);
// Activities (ops_activities.cc).
void RegisterActivityOperations(ServiceContext* ctx, api::AwsJsonProtocol* protocol);
// TagResource, UntagResource, ListTagsForResource (ops_tags.cc).
void RegisterTagOperations(ServiceContext* ctx, api::AwsJsonProtocol* protocol);
// Executions: Start, StartSync, Stop, Describe, List, GetExecutionHistory, Redrive,
// DescribeStateMachineForExecution (ops_executions.cc).
void RegisterExecutionOperations(ServiceContext* ctx, api::AwsJsonProtocol* protocol);
// Callbacks and activity workers: SendTaskSuccess/Failure/Heartbeat, GetActivityTask
// (ops_tasks.cc).
void RegisterTaskOperations(ServiceContext* ctx, api::AwsJsonProtocol* protocol);
// DescribeMapRun, ListMapRuns, UpdateMapRun (ops_map_runs.cc).
void RegisterMapRunOperations(ServiceContext* ctx, api::AwsJsonProtocol* protocol);
// TestState (ops_test_state.cc).
void RegisterTestStateOperation(ServiceContext* ctx, api::AwsJsonProtocol* protocol);

// Registration helpers for the groups: each operation is a function of the context.
using SyncOperationFn = api::AwsOr<json::Value> (*)(ServiceContext*, const api::OperationRequest&);
using AsyncOperationFn = void (*)(ServiceContext*, api::OperationRequest, api::OperationResponder);
void RegisterSyncOperations(ServiceContext* ctx, api::AwsJsonProtocol* protocol,
                            std::initializer_list<std::pair<const char*, SyncOperationFn>> ops);
void RegisterAsyncOperations(ServiceContext* ctx, api::AwsJsonProtocol* protocol,
                             std::initializer_list<std::pair<const char*, AsyncOperationFn>> ops);

// All of the above.
void RegisterAllOperations(ServiceContext* ctx, api::AwsJsonProtocol* protocol);

}  // namespace stepfn::server
