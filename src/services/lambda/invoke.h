// Invoker: how the rest of stepfn (Step Functions' Task states, the Lambda API's Invoke) asks
// for one Lambda invocation. Implemented by the Lambda service (it resolves the function name
// and qualifier to a function version and hands the invocation to that version's execution
// environments).
//
// Thread safety: Invoke may be called from any thread, any number of times at once.
#pragma once

#include <functional>
#include <string>
#include <variant>

namespace stepfn::lambda {

enum class InvocationType { RequestResponse, Event, DryRun };

struct InvokeRequest {
  // As Invoke's FunctionName accepts it: "name", "name:qualifier", "123456789012:function:name",
  // or a full ARN "arn:aws:lambda:us-east-1:123456789012:function:name[:qualifier]".
  std::string function_name;
  std::string qualifier;  // Invoke's Qualifier parameter; "" when not given
  InvocationType type = InvocationType::RequestResponse;
  std::string payload;         // the request body as sent (JSON text); "" means no payload
  bool log_tail = false;       // LogType: Tail
  std::string client_context;  // X-Amz-Client-Context, base64, as given
  std::string trace_header;    // X-Amzn-Trace-Id handed to the function ("" when none)
};

// The invocation ran (or was queued, for Event): what Invoke's response carries.
struct InvokeResponse {
  int status_code = 200;         // 200 RequestResponse, 202 Event, 204 DryRun
  std::string payload;           // the function's response bytes, or its error document
  std::string function_error;    // X-Amz-Function-Error: "" or "Unhandled"
  std::string executed_version;  // X-Amz-Executed-Version: "$LATEST", "1", ...
  std::string log_result;        // X-Amz-Log-Result: base64 of the log's last 4 KB (log_tail)
  std::string request_id;        // the invocation's request id (x-amzn-RequestId)
};

// The Lambda service refused or could not run the invocation (not an error of the function):
// what Invoke answers as an AWS error (e.g. 404 ResourceNotFoundException "Function not found:
// arn:aws:lambda:us-east-1:123456789012:function:f", 429 TooManyRequestsException, 502
// ServiceException / InvalidRuntimeException ...).
struct InvokeError {
  int http_status = 500;
  std::string code;     // AWS's error code, e.g. "ResourceNotFoundException"
  std::string message;  // AWS's message
  std::string request_id;
};

using InvokeOutcome = std::variant<InvokeResponse, InvokeError>;
// Called exactly once per Invoke, from any thread, possibly before Invoke returns.
using InvokeDone = std::function<void(InvokeOutcome)>;

class Invoker {
 public:
  virtual ~Invoker() = default;
  virtual void Invoke(InvokeRequest request, InvokeDone done) = 0;
};

}  // namespace stepfn::lambda
