// Observability of `stepfn serve` in one object, so that the server wires it in a few lines:
// metrics (GET /metrics), execution logs (a LogStore, GET /logs), traces (OTLP/HTTP when an
// endpoint is given), request logs and the routing in front of the AWS protocol.
//
//   auto obs = Observability::Create(options, store, executor);  // before executor->Recover()
//   api::Handler* front = (*obs)->Front(services);               // give this to the HttpServer
//   ...
//   executor->Stop(); (*obs)->Stop();                             // flushes traces
//
// It is the protocol's RequestObserver: every answer is counted (stepfn_api_requests_total),
// logged at debug level (operation, status, latency, request id; server errors at error level,
// with the message), and a successful Create/Update/DeleteStateMachine refreshes the logging and
// tracing settings the observers read.
//
// Thread safety: Create, Front and Stop from one thread; the rest from any.
#pragma once

#include <memory>
#include <string>

#include "api/aws_json.h"
#include "api/dispatcher.h"
#include "api/router.h"
#include "server/execution_logs.h"
#include "server/executor.h"
#include "server/machine_settings.h"
#include "server/metrics.h"
#include "server/tracing.h"
#include "store/store.h"

namespace stepfn::server {

struct ObservabilityOptions {
  // The OTLP/HTTP collector's base URL ("" for no tracing).
  std::string otlp_endpoint;
  OtlpExporterOptions exporter;  // endpoint filled from otlp_endpoint
  TracerOptions tracer;
  ServerMetricsOptions metrics;
  LogStoreOptions logs;
  int64_t settings_ttl_millis = 5000;
};

class Observability final : public api::RequestObserver {
 public:
  // Registers the observers on `executor` (before it starts or recovers executions). `store`
  // holds the state machines. Both must outlive this object, which must outlive the executor's
  // threads (stop the executor first).
  static Result<std::unique_ptr<Observability>> Create(const ObservabilityOptions& options,
                                                       store::Store* store, Executor* executor,
                                                       Clock* clock);
  ~Observability() override;  // Stop()

  // Observes every protocol of `services` and returns the handler for the HttpServer: a router
  // that serves GET /metrics, GET /logs and GET /logs/<group>, and hands everything else to
  // `services`. With `loopback_only` (the server checks access keys: --auth), /metrics and
  // /logs answer only clients on this machine (they carry execution data but no signature);
  // others get 403.
  api::Handler* Front(api::ServiceDispatcher* services, bool loopback_only = false);

  void OnAnswered(const api::RequestSummary& summary) override;

  // Sends the traces still queued and stops the exporter. Idempotent.
  void Stop();

  ServerMetrics* metrics() { return &metrics_; }
  LogStore* logs() { return &logs_; }
  Tracer* tracer() { return tracer_.get(); }  // null without an OTLP endpoint
  MachineSettingsCache* settings() { return &settings_; }

 private:
  Observability(const ObservabilityOptions& options, store::Store* store, Clock* clock);

  ServerMetrics metrics_;
  LogStore logs_;
  MachineSettingsCache settings_;
  ExecutionLogger logger_;
  std::unique_ptr<OtlpExporter> exporter_;
  std::unique_ptr<Tracer> tracer_;
  std::unique_ptr<api::Router> router_;
};

}  // namespace stepfn::server
