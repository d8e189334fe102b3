// Payload templates: Parameters, ResultSelector, ItemSelector, Map's legacy Parameters, and
// Result-free `.$` fields. A template is a JSON value whose object keys ending in ".$" take
// their value from a path ("$.x", "$$.Execution.Id", "$var") or an intrinsic call; the ".$" is
// dropped from the key in the output. Everything else is copied as it is (shared, not copied).
#pragma once

#include <memory>
#include <string>

#include "common/states_error.h"
#include "common/status.h"
#include "expr/scope.h"
#include "json/value.h"

namespace stepfn::expr {

class PayloadTemplate {
 public:
  // Compiles `tmpl`. InvalidArgument naming the field when a ".$" value is not a string or is
  // neither a valid path nor a valid intrinsic call ("The value for the field 'a.$' must be a
  // valid JSONPath or a valid intrinsic function call", AWS's exact text; for a field inside
  // nested objects/arrays " (at /outer/0)" follows, relative to the template). Also refused: a
  // key given both plainly and with ".$" ("a" and "a.$"). Parts without ".$" keys are kept as
  // the very nodes of `tmpl` and shared by every payload built.
  static Result<PayloadTemplate> Compile(const json::Value& tmpl);

  // Builds the payload. A path that selects nothing fails with States.Runtime and AWS's cause
  // ("The JSONPath '$.x' specified for the field 'a.$' could not be found in the input '...'",
  // the input written as compact JSON; for "$$" paths the context object, for "$var" the
  // variable). Intrinsic failures are as EvaluateIntrinsic reports them. Causes carry no
  // "An error occurred while executing the state ..." prefix: the interpreter adds it.
  // Only the objects/arrays that hold ".$" fields are built; everything else is shared.
  // Thread safety: a compiled template is immutable; evaluate it from any number of threads.
  Fallible<json::Value> Evaluate(const Scope& scope) const;

  struct Node;

 private:
  explicit PayloadTemplate(std::shared_ptr<const Node> root) : root_(std::move(root)) {}
  std::shared_ptr<const Node> root_;
};

}  // namespace stepfn::expr
