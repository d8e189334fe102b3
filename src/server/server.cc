#include "server/server.h"

#include "server/log.h"
#include "services/lambda/lambda_task.h"
#include "services/lambda/rest_api.h"
#include "services/logs/logs_api.h"
#include "store/memory_store.h"
#include "store/sqlite_store.h"

namespace stepfn::server {

bool IsLoopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

Result<std::unique_ptr<Server>> Server::Start(const ServerOptions& options) {
  if (!IsLoopback(options.host) && options.auth_file.empty() &&
      !options.allow_unauthenticated_remote) {
    return InvalidArgument("serving " + options.host +
                           " (not a loopback address) without --auth would let anyone on the "
                           "network run state machines; give --auth FILE, or "
                           "--allow-unauthenticated-remote if that is what you want");
  }
  std::unique_ptr<Server> s(new Server());
  s->options_ = options;
  if (!options.auth_file.empty()) {
    ASSIGN_OR_RETURN(s->credentials_, api::Credentials::LoadFile(options.auth_file));
  }
  if (!options.mock_config.empty()) {
    ASSIGN_OR_RETURN(engine::MockConfig mocks, engine::MockConfig::Load(options.mock_config));
    s->mocks_ = std::make_unique<engine::MockConfig>(std::move(mocks));
  }
  if (options.data_dir.empty()) {
    s->store_ = std::make_unique<store::MemoryStore>();
  } else {
    store::SqliteOptions sqlite;
    sqlite.data_dir = options.data_dir;
    sqlite.sync =
        options.fsync ? store::SqliteOptions::Sync::Full : store::SqliteOptions::Sync::Off;
    ASSIGN_OR_RETURN(s->store_, store::SqliteStore::Open(sqlite));
  }
  // Lambda: functions in <data-dir>/lambda (or a temporary directory), invoked by the execution
  // environments, which start once the HTTP port is known (below).
  lambda::FunctionStoreOptions functions;
  if (!options.data_dir.empty()) functions.dir = options.data_dir + "/lambda";
  functions.fsync = options.fsync;
  ASSIGN_OR_RETURN(s->functions_, lambda::FunctionStore::Open(functions));
  s->lambda_ = std::make_unique<lambda::LambdaService>(
      s->functions_.get(), &s->lambda_runner_,
      lambda::LambdaServiceOptions{options.config.region, options.config.account,
                                   options.time_scale});
  s->task_services_.Add(std::make_unique<lambda::LambdaTaskService>(s->lambda_.get()));

  ExecutorOptions exec;
  exec.workers = options.workers;
  exec.idle_spin = options.idle_spin;
  if (options.time_scale < 0) return InvalidArgument("--time-scale must be 0 or more");
  exec.time_scale = options.time_scale;
  s->executor_ = std::make_unique<Executor>(s->store_.get(), &s->clock_, s->mocks_.get(), exec);
  // The task services, one list (ARCHITECTURE.md §2.8): each runs the Task states of its
  // resources (services/task_service.h). Registered before Recover re-issues tasks in flight.
  s->executor_->SetTaskServices(&s->task_services_);
  ObservabilityOptions observability;
  observability.otlp_endpoint = options.otlp_endpoint;
  if (!options.data_dir.empty()) observability.logs.data_dir = options.data_dir + "/logs";
  ASSIGN_OR_RETURN(s->observability_, Observability::Create(observability, s->store_.get(),
                                                            s->executor_.get(), &s->clock_));
  RETURN_IF_ERROR(s->executor_->Recover());

  s->context_.config = options.config;
  s->context_.arns = Arns(options.config.region, options.config.account);
  s->context_.store = s->store_.get();
  s->context_.clock = &s->clock_;
  s->context_.executor = s->executor_.get();
  s->context_.mocks = s->mocks_.get();
  s->context_.lambda = s->lambda_.get();
  s->protocol_ =
      std::make_unique<api::AwsJsonProtocol>(api::AwsJsonOptions{}, &s->credentials_, &s->clock_);
  RegisterAllOperations(&s->context_, s->protocol_.get());
  // Step Functions answers whatever no other service claims (as it did alone).
  s->services_ = std::make_unique<api::ServiceDispatcher>(s->protocol_.get());
  s->services_->AddJson(s->protocol_.get());
  // Lambda (restJson1, SigV4 service "lambda") on the same port.
  s->lambda_protocol_ =
      std::make_unique<api::RestJsonProtocol>(api::RestJsonOptions{}, &s->credentials_, &s->clock_);
  RETURN_IF_ERROR(lambda::RegisterLambdaApi(s->lambda_.get(), s->lambda_protocol_.get()));
  s->services_->AddRest(s->lambda_protocol_.get());
  s->logs_protocol_ = std::make_unique<api::AwsJsonProtocol>(logs::LogsProtocolOptions(),
                                                             &s->credentials_, &s->clock_);
  logs::RegisterLogsOperations(s->log_store(),
                               {options.config.region, options.config.account, &s->clock_},
                               s->logs_protocol_.get());
  s->services_->AddJson(s->logs_protocol_.get());

  (void)api::RaiseOpenFileLimit();
  api::HttpServerOptions http;
  http.host = options.host;
  http.port = options.port;
  http.threads = options.http_threads;
  http.idle_spin = options.idle_spin;
  ASSIGN_OR_RETURN(
      s->http_, api::HttpServer::Start(http, s->observability_->Front(s->services_.get(),
                                                                      !options.auth_file.empty())));
  lambda::EnvironmentsOptions environments;
  environments.work_dir = s->functions_->dir() + "/work";
  environments.host = IsLoopback(options.host) ? options.host : "127.0.0.1";
  environments.max_workers = options.lambda_max_workers;
  environments.idle_spin = options.idle_spin;
  environments.endpoint_url = s->endpoint();
  environments.log = [logs = s->log_store()](const std::string& group, const std::string& stream,
                                             std::vector<lambda::LogLine> lines) {
    std::vector<logs::InputLogEvent> events;
    events.reserve(lines.size());
    for (lambda::LogLine& line : lines) {
      events.push_back({line.timestamp_ms, std::move(line.message)});
    }
    logs->Append(group, stream, std::move(events)).IgnoreError();  // best effort, as AWS's
  };
  ASSIGN_OR_RETURN(s->environments_, lambda::Environments::Start(environments));
  s->lambda_runner_.Attach(s->environments_.get());
  Log(LogLevel::Info, "serving", {{"endpoint", s->endpoint()}, {"data_dir", options.data_dir}});
  return s;
}

Server::~Server() { Stop(); }

uint16_t Server::port() const { return http_ ? http_->port() : 0; }

std::string Server::endpoint() const {
  std::string host =
      options_.host.find(':') != std::string::npos ? "[" + options_.host + "]" : options_.host;
  return "http://" + host + ":" + std::to_string(port());
}

void Server::Stop() {
  if (http_) http_->Stop();
  if (executor_) executor_->Stop();
  // After the executor: invocations failed by the stop are not committed as task failures.
  lambda_runner_.Detach();
  if (environments_) environments_->Stop();
  if (observability_) observability_->Stop();
}

}  // namespace stepfn::server
