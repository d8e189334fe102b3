// `stepfn serve`: the AWS Step Functions API over HTTP, durable in a data directory.
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "cli/commands.h"
#include "server/log.h"
#include "server/server.h"

namespace stepfn::cli {
namespace {

struct ServeArgs {
  server::ServerOptions options;
  std::string log_level = "info";
  bool no_fsync = false;
  bool in_memory = false;
  int64_t idle_spin_us = stepfn::kDefaultIdleSpin.count();
};

int Serve(ServeArgs& a) {
  server::LogLevel level;
  if (!server::ParseLogLevel(a.log_level, &level)) {
    std::fprintf(stderr, "stepfn serve: --log-level must be debug, info, warn or error\n");
    return kExitUsage;
  }
  server::SetLogLevel(level);
  if (a.options.mock_config.empty()) {
    // AWS Step Functions Local reads its mock configuration from this variable.
    if (const char* env = std::getenv("SFN_MOCK_CONFIG")) a.options.mock_config = env;
  }
  if (a.options.otlp_endpoint.empty()) {
    // OpenTelemetry's standard variable for the OTLP base URL.
    if (const char* env = std::getenv("OTEL_EXPORTER_OTLP_ENDPOINT")) {
      a.options.otlp_endpoint = env;
    }
  }
  if (a.in_memory) a.options.data_dir.clear();
  a.options.fsync = !a.no_fsync;
  a.options.idle_spin = std::chrono::microseconds(a.idle_spin_us);
  // Block the stop signals before any thread starts, so that only sigwait sees them.
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  auto started = server::Server::Start(a.options);
  if (!started.ok()) {
    std::fprintf(stderr, "stepfn serve: %s\n", started.status().message().c_str());
    return kExitUsage;
  }
  std::unique_ptr<server::Server> srv = std::move(started).value();
  std::fprintf(
      stderr, "stepfn: serving the Step Functions and Lambda APIs on %s (%s)\n",
      srv->endpoint().c_str(),
      a.options.data_dir.empty() ? "in memory" : ("data in " + a.options.data_dir).c_str());
  std::fflush(stderr);
  int sig = 0;
  sigwait(&stop, &sig);
  std::fprintf(stderr, "stepfn: stopping (signal %d)\n", sig);
  srv->Stop();
  return kExitOk;
}

}  // namespace

void AddServeCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<ServeArgs>();
  args->options.data_dir = "stepfn-data";
  CLI::App* cmd = app.add_subcommand("serve", "Serve the AWS Step Functions API over HTTP");
  cmd->add_option("--host", args->options.host, "Address to listen on (default 127.0.0.1)");
  cmd->add_option("--port", args->options.port, "Port (default 8083; 0 picks a free one)");
  cmd->add_option("--data-dir", args->options.data_dir,
                  "Where the SQLite database lives (default ./stepfn-data)");
  cmd->add_flag("--in-memory", args->in_memory, "Keep nothing on disk (lost on exit)");
  cmd->add_flag("--no-fsync", args->no_fsync,
                "Do not wait for the disk on commit (faster; a power cut may lose the last "
                "transitions, a crashed process does not)");
  cmd->add_option("--auth", args->options.auth_file,
                  "JSON file of allowed access keys; requests are then SigV4-verified");
  cmd->add_flag("--allow-unauthenticated-remote", args->options.allow_unauthenticated_remote,
                "Serve a non-loopback address without --auth (anyone who reaches it may call)");
  cmd->add_option("--mock-config", args->options.mock_config,
                  "Mocked task responses (AWS Step Functions Local format; also SFN_MOCK_CONFIG). "
                  "Start executions on '<state machine ARN>#<test case>' to use one");
  cmd->add_option("--region", args->options.config.region, "Region in ARNs (us-east-1)");
  cmd->add_option("--account", args->options.config.account, "Account in ARNs (123456789012)");
  cmd->add_option("--log-level", args->log_level, "debug, info, warn or error (info)");
  cmd->add_option("--time-scale", args->options.time_scale,
                  "Waits, retry intervals and timeouts take this many times their length "
                  "(0: no waiting; for tests)");
  cmd->add_option("--workers", args->options.workers, "Executor threads (default: one per core)");
  cmd->add_option("--otlp-endpoint", args->options.otlp_endpoint,
                  "OTLP/HTTP collector base URL (http://host:4318) for traces of state machines "
                  "with tracing enabled (also OTEL_EXPORTER_OTLP_ENDPOINT)");
  cmd->add_option("--lambda-max-workers", args->options.lambda_max_workers,
                  "Lambda worker processes of all functions together (default 32)");
  cmd->add_option("--idle-spin-us", args->idle_spin_us,
                  "Microseconds an idle server thread polls for more work before it sleeps "
                  "(default 200; 0 sleeps at once: less CPU, slower round trips)")
      ->check(CLI::Range(0, 100'000));
  cmd->callback([args, exit_code] { *exit_code = Serve(*args); });
}

}  // namespace stepfn::cli
