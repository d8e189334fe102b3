// Parallel and Map states: branches and iterations as child frames (a Fanout), run depth-first,
// MaxConcurrency, tolerated failures, Distributed Map runs.
#include <algorithm>
#include <cmath>
#include <optional>

#include "asl/program.h"
#include "eval/io.h"
#include "eval/stepper.h"
#include "expr/intrinsic.h"
#include "expr/timestamp.h"
#include "json/write.h"

namespace stepfn::eval::internal {

void Stepper::ExecuteParallel(Frame* f) {
  if (AnswerFanoutFromProbe(f)) return;
  const State& s = StateOf(*f);
  json::Value branch_input;
  if (!ApplyTemplate(f, s.parameters, f->effective, &branch_input)) return;
  Emit(f, EventType::ParallelStateStarted);
  auto fan = std::make_unique<Fanout>();
  fan->total = s.branches.size();
  fan->results.resize(fan->total);
  fan->running.reserve(fan->total);  // every branch may be in flight at once
  fan->items = branch_input;
  ApplyRedrivePoint(f, fan.get());
  f->fanout = std::move(fan);
  f->phase = FramePhase::WaitChildren;
}

void Stepper::ExecuteMap(Frame* f) {
  if (AnswerFanoutFromProbe(f)) return;
  const State& s = StateOf(*f);
  json::Value items;
  if (s.items_literal) {
    items = *s.items_literal;
  } else if (s.items_path) {
    auto v = s.items_path->Evaluate(f->effective);
    if (!v.ok()) {
      FailState(f, RuntimeError(*f, "Invalid path '" + s.items_path->text() +
                                        "' : No results for path: " + s.items_path->text()));
      return;
    }
    items = std::move(*v);
  } else {
    items = f->effective;
  }
  if (!items.is_array()) {
    FailState(f,
              RuntimeError(
                  *f, "Invalid path '" + (s.items_path ? s.items_path->text() : std::string("$")) +
                          "' : The value at the path must be an array: " + json::Write(items)));
    return;
  }
  auto fan = std::make_unique<Fanout>();
  if (s.distributed) {
    HistoryEvent& started = Emit(f, EventType::MapStateStarted);
    started.index = static_cast<int32_t>(items.size());
  }
  auto read_number = [&](const asl::NumberOrPath& n, const char* field, bool integer,
                         double* dst) -> bool {
    if (n.literal) {
      *dst = *n.literal;
      return true;
    }
    if (!n.path) return true;
    auto v = n.path->Evaluate(f->effective);
    bool valid = v.ok() && v->is_number() && (!integer || v->is_int());
    if (!valid) {
      std::string shown = !v.ok() ? "null" : v->is_string() ? v->as_string() : json::Write(*v);
      FailState(f, RuntimeError(*f, std::string("The ") + field + " field refers to value \"" +
                                        shown + "\" which is not a valid " +
                                        (integer ? "integer" : "float") + ": " + n.path->text()));
      return false;
    }
    *dst = v->as_double();
    return true;
  };
  double max_conc = 0;
  if (!read_number(s.max_concurrency, "MaxConcurrencyPath", true, &max_conc)) return;
  if (!read_number(s.tolerated_failure_count, "ToleratedFailureCountPath", true,
                   &fan->tolerated_count)) {
    return;
  }
  if (!read_number(s.tolerated_failure_percentage, "ToleratedFailurePercentagePath", false,
                   &fan->tolerated_percentage)) {
    return;
  }
  if (s.tolerated_failure_count.present() && fan->tolerated_count < 0) {
    FailState(f, RuntimeError(*f, "ToleratedFailureCount cannot be negative."));
    return;
  }
  if (s.tolerated_failure_percentage.present() &&
      (fan->tolerated_percentage < 0 || fan->tolerated_percentage > 100)) {
    FailState(f, RuntimeError(*f, "ToleratedFailurePercentage must be between 0 and 100."));
    return;
  }
  fan->max_concurrency = max_conc > 0 ? static_cast<size_t>(max_conc) : 0;
  fan->total = items.size();
  fan->items = items;
  fan->results.resize(fan->total);
  if (s.uses_context) fan->context = ContextFor(*f);
  if (s.distributed) {
    MapRun run;
    run.id = NewUuid();
    run.label = s.map_label.empty() ? s.name : s.map_label;
    run.start_date = st_.now;
    run.total = fan->total;
    run.max_concurrency = fan->max_concurrency;
    run.tolerated_count = fan->tolerated_count;
    run.tolerated_percentage = fan->tolerated_percentage;
    fan->map_run = static_cast<int64_t>(st_.map_runs.size());
    st_.map_runs.push_back(std::move(run));
    HistoryEvent& e = Emit(f, EventType::MapRunStarted);
    e.name = json::Value::String(MapRunArn(st_, st_.map_runs.size() - 1));
  } else {
    HistoryEvent& e = Emit(f, EventType::MapStateStarted);
    e.index = static_cast<int32_t>(fan->total);
  }
  ApplyRedrivePoint(f, fan.get());
  f->fanout = std::move(fan);
  f->phase = FramePhase::WaitChildren;
}

void Stepper::ApplyRedrivePoint(Frame* f, Fanout* fan) {
  if (redriving_ == nullptr || f->parent != 0 || redriving_->children != fan->total) return;
  fan->ok.assign(fan->total, 0);
  for (auto& [index, result] : redriving_->kept) {
    if (index >= fan->total || fan->ok[index]) continue;
    fan->ok[index] = 1;
    fan->results[index] = std::move(result);
    ++fan->finished;
  }
  redriving_->kept.clear();
}

void Stepper::StartChild(Frame* f) {
  const State& s = StateOf(*f);
  Fanout& fan = *f->fanout;
  size_t i = fan.next_start++;
  if (s.type == StateType::Parallel) {
    Frame* c = NewFrame(f->id, i, s.branches[i].get(), fan.items);
    fan.running.insert(c->id);
    RunFrame(c);
    return;
  }
  json::Value item = fan.items.items()[i];
  if (s.parameters) {
    json::Value ctx;
    if (s.uses_context) {
      json::Value base = fan.context;
      json::ObjectBuilder b(base);
      json::ObjectBuilder it;
      it.Append("Index", json::Value::Int(static_cast<int64_t>(i)));
      it.Append("Value", item);
      b.Set("Map", json::Value::Object({{"Item", std::move(it).Build()}}));
      ctx = std::move(b).Build();
    }
    auto p = s.parameters->Evaluate(ScopeFor(&f->effective, &ctx));
    if (!p.ok()) {
      fan.failing = true;
      fan.error = Contextualise(*f, p.error);
      return;
    }
    item = std::move(p.value);
  }
  if (!s.distributed) {
    HistoryEvent& e = Emit(f, EventType::MapIterationStarted);
    e.name = s.name_value;
    e.index = static_cast<int32_t>(i);
  }
  if (MapRun* run = RunOf(fan)) ++run->started;
  Frame* c = NewFrame(f->id, i, s.processor.get(), std::move(item));
  fan.running.insert(c->id);
  RunFrame(c);
}

void Stepper::Pump(Frame* f) {
  pumping_.push_back(f->id);
  while (running() && f->phase != FramePhase::Done) {
    Fanout& fan = *f->fanout;
    if (fan.failing) break;
    // Children that succeeded before a redrive are done already.
    while (fan.next_start < fan.ok.size() && fan.ok[fan.next_start]) ++fan.next_start;
    if (fan.next_start >= fan.total) break;
    if (fan.max_concurrency > 0 && fan.running.size() >= fan.max_concurrency) break;
    StartChild(f);
    // The child that just ran holds no pointers any more: free what it left behind, so that a
    // Map of a million short iterations does not keep a million frames until the Step ends.
    if (running() && graveyard_.size() >= 256) graveyard_.clear();
  }
  pumping_.pop_back();
  if (!running() || f->phase == FramePhase::Done) return;
  Fanout& fan = *f->fanout;
  const State& s = StateOf(*f);
  bool parallel = s.type == StateType::Parallel;
  if (fan.failing) {
    AbortChildren(f);
    StatesError err = std::move(fan.error);
    failed_fanout_ = std::move(f->fanout);  // for a redrive point, should the execution fail
    failed_fanout_frame_ = f->id;
    f->phase = FramePhase::Execute;
    if (s.distributed) {
      EndMapRun(fan, MapRunStatus::Failed);
      Emit(f, EventType::MapRunFailed);
    }
    FailState(f, std::move(err),
              parallel ? EventType::ParallelStateFailed : EventType::MapStateFailed);
    failed_fanout_.reset();
    failed_fanout_frame_ = 0;
    return;
  }
  if (fan.finished < fan.total) return;  // still waiting on children
  EndMapRun(fan, MapRunStatus::Succeeded);
  json::Value results = json::Value::Array(std::move(fan.results));
  f->fanout.reset();
  f->phase = FramePhase::Execute;
  if (parallel) {
    // AWS records no ParallelStateSucceeded event; the state exits directly.
  } else {
    if (s.distributed) Emit(f, EventType::MapRunSucceeded);
    Emit(f, EventType::MapStateSucceeded);
  }
  if (!CheckSize(f, results, "returned")) return;
  CompleteState(f, std::move(results));
}

void Stepper::ChildDone(Frame* child, bool ok, json::Value output, StatesError err) {
  Frame* parent = FindFrame(child->parent);
  uint64_t child_id = child->id;
  size_t index = child->child_index;
  int64_t last = child->last_event_id;
  Bury(child_id);
  if (parent == nullptr || !parent->fanout) return;
  Fanout& fan = *parent->fanout;
  fan.running.erase(child_id);
  ++fan.finished;
  if (MapRun* run = RunOf(fan)) ++(ok ? run->succeeded : run->failed);
  const State& s = StateOf(*parent);
  if (parent->last_event_id < last) parent->last_event_id = last;
  if (s.type == StateType::Map && !s.distributed) {
    HistoryEvent& e =
        Emit(parent, ok ? EventType::MapIterationSucceeded : EventType::MapIterationFailed);
    e.name = s.name_value;
    e.index = static_cast<int32_t>(index);
    if (!ok) {
      e.SetFailure(err.error, err.cause);
    }
  }
  if (ok) {
    fan.results[index] = std::move(output);
    if (fan.ok.size() != fan.total) fan.ok.resize(fan.total, 0);
    fan.ok[index] = 1;
  } else {
    ++fan.failed;
    bool tolerated = false;
    if (s.type == StateType::Map) {
      if (fan.tolerated_count >= 0 && static_cast<double>(fan.failed) <= fan.tolerated_count) {
        tolerated = true;
      }
      if (fan.tolerated_percentage >= 0 && fan.total > 0 &&
          100.0 * static_cast<double>(fan.failed) / static_cast<double>(fan.total) <=
              fan.tolerated_percentage) {
        tolerated = true;
      }
    }
    if (tolerated) {
      fan.results[index] = json::Value::Object(
          {{"Error", json::Value::String(err.error)}, {"Cause", json::Value::String(err.cause)}});
    } else if (!fan.failing) {
      fan.failing = true;
      if ((fan.tolerated_count >= 0 || fan.tolerated_percentage >= 0) && s.type == StateType::Map) {
        fan.error = {"States.ExceedToleratedFailureThreshold",
                     "The specified tolerated failure threshold was exceeded"};
      } else {
        fan.error = std::move(err);
      }
    }
  }
  if (parent->phase == FramePhase::WaitChildren &&
      std::find(pumping_.begin(), pumping_.end(), parent->id) == pumping_.end()) {
    Ready(parent);
  }
}

MapRun* Stepper::RunOf(const Fanout& fan) {
  if (fan.map_run < 0 || static_cast<size_t>(fan.map_run) >= st_.map_runs.size()) return nullptr;
  return &st_.map_runs[static_cast<size_t>(fan.map_run)];
}

void Stepper::EndMapRun(const Fanout& fan, MapRunStatus status) {
  MapRun* run = RunOf(fan);
  if (run == nullptr || run->status != MapRunStatus::Running) return;
  run->status = status;
  run->stop_date = st_.now;
}

// UpdateMapRun: new limits for a run still going; more children may start at once.
void Stepper::UpdateMapRun(const Input& in) {
  if (in.id >= st_.map_runs.size() || !in.value.is_object()) return;
  MapRun& run = st_.map_runs[in.id];
  if (run.status != MapRunStatus::Running) return;
  Frame* owner = nullptr;
  for (auto& [id, frame] : st_.frames) {
    if (frame->fanout && frame->fanout->map_run == static_cast<int64_t>(in.id)) owner = frame.get();
  }
  if (owner == nullptr) return;
  Fanout& fan = *owner->fanout;
  if (const json::Value* v = in.value.find("maxConcurrency"); v != nullptr && v->is_number()) {
    fan.max_concurrency = static_cast<size_t>(std::max(0.0, v->as_double()));
    run.max_concurrency = fan.max_concurrency;
  }
  if (const json::Value* v = in.value.find("toleratedFailureCount");
      v != nullptr && v->is_number()) {
    fan.tolerated_count = v->as_double();
    run.tolerated_count = fan.tolerated_count;
  }
  if (const json::Value* v = in.value.find("toleratedFailurePercentage");
      v != nullptr && v->is_number()) {
    fan.tolerated_percentage = v->as_double();
    run.tolerated_percentage = fan.tolerated_percentage;
  }
  Ready(owner);
}

}  // namespace stepfn::eval::internal
