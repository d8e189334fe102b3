#include "expr/choice_rule.h"

#include <cctype>
#include <cmath>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "expr/timestamp.h"
#include "json/json_path.h"

namespace stepfn::expr {

namespace {

// What kind of constant (or path value) an operator compares with.
enum class OperandKind : uint8_t { None, String, Pattern, Number, Boolean, Timestamp };

struct OpInfo {
  std::string_view name;
  ChoiceOp op;
  OperandKind kind;
  bool has_path_form;
};

constexpr OpInfo kOps[] = {
    {"And", ChoiceOp::And, OperandKind::None, false},
    {"Or", ChoiceOp::Or, OperandKind::None, false},
    {"Not", ChoiceOp::Not, OperandKind::None, false},
    {"StringEquals", ChoiceOp::StringEquals, OperandKind::String, true},
    {"StringLessThan", ChoiceOp::StringLessThan, OperandKind::String, true},
    {"StringGreaterThan", ChoiceOp::StringGreaterThan, OperandKind::String, true},
    {"StringLessThanEquals", ChoiceOp::StringLessThanEquals, OperandKind::String, true},
    {"StringGreaterThanEquals", ChoiceOp::StringGreaterThanEquals, OperandKind::String, true},
    {"StringMatches", ChoiceOp::StringMatches, OperandKind::Pattern, false},
    {"NumericEquals", ChoiceOp::NumericEquals, OperandKind::Number, true},
    {"NumericLessThan", ChoiceOp::NumericLessThan, OperandKind::Number, true},
    {"NumericGreaterThan", ChoiceOp::NumericGreaterThan, OperandKind::Number, true},
    {"NumericLessThanEquals", ChoiceOp::NumericLessThanEquals, OperandKind::Number, true},
    {"NumericGreaterThanEquals", ChoiceOp::NumericGreaterThanEquals, OperandKind::Number, true},
    {"BooleanEquals", ChoiceOp::BooleanEquals, OperandKind::Boolean, true},
    {"TimestampEquals", ChoiceOp::TimestampEquals, OperandKind::Timestamp, true},
    {"TimestampLessThan", ChoiceOp::TimestampLessThan, OperandKind::Timestamp, true},
    {"TimestampGreaterThan", ChoiceOp::TimestampGreaterThan, OperandKind::Timestamp, true},
    {"TimestampLessThanEquals", ChoiceOp::TimestampLessThanEquals, OperandKind::Timestamp, true},
    {"TimestampGreaterThanEquals", ChoiceOp::TimestampGreaterThanEquals, OperandKind::Timestamp,
     true},
    {"IsNull", ChoiceOp::IsNull, OperandKind::Boolean, false},
    {"IsPresent", ChoiceOp::IsPresent, OperandKind::Boolean, false},
    {"IsNumeric", ChoiceOp::IsNumeric, OperandKind::Boolean, false},
    {"IsString", ChoiceOp::IsString, OperandKind::Boolean, false},
    {"IsBoolean", ChoiceOp::IsBoolean, OperandKind::Boolean, false},
    {"IsTimestamp", ChoiceOp::IsTimestamp, OperandKind::Boolean, false},
};

// Finds the operator named `key` ("NumericEquals" or "NumericEqualsPath"); *is_path tells which.
const OpInfo* FindOp(std::string_view key, bool* is_path) {
  constexpr std::string_view kPath = "Path";
  for (const OpInfo& info : kOps) {
    if (key == info.name) {
      *is_path = false;
      return &info;
    }
    if (info.has_path_form && key.size() == info.name.size() + kPath.size() &&
        key.substr(0, info.name.size()) == info.name && key.substr(info.name.size()) == kPath) {
      *is_path = true;
      return &info;
    }
  }
  return nullptr;
}

// A compiled path plus, for the common `$.a.b` / `$$.a.b` shape (names of [A-Za-z0-9_] only),
// the keys to follow directly, which avoids a general JSONPath evaluation per comparison.
struct RulePath {
  json::Path path;
  bool simple = false;
  std::vector<std::string> keys;
};

RulePath MakeRulePath(json::Path path) {
  RulePath out{std::move(path), false, {}};
  if (out.path.root() == json::PathRoot::Variable) {
    return out;
  }
  std::string_view text = out.path.text();
  text.remove_prefix(text.substr(0, 2) == "$$" ? 2 : 1);
  while (!text.empty()) {
    if (text[0] != '.') {
      out.keys.clear();
      return out;
    }
    text.remove_prefix(1);
    size_t length = 0;
    while (length < text.size() &&
           (std::isalnum(static_cast<unsigned char>(text[length])) || text[length] == '_')) {
      ++length;
    }
    if (length == 0) {
      out.keys.clear();
      return out;
    }
    out.keys.emplace_back(text.substr(0, length));
    text.remove_prefix(length);
  }
  out.simple = true;
  return out;
}

// One element of a compiled StringMatches pattern.
struct PatternChar {
  char c;
  bool star;
};

}  // namespace

struct ChoiceRule::Node {
  ChoiceOp op = ChoiceOp::And;
  OperandKind kind = OperandKind::None;
  bool operand_is_path = false;
  bool flag = false;  // BooleanEquals constant; Is* expected value
  bool number_is_int = false;
  int64_t number_int = 0;
  double number_double = 0;
  Timestamp timestamp;
  std::string text;                  // String* constant
  std::vector<PatternChar> pattern;  // StringMatches
  std::optional<RulePath> variable;  // comparisons
  std::optional<RulePath> operand;   // *Path forms
  std::vector<Node> children;        // And/Or/Not
};

std::string_view ChoiceOpName(ChoiceOp op) {
  for (const OpInfo& info : kOps) {
    if (info.op == op) {
      return info.name;
    }
  }
  return "?";
}

namespace {

using Node = ChoiceRule::Node;

Status SchemaError(std::string_view what, std::string_view location) {
  std::string message = "SCHEMA_VALIDATION_FAILED: ";
  message.append(what);
  message.append(" at ");
  message.append(location.empty() ? "/" : location);
  return InvalidArgument(std::move(message));
}

std::string Quoted(std::string_view field) { return "'" + std::string(field) + "'"; }

Result<json::Path> CompilePath(const json::Value& value, std::string_view field,
                               std::string_view location) {
  if (value.is_string()) {
    Result<json::Path> path = json::Path::Compile(value.as_string());
    if (path.ok()) {
      return path;
    }
  }
  return SchemaError("The value for the field " + Quoted(field) + " must be a valid JSONPath",
                     location);
}

std::vector<PatternChar> CompilePattern(std::string_view text) {
  std::vector<PatternChar> out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size(); ++pos) {
    const char c = text[pos];
    if (c == '\\' && pos + 1 < text.size() && (text[pos + 1] == '*' || text[pos + 1] == '\\')) {
      out.push_back({text[pos + 1], false});
      ++pos;
    } else {
      out.push_back({c, c == '*'});
    }
  }
  return out;
}

Status CompileNode(const json::Value& rule, ChoiceRule::Level level, std::string_view location,
                   Node* node, std::string* next);

// Compiles the constant (or path) operand `value` of comparison `info` into `node`.
Status CompileOperand(const OpInfo& info, bool is_path, const json::Value& value,
                      std::string_view field, std::string_view location, Node* node) {
  node->op = info.op;
  node->kind = info.kind;
  node->operand_is_path = is_path;
  const std::string field_location = std::string(location) + "/" + std::string(field);
  if (is_path) {
    ASSIGN_OR_RETURN(json::Path path, CompilePath(value, field, location));
    node->operand = MakeRulePath(std::move(path));
    return Status::Ok();
  }
  const std::string prefix = "The value for the field " + Quoted(field) + " must be ";
  switch (info.kind) {
    case OperandKind::None:
      break;
    case OperandKind::String:
      if (!value.is_string()) {
        return SchemaError(prefix + "a string", location);
      }
      node->text = value.as_string();
      break;
    case OperandKind::Pattern:
      if (!value.is_string()) {
        return SchemaError(prefix + "a string", location);
      }
      node->pattern = CompilePattern(value.as_string());
      break;
    case OperandKind::Number:
      if (!value.is_number()) {
        return SchemaError(prefix + "a number", location);
      }
      node->number_is_int = value.is_int();
      node->number_int = value.is_int() ? value.as_int() : 0;
      node->number_double = value.as_double();
      break;
    case OperandKind::Boolean:
      if (!value.is_bool()) {
        return SchemaError(prefix + "a boolean", location);
      }
      node->flag = value.as_bool();
      break;
    case OperandKind::Timestamp: {
      const std::optional<Timestamp> ts =
          value.is_string() ? TryParseTimestamp(value.as_string()) : std::nullopt;
      if (!ts.has_value()) {
        return SchemaError("String does not match RFC3339 timestamp", field_location);
      }
      node->timestamp = *ts;
      break;
    }
  }
  return Status::Ok();
}

Status CompileComposite(const OpInfo& info, const json::Value& value, std::string_view field,
                        std::string_view location, Node* node) {
  node->op = info.op;
  const std::string field_location = std::string(location) + "/" + std::string(field);
  if (info.op == ChoiceOp::Not) {
    if (!value.is_object()) {
      return SchemaError("The value for the field 'Not' must be an object", location);
    }
    node->children.resize(1);
    return CompileNode(value, ChoiceRule::Level::Nested, field_location, &node->children[0],
                       nullptr);
  }
  if (!value.is_array()) {
    return SchemaError("The value for the field " + Quoted(field) + " must be an array", location);
  }
  if (value.size() == 0) {
    return SchemaError("Value cannot be empty", field_location);
  }
  node->children.resize(value.size());
  for (size_t index = 0; index < value.size(); ++index) {
    const json::Value& child = value.items()[index];
    const std::string child_location = field_location + "/" + std::to_string(index);
    if (!child.is_object()) {
      return SchemaError("The value must be an object", child_location);
    }
    RETURN_IF_ERROR(CompileNode(child, ChoiceRule::Level::Nested, child_location,
                                &node->children[index], nullptr));
  }
  return Status::Ok();
}

Status CompileNode(const json::Value& rule, ChoiceRule::Level level, std::string_view location,
                   Node* node, std::string* next) {
  if (!rule.is_object()) {
    return SchemaError("A choice rule must be an object", location);
  }
  const bool top = level == ChoiceRule::Level::TopLevel;
  const json::Value* variable = nullptr;
  const json::Value* next_value = nullptr;
  const OpInfo* op = nullptr;
  const json::Member* op_member = nullptr;
  bool op_is_path = false;
  for (const json::Member& member : rule.members()) {
    const std::string& key = member.first;
    bool is_path = false;
    if (key == "Variable") {
      variable = &member.second;
    } else if (key == "Next" && top) {
      next_value = &member.second;
    } else if (key == "Comment" || (top && (key == "Assign" || key == "Output"))) {
      continue;
    } else if (const OpInfo* info = FindOp(key, &is_path)) {
      if (op != nullptr) {
        return SchemaError(
            "A choice rule may have only one comparison operator or And/Or/Not, "
            "found " +
                Quoted(op_member->first) + " and " + Quoted(key),
            location);
      }
      op = info;
      op_member = &member;
      op_is_path = is_path;
    } else {
      return SchemaError("The field " + Quoted(key) + " is not supported by Step Functions",
                         location);
    }
  }
  if (top) {
    if (next_value == nullptr) {
      return SchemaError("The field 'Next' is required but was missing", location);
    }
    if (!next_value->is_string()) {
      return SchemaError("The value for the field 'Next' must be a string", location);
    }
    *next = next_value->as_string();
  }
  if (op == nullptr) {
    return SchemaError(
        "A choice rule must have one comparison operator (with 'Variable') or And/Or/Not",
        location);
  }
  if (op->kind == OperandKind::None) {
    if (variable != nullptr) {
      return SchemaError("The field 'Variable' is not supported by Step Functions", location);
    }
    return CompileComposite(*op, op_member->second, op_member->first, location, node);
  }
  if (variable == nullptr) {
    return SchemaError("The field 'Variable' is required but was missing", location);
  }
  ASSIGN_OR_RETURN(json::Path path, CompilePath(*variable, "Variable", location));
  node->variable = MakeRulePath(std::move(path));
  return CompileOperand(*op, op_is_path, op_member->second, op_member->first, location, node);
}

// ---- evaluation ----

// The outcome of evaluating a node; on Error, *failed names the path that selected nothing.
enum class Outcome : uint8_t { False, True, Error };

Outcome Of(bool b) { return b ? Outcome::True : Outcome::False; }

// The value at `path`, or nullptr when it selects nothing. `hold` keeps a computed value alive.
const json::Value* Lookup(const RulePath& path, const Scope& scope, json::Value* hold) {
  const json::Value* doc = RootDocument(path.path, scope);
  if (doc == nullptr) {
    return nullptr;
  }
  if (path.simple) {
    for (const std::string& key : path.keys) {
      doc = doc->find(key);
      if (doc == nullptr) {
        return nullptr;
      }
    }
    return doc;
  }
  Result<json::Value> value = path.path.Evaluate(*doc);
  if (!value.ok()) {
    return nullptr;
  }
  *hold = std::move(value).value();
  return hold;
}

int Sign(int64_t a, int64_t b) { return a < b ? -1 : (a > b ? 1 : 0); }

// Exact comparison of an int64 with a finite double.
int CompareIntDouble(int64_t i, double d) {
  constexpr double kTwo63 = 9223372036854775808.0;
  if (d >= kTwo63) {
    return -1;
  }
  if (d < -kTwo63) {
    return 1;
  }
  const double whole = std::trunc(d);
  const int by_whole = Sign(i, static_cast<int64_t>(whole));
  if (by_whole != 0) {
    return by_whole;
  }
  const double fraction = d - whole;
  return fraction > 0 ? -1 : (fraction < 0 ? 1 : 0);
}

int CompareDoubles(double a, double b) { return a < b ? -1 : (a > b ? 1 : 0); }

// -1/0/1 for value <=> constant of `node`. REQUIRES value.is_number().
int CompareNumberWithConstant(const json::Value& value, const Node& node) {
  if (value.is_int()) {
    return node.number_is_int ? Sign(value.as_int(), node.number_int)
                              : CompareIntDouble(value.as_int(), node.number_double);
  }
  return node.number_is_int ? -CompareIntDouble(node.number_int, value.as_double())
                            : CompareDoubles(value.as_double(), node.number_double);
}

// -1/0/1 for a <=> b. REQUIRES both numbers.
int CompareNumbers(const json::Value& a, const json::Value& b) {
  if (a.is_int() && b.is_int()) {
    return Sign(a.as_int(), b.as_int());
  }
  if (a.is_int()) {
    return CompareIntDouble(a.as_int(), b.as_double());
  }
  if (b.is_int()) {
    return -CompareIntDouble(b.as_int(), a.as_double());
  }
  return CompareDoubles(a.as_double(), b.as_double());
}

// Decodes the UTF-8 code point starting at s[pos] (lenient: bad bytes decode as themselves).
uint32_t DecodeAt(std::string_view s, size_t pos) {
  const auto byte = [&](size_t at) { return static_cast<unsigned char>(s[at]); };
  const unsigned char lead = byte(pos);
  int extra = 0;
  uint32_t cp = lead;
  if (lead >= 0xF0) {
    extra = 3;
    cp = lead & 0x07;
  } else if (lead >= 0xE0) {
    extra = 2;
    cp = lead & 0x0F;
  } else if (lead >= 0xC0) {
    extra = 1;
    cp = lead & 0x1F;
  } else {
    return lead;
  }
  if (pos + extra >= s.size()) {
    return lead;
  }
  for (int n = 1; n <= extra; ++n) {
    if ((byte(pos + n) & 0xC0) != 0x80) {
      return lead;
    }
    cp = (cp << 6) | (byte(pos + n) & 0x3F);
  }
  return cp;
}

// Java String.compareTo order (UTF-16 code units) on UTF-8 text: -1/0/1.
int CompareStrings(std::string_view a, std::string_view b) {
  const size_t common = std::min(a.size(), b.size());
  size_t pos = 0;
  while (pos < common && a[pos] == b[pos]) {
    ++pos;
  }
  if (pos == common) {
    return a.size() < b.size() ? -1 : (a.size() > b.size() ? 1 : 0);
  }
  // Back up to the start of the code point that differs (continuation bytes are 10xxxxxx).
  while (pos > 0 && (static_cast<unsigned char>(a[pos]) & 0xC0) == 0x80) {
    --pos;
  }
  const uint32_t ca = DecodeAt(a, pos);
  const uint32_t cb = DecodeAt(b, pos);
  // UTF-16 puts supplementary characters (surrogates D800..DFFF) before U+E000..U+FFFF.
  const auto unit = [](uint32_t cp) -> uint32_t {
    return cp >= 0x10000 ? 0xD800 + ((cp - 0x10000) >> 10) : cp;
  };
  const uint32_t ua = unit(ca);
  const uint32_t ub = unit(cb);
  if (ua != ub) {
    return ua < ub ? -1 : 1;
  }
  return ca < cb ? -1 : (ca > cb ? 1 : 0);
}

// Glob match with `*` (any run, also empty); no allocation.
bool MatchesPattern(std::string_view text, const std::vector<PatternChar>& pattern) {
  size_t t = 0;
  size_t p = 0;
  size_t star_p = std::string_view::npos;
  size_t star_t = 0;
  while (t < text.size()) {
    if (p < pattern.size() && pattern[p].star) {
      star_p = p++;
      star_t = t;
    } else if (p < pattern.size() && pattern[p].c == text[t]) {
      ++p;
      ++t;
    } else if (star_p != std::string_view::npos) {
      p = star_p + 1;
      t = ++star_t;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p].star) {
    ++p;
  }
  return p == pattern.size();
}

bool FromOrder(ChoiceOp op, int order) {
  switch (op) {
    case ChoiceOp::StringEquals:
    case ChoiceOp::NumericEquals:
    case ChoiceOp::TimestampEquals:
      return order == 0;
    case ChoiceOp::StringLessThan:
    case ChoiceOp::NumericLessThan:
    case ChoiceOp::TimestampLessThan:
      return order < 0;
    case ChoiceOp::StringGreaterThan:
    case ChoiceOp::NumericGreaterThan:
    case ChoiceOp::TimestampGreaterThan:
      return order > 0;
    case ChoiceOp::StringLessThanEquals:
    case ChoiceOp::NumericLessThanEquals:
    case ChoiceOp::TimestampLessThanEquals:
      return order <= 0;
    case ChoiceOp::StringGreaterThanEquals:
    case ChoiceOp::NumericGreaterThanEquals:
    case ChoiceOp::TimestampGreaterThanEquals:
      return order >= 0;
    default:
      return false;
  }
}

std::optional<Timestamp> AsTimestamp(const json::Value& value) {
  if (!value.is_string()) {
    return std::nullopt;
  }
  return TryParseTimestamp(value.as_string());
}

// The comparison of `value` against the constant or the value at the operand path.
bool Compare(const Node& node, const json::Value& value, const json::Value* operand) {
  switch (node.kind) {
    case OperandKind::None:
      return false;
    case OperandKind::String: {
      if (!value.is_string()) {
        return false;
      }
      if (operand != nullptr) {
        if (!operand->is_string()) {
          return false;
        }
        return FromOrder(node.op, CompareStrings(value.as_string(), operand->as_string()));
      }
      return FromOrder(node.op, CompareStrings(value.as_string(), node.text));
    }
    case OperandKind::Pattern:
      return value.is_string() && MatchesPattern(value.as_string(), node.pattern);
    case OperandKind::Number: {
      if (!value.is_number()) {
        return false;
      }
      if (operand != nullptr) {
        if (!operand->is_number()) {
          return false;
        }
        return FromOrder(node.op, CompareNumbers(value, *operand));
      }
      return FromOrder(node.op, CompareNumberWithConstant(value, node));
    }
    case OperandKind::Boolean: {
      if (!value.is_bool()) {
        return false;
      }
      if (operand != nullptr) {
        return operand->is_bool() && operand->as_bool() == value.as_bool();
      }
      return value.as_bool() == node.flag;
    }
    case OperandKind::Timestamp: {
      const std::optional<Timestamp> left = AsTimestamp(value);
      if (!left.has_value()) {
        return false;
      }
      Timestamp right = node.timestamp;
      if (operand != nullptr) {
        const std::optional<Timestamp> parsed = AsTimestamp(*operand);
        if (!parsed.has_value()) {
          return false;
        }
        right = *parsed;
      }
      const auto order = *left <=> right;
      return FromOrder(node.op, order < 0 ? -1 : (order > 0 ? 1 : 0));
    }
  }
  return false;
}

Outcome Eval(const Node& node, const Scope& scope, const json::Path** failed) {
  switch (node.op) {
    case ChoiceOp::And:
      for (const Node& child : node.children) {
        const Outcome result = Eval(child, scope, failed);
        if (result != Outcome::True) {
          return result;
        }
      }
      return Outcome::True;
    case ChoiceOp::Or:
      for (const Node& child : node.children) {
        const Outcome result = Eval(child, scope, failed);
        if (result != Outcome::False) {
          return result;
        }
      }
      return Outcome::False;
    case ChoiceOp::Not: {
      const Outcome result = Eval(node.children[0], scope, failed);
      return result == Outcome::Error ? result : Of(result == Outcome::False);
    }
    default:
      break;
  }
  json::Value hold;
  const json::Value* value = Lookup(*node.variable, scope, &hold);
  if (node.op == ChoiceOp::IsPresent) {
    return Of((value != nullptr) == node.flag);
  }
  if (value == nullptr) {
    *failed = &node.variable->path;
    return Outcome::Error;
  }
  switch (node.op) {
    case ChoiceOp::IsNull:
      return Of(value->is_null() == node.flag);
    case ChoiceOp::IsNumeric:
      return Of(value->is_number() == node.flag);
    case ChoiceOp::IsString:
      return Of(value->is_string() == node.flag);
    case ChoiceOp::IsBoolean:
      return Of(value->is_bool() == node.flag);
    case ChoiceOp::IsTimestamp:
      return Of(AsTimestamp(*value).has_value() == node.flag);
    default:
      break;
  }
  const json::Value* operand = nullptr;
  json::Value operand_hold;
  if (node.operand_is_path) {
    operand = Lookup(*node.operand, scope, &operand_hold);
    if (operand == nullptr) {
      *failed = &node.operand->path;
      return Outcome::Error;
    }
  }
  return Of(Compare(node, *value, operand));
}

}  // namespace

Result<ChoiceRule> ChoiceRule::Compile(const json::Value& rule, Level level,
                                       std::string_view location) {
  auto root = std::make_shared<Node>();
  std::string next;
  RETURN_IF_ERROR(CompileNode(rule, level, location, root.get(), &next));
  return ChoiceRule(std::move(root), std::move(next));
}

Fallible<bool> ChoiceRule::Evaluate(const Scope& scope) const {
  const json::Path* failed = nullptr;
  switch (Eval(*root_, scope, &failed)) {
    case Outcome::False:
      return false;
    case Outcome::True:
      return true;
    case Outcome::Error:
      break;
  }
  return StatesError{"States.Runtime",
                     "Invalid path '" + failed->text() +
                         "': The choice state's condition path references an invalid value."};
}

ChoiceOp ChoiceRule::op() const { return root_->op; }

}  // namespace stepfn::expr
