#include "eval/history.h"

#include "json/write.h"

namespace stepfn::eval {
namespace {

json::Value Str(const json::Value& v) {
  return v.is_string() ? v : json::Value::String(json::Write(v));
}

json::Value NotTruncated() {
  static const json::Value kValue = json::Value::Object({{"truncated", json::Value::Bool(false)}});
  return kValue;
}

}  // namespace

std::string_view EventTypeName(EventType t) {
  switch (t) {
#define STEPFN_NAME_ITEM(name) \
  case EventType::name:        \
    return #name;
    STEPFN_HISTORY_EVENT_TYPES(STEPFN_NAME_ITEM)
#undef STEPFN_NAME_ITEM
  }
  return "Unknown";
}

void HistoryEvent::SetFailure(std::string error, std::string cause) {
  failure = json::Value::Array(
      {json::Value::String(std::move(error)), json::Value::String(std::move(cause))});
}

const json::Value& HistoryEvent::Part(const json::Value& pair, size_t i) {
  static const json::Value kNull;
  const json::Value* v = pair.at(i);
  return v ? *v : kNull;
}

json::Value HistoryEvent::ToJson(bool include_data) const {
  std::string_view key;
  json::Value details = Details(include_data, &key);
  json::ObjectBuilder e;
  e.Append("timestamp", json::Value::Double(static_cast<double>(timestamp) / 1000.0));
  e.Append("type", json::Value::String(EventTypeName(type)));
  e.Append("id", json::Value::Int(id));
  e.Append("previousEventId", json::Value::Int(previous_event_id));
  if (!key.empty()) e.Append(std::string(key), std::move(details));
  return std::move(e).Build();
}

json::Value HistoryEvent::Details(bool include_data, std::string_view* key) const {
  json::ObjectBuilder d;
  auto data = [&](const char* key, const char* details_key, bool serialise) {
    if (!include_data) return;
    d.Append(key, serialise ? json::Value::String(json::Write(payload)) : payload);
    d.Append(details_key, NotTruncated());
  };
  auto errors = [&] {
    if (!Text(error()).empty()) d.Append("error", error());
    if (!Text(cause()).empty()) d.Append("cause", cause());
  };
  auto str = [](const json::Value& v) { return v.is_string() ? v : json::Value::String(""); };
  auto task = [&] {
    d.Append("resourceType", str(resource_type()));
    d.Append("resource", str(resource_name()));
  };
  const char* details = nullptr;
  switch (type) {
    case EventType::ExecutionStarted:
      details = "executionStartedEventDetails";
      data("input", "inputDetails", true);
      if (!Text(name).empty()) d.Append("roleArn", name);
      break;
    case EventType::ExecutionSucceeded:
      details = "executionSucceededEventDetails";
      data("output", "outputDetails", true);
      break;
    case EventType::ExecutionFailed:
      details = "executionFailedEventDetails";
      errors();
      break;
    case EventType::ExecutionTimedOut:
      details = "executionTimedOutEventDetails";
      errors();
      break;
    case EventType::ExecutionAborted:
      details = "executionAbortedEventDetails";
      errors();
      break;
    case EventType::ExecutionRedriven:
      details = "executionRedrivenEventDetails";
      if (payload.is_int()) d.Append("redriveCount", payload);
      break;
    case EventType::PassStateEntered:
    case EventType::TaskStateEntered:
    case EventType::ChoiceStateEntered:
    case EventType::WaitStateEntered:
    case EventType::SucceedStateEntered:
    case EventType::FailStateEntered:
    case EventType::ParallelStateEntered:
    case EventType::MapStateEntered:
      details = "stateEnteredEventDetails";
      d.Append("name", str(name));
      data("input", "inputDetails", true);
      break;
    case EventType::PassStateExited:
    case EventType::TaskStateExited:
    case EventType::ChoiceStateExited:
    case EventType::WaitStateExited:
    case EventType::SucceedStateExited:
    case EventType::ParallelStateExited:
    case EventType::MapStateExited:
      details = "stateExitedEventDetails";
      d.Append("name", str(name));
      data("output", "outputDetails", true);
      break;
    case EventType::TaskScheduled:
      details = "taskScheduledEventDetails";
      task();
      d.Append("region", json::Value::String("us-east-1"));
      d.Append("parameters", Str(payload));
      if (index >= 0) d.Append("timeoutInSeconds", json::Value::Int(index));
      break;
    case EventType::TaskStarted:
      details = "taskStartedEventDetails";
      task();
      break;
    case EventType::TaskSubmitted:
      details = "taskSubmittedEventDetails";
      task();
      data("output", "outputDetails", true);
      break;
    case EventType::TaskSucceeded:
      details = "taskSucceededEventDetails";
      task();
      data("output", "outputDetails", true);
      break;
    case EventType::TaskFailed:
      details = "taskFailedEventDetails";
      task();
      errors();
      break;
    case EventType::TaskTimedOut:
      details = "taskTimedOutEventDetails";
      task();
      errors();
      break;
    case EventType::MapStateStarted:
      details = "mapStateStartedEventDetails";
      d.Append("length", json::Value::Int(index));
      break;
    case EventType::MapIterationStarted:
    case EventType::MapIterationSucceeded:
    case EventType::MapIterationFailed:
    case EventType::MapIterationAborted:
      details = type == EventType::MapIterationStarted     ? "mapIterationStartedEventDetails"
                : type == EventType::MapIterationSucceeded ? "mapIterationSucceededEventDetails"
                : type == EventType::MapIterationFailed    ? "mapIterationFailedEventDetails"
                                                           : "mapIterationAbortedEventDetails";
      d.Append("name", str(name));
      d.Append("index", json::Value::Int(index));
      break;
    case EventType::LambdaFunctionScheduled:
      details = "lambdaFunctionScheduledEventDetails";
      d.Append("resource", str(resource_name()));
      data("input", "inputDetails", true);
      if (index >= 0) d.Append("timeoutInSeconds", json::Value::Int(index));
      break;
    case EventType::LambdaFunctionSucceeded:
      details = "lambdaFunctionSucceededEventDetails";
      data("output", "outputDetails", true);
      break;
    case EventType::LambdaFunctionFailed:
      details = "lambdaFunctionFailedEventDetails";
      errors();
      break;
    case EventType::LambdaFunctionTimedOut:
      details = "lambdaFunctionTimedOutEventDetails";
      errors();
      break;
    case EventType::ActivityScheduled:
      details = "activityScheduledEventDetails";
      d.Append("resource", str(resource_name()));
      data("input", "inputDetails", true);
      break;
    case EventType::ActivitySucceeded:
      details = "activitySucceededEventDetails";
      data("output", "outputDetails", true);
      break;
    case EventType::ActivityFailed:
      details = "activityFailedEventDetails";
      errors();
      break;
    case EventType::ActivityTimedOut:
      details = "activityTimedOutEventDetails";
      errors();
      break;
    case EventType::EvaluationFailed:
      details = "evaluationFailedEventDetails";
      errors();
      d.Append("state", str(name));
      break;
    case EventType::TaskStateAborted:
    case EventType::WaitStateAborted:
    case EventType::ParallelStateStarted:
    case EventType::ParallelStateSucceeded:
    case EventType::ParallelStateFailed:
    case EventType::ParallelStateAborted:
    case EventType::MapStateSucceeded:
    case EventType::MapStateFailed:
    case EventType::MapStateAborted:
      break;
    case EventType::ActivityStarted:
      details = "activityStartedEventDetails";
      if (!Text(name).empty()) d.Append("workerName", name);
      break;
    case EventType::LambdaFunctionStarted:
    case EventType::MapRunSucceeded:
    case EventType::MapRunAborted:
      break;
    case EventType::MapRunStarted:
      details = "mapRunStartedEventDetails";
      if (!Text(name).empty()) d.Append("mapRunArn", name);
      break;
    case EventType::MapRunFailed:
      details = "mapRunFailedEventDetails";
      errors();
      break;
  }
  // (A string_view is never built from a null pointer: that is strlen(nullptr).)
  *key = details != nullptr ? std::string_view(details) : std::string_view();
  if (details == nullptr) return json::Value();
  return std::move(d).Build();
}

}  // namespace stepfn::eval
