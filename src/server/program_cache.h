// ProgramCache: compiled programs by definition text, shared by every execution that runs the
// same definition (a state machine's executions, its versions, recovered executions).
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "asl/program.h"
#include "asl/validate.h"
#include "common/status.h"

namespace stepfn::server {

class ProgramCache {
 public:
  // The compiled program of `definition` (ASL text): validated (InvalidArgument carries AWS's
  // InvalidDefinition message) and compiled once, then shared.
  Result<std::shared_ptr<const asl::Program>> Get(const std::string& definition,
                                                  asl::MachineType type);

  size_t size() const;

 private:
  // Looked up by the definition's text as it is (no copy of a key per execution).
  struct TextHash {
    using is_transparent = void;
    size_t operator()(std::string_view text) const { return std::hash<std::string_view>{}(text); }
  };
  using Programs = std::unordered_map<std::string, std::shared_ptr<const asl::Program>, TextHash,
                                      std::equal_to<>>;

  mutable std::mutex mu_;
  Programs standard_;  // by definition text
  Programs express_;
};

}  // namespace stepfn::server
