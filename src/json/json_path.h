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
  // True for "$" (and "$$"): the whole document.
  bool is_root_only() const;

  // Evaluates against `doc` (the input, context object or variable value: the caller picks by
  // root()). Definite path: the node, or NotFound when any step is missing or has the wrong
  // type. Indefinite path: an array of all matches, in document order.
  Result<Value> Evaluate(const Value& doc) const;

  // For reference paths: returns `doc` with the node at this path replaced by `v` (objects
  // created where keys are missing). Only nodes along the path are copied.
  // InvalidArgument when the path crosses a value that is not an object/array.
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
