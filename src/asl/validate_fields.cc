// Field-level checks shared by the state types: value types and ranges, paths, payload
// templates, Retry and Catch, and Choice rules.
#include <cmath>
#include <string>

#include "asl/validate_internal.h"
#include "asl/validate_syntax.h"

namespace stepfn::asl::internal {
namespace {

std::string Quoted(std::string_view field) { return "'" + std::string(field) + "'"; }

bool IsExpression(const json::Value& value, Language language) {
  return language == Language::Jsonata && value.is_string() &&
         IsJsonataExpression(value.as_string());
}

bool IsValidPathOrIntrinsic(std::string_view text) {
  if (LooksLikeIntrinsicCall(text)) return IsValidIntrinsicCall(text);
  return IsValidPath(text);
}

void CheckTemplateNode(Sink& sink, const json::Value& node, const Loc& location, int depth) {
  if (depth > 512) return;  // the parser bounds depth; this only keeps recursion finite
  if (node.is_array()) {
    for (const json::Value& item : node.items()) {
      CheckTemplateNode(sink, item, location, depth + 1);
    }
    return;
  }
  if (!node.is_object()) return;
  for (const auto& [key, value] : node.members()) {
    if (key.size() > 2 && key.compare(key.size() - 2, 2, ".$") == 0) {
      if (!value.is_string() || !IsValidPathOrIntrinsic(value.as_string())) {
        sink.Schema("The value for the field " + Quoted(key) +
                        " must be a valid JSONPath or a valid intrinsic function call",
                    location);
      }
      // "a" and "a.$" would both give the field "a" (the template compiler refuses this too).
      std::string_view plain(key.data(), key.size() - 2);
      bool plain_is_dynamic = plain.size() > 2 && plain.substr(plain.size() - 2) == ".$";
      if (!plain_is_dynamic && node.find(plain) != nullptr) {
        sink.Schema("The field " + Quoted(plain) + " is given more than once (as " + Quoted(plain) +
                        " and " + Quoted(key) + ")",
                    location);
      }
    } else {
      CheckTemplateNode(sink, value, location, depth + 1);
    }
  }
}

// ---- Retry and Catch ----

// ErrorEquals: a non-empty array of strings; returns true when it holds "States.ALL".
bool CheckErrorEquals(Sink& sink, const json::Value& element, const Loc& location) {
  const json::Value* errors = element.find("ErrorEquals");
  if (errors == nullptr) {
    sink.Schema("These fields are required: [ErrorEquals]", location);
    return false;
  }
  Loc errors_location(location, "ErrorEquals");
  if (!errors->is_array()) {
    sink.Schema("The field 'ErrorEquals' should be an array", errors_location);
    return false;
  }
  if (errors->size() == 0) {
    sink.Schema("Value cannot be empty", errors_location);
    return false;
  }
  bool has_all = false;
  for (const json::Value& error : errors->items()) {
    if (!error.is_string()) {
      sink.Schema("The field 'ErrorEquals' should contain only strings", errors_location);
      return false;
    }
    has_all = has_all || error.as_string() == "States.ALL";
  }
  if (has_all && errors->size() > 1) {
    sink.Schema("'States.ALL' must appear alone in 'ErrorEquals'", errors_location);
  }
  return has_all;
}

template <typename ElementCheck>
void CheckErrorHandlers(Sink& sink, std::string_view field, const json::Value& handlers,
                        const Loc& location, ElementCheck check_element) {
  if (!handlers.is_array()) {
    sink.Schema("The field " + Quoted(field) + " should be an array", location);
    return;
  }
  for (size_t k = 0; k < handlers.size(); ++k) {
    const json::Value& element = *handlers.at(k);
    Loc element_location = Loc::Index(location, k);
    if (!element.is_object()) {
      sink.Schema("The value should be an object", element_location);
      continue;
    }
    bool has_all = CheckErrorEquals(sink, element, element_location);
    if (has_all && k + 1 < handlers.size()) {
      sink.Schema("'States.ALL' must be in the last element of " + Quoted(field), element_location);
    }
    check_element(element, element_location);
  }
}

// ---- Choice rules ----

enum class Operand { String, Number, Bool, Timestamp, Path };

struct Operator {
  std::string_view name;
  Operand operand;
};

constexpr Operator kOperators[] = {
    {"StringEquals", Operand::String},
    {"StringLessThan", Operand::String},
    {"StringGreaterThan", Operand::String},
    {"StringLessThanEquals", Operand::String},
    {"StringGreaterThanEquals", Operand::String},
    {"StringMatches", Operand::String},
    {"NumericEquals", Operand::Number},
    {"NumericLessThan", Operand::Number},
    {"NumericGreaterThan", Operand::Number},
    {"NumericLessThanEquals", Operand::Number},
    {"NumericGreaterThanEquals", Operand::Number},
    {"BooleanEquals", Operand::Bool},
    {"TimestampEquals", Operand::Timestamp},
    {"TimestampLessThan", Operand::Timestamp},
    {"TimestampGreaterThan", Operand::Timestamp},
    {"TimestampLessThanEquals", Operand::Timestamp},
    {"TimestampGreaterThanEquals", Operand::Timestamp},
    {"IsNull", Operand::Bool},
    {"IsPresent", Operand::Bool},
    {"IsNumeric", Operand::Bool},
    {"IsString", Operand::Bool},
    {"IsBoolean", Operand::Bool},
    {"IsTimestamp", Operand::Bool},
    {"StringEqualsPath", Operand::Path},
    {"StringLessThanPath", Operand::Path},
    {"StringGreaterThanPath", Operand::Path},
    {"StringLessThanEqualsPath", Operand::Path},
    {"StringGreaterThanEqualsPath", Operand::Path},
    {"NumericEqualsPath", Operand::Path},
    {"NumericLessThanPath", Operand::Path},
    {"NumericGreaterThanPath", Operand::Path},
    {"NumericLessThanEqualsPath", Operand::Path},
    {"NumericGreaterThanEqualsPath", Operand::Path},
    {"BooleanEqualsPath", Operand::Path},
    {"TimestampEqualsPath", Operand::Path},
    {"TimestampLessThanPath", Operand::Path},
    {"TimestampGreaterThanPath", Operand::Path},
    {"TimestampLessThanEqualsPath", Operand::Path},
    {"TimestampGreaterThanEqualsPath", Operand::Path},
};

const Operator* FindOperator(std::string_view name) {
  for (const Operator& op : kOperators) {
    if (op.name == name) return &op;
  }
  return nullptr;
}

void CheckOperand(Sink& sink, const Operator& op, const json::Value& value, const Loc& location) {
  std::string field = Quoted(op.name);
  switch (op.operand) {
    case Operand::String:
      if (!value.is_string()) sink.Schema("The field " + field + " should be a string", location);
      break;
    case Operand::Number:
      if (!value.is_number()) sink.Schema("The field " + field + " should be a number", location);
      break;
    case Operand::Bool:
      if (!value.is_bool()) sink.Schema("The field " + field + " should be a boolean", location);
      break;
    case Operand::Timestamp:
      if (!value.is_string() || !IsValidTimestamp(value.as_string())) {
        sink.Schema("String does not match RFC3339 timestamp", location);
      }
      break;
    case Operand::Path:
      CheckPathField(sink, op.name, value, location, false, false);
      break;
  }
}

void CheckJsonPathRule(Sink& sink, const json::Value& rule, const Loc& location, bool top,
                       Links* links, int depth);

void CheckNestedRules(Sink& sink, const json::Value& rules, const Loc& location,
                      std::string_view field, Links* links, int depth) {
  if (!rules.is_array()) {
    sink.Schema("The field " + Quoted(field) + " should be an array", location);
    return;
  }
  if (rules.size() == 0) {
    sink.Schema("Value cannot be empty", location);
    return;
  }
  for (size_t k = 0; k < rules.size(); ++k) {
    CheckJsonPathRule(sink, *rules.at(k), Loc::Index(location, k), false, links, depth + 1);
  }
}

void CheckJsonPathRule(Sink& sink, const json::Value& rule, const Loc& location, bool top,
                       Links* links, int depth) {
  if (!rule.is_object()) {
    sink.Schema("The value should be an object", location);
    return;
  }
  if (depth > 256) return;
  int logical = 0;
  int operators = 0;
  bool has_variable = false;
  for (const auto& [name, value] : rule.members()) {
    const std::string_view key = name;
    Loc key_location(location, key);
    if (key == "Comment") {
      CheckStringField(sink, key, value, key_location);
    } else if (top && key == "Next") {
      CheckStringField(sink, key, value, key_location);
      if (value.is_string()) {
        links->Add(value.as_string(), key_location);
      }
    } else if (top && key == "Assign") {
      CheckObjectField(sink, key, value, key_location);
      CheckPayloadTemplate(sink, value, key_location);
    } else if (key == "Variable") {
      has_variable = true;
      CheckPathField(sink, key, value, key_location, false, false);
    } else if (key == "And" || key == "Or") {
      ++logical;
      CheckNestedRules(sink, value, key_location, key, links, depth);
    } else if (key == "Not") {
      ++logical;
      CheckJsonPathRule(sink, value, key_location, false, links, depth + 1);
    } else if (const Operator* op = FindOperator(key)) {
      ++operators;
      CheckOperand(sink, *op, value, key_location);
    } else {
      sink.Schema("Field '" + name + "' is not supported", location);
    }
  }
  if (top && rule.find("Next") == nullptr) {
    sink.Schema("These fields are required: [Next]", location);
  }
  if (logical + operators == 0) {
    sink.Schema("A Choice rule must have exactly one comparison operator or And, Or, Not",
                location);
  } else if (logical + operators > 1) {
    sink.Schema("A Choice rule may have only one comparison operator or And, Or, Not", location);
  } else if (operators == 1 && !has_variable) {
    sink.Schema("These fields are required: [Variable]", location);
  } else if (logical == 1 && has_variable) {
    sink.Schema("Field 'Variable' is not supported", location);
  }
}

void CheckJsonataRule(Sink& sink, const json::Value& rule, const Loc& location, Links* links) {
  if (!rule.is_object()) {
    sink.Schema("The value should be an object", location);
    return;
  }
  for (const auto& [name, value] : rule.members()) {
    const std::string_view key = name;
    Loc key_location(location, key);
    if (key == "Comment") {
      CheckStringField(sink, key, value, key_location);
    } else if (key == "Next") {
      CheckStringField(sink, key, value, key_location);
      if (value.is_string()) {
        links->Add(value.as_string(), key_location);
      }
    } else if (key == "Condition") {
      if (!value.is_bool() && !IsExpression(value, Language::Jsonata)) {
        sink.Schema("The field 'Condition' should be a boolean or a JSONata expression",
                    key_location);
      }
    } else if (key == "Assign" || key == "Output") {
      CheckJsonataValue(sink, key, value, key_location);
    } else {
      sink.Schema("Field '" + name + "' is not supported", location);
    }
  }
  std::vector<std::string> missing;
  if (rule.find("Condition") == nullptr) missing.push_back("Condition");
  if (rule.find("Next") == nullptr) missing.push_back("Next");
  if (!missing.empty()) {
    sink.Schema("These fields are required: " + BracketList(missing), location);
  }
}

std::string IntegerRule(std::string_view field, int64_t min, int64_t max) {
  std::string out = "The field " + Quoted(field);
  if (max == INT64_MAX && min == 0) return out + " should be a non-negative integer";
  if (max == INT64_MAX && min == 1) return out + " should be a positive integer";
  return out + " should be an integer between " + std::to_string(min) + " and " +
         std::to_string(max);
}

}  // namespace

void CheckPayloadTemplate(Sink& sink, const json::Value& tmpl, const Loc& location) {
  CheckTemplateNode(sink, tmpl, location, 0);
}

void CheckPathField(Sink& sink, std::string_view field, const json::Value& value,
                    const Loc& location, bool reference, bool nullable) {
  if (nullable && value.is_null()) return;
  bool ok = value.is_string() &&
            (reference ? IsValidReferencePath(value.as_string()) : IsValidPath(value.as_string()));
  if (!ok) {
    sink.Schema("The value for the field " + Quoted(field) + " must be a valid " +
                    (reference ? "ReferencePath" : "JSONPath"),
                location);
  }
}

void CheckPathOrIntrinsicField(Sink& sink, std::string_view field, const json::Value& value,
                               const Loc& location) {
  if (!value.is_string() || !IsValidPathOrIntrinsic(value.as_string())) {
    sink.Schema("The value for the field " + Quoted(field) +
                    " must be a valid JSONPath or a valid intrinsic function call",
                location);
  }
}

void CheckIntegerField(Sink& sink, std::string_view field, const json::Value& value,
                       const Loc& location, Language language, int64_t min, int64_t max) {
  if (IsExpression(value, language)) return;
  if (!value.is_int() || value.as_int() < min || value.as_int() > max) {
    sink.Schema(IntegerRule(field, min, max), location);
  }
}

void CheckNumberField(Sink& sink, std::string_view field, const json::Value& value,
                      const Loc& location, Language language, double min, double max) {
  if (IsExpression(value, language)) return;
  if (!value.is_number() || !(value.as_double() >= min) || !(value.as_double() <= max)) {
    sink.Schema("The field " + Quoted(field) + " should be a number between " +
                    std::to_string(static_cast<int64_t>(min)) + " and " +
                    std::to_string(static_cast<int64_t>(max)),
                location);
  }
}

void CheckStringField(Sink& sink, std::string_view field, const json::Value& value,
                      const Loc& location) {
  if (!value.is_string())
    sink.Schema("The field " + Quoted(field) + " should be a string", location);
}

void CheckBoolField(Sink& sink, std::string_view field, const json::Value& value,
                    const Loc& location) {
  if (!value.is_bool())
    sink.Schema("The field " + Quoted(field) + " should be a boolean", location);
}

void CheckObjectField(Sink& sink, std::string_view field, const json::Value& value,
                      const Loc& location) {
  if (!value.is_object()) {
    sink.Schema("The field " + Quoted(field) + " should be an object", location);
  }
}

void CheckEnumField(Sink& sink, std::string_view field, const json::Value& value,
                    const Loc& location, std::initializer_list<std::string_view> allowed) {
  if (value.is_string()) {
    for (std::string_view candidate : allowed) {
      if (candidate == value.as_string()) return;
    }
  }
  sink.Schema(
      "The field " + Quoted(field) + " should have one of these values: " + BracketList(allowed),
      location);
}

void CheckJsonataValue(Sink& sink, std::string_view field, const json::Value& value,
                       const Loc& location) {
  if (value.is_string()) {
    const std::string& text = value.as_string();
    if (text.size() >= 2 && text.compare(0, 2, "{%") == 0 && !IsJsonataExpression(text)) {
      sink.Schema(
          "The value for the field " + Quoted(field) + " must be a valid JSONata expression",
          location);
    }
    return;
  }
  if (value.is_array()) {
    for (const json::Value& item : value.items()) CheckJsonataValue(sink, field, item, location);
  } else if (value.is_object()) {
    for (const auto& [key, child] : value.members()) {
      CheckJsonataValue(sink, field, child, location);
    }
  }
}

void CheckRetry(Sink& sink, const json::Value& retry, const Loc& location) {
  CheckErrorHandlers(
      sink, "Retry", retry, location,
      [&sink](const json::Value& retrier, const Loc& retrier_location) {
        for (const auto& [name, value] : retrier.members()) {
          const std::string_view key = name;
          Loc key_location(retrier_location, key);
          if (key == "ErrorEquals") {
            // checked by CheckErrorHandlers
          } else if (key == "Comment") {
            CheckStringField(sink, key, value, key_location);
          } else if (key == "MaxAttempts") {
            CheckIntegerField(sink, key, value, key_location, Language::JsonPath, 0, 99999999);
          } else if (key == "IntervalSeconds") {
            CheckIntegerField(sink, key, value, key_location, Language::JsonPath, 1, 99999999);
          } else if (key == "MaxDelaySeconds") {
            CheckIntegerField(sink, key, value, key_location, Language::JsonPath, 1, 31622400);
          } else if (key == "BackoffRate") {
            if (!value.is_number() || !(value.as_double() >= 1.0)) {
              sink.Schema("The field 'BackoffRate' should be a number greater than or equal to 1.0",
                          key_location);
            }
          } else if (key == "JitterStrategy") {
            CheckEnumField(sink, key, value, key_location, {"FULL", "NONE"});
          } else {
            sink.Schema("Field '" + name + "' is not supported", retrier_location);
          }
        }
      });
}

void CheckCatch(Sink& sink, const json::Value& catchers, const Loc& location, Language language,
                Links* links) {
  CheckErrorHandlers(sink, "Catch", catchers, location,
                     [&](const json::Value& catcher, const Loc& catcher_location) {
                       for (const auto& [name, value] : catcher.members()) {
                         const std::string_view key = name;
                         Loc key_location(catcher_location, key);
                         if (key == "ErrorEquals") {
                           // checked by CheckErrorHandlers
                         } else if (key == "Comment") {
                           CheckStringField(sink, key, value, key_location);
                         } else if (key == "Next") {
                           CheckStringField(sink, key, value, key_location);
                           if (value.is_string()) {
                             links->Add(value.as_string(), key_location);
                           }
                         } else if (key == "ResultPath" && language == Language::JsonPath) {
                           CheckPathField(sink, key, value, key_location, true, true);
                         } else if (key == "Assign") {
                           CheckObjectField(sink, key, value, key_location);
                           if (language == Language::JsonPath) {
                             CheckPayloadTemplate(sink, value, key_location);
                           } else {
                             CheckJsonataValue(sink, key, value, key_location);
                           }
                         } else if (key == "Output" && language == Language::Jsonata) {
                           CheckJsonataValue(sink, key, value, key_location);
                         } else {
                           sink.Schema("Field '" + name + "' is not supported", catcher_location);
                         }
                       }
                       if (catcher.find("Next") == nullptr) {
                         sink.Schema("These fields are required: [Next]", catcher_location);
                       }
                     });
}

void CheckChoices(Sink& sink, const json::Value& choices, const Loc& location, Language language,
                  Links* links) {
  if (!choices.is_array()) {
    sink.Schema("The field 'Choices' should be an array", location);
    return;
  }
  if (choices.size() == 0) {
    sink.Schema("Value cannot be empty", location);
    return;
  }
  for (size_t k = 0; k < choices.size(); ++k) {
    Loc rule_location = Loc::Index(location, k);
    if (language == Language::JsonPath) {
      CheckJsonPathRule(sink, *choices.at(k), rule_location, true, links, 0);
    } else {
      CheckJsonataRule(sink, *choices.at(k), rule_location, links);
    }
  }
}

}  // namespace stepfn::asl::internal
