// Metrics of `stepfn serve`, served at GET /metrics in the Prometheus text format (version
// 0.0.4), without an external library.
//
// - MetricsRegistry: counters, gauges and histograms in families with label names, plus values
//   computed when scraped (callbacks: process memory, the executor's live count, store
//   counters). Render() writes the text format.
// - ServerMetrics: the server's families, fed by the executor (an ExecutorObserver: executions,
//   state transitions, state durations, commit latency) and by the API (CountRequest).
//
// Label cardinality is bounded: a family holds at most `max_series` label sets (beyond, new
// sets share one series whose every label is "other"), and ServerMetrics keeps at most
// `max_state_machines` state machine names as label values (the rest are "other"), since users
// choose those names.
//
// Thread safety: every method may be called from any thread. Updating a series is lock-free
// (atomics); finding or creating one takes the family's mutex.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "api/aws_json.h"
#include "api/http_server.h"
#include "server/executor.h"

namespace stepfn::server {

class Counter {
 public:
  void Add(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(double v) { value_.store(v, std::memory_order_relaxed); }
  void Add(double v) { value_.fetch_add(v, std::memory_order_relaxed); }
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Cumulative buckets with fixed upper bounds (the last bucket, +Inf, is implied).
class Histogram {
 public:
  explicit Histogram(const std::vector<double>* bounds);
  void Observe(double v);

  struct Snapshot {
    std::vector<uint64_t> cumulative;  // one per bound, then +Inf (== count)
    double sum = 0;
    uint64_t count() const { return cumulative.empty() ? 0 : cumulative.back(); }
  };
  Snapshot Read() const;

 private:
  const std::vector<double>* bounds_;  // owned by the family
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<double> sum_{0};
};

enum class MetricType { Counter, Gauge, Histogram };

// One metric name with its label names and its series.
template <typename Series>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names,
         size_t max_series, std::vector<double> bounds = {});

  // The series for these label values (one per label name, in order), created at zero on
  // first use. The pointer stays valid as long as the registry.
  Series* With(std::initializer_list<std::string_view> values);
  Series* With(const std::vector<std::string>& values);

  const std::string& name() const { return name_; }
  const std::string& help() const { return help_; }
  const std::vector<std::string>& label_names() const { return label_names_; }
  const std::vector<double>& bounds() const { return bounds_; }
  // Calls `f(label_values, series)` for every series, in label order.
  void ForEach(const std::function<void(const std::vector<std::string>&, const Series&)>& f) const;

 private:
  const std::string name_;
  const std::string help_;
  const std::vector<std::string> label_names_;
  const size_t max_series_;
  const std::vector<double> bounds_;  // histograms
  mutable std::mutex mu_;
  std::map<std::vector<std::string>, std::unique_ptr<Series>> series_;  // guarded by mu_
};

using CounterFamily = Family<Counter>;
using GaugeFamily = Family<Gauge>;
using HistogramFamily = Family<Histogram>;

class MetricsRegistry {
 public:
  static constexpr size_t kDefaultMaxSeries = 10'000;

  // Names must be valid Prometheus names ([a-zA-Z_:][a-zA-Z0-9_:]*), counters ending in _total;
  // each name is registered once (a second registration is a CHECK failure).
  CounterFamily* AddCounter(std::string name, std::string help,
                            std::vector<std::string> label_names = {},
                            size_t max_series = kDefaultMaxSeries);
  GaugeFamily* AddGauge(std::string name, std::string help,
                        std::vector<std::string> label_names = {},
                        size_t max_series = kDefaultMaxSeries);
  HistogramFamily* AddHistogram(std::string name, std::string help,
                                std::vector<std::string> label_names, std::vector<double> bounds,
                                size_t max_series = kDefaultMaxSeries);
  // A value read when scraped (type Counter or Gauge), without labels. `read` runs on the
  // scraping thread and must be thread-safe.
  void AddCallback(std::string name, std::string help, MetricType type,
                   std::function<double()> read);

  // Every family in registration order, in the text format 0.0.4.
  std::string Render() const;

  static constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

 private:
  struct Entry {
    MetricType type;
    std::unique_ptr<CounterFamily> counters;
    std::unique_ptr<GaugeFamily> gauges;
    std::unique_ptr<HistogramFamily> histograms;
    std::string name, help;  // callbacks
    std::function<double()> read;
  };
  void CheckNew(const std::string& name);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_;  // guarded by mu_ (entries never removed)
};

// Text-format pieces (exposed for tests): a sample value ("1", "0.25", "+Inf", "NaN"), a label
// value escaped (\\, \", \n), a HELP text escaped (\\, \n).
std::string FormatSampleValue(double v);
std::string EscapeLabelValue(std::string_view v);
std::string EscapeHelp(std::string_view v);

// This process's resident memory in bytes (/proc/self/statm), 0 when unknown.
double ProcessResidentBytes();

struct ServerMetricsOptions {
  // Distinct state machine names kept as label values; the rest count under "other".
  size_t max_state_machines = 1000;
  // States entered in one commit and exited in a later one, remembered (per execution and
  // state name) until they exit or the execution ends. Beyond this many, new ones are not
  // timed (counted in stepfn_state_durations_untimed_total).
  size_t max_open_states = 100'000;
};

class ServerMetrics final : public ExecutorObserver {
 public:
  explicit ServerMetrics(ServerMetricsOptions options = {});

  MetricsRegistry& registry() { return registry_; }

  void OnCommit(const CommitReport& report) override;
  // One answered API request (from the protocol's RequestObserver).
  void CountRequest(const api::RequestSummary& summary);

  // GET /metrics.
  api::HttpResponse Scrape() const;

  size_t open_states() const;

 private:
  static constexpr int kStateTypes = 8;   // Pass Task Choice Wait Succeed Fail Parallel Map
  static constexpr int kEndStatuses = 4;  // SUCCEEDED FAILED TIMED_OUT ABORTED
  // The series of one state machine, looked up once per commit.
  struct Machine {
    std::string label;
    Counter* started = nullptr;
    Counter* transitions = nullptr;
    Counter* ended[kEndStatuses] = {};
    // Created when a state of that type is first timed (a histogram is 20 lines a scrape).
    std::atomic<Histogram*> durations[kStateTypes] = {};
  };
  void ObserveDuration(Machine* m, int type, double seconds);
  struct Open {
    std::string name;
    int type = 0;
    EpochMillis entered = 0;
  };

  Machine* MachineFor(std::string_view name);
  Machine* NewMachine(const std::string& label);

  const ServerMetricsOptions options_;
  MetricsRegistry registry_;
  CounterFamily* started_;
  CounterFamily* ended_;
  CounterFamily* transitions_;
  HistogramFamily* state_seconds_;
  Histogram* commit_seconds_;  // label-less families: their one series
  Counter* commit_failures_;
  Counter* untimed_;
  CounterFamily* requests_;
  HistogramFamily* request_seconds_;

  std::shared_mutex machines_mu_;
  std::unordered_map<std::string, std::unique_ptr<Machine>> machines_;  // guarded
  Machine* other_ = nullptr;

  mutable std::mutex open_mu_;
  // Execution ARN -> its states entered in an earlier commit and not yet exited.
  std::unordered_map<std::string, std::vector<Open>> open_;  // guarded by open_mu_
  size_t open_count_ = 0;                                    // guarded by open_mu_
};

}  // namespace stepfn::server
