#include "engine/test_state.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <queue>
#include <unordered_set>
#include <utility>
#include <vector>

#include "asl/program.h"
#include "asl/validate.h"
#include "eval/probe.h"
#include "eval/step.h"
#include "expr/scope.h"
#include "json/parse.h"
#include "json/write.h"

namespace stepfn::engine {
namespace {

using asl::StateType;

// The name AWS gives a state tested on its own (it appears in $$.State.Name and in the
// locations of InvalidDefinition messages: "/States/StateName/Branches").
constexpr std::string_view kSingleStateName = "StateName";
// TestState runs for at most five minutes.
constexpr double kTestStateTimeoutSeconds = 300;

TestStateRefusal Validation(std::string message) {
  return {"ValidationException", std::move(message)};
}
TestStateRefusal InvalidDefinition(std::string message) {
  return {"InvalidDefinition", std::move(message)};
}

uint64_t SplitMix(uint64_t* s) {
  uint64_t z = (*s += 0x9E3779B97F4A7C15ULL);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return z ^ (z >> 31);
}

std::string Hex(uint64_t* rng, size_t digits) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  uint64_t r = 0;
  for (size_t i = 0; i < digits; ++i) {
    if (i % 16 == 0) r = SplitMix(rng);
    out.push_back(kHex[r & 15]);
    r >>= 4;
  }
  return out;
}

// A version 4 UUID from the random stream.
std::string Uuid(uint64_t* rng) {
  std::string h = Hex(rng, 32);
  h[12] = '4';
  h[16] = "89ab"[h[16] % 4];
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

std::string_view TypeName(StateType t) { return asl::StateTypeName(t); }

// --- Finding the state under test ------------------------------------------------------------

// The JSON of the state named `name` anywhere in a machine (its States, Parallel branches, Map
// item processors), depth first; nullptr when there is none.
const json::Value* FindStateJson(const json::Value& machine, std::string_view name) {
  const json::Value* states = machine.find("States");
  if (states == nullptr || !states->is_object()) return nullptr;
  for (const json::Member& m : states->members()) {
    if (m.first == name) return &m.second;
  }
  for (const json::Member& m : states->members()) {
    if (!m.second.is_object()) continue;
    if (const json::Value* branches = m.second.find("Branches");
        branches != nullptr && branches->is_array()) {
      for (const json::Value& b : branches->items()) {
        if (const json::Value* found = FindStateJson(b, name)) return found;
      }
    }
    for (std::string_view key : {"ItemProcessor", "Iterator"}) {
      if (const json::Value* proc = m.second.find(key); proc != nullptr) {
        if (const json::Value* found = FindStateJson(*proc, name)) return found;
      }
    }
  }
  return nullptr;
}

// The compiled state named `name`, in the same search order.
bool FindState(const asl::Body& body, std::string_view name, const asl::Body** found_body,
               int* found_index) {
  for (size_t i = 0; i < body.states.size(); ++i) {
    if (body.states[i].name == name) {
      *found_body = &body;
      *found_index = static_cast<int>(i);
      return true;
    }
  }
  for (const asl::State& s : body.states) {
    for (const auto& b : s.branches) {
      if (FindState(*b, name, found_body, found_index)) return true;
    }
    if (s.processor && FindState(*s.processor, name, found_body, found_index)) return true;
  }
  return false;
}

// A single state as a machine: {"StartAt": "StateName", "States": {"StateName": state, ...}},
// with a Succeed state standing for every transition target the state names (its Next,
// Default, Choices and Catch targets lie outside what is tested).
json::Value WrapSingleState(const json::Value& state) {
  std::vector<std::string> targets;
  auto add = [&targets](const json::Value* v) {
    if (v == nullptr || !v->is_string() || v->as_string() == kSingleStateName) return;
    if (std::find(targets.begin(), targets.end(), v->as_string()) == targets.end()) {
      targets.push_back(v->as_string());
    }
  };
  if (state.is_object()) {
    add(state.find("Next"));
    add(state.find("Default"));
    for (std::string_view list : {"Choices", "Catch"}) {
      const json::Value* items = state.find(list);
      if (items == nullptr || !items->is_array()) continue;
      for (const json::Value& item : items->items()) {
        if (item.is_object()) add(item.find("Next"));
      }
    }
  }
  std::vector<json::Member> states;
  states.emplace_back(std::string(kSingleStateName), state);
  for (std::string& t : targets) {
    states.emplace_back(std::move(t),
                        json::Value::Object({{"Type", json::Value::String("Succeed")}}));
  }
  return json::Value::Object({{"StartAt", json::Value::String(kSingleStateName)},
                              {"States", json::Value::Object(std::move(states))}});
}

// What stepfn cannot run yet, or nothing.
std::optional<std::string> Unsupported(const json::Value& machine, const json::Value& state,
                                       const std::string& where) {
  auto jsonata = [](const json::Value& v) {
    const json::Value* q = v.is_object() ? v.find("QueryLanguage") : nullptr;
    return q != nullptr && q->is_string() && q->as_string() == "JSONata";
  };
  std::string why;
  if (jsonata(machine)) {
    why = "QueryLanguage JSONata";
  } else if (jsonata(state)) {
    why = "QueryLanguage JSONata at " + where;
  } else if (state.is_object() && state.find("Assign") != nullptr) {
    why = "Assign at " + where;
  } else {
    return std::nullopt;
  }
  return "stepfn does not run JSONata or workflow variables yet (" + why +
         "): they arrive in a later issue";
}

// --- The context object -----------------------------------------------------------------------

bool IsSyncOrCallback(const asl::State& s) {
  return s.type == StateType::Task &&
         (s.resource.ends_with(".sync") || s.resource.ends_with(".sync:2") ||
          s.resource.ends_with(".waitForTaskToken"));
}

// Checks a context object given in the request. The messages follow AWS's ("Invalid Context
// object provided: ..."); the ones for shapes AWS was not seen refusing are ours.
std::optional<TestStateRefusal> CheckContext(const json::Value& context, const asl::State& state) {
  auto refuse = [](const std::string& why) {
    return Validation("Invalid Context object provided: " + why);
  };
  if (!context.is_object()) return refuse("the context object must be a JSON object");
  struct Part {
    std::string_view name;
    std::vector<std::pair<std::string_view, char>> fields;  // 's' string, 'i' integer, '*' any
  };
  static const std::vector<Part> kParts = {
      {"Execution",
       {{"Id", 's'},
        {"Input", '*'},
        {"Name", 's'},
        {"RoleArn", 's'},
        {"StartTime", 's'},
        {"RedriveCount", 'i'},
        {"RedriveTime", 's'}}},
      {"State", {{"EnteredTime", 's'}, {"Name", 's'}, {"RetryCount", 'i'}}},
      {"StateMachine", {{"Id", 's'}, {"Name", 's'}}},
      {"Task", {{"Token", 's'}}},
  };
  if (context.find("Map") != nullptr) {
    return refuse("'Map' field is not supported when mocking a Context object");
  }
  for (const json::Member& m : context.members()) {
    auto part = std::find_if(kParts.begin(), kParts.end(),
                             [&m](const Part& p) { return p.name == m.first; });
    if (part == kParts.end()) return refuse("Field '" + m.first + "' is not allowed");
    if (!m.second.is_object()) return refuse(m.first + " must be an object");
    for (const json::Member& field : m.second.members()) {
      auto f = std::find_if(part->fields.begin(), part->fields.end(),
                            [&field](const auto& p) { return p.first == field.first; });
      if (f == part->fields.end()) return refuse("Field '" + field.first + "' is not allowed");
      if (f->second == 's' && !field.second.is_string()) {
        return refuse(m.first + "." + field.first + " must be a string");
      }
      if (f->second == 'i' && !field.second.is_int()) {
        return refuse(m.first + "." + field.first + " must be an integer");
      }
    }
  }
  if (context.find("Task") != nullptr && !IsSyncOrCallback(state)) {
    return refuse(
        "Context object contains 'Task' when state is not a Task state with a '.sync' or "
        "'.waitForTaskToken' service integration pattern");
  }
  return std::nullopt;
}

// --- The probe: the state under test, its mock, what it showed --------------------------------

struct RetryNote {
  size_t index = 0;
  StatesError error;
  bool retrying = false;
};
struct CatchNote {
  size_t index = 0;
  StatesError error;
};

class TestStateProbe final : public eval::StateProbe {
 public:
  TestStateProbe(const asl::Body* body, int index, const TestStateRequest& request,
                 const std::optional<json::Value>& mock_result, json::Value context,
                 const json::Value* state_json, uint64_t seed)
      : body_(body),
        index_(index),
        request_(request),
        mock_result_(mock_result),
        context_(std::move(context)),
        state_json_(state_json),
        rng_(seed) {}

  const asl::Body* StartBody() const override { return body_; }
  int StartState() const override { return index_; }
  const json::Value* Context() const override { return &context_; }

  void OnEnter(const asl::State&, std::vector<uint16_t>* counts, int* total) override {
    if (!request_.retrier_retry_count) return;
    int64_t n = std::clamp<int64_t>(*request_.retrier_retry_count, 0, UINT16_MAX);
    for (uint16_t& c : *counts) c = static_cast<uint16_t>(n);
    *total = static_cast<int>(n);
  }

  void OnStage(eval::ProbeStage stage, const json::Value& value) override {
    stages_[static_cast<size_t>(stage)] = value;
  }

  bool AnswerFanout(const asl::State& s, const json::Value& effective,
                    Fallible<json::Value>* outcome) override {
    if (!request_.mock) return false;
    if (s.type == StateType::Map) {
      std::optional<StatesError> err = PrepareMap(s, effective);
      if (err) {
        *outcome = std::move(*err);
        return true;
      }
    }
    if (request_.mock->has_error_output) {
      *outcome = StatesError{request_.mock->error.value_or(""), request_.mock->cause.value_or("")};
      return true;
    }
    if (s.type == StateType::Map && MapFailuresExceedTolerance(s)) {
      *outcome = StatesError{"States.ExceedToleratedFailureThreshold",
                             "The specified tolerated failure threshold was exceeded"};
      return true;
    }
    *outcome = mock_result_.value_or(json::Value());
    return true;
  }

  void OnRetrier(size_t index, const StatesError& error, bool retrying) override {
    if (!retry_) retry_ = RetryNote{index, error, retrying};
  }
  void OnCatcher(size_t index, const StatesError& error) override {
    if (!catch_) catch_ = CatchNote{index, error};
  }
  bool OnLeave(const asl::State* next, const json::Value&) override {
    if (next != nullptr) next_state_ = next->name;
    return true;
  }

  const json::Value* Stage(eval::ProbeStage stage) const {
    const auto& v = stages_[static_cast<size_t>(stage)];
    return v ? &*v : nullptr;
  }
  bool retrying() const { return retry_ && retry_->retrying; }
  const std::optional<RetryNote>& retry() const { return retry_; }
  const std::optional<CatchNote>& caught() const { return catch_; }
  const std::optional<std::string>& next_state() const { return next_state_; }
  const std::optional<json::Value>& after_items_path() const { return after_items_path_; }
  const std::optional<json::Value>& after_item_selector() const { return after_item_selector_; }
  std::optional<int64_t> max_concurrency() const { return max_concurrency_; }
  std::optional<double> tolerated_count() const { return tolerated_count_; }
  std::optional<double> tolerated_percentage() const { return tolerated_percentage_; }

 private:
  // A Map state's items, ItemSelector, MaxConcurrency and tolerated failures, as the state
  // would use them (recorded for inspectionData); an error when they cannot be had.
  std::optional<StatesError> PrepareMap(const asl::State& s, const json::Value& effective) {
    auto runtime = [](std::string cause) {
      return StatesError{"States.Runtime", std::move(cause)};
    };
    std::optional<json::Value> items;
    bool reader = state_json_ != nullptr && state_json_->find("ItemReader") != nullptr;
    if (reader) {
      // The data an ItemReader would read comes from stateConfiguration.mapItemReaderData.
      if (request_.map_item_reader_data) {
        auto parsed = json::Parse(*request_.map_item_reader_data);
        if (parsed.ok()) items = std::move(parsed).value();
      }
    } else if (s.items_literal) {
      items = *s.items_literal;
    } else {
      const json::Value* doc = &effective;
      std::string shown = "$";
      if (s.items_path) {
        shown = s.items_path->text();
        if (s.items_path->root() == json::PathRoot::Context) {
          doc = &context_;
          shown = shown.substr(1);  // AWS names "$$.a" "$.a": the path inside the context
        }
        auto v = s.items_path->Evaluate(*doc);
        if (!v.ok()) {
          return runtime("Invalid path '" + s.items_path->text() +
                         "' : No results for path: " + s.items_path->text());
        }
        items = std::move(v).value();
      } else {
        items = effective;
      }
      if (!items->is_array())
        return runtime("Reference path \"" + shown + "\" must point to array.");
    }
    if (items) after_items_path_ = *items;
    if (items && items->is_array() && s.parameters) {
      std::vector<json::Value> selected;
      for (size_t i = 0; i < items->size(); ++i) {
        json::ObjectBuilder ctx(context_);
        json::ObjectBuilder item;
        item.Append("Index", json::Value::Int(static_cast<int64_t>(i)));
        item.Append("Value", items->items()[i]);
        ctx.Set("Map", json::Value::Object({{"Item", std::move(item).Build()}}));
        json::Value map_context = std::move(ctx).Build();
        expr::Scope scope;
        scope.input = &effective;
        scope.context = &map_context;
        uint64_t* rng = &rng_;
        scope.random = [rng] { return SplitMix(rng); };
        auto r = s.parameters->Evaluate(scope);
        if (!r.ok()) return r.error;
        selected.push_back(std::move(r.value));
      }
      after_item_selector_ = json::Value::Array(std::move(selected));
    }
    auto number = [&](const asl::NumberOrPath& n, const char* field, bool integer,
                      std::optional<double>* dst) -> std::optional<StatesError> {
      if (n.literal) {
        *dst = *n.literal;
        return std::nullopt;
      }
      if (!n.path) return std::nullopt;
      auto v = n.path->Evaluate(effective);
      if (!v.ok() || !v->is_number() || (integer && !v->is_int())) {
        std::string shown = !v.ok() ? "null" : v->is_string() ? v->as_string() : json::Write(*v);
        return runtime(std::string("The ") + field + " field refers to value \"" + shown +
                       "\" which is not a valid " + (integer ? "integer" : "float") + ": " +
                       n.path->text());
      }
      *dst = v->as_double();
      return std::nullopt;
    };
    std::optional<double> concurrency;
    if (auto e = number(s.max_concurrency, "MaxConcurrencyPath", true, &concurrency)) return e;
    max_concurrency_ = concurrency ? static_cast<int64_t>(*concurrency) : 0;
    if (auto e = number(s.tolerated_failure_count, "ToleratedFailureCountPath", true,
                        &tolerated_count_)) {
      return e;
    }
    if (auto e = number(s.tolerated_failure_percentage, "ToleratedFailurePercentagePath", false,
                        &tolerated_percentage_)) {
      return e;
    }
    return std::nullopt;
  }

  // stateConfiguration.mapIterationFailureCount iterations failed: beyond the tolerated count
  // or percentage, the Map fails with States.ExceedToleratedFailureThreshold. As on AWS, the
  // count is only considered for a Map with Retry or Catch.
  bool MapFailuresExceedTolerance(const asl::State& s) const {
    int64_t failures = request_.map_iteration_failure_count.value_or(0);
    if (failures <= 0 || (s.retry.empty() && s.catches.empty())) return false;
    size_t total = 0;
    if (mock_result_ && mock_result_->is_array()) {
      total = mock_result_->size();
    } else if (after_items_path_ && after_items_path_->is_array()) {
      total = after_items_path_->size();
    }
    bool tolerated = false;
    if (tolerated_count_ && static_cast<double>(failures) <= *tolerated_count_) tolerated = true;
    if (tolerated_percentage_ && total > 0 &&
        100.0 * static_cast<double>(failures) / static_cast<double>(total) <=
            *tolerated_percentage_) {
      tolerated = true;
    }
    return !tolerated;
  }

  const asl::Body* body_;
  int index_;
  const TestStateRequest& request_;
  const std::optional<json::Value>& mock_result_;
  json::Value context_;
  const json::Value* state_json_;
  uint64_t rng_;
  std::array<std::optional<json::Value>, 5> stages_;
  std::optional<RetryNote> retry_;
  std::optional<CatchNote> catch_;
  std::optional<std::string> next_state_;
  std::optional<json::Value> after_items_path_;
  std::optional<json::Value> after_item_selector_;
  std::optional<int64_t> max_concurrency_;
  std::optional<double> tolerated_count_;
  std::optional<double> tolerated_percentage_;
};

// "An error occurred while executing the state 'S' (entered at the event id #N). why" ->
// "why": TestState runs no history, so its causes name no event.
std::string WithoutStatePrefix(const std::string& cause) {
  static constexpr std::string_view kHead = "An error occurred while executing the state '";
  static constexpr std::string_view kEvent = "(entered at the event id #";
  if (cause.rfind(kHead, 0) != 0) return cause;
  size_t event = cause.find(kEvent, kHead.size());
  if (event == std::string::npos) return cause;
  size_t end = cause.find(").", event);
  if (end == std::string::npos) return cause;
  size_t start = end + 2;
  if (start < cause.size() && cause[start] == ' ') ++start;
  return cause.substr(start);
}

// The backoff AWS reports for a retry: IntervalSeconds x BackoffRate^(retries so far), capped
// by MaxDelaySeconds, in whole seconds (jitter left out).
int64_t BackoffSeconds(const asl::Retrier& r, int64_t retries) {
  double delay = r.interval_seconds * std::pow(r.backoff_rate, static_cast<double>(retries));
  if (r.max_delay_seconds && delay > *r.max_delay_seconds) delay = *r.max_delay_seconds;
  return static_cast<int64_t>(delay);
}

json::Value Text(const json::Value& v) { return json::Value::String(json::Write(v)); }

// inspectionData for a JSONPath state: the stages AWS shows for its type.
json::Value InspectionData(const asl::State& s, const json::Value& input,
                           const TestStateProbe& probe, const json::Value& error_details) {
  using eval::ProbeStage;
  json::ObjectBuilder d;
  d.Append("input", Text(input));
  auto stage = [&](ProbeStage st, const char* key) {
    if (const json::Value* v = probe.Stage(st)) d.Append(key, Text(*v));
  };
  switch (s.type) {
    case StateType::Pass:
      if (s.result) {  // a Result replaces what InputPath and Parameters made
        stage(ProbeStage::Result, "result");
      } else {
        stage(ProbeStage::AfterInputPath, "afterInputPath");
        stage(ProbeStage::AfterParameters, "afterParameters");
      }
      stage(ProbeStage::AfterResultSelector, "afterResultSelector");
      stage(ProbeStage::AfterResultPath, "afterResultPath");
      break;
    case StateType::Task:
      stage(ProbeStage::AfterInputPath, "afterInputPath");
      stage(ProbeStage::AfterParameters, "afterParameters");
      stage(ProbeStage::Result, "result");
      stage(ProbeStage::AfterResultSelector, "afterResultSelector");
      stage(ProbeStage::AfterResultPath, "afterResultPath");
      break;
    case StateType::Choice:
    case StateType::Succeed:
    case StateType::Wait:
      stage(ProbeStage::AfterInputPath, "afterInputPath");
      break;
    case StateType::Fail:
      break;
    case StateType::Parallel:
      stage(ProbeStage::AfterResultSelector, "afterResultSelector");
      stage(ProbeStage::AfterResultPath, "afterResultPath");
      break;
    case StateType::Map:
      stage(ProbeStage::AfterInputPath, "afterInputPath");
      if (probe.after_items_path()) d.Append("afterItemsPath", Text(*probe.after_items_path()));
      if (probe.after_item_selector()) {
        d.Append("afterItemSelector", Text(*probe.after_item_selector()));
      }
      if (probe.max_concurrency()) {
        d.Append("maxConcurrency", json::Value::Int(*probe.max_concurrency()));
      }
      if (probe.tolerated_count()) {
        d.Append("toleratedFailureCount",
                 json::Value::Int(static_cast<int64_t>(*probe.tolerated_count())));
      }
      if (probe.tolerated_percentage()) {
        d.Append("toleratedFailurePercentage", json::Value::Double(*probe.tolerated_percentage()));
      }
      stage(ProbeStage::AfterResultSelector, "afterResultSelector");
      stage(ProbeStage::AfterResultPath, "afterResultPath");
      break;
  }
  if (error_details.is_object() && error_details.size() > 0) {
    d.Append("errorDetails", error_details);
  }
  return std::move(d).Build();
}

// The request checks that need the state under test, in the order AWS makes them.
std::optional<TestStateRefusal> CheckMockAndConfiguration(const TestStateRequest& request,
                                                          const TestStateEnvironment& env,
                                                          const asl::State& s,
                                                          const json::Value& state_json,
                                                          std::optional<json::Value>* mock_result) {
  const std::optional<TestStateMock>& mock = request.mock;
  bool fanout = s.type == StateType::Map || s.type == StateType::Parallel;
  if (request.map_iteration_failure_count && !mock) {
    return Validation(
        "TestState does not support MapIterationFailureCount when a mock is not specified.");
  }
  if (!mock && fanout) {
    // AWS's words, the same for both types.
    return InvalidDefinition(
        "TestState API does not support Map or Parallel states. Supported state types "
        "include: [Task, Wait, Pass, Succeed, Fail, Choice]");
  }
  if (mock) {
    if (s.type != StateType::Task && !fanout) {
      return Validation("State type '" + std::string(TypeName(s.type)) +
                        "' is not supported when a mock is specified");
    }
    if (request.reveal_secrets) {
      return Validation("TestState does not support RevealSecrets when a mock is specified.");
    }
    if (mock->result && mock->has_error_output) {
      return Validation(
          "A test mock should have only one of the following fields: [result, errorOutput].");
    }
    if (!mock->result && !mock->has_error_output) {
      return Validation(
          "A test mock should have one of the following fields: [result, errorOutput].");
    }
    if (mock->has_error_output && !mock->error) {
      return Validation("A test mock's errorOutput must have an error.");
    }
    if (mock->result) {
      auto parsed = json::Parse(*mock->result);
      if (!parsed.ok()) return Validation("Mocked result must be valid JSON");
      *mock_result = std::move(parsed).value();
      const json::Value& r = **mock_result;
      if (s.type == StateType::Map) {
        bool writer = state_json.find("ResultWriter") != nullptr;
        if (writer && !r.is_object()) return Validation("Mocked result must be a JSON object.");
        if (!writer && !r.is_array()) return Validation("Mocked result must be an array.");
      }
      if (s.type == StateType::Task && env.check_mock_result) {
        std::string_view mode = mock->field_validation_mode;
        if (auto bad = env.check_mock_result(s.resource, r, mode.empty() ? "STRICT" : mode)) {
          return Validation(std::move(*bad));
        }
      }
      if (s.type == StateType::Parallel) {
        if (!r.is_array()) return Validation("Mocked result must be an array.");
        if (r.size() != s.branches.size()) {
          return Validation(
              "Mocked result must contain the same number of items as number of Parallel "
              "branches.");
        }
      }
    }
  }
  if (request.map_iteration_failure_count) {
    if (*mock_result && (*mock_result)->is_array() &&
        static_cast<size_t>(*request.map_iteration_failure_count) > (*mock_result)->size()) {
      return Validation(
          "Map iteration failure count must be less than or equal to the number of Map "
          "iterations");
    }
  }
  if (request.context && !mock) {
    return Validation("TestState does not support Context when a mock is not specified.");
  }
  if (!request.role_arn && !mock && s.type == StateType::Task) {
    return Validation("RoleArn must be specified when testing a Task state");
  }
  return std::nullopt;
}

// The context object AWS makes up when the request gives none.
json::Value DefaultContext(const TestStateRequest& request, const TestStateEnvironment& env,
                           const asl::State& s, std::string_view state_name,
                           const json::Value& input, uint64_t* rng) {
  std::string machine = "TestState-" + Hex(rng, 8);
  std::string execution = Uuid(rng);
  std::string prefix = "arn:aws:states:" + env.region + ":" + env.account + ":";
  std::string when = FormatIso8601Millis(env.now);
  json::ObjectBuilder exec;
  exec.Append("Id", json::Value::String(prefix + "express:" + machine + ":" + execution));
  exec.Append("Input", input);
  exec.Append("Name", json::Value::String(execution));
  exec.Append("RoleArn", request.role_arn ? json::Value::String(*request.role_arn) : json::Value());
  exec.Append("StartTime", json::Value::String(when));
  json::ObjectBuilder sm;
  sm.Append("Id", json::Value::String(prefix + "stateMachine:" + machine));
  sm.Append("Name", json::Value::String(machine));
  json::ObjectBuilder state;
  state.Append("Name", json::Value::String(state_name));
  state.Append("EnteredTime", json::Value::String(when));
  if (s.type == StateType::Task || s.type == StateType::Map || s.type == StateType::Parallel) {
    state.Append("RetryCount", json::Value::Int(request.retrier_retry_count.value_or(0)));
  }
  json::ObjectBuilder ctx;
  ctx.Append("Execution", std::move(exec).Build());
  ctx.Append("StateMachine", std::move(sm).Build());
  ctx.Append("State", std::move(state).Build());
  if (s.type == StateType::Task && s.resource.ends_with(".waitForTaskToken")) {
    ctx.Append("Task", json::Value::Object({{"Token", json::Value::String(Hex(rng, 32))}}));
  }
  return std::move(ctx).Build();
}

}  // namespace

json::Value TestStateResponse::ToJson() const {
  json::ObjectBuilder b;
  if (output) b.Append("output", Text(*output));
  if (error) b.Append("error", json::Value::String(*error));
  if (cause) b.Append("cause", json::Value::String(*cause));
  if (inspection_data.is_object()) b.Append("inspectionData", inspection_data);
  if (next_state) b.Append("nextState", json::Value::String(*next_state));
  b.Append("status", json::Value::String(status));
  return std::move(b).Build();
}

TestStateRequest TestStateRequestFromJson(const json::Value& body) {
  auto string = [](const json::Value& object, std::string_view key) -> std::optional<std::string> {
    const json::Value* v = object.is_object() ? object.find(key) : nullptr;
    if (v == nullptr || !v->is_string()) return std::nullopt;
    return v->as_string();
  };
  auto integer = [](const json::Value& object, std::string_view key) -> std::optional<int64_t> {
    const json::Value* v = object.is_object() ? object.find(key) : nullptr;
    if (v == nullptr || !v->is_int()) return std::nullopt;
    return v->as_int();
  };
  TestStateRequest r;
  r.definition = string(body, "definition").value_or("");
  r.state_name = string(body, "stateName");
  r.role_arn = string(body, "roleArn");
  r.input = string(body, "input");
  std::string level = string(body, "inspectionLevel").value_or("INFO");
  r.inspection_level = level == "TRACE"   ? InspectionLevel::kTrace
                       : level == "DEBUG" ? InspectionLevel::kDebug
                                          : InspectionLevel::kInfo;
  const json::Value* reveal = body.is_object() ? body.find("revealSecrets") : nullptr;
  r.reveal_secrets = reveal != nullptr && reveal->is_bool() && reveal->as_bool();
  r.variables = string(body, "variables");
  r.context = string(body, "context");
  if (const json::Value* mock = body.is_object() ? body.find("mock") : nullptr;
      mock != nullptr && mock->is_object()) {
    TestStateMock m;
    m.result = string(*mock, "result");
    if (const json::Value* e = mock->find("errorOutput"); e != nullptr && e->is_object()) {
      m.has_error_output = true;
      m.error = string(*e, "error");
      m.cause = string(*e, "cause");
    }
    m.field_validation_mode = string(*mock, "fieldValidationMode").value_or("");
    r.mock = std::move(m);
  }
  if (const json::Value* c = body.is_object() ? body.find("stateConfiguration") : nullptr;
      c != nullptr && c->is_object()) {
    r.retrier_retry_count = integer(*c, "retrierRetryCount");
    r.error_caused_by_state = string(*c, "errorCausedByState");
    r.map_iteration_failure_count = integer(*c, "mapIterationFailureCount");
    r.map_item_reader_data = string(*c, "mapItemReaderData");
  }
  return r;
}

TestStateOutcome TestState(const TestStateRequest& request, const TestStateEnvironment& env) {
  // The definition: one state, or a machine holding the state named state_name.
  Result<json::Value> parsed = json::Parse(request.definition);
  if (!parsed.ok()) {
    return InvalidDefinition(asl::InvalidDefinitionMessage(
        asl::ValidateText(request.definition, asl::MachineType::Standard)));
  }
  bool single = !request.state_name.has_value();
  std::string name = single ? std::string(kSingleStateName) : *request.state_name;
  json::Value machine = single ? WrapSingleState(*parsed) : *parsed;
  std::vector<asl::Diagnostic> diagnostics = asl::Validate(machine, asl::MachineType::Standard);
  if (asl::HasErrors(diagnostics)) {
    return InvalidDefinition(asl::InvalidDefinitionMessage(diagnostics));
  }
  const json::Value* state_json = FindStateJson(machine, name);
  if (state_json == nullptr) return Validation("State not found in definition");
  if (auto why = Unsupported(single ? json::Value() : machine, *state_json, "/States/" + name)) {
    return Validation(*why);
  }
  Result<std::shared_ptr<const asl::Program>> program = asl::Program::Compile(machine);
  if (!program.ok()) return InvalidDefinition(program.status().message());
  const asl::Body* body = nullptr;
  int index = 0;
  if (!FindState((*program)->root(), name, &body, &index)) {
    return Validation("State not found in definition");
  }
  const asl::State& state = body->states[static_cast<size_t>(index)];

  std::optional<json::Value> mock_result;
  if (auto refusal = CheckMockAndConfiguration(request, env, state, *state_json, &mock_result)) {
    return *refusal;
  }
  json::Value given_context;
  if (request.context) {
    auto ctx = json::Parse(*request.context);
    if (!ctx.ok()) {
      return Validation("Invalid Context object provided: " + ctx.status().message());
    }
    given_context = std::move(ctx).value();
    if (auto refusal = CheckContext(given_context, state)) return *refusal;
  }
  if (request.variables) {
    auto vars = json::Parse(*request.variables);
    if (!vars.ok() || !vars->is_object()) {
      return Validation("Invalid variables: the variables must be a JSON object");
    }
    if (vars->size() > 0) {
      return Validation(
          "stepfn does not run JSONata or workflow variables yet (variables): they arrive in a "
          "later issue");
    }
  }
  json::Value input = json::Value::EmptyObject();
  if (request.input) {
    auto in = json::Parse(*request.input);
    if (!in.ok()) {
      return TestStateRefusal{"InvalidExecutionInput", "Invalid State Machine Execution Input: '" +
                                                           in.status().message() + "'"};
    }
    input = std::move(in).value();
  }

  // Run the state.
  uint64_t rng = env.seed ^ 0x7E57'57A7'E000'0001ULL;
  json::Value context =
      request.context ? given_context : DefaultContext(request, env, state, name, input, &rng);
  TestStateProbe probe(body, index, request, mock_result, context, state_json, SplitMix(&rng));
  eval::ExecutionInfo info;
  info.start_time = env.now;
  info.express = true;
  info.seed = SplitMix(&rng);
  info.max_history_events = 0;
  info.default_timeout_seconds = kTestStateTimeoutSeconds;
  std::unique_ptr<eval::ExecutionState> execution = eval::NewExecution(**program, info);

  std::vector<eval::Input> inputs;
  inputs.push_back({eval::InputKind::Start, 0, input, {}, {}});
  eval::StepOutput out;
  out.discard_events = true;
  using Timer = std::pair<EpochMillis, uint64_t>;
  std::priority_queue<Timer, std::vector<Timer>, std::greater<>> timers;
  std::unordered_set<uint64_t> cancelled;
  EpochMillis now = env.now;
  std::optional<std::string> unanswered;  // a Task's resource, when no mock answers it
  bool stuck = false;
  while (true) {
    out.events.clear();
    out.commands.clear();
    out.more = false;
    eval::StepWithProbe(**program, *execution, inputs, now, &out, &probe);
    inputs.clear();
    if (eval::Status(*execution) != eval::ExecutionStatus::Running || probe.retrying()) break;
    for (const eval::Command& c : out.commands) {
      switch (c.kind) {
        case eval::CommandKind::RunTask:
          if (!request.mock) {
            unanswered = c.state->resource;
          } else if (request.mock->has_error_output) {
            inputs.push_back({eval::InputKind::TaskFailed,
                              c.id,
                              {},
                              request.mock->error.value_or(""),
                              request.mock->cause.value_or("")});
          } else {
            inputs.push_back({eval::InputKind::TaskSucceeded, c.id, *mock_result, {}, {}});
          }
          break;
        case eval::CommandKind::StartTimer:
          timers.push({c.fire_at, c.id});
          break;
        case eval::CommandKind::CancelTask:
        case eval::CommandKind::CancelTimer:
          cancelled.insert(c.id);
          break;
      }
    }
    if (unanswered) break;
    if (!inputs.empty() || out.more) continue;
    // Nothing to answer: time moves on to the next timer (a Wait, the five-minute limit).
    while (!timers.empty() && cancelled.erase(timers.top().second) > 0) timers.pop();
    if (timers.empty()) {
      stuck = true;
      break;
    }
    now = std::max(now, timers.top().first);
    inputs.push_back({eval::InputKind::TimerFired, timers.top().second, {}, {}, {}});
    timers.pop();
  }

  // The response.
  TestStateResponse response;
  json::ObjectBuilder details;
  auto note_retry = [&](bool with_backoff) {
    const RetryNote& r = *probe.retry();
    if (with_backoff) {
      int64_t retries = request.retrier_retry_count.value_or(0);
      details.Append("retryBackoffIntervalSeconds",
                     json::Value::Int(BackoffSeconds(state.retry[r.index], retries)));
    }
    details.Append("retryIndex", json::Value::Int(static_cast<int64_t>(r.index)));
  };
  eval::ExecutionStatus status = eval::Status(*execution);
  if (unanswered) {
    response.status = "FAILED";
    response.error = "States.TaskFailed";
    response.cause = "stepfn has no service integrations yet, so TestState cannot call '" +
                     *unanswered +
                     "' as AWS would: give a mock (mock.result or mock.errorOutput) to test this "
                     "Task state.";
  } else if (probe.retrying()) {
    response.status = "RETRIABLE";
    response.error = probe.retry()->error.error;
    response.cause = WithoutStatePrefix(probe.retry()->error.cause);
    note_retry(true);
  } else if (status == eval::ExecutionStatus::Succeeded) {
    response.output = eval::Output(*execution);
    response.next_state = probe.next_state();
    if (probe.caught()) {
      response.status = "CAUGHT_ERROR";
      response.error = probe.caught()->error.error;
      response.cause = WithoutStatePrefix(probe.caught()->error.cause);
      if (probe.retry()) note_retry(false);
      details.Append("catchIndex", json::Value::Int(static_cast<int64_t>(probe.caught()->index)));
    } else {
      response.status = "SUCCEEDED";
    }
  } else if (stuck || status == eval::ExecutionStatus::Running) {
    response.status = "FAILED";
    response.error = "States.Runtime";
    response.cause = "The state stopped with nothing left to wait for.";
  } else {
    response.status = "FAILED";
    response.error = eval::Failure(*execution).error;
    response.cause = WithoutStatePrefix(eval::Failure(*execution).cause);
    if (probe.retry()) note_retry(false);
  }
  if (response.error && response.cause && response.cause->empty()) response.cause.reset();
  if (request.inspection_level != InspectionLevel::kInfo) {
    response.inspection_data = InspectionData(state, input, probe, std::move(details).Build());
  }
  return response;
}

}  // namespace stepfn::engine
