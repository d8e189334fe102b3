#include "common/status.h"

#include <cstdio>
#include <cstdlib>

namespace stepfn {

std::string_view StatusCodeName(StatusCode code) {
  switch (code) {
    case StatusCode::Ok:
      return "OK";
    case StatusCode::InvalidArgument:
      return "InvalidArgument";
    case StatusCode::NotFound:
      return "NotFound";
    case StatusCode::AlreadyExists:
      return "AlreadyExists";
    case StatusCode::FailedPrecondition:
      return "FailedPrecondition";
    case StatusCode::OutOfRange:
      return "OutOfRange";
    case StatusCode::Unimplemented:
      return "Unimplemented";
    case StatusCode::Internal:
      return "Internal";
    case StatusCode::Unavailable:
      return "Unavailable";
    case StatusCode::DeadlineExceeded:
      return "DeadlineExceeded";
    case StatusCode::Cancelled:
      return "Cancelled";
  }
  return "Unknown";
}

Status::Status(StatusCode code, std::string message) {
  if (code != StatusCode::Ok) {
    rep_ = std::make_shared<const Rep>(Rep{code, std::move(message)});
  }
}

const std::string& Status::message() const {
  static const std::string kEmpty;
  return rep_ ? rep_->message : kEmpty;
}

std::string Status::ToString() const {
  if (ok()) return "OK";
  return std::string(StatusCodeName(rep_->code)) + ": " + rep_->message;
}

Status Status::WithPrefix(std::string_view prefix) const {
  if (ok()) return *this;
  std::string m(prefix);
  m += ": ";
  m += rep_->message;
  return Status(rep_->code, std::move(m));
}

void CheckFailed(const char* file, int line, const char* expr) {
  std::fprintf(stderr, "CHECK failed at %s:%d: %s\n", file, line, expr);
  std::abort();
}

}  // namespace stepfn
