// store_bench: durable state transitions per second through the Store interface, and commit
// latency, with many executions in flight from a few threads (as the engine will drive it).
//
//   build-store/bench/store_bench [--backend sqlite|memory] [--sync full|normal|off]
//       [--executions 1000] [--threads 8] [--seconds 5] [--events 2] [--state-bytes 512]
//       [--batch-delay-us 0] [--max-batch 2048] [--dir DIR]
//
// Each thread owns executions/threads executions and keeps one transition of each in flight:
// when a commit completes, the thread submits that execution's next transition. A transition
// carries `events` history events (~150 bytes of details each) and a new state blob of
// `state-bytes`; every fourth one also replaces a timer. Latency is from submit to the
// completion callback (durable, with --sync full).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "common/clock.h"
#include "store/memory_store.h"
#include "store/sqlite_store.h"
#include "store/store.h"

namespace stepfn::store {
namespace {

struct Options {
  std::string backend = "sqlite";
  std::string sync = "full";
  int executions = 1000;
  int threads = 8;
  double seconds = 5;
  int events = 2;
  int state_bytes = 512;
  int batch_delay_us = 0;
  int max_batch = 2048;
  std::string dir;
};

int Usage() {
  std::fprintf(stderr,
               "usage: store_bench [--backend sqlite|memory] [--sync full|normal|off] "
               "[--executions N] [--threads N] [--seconds S] [--events N] [--state-bytes N] "
               "[--batch-delay-us N] [--max-batch N] [--dir DIR]\n");
  return 2;
}

bool ParseArgs(int argc, char** argv, Options* options) {
  for (int i = 1; i < argc; ++i) {
    std::string flag = argv[i];
    if (i + 1 >= argc) {
      return false;
    }
    std::string value = argv[++i];
    if (flag == "--backend") {
      options->backend = value;
    } else if (flag == "--sync") {
      options->sync = value;
    } else if (flag == "--executions") {
      options->executions = std::atoi(value.c_str());
    } else if (flag == "--threads") {
      options->threads = std::atoi(value.c_str());
    } else if (flag == "--seconds") {
      options->seconds = std::atof(value.c_str());
    } else if (flag == "--events") {
      options->events = std::atoi(value.c_str());
    } else if (flag == "--state-bytes") {
      options->state_bytes = std::atoi(value.c_str());
    } else if (flag == "--batch-delay-us") {
      options->batch_delay_us = std::atoi(value.c_str());
    } else if (flag == "--max-batch") {
      options->max_batch = std::atoi(value.c_str());
    } else if (flag == "--dir") {
      options->dir = value;
    } else {
      return false;
    }
  }
  return options->executions > 0 && options->threads > 0 && options->seconds > 0;
}

std::string ExecArn(int index) {
  return "arn:aws:states:us-east-1:123456789012:execution:Bench:exec-" + std::to_string(index);
}

struct Execution {
  std::string arn;
  int64_t version = 1;
  int64_t last_event_id = 1;
  int64_t submitted_at = 0;
};

Transition MakeTransition(const Execution& execution, const Options& options,
                          const std::string& state) {
  Transition transition;
  transition.execution_arn = execution.arn;
  transition.expected_version = execution.version;
  for (int i = 1; i <= options.events; ++i) {
    int64_t id = execution.last_event_id + i;
    transition.events.push_back(HistoryEventRecord{
        id, id - 1, 1700000000000 + id, i % 2 ? "TaskStateEntered" : "TaskStateExited",
        R"({"name":"Step)" + std::to_string(id) +
            R"(","input":"{\"order\":12345,\"items\":[1,2,3],\"customer\":\"c-42\"}",)"
            R"("inputDetails":{"truncated":false}})"});
  }
  transition.state = state;
  if (execution.version % 4 == 0) {
    transition.timers_to_delete.push_back(1);
    transition.timers_to_add.push_back(TimerRecord{"", 1, 1700000000000 + execution.version, ""});
  }
  return transition;
}

// One driving thread: its executions, a queue of completed ones, latencies.
struct Driver {
  std::vector<Execution> executions;
  std::mutex mu;
  std::condition_variable cv;
  std::deque<std::pair<int, Status>> completed;  // guarded by mu
  std::vector<int64_t> latencies_ns;
  int64_t transitions = 0;
  int64_t failures = 0;
};

int Run(const Options& options) {
  std::unique_ptr<Store> store;
  std::string dir = options.dir;
  bool remove_dir = false;
  SqliteStore* sqlite = nullptr;
  if (options.backend == "memory") {
    store = std::make_unique<MemoryStore>();
  } else if (options.backend == "sqlite") {
    if (dir.empty()) {
      std::string pattern = (std::filesystem::temp_directory_path() / "store-bench-XXXXXX");
      if (mkdtemp(pattern.data()) == nullptr) {
        std::perror("mkdtemp");
        return 1;
      }
      dir = pattern;
      remove_dir = true;
    }
    SqliteOptions sqlite_options;
    sqlite_options.data_dir = dir;
    sqlite_options.sync = options.sync == "off"      ? SqliteOptions::Sync::Off
                          : options.sync == "normal" ? SqliteOptions::Sync::Normal
                                                     : SqliteOptions::Sync::Full;
    sqlite_options.max_batch_delay = std::chrono::microseconds(options.batch_delay_us);
    sqlite_options.max_batch = options.max_batch;
    auto opened = SqliteStore::Open(sqlite_options);
    if (!opened.ok()) {
      std::fprintf(stderr, "%s\n", opened.status().ToString().c_str());
      return 1;
    }
    sqlite = opened->get();
    store = std::move(opened).value();
  } else {
    return Usage();
  }

  // Create the executions (in flight together, so creation is group-committed too).
  {
    std::mutex mu;
    std::condition_variable cv;
    int pending = options.executions;
    int failed = 0;
    for (int i = 0; i < options.executions; ++i) {
      ExecutionRecord record;
      record.arn = ExecArn(i);
      record.name = "exec-" + std::to_string(i);
      record.state_machine_arn = "arn:aws:states:us-east-1:123456789012:stateMachine:Bench";
      record.input = R"({"order":12345})";
      record.start_date = 1700000000000 + i;
      Transition initial;
      initial.events.push_back(HistoryEventRecord{1, 0, 1700000000000, "ExecutionStarted", "{}"});
      initial.state = std::string(static_cast<size_t>(options.state_bytes), 's');
      store->CreateExecutionAsync(std::move(record), std::move(initial), [&](Status status) {
        std::lock_guard<std::mutex> lock(mu);
        failed += status.ok() ? 0 : 1;
        if (--pending == 0) {
          cv.notify_one();
        }
      });
    }
    std::unique_lock<std::mutex> lock(mu);
    cv.wait(lock, [&] { return pending == 0; });
    if (failed != 0) {
      std::fprintf(stderr, "%d executions failed to start\n", failed);
      return 1;
    }
  }

  const SqliteStats stats_before = sqlite != nullptr ? sqlite->stats() : SqliteStats{};
  std::vector<std::unique_ptr<Driver>> drivers;
  for (int t = 0; t < options.threads; ++t) {
    drivers.push_back(std::make_unique<Driver>());
  }
  for (int i = 0; i < options.executions; ++i) {
    Execution execution;
    execution.arn = ExecArn(i);
    drivers[static_cast<size_t>(i % options.threads)]->executions.push_back(execution);
  }
  const std::string state(static_cast<size_t>(options.state_bytes), 'S');
  std::atomic<bool> stop{false};
  const int64_t start_ns = MonotonicNanos();
  std::vector<std::thread> threads;
  for (auto& owned : drivers) {
    Driver* driver = owned.get();
    threads.emplace_back([&, driver] {
      auto submit = [&](int index) {
        Execution& execution = driver->executions[static_cast<size_t>(index)];
        execution.submitted_at = MonotonicNanos();
        store->CommitTransitionAsync(MakeTransition(execution, options, state),
                                     [driver, index](Status status) {
                                       {
                                         std::lock_guard<std::mutex> lock(driver->mu);
                                         driver->completed.emplace_back(index, std::move(status));
                                       }
                                       driver->cv.notify_one();
                                     });
      };
      int in_flight = 0;
      for (size_t i = 0; i < driver->executions.size(); ++i) {
        submit(static_cast<int>(i));
        ++in_flight;
      }
      std::deque<std::pair<int, Status>> done;
      while (in_flight > 0) {
        {
          std::unique_lock<std::mutex> lock(driver->mu);
          driver->cv.wait(lock, [&] { return !driver->completed.empty(); });
          done.swap(driver->completed);
        }
        const int64_t now = MonotonicNanos();
        const bool stopping = stop.load(std::memory_order_relaxed);
        for (auto& [index, status] : done) {
          --in_flight;
          Execution& execution = driver->executions[static_cast<size_t>(index)];
          if (!status.ok()) {
            ++driver->failures;
            continue;
          }
          ++driver->transitions;
          driver->latencies_ns.push_back(now - execution.submitted_at);
          execution.version += 1;
          execution.last_event_id += options.events;
          if (!stopping) {
            submit(index);
            ++in_flight;
          }
        }
        done.clear();
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(options.seconds));
  stop.store(true);
  for (std::thread& thread : threads) {
    thread.join();
  }
  const double elapsed = static_cast<double>(MonotonicNanos() - start_ns) / 1e9;

  int64_t transitions = 0;
  int64_t failures = 0;
  std::vector<int64_t> latencies;
  for (auto& driver : drivers) {
    transitions += driver->transitions;
    failures += driver->failures;
    latencies.insert(latencies.end(), driver->latencies_ns.begin(), driver->latencies_ns.end());
  }
  std::sort(latencies.begin(), latencies.end());
  auto percentile = [&](double p) {
    if (latencies.empty()) {
      return 0.0;
    }
    size_t index = std::min(latencies.size() - 1, static_cast<size_t>(p * latencies.size()));
    return static_cast<double>(latencies[index]) / 1e6;
  };
  std::printf(
      "backend=%s sync=%s executions=%d threads=%d events/transition=%d state=%dB "
      "batch-delay=%dus\n",
      options.backend.c_str(), options.backend == "sqlite" ? options.sync.c_str() : "-",
      options.executions, options.threads, options.events, options.state_bytes,
      options.batch_delay_us);
  std::printf("transitions: %lld in %.2f s = %.0f transitions/s (%.0f events/s), failures %lld\n",
              static_cast<long long>(transitions), elapsed,
              static_cast<double>(transitions) / elapsed,
              static_cast<double>(transitions * options.events) / elapsed,
              static_cast<long long>(failures));
  std::printf("commit latency: p50 %.2f ms, p99 %.2f ms, max %.2f ms\n", percentile(0.50),
              percentile(0.99), percentile(1.0));
  if (sqlite != nullptr) {
    const SqliteStats stats = sqlite->stats();
    const int64_t batches = stats.batches - stats_before.batches;
    std::printf(
        "group commit: %lld transactions (%.0f/s), %.1f writes per transaction, "
        "largest %lld\n",
        static_cast<long long>(batches), static_cast<double>(batches) / elapsed,
        batches > 0
            ? static_cast<double>(stats.writes - stats_before.writes) / static_cast<double>(batches)
            : 0.0,
        static_cast<long long>(stats.max_batch_size));
  }
  store.reset();
  if (remove_dir) {
    std::error_code ec;
    std::filesystem::remove_all(dir, ec);
  }
  return failures == 0 ? 0 : 1;
}

}  // namespace
}  // namespace stepfn::store

int main(int argc, char** argv) {
  stepfn::store::Options options;
  if (!stepfn::store::ParseArgs(argc, argv, &options)) {
    return stepfn::store::Usage();
  }
  return stepfn::store::Run(options);
}
