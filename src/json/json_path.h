// JSONPath as Amazon States Language uses it.
//
// Grammar accepted (Jayway-compatible subset that AWS accepts):
//   $            the state input (or the document given to Evaluate)
//   $$           the context object ($$.Execution.Id, $$.Map.Item.Value, ...)
//   $name        a workflow variable (variables arrive with a later issue; the root is parsed now)
//   .name  ['name']  ["name"]  [0]  [-1]  [*]  .*  ..name  [a,b] [0,2]  [start:end:step]
//   [?(@.x > 1)] [?(@.x == 'a')] [?(@.x)] filters with ==, !=, <, <=, >, >=, &&, ||, comparisons
//                to numbers, strings, booleans, null and other @ paths.
// A path is *definite* when it can match at most one node (only names and indices); otherwise
// it is *indefinite* and evaluation yields an array of every match (possibly empty).
// A *reference path* (ResultPath, Choice Variable) is definite and uses only names and
// non-negative indices.
//
// Details that follow Jayway (and so AWS):
//   - A missing key, an index out of range or a step into the wrong type makes a definite path
//     NotFound; in an indefinite path that branch simply contributes no match.
//   - `..x` visits a node before its descendants (pre-order), members in written order.
//   - A final name union `['a','b']` yields one object holding the names present (definite);
//     elsewhere a name union selects each name in turn.
//   - A filter on an array tests each element; on an object it tests the object itself
//     (below `..` it tests each member value). `@.x` alone tests that x exists (even if null).
//     `==` compares JSON values (1 == 1.0; no string/number coercion); `<`, `<=`, `>`, `>=`
//     order numbers with numbers and strings with strings, anything else is false; `!=` is
//     `!(==)`, so a missing operand is != everything. Also `in`, `nin`, `subsetof`, `anyof`,
//     `noneof`, `size`, `empty`, `!`, parentheses. Regular expressions (`=~`) are refused.
//   - `.length()` may end a path: the size of an array/object/string (definite prefix), or the
//     number of matches (indefinite prefix).
//   - Inside quotes, a backslash escapes that quote character or a backslash; any other
//     backslash is kept as written (AWS: `$['Test\""Name"']` selects the key `Test\""Name"`).
//   - Slices `[start:end:step]` follow Python (negative bounds count from the end; step < 0
//     walks backwards; step 0 is a compile error).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "json/value.h"

namespace stepfn::json {

enum class PathRoot : uint8_t { Input, Context, Variable };

class Path {
 public:
  // Compiles a path. InvalidArgument with a message that says where the text is wrong.
  static Result<Path> Compile(std::string_view text);

  const std::string& text() const;
  PathRoot root() const;
  // For PathRoot::Variable: the variable's name ("$x.y" -> "x").
  const std::string& variable_name() const;
  bool is_definite() const;
  bool is_reference() const;
  // True for "$", "$$" and "$name" alone: the whole document.
  bool is_root_only() const;
  // For "$.name" (the input's member, given by one plain name): that name; else nullptr.
  const std::string* single_name() const;

  // Evaluates against `doc` (the input, context object or variable value: the caller picks by
  // root()). Definite path: the node, or NotFound when any step is missing or has the wrong
  // type. Indefinite path: an array of all matches, in document order. OutOfRange when the
  // path needs an absurd amount of work (nested deep-scan filters), rather than running on.
  // Thread-safe: a Path may be evaluated from many threads at once.
  Result<Value> Evaluate(const Value& doc) const;

  // For reference paths: returns `doc` with the node at this path replaced by `v` (objects
  // created where keys are missing). Only nodes along the path are copied.
  // InvalidArgument when the path crosses a value that is not an object/array, when an index is
  // out of range or missing under a key that does not exist (arrays are never created), and
  // when the path is not a reference path.
  Result<Value> Assign(const Value& doc, Value v) const;

  Path(const Path&) = default;
  Path& operator=(const Path&) = default;
  Path(Path&&) noexcept = default;
  Path& operator=(Path&&) noexcept = default;
  ~Path();

  struct Impl;

 private:
  explicit Path(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}
  std::shared_ptr<const Impl> impl_;  // shared: compiled once, immutable
};

}  // namespace stepfn::json
