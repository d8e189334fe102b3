// AwsError: an error as AWS services report it over HTTP (an HTTP status, an error code such as
// "ValidationException" and a message), and the awsJson shape that carries it.
//
// For the awsJson1_0 / awsJson1_1 protocols AWS answers an error with its HTTP status, the
// header `x-amzn-ErrorType: <Code>` and the body `{"__type": "<Code>", "message": "..."}`.
// botocore reads `__type` (the part after a '#', before a ':'); Smithy clients (the JS SDK v3)
// read the header first and then `__type`. We send both, with the plain code name.
//
// Thread safety: plain values.
#pragma once

#include <string>
#include <utility>
#include <variant>

#include "common/status.h"

namespace stepfn::api {

struct AwsError {
  int http_status = 400;
  std::string code;     // "StateMachineDoesNotExist"
  std::string message;  // may be empty (AWS omits it for some codes)

  // Common codes of AWS's JSON services (all HTTP 400 unless said otherwise).
  static AwsError Validation(std::string message) {
    return {400, "ValidationException", std::move(message)};
  }
  static AwsError Serialization(std::string message) {
    return {400, "SerializationException", std::move(message)};
  }
  static AwsError UnknownOperation(std::string message) {
    return {400, "UnknownOperationException", std::move(message)};
  }
  // HTTP 500.
  static AwsError InternalFailure(std::string message) {
    return {500, "InternalFailure", std::move(message)};
  }
  // HTTP 503: the server cannot take the request now (overload, shutdown); clients retry.
  static AwsError ServiceUnavailable(std::string message) {
    return {503, "ServiceUnavailable", std::move(message)};
  }
};

// A T or an AwsError.
template <typename T>
using AwsOr = std::variant<T, AwsError>;

// The body AWS's JSON protocols send for an error: {"__type":"<code>","message":"<message>"}.
std::string AwsJsonErrorBody(const AwsError& error);

// Maps a Status without an AWS name to the nearest AWS error: InvalidArgument and OutOfRange
// -> ValidationException (400), NotFound -> ResourceNotFound (400), AlreadyExists ->
// ConflictException (400), Unavailable -> ServiceUnavailable (503), DeadlineExceeded ->
// RequestTimeout (408), anything else -> InternalFailure (500). REQUIRES: !status.ok().
AwsError AwsErrorFromStatus(const Status& status);

}  // namespace stepfn::api
