#include "server/request.h"

#include <cmath>
#include <limits>
#include <utility>

#include "api/aws_json.h"
#include "json/write.h"

namespace stepfn::server {
namespace {

// How AWS renders a value inside "Value '...' at": strings as they are, numbers and booleans
// as text, anything else as JSON.
std::string Render(const json::Value& value) {
  if (value.is_string()) return value.as_string();
  return json::Write(value);
}

std::string_view KindToken(const json::Value& value) {
  switch (value.type()) {
    case json::Type::String:
      return "STRING_VALUE";
    case json::Type::Int:
    case json::Type::Double:
      return "NUMBER_VALUE";
    case json::Type::Bool:
      return "BOOLEAN_VALUE";
    case json::Type::Null:
      return "NULL_VALUE";
    case json::Type::Array:
    case json::Type::Object:
      break;
  }
  return "VALUE";
}

std::string_view TypeOfKind(ArnKind kind) {
  switch (kind) {
    case ArnKind::StateMachine:
    case ArnKind::StateMachineVersion:
    case ArnKind::StateMachineAlias:
      return "stateMachine";
    case ArnKind::Execution:
      return "execution";
    case ArnKind::ExpressExecution:
      return "express";
    case ArnKind::Activity:
      return "activity";
    case ArnKind::MapRun:
      return "mapRun";
  }
  return "";
}

bool IsKnownType(std::string_view type) {
  return type == "stateMachine" || type == "execution" || type == "express" || type == "activity" ||
         type == "mapRun";
}

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ull;
  for (char c : s) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return h;
}

std::string Hex64(uint64_t v) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i) {
    out[static_cast<size_t>(i)] = kDigits[v & 0xF];
    v >>= 4;
  }
  return out;
}

constexpr char kBase64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string Base64UrlEncode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  while (i + 2 < in.size()) {
    uint32_t n = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8) |
                 static_cast<uint8_t>(in[i + 2]);
    out.push_back(kBase64Url[(n >> 18) & 63]);
    out.push_back(kBase64Url[(n >> 12) & 63]);
    out.push_back(kBase64Url[(n >> 6) & 63]);
    out.push_back(kBase64Url[n & 63]);
    i += 3;
  }
  size_t rest = in.size() - i;
  if (rest == 1) {
    uint32_t n = static_cast<uint8_t>(in[i]) << 16;
    out.push_back(kBase64Url[(n >> 18) & 63]);
    out.push_back(kBase64Url[(n >> 12) & 63]);
  } else if (rest == 2) {
    uint32_t n = (static_cast<uint8_t>(in[i]) << 16) | (static_cast<uint8_t>(in[i + 1]) << 8);
    out.push_back(kBase64Url[(n >> 18) & 63]);
    out.push_back(kBase64Url[(n >> 12) & 63]);
    out.push_back(kBase64Url[(n >> 6) & 63]);
  }
  return out;
}

bool Base64UrlDecode(std::string_view in, std::string* out) {
  auto value = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '-') return 62;
    if (c == '_') return 63;
    return -1;
  };
  if (in.size() % 4 == 1) return false;
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = value(c);
    if (v < 0) return false;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return true;
}

constexpr std::string_view kTokenVersion = "v1:";

}  // namespace

// --- RequestReader ---------------------------------------------------------------------------

RequestReader::RequestReader(const json::Value& input) : input_(input), sink_(&own_sink_) {
  if (!input_.is_object() && !input_.is_null()) {
    sink_->serialization = api::AwsError::Serialization("The request body must be a JSON object");
  }
}

RequestReader::RequestReader(const json::Value& input, std::string path, Sink* sink)
    : input_(input), path_(std::move(path)), sink_(sink) {}

RequestReader RequestReader::Nested(const json::Value& object, std::string path) {
  if (!object.is_object() && !sink_->serialization) {
    sink_->serialization = api::AwsError::Serialization(
        std::string(KindToken(object)) + " at '" + path + "' can not be converted to a Structure");
  }
  return RequestReader(object, std::move(path), sink_);
}

std::string RequestReader::PathOf(std::string_view member) const {
  if (path_.empty()) return std::string(member);
  return path_ + "." + std::string(member);
}

const json::Value* RequestReader::Find(std::string_view member, Presence presence) {
  const json::Value* value = input_.is_object() ? input_.find(member) : nullptr;
  if (value != nullptr && value->is_null()) value = nullptr;
  if (value == nullptr && presence == Presence::Required) {
    AddViolation(member, nullptr, "Member must not be null");
  }
  return value;
}

void RequestReader::WrongType(std::string_view member, const json::Value& value,
                              std::string_view expected) {
  if (sink_->serialization) return;
  std::string message;
  if (value.is_object()) {
    message = "Start of structure or map found where not expected.";
  } else if (value.is_array()) {
    message = "Start of list found where not expected.";
  } else {
    message = std::string(KindToken(value)) + " can not be converted to " + std::string(expected);
  }
  (void)member;
  sink_->serialization = api::AwsError::Serialization(std::move(message));
}

void RequestReader::AddViolation(std::string_view member, const json::Value* value,
                                 std::string_view constraint, Sensitivity sensitivity) {
  sink_->violations.push_back(ConstraintViolation(PathOf(member), value, constraint, sensitivity));
}

std::optional<std::string> RequestReader::String(std::string_view member, size_t min, size_t max,
                                                 Presence presence, Sensitivity sensitivity) {
  const json::Value* value = Find(member, presence);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) {
    WrongType(member, *value, "a String");
    return std::nullopt;
  }
  size_t length = Utf16Length(value->as_string());
  if (length < min) {
    AddViolation(member, value,
                 "Member must have length greater than or equal to " + std::to_string(min),
                 sensitivity);
  } else if (length > max) {
    AddViolation(member, value,
                 "Member must have length less than or equal to " + std::to_string(max),
                 sensitivity);
  }
  return value->as_string();
}

std::optional<double> RequestReader::Double(std::string_view member, double min, double max,
                                            Presence presence) {
  const json::Value* value = Find(member, presence);
  if (value == nullptr) return std::nullopt;
  if (!value->is_number() || !std::isfinite(value->as_double())) {
    WrongType(member, *value, "a Float");
    return std::nullopt;
  }
  double d = value->as_double();
  // Bounds as the model writes them ("100", not "100.0").
  auto text = [](double x) {
    return x == std::trunc(x) && std::fabs(x) < 1e15 ? std::to_string(static_cast<int64_t>(x))
                                                     : json::Write(json::Value::Double(x));
  };
  if (d < min) {
    AddViolation(member, value, "Member must have value greater than or equal to " + text(min));
  } else if (d > max) {
    AddViolation(member, value, "Member must have value less than or equal to " + text(max));
  }
  return d;
}

std::optional<int64_t> RequestReader::Int(std::string_view member, int64_t min, int64_t max,
                                          Presence presence) {
  const json::Value* value = Find(member, presence);
  if (value == nullptr) return std::nullopt;
  int64_t n = 0;
  if (value->is_int()) {
    n = value->as_int();
  } else if (value->is_double() && std::isfinite(value->as_double())) {
    // Jackson (AWS's parser) truncates a number with a fraction given for an integer.
    double d = std::trunc(value->as_double());
    if (d >= 9.2e18) {
      n = std::numeric_limits<int64_t>::max();
    } else if (d <= -9.2e18) {
      n = std::numeric_limits<int64_t>::min();
    } else {
      n = static_cast<int64_t>(d);
    }
  } else {
    WrongType(member, *value, "an Integer");
    return std::nullopt;
  }
  if (n < min) {
    AddViolation(member, value,
                 "Member must have value greater than or equal to " + std::to_string(min));
  } else if (n > max) {
    AddViolation(member, value,
                 "Member must have value less than or equal to " + std::to_string(max));
  }
  return n;
}

std::optional<bool> RequestReader::Bool(std::string_view member, Presence presence) {
  const json::Value* value = Find(member, presence);
  if (value == nullptr) return std::nullopt;
  if (!value->is_bool()) {
    WrongType(member, *value, "a Boolean");
    return std::nullopt;
  }
  return value->as_bool();
}

std::optional<std::string> RequestReader::Enum(std::string_view member,
                                               std::initializer_list<std::string_view> values,
                                               Presence presence) {
  const json::Value* value = Find(member, presence);
  if (value == nullptr) return std::nullopt;
  if (!value->is_string()) {
    WrongType(member, *value, "a String");
    return std::nullopt;
  }
  for (std::string_view v : values) {
    if (value->as_string() == v) return value->as_string();
  }
  std::string set = "Member must satisfy enum value set: [";
  bool first = true;
  for (std::string_view v : values) {
    if (!first) set += ", ";
    first = false;
    set += v;
  }
  set += "]";
  AddViolation(member, value, set);
  return std::nullopt;
}

const json::Value* RequestReader::Struct(std::string_view member, Presence presence) {
  const json::Value* value = Find(member, presence);
  if (value == nullptr) return nullptr;
  if (!value->is_object()) {
    WrongType(member, *value, "a Structure");
    return nullptr;
  }
  return value;
}

const json::Value* RequestReader::List(std::string_view member, size_t min, size_t max,
                                       Presence presence) {
  const json::Value* value = Find(member, presence);
  if (value == nullptr) return nullptr;
  if (!value->is_array()) {
    if (value->is_object()) {
      WrongType(member, *value, "a List");
    } else if (!sink_->serialization) {
      sink_->serialization = api::AwsError::Serialization(std::string(KindToken(*value)) +
                                                          " can not be converted to a List");
    }
    return nullptr;
  }
  if (value->size() < min) {
    AddViolation(member, value,
                 "Member must have length greater than or equal to " + std::to_string(min));
  } else if (value->size() > max) {
    AddViolation(member, value,
                 "Member must have length less than or equal to " + std::to_string(max));
  }
  return value;
}

std::optional<std::vector<std::string>> RequestReader::StringList(std::string_view member,
                                                                  size_t item_min, size_t item_max,
                                                                  Presence presence) {
  const json::Value* list = List(member, 0, SIZE_MAX, presence);
  if (list == nullptr) return std::nullopt;
  std::vector<std::string> out;
  for (size_t i = 0; i < list->size(); ++i) {
    const json::Value& item = *list->at(i);
    std::string path = std::string(member) + "." + std::to_string(i + 1) + ".member";
    if (!item.is_string()) {
      if (item.is_null()) {
        AddViolation(path, nullptr, "Member must not be null");
      } else {
        WrongType(path, item, "a String");
      }
      continue;
    }
    size_t length = Utf16Length(item.as_string());
    if (length < item_min) {
      AddViolation(path, &item,
                   "Member must have length greater than or equal to " + std::to_string(item_min));
    } else if (length > item_max) {
      AddViolation(path, &item,
                   "Member must have length less than or equal to " + std::to_string(item_max));
    }
    out.push_back(item.as_string());
  }
  return out;
}

std::optional<std::vector<Tag>> RequestReader::Tags(std::string_view member, Presence presence) {
  const json::Value* list = List(member, 0, SIZE_MAX, presence);
  if (list == nullptr) return std::nullopt;
  std::vector<Tag> out;
  for (size_t i = 0; i < list->size(); ++i) {
    const json::Value& item = *list->at(i);
    if (item.is_null()) continue;
    RequestReader tag = Nested(item, PathOf(member) + "." + std::to_string(i + 1) + ".member");
    if (!item.is_object()) continue;
    Tag t;
    t.key = tag.String("key", 1, kMaxTagKeyLength, Presence::Required).value_or("");
    t.value = tag.String("value", 0, kMaxTagValueLength).value_or("");
    out.push_back(std::move(t));
  }
  return out;
}

std::optional<api::AwsError> RequestReader::Finish() const {
  if (sink_->serialization) return sink_->serialization;
  if (!sink_->violations.empty()) {
    return api::AwsError::Validation(ValidationMessage(sink_->violations));
  }
  return std::nullopt;
}

// --- Messages -------------------------------------------------------------------------------

std::string ValidationMessage(const std::vector<std::string>& violations) {
  std::string out = std::to_string(violations.size());
  out += violations.size() == 1 ? " validation error detected: " : " validation errors detected: ";
  for (size_t i = 0; i < violations.size(); ++i) {
    if (i > 0) out += "; ";
    out += violations[i];
  }
  return out;
}

std::string ConstraintViolation(std::string_view path, const json::Value* value,
                                std::string_view constraint, Sensitivity sensitivity) {
  std::string out = "Value ";
  if (value == nullptr) {
    out += "null ";
  } else if (sensitivity == Sensitivity::Plain) {
    out += "'" + Render(*value) + "' ";
  }
  out += "at '";
  out += path;
  out += "' failed to satisfy constraint: ";
  out += constraint;
  return out;
}

api::AwsError ValidationError(std::string_view path, const json::Value* value,
                              std::string_view constraint, Sensitivity sensitivity) {
  return api::AwsError::Validation(
      ValidationMessage({ConstraintViolation(path, value, constraint, sensitivity)}));
}

size_t Utf16Length(std::string_view utf8) {
  size_t n = 0;
  for (char ch : utf8) {
    unsigned char c = static_cast<unsigned char>(ch);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte
    n += (c >= 0xF0) ? 2 : 1;          // 4-byte sequences are surrogate pairs in UTF-16
  }
  return n;
}

// --- ARNs -----------------------------------------------------------------------------------

api::AwsError InvalidArnError(std::string_view reason) {
  return {400, "InvalidArn", "Invalid Arn: '" + std::string(reason) + "'"};
}

api::AwsOr<Arn> ParseArnAs(std::string_view text, std::initializer_list<ArnKind> kinds) {
  if (!text.starts_with("arn:")) {
    return InvalidArnError("Invalid ARN prefix: " + std::string(text));
  }
  Result<Arn> arn = ParseArn(text);
  if (arn.ok()) {
    for (ArnKind kind : kinds) {
      if (arn->kind == kind) return std::move(arn).value();
    }
  }
  // The resource type: the sixth part of arn:partition:states:region:account:type:...
  std::string_view type;
  std::string_view rest = text;
  int part = 0;
  bool states = false;
  while (part <= 5) {
    size_t colon = rest.find(':');
    std::string_view piece = rest.substr(0, colon);
    if (part == 2) states = piece == "states";
    if (part == 5) type = piece;
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
    ++part;
  }
  if (states && IsKnownType(type)) {
    bool type_accepted = false;
    for (ArnKind kind : kinds) type_accepted = type_accepted || TypeOfKind(kind) == type;
    if (!type_accepted) {
      return InvalidArnError("Resource type not valid in this context: " + std::string(type));
    }
  }
  return InvalidArnError("Invalid ARN: " + std::string(text));
}

// --- Names, tags ----------------------------------------------------------------------------

std::optional<api::AwsError> CheckName(std::string_view name) {
  if (IsValidName(name)) return std::nullopt;
  return api::AwsError{400, "InvalidName", "Invalid Name: '" + std::string(name) + "'"};
}

api::AwsError StateMachineDoesNotExist(std::string_view arn) {
  return {400, "StateMachineDoesNotExist",
          "State Machine Does Not Exist: '" + std::string(arn) + "'"};
}

api::AwsError ExecutionDoesNotExist(std::string_view arn) {
  return {400, "ExecutionDoesNotExist", "Execution Does Not Exist: '" + std::string(arn) + "'"};
}

api::AwsError TooManyTagsError(std::string_view resource_arn) {
  return {400, "TooManyTags",
          "Too many tags: the limit of " + std::to_string(kMaxTagsPerResource) +
              " tags per resource would be exceeded for resource '" + std::string(resource_arn) +
              "'"};
}

json::Value TagsToJson(const std::vector<Tag>& tags) {
  std::vector<json::Value> items;
  items.reserve(tags.size());
  for (const Tag& t : tags) {
    items.push_back(json::Value::Object(
        {{"key", json::Value::String(t.key)}, {"value", json::Value::String(t.value)}}));
  }
  return json::Value::Array(std::move(items));
}

// --- Timestamps, pagination -----------------------------------------------------------------

json::Value EpochSeconds(EpochMillis t) {
  if (t % 1000 == 0) return json::Value::Int(t / 1000);
  return json::Value::Double(static_cast<double>(t) / 1000.0);
}

int PageSize(const std::optional<int64_t>& max_results) {
  if (!max_results || *max_results <= 0) return kDefaultPageSize;
  if (*max_results > kMaxResultsLimit) return static_cast<int>(kMaxResultsLimit);
  return static_cast<int>(*max_results);
}

std::string WrapPageToken(std::string_view scope, std::string_view store_token) {
  std::string plain = std::string(kTokenVersion) + Hex64(Fnv1a(scope)) + ":";
  plain += store_token;
  return Base64UrlEncode(plain);
}

api::AwsOr<std::string> UnwrapPageToken(std::string_view scope,
                                        const std::optional<std::string>& next_token) {
  if (!next_token) return std::string();
  std::string plain;
  if (!Base64UrlDecode(*next_token, &plain)) {
    return InvalidTokenError("Invalid token: not a token of this service");
  }
  std::string prefix = std::string(kTokenVersion) + Hex64(Fnv1a(scope)) + ":";
  if (!plain.starts_with(prefix) || plain.size() == prefix.size()) {
    return InvalidTokenError("Invalid token: not a token of this listing");
  }
  return plain.substr(prefix.size());
}

api::AwsError InvalidTokenError(std::string_view reason) {
  return {400, "InvalidToken", "Invalid Token: '" + std::string(reason) + "'"};
}

// --- Store errors ---------------------------------------------------------------------------

api::AwsError StoreFailure(const Status& status) {
  if (status.code() == StatusCode::Unavailable) {
    return api::AwsError::ServiceUnavailable("The service is unavailable (storage). Retry later.");
  }
  return api::AwsError::InternalFailure("An internal error occurred.");
}

std::string NewRevisionId() { return api::NewRequestId(); }

}  // namespace stepfn::server
