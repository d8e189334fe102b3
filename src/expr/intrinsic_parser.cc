// Parsing intrinsic calls: "States.Name(arg, ...)" -> an Intrinsic tree.

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

#include "expr/intrinsic.h"
#include "expr/intrinsic_internal.h"
#include "json/parse.h"

namespace stepfn::expr {
namespace {

// AWS: "You can nest up to 10 intrinsic functions within a field". We bound the depth of
// nesting (which also bounds our recursion).
constexpr int kMaxDepth = 10;

struct FnEntry {
  std::string_view name;
  IntrinsicFn fn;
};

constexpr std::array<FnEntry, 18> kFunctions = {{
    {"States.Format", IntrinsicFn::kFormat},
    {"States.StringToJson", IntrinsicFn::kStringToJson},
    {"States.JsonToString", IntrinsicFn::kJsonToString},
    {"States.Array", IntrinsicFn::kArray},
    {"States.ArrayPartition", IntrinsicFn::kArrayPartition},
    {"States.ArrayContains", IntrinsicFn::kArrayContains},
    {"States.ArrayRange", IntrinsicFn::kArrayRange},
    {"States.ArrayGetItem", IntrinsicFn::kArrayGetItem},
    {"States.ArrayLength", IntrinsicFn::kArrayLength},
    {"States.ArrayUnique", IntrinsicFn::kArrayUnique},
    {"States.Base64Encode", IntrinsicFn::kBase64Encode},
    {"States.Base64Decode", IntrinsicFn::kBase64Decode},
    {"States.Hash", IntrinsicFn::kHash},
    {"States.JsonMerge", IntrinsicFn::kJsonMerge},
    {"States.MathRandom", IntrinsicFn::kMathRandom},
    {"States.MathAdd", IntrinsicFn::kMathAdd},
    {"States.StringSplit", IntrinsicFn::kStringSplit},
    {"States.UUID", IntrinsicFn::kUuid},
}};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsIdentChar(char c) {
  return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

class Parser {
 public:
  explicit Parser(std::string_view text) : s_(text) {}

  Result<IntrinsicPtr> ParseTop() {
    SkipSpace();
    ASSIGN_OR_RETURN(IntrinsicPtr call, ParseCall(1));
    SkipSpace();
    if (pos_ != s_.size()) return Error("unexpected text after the closing ')'");
    return call;
  }

 private:
  Status Error(std::string_view what) const {
    std::string m = "invalid intrinsic function call '";
    m.append(s_);
    m.append("' at character ");
    m.append(std::to_string(pos_ + 1));
    m.append(": ");
    m.append(what);
    return InvalidArgument(std::move(m));
  }

  void SkipSpace() {
    while (pos_ < s_.size() && IsSpace(s_[pos_])) ++pos_;
  }

  bool AtEnd() const { return pos_ >= s_.size(); }

  Result<IntrinsicPtr> ParseCall(int depth) {
    if (depth > kMaxDepth) {
      return Error("intrinsic functions are nested more than " + std::to_string(kMaxDepth) +
                   " deep");
    }
    size_t start = pos_;
    if (s_.substr(pos_, 7) != "States.") return Error("expected 'States.<function>('");
    pos_ += 7;
    while (!AtEnd() && IsIdentChar(s_[pos_])) ++pos_;
    std::string_view name = s_.substr(start, pos_ - start);
    const FnEntry* entry = nullptr;
    for (const FnEntry& e : kFunctions) {
      if (e.name == name) entry = &e;
    }
    if (entry == nullptr) {
      pos_ = start;
      return Error("unknown intrinsic function '" + std::string(name) + "'");
    }
    auto call = std::make_shared<Intrinsic>();
    call->fn = entry->fn;
    SkipSpace();
    if (AtEnd() || s_[pos_] != '(') return Error("expected '(' after " + std::string(name));
    ++pos_;
    SkipSpace();
    std::string first_raw;  // the first argument's raw text, when it is a string literal
    bool first_is_string = false;
    if (!AtEnd() && s_[pos_] == ')') {
      ++pos_;
    } else {
      while (true) {
        SkipSpace();
        IntrinsicArg arg;
        std::string raw;
        bool is_string = false;
        RETURN_IF_ERROR(ParseArg(&arg, &raw, &is_string, depth));
        if (call->args.empty()) {
          first_raw = std::move(raw);
          first_is_string = is_string;
        }
        call->args.push_back(std::move(arg));
        SkipSpace();
        if (AtEnd()) return Error("missing ')'");
        if (s_[pos_] == ',') {
          ++pos_;
          continue;
        }
        if (s_[pos_] == ')') {
          ++pos_;
          break;
        }
        return Error("expected ',' or ')' after an argument");
      }
    }
    call->text = std::string(s_.substr(start, pos_ - start));
    if (call->fn == IntrinsicFn::kFormat && first_is_string) {
      call->has_format_pieces = true;
      call->format_error = !SplitFormatTemplate(first_raw, &call->format_pieces);
    }
    return IntrinsicPtr(std::move(call));
  }

  Status ParseArg(IntrinsicArg* arg, std::string* raw, bool* is_string, int depth) {
    if (AtEnd()) return Error("missing argument");
    char c = s_[pos_];
    if (c == '\'') {
      *is_string = true;
      std::string value;
      RETURN_IF_ERROR(ParseString(&value, raw));
      arg->kind = IntrinsicArg::Kind::kLiteral;
      arg->literal = json::Value::String(std::move(value));
      return Status::Ok();
    }
    if (c == '$') return ParsePath(arg);
    if (c == '-' || IsDigit(c)) return ParseNumber(arg);
    if (c == 'S') {
      ASSIGN_OR_RETURN(IntrinsicPtr inner, ParseCall(depth + 1));
      arg->kind = IntrinsicArg::Kind::kCall;
      arg->call = std::move(inner);
      return Status::Ok();
    }
    for (std::string_view kw :
         {std::string_view("true"), std::string_view("false"), std::string_view("null")}) {
      if (s_.substr(pos_, kw.size()) == kw &&
          (pos_ + kw.size() == s_.size() || !IsIdentChar(s_[pos_ + kw.size()]))) {
        pos_ += kw.size();
        arg->kind = IntrinsicArg::Kind::kLiteral;
        arg->literal = kw == "null" ? json::Value() : json::Value::Bool(kw == "true");
        return Status::Ok();
      }
    }
    return Error(
        "expected an argument: a 'string', a number, true, false, null, a path or "
        "an intrinsic function call");
  }

  // '...' with the escapes \' \{ \} \\ (and no others).
  Status ParseString(std::string* value, std::string* raw) {
    ++pos_;  // opening quote
    size_t raw_start = pos_;
    while (true) {
      if (AtEnd()) return Error("unterminated string literal");
      char c = s_[pos_];
      if (c == '\'') break;
      if (c == '\\') {
        if (pos_ + 1 >= s_.size()) return Error("unterminated string literal");
        char e = s_[pos_ + 1];
        if (e != '\'' && e != '{' && e != '}' && e != '\\') {
          ++pos_;
          return Error(std::string("invalid escape '\\") + e +
                       "' in a string literal (only \\' \\{ \\} \\\\ are allowed)");
        }
        value->push_back(e);
        pos_ += 2;
        continue;
      }
      value->push_back(c);
      ++pos_;
    }
    raw->assign(s_.substr(raw_start, pos_ - raw_start));
    ++pos_;  // closing quote
    return Status::Ok();
  }

  Status ParseNumber(IntrinsicArg* arg) {
    size_t start = pos_;
    if (s_[pos_] == '-') ++pos_;
    while (!AtEnd() && (IsDigit(s_[pos_]) || s_[pos_] == '.' || s_[pos_] == 'e' ||
                        s_[pos_] == 'E' || s_[pos_] == '+' || s_[pos_] == '-')) {
      ++pos_;
    }
    std::string_view token = s_.substr(start, pos_ - start);
    Result<json::Value> v = json::Parse(token);
    if (!v.ok() || !v->is_number()) {
      pos_ = start;
      return Error("invalid number '" + std::string(token) + "'");
    }
    arg->kind = IntrinsicArg::Kind::kLiteral;
    arg->literal = std::move(*v);
    return Status::Ok();
  }

  // A path runs to the next ',' or ')' outside brackets, parentheses and quotes.
  Status ParsePath(IntrinsicArg* arg) {
    size_t start = pos_;
    int brackets = 0;
    int parens = 0;
    char quote = 0;
    for (; !AtEnd(); ++pos_) {
      char c = s_[pos_];
      if (quote != 0) {
        if (c == '\\' && pos_ + 1 < s_.size()) {
          ++pos_;
        } else if (c == quote) {
          quote = 0;
        }
        continue;
      }
      if ((c == '\'' || c == '"') && brackets > 0) {
        quote = c;
      } else if (c == '[') {
        ++brackets;
      } else if (c == ']') {
        if (brackets > 0) --brackets;
      } else if (c == '(') {
        ++parens;
      } else if (c == ')') {
        if (parens == 0 && brackets == 0) break;
        if (parens > 0) --parens;
      } else if (c == ',' && brackets == 0 && parens == 0) {
        break;
      }
    }
    size_t end = pos_;
    while (end > start && IsSpace(s_[end - 1])) --end;
    std::string_view text = s_.substr(start, end - start);
    Result<json::Path> path = json::Path::Compile(text);
    if (!path.ok()) {
      pos_ = start;
      return Error("invalid path '" + std::string(text) + "': " + path.status().message());
    }
    arg->kind = IntrinsicArg::Kind::kPath;
    arg->path = std::move(*path);
    return Status::Ok();
  }

  std::string_view s_;
  size_t pos_ = 0;
};

}  // namespace

std::string_view IntrinsicFnName(IntrinsicFn fn) {
  for (const FnEntry& e : kFunctions) {
    if (e.fn == fn) return e.name;
  }
  return "States.?";
}

bool SplitFormatTemplate(std::string_view raw, std::vector<FormatPiece>* pieces) {
  pieces->clear();
  std::string text;
  for (size_t i = 0; i < raw.size(); ++i) {
    char c = raw[i];
    if (c == '\\' && i + 1 < raw.size()) {
      text.push_back(raw[++i]);
    } else if (c == '{') {
      if (i + 1 >= raw.size() || raw[i + 1] != '}') return false;
      if (!text.empty()) pieces->push_back({false, std::move(text)});
      text.clear();
      pieces->push_back({true, {}});
      ++i;
    } else if (c == '}') {
      return false;
    } else {
      text.push_back(c);
    }
  }
  if (!text.empty()) pieces->push_back({false, std::move(text)});
  return true;
}

bool LooksLikeIntrinsic(std::string_view text) {
  size_t b = 0;
  size_t e = text.size();
  while (b < e && IsSpace(text[b])) ++b;
  while (e > b && IsSpace(text[e - 1])) --e;
  text = text.substr(b, e - b);
  return text.size() >= 9 && text.substr(0, 7) == "States." && text.back() == ')';
}

Result<IntrinsicPtr> CompileIntrinsic(std::string_view text) { return Parser(text).ParseTop(); }

}  // namespace stepfn::expr
