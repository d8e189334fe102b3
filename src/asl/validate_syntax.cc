#include "asl/validate_syntax.h"

#include "expr/intrinsic.h"
#include "expr/timestamp.h"
#include "json/json_path.h"

namespace stepfn::asl::internal {

bool IsValidPath(std::string_view text) { return json::Path::Compile(text).ok(); }

bool IsValidReferencePath(std::string_view text) {
  Result<json::Path> path = json::Path::Compile(text);
  return path.ok() && path->is_reference();
}

bool LooksLikeIntrinsicCall(std::string_view text) { return expr::LooksLikeIntrinsic(text); }

bool IsValidIntrinsicCall(std::string_view text) { return expr::CompileIntrinsic(text).ok(); }

bool IsValidTimestamp(std::string_view text) { return expr::IsValidTimestamp(text); }

bool IsJsonataExpression(std::string_view text) {
  return text.size() >= 4 && text.substr(0, 2) == "{%" && text.substr(text.size() - 2) == "%}";
}

}  // namespace stepfn::asl::internal
