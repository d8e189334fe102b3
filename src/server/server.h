// Server: the whole Step Functions service in one object, as `stepfn serve` runs it: a SQLite
// store in a data directory (or memory), the executor (recovering what was running), every API
// operation, and the HTTP server.
//
// Thread safety: Start, port and Stop from one thread; the service itself is multi-threaded.
#pragma once

#include <memory>
#include <string>

#include "api/aws_json.h"
#include "api/dispatcher.h"
#include "api/http_server.h"
#include "api/rest_json.h"
#include "api/sigv4.h"
#include "common/clock.h"
#include "common/idle_spin.h"
#include "common/status.h"
#include "engine/mock_config.h"
#include "server/executor.h"
#include "server/observability.h"
#include "server/service.h"
#include "services/lambda/environments.h"
#include "services/lambda/function_store.h"
#include "services/lambda/lambda_service.h"
#include "services/task_service.h"
#include "store/store.h"

namespace stepfn::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8083;  // the port of AWS's retired local emulator; 0 picks a free one
  // SQLite files live here; "" keeps everything in memory (nothing survives a restart).
  std::string data_dir;
  bool fsync = true;
  // Access keys allowed (api::Credentials::LoadFile); "" accepts any key (loopback only).
  std::string auth_file;
  // Serving a non-loopback address without --auth needs this said out loud.
  bool allow_unauthenticated_remote = false;
  // AWS Step Functions Local's mock configuration ("" for none).
  std::string mock_config;
  ServerConfig config;
  int http_threads = 0;     // 0: one per core
  int workers = 0;          // executor workers; 0: one per core
  double time_scale = 1.0;  // see ExecutorOptions::time_scale
  // An OTLP/HTTP collector ("http://127.0.0.1:4318") to export traces of state machines with
  // tracing enabled; "" for none.
  std::string otlp_endpoint;
  // Lambda: worker processes of all functions together (0: Environments' default).
  int lambda_max_workers = 0;
  // How long an idle thread (event loop, executor worker) polls before it sleeps
  // (common/idle_spin.h); 0 sleeps at once.
  std::chrono::microseconds idle_spin = kDefaultIdleSpin;
};

class Server {
 public:
  static Result<std::unique_ptr<Server>> Start(const ServerOptions& options);
  ~Server();  // Stop()

  uint16_t port() const;
  std::string endpoint() const;  // "http://127.0.0.1:8083"
  ServiceContext* context() { return &context_; }
  Executor* executor() { return executor_.get(); }
  Observability* observability() { return observability_.get(); }
  // Lambda functions (store, invocations); services/lambda/README.md.
  lambda::LambdaService* lambda() { return lambda_.get(); }
  // Every AWS service on the server's port (Step Functions, and the services added in Start).
  api::ServiceDispatcher* services() { return services_.get(); }
  // CloudWatch Logs' data: execution logs, Lambda functions' logs, whatever clients put
  // (services/logs/README.md).
  logs::LogStore* log_store() { return observability_->logs(); }
  // Stops accepting requests, lets the ones in flight finish, stops the executor. Running
  // executions stay RUNNING in the store and continue after the next Start.
  void Stop();

 private:
  Server() = default;
  ServerOptions options_;
  SystemClock clock_;
  std::unique_ptr<store::Store> store_;
  std::unique_ptr<engine::MockConfig> mocks_;
  // Lambda, declared before the executor (whose tasks invoke functions) so that it outlives it.
  std::unique_ptr<lambda::FunctionStore> functions_;
  lambda::EnvironmentsRunner lambda_runner_;
  std::unique_ptr<lambda::Environments> environments_;
  std::unique_ptr<lambda::LambdaService> lambda_;
  api::Credentials credentials_ = api::Credentials::AllowAll();
  std::unique_ptr<Observability> observability_;  // outlives the executor (its observers)
  services::TaskServices task_services_;          // outlives the executor (it runs tasks)
  std::unique_ptr<Executor> executor_;
  ServiceContext context_;
  std::unique_ptr<api::AwsJsonProtocol> protocol_;
  std::unique_ptr<api::RestJsonProtocol> lambda_protocol_;  // the Lambda API
  std::unique_ptr<api::AwsJsonProtocol> logs_protocol_;     // CloudWatch Logs
  // Declared after every protocol it serves (destroyed before them).
  std::unique_ptr<api::ServiceDispatcher> services_;
  std::unique_ptr<api::HttpServer> http_;
};

// True for 127.0.0.0/8, ::1 and "localhost".
bool IsLoopback(const std::string& host);

}  // namespace stepfn::server
