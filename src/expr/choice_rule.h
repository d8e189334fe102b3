// ChoiceRule: one JSONPath-mode Choice rule (an element of a Choice state's `Choices`, or a
// rule nested in And/Or/Not), compiled once into an immutable tree and evaluated many times.
//
//   Result<ChoiceRule> rule = ChoiceRule::Compile(json, ChoiceRule::Level::TopLevel,
//                                                 "/States/Check/Choices/0");
//   Fallible<bool> taken = rule->Evaluate(scope);   // then go to rule->next()
//
// Operators: String{Equals,LessThan,GreaterThan,LessThanEquals,GreaterThanEquals,Matches},
// Numeric{Equals,LessThan,GreaterThan,LessThanEquals,GreaterThanEquals}, BooleanEquals,
// Timestamp{Equals,LessThan,GreaterThan,LessThanEquals,GreaterThanEquals}, each comparison (but
// StringMatches) also as `<Op>Path` (compare with the value at another path); IsNull,
// IsPresent, IsNumeric, IsString, IsBoolean, IsTimestamp (value true or false); And, Or, Not.
//
// Semantics (checked against the AWS-recorded Choice cases in ../shared/conformance):
// - A value of the wrong type for the operator (NumericEquals on a string, a string that is not
//   a timestamp for Timestamp*, null for BooleanEqualsPath, ...) makes the comparison false,
//   never an error. The same holds for the value at the `*Path` operand.
// - Numbers compare by value whatever their representation: 1 == 1.0; int64 against double is
//   exact (no rounding of large integers).
// - Strings compare as Java's String.compareTo does (UTF-16 code units, lexicographic), which
//   is code point order except that U+E000..U+FFFF sort after supplementary characters.
// - StringMatches: `*` matches any run of characters (also none); `\*` is a literal `*`, `\\` a
//   literal `\`; a `\` before any other character, or at the end, is a literal `\`.
// - Timestamps compare as instants to the nanosecond (offsets applied); see timestamp.h.
// - Is*: `"IsNull": false` is true when the value is present and not null, and so on.
//   IsNumeric/IsString/IsBoolean/IsTimestamp on a missing path are errors like any other
//   operator; only IsPresent reads a missing path (as "not present").
// - A `Variable` (or `*Path` operand) that selects nothing is an ASL runtime error:
//   {"States.Runtime", "Invalid path '<path>': The choice state's condition path references an
//   invalid value."}. The interpreter prefixes the cause with "An error occurred while
//   executing the state '<name>' (entered at the event id #<n>). " as for every runtime error.
// - And/Or evaluate left to right and stop at the first deciding child, so an error in a later
//   child is only raised when that child is evaluated.
//
// Next: a top-level rule keeps its `Next` (next()); nested rules have none. The caller checks
// that the target state exists. `Comment` is allowed in any rule, `Assign` and `Output` in a
// top-level rule (they are ignored here: the interpreter compiles them); JSONata `Condition`
// rules are not handled here.
//
// Thread safety: a compiled ChoiceRule is immutable; copies share the tree; Evaluate may run
// from any number of threads at once.
// Cost: paths, numbers, timestamps and StringMatches patterns are converted at Compile. Evaluate
// does not allocate unless it fails (or a path is indefinite); `$.a.b`-shaped paths (names of
// [A-Za-z0-9_]) are followed key by key without a general JSONPath evaluation.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "common/states_error.h"
#include "common/status.h"
#include "expr/scope.h"
#include "json/value.h"

namespace stepfn::expr {

// Every operator, spelled as in ASL (the `*Path` forms are flagged separately).
enum class ChoiceOp : uint8_t {
  And,
  Or,
  Not,
  StringEquals,
  StringLessThan,
  StringGreaterThan,
  StringLessThanEquals,
  StringGreaterThanEquals,
  StringMatches,
  NumericEquals,
  NumericLessThan,
  NumericGreaterThan,
  NumericLessThanEquals,
  NumericGreaterThanEquals,
  BooleanEquals,
  TimestampEquals,
  TimestampLessThan,
  TimestampGreaterThan,
  TimestampLessThanEquals,
  TimestampGreaterThanEquals,
  IsNull,
  IsPresent,
  IsNumeric,
  IsString,
  IsBoolean,
  IsTimestamp,
};

std::string_view ChoiceOpName(ChoiceOp op);  // "StringEquals", "And", ...

class ChoiceRule {
 public:
  enum class Level : uint8_t {
    TopLevel,  // an element of `Choices`: `Next` required
    Nested,    // inside And/Or/Not: `Next` not allowed
  };

  // Compiles `rule`. `location` is the JSON pointer of the rule in the definition (e.g.
  // "/States/Check/Choices/0"); nested locations extend it ("/And/1", "/Not").
  // Fails with InvalidArgument whose message follows AWS's definition errors, e.g.
  //   "SCHEMA_VALIDATION_FAILED: The field 'Foo' is not supported by Step Functions at
  //    /States/Check/Choices/0"
  //   "SCHEMA_VALIDATION_FAILED: The value for the field 'StringEqualsPath' must be a valid
  //    JSONPath at /States/Check/Choices/0"
  // (the first problem found; paths are compiled, numbers and timestamps converted, here).
  static Result<ChoiceRule> Compile(const json::Value& rule, Level level,
                                    std::string_view location);

  // Evaluates against `scope` ($ = scope.input, $$ = scope.context, $name = a variable).
  // True/false, or the StatesError described above.
  Fallible<bool> Evaluate(const Scope& scope) const;

  // The rule's operator (And/Or/Not for a composite).
  ChoiceOp op() const;
  // The `Next` state of a top-level rule; empty for a nested rule.
  const std::string& next() const { return next_; }

  struct Node;

 private:
  ChoiceRule(std::shared_ptr<const Node> root, std::string next)
      : root_(std::move(root)), next_(std::move(next)) {}

  std::shared_ptr<const Node> root_;
  std::string next_;
};

}  // namespace stepfn::expr
