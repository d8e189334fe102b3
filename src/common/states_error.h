// StatesError: an ASL runtime error as a value (Error name + Cause text), e.g.
// {"States.Runtime", "An error occurred while executing the state 'X' ..."}. Retry and Catch
// match on `error`; history and API responses carry both. Never a C++ exception.
#pragma once

#include <string>
#include <utility>

namespace stepfn {

struct StatesError {
  std::string error;
  std::string cause;
};

// Result-like holder for code that fails with ASL errors rather than Status.
template <typename T>
struct Fallible {
  Fallible(T v) : value(std::move(v)), failed(false) {}           // NOLINT
  Fallible(StatesError e) : error(std::move(e)), failed(true) {}  // NOLINT
  bool ok() const { return !failed; }
  T value{};
  StatesError error;
  bool failed;
};

}  // namespace stepfn
