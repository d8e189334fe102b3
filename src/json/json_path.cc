// JSONPath: a hand-written recursive-descent compiler to a vector of segments, and an evaluator
// that walks pointers for definite paths (no allocation beyond the result handle) and collects
// matches in document order for indefinite ones. Semantics follow Jayway JsonPath as AWS Step
// Functions uses it; see json_path.h and docs in the tests.
#include "json/json_path.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <optional>
#include <utility>

namespace stepfn::json {
namespace {

// Nesting limit for filters and parentheses inside filters (the compiler recurses).
constexpr int kMaxNesting = 32;
// Indices and slice bounds beyond this are refused, so index arithmetic cannot overflow.
constexpr int64_t kMaxIndex = int64_t{1} << 53;
// Node visits one evaluation may make. Nested deep-scan filters cost (nodes)^(nesting); a
// 256 KiB payload (the AWS limit) needs far fewer visits than this for any sensible path.
constexpr uint64_t kEvaluationBudget = uint64_t{1} << 24;

enum class SegKind : uint8_t {
  Name,        // .name ['name']
  Index,       // [3] [-1]
  Wildcard,    // .* [*]
  NameUnion,   // ['a','b']: an object of the present keys when last, else each in turn
  IndexUnion,  // [0,2,-1]
  Slice,       // [start:end:step]
  Filter,      // [?(...)]
  Length,      // .length(): the size of the array/object/string (or of the match list)
};

struct Expr;

struct Segment {
  SegKind kind = SegKind::Name;
  bool descendant = false;  // preceded by ".."
  size_t begin = 0;         // offsets of the segment's text, for messages
  size_t end = 0;
  std::string name;
  int64_t index = 0;
  std::vector<std::string> names;
  std::vector<int64_t> indices;
  std::optional<int64_t> start;
  std::optional<int64_t> stop;
  int64_t step = 1;
  std::shared_ptr<const Expr> filter;
};

// A compiled chain of segments (the whole path, or a path operand inside a filter).
struct Chain {
  std::vector<Segment> segments;
  // True when every segment before an optional final NameUnion/Length is a plain Name/Index.
  bool definite_prefix = true;
  // The result is one node (definite prefix, or the chain ends in a function).
  bool definite = true;
};

enum class OperandKind : uint8_t { Literal, Current, Root };

struct Operand {
  OperandKind kind = OperandKind::Literal;
  Value literal;
  Chain chain;
};

enum class ExprKind : uint8_t { Or, And, Not, Exists, Compare };
enum class CmpOp : uint8_t {
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  In,
  Nin,
  SubsetOf,
  AnyOf,
  NoneOf,
  Size,
  Empty
};

struct Expr {
  ExprKind kind = ExprKind::Exists;
  CmpOp op = CmpOp::Eq;
  std::unique_ptr<Expr> lhs;  // Or/And/Not
  std::unique_ptr<Expr> rhs;  // Or/And
  Operand a;                  // Exists/Compare
  Operand b;                  // Compare
};

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsVarStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool IsVarChar(char c) { return IsVarStart(c) || IsDigit(c); }

// Where a compile error is: the text from `pos` on (shortened), or "at the end".
std::string Describe(std::string_view text, size_t pos) {
  if (pos >= text.size()) return "at the end";
  constexpr size_t kShown = 12;
  std::string out = "at \"";
  out.append(text.substr(pos, kShown));
  if (text.size() - pos > kShown) out += "...";
  out += "\"";
  return out;
}

class Compiler {
 public:
  explicit Compiler(std::string_view text) : text_(text) {}

  Status Fail(size_t pos, std::string_view what) const {
    std::string m = "invalid JSONPath '";
    m.append(text_);
    m += "' at offset ";
    m += std::to_string(pos);
    m += " (";
    m += Describe(text_, pos);
    m += "): ";
    m.append(what);
    return InvalidArgument(std::move(m));
  }

  size_t pos() const { return pos_; }
  void set_pos(size_t p) { pos_ = p; }
  bool AtEnd() const { return pos_ >= text_.size(); }
  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  void SkipSpace() {
    while (!AtEnd() && IsSpace(text_[pos_])) ++pos_;
  }

  // Segments up to the end of text (top level) or up to the first character that cannot
  // continue a path (inside a filter).
  Result<Chain> ParseChain(bool in_filter, int depth) {
    Chain chain;
    while (!AtEnd()) {
      char c = Peek();
      if (!chain.segments.empty() && chain.segments.back().kind == SegKind::Length) {
        if (in_filter) break;
        return Fail(pos_, "a function call must end the path");
      }
      Segment seg;
      seg.begin = pos_;
      if (c == '.') {
        ++pos_;
        if (Peek() == '.') {
          ++pos_;
          seg.descendant = true;
          if (Peek() == '[') {
            RETURN_IF_ERROR(ParseBracket(&seg, depth));
            seg.end = pos_;
            chain.segments.push_back(std::move(seg));
            continue;
          }
        }
        if (Peek() == '*') {
          ++pos_;
          seg.kind = SegKind::Wildcard;
        } else {
          RETURN_IF_ERROR(ParseDotName(&seg, in_filter));
        }
      } else if (c == '[') {
        RETURN_IF_ERROR(ParseBracket(&seg, depth));
      } else if (in_filter) {
        break;
      } else {
        return Fail(pos_, "expected '.', '..' or '[' to continue the path");
      }
      seg.end = pos_;
      chain.segments.push_back(std::move(seg));
    }
    Classify(&chain);
    return chain;
  }

  static void Classify(Chain* chain) {
    const auto& segs = chain->segments;
    size_t n = segs.size();
    bool plain = true;
    for (size_t i = 0; i < n; ++i) {
      const Segment& s = segs[i];
      bool last = i + 1 == n;
      bool ok =
          !s.descendant && (s.kind == SegKind::Name || s.kind == SegKind::Index ||
                            (last && (s.kind == SegKind::NameUnion || s.kind == SegKind::Length)));
      if (!ok) plain = false;
    }
    chain->definite_prefix = plain;
    chain->definite = plain || (n > 0 && segs.back().kind == SegKind::Length);
  }

 private:
  Status ParseDotName(Segment* seg, bool in_filter) {
    size_t start = pos_;
    while (!AtEnd()) {
      char c = Peek();
      if (c == '.' || c == '[' || c == ']' || c == '(' || c == ')' || IsSpace(c)) break;
      if (in_filter && (c == '=' || c == '!' || c == '<' || c == '>' || c == '&' || c == '|' ||
                        c == ',' || c == '\'' || c == '"')) {
        break;
      }
      ++pos_;
    }
    if (pos_ == start) {
      return Fail(pos_, seg->descendant ? "expected a name, '*' or '[' after '..'"
                                        : "expected a name or '*' after '.'");
    }
    seg->kind = SegKind::Name;
    seg->name.assign(text_.substr(start, pos_ - start));
    if (Peek() == '(') {
      // A function call: only length() is supported.
      if (seg->name != "length" || seg->descendant) {
        return Fail(start, "unknown function '" + seg->name + "()' (only length() is supported)");
      }
      ++pos_;
      SkipSpace();
      if (Peek() != ')') return Fail(pos_, "expected ')': length() takes no arguments");
      ++pos_;
      seg->kind = SegKind::Length;
      seg->name.clear();
    }
    return Status::Ok();
  }

  // A quoted name at pos_ (opening quote included). Inside the quotes a backslash escapes the
  // quote character and a backslash; any other backslash is kept as written (AWS does this).
  Status ParseQuoted(std::string* out) {
    char quote = Peek();
    size_t open = pos_;
    ++pos_;
    while (true) {
      if (AtEnd()) return Fail(open, "unterminated quoted name");
      char c = text_[pos_];
      if (c == '\\' && pos_ + 1 < text_.size() &&
          (text_[pos_ + 1] == quote || text_[pos_ + 1] == '\\')) {
        out->push_back(text_[pos_ + 1]);
        pos_ += 2;
        continue;
      }
      ++pos_;
      if (c == quote) return Status::Ok();
      out->push_back(c);
    }
  }

  // An integer at pos_, or nothing (returns nullopt, pos_ unchanged) when none starts here.
  Result<std::optional<int64_t>> ParseInt() {
    size_t start = pos_;
    if (Peek() == '-') ++pos_;
    if (!IsDigit(Peek())) {
      if (pos_ != start) return Fail(pos_, "expected a digit after '-'");
      return std::optional<int64_t>();
    }
    while (IsDigit(Peek())) ++pos_;
    int64_t v = 0;
    auto [ptr, ec] = std::from_chars(text_.data() + start, text_.data() + pos_, v);
    if (ec != std::errc() || ptr != text_.data() + pos_ || v > kMaxIndex || v < -kMaxIndex) {
      return Fail(start, "index out of range");
    }
    return std::optional<int64_t>(v);
  }

  Status Expect(char c, std::string_view what) {
    SkipSpace();
    if (Peek() != c) return Fail(pos_, what);
    ++pos_;
    return Status::Ok();
  }

  Status ParseBracket(Segment* seg, int depth) {
    size_t open = pos_;
    ++pos_;  // '['
    SkipSpace();
    char c = Peek();
    if (c == '*') {
      ++pos_;
      seg->kind = SegKind::Wildcard;
      return Expect(']', "expected ']' after '[*'");
    }
    if (c == '\'' || c == '"') {
      std::vector<std::string> names;
      while (true) {
        std::string name;
        RETURN_IF_ERROR(ParseQuoted(&name));
        names.push_back(std::move(name));
        SkipSpace();
        if (Peek() != ',') break;
        ++pos_;
        SkipSpace();
        if (Peek() != '\'' && Peek() != '"') return Fail(pos_, "expected a quoted name after ','");
      }
      RETURN_IF_ERROR(Expect(']', "expected ',' or ']' after a quoted name"));
      if (names.size() == 1) {
        seg->kind = SegKind::Name;
        seg->name = std::move(names[0]);
      } else {
        seg->kind = SegKind::NameUnion;
        seg->names = std::move(names);
      }
      return Status::Ok();
    }
    if (c == '?') {
      ++pos_;
      if (depth >= kMaxNesting) return Fail(pos_, "filters nested too deeply");
      ASSIGN_OR_RETURN(auto expr, ParseOr(depth + 1));
      seg->kind = SegKind::Filter;
      seg->filter = std::shared_ptr<const Expr>(std::move(expr));
      return Expect(']', "expected ']' to close the filter");
    }
    if (IsDigit(c) || c == '-' || c == ':') {
      ASSIGN_OR_RETURN(std::optional<int64_t> first, ParseInt());
      SkipSpace();
      if (Peek() == ':') {
        ++pos_;
        seg->kind = SegKind::Slice;
        seg->start = first;
        SkipSpace();
        ASSIGN_OR_RETURN(seg->stop, ParseInt());
        SkipSpace();
        if (Peek() == ':') {
          ++pos_;
          SkipSpace();
          size_t step_pos = pos_;
          ASSIGN_OR_RETURN(std::optional<int64_t> step, ParseInt());
          if (step.has_value()) {
            if (*step == 0) return Fail(step_pos, "slice step must not be 0");
            seg->step = *step;
          }
        }
        return Expect(']', "expected ']' to close the slice");
      }
      if (!first.has_value()) return Fail(pos_, "expected an index");
      if (Peek() == ',') {
        seg->kind = SegKind::IndexUnion;
        seg->indices.push_back(*first);
        while (Peek() == ',') {
          ++pos_;
          SkipSpace();
          ASSIGN_OR_RETURN(std::optional<int64_t> next, ParseInt());
          if (!next.has_value()) return Fail(pos_, "expected an index after ','");
          seg->indices.push_back(*next);
          SkipSpace();
        }
        return Expect(']', "expected ',' or ']' after an index");
      }
      seg->kind = SegKind::Index;
      seg->index = *first;
      return Expect(']', "expected ']', ',' or ':' after an index");
    }
    if (AtEnd()) return Fail(open, "unclosed '['");
    return Fail(pos_, "expected a quoted name, an index, a slice, '*' or a filter '?(...)'");
  }

  // Filter expressions: || binds loosest, then &&, then !, parentheses and comparisons.
  Result<std::unique_ptr<Expr>> ParseOr(int depth) {
    ASSIGN_OR_RETURN(auto lhs, ParseAnd(depth));
    while (true) {
      SkipSpace();
      if (Peek() != '|' || Peek(1) != '|') return lhs;
      pos_ += 2;
      ASSIGN_OR_RETURN(auto rhs, ParseAnd(depth));
      auto e = std::make_unique<Expr>();
      e->kind = ExprKind::Or;
      e->lhs = std::move(lhs);
      e->rhs = std::move(rhs);
      lhs = std::move(e);
    }
  }

  Result<std::unique_ptr<Expr>> ParseAnd(int depth) {
    ASSIGN_OR_RETURN(auto lhs, ParseUnary(depth));
    while (true) {
      SkipSpace();
      if (Peek() != '&' || Peek(1) != '&') return lhs;
      pos_ += 2;
      ASSIGN_OR_RETURN(auto rhs, ParseUnary(depth));
      auto e = std::make_unique<Expr>();
      e->kind = ExprKind::And;
      e->lhs = std::move(lhs);
      e->rhs = std::move(rhs);
      lhs = std::move(e);
    }
  }

  Result<std::unique_ptr<Expr>> ParseUnary(int depth) {
    SkipSpace();
    if (depth >= kMaxNesting) return Fail(pos_, "filter expression nested too deeply");
    if (Peek() == '!' && Peek(1) != '=') {
      ++pos_;
      ASSIGN_OR_RETURN(auto inner, ParseUnary(depth + 1));
      auto e = std::make_unique<Expr>();
      e->kind = ExprKind::Not;
      e->lhs = std::move(inner);
      return e;
    }
    if (Peek() == '(') {
      ++pos_;
      ASSIGN_OR_RETURN(auto inner, ParseOr(depth + 1));
      RETURN_IF_ERROR(Expect(')', "expected ')' in the filter expression"));
      return inner;
    }
    return ParseComparison(depth);
  }

  bool TakeWord(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    char after = Peek(word.size());
    if (IsVarChar(after)) return false;
    pos_ += word.size();
    return true;
  }

  Result<std::optional<CmpOp>> ParseOp() {
    SkipSpace();
    char c = Peek();
    char d = Peek(1);
    if (c == '=' && d == '=') return (pos_ += 2, std::optional<CmpOp>(CmpOp::Eq));
    if (c == '!' && d == '=') return (pos_ += 2, std::optional<CmpOp>(CmpOp::Ne));
    if (c == '<' && d == '=') return (pos_ += 2, std::optional<CmpOp>(CmpOp::Le));
    if (c == '>' && d == '=') return (pos_ += 2, std::optional<CmpOp>(CmpOp::Ge));
    if (c == '<') return (pos_ += 1, std::optional<CmpOp>(CmpOp::Lt));
    if (c == '>') return (pos_ += 1, std::optional<CmpOp>(CmpOp::Gt));
    if (c == '=' && d == '~') return Fail(pos_, "regular expressions in filters are not supported");
    if (c == '=') return Fail(pos_, "use '==' to compare");
    static constexpr std::pair<std::string_view, CmpOp> kWords[] = {
        {"in", CmpOp::In},       {"nin", CmpOp::Nin},       {"subsetof", CmpOp::SubsetOf},
        {"anyof", CmpOp::AnyOf}, {"noneof", CmpOp::NoneOf}, {"size", CmpOp::Size},
        {"empty", CmpOp::Empty},
    };
    for (const auto& [word, op] : kWords) {
      if (TakeWord(word)) return std::optional<CmpOp>(op);
    }
    return std::optional<CmpOp>();
  }

  Result<std::unique_ptr<Expr>> ParseComparison(int depth) {
    auto e = std::make_unique<Expr>();
    RETURN_IF_ERROR(ParseOperand(&e->a, depth));
    ASSIGN_OR_RETURN(std::optional<CmpOp> op, ParseOp());
    if (!op.has_value()) {
      e->kind = ExprKind::Exists;
      return e;
    }
    e->kind = ExprKind::Compare;
    e->op = *op;
    RETURN_IF_ERROR(ParseOperand(&e->b, depth));
    return e;
  }

  Status ParseNumber(Value* out) {
    size_t start = pos_;
    if (Peek() == '-') ++pos_;
    if (!IsDigit(Peek())) return Fail(pos_, "expected a digit");
    bool is_double = false;
    while (IsDigit(Peek())) ++pos_;
    if (Peek() == '.') {
      is_double = true;
      ++pos_;
      if (!IsDigit(Peek())) return Fail(pos_, "expected a digit after '.'");
      while (IsDigit(Peek())) ++pos_;
    }
    if (Peek() == 'e' || Peek() == 'E') {
      is_double = true;
      ++pos_;
      if (Peek() == '+' || Peek() == '-') ++pos_;
      if (!IsDigit(Peek())) return Fail(pos_, "expected a digit in the exponent");
      while (IsDigit(Peek())) ++pos_;
    }
    const char* first = text_.data() + start;
    const char* last = text_.data() + pos_;
    if (!is_double) {
      int64_t v = 0;
      auto [ptr, ec] = std::from_chars(first, last, v);
      if (ec == std::errc() && ptr == last) {
        *out = Value::Int(v);
        return Status::Ok();
      }
    }
    double d = 0;
    auto [ptr, ec] = std::from_chars(first, last, d);
    if (ec != std::errc() || ptr != last || !std::isfinite(d)) {
      return Fail(start, "number out of range");
    }
    *out = Value::Double(d);
    return Status::Ok();
  }

  Status ParseLiteral(Value* out) {
    SkipSpace();
    char c = Peek();
    if (c == '\'' || c == '"') {
      std::string s;
      RETURN_IF_ERROR(ParseQuoted(&s));
      *out = Value::String(std::move(s));
      return Status::Ok();
    }
    if (IsDigit(c) || c == '-') return ParseNumber(out);
    if (TakeWord("true")) {
      *out = Value::Bool(true);
      return Status::Ok();
    }
    if (TakeWord("false")) {
      *out = Value::Bool(false);
      return Status::Ok();
    }
    if (TakeWord("null")) {
      *out = Value();
      return Status::Ok();
    }
    if (c == '[') {
      ++pos_;
      std::vector<Value> items;
      SkipSpace();
      if (Peek() == ']') {
        ++pos_;
        *out = Value::EmptyArray();
        return Status::Ok();
      }
      while (true) {
        Value item;
        SkipSpace();
        if (Peek() == '[') return Fail(pos_, "nested arrays are not supported in filter literals");
        RETURN_IF_ERROR(ParseLiteral(&item));
        items.push_back(std::move(item));
        SkipSpace();
        if (Peek() == ',') {
          ++pos_;
          continue;
        }
        RETURN_IF_ERROR(Expect(']', "expected ',' or ']' in the array literal"));
        break;
      }
      *out = Value::Array(std::move(items));
      return Status::Ok();
    }
    return Fail(pos_, "expected '@', '$', a string, a number, true, false, null or an array");
  }

  Status ParseOperand(Operand* out, int depth) {
    SkipSpace();
    char c = Peek();
    if (c == '@' || (c == '$' && Peek(1) != '$' && !IsVarStart(Peek(1)))) {
      ++pos_;
      out->kind = c == '@' ? OperandKind::Current : OperandKind::Root;
      ASSIGN_OR_RETURN(out->chain, ParseChain(/*in_filter=*/true, depth));
      return Status::Ok();
    }
    if (c == '$') return Fail(pos_, "only '$' and '@' paths may appear in filters");
    out->kind = OperandKind::Literal;
    return ParseLiteral(&out->literal);
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// ---------------------------------------------------------------------------------------------
// Evaluation.

// Resolves a plain Name/Index segment against a node; nullptr when it does not apply.
const Value* Step(const Value& node, const Segment& seg) {
  if (seg.kind == SegKind::Name) return node.find(seg.name);
  if (!node.is_array()) return nullptr;
  int64_t i = seg.index;
  if (i < 0) i += static_cast<int64_t>(node.size());
  if (i < 0) return nullptr;
  return node.at(static_cast<size_t>(i));
}

// The object of the names present in `node` (the Jayway ['a','b'] leaf merge).
Value MergeNames(const Value& node, const std::vector<std::string>& names) {
  ObjectBuilder b;
  for (const std::string& name : names) {
    if (const Value* v = node.find(name)) b.Set(name, *v);
  }
  return std::move(b).Build();
}

std::optional<Value> LengthOf(const Value& v) {
  switch (v.type()) {
    case Type::Array:
    case Type::Object:
      return Value::Int(static_cast<int64_t>(v.size()));
    case Type::String:
      return Value::Int(static_cast<int64_t>(v.as_string().size()));
    case Type::Null:
    case Type::Bool:
    case Type::Int:
    case Type::Double:
      return std::nullopt;
  }
  return std::nullopt;
}

class Evaluator {
 public:
  explicit Evaluator(const Value& root) : root_(root) {}

  // True when the evaluation stopped early because it ran out of budget.
  bool exhausted() const { return budget_ == 0; }

  // Evaluates a chain from `start`: the node (definite chains) or an array of matches.
  // nullopt when a definite chain finds nothing. `*fail_at`, when given, receives the index of
  // the segment where a definite chain stopped.
  std::optional<Value> Run(const Chain& chain, const Value& start, size_t* fail_at) const {
    const auto& segs = chain.segments;
    size_t n = segs.size();
    bool has_length = n > 0 && segs.back().kind == SegKind::Length;
    size_t body = has_length ? n - 1 : n;
    if (chain.definite_prefix) {
      const Value* cur = &start;
      for (size_t i = 0; i < body; ++i) {
        const Segment& seg = segs[i];
        if (seg.kind == SegKind::NameUnion) {
          if (!cur->is_object()) {
            if (fail_at != nullptr) *fail_at = i;
            return std::nullopt;
          }
          Value merged = MergeNames(*cur, seg.names);
          if (has_length) return LengthOf(merged);
          return merged;
        }
        cur = Step(*cur, seg);
        if (cur == nullptr) {
          if (fail_at != nullptr) *fail_at = i;
          return std::nullopt;
        }
      }
      if (has_length) {
        std::optional<Value> len = LengthOf(*cur);
        if (!len.has_value() && fail_at != nullptr) *fail_at = body;
        return len;
      }
      return *cur;
    }
    std::vector<Value> out;
    Collect(start, segs.data(), segs.data() + body, &out);
    if (has_length) return Value::Int(static_cast<int64_t>(out.size()));
    return Value::Array(std::move(out));
  }

 private:
  // Spends one unit of budget; false once it is gone.
  bool Spend() const {
    if (budget_ == 0) return false;
    --budget_;
    return true;
  }

  void Collect(const Value& node, const Segment* seg, const Segment* end,
               std::vector<Value>* out) const {
    if (!Spend()) return;
    if (seg == end) {
      out->push_back(node);
      return;
    }
    if (seg->descendant) {
      Descend(node, seg, end, out);
    } else {
      Select(node, seg, end, /*descendant=*/false, out);
    }
  }

  // Applies `seg` to `node` and to every node below it, in document order (pre-order).
  void Descend(const Value& node, const Segment* seg, const Segment* end,
               std::vector<Value>* out) const {
    if (!Spend()) return;
    Select(node, seg, end, /*descendant=*/true, out);
    if (node.is_array()) {
      for (const Value& item : node.items()) Descend(item, seg, end, out);
    } else if (node.is_object()) {
      for (const Member& m : node.members()) Descend(m.second, seg, end, out);
    }
  }

  void Select(const Value& node, const Segment* seg, const Segment* end, bool descendant,
              std::vector<Value>* out) const {
    const Segment* next = seg + 1;
    switch (seg->kind) {
      case SegKind::Name:
      case SegKind::Index:
        if (const Value* child = Step(node, *seg)) Collect(*child, next, end, out);
        return;
      case SegKind::Wildcard:
        if (node.is_array()) {
          for (const Value& item : node.items()) Collect(item, next, end, out);
        } else if (node.is_object()) {
          for (const Member& m : node.members()) Collect(m.second, next, end, out);
        }
        return;
      case SegKind::NameUnion:
        if (!node.is_object()) return;
        if (next == end) {
          out->push_back(MergeNames(node, seg->names));
          return;
        }
        for (const std::string& name : seg->names) {
          if (const Value* child = node.find(name)) Collect(*child, next, end, out);
        }
        return;
      case SegKind::IndexUnion:
        if (!node.is_array()) return;
        for (int64_t index : seg->indices) {
          int64_t i = index < 0 ? index + static_cast<int64_t>(node.size()) : index;
          if (i < 0) continue;
          if (const Value* child = node.at(static_cast<size_t>(i))) Collect(*child, next, end, out);
        }
        return;
      case SegKind::Slice:
        if (node.is_array()) SelectSlice(node, *seg, next, end, out);
        return;
      case SegKind::Filter:
        if (node.is_array()) {
          for (const Value& item : node.items()) {
            if (Test(*seg->filter, item)) Collect(item, next, end, out);
          }
        } else if (node.is_object()) {
          if (descendant) {
            // Below "..", a filter selects the matching children of each node visited.
            for (const Member& m : node.members()) {
              if (Test(*seg->filter, m.second)) Collect(m.second, next, end, out);
            }
          } else if (Test(*seg->filter, node)) {
            // Jayway applies a filter on an object to the object itself.
            Collect(node, next, end, out);
          }
        }
        return;
      case SegKind::Length:
        return;  // only ever last, handled by Run
    }
  }

  void SelectSlice(const Value& node, const Segment& seg, const Segment* next, const Segment* end,
                   std::vector<Value>* out) const {
    const auto& items = node.items();
    int64_t len = static_cast<int64_t>(items.size());
    auto norm = [len](int64_t v) { return v < 0 ? v + len : v; };
    if (seg.step > 0) {
      int64_t lo = seg.start.has_value() ? std::clamp<int64_t>(norm(*seg.start), 0, len) : 0;
      int64_t hi = seg.stop.has_value() ? std::clamp<int64_t>(norm(*seg.stop), 0, len) : len;
      for (int64_t i = lo; i < hi; i += seg.step) {
        Collect(items[static_cast<size_t>(i)], next, end, out);
      }
    } else {
      int64_t hi =
          seg.start.has_value() ? std::clamp<int64_t>(norm(*seg.start), -1, len - 1) : len - 1;
      int64_t lo = seg.stop.has_value() ? std::clamp<int64_t>(norm(*seg.stop), -1, len - 1) : -1;
      for (int64_t i = hi; i > lo; i += seg.step) {
        Collect(items[static_cast<size_t>(i)], next, end, out);
      }
    }
  }

  std::optional<Value> Get(const Operand& o, const Value& current) const {
    switch (o.kind) {
      case OperandKind::Literal:
        return o.literal;
      case OperandKind::Current:
        return Run(o.chain, current, nullptr);
      case OperandKind::Root:
        return Run(o.chain, root_, nullptr);
    }
    return std::nullopt;
  }

  static bool Exists(const Operand& o, const std::optional<Value>& v) {
    if (!v.has_value()) return false;
    if (o.kind == OperandKind::Literal) return v->is_bool() && v->as_bool();
    if (!o.chain.definite) return v->size() > 0;
    return true;
  }

  // Jayway ordering: numbers with numbers, strings with strings; anything else is unordered.
  static std::optional<int> Order(const Value& a, const Value& b) {
    if (a.is_int() && b.is_int()) {
      return a.as_int() < b.as_int() ? -1 : a.as_int() > b.as_int() ? 1 : 0;
    }
    if (a.is_number() && b.is_number()) {
      double x = a.as_double();
      double y = b.as_double();
      if (x < y) return -1;
      if (x > y) return 1;
      if (x == y) return 0;
      return std::nullopt;
    }
    if (a.is_string() && b.is_string()) {
      int c = a.as_string().compare(b.as_string());
      return c < 0 ? -1 : c > 0 ? 1 : 0;
    }
    return std::nullopt;
  }

  static bool Contains(const Value& array, const Value& v) {
    if (!array.is_array()) return false;
    for (const Value& item : array.items()) {
      if (item.Equals(v)) return true;
    }
    return false;
  }

  static bool Compare(CmpOp op, const std::optional<Value>& a, const std::optional<Value>& b) {
    if (op == CmpOp::Ne) return !Compare(CmpOp::Eq, a, b);
    if (op == CmpOp::Nin) return !Compare(CmpOp::In, a, b);
    if (!a.has_value() || !b.has_value()) return false;
    switch (op) {
      case CmpOp::Eq:
        return a->Equals(*b);
      case CmpOp::Lt: {
        auto o = Order(*a, *b);
        return o.has_value() && *o < 0;
      }
      case CmpOp::Le: {
        auto o = Order(*a, *b);
        return o.has_value() && *o <= 0;
      }
      case CmpOp::Gt: {
        auto o = Order(*a, *b);
        return o.has_value() && *o > 0;
      }
      case CmpOp::Ge: {
        auto o = Order(*a, *b);
        return o.has_value() && *o >= 0;
      }
      case CmpOp::In:
        return Contains(*b, *a);
      case CmpOp::SubsetOf:
      case CmpOp::AnyOf:
      case CmpOp::NoneOf: {
        if (!a->is_array() || !b->is_array()) return false;
        bool any = false;
        bool all = true;
        for (const Value& item : a->items()) {
          bool in = Contains(*b, item);
          any = any || in;
          all = all && in;
        }
        if (op == CmpOp::SubsetOf) return all;
        if (op == CmpOp::AnyOf) return any;
        return !any;
      }
      case CmpOp::Size: {
        if (!b->is_number() || !(a->is_array() || a->is_string())) return false;
        size_t size = a->is_array() ? a->size() : a->as_string().size();
        return b->as_double() == static_cast<double>(size);
      }
      case CmpOp::Empty: {
        if (!b->is_bool() || !(a->is_array() || a->is_string())) return false;
        bool empty = a->is_array() ? a->size() == 0 : a->as_string().empty();
        return empty == b->as_bool();
      }
      case CmpOp::Ne:
      case CmpOp::Nin:
        return false;  // handled above
    }
    return false;
  }

  bool Test(const Expr& e, const Value& current) const {
    if (!Spend()) return false;
    switch (e.kind) {
      case ExprKind::Or:
        return Test(*e.lhs, current) || Test(*e.rhs, current);
      case ExprKind::And:
        return Test(*e.lhs, current) && Test(*e.rhs, current);
      case ExprKind::Not:
        return !Test(*e.lhs, current);
      case ExprKind::Exists:
        return Exists(e.a, Get(e.a, current));
      case ExprKind::Compare:
        return Compare(e.op, Get(e.a, current), Get(e.b, current));
    }
    return false;
  }

  const Value& root_;
  mutable uint64_t budget_ = kEvaluationBudget;
};

}  // namespace

struct Path::Impl {
  bool names_only = false;  // every segment a plain name (".a", "['a']"): a definite key walk
  std::string text;
  PathRoot root = PathRoot::Input;
  std::string variable;
  Chain chain;
  bool reference = false;
};

Path::~Path() = default;

Result<Path> Path::Compile(std::string_view text) {
  Compiler c(text);
  if (text.empty() || text[0] != '$') return c.Fail(0, "a path must start with '$'");
  auto impl = std::make_shared<Impl>();
  impl->text.assign(text);
  size_t pos = 1;
  if (pos < text.size() && text[pos] == '$') {
    impl->root = PathRoot::Context;
    ++pos;
  } else if (pos < text.size() && IsVarStart(text[pos])) {
    impl->root = PathRoot::Variable;
    size_t start = pos;
    while (pos < text.size() && IsVarChar(text[pos])) ++pos;
    impl->variable.assign(text.substr(start, pos - start));
  }
  c.set_pos(pos);
  ASSIGN_OR_RETURN(impl->chain, c.ParseChain(/*in_filter=*/false, 0));
  bool reference = true;
  for (const Segment& s : impl->chain.segments) {
    if (s.descendant || !(s.kind == SegKind::Name || (s.kind == SegKind::Index && s.index >= 0))) {
      reference = false;
    }
  }
  impl->reference = reference;
  impl->names_only = true;
  for (const Segment& seg : impl->chain.segments) {
    if (seg.kind != SegKind::Name || seg.descendant) impl->names_only = false;
  }
  return Path(std::move(impl));
}

const std::string& Path::text() const { return impl_->text; }
PathRoot Path::root() const { return impl_->root; }
const std::string& Path::variable_name() const { return impl_->variable; }
bool Path::is_definite() const { return impl_->chain.definite; }
bool Path::is_reference() const { return impl_->reference; }
bool Path::is_root_only() const { return impl_->chain.segments.empty(); }

const std::string* Path::single_name() const {
  const std::vector<Segment>& segs = impl_->chain.segments;
  if (root() != PathRoot::Input || !impl_->names_only || segs.size() != 1) return nullptr;
  return &segs[0].name;
}

Result<Value> Path::Evaluate(const Value& doc) const {
  if (impl_->names_only) {
    // Fast path for "$.a.b": follow the keys (the common case in templates and paths).
    const Value* node = &doc;
    for (const Segment& seg : impl_->chain.segments) {
      node = node->find(seg.name);
      if (node == nullptr) break;
    }
    if (node != nullptr) return *node;
  }
  Evaluator eval(doc);
  size_t fail_at = 0;
  std::optional<Value> v = eval.Run(impl_->chain, doc, &fail_at);
  if (eval.exhausted()) {
    return OutOfRange("JSONPath '" + impl_->text + "' needs too much work to evaluate (more than " +
                      std::to_string(kEvaluationBudget) + " node visits)");
  }
  if (v.has_value()) return std::move(*v);
  const Segment& seg = impl_->chain.segments[fail_at];
  std::string m = "JSONPath '";
  m += impl_->text;
  m += "' matches nothing: '";
  m.append(std::string_view(impl_->text).substr(0, seg.begin));
  m += "' has no ";
  m += seg.kind == SegKind::Length ? "length"
                                   : "'" + impl_->text.substr(seg.begin, seg.end - seg.begin) + "'";
  return NotFound(std::move(m));
}

namespace {

Status AssignError(const std::string& text, const Segment& seg, const Value& node,
                   std::string_view why) {
  std::string m = "cannot set JSONPath '";
  m += text;
  m += "': '";
  m.append(std::string_view(text).substr(0, seg.begin));
  m += "' is ";
  m += node.is_null() ? "null" : std::string(TypeName(node.type()));
  m += ", ";
  m.append(why);
  return InvalidArgument(std::move(m));
}

Result<Value> AssignAt(const std::string& text, const std::vector<Segment>& segs, size_t i,
                       const Value& node, Value v) {
  if (i == segs.size()) return v;
  const Segment& seg = segs[i];
  if (seg.kind == SegKind::Name) {
    if (!node.is_object()) return AssignError(text, seg, node, "not an object");
    const Value* child = node.find(seg.name);
    Value replaced;
    if (child != nullptr) {
      ASSIGN_OR_RETURN(replaced, AssignAt(text, segs, i + 1, *child, std::move(v)));
    } else if (i + 1 == segs.size()) {
      replaced = std::move(v);
    } else if (segs[i + 1].kind == SegKind::Name) {
      ASSIGN_OR_RETURN(replaced, AssignAt(text, segs, i + 1, Value::EmptyObject(), std::move(v)));
    } else {
      std::string m = "cannot set JSONPath '" + text + "': '" + text.substr(0, segs[i + 1].begin) +
                      "' does not exist and an array cannot be created at an index";
      return InvalidArgument(std::move(m));
    }
    ObjectBuilder b(node);
    b.Set(seg.name, std::move(replaced));
    return std::move(b).Build();
  }
  // Index (reference paths hold only names and non-negative indices).
  if (!node.is_array()) return AssignError(text, seg, node, "not an array");
  size_t index = static_cast<size_t>(seg.index);
  if (index >= node.size()) {
    return AssignError(text, seg, node,
                       "an array of " + std::to_string(node.size()) + " elements: index " +
                           std::to_string(index) + " is out of range");
  }
  ASSIGN_OR_RETURN(Value replaced, AssignAt(text, segs, i + 1, node.items()[index], std::move(v)));
  std::vector<Value> items = node.items();
  items[index] = std::move(replaced);
  return Value::Array(std::move(items));
}

}  // namespace

namespace {

// Assign's fast path for paths of names only ("$.a.b"), the common ResultPath: one new object per
// level (WithMember, which also keeps the serialised size known). `node` is null where the path
// goes past what exists (objects are created from there). Returns false, with `v` untouched, when
// a value along the path exists and is not an object (the general path then says why).
bool AssignNames(const std::vector<Segment>& segs, size_t i, const Value* node, Value&& v,
                 Value* out) {
  if (node != nullptr && !node->is_object()) return false;
  const std::string& key = segs[i].name;
  Value replaced;
  if (i + 1 < segs.size()) {
    const Value* child = node != nullptr ? node->find(key) : nullptr;
    if (!AssignNames(segs, i + 1, child, std::move(v), &replaced)) return false;
  } else {
    replaced = std::move(v);
  }
  *out = WithMember(node != nullptr ? *node : Value(), key, std::move(replaced));
  return true;
}

}  // namespace

Result<Value> Path::Assign(const Value& doc, Value v) const {
  if (!impl_->reference) {
    return InvalidArgument("JSONPath '" + impl_->text +
                           "' is not a reference path (only names and indices may be set)");
  }
  const std::vector<Segment>& segs = impl_->chain.segments;
  if (impl_->names_only && !segs.empty()) {
    Value out;
    if (AssignNames(segs, 0, &doc, std::move(v), &out)) return out;
  }
  return AssignAt(impl_->text, segs, 0, doc, std::move(v));
}

}  // namespace stepfn::json
