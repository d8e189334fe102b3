// Status and Result<T>: errors as values. Our code never throws; a function that can fail
// returns Status (nothing on success) or Result<T> (a T on success).
//
// A Status is cheap when OK (one null pointer). A failed Status carries a code and a message
// that says what went wrong, where and why. Codes are coarse categories; callers that need
// AWS's error names keep them in the message or in their own error types.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace stepfn {

enum class StatusCode : int {
  Ok = 0,
  InvalidArgument,  // the caller's input is malformed or breaks a rule
  NotFound,         // a named thing does not exist
  AlreadyExists,    // a named thing exists and may not be created again
  FailedPrecondition,
  OutOfRange,  // a size, depth or count limit was passed
  Unimplemented,
  Internal,     // a bug or an impossible state reached through the environment
  Unavailable,  // a transient failure (I/O, a full disk); retrying may help
  DeadlineExceeded,
  Cancelled,
};

std::string_view StatusCodeName(StatusCode code);

class [[nodiscard]] Status {
 public:
  Status() = default;  // OK
  Status(StatusCode code, std::string message);

  static Status Ok() { return Status(); }

  bool ok() const { return rep_ == nullptr; }
  StatusCode code() const { return rep_ ? rep_->code : StatusCode::Ok; }
  // The message; empty when OK.
  const std::string& message() const;
  // "InvalidArgument: message", or "OK".
  std::string ToString() const;

  // Returns a copy whose message is "prefix: message". OK stays OK.
  Status WithPrefix(std::string_view prefix) const;

  void IgnoreError() const {}

 private:
  struct Rep {
    StatusCode code;
    std::string message;
  };
  std::shared_ptr<const Rep> rep_;
};

inline Status InvalidArgument(std::string m) {
  return Status(StatusCode::InvalidArgument, std::move(m));
}
inline Status NotFound(std::string m) { return Status(StatusCode::NotFound, std::move(m)); }
inline Status AlreadyExists(std::string m) {
  return Status(StatusCode::AlreadyExists, std::move(m));
}
inline Status FailedPrecondition(std::string m) {
  return Status(StatusCode::FailedPrecondition, std::move(m));
}
inline Status OutOfRange(std::string m) { return Status(StatusCode::OutOfRange, std::move(m)); }
inline Status Unimplemented(std::string m) {
  return Status(StatusCode::Unimplemented, std::move(m));
}
inline Status Internal(std::string m) { return Status(StatusCode::Internal, std::move(m)); }
inline Status Unavailable(std::string m) { return Status(StatusCode::Unavailable, std::move(m)); }

// Result<T>: a T or a failed Status. Constructing from an OK Status is a bug (CHECKed).
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT(google-explicit-constructor)
  Result(Status status);                     // NOLINT(google-explicit-constructor)

  bool ok() const { return v_.index() == 0; }
  const Status& status() const&;
  Status status() &&;

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

[[noreturn]] void CheckFailed(const char* file, int line, const char* expr);

}  // namespace stepfn

// CHECK: an invariant of our own code, always on; never on user input.
#define STEPFN_CHECK(cond)                                         \
  do {                                                             \
    if (!(cond)) ::stepfn::CheckFailed(__FILE__, __LINE__, #cond); \
  } while (0)

#define STEPFN_CONCAT_INNER(a, b) a##b
#define STEPFN_CONCAT(a, b) STEPFN_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)      \
  do {                             \
    ::stepfn::Status _st = (expr); \
    if (!_st.ok()) return _st;     \
  } while (0)

#define ASSIGN_OR_RETURN_IMPL(tmp, lhs, expr)    \
  auto tmp = (expr);                             \
  if (!tmp.ok()) return std::move(tmp).status(); \
  lhs = std::move(tmp).value()

// ASSIGN_OR_RETURN(auto x, Foo()); or ASSIGN_OR_RETURN(x, Foo());
#define ASSIGN_OR_RETURN(lhs, expr) ASSIGN_OR_RETURN_IMPL(STEPFN_CONCAT(_res_, __LINE__), lhs, expr)

namespace stepfn {

template <typename T>
Result<T>::Result(Status status) : v_(std::move(status)) {
  STEPFN_CHECK(!std::get<1>(v_).ok());
}

template <typename T>
const Status& Result<T>::status() const& {
  static const Status kOk;
  return ok() ? kOk : std::get<1>(v_);
}

template <typename T>
Status Result<T>::status() && {
  return ok() ? Status() : std::get<1>(std::move(v_));
}

}  // namespace stepfn
