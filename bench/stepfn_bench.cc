// stepfn_bench: runs the benchmark workloads (bench/workloads/workloads.json) through the
// engine's local runner, the same files aws-local-stepfunctions runs in bench/peer, and prints
// one JSON line per workload.
//
//   stepfn_bench [--workloads DIR] [--reps N] [--only NAME[,NAME...]] [--executions-scale F]
//   stepfn_bench --map-memory N [--no-history] [--workloads DIR]
//
// Per workload: the definition is compiled once; one untimed execution checks the output against
// <name>.expected.json; then N timed repetitions each run `executions` executions one after the
// other on this thread, with history recorded (RunOptions::record_history) and time_scale 0.
// Outputs are kept and checked after each repetition's clock stops. The figure reported is the
// median repetition.
//
// --map-memory N runs the inline Map of workload (c) once over N items
// (c-inline-map-memory.asl.json: the same Map with one-digit results, so that 100,000 results stay
// under the 256 KiB limit; the input, N integers built here, is past that limit from 43,000 items)
// and reports the growth of the peak RSS over the RSS before the run, divided by N: the memory each
// Map item costs while in flight (its frame, its result and, unless --no-history, its history
// events).
//
// Output lines share the peer's keys (bench/peer/run-peer.mjs), so bench/run.sh can pair them.

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "common/memory.h"
#include "common/status.h"
#include "engine/local_runner.h"
#include "eval/history.h"
#include "json/parse.h"
#include "json/value.h"
#include "json/write.h"
#ifdef STEPFN_BENCH_HAVE_MOCKS
#include "engine/mock_config.h"
#endif

#ifndef STEPFN_BENCH_WORKLOADS
#define STEPFN_BENCH_WORKLOADS "bench/workloads"
#endif

namespace stepfn::bench {
namespace {

struct Args {
  std::string workloads_dir = STEPFN_BENCH_WORKLOADS;
  int reps = 5;
  double executions_scale = 1.0;
  std::set<std::string> only;
  int64_t map_memory_items = 0;
  bool map_memory_history = true;
  std::string map_definition = "c-inline-map-memory.asl.json";
};

void Usage() {
  std::fprintf(stderr,
               "usage: stepfn_bench [--workloads DIR] [--reps N] [--only NAME[,NAME...]] "
               "[--executions-scale F]\n"
               "       stepfn_bench --map-memory N [--no-history] [--map-definition FILE] "
               "[--workloads DIR]\n");
}

bool ParseArgs(int argc, char** argv, Args* args) {
  for (int i = 1; i < argc; ++i) {
    std::string_view a = argv[i];
    auto next = [&]() -> const char* { return i + 1 < argc ? argv[++i] : nullptr; };
    const char* v = nullptr;
    if (a == "--workloads" && (v = next())) {
      args->workloads_dir = v;
    } else if (a == "--reps" && (v = next())) {
      args->reps = std::atoi(v);
    } else if (a == "--executions-scale" && (v = next())) {
      args->executions_scale = std::strtod(v, nullptr);
    } else if (a == "--only" && (v = next())) {
      std::string_view list = v;
      while (!list.empty()) {
        size_t comma = list.find(',');
        args->only.emplace(list.substr(0, comma));
        list = comma == std::string_view::npos ? std::string_view() : list.substr(comma + 1);
      }
    } else if (a == "--map-memory" && (v = next())) {
      args->map_memory_items = std::strtoll(v, nullptr, 10);
    } else if (a == "--map-definition" && (v = next())) {
      args->map_definition = v;
    } else if (a == "--no-history") {
      args->map_memory_history = false;
    } else {
      Usage();
      return false;
    }
  }
  if (args->reps < 1 || !(args->executions_scale > 0)) {
    Usage();
    return false;
  }
  return true;
}

Result<std::string> ReadFile(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return NotFound("cannot open " + path + ": " + std::strerror(errno));
  std::string text;
  char buf[1 << 16];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, f)) > 0) text.append(buf, n);
  bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) return Unavailable("cannot read " + path);
  return text;
}

Result<json::Value> ReadJson(const std::string& path) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  auto parsed = json::Parse(text);
  if (!parsed.ok()) return parsed.status().WithPrefix(path);
  return std::move(parsed).value();
}

std::string StringField(const json::Value& obj, std::string_view key) {
  const json::Value* v = obj.find(key);
  return v != nullptr && v->is_string() ? v->as_string() : std::string();
}

int64_t IntField(const json::Value& obj, std::string_view key) {
  const json::Value* v = obj.find(key);
  return v != nullptr && v->is_number() ? static_cast<int64_t>(v->as_double()) : 0;
}

double PeakRssMb() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_maxrss) / 1024.0;  // ru_maxrss is in KiB on Linux
}

// Resident set size now, from /proc/self/statm (pages).
double CurrentRssMb() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return 0;
  long size = 0, resident = 0;
  int got = std::fscanf(f, "%ld %ld", &size, &resident);
  std::fclose(f);
  if (got != 2) return 0;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE)) /
         (1024.0 * 1024.0);
}

double Median(std::vector<double> xs) {
  std::sort(xs.begin(), xs.end());
  size_t m = xs.size() / 2;
  return xs.size() % 2 ? xs[m] : (xs[m - 1] + xs[m]) / 2;
}

std::string JsonString(std::string_view s) { return json::Write(json::Value::String(s)); }

// States entered, counted from the history: the transitions stepfn actually made.
int64_t StatesEntered(const eval::EventLog& history) {
  int64_t n = 0;
  for (const eval::HistoryEvent& e : history) {
    std::string_view name = eval::EventTypeName(e.type);
    if (name.size() > 12 && name.substr(name.size() - 12) == "StateEntered") ++n;
  }
  return n;
}

struct Workload {
  std::string name;
  engine::MachineType type = engine::MachineType::Standard;
  int64_t executions = 1;
  std::string unit;
  int64_t per_execution = 0;
  json::Value definition;
  json::Value input;
  json::Value expected;
  std::string mock_config_path;
  std::string state_machine_name;
  std::string test_case;
};

Result<Workload> LoadWorkload(const std::string& dir, const json::Value& entry, double scale) {
  Workload w;
  w.name = StringField(entry, "name");
  w.type = StringField(entry, "type") == "EXPRESS" ? engine::MachineType::Express
                                                   : engine::MachineType::Standard;
  w.executions = std::max<int64_t>(
      1, static_cast<int64_t>(static_cast<double>(IntField(entry, "executions")) * scale + 0.5));
  w.unit = StringField(entry, "unit");
  w.per_execution = IntField(entry, "per_execution");
  ASSIGN_OR_RETURN(w.definition, ReadJson(dir + "/" + StringField(entry, "definition")));
  ASSIGN_OR_RETURN(w.input, ReadJson(dir + "/" + StringField(entry, "input")));
  ASSIGN_OR_RETURN(w.expected, ReadJson(dir + "/" + StringField(entry, "expected")));
  if (std::string mock = StringField(entry, "mock_config"); !mock.empty()) {
    w.mock_config_path = dir + "/" + mock;
    w.state_machine_name = StringField(entry, "state_machine_name");
    w.test_case = StringField(entry, "test_case");
  }
  return w;
}

// The engine's mock configuration for a workload with Tasks; null when it has none.
// (shared_ptr: a null one needs no complete type when the build has no MockConfig.)
#ifdef STEPFN_BENCH_HAVE_MOCKS
Result<std::shared_ptr<const engine::MockConfig>> LoadMocks(const Workload& w) {
  if (w.mock_config_path.empty()) return std::shared_ptr<const engine::MockConfig>();
  ASSIGN_OR_RETURN(json::Value doc, ReadJson(w.mock_config_path));
  ASSIGN_OR_RETURN(engine::MockConfig mocks, engine::MockConfig::FromJson(doc));
  return std::shared_ptr<const engine::MockConfig>(
      std::make_shared<engine::MockConfig>(std::move(mocks)));
}
#else
Result<std::shared_ptr<const engine::MockConfig>> LoadMocks(const Workload& w) {
  if (w.mock_config_path.empty()) return std::shared_ptr<const engine::MockConfig>();
  return Unimplemented("this build has no engine::MockConfig (src/engine/mock_config.h)");
}
#endif

std::string Fail(const std::string& name, const Status& st) {
  return "{\"engine\":\"stepfn\",\"workload\":" + JsonString(name) +
         ",\"ok\":false,\"error\":" + JsonString(st.ToString()) + "}";
}

Result<std::string> BenchWorkload(const Workload& w, int reps) {
  using Clock = std::chrono::steady_clock;
  Clock::time_point c0 = Clock::now();
  ASSIGN_OR_RETURN(std::shared_ptr<const asl::Program> program,
                   engine::CompileDefinition(w.definition));
  double compile_ms = std::chrono::duration<double, std::milli>(Clock::now() - c0).count();
  ASSIGN_OR_RETURN(auto mocks, LoadMocks(w));

  engine::RunOptions options;
  options.type = w.type;
  options.mocks = mocks.get();
  if (!w.state_machine_name.empty()) options.state_machine_name = w.state_machine_name;
  options.test_case = w.test_case;
  options.time_scale = 0;
  options.record_history = true;

  // Untimed check run.
  ASSIGN_OR_RETURN(engine::RunResult first, engine::RunLocal(*program, w.input, options));
  if (first.status != "SUCCEEDED") {
    return Internal("execution " + first.status + ": " + first.error + ": " + first.cause);
  }
  if (!first.output.Equals(w.expected)) {
    return Internal("unexpected output " + json::Write(first.output).substr(0, 300));
  }
  int64_t events_per_execution = static_cast<int64_t>(first.history.size());
  int64_t entered_per_execution = StatesEntered(first.history);
  if (w.unit == "transitions" && entered_per_execution != w.per_execution) {
    return Internal("history shows " + std::to_string(entered_per_execution) +
                    " states entered per execution, the workload says " +
                    std::to_string(w.per_execution));
  }

  std::vector<double> walls;
  int64_t events_recorded = 0;
  std::vector<json::Value> outputs(static_cast<size_t>(w.executions));
  for (int rep = 0; rep < reps; ++rep) {
    int64_t events = 0;
    Clock::time_point t0 = Clock::now();
    for (int64_t i = 0; i < w.executions; ++i) {
      Result<engine::RunResult> r = engine::RunLocal(*program, w.input, options);
      if (!r.ok()) return r.status();
      if (r->status != "SUCCEEDED") {
        return Internal("execution " + r->status + ": " + r->error + ": " + r->cause);
      }
      events += static_cast<int64_t>(r->history.size());
      outputs[static_cast<size_t>(i)] = std::move(r->output);
    }
    walls.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    for (int64_t i = 0; i < w.executions; ++i) {
      if (!outputs[static_cast<size_t>(i)].Equals(w.expected)) {
        return Internal("execution " + std::to_string(i) + " of repetition " + std::to_string(rep) +
                        ": unexpected output");
      }
      outputs[static_cast<size_t>(i)] = json::Value();
    }
    events_recorded = events;
  }
  double wall = Median(walls);
  std::string all;
  for (double x : walls) all += (all.empty() ? "" : ",") + std::to_string(x);
  char buf[1024];
  std::snprintf(buf, sizeof buf,
                "{\"engine\":\"stepfn\",\"workload\":%s,\"executions\":%" PRId64
                ",\"reps\":%d,\"wall_s_median\":%.6f,\"wall_s_all\":[%s],\"unit\":%s,"
                "\"units_per_s\":%.1f,\"executions_per_s\":%.1f,\"events_per_execution\":%" PRId64
                ",\"history_events_recorded\":%" PRId64 ",\"states_entered_per_execution\":%" PRId64
                ",\"compile_ms\":%.3f,\"peak_rss_mb\":%.1f,\"ok\":true}",
                JsonString(w.name).c_str(), w.executions, reps, wall, all.c_str(),
                JsonString(w.unit).c_str(),
                static_cast<double>(w.per_execution * w.executions) / wall,
                static_cast<double>(w.executions) / wall, events_per_execution, events_recorded,
                entered_per_execution, compile_ms, PeakRssMb());
  return std::string(buf);
}

Result<std::string> MapMemory(const Args& args) {
  ASSIGN_OR_RETURN(json::Value definition,
                   ReadJson(args.workloads_dir + "/" + args.map_definition));
  int64_t n = args.map_memory_items;
  std::vector<json::Value> items;
  items.reserve(static_cast<size_t>(n));
  for (int64_t i = 0; i < n; ++i) items.push_back(json::Value::Int(i));
  json::Value input = json::Value::Object({{"items", json::Value::Array(std::move(items))}});
  ASSIGN_OR_RETURN(std::shared_ptr<const asl::Program> program,
                   engine::CompileDefinition(definition));

  engine::RunOptions options;
  options.type = engine::MachineType::Express;
  options.time_scale = 0;
  options.record_history = args.map_memory_history;

  double rss_before = CurrentRssMb();
  double peak_before = PeakRssMb();
  auto t0 = std::chrono::steady_clock::now();
  ASSIGN_OR_RETURN(engine::RunResult r, engine::RunLocal(*program, input, options));
  double wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  double peak_after = PeakRssMb();
  if (r.status != "SUCCEEDED") {
    return Internal("execution " + r.status + ": " + r.error + ": " + r.cause);
  }
  if (!r.output.is_array() || static_cast<int64_t>(r.output.size()) != n) {
    return Internal("the Map's output is not an array of " + std::to_string(n) + " results");
  }
  double growth_mb = peak_after - rss_before;
  char buf[768];
  std::snprintf(buf, sizeof buf,
                "{\"engine\":\"stepfn\",\"workload\":\"map-memory\",\"definition\":\"%s\","
                "\"items\":%" PRId64
                ",\"record_history\":%s,\"history_events\":%zu,\"wall_s\":%.6f,"
                "\"rss_before_mb\":%.1f,\"peak_rss_before_mb\":%.1f,\"peak_rss_after_mb\":%.1f,"
                "\"bytes_per_item\":%.0f,\"ok\":true}",
                args.map_definition.c_str(), n, args.map_memory_history ? "true" : "false",
                r.history.size(), wall, rss_before, peak_before, peak_after,
                growth_mb * 1024.0 * 1024.0 / static_cast<double>(n));
  return std::string(buf);
}

int Main(int argc, char** argv) {
  Args args;
  if (!ParseArgs(argc, argv, &args)) return 2;
  Result<json::Value> manifest = ReadJson(args.workloads_dir + "/workloads.json");
  if (!manifest.ok() || !manifest->is_array()) {
    std::fprintf(
        stderr, "stepfn_bench: %s\n",
        manifest.ok() ? "workloads.json is not an array" : manifest.status().ToString().c_str());
    return 2;
  }

  if (args.map_memory_items > 0) {
    Result<std::string> line = MapMemory(args);
    std::printf("%s\n", line.ok() ? line->c_str() : Fail("map-memory", line.status()).c_str());
    return line.ok() ? 0 : 1;
  }

  bool failed = false;
  for (const json::Value& entry : manifest->items()) {
    std::string name = StringField(entry, "name");
    if (!args.only.empty() && args.only.count(name) == 0) continue;
    Result<Workload> w = LoadWorkload(args.workloads_dir, entry, args.executions_scale);
    Result<std::string> line = w.ok() ? BenchWorkload(*w, args.reps) : w.status();
    if (!line.ok()) failed = true;
    std::printf("%s\n", line.ok() ? line->c_str() : Fail(name, line.status()).c_str());
    std::fflush(stdout);
  }
  return failed ? 1 : 0;
}

}  // namespace
}  // namespace stepfn::bench

int main(int argc, char** argv) {
  stepfn::TuneAllocator();
  return stepfn::bench::Main(argc, argv);
}
