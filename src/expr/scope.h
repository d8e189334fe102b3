// Scope: the documents that paths inside payload templates and intrinsic calls read.
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include "json/json_path.h"
#include "json/value.h"

namespace stepfn::expr {

// Variables ($name) arrive with the variables issue; until then lookups find nothing.
class VariableLookup {
 public:
  virtual ~VariableLookup() = default;
  // The variable's value, or nullptr when it is not defined in this scope.
  virtual const json::Value* Find(std::string_view name) const = 0;
};

struct Scope {
  const json::Value* input = nullptr;    // $
  const json::Value* context = nullptr;  // $$
  const VariableLookup* variables = nullptr;
  // Source of randomness for States.UUID and States.MathRandom; the interpreter supplies a
  // deterministic one so that executions replay identically. REQUIRED when those run.
  std::function<uint64_t()> random;
};

// The document a path reads, by its root: `$` the input, `$$` the context object, `$name` the
// variable. nullptr when the scope has no such document (or no such variable).
inline const json::Value* RootDocument(const json::Path& path, const Scope& scope) {
  switch (path.root()) {
    case json::PathRoot::Input:
      return scope.input;
    case json::PathRoot::Context:
      return scope.context;
    case json::PathRoot::Variable:
      return scope.variables != nullptr ? scope.variables->Find(path.variable_name()) : nullptr;
  }
  return nullptr;
}

}  // namespace stepfn::expr
