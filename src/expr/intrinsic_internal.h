// Internal to src/expr: the compiled form of an intrinsic call, shared by the parser
// (intrinsic_parser.cc) and the evaluator (intrinsic_functions.cc). Not part of the public API.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "expr/intrinsic.h"
#include "json/json_path.h"
#include "json/value.h"

namespace stepfn::expr {

enum class IntrinsicFn : uint8_t {
  kFormat,
  kStringToJson,
  kJsonToString,
  kArray,
  kArrayPartition,
  kArrayContains,
  kArrayRange,
  kArrayGetItem,
  kArrayLength,
  kArrayUnique,
  kBase64Encode,
  kBase64Decode,
  kHash,
  kJsonMerge,
  kMathRandom,
  kMathAdd,
  kStringSplit,
  kUuid,
};

// "States.Format" etc.
std::string_view IntrinsicFnName(IntrinsicFn fn);

// One piece of a States.Format template: literal text, or a "{}" placeholder.
struct FormatPiece {
  bool placeholder = false;
  std::string text;
};

struct IntrinsicArg {
  enum class Kind : uint8_t { kLiteral, kPath, kCall };
  Kind kind = Kind::kLiteral;
  json::Value literal;             // kLiteral
  std::optional<json::Path> path;  // kPath
  IntrinsicPtr call;               // kCall
};

class Intrinsic {
 public:
  IntrinsicFn fn = IntrinsicFn::kArray;
  std::string text;  // the call as written, for messages
  std::vector<IntrinsicArg> args;
  // States.Format with a literal template: the template split at compile time (escapes
  // resolved), or format_error when the template is malformed (reported at run time, as AWS
  // does).
  bool has_format_pieces = false;
  bool format_error = false;
  std::vector<FormatPiece> format_pieces;
};

// Splits a States.Format template whose escapes (\{ \} \' \\) are still in place.
// Returns false when it has a lone '{' or '}'.
bool SplitFormatTemplate(std::string_view raw, std::vector<FormatPiece>* pieces);

// Java-style text of a value, as AWS renders arguments in States.Format: strings raw, numbers
// and literals as JSON, objects as {k=v, k2=v2}, arrays as [a, b].
void AppendJavaString(const json::Value& v, std::string* out);

// Evaluates `path` against the document its root names (scope.input, scope.context or the
// variable). A path that selects nothing fails with States.Runtime: "The JSONPath '<path>'
// specified for the field '<field>' could not be found in the input '<document>'".
Fallible<json::Value> EvaluatePathInScope(const json::Path& path, const Scope& scope,
                                          std::string_view field);

}  // namespace stepfn::expr
