#include "api/aws_error.h"

#include "json/write.h"

namespace stepfn::api {

std::string AwsJsonErrorBody(const AwsError& error) {
  std::string body = "{\"__type\":";
  json::WriteString(error.code, &body);
  body += ",\"message\":";
  json::WriteString(error.message, &body);
  body += "}";
  return body;
}

AwsError AwsErrorFromStatus(const Status& status) {
  switch (status.code()) {
    case StatusCode::InvalidArgument:
    case StatusCode::OutOfRange:
    case StatusCode::FailedPrecondition:
      return AwsError::Validation(status.message());
    case StatusCode::NotFound:
      return {400, "ResourceNotFound", status.message()};
    case StatusCode::AlreadyExists:
      return {400, "ConflictException", status.message()};
    case StatusCode::Unavailable:
      return AwsError::ServiceUnavailable(status.message());
    case StatusCode::DeadlineExceeded:
      return {408, "RequestTimeoutException", status.message()};
    case StatusCode::Ok:
    case StatusCode::Unimplemented:
    case StatusCode::Internal:
    case StatusCode::Cancelled:
      break;
  }
  return AwsError::InternalFailure(status.message());
}

}  // namespace stepfn::api
