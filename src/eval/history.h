// History events, as GetExecutionHistory returns them. Events keep their payloads as shared
// json::Values (no copy, no serialisation while running); ToJson renders AWS's shape.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/clock.h"
#include "json/value.h"

namespace stepfn::eval {

// clang-format off
#define STEPFN_HISTORY_EVENT_TYPES(X)                                                              \
  X(ExecutionStarted)                                                                              \
  X(ExecutionSucceeded)                                                                            \
  X(ExecutionFailed) X(ExecutionTimedOut) X(ExecutionAborted) X(PassStateEntered) X(               \
      PassStateExited) X(TaskStateEntered) X(TaskStateExited) X(TaskStateAborted) X(TaskScheduled) \
      X(TaskStarted) X(TaskSubmitted) X(TaskSucceeded) X(TaskFailed) X(TaskTimedOut)               \
          X(ChoiceStateEntered) X(ChoiceStateExited) X(WaitStateEntered) X(WaitStateExited)        \
              X(WaitStateAborted) X(SucceedStateEntered) X(SucceedStateExited) X(FailStateEntered) \
                  X(ParallelStateEntered) X(ParallelStateStarted) X(ParallelStateSucceeded)        \
                      X(ParallelStateFailed) X(ParallelStateAborted) X(ParallelStateExited)        \
                          X(MapStateEntered) X(MapStateStarted) X(MapStateSucceeded)               \
                              X(MapStateFailed) X(MapStateAborted) X(MapStateExited)               \
                                  X(MapIterationStarted) X(MapIterationSucceeded)                  \
                                      X(MapIterationFailed) X(MapIterationAborted)                 \
                                          X(LambdaFunctionScheduled) X(LambdaFunctionStarted)      \
                                              X(LambdaFunctionSucceeded) X(LambdaFunctionFailed)   \
                                                  X(LambdaFunctionTimedOut) X(ActivityScheduled)   \
                                                      X(ActivityStarted) X(ActivitySucceeded)      \
                                                          X(ActivityFailed) X(ActivityTimedOut)    \
                                                              X(EvaluationFailed) X(MapRunStarted) \
                                                                  X(MapRunSucceeded)               \
                                                                      X(MapRunFailed)              \
                                                                          X(MapRunAborted)         \
                                                                              X(ExecutionRedriven)
// clang-format on

enum class EventType : uint8_t {
#define STEPFN_ENUM_ITEM(name) name,
  STEPFN_HISTORY_EVENT_TYPES(STEPFN_ENUM_ITEM)
#undef STEPFN_ENUM_ITEM
};

std::string_view EventTypeName(EventType t);

struct HistoryEvent {
  int64_t id = 0;
  int64_t previous_event_id = 0;
  EpochMillis timestamp = 0;
  // Map iteration index; map length for MapStateStarted; timeoutInSeconds of TaskScheduled and
  // LambdaFunctionScheduled (-1: none).
  int32_t index = -1;
  EventType type = EventType::ExecutionStarted;
  // Strings are json::Value handles so that names and resources are shared with the compiled
  // program rather than copied into every event; null when the event has none.
  json::Value name;      // state name (state events), iteration name (map iterations)
  json::Value payload;   // input (entered/started), output (exited/succeeded), parameters
  json::Value resource;  // task events: ["lambda", "invoke"] (shared with the program)
  json::Value failure;   // failure events: [error, cause]

  void SetFailure(std::string error, std::string cause);
  const json::Value& error() const { return Part(failure, 0); }
  const json::Value& cause() const { return Part(failure, 1); }
  const json::Value& resource_type() const { return Part(resource, 0); }
  const json::Value& resource_name() const { return Part(resource, 1); }

  // The string held by one of the values above, or "" when it is null.
  static std::string_view Text(const json::Value& v) {
    return v.is_string() ? std::string_view(v.as_string()) : std::string_view();
  }

  // {"timestamp":..., "type":..., "id":..., "previousEventId":..., "<kind>EventDetails":{...}}
  // with payloads serialised as strings as AWS does. include_data=false leaves them out.
  json::Value ToJson(bool include_data = true) const;
  // The "<kind>EventDetails" object alone, its key in *key ("" and null when the event has
  // none).
  json::Value Details(bool include_data, std::string_view* key) const;

 private:
  static const json::Value& Part(const json::Value& pair, size_t i);
};

}  // namespace stepfn::eval
