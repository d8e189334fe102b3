#include "server/metrics.h"

#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "eval/history.h"

namespace stepfn::server {

// --- Series ----------------------------------------------------------------------------------

Histogram::Histogram(const std::vector<double>* bounds)
    : bounds_(bounds), buckets_(new std::atomic<uint64_t>[bounds->size() + 1]) {
  for (size_t i = 0; i <= bounds_->size(); ++i) buckets_[i].store(0, std::memory_order_relaxed);
}

void Histogram::Observe(double v) {
  size_t i = 0;
  while (i < bounds_->size() && v > (*bounds_)[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  sum_.fetch_add(v, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::Read() const {
  Snapshot s;
  s.cumulative.resize(bounds_->size() + 1);
  uint64_t total = 0;
  for (size_t i = 0; i <= bounds_->size(); ++i) {
    total += buckets_[i].load(std::memory_order_relaxed);
    s.cumulative[i] = total;
  }
  s.sum = sum_.load(std::memory_order_relaxed);
  return s;
}

// --- Families --------------------------------------------------------------------------------

namespace {

template <typename Series>
std::unique_ptr<Series> NewSeries(const std::vector<double>* bounds) {
  if constexpr (std::is_same_v<Series, Histogram>) {
    return std::make_unique<Histogram>(bounds);
  } else {
    (void)bounds;
    return std::make_unique<Series>();
  }
}

}  // namespace

template <typename Series>
Family<Series>::Family(std::string name, std::string help, std::vector<std::string> label_names,
                       size_t max_series, std::vector<double> bounds)
    : name_(std::move(name)),
      help_(std::move(help)),
      label_names_(std::move(label_names)),
      max_series_(std::max<size_t>(1, max_series)),
      bounds_(std::move(bounds)) {
  // A family without labels has its one series from the start (rendered as 0).
  if (label_names_.empty())
    series_.emplace(std::vector<std::string>{}, NewSeries<Series>(&bounds_));
}

template <typename Series>
Series* Family<Series>::With(std::initializer_list<std::string_view> values) {
  std::vector<std::string> key;
  key.reserve(values.size());
  for (std::string_view v : values) key.emplace_back(v);
  return With(key);
}

template <typename Series>
Series* Family<Series>::With(const std::vector<std::string>& values) {
  STEPFN_CHECK(values.size() == label_names_.size());
  std::lock_guard<std::mutex> lock(mu_);
  auto it = series_.find(values);
  if (it != series_.end()) return it->second.get();
  if (series_.size() >= max_series_) {
    std::vector<std::string> other(label_names_.size(), "other");
    auto& slot = series_[other];
    if (!slot) slot = NewSeries<Series>(&bounds_);
    return slot.get();
  }
  auto& slot = series_[values];
  slot = NewSeries<Series>(&bounds_);
  return slot.get();
}

template <typename Series>
void Family<Series>::ForEach(
    const std::function<void(const std::vector<std::string>&, const Series&)>& f) const {
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [labels, series] : series_) f(labels, *series);
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

// --- Text format -----------------------------------------------------------------------------

std::string FormatSampleValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  if (v == std::floor(v) && std::fabs(v) < 9.007199254740992e15) {
    return std::to_string(static_cast<int64_t>(v));
  }
  char buffer[64];
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), v, std::chars_format::general);
  if (ec != std::errc()) return "NaN";
  return std::string(buffer, end);
}

std::string EscapeLabelValue(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

std::string EscapeHelp(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

namespace {

bool ValidName(std::string_view name) {
  if (name.empty()) return false;
  for (size_t i = 0; i < name.size(); ++i) {
    char c = name[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// "{a="x",b="y"}" (with `extra` appended as one more label), or "" without labels.
std::string LabelText(const std::vector<std::string>& names, const std::vector<std::string>& values,
                      std::string_view extra_name = {}, std::string_view extra_value = {}) {
  if (names.empty() && extra_name.empty()) return "";
  std::string out = "{";
  for (size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out.push_back(',');
    out += names[i] + "=\"" + EscapeLabelValue(values[i]) + "\"";
  }
  if (!extra_name.empty()) {
    if (!names.empty()) out.push_back(',');
    out += std::string(extra_name) + "=\"" + std::string(extra_value) + "\"";
  }
  out.push_back('}');
  return out;
}

void Header(std::string* out, const std::string& name, const std::string& help,
            std::string_view type) {
  *out += "# HELP " + name + " " + EscapeHelp(help) + "\n";
  *out += "# TYPE " + name + " " + std::string(type) + "\n";
}

}  // namespace

void MetricsRegistry::CheckNew(const std::string& name) {
  STEPFN_CHECK(ValidName(name));
  for (const auto& e : entries_) {
    const std::string& existing = e->counters     ? e->counters->name()
                                  : e->gauges     ? e->gauges->name()
                                  : e->histograms ? e->histograms->name()
                                                  : e->name;
    STEPFN_CHECK(existing != name);
  }
}

CounterFamily* MetricsRegistry::AddCounter(std::string name, std::string help,
                                           std::vector<std::string> label_names,
                                           size_t max_series) {
  std::lock_guard<std::mutex> lock(mu_);
  CheckNew(name);
  STEPFN_CHECK(name.size() > 6 && name.ends_with("_total"));
  auto e = std::make_unique<Entry>();
  e->type = MetricType::Counter;
  e->counters = std::make_unique<CounterFamily>(std::move(name), std::move(help),
                                                std::move(label_names), max_series);
  CounterFamily* f = e->counters.get();
  entries_.push_back(std::move(e));
  return f;
}

GaugeFamily* MetricsRegistry::AddGauge(std::string name, std::string help,
                                       std::vector<std::string> label_names, size_t max_series) {
  std::lock_guard<std::mutex> lock(mu_);
  CheckNew(name);
  auto e = std::make_unique<Entry>();
  e->type = MetricType::Gauge;
  e->gauges = std::make_unique<GaugeFamily>(std::move(name), std::move(help),
                                            std::move(label_names), max_series);
  GaugeFamily* f = e->gauges.get();
  entries_.push_back(std::move(e));
  return f;
}

HistogramFamily* MetricsRegistry::AddHistogram(std::string name, std::string help,
                                               std::vector<std::string> label_names,
                                               std::vector<double> bounds, size_t max_series) {
  std::lock_guard<std::mutex> lock(mu_);
  CheckNew(name);
  for (size_t i = 1; i < bounds.size(); ++i) STEPFN_CHECK(bounds[i - 1] < bounds[i]);
  for (const std::string& label : label_names) STEPFN_CHECK(label != "le");
  auto e = std::make_unique<Entry>();
  e->type = MetricType::Histogram;
  e->histograms = std::make_unique<HistogramFamily>(
      std::move(name), std::move(help), std::move(label_names), max_series, std::move(bounds));
  HistogramFamily* f = e->histograms.get();
  entries_.push_back(std::move(e));
  return f;
}

void MetricsRegistry::AddCallback(std::string name, std::string help, MetricType type,
                                  std::function<double()> read) {
  STEPFN_CHECK(type != MetricType::Histogram);
  std::lock_guard<std::mutex> lock(mu_);
  CheckNew(name);
  auto e = std::make_unique<Entry>();
  e->type = type;
  e->name = std::move(name);
  e->help = std::move(help);
  e->read = std::move(read);
  entries_.push_back(std::move(e));
}

std::string MetricsRegistry::Render() const {
  std::vector<const Entry*> entries;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& e : entries_) entries.push_back(e.get());
  }
  std::string out;
  for (const Entry* e : entries) {
    if (e->counters) {
      const CounterFamily& f = *e->counters;
      Header(&out, f.name(), f.help(), "counter");
      f.ForEach([&](const std::vector<std::string>& labels, const Counter& c) {
        out +=
            f.name() + LabelText(f.label_names(), labels) + " " + std::to_string(c.value()) + "\n";
      });
    } else if (e->gauges) {
      const GaugeFamily& f = *e->gauges;
      Header(&out, f.name(), f.help(), "gauge");
      f.ForEach([&](const std::vector<std::string>& labels, const Gauge& g) {
        out += f.name() + LabelText(f.label_names(), labels) + " " + FormatSampleValue(g.value()) +
               "\n";
      });
    } else if (e->histograms) {
      const HistogramFamily& f = *e->histograms;
      Header(&out, f.name(), f.help(), "histogram");
      f.ForEach([&](const std::vector<std::string>& labels, const Histogram& h) {
        Histogram::Snapshot s = h.Read();
        for (size_t i = 0; i < s.cumulative.size(); ++i) {
          std::string le = i < f.bounds().size() ? FormatSampleValue(f.bounds()[i]) : "+Inf";
          out += f.name() + "_bucket" + LabelText(f.label_names(), labels, "le", le) + " " +
                 std::to_string(s.cumulative[i]) + "\n";
        }
        std::string text = LabelText(f.label_names(), labels);
        out += f.name() + "_sum" + text + " " + FormatSampleValue(s.sum) + "\n";
        out += f.name() + "_count" + text + " " + std::to_string(s.count()) + "\n";
      });
    } else {
      Header(&out, e->name, e->help, e->type == MetricType::Counter ? "counter" : "gauge");
      out += e->name + " " + FormatSampleValue(e->read()) + "\n";
    }
  }
  return out;
}

double ProcessResidentBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  unsigned long long size = 0, resident = 0;
  int n = std::fscanf(f, "%llu %llu", &size, &resident);
  std::fclose(f);
  if (n != 2) return 0;
  long page = ::sysconf(_SC_PAGESIZE);
  return static_cast<double>(resident) * static_cast<double>(page > 0 ? page : 4096);
}

// --- ServerMetrics ---------------------------------------------------------------------------

namespace {

enum class Kind { Other, Entered, Exited };

// Whether `t` enters or exits a state, and the state's type (an index into kStateTypeNames).
Kind StateEventKind(eval::EventType t, int* type) {
  using E = eval::EventType;
  switch (t) {
    case E::PassStateEntered:
      *type = 0;
      return Kind::Entered;
    case E::PassStateExited:
      *type = 0;
      return Kind::Exited;
    case E::TaskStateEntered:
      *type = 1;
      return Kind::Entered;
    case E::TaskStateExited:
      *type = 1;
      return Kind::Exited;
    case E::ChoiceStateEntered:
      *type = 2;
      return Kind::Entered;
    case E::ChoiceStateExited:
      *type = 2;
      return Kind::Exited;
    case E::WaitStateEntered:
      *type = 3;
      return Kind::Entered;
    case E::WaitStateExited:
      *type = 3;
      return Kind::Exited;
    case E::SucceedStateEntered:
      *type = 4;
      return Kind::Entered;
    case E::SucceedStateExited:
      *type = 4;
      return Kind::Exited;
    case E::FailStateEntered:
      *type = 5;
      return Kind::Entered;
    case E::ParallelStateEntered:
      *type = 6;
      return Kind::Entered;
    case E::ParallelStateExited:
      *type = 6;
      return Kind::Exited;
    case E::MapStateEntered:
      *type = 7;
      return Kind::Entered;
    case E::MapStateExited:
      *type = 7;
      return Kind::Exited;
    default:
      return Kind::Other;
  }
}

constexpr const char* kStateTypeNames[] = {"Pass",    "Task", "Choice",   "Wait",
                                           "Succeed", "Fail", "Parallel", "Map"};
constexpr const char* kEndStatusNames[] = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"};

// The index into kEndStatusNames of an execution's final event, or -1.
int EndStatus(eval::EventType t) {
  switch (t) {
    case eval::EventType::ExecutionSucceeded:
      return 0;
    case eval::EventType::ExecutionFailed:
      return 1;
    case eval::EventType::ExecutionTimedOut:
      return 2;
    case eval::EventType::ExecutionAborted:
      return 3;
    default:
      return -1;
  }
}

}  // namespace

ServerMetrics::ServerMetrics(ServerMetricsOptions options) : options_(options) {
  const size_t machines = options_.max_state_machines + 1;  // + "other"
  started_ =
      registry_.AddCounter("stepfn_executions_started_total",
                           "Executions started, by state machine.", {"state_machine"}, machines);
  ended_ = registry_.AddCounter(
      "stepfn_executions_total",
      "Executions ended, by state machine and status (SUCCEEDED, FAILED, TIMED_OUT, ABORTED).",
      {"state_machine", "status"}, machines * kEndStatuses);
  transitions_ = registry_.AddCounter(
      "stepfn_state_transitions_total",
      "State transitions, by state machine: the number of states entered (StateEntered events).",
      {"state_machine"}, machines);
  state_seconds_ = registry_.AddHistogram(
      "stepfn_state_duration_seconds",
      "Time from a state's StateEntered event to its StateExited event (history timestamps, "
      "millisecond resolution), by state machine and state type. States that never exit (Fail, "
      "a failure not caught) are not counted.",
      {"state_machine", "state_type"},
      {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600},
      machines * kStateTypes);
  commit_seconds_ = registry_
                        .AddHistogram("stepfn_store_commit_seconds",
                                      "Time from handing a Step's transition to the store to the "
                                      "store's answer (group commit "
                                      "and fsync included).",
                                      {},
                                      {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                       0.05, 0.1, 0.25, 0.5, 1, 2.5})
                        ->With({});
  commit_failures_ =
      registry_
          .AddCounter("stepfn_store_commit_failures_total",
                      "Transitions the store failed to commit (each is tried again later).")
          ->With({});
  untimed_ =
      registry_
          .AddCounter(
              "stepfn_state_durations_untimed_total",
              "States whose duration was not measured because too many states were open at once.")
          ->With({});
  requests_ = registry_.AddCounter(
      "stepfn_api_requests_total",
      "API requests answered, by operation and HTTP status code (operation \"unknown\" when the "
      "request failed before naming a known operation).",
      {"operation", "code"}, 2000);
  request_seconds_ = registry_.AddHistogram(
      "stepfn_api_request_seconds",
      "Time from a request's arrival at the protocol to its answer, by operation (long polls "
      "included).",
      {"operation"}, {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5, 30, 60},
      200);
  registry_.AddCallback("process_resident_memory_bytes", "Resident memory size in bytes.",
                        MetricType::Gauge, [] { return ProcessResidentBytes(); });
  other_ = NewMachine("other");
}

ServerMetrics::Machine* ServerMetrics::NewMachine(const std::string& label) {
  auto m = std::make_unique<Machine>();
  m->started = started_->With({label});
  m->transitions = transitions_->With({label});
  for (int i = 0; i < kEndStatuses; ++i) m->ended[i] = ended_->With({label, kEndStatusNames[i]});
  m->label = label;
  Machine* raw = m.get();
  machines_.emplace(label, std::move(m));
  return raw;
}

void ServerMetrics::ObserveDuration(Machine* m, int type, double seconds) {
  Histogram* h = m->durations[type].load(std::memory_order_acquire);
  if (h == nullptr) {
    // Racing threads get the same series from the family.
    h = state_seconds_->With({m->label, kStateTypeNames[type]});
    m->durations[type].store(h, std::memory_order_release);
  }
  h->Observe(seconds);
}

ServerMetrics::Machine* ServerMetrics::MachineFor(std::string_view name) {
  std::string key(name);
  {
    std::shared_lock<std::shared_mutex> lock(machines_mu_);
    auto it = machines_.find(key);
    if (it != machines_.end()) return it->second.get();
    if (machines_.size() > options_.max_state_machines) return other_;
  }
  std::unique_lock<std::shared_mutex> lock(machines_mu_);
  auto it = machines_.find(key);
  if (it != machines_.end()) return it->second.get();
  // "other" is in the map too: the cap counts real names only.
  if (machines_.size() > options_.max_state_machines) return other_;
  return NewMachine(key);
}

void ServerMetrics::OnCommit(const CommitReport& report) {
  commit_seconds_->Observe(static_cast<double>(report.commit_micros) / 1e6);
  if (!report.status.ok()) {
    commit_failures_->Add();
    return;  // nothing of the Step happened; it runs again
  }
  Machine* m = MachineFor(report.state_machine_name);
  // States entered and exited within this commit are timed here without a lock; the others are
  // kept in open_ (per execution) until they exit.
  std::vector<Open> entered;
  std::vector<const eval::HistoryEvent*> exits;  // with no entry in this commit
  for (const eval::HistoryEvent& e : report.events) {
    int type = 0;
    switch (StateEventKind(e.type, &type)) {
      case Kind::Entered:
        m->transitions->Add();
        entered.push_back({std::string(eval::HistoryEvent::Text(e.name)), type, e.timestamp});
        continue;
      case Kind::Exited: {
        std::string_view name = eval::HistoryEvent::Text(e.name);
        auto it = std::find_if(entered.begin(), entered.end(),
                               [&](const Open& o) { return o.name == name; });
        if (it != entered.end()) {
          ObserveDuration(m, type, static_cast<double>(e.timestamp - it->entered) / 1000.0);
          entered.erase(it);
        } else {
          exits.push_back(&e);
        }
        continue;
      }
      case Kind::Other:
        break;
    }
    if (e.type == eval::EventType::ExecutionStarted) {
      m->started->Add();
    } else if (int status = EndStatus(e.type); status >= 0) {
      m->ended[status]->Add();
    }
  }
  bool keep = !entered.empty() && !report.ended;
  if (exits.empty() && !keep && !report.ended) return;

  std::lock_guard<std::mutex> lock(open_mu_);
  auto it = open_.find(std::string(report.execution_arn));
  if (it != open_.end()) {
    std::vector<Open>& open = it->second;
    for (const eval::HistoryEvent* e : exits) {
      std::string_view name = eval::HistoryEvent::Text(e->name);
      auto o =
          std::find_if(open.begin(), open.end(), [&](const Open& x) { return x.name == name; });
      if (o == open.end()) continue;
      ObserveDuration(m, o->type, static_cast<double>(e->timestamp - o->entered) / 1000.0);
      open.erase(o);
      --open_count_;
    }
  }
  if (report.ended) {
    if (it != open_.end()) {
      open_count_ -= it->second.size();
      open_.erase(it);
    }
    return;
  }
  if (!keep) {
    if (it != open_.end() && it->second.empty()) open_.erase(it);
    return;
  }
  if (it == open_.end())
    it = open_.emplace(std::string(report.execution_arn), std::vector<Open>{}).first;
  for (Open& o : entered) {
    if (open_count_ >= options_.max_open_states) {
      untimed_->Add();
      continue;
    }
    it->second.push_back(std::move(o));
    ++open_count_;
  }
  if (it->second.empty()) open_.erase(it);
}

void ServerMetrics::CountRequest(const api::RequestSummary& summary) {
  std::string_view operation = summary.operation.empty() ? "unknown" : summary.operation;
  // Other services' operations carry their signing name ("lambda.TagResource", "logs.
  // PutLogEvents"): several services share names. Step Functions' stay bare.
  std::string qualified;
  if (!summary.operation.empty() && !summary.service.empty() && summary.service != "states") {
    qualified = std::string(summary.service) + "." + std::string(summary.operation);
    operation = qualified;
  }
  requests_->With({operation, std::to_string(summary.http_status)})->Add();
  request_seconds_->With({operation})->Observe(static_cast<double>(summary.micros) / 1e6);
}

api::HttpResponse ServerMetrics::Scrape() const {
  api::HttpResponse response;
  response.status = 200;
  response.headers.emplace_back("Content-Type", std::string(MetricsRegistry::kContentType));
  response.body = registry_.Render();
  return response;
}

size_t ServerMetrics::open_states() const {
  std::lock_guard<std::mutex> lock(open_mu_);
  return open_count_;
}

}  // namespace stepfn::server
