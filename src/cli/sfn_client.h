// SfnClient: a small synchronous client of the AWS Step Functions API (awsJson 1.0 over
// HTTP/1.1), for the commands that talk to a `stepfn serve` (or any AWS-compatible) endpoint:
// `stepfn start`, `describe`, `history`, `run --endpoint`, `conformance --endpoint`.
//
// One kept-alive connection per client, opened on the first call and opened again when the
// server closed it (a call on a connection the server closed while idle is sent again once).
// Requests are signed with SigV4 (api::SignRequest), so the client also works against a server
// running with --auth. Plain http:// only.
//
// Thread safety: one SfnClient per thread; Call is not reentrant. Make one client per worker.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "api/sigv4.h"
#include "common/status.h"
#include "json/value.h"

namespace stepfn::cli {

// "http://host:port" taken apart.
struct SfnEndpoint {
  std::string host;  // "127.0.0.1", "localhost", "::1" (without brackets)
  uint16_t port = 80;
  std::string host_header;  // "127.0.0.1:8083", as sent in Host
  std::string url;          // "http://127.0.0.1:8083", for messages
};

// Parses "http://host[:port][/]" (IPv6 as "http://[::1]:8083"). InvalidArgument, saying why,
// for anything else (https, a path, a bad port).
Result<SfnEndpoint> ParseEndpoint(std::string_view url);

struct SfnClientOptions {
  std::string endpoint;  // "http://host:port"
  api::Credential credential{"test", "test", ""};
  std::string region = "us-east-1";
  std::chrono::milliseconds connect_timeout{10'000};
  // From sending a request to its whole answer. StartSyncExecution answers when its EXPRESS
  // execution ends, which may take up to 5 minutes.
  std::chrono::milliseconds call_timeout{330'000};
};

// Options for `endpoint` with credentials from AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and
// AWS_SESSION_TOKEN (default "test"/"test", no token) and the region from AWS_REGION or
// AWS_DEFAULT_REGION (default us-east-1), as the AWS SDKs read them.
SfnClientOptions SfnClientOptionsFromEnv(std::string endpoint);

// What went wrong in a failed call.
struct SfnError {
  int http_status = 0;  // 0: no answer (unreachable, timed out, connection broken)
  std::string code;     // AWS's error code ("StateMachineDoesNotExist"); empty without one
  std::string message;  // AWS's message, or what happened on the way
};

class SfnClient {
 public:
  // Checks the endpoint; connects on the first call.
  static Result<std::unique_ptr<SfnClient>> Create(SfnClientOptions options);
  ~SfnClient();
  SfnClient(const SfnClient&) = delete;
  SfnClient& operator=(const SfnClient&) = delete;

  // Calls `operation` ("StartExecution") with `request` (a JSON object) and returns the
  // response object. On failure the Status says what, where and why:
  //   "StartExecution at http://127.0.0.1:8083: StateMachineDoesNotExist: State Machine Does
  //    Not Exist: 'arn:...'" (an AWS error answer), or
  //   "cannot reach http://127.0.0.1:8083 (StartExecution): connect: Connection refused".
  // Codes: NotFound for *DoesNotExist and ResourceNotFound, AlreadyExists for *AlreadyExists,
  // InvalidArgument for other 4xx answers, Unavailable for 5xx answers and when the server
  // could not be reached, Internal for an answer that is not AWS's shape. When `error` is not
  // null it receives the parts (cleared on success).
  Result<json::Value> Call(std::string_view operation, const json::Value& request,
                           SfnError* error = nullptr);

  // A restJson1 call (the Lambda API: `method` "POST", `path` "/2015-03-31/functions", a JSON
  // body or null for none), signed for `service` ("lambda"). Returns the answer's JSON (null
  // for an empty answer, e.g. 204); errors as Call reports them (the code from
  // x-amzn-ErrorType, "__type" or "Type").
  Result<json::Value> CallRest(std::string_view method, std::string_view path,
                               std::string_view service, const json::Value& body,
                               SfnError* error = nullptr);
  // An awsJson call to another service on the same endpoint: `target`
  // "Logs_20140328.FilterLogEvents", signed for `service` ("logs"). Answers as Call.
  Result<json::Value> CallJson(std::string_view target, std::string_view service,
                               const json::Value& request, SfnError* error = nullptr);
  const SfnEndpoint& endpoint() const;

 private:
  struct Impl;
  explicit SfnClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Call sequences the commands share.

// Polls DescribeExecution (after 5 ms at first, slowing to once a second) until the execution
// is no longer RUNNING, and returns that answer. DeadlineExceeded when it still runs after
// `max_wait`.
Result<json::Value> WaitForExecution(
    SfnClient& client, const std::string& execution_arn,
    std::chrono::milliseconds max_wait = std::chrono::milliseconds::max());

// Every event of GetExecutionHistory, all pages (1,000 events a page), oldest first or, with
// `reverse`, newest first.
Result<std::vector<json::Value>> GetWholeHistory(SfnClient& client,
                                                 const std::string& execution_arn,
                                                 bool reverse = false);

}  // namespace stepfn::cli
