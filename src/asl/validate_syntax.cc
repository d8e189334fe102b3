#include "asl/validate_syntax.h"

#include "expr/intrinsic.h"
#include "expr/timestamp.h"
#include "json/json_path.h"

namespace stepfn::asl::internal {

namespace {

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsAsciiDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHighByte(char c) { return static_cast<unsigned char>(c) >= 0x80; }

}  // namespace

bool IsSimplePath(std::string_view text) {
  if (text.empty() || text[0] != '$') return false;
  size_t i = 1;
  if (i < text.size() && text[i] == '$') {
    ++i;  // the context object
  } else if (i < text.size() && (IsAsciiLetter(text[i]) || text[i] == '_' || IsHighByte(text[i]))) {
    // A variable: the name json::Path reads after "$" (letters, '_', non-ASCII, then digits too).
    while (i < text.size() && (IsAsciiLetter(text[i]) || text[i] == '_' || IsHighByte(text[i]) ||
                               IsAsciiDigit(text[i]))) {
      ++i;
    }
  }
  while (i < text.size()) {
    if (text[i] != '.') return false;
    size_t start = ++i;
    while (i < text.size() && (IsAsciiLetter(text[i]) || IsAsciiDigit(text[i]) || text[i] == '_' ||
                               text[i] == '-' || IsHighByte(text[i]))) {
      ++i;
    }
    if (i == start) return false;  // "$.", "$..x", "$.*": not this form
  }
  return true;
}

bool IsValidPath(std::string_view text) {
  return IsSimplePath(text) || json::Path::Compile(text).ok();
}

bool IsValidReferencePath(std::string_view text) {
  if (IsSimplePath(text)) return true;
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
