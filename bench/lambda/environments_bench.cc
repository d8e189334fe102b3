// lambda_env_bench: latency of a warm invocation through the execution environments.
//
//   lambda_env_bench [--n 20000] [--concurrency 1] [--payload 64] [--max-workers 0]
//                    [--bootstrap PATH]
//
// Starts Environments, warms one worker per caller with the C++ echo function
// (examples/functions/echo-cpp), then runs n invocations from `concurrency` threads, each
// waiting for its answer before the next. Prints p50/p90/p99/max and invocations per second.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "services/lambda/environments.h"

namespace {

using stepfn::lambda::Environments;
using stepfn::lambda::FunctionConfig;
using stepfn::lambda::InvokeOutcome;
using stepfn::lambda::InvokeRequest;
using stepfn::lambda::InvokeResponse;

// Runs one invocation and waits for it; returns false on any failure.
bool InvokeAndWait(Environments* env, const std::shared_ptr<const FunctionConfig>& config,
                   const std::string& payload) {
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  bool ok = false;
  InvokeRequest request;
  request.function_name = config->name;
  request.payload = payload;
  env->Invoke(config, std::move(request), [&](InvokeOutcome outcome) {
    const auto* response = std::get_if<InvokeResponse>(&outcome);
    std::lock_guard<std::mutex> lock(mu);
    ok = response != nullptr && response->function_error.empty();
    done = true;
    cv.notify_one();
  });
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return done; });
  return ok;
}

}  // namespace

int main(int argc, char** argv) {
  int n = 20000;
  int concurrency = 1;
  size_t payload_bytes = 64;
  int max_workers = 0;
  std::string bootstrap = STEPFN_ECHO_CPP_BOOTSTRAP;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string flag = argv[i];
    if (flag == "--n") n = std::atoi(argv[i + 1]);
    if (flag == "--concurrency") concurrency = std::max(1, std::atoi(argv[i + 1]));
    if (flag == "--payload") payload_bytes = static_cast<size_t>(std::atol(argv[i + 1]));
    if (flag == "--bootstrap") bootstrap = argv[i + 1];
    if (flag == "--max-workers") max_workers = std::atoi(argv[i + 1]);
  }
  char tmpl[] = "/tmp/stepfn-lambda-bench-XXXXXX";
  if (::mkdtemp(tmpl) == nullptr) return 1;
  std::string root = tmpl;
  std::filesystem::create_directories(root + "/code");
  std::filesystem::create_symlink(bootstrap, root + "/code/bootstrap");

  stepfn::lambda::EnvironmentsOptions options;
  options.work_dir = root + "/work";
  options.max_workers = max_workers;
  auto started = Environments::Start(options);
  if (!started.ok()) {
    std::fprintf(stderr, "%s\n", started.status().ToString().c_str());
    return 1;
  }
  std::unique_ptr<Environments> env = std::move(started).value();
  auto config = std::make_shared<FunctionConfig>();
  config->name = "echo";
  config->arn = "arn:aws:lambda:us-east-1:123456789012:function:echo";
  config->version = "$LATEST";
  config->runtime = "provided.al2023";
  config->code_dir = root + "/code";
  config->timeout_seconds = 30;
  std::string payload = "{\"data\":\"" + std::string(payload_bytes, 'x') + "\"}";

  // Warm: one worker per caller.
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < concurrency; ++t) {
      threads.emplace_back([&] { InvokeAndWait(env.get(), config, payload); });
    }
    for (auto& t : threads) t.join();
  }
  for (int i = 0; i < 200; ++i) InvokeAndWait(env.get(), config, payload);

  std::vector<std::vector<int64_t>> latencies(static_cast<size_t>(concurrency));
  std::vector<int> failures(static_cast<size_t>(concurrency), 0);
  int per_thread = n / concurrency;
  int64_t start = stepfn::MonotonicNanos();
  {
    std::vector<std::thread> threads;
    for (int t = 0; t < concurrency; ++t) {
      threads.emplace_back([&, t] {
        auto& mine = latencies[static_cast<size_t>(t)];
        mine.reserve(static_cast<size_t>(per_thread));
        for (int i = 0; i < per_thread; ++i) {
          int64_t begin = stepfn::MonotonicNanos();
          if (!InvokeAndWait(env.get(), config, payload)) ++failures[static_cast<size_t>(t)];
          mine.push_back(stepfn::MonotonicNanos() - begin);
        }
      });
    }
    for (auto& t : threads) t.join();
  }
  double seconds = static_cast<double>(stepfn::MonotonicNanos() - start) / 1e9;
  std::vector<int64_t> all;
  int failed = 0;
  for (size_t t = 0; t < latencies.size(); ++t) {
    all.insert(all.end(), latencies[t].begin(), latencies[t].end());
    failed += failures[t];
  }
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return static_cast<double>(all[std::min(all.size() - 1, static_cast<size_t>(p * all.size()))]) /
           1000.0;
  };
  auto stats = env->stats();
  std::printf(
      "lambda_env_bench: %zu warm invocations, concurrency %d, payload %zu B, workers %d\n"
      "  p50 %.1f us  p90 %.1f us  p99 %.1f us  max %.1f us  %.0f invocations/s  failed %d\n",
      all.size(), concurrency, payload.size(), stats.workers, pct(0.50), pct(0.90), pct(0.99),
      static_cast<double>(all.back()) / 1000.0, static_cast<double>(all.size()) / seconds, failed);
  env->Stop();
  std::error_code ec;
  std::filesystem::remove_all(root, ec);
  return failed == 0 ? 0 : 1;
}
