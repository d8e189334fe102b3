#include "services/models/mock_validation.h"

#include <cctype>

namespace stepfn::models {
namespace {

// Step Functions' service names that botocore spells otherwise.
std::string BotocoreService(std::string_view name) {
  static constexpr std::pair<std::string_view, std::string_view> kAliases[] = {
      {"sfn", "stepfunctions"},   {"states", "stepfunctions"},         {"eventbridge", "events"},
      {"cloudwatchlogs", "logs"}, {"elasticloadbalancingv2", "elbv2"},
  };
  for (const auto& [from, to] : kAliases) {
    if (name == from) return std::string(to);
  }
  return std::string(name);
}

// Whether a model member's name is `key` as Step Functions writes it (first letter upper-case).
bool SameName(std::string_view member, std::string_view key) {
  return member.size() == key.size() && !member.empty() &&
         std::toupper(static_cast<unsigned char>(member[0])) ==
             static_cast<unsigned char>(key[0]) &&
         member.substr(1) == key.substr(1);
}

std::string Capitalized(std::string_view name) {
  std::string out(name);
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

std::string Field(std::string_view name, std::string_view what) {
  return "Mock result schema validation error: Field '" + std::string(name) + "' " +
         std::string(what);
}

struct Checker {
  const json::Value& shapes;
  FieldValidation mode;

  const json::Value* Shape(const json::Value& ref) const {
    const json::Value* name = ref.is_object() ? ref.find("shape") : nullptr;
    if (name == nullptr || !name->is_string()) return nullptr;
    const json::Value* shape = shapes.find(name->as_string());
    return shape != nullptr && shape->is_object() ? shape : nullptr;
  }

  static std::optional<double> Number(const json::Value& shape, std::string_view key) {
    const json::Value* v = shape.find(key);
    if (v == nullptr || !v->is_number()) return std::nullopt;
    return v->as_double();
  }

  // Checks `value` against `shape`; `name` is the field's name in messages.
  std::optional<std::string> Check(const json::Value& shape, const json::Value& value,
                                   std::string_view name, int depth) const {
    if (depth > 64) return std::nullopt;  // recursive shapes: deep enough for any real result
    const json::Value* type_value = shape.find("type");
    std::string_view type = type_value != nullptr && type_value->is_string()
                                ? std::string_view(type_value->as_string())
                                : std::string_view();
    if (type == "structure") {
      if (!value.is_object()) return Field(name, "must be an object");
      return CheckStructure(shape, value, depth);
    }
    if (type == "list") {
      if (!value.is_array()) return Field(name, "must be an array");
      if (auto bad = CheckLength(shape, static_cast<double>(value.size()), name)) return bad;
      const json::Value* member = shape.find("member");
      const json::Value* member_shape = member != nullptr ? Shape(*member) : nullptr;
      if (member_shape == nullptr) return std::nullopt;
      for (const json::Value& item : value.items()) {
        if (auto bad = Check(*member_shape, item, name, depth + 1)) return bad;
      }
      return std::nullopt;
    }
    if (type == "map") {
      if (!value.is_object()) return Field(name, "must be an object");
      const json::Value* v = shape.find("value");
      const json::Value* value_shape = v != nullptr ? Shape(*v) : nullptr;
      if (value_shape == nullptr) return std::nullopt;
      for (const auto& [key, item] : value.members()) {
        if (auto bad = Check(*value_shape, item, key, depth + 1)) return bad;
      }
      return std::nullopt;
    }
    if (type == "string") {
      if (!value.is_string()) return Field(name, "must be a string");
      if (const json::Value* values = shape.find("enum"); values != nullptr && values->is_array()) {
        bool known = false;
        for (const json::Value& v : values->items()) known |= v == value;
        if (!known) return Field(name, "is not an expected value");
      }
      return CheckLength(shape, static_cast<double>(value.as_string().size()), name);
    }
    if (type == "blob") {
      if (!value.is_string()) return Field(name, "must be a string");
      return CheckLength(shape, static_cast<double>(value.as_string().size()), name);
    }
    if (type == "timestamp") {
      if (!value.is_string()) return Field(name, "must be a string");
      return std::nullopt;
    }
    if (type == "boolean") {
      if (!value.is_bool()) return Field(name, "must be a boolean");
      return std::nullopt;
    }
    if (type == "integer" || type == "long" || type == "float" || type == "double") {
      if (!value.is_number()) return Field(name, "must be a number");
      if (auto min = Number(shape, "min"); min && value.as_double() < *min) {
        return Field(name, "is less than the minimum value");
      }
      if (auto max = Number(shape, "max"); max && value.as_double() > *max) {
        return Field(name, "exceeds the maximum value");
      }
      return std::nullopt;
    }
    return std::nullopt;  // a type this check does not know: accepted
  }

  std::optional<std::string> CheckLength(const json::Value& shape, double length,
                                         std::string_view name) const {
    if (auto min = Number(shape, "min"); min && length < *min) {
      return Field(name, "is smaller than the minimum length");
    }
    if (auto max = Number(shape, "max"); max && length > *max) {
      return Field(name, "exceeds the maximum length");
    }
    return std::nullopt;
  }

  std::optional<std::string> CheckStructure(const json::Value& shape, const json::Value& value,
                                            int depth) const {
    const json::Value* members = shape.find("members");
    if (members == nullptr || !members->is_object()) return std::nullopt;
    // The fields present, in the mock's order.
    for (const auto& [key, item] : value.members()) {
      for (const auto& [member_name, ref] : members->members()) {
        if (!SameName(member_name, key)) continue;
        if (const json::Value* member_shape = Shape(ref)) {
          if (auto bad = Check(*member_shape, item, key, depth + 1)) return bad;
        }
        break;
      }
    }
    if (mode != FieldValidation::kStrict) return std::nullopt;
    const json::Value* required = shape.find("required");
    if (required == nullptr || !required->is_array()) return std::nullopt;
    for (const json::Value& r : required->items()) {
      if (!r.is_string()) continue;
      std::string key = Capitalized(r.as_string());
      if (value.find(key) == nullptr) {
        return "Mock result schema validation error: Required field '" + key + "' is missing";
      }
    }
    return std::nullopt;
  }
};

}  // namespace

std::optional<ModelOperation> OperationOfResource(std::string_view resource) {
  constexpr std::string_view kStates = "arn:aws:states:::";
  if (!resource.starts_with(kStates)) return std::nullopt;  // a function or activity ARN
  std::string_view rest = resource.substr(kStates.size());
  if (rest.find('.') != std::string_view::npos) return std::nullopt;  // .sync, .waitForTaskToken
  bool sdk = rest.starts_with("aws-sdk:");
  if (sdk) rest.remove_prefix(8);
  size_t colon = rest.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == rest.size()) {
    return std::nullopt;
  }
  std::string_view service = rest.substr(0, colon);
  std::string_view action = rest.substr(colon + 1);
  if (!sdk && service == "http") return std::nullopt;
  return ModelOperation{BotocoreService(service), Capitalized(action)};
}

std::optional<std::string> ValidateMockResult(ServiceModels& models, std::string_view resource,
                                              const json::Value& result, FieldValidation mode) {
  if (mode == FieldValidation::kNone) return std::nullopt;
  std::optional<ModelOperation> op = OperationOfResource(resource);
  if (!op) return std::nullopt;
  std::shared_ptr<const json::Value> model = models.Model(op->service);
  if (model == nullptr) return std::nullopt;
  const json::Value* operations = model->find("operations");
  const json::Value* shapes = model->find("shapes");
  if (operations == nullptr || shapes == nullptr || !shapes->is_object()) return std::nullopt;
  const json::Value* operation = operations->find(op->operation);
  const json::Value* output = operation != nullptr ? operation->find("output") : nullptr;
  if (output == nullptr) return std::nullopt;
  Checker checker{*shapes, mode};
  const json::Value* shape = checker.Shape(*output);
  if (shape == nullptr) return std::nullopt;
  // The result as a whole: AWS's cases only show objects; anything else is left to the state.
  if (!result.is_object()) return std::nullopt;
  return checker.CheckStructure(*shape, result, 0);
}

std::optional<std::string> CheckMockResult(std::string_view resource, const json::Value& result,
                                           std::string_view mode) {
  FieldValidation m = mode == "PRESENT" ? FieldValidation::kPresent
                      : mode == "NONE"  ? FieldValidation::kNone
                                        : FieldValidation::kStrict;
  return ValidateMockResult(ServiceModels::Default(), resource, result, m);
}

}  // namespace stepfn::models
