#include "services/lambda/lambda_task.h"

#include <string>
#include <utility>
#include <variant>

#include "api/http_server.h"
#include "json/parse.h"
#include "json/write.h"

namespace stepfn::lambda {
namespace {

using json::Value;

constexpr std::string_view kInvoke = "arn:aws:states:::lambda:invoke";
constexpr std::string_view kSdkInvoke = "arn:aws:states:::aws-sdk:lambda:invoke";

// arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>]
bool IsFunctionArn(std::string_view r) {
  if (!r.starts_with("arn:")) return false;
  std::string_view parts[6];
  size_t n = 0;
  size_t p = 4;
  while (n < 6) {
    size_t colon = r.find(':', p);
    if (colon == std::string_view::npos || n == 5) {
      parts[n++] = r.substr(p);
      break;
    }
    parts[n++] = r.substr(p, colon - p);
    p = colon + 1;
  }
  return n == 6 && parts[1] == "lambda" && parts[4] == "function" && !parts[5].empty();
}

std::string_view FormName(TaskForm form) {
  return form == TaskForm::SdkInvoke ? "aws-sdk:lambda:invoke" : "lambda:invoke";
}

services::TaskError ParameterError(TaskForm form, const std::string& what) {
  // What Lambda answers for such a request; Step Functions names it Lambda.<Code>.
  return {"Lambda.InvalidParameterValueException",
          "The Parameters of a " + std::string(FormName(form)) + " Task state " + what + "."};
}

// A string parameter: `*out` unchanged when absent; false when present and not a string.
bool StringParam(const Value& params, std::string_view key, std::string* out) {
  const Value* v = params.find(key);
  if (v == nullptr || v->is_null()) return true;
  if (!v->is_string()) return false;
  *out = v->as_string();
  return true;
}

// The response payload as Step Functions shows it: parsed JSON, or the text as a string when
// it is not JSON; null when empty (Event and DryRun invocations).
Value ParsedPayload(const std::string& payload) {
  if (payload.empty()) return Value();
  auto parsed = json::Parse(payload);
  if (parsed.ok()) return std::move(parsed).value();
  return Value::String(payload);
}

Value Strings(const Value& s) { return Value::Array({s}); }

// Invoke's response as lambda:invoke returns it: the Java SDK's view of the HTTP response.
// Values that are the same in every response are built once and shared (Values are immutable).
Value InvokeResult(const InvokeResponse& r) {
  // Never destroyed: executor threads may still build results while the process exits.
  static const Value& kZero = *new Value(Value::String("0"));
  static const Value& kKeepAlive = *new Value(Value::String("keep-alive"));
  static const Value& kJson = *new Value(Value::String("application/json"));
  static const Value& kTrace =
      *new Value(Value::String("Root=1-00000000-000000000000000000000000;Sampled=0"));
  static const Value& kZeros = *new Value(Strings(kZero));
  static const Value& kKeepAlives = *new Value(Strings(kKeepAlive));
  static const Value& kJsons = *new Value(Strings(kJson));
  static const Value& kTraces = *new Value(Strings(kTrace));
  const Value length = Value::String(std::to_string(r.payload.size()));
  const Value date = Value::String(api::HttpDate());
  const Value version = Value::String(r.executed_version);
  const Value request_id = Value::String(r.request_id);
  const Value function_error = r.function_error.empty() ? Value() : Value::String(r.function_error);
  const Value log_result = r.log_result.empty() ? Value() : Value::String(r.log_result);
  json::ObjectBuilder all;
  all.Reserve(11);
  if (!function_error.is_null()) all.Append("X-Amz-Function-Error", Strings(function_error));
  if (!log_result.is_null()) all.Append("X-Amz-Log-Result", Strings(log_result));
  all.Append("X-Amz-Executed-Version", Strings(version));
  all.Append("x-amzn-Remapped-Content-Length", kZeros);
  all.Append("Connection", kKeepAlives);
  all.Append("x-amzn-RequestId", Strings(request_id));
  all.Append("Content-Length", Strings(length));
  all.Append("Date", Strings(date));
  all.Append("X-Amzn-Trace-Id", kTraces);
  all.Append("Content-Type", kJsons);
  json::ObjectBuilder headers;
  headers.Reserve(11);
  headers.Append("Connection", kKeepAlive);
  headers.Append("Content-Length", length);
  headers.Append("Content-Type", kJson);
  headers.Append("Date", date);
  headers.Append("X-Amz-Executed-Version", version);
  if (!function_error.is_null()) headers.Append("X-Amz-Function-Error", function_error);
  if (!log_result.is_null()) headers.Append("X-Amz-Log-Result", log_result);
  headers.Append("x-amzn-Remapped-Content-Length", kZero);
  headers.Append("x-amzn-RequestId", request_id);
  headers.Append("X-Amzn-Trace-Id", kTrace);
  json::ObjectBuilder out;
  out.Reserve(7);
  if (!r.executed_version.empty()) out.Append("ExecutedVersion", version);
  if (!function_error.is_null()) out.Append("FunctionError", function_error);
  if (!log_result.is_null()) out.Append("LogResult", log_result);
  out.Append("Payload", ParsedPayload(r.payload));
  out.Append("SdkHttpMetadata", Value::Object({{"AllHttpHeaders", std::move(all).Build()},
                                               {"HttpHeaders", std::move(headers).Build()},
                                               {"HttpStatusCode", Value::Int(r.status_code)}}));
  out.Append("SdkResponseMetadata", Value::Object({{"RequestId", request_id}}));
  out.Append("StatusCode", Value::Int(r.status_code));
  return std::move(out).Build();
}

// The aws-sdk integration's view: the SDK's InvokeOutput, the payload as its text.
Value SdkInvokeResult(const InvokeResponse& r) {
  json::ObjectBuilder out;
  if (!r.executed_version.empty()) {
    out.Append("ExecutedVersion", Value::String(r.executed_version));
  }
  if (!r.function_error.empty()) out.Append("FunctionError", Value::String(r.function_error));
  if (!r.log_result.empty()) out.Append("LogResult", Value::String(r.log_result));
  out.Append("Payload", Value::String(r.payload));
  out.Append("StatusCode", Value::Int(r.status_code));
  return std::move(out).Build();
}

// A function error: Error from the payload's errorType, Cause the payload.
services::TaskError FunctionError(TaskForm form, const InvokeResponse& r) {
  services::TaskError err;
  auto parsed = json::Parse(r.payload);
  const Value* type = parsed.ok() ? parsed->find("errorType") : nullptr;
  const Value* message = parsed.ok() ? parsed->find("errorMessage") : nullptr;
  if (type != nullptr && type->is_string() && !type->as_string().empty()) {
    err.error = type->as_string();
  } else if (message != nullptr && message->is_string() &&
             message->as_string().find("Task timed out after") != std::string::npos) {
    err.error = "Sandbox.Timedout";
  } else {
    err.error = "Lambda.Unknown";
  }
  // lambda:invoke re-serialises the error document; a function ARN keeps the bytes.
  err.cause = form == TaskForm::Invoke && parsed.ok() ? json::Write(*parsed) : r.payload;
  return err;
}

services::TaskError ServiceError(TaskForm form, const InvokeError& e) {
  const std::string code = e.code.empty() ? "ServiceException" : e.code;
  const std::string request_id = e.request_id.empty() ? "unknown" : e.request_id;
  services::TaskError err;
  err.error = "Lambda." + code;
  if (form == TaskForm::SdkInvoke) {
    err.cause = e.message + " (Service: Lambda, Status Code: " + std::to_string(e.http_status) +
                ", Request ID: " + request_id + ")";
  } else {
    err.cause = e.message + " (Service: AWSLambda; Status Code: " + std::to_string(e.http_status) +
                "; Error Code: " + code + "; Request ID: " + request_id + "; Proxy: null)";
  }
  return err;
}

}  // namespace

bool LambdaTaskForm(std::string_view resource, TaskForm* form) {
  std::string_view pattern;
  std::string_view base = services::BaseResource(resource, &pattern);
  if (base == kInvoke && (pattern.empty() || pattern == "waitForTaskToken")) {
    *form = TaskForm::Invoke;
    return true;
  }
  if (base == kSdkInvoke && pattern.empty()) {
    *form = TaskForm::SdkInvoke;
    return true;
  }
  if (IsFunctionArn(resource)) {
    *form = TaskForm::FunctionArn;
    return true;
  }
  return false;
}

std::variant<InvokeRequest, services::TaskError> BuildInvokeRequest(
    TaskForm form, const services::TaskRequest& task) {
  InvokeRequest req;
  req.trace_header = task.trace_header;
  if (form == TaskForm::FunctionArn) {
    req.function_name = task.resource;
    req.payload = json::Write(task.parameters);
    return req;
  }
  const Value& p = task.parameters;
  if (!p.is_object()) return ParameterError(form, "must be an object");
  if (!StringParam(p, "FunctionName", &req.function_name) || req.function_name.empty()) {
    return ParameterError(form, "need FunctionName, a string");
  }
  if (const Value* payload = p.find("Payload"); payload != nullptr) {
    // A string is sent as it is (it holds JSON text); anything else as its JSON.
    req.payload = payload->is_string() ? payload->as_string() : json::Write(*payload);
  }
  if (!StringParam(p, "Qualifier", &req.qualifier)) {
    return ParameterError(form, "give Qualifier as a string");
  }
  std::string type = "RequestResponse";
  if (!StringParam(p, "InvocationType", &type)) {
    return ParameterError(form, "give InvocationType as a string");
  }
  if (type == "RequestResponse") {
    req.type = InvocationType::RequestResponse;
  } else if (type == "Event") {
    req.type = InvocationType::Event;
  } else if (type == "DryRun") {
    req.type = InvocationType::DryRun;
  } else {
    return ParameterError(
        form, "give InvocationType as RequestResponse, Event or DryRun, not '" + type + "'");
  }
  if (!StringParam(p, "ClientContext", &req.client_context)) {
    return ParameterError(form, "give ClientContext as a string");
  }
  std::string log_type = "None";
  if (!StringParam(p, "LogType", &log_type) || (log_type != "None" && log_type != "Tail")) {
    return ParameterError(form, "give LogType as None or Tail");
  }
  req.log_tail = log_type == "Tail";
  return req;
}

services::TaskOutcome TaskOutcomeOf(TaskForm form, const InvokeOutcome& outcome) {
  if (const auto* e = std::get_if<InvokeError>(&outcome)) return ServiceError(form, *e);
  const InvokeResponse& r = std::get<InvokeResponse>(outcome);
  switch (form) {
    case TaskForm::FunctionArn:
      if (!r.function_error.empty()) return FunctionError(form, r);
      return ParsedPayload(r.payload);
    case TaskForm::Invoke:
      if (!r.function_error.empty()) return FunctionError(form, r);
      return InvokeResult(r);
    case TaskForm::SdkInvoke:
      // The SDK call succeeded; a function error is in the output (FunctionError).
      return SdkInvokeResult(r);
  }
  return services::TaskError{"Lambda.ServiceException", "unreachable"};
}

bool LambdaTaskService::Handles(std::string_view resource) const {
  TaskForm form;
  return LambdaTaskForm(resource, &form);
}

void LambdaTaskService::Run(services::TaskRequest task, services::TaskDone done) {
  TaskForm form;
  if (!LambdaTaskForm(task.resource, &form)) {
    done(services::TaskError{"States.Runtime", "Not a Lambda resource: " + task.resource});
    return;
  }
  auto request = BuildInvokeRequest(form, task);
  if (auto* err = std::get_if<services::TaskError>(&request)) {
    done(std::move(*err));
    return;
  }
  invoker_->Invoke(std::move(std::get<InvokeRequest>(request)),
                   [form, done = std::move(done)](InvokeOutcome outcome) {
                     done(TaskOutcomeOf(form, outcome));
                   });
}

}  // namespace stepfn::lambda
