#include "server/observability.h"

#include "server/log.h"
#include "store/sqlite_store.h"

namespace stepfn::server {

Observability::Observability(const ObservabilityOptions& options, store::Store* store, Clock* clock)
    : metrics_(options.metrics),
      logs_(clock, options.logs),
      settings_(store, options.settings_ttl_millis),
      logger_(&logs_, &settings_) {}

Observability::~Observability() { Stop(); }

Result<std::unique_ptr<Observability>> Observability::Create(const ObservabilityOptions& options,
                                                             store::Store* store,
                                                             Executor* executor, Clock* clock) {
  std::unique_ptr<Observability> o(new Observability(options, store, clock));
  RETURN_IF_ERROR(o->logs_.Recover());
  if (!options.otlp_endpoint.empty()) {
    OtlpExporterOptions exporter = options.exporter;
    exporter.endpoint = options.otlp_endpoint;
    ASSIGN_OR_RETURN(o->exporter_, OtlpExporter::Start(exporter));
    o->tracer_ = std::make_unique<Tracer>(&o->settings_, o->exporter_.get(), options.tracer);
  }

  MetricsRegistry& r = o->metrics_.registry();
  r.AddCallback("stepfn_executions_running",
                "Executions running in this process (STANDARD and EXPRESS).", MetricType::Gauge,
                [executor] { return static_cast<double>(executor->live_count()); });
  LogStore* logs = &o->logs_;
  r.AddCallback("stepfn_execution_log_events_evicted_total",
                "Execution log events dropped to keep log groups within their bounds.",
                MetricType::Counter,
                [logs] { return static_cast<double>(logs->evicted_events()); });
  if (auto* sqlite = dynamic_cast<store::SqliteStore*>(store)) {
    r.AddCallback("stepfn_store_transactions_total",
                  "SQLite transactions (group commits) committed or attempted.",
                  MetricType::Counter,
                  [sqlite] { return static_cast<double>(sqlite->stats().batches); });
    r.AddCallback("stepfn_store_writes_total", "Writes handled by the SQLite committer.",
                  MetricType::Counter,
                  [sqlite] { return static_cast<double>(sqlite->stats().writes); });
    r.AddCallback("stepfn_store_failed_transactions_total",
                  "SQLite transactions in which the storage failed (disk full, I/O error).",
                  MetricType::Counter,
                  [sqlite] { return static_cast<double>(sqlite->stats().failed_batches); });
  }
  if (OtlpExporter* e = o->exporter_.get()) {
    r.AddCallback("stepfn_trace_spans_exported_total", "Spans the OTLP collector accepted.",
                  MetricType::Counter, [e] { return static_cast<double>(e->exported_spans()); });
    r.AddCallback("stepfn_trace_spans_dropped_total",
                  "Spans dropped: the export queue was full, or the collector failed a request.",
                  MetricType::Counter, [e] {
                    return static_cast<double>(e->dropped_queue_full() + e->dropped_failed());
                  });
    r.AddCallback("stepfn_trace_export_failures_total",
                  "Export requests the collector failed or did not answer.", MetricType::Counter,
                  [e] { return static_cast<double>(e->failed_requests()); });
    Tracer* t = o->tracer_.get();
    r.AddCallback("stepfn_trace_spans_not_started_total",
                  "Spans not started because an execution had too many open spans, or too many "
                  "executions were traced at once.",
                  MetricType::Counter, [t] { return static_cast<double>(t->spans_not_started()); });
  }

  executor->AddObserver(&o->metrics_);
  executor->AddObserver(&o->logger_);
  if (o->tracer_) executor->AddObserver(o->tracer_.get());
  return o;
}

namespace {

// "127.0.0.1:5000", "[::1]:5000" (the peer as HttpRequest::remote_address gives it).
bool FromLoopback(const std::string& remote) {
  return remote.rfind("127.", 0) == 0 || remote.rfind("[::1]", 0) == 0 ||
         remote.rfind("::1", 0) == 0 || remote.rfind("[::ffff:127.", 0) == 0;
}

api::HttpResponse Forbidden() {
  api::HttpResponse r;
  r.status = 403;
  r.headers.emplace_back("Content-Type", "text/plain");
  r.body = "this path answers only clients on the server's machine when --auth is on\n";
  return r;
}

}  // namespace

api::Handler* Observability::Front(api::ServiceDispatcher* services, bool loopback_only) {
  services->SetObserver(this);
  router_ = std::make_unique<api::Router>(services);
  router_->Route("GET", "/metrics",
                 [this, loopback_only](api::HttpRequest request, api::Responder responder) {
                   if (loopback_only && !FromLoopback(request.remote_address)) {
                     return responder.Send(Forbidden());
                   }
                   responder.Send(metrics_.Scrape());
                 });
  auto logs = [this, loopback_only](api::HttpRequest request, api::Responder responder) {
    if (loopback_only && !FromLoopback(request.remote_address)) {
      return responder.Send(Forbidden());
    }
    ServeLogs(logs_, request, std::move(responder));
  };
  router_->Route("GET", "/logs", logs);
  router_->RoutePrefix("GET", "/logs/", logs);
  return router_.get();
}

void Observability::OnAnswered(const api::RequestSummary& s) {
  metrics_.CountRequest(s);
  if (s.http_status == 200 &&
      (s.operation == "CreateStateMachine" || s.operation == "UpdateStateMachine" ||
       s.operation == "DeleteStateMachine")) {
    settings_.InvalidateAll();
  }
  if (s.http_status >= 500) {
    Log(LogLevel::Error, "request failed",
        {{"operation", s.operation.empty() ? "unknown" : s.operation},
         {"status", std::to_string(s.http_status)},
         {"code", s.error_code},
         {"message", s.error_message},
         {"request_id", s.request_id}});
  } else if (LogEnabled(LogLevel::Debug)) {
    Log(LogLevel::Debug, "request",
        {{"operation", s.operation.empty() ? "unknown" : s.operation},
         {"status", std::to_string(s.http_status)},
         {"code", s.error_code},
         {"micros", std::to_string(s.micros)},
         {"request_id", s.request_id}});
  }
}

void Observability::Stop() {
  if (exporter_) exporter_->Stop();
}

}  // namespace stepfn::server
