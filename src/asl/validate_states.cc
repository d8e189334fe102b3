// State-level checks: which fields each state type allows in each query language, required
// fields, mutually exclusive fields, Next/End, and the type-specific rules (Task resources in
// EXPRESS machines, Parallel branches, Map processors and readers).
#include <array>
#include <string>

#include "asl/validate_internal.h"
#include "asl/validate_syntax.h"

namespace stepfn::asl::internal {
namespace {

enum class StateType { Task, Wait, Pass, Succeed, Fail, Choice, Parallel, Map };

constexpr std::array<std::pair<std::string_view, StateType>, 8> kStateTypes = {{
    {"Task", StateType::Task},
    {"Wait", StateType::Wait},
    {"Pass", StateType::Pass},
    {"Succeed", StateType::Succeed},
    {"Fail", StateType::Fail},
    {"Choice", StateType::Choice},
    {"Parallel", StateType::Parallel},
    {"Map", StateType::Map},
}};

// Which query languages a field belongs to.
constexpr uint8_t kPath = 1;  // JSONPath states only
constexpr uint8_t kAta = 2;   // JSONata states only
constexpr uint8_t kBoth = 3;

struct FieldSpec {
  std::string_view name;
  uint8_t languages;
};

constexpr FieldSpec kPassFields[] = {
    {"Next", kBoth},       {"End", kBoth},        {"Assign", kBoth},
    {"InputPath", kPath},  {"OutputPath", kPath}, {"Parameters", kPath},
    {"ResultPath", kPath}, {"Result", kPath},     {"Output", kAta}};
constexpr FieldSpec kTaskFields[] = {{"Resource", kBoth},
                                     {"Next", kBoth},
                                     {"End", kBoth},
                                     {"Assign", kBoth},
                                     {"Retry", kBoth},
                                     {"Catch", kBoth},
                                     {"TimeoutSeconds", kBoth},
                                     {"TimeoutSecondsPath", kPath},
                                     {"HeartbeatSeconds", kBoth},
                                     {"HeartbeatSecondsPath", kPath},
                                     {"Credentials", kBoth},
                                     {"InputPath", kPath},
                                     {"OutputPath", kPath},
                                     {"Parameters", kPath},
                                     {"ResultPath", kPath},
                                     {"ResultSelector", kPath},
                                     {"Arguments", kAta},
                                     {"Output", kAta}};
constexpr FieldSpec kChoiceFields[] = {{"Choices", kBoth},    {"Default", kBoth},
                                       {"Assign", kBoth},     {"InputPath", kPath},
                                       {"OutputPath", kPath}, {"Output", kAta}};
constexpr FieldSpec kWaitFields[] = {
    {"Next", kBoth},       {"End", kBoth},         {"Assign", kBoth},        {"Seconds", kBoth},
    {"Timestamp", kBoth},  {"SecondsPath", kPath}, {"TimestampPath", kPath}, {"InputPath", kPath},
    {"OutputPath", kPath}, {"Output", kAta}};
constexpr FieldSpec kSucceedFields[] = {
    {"InputPath", kPath}, {"OutputPath", kPath}, {"Output", kAta}};
constexpr FieldSpec kFailFields[] = {
    {"Error", kBoth}, {"Cause", kBoth}, {"ErrorPath", kPath}, {"CausePath", kPath}};
constexpr FieldSpec kParallelFields[] = {
    {"Branches", kBoth},   {"Next", kBoth},           {"End", kBoth},
    {"Assign", kBoth},     {"Retry", kBoth},          {"Catch", kBoth},
    {"InputPath", kPath},  {"OutputPath", kPath},     {"Parameters", kPath},
    {"ResultPath", kPath}, {"ResultSelector", kPath}, {"Arguments", kAta},
    {"Output", kAta}};
constexpr FieldSpec kMapFields[] = {{"ItemProcessor", kBoth},
                                    {"Iterator", kBoth},
                                    {"ItemReader", kBoth},
                                    {"ItemSelector", kBoth},
                                    {"ItemBatcher", kBoth},
                                    {"ResultWriter", kBoth},
                                    {"MaxConcurrency", kBoth},
                                    {"MaxConcurrencyPath", kPath},
                                    {"ToleratedFailureCount", kBoth},
                                    {"ToleratedFailureCountPath", kPath},
                                    {"ToleratedFailurePercentage", kBoth},
                                    {"ToleratedFailurePercentagePath", kPath},
                                    {"Label", kBoth},
                                    {"Next", kBoth},
                                    {"End", kBoth},
                                    {"Assign", kBoth},
                                    {"Retry", kBoth},
                                    {"Catch", kBoth},
                                    {"ItemsPath", kPath},
                                    {"Parameters", kPath},
                                    {"InputPath", kPath},
                                    {"OutputPath", kPath},
                                    {"ResultPath", kPath},
                                    {"ResultSelector", kPath},
                                    {"Items", kAta},
                                    {"Output", kAta}};

template <size_t N>
std::pair<const FieldSpec*, size_t> Table(const FieldSpec (&table)[N]) {
  return {table, N};
}

std::pair<const FieldSpec*, size_t> FieldsOf(StateType type) {
  switch (type) {
    case StateType::Task:
      return Table(kTaskFields);
    case StateType::Wait:
      return Table(kWaitFields);
    case StateType::Pass:
      return Table(kPassFields);
    case StateType::Succeed:
      return Table(kSucceedFields);
    case StateType::Fail:
      return Table(kFailFields);
    case StateType::Choice:
      return Table(kChoiceFields);
    case StateType::Parallel:
      return Table(kParallelFields);
    case StateType::Map:
      return Table(kMapFields);
  }
  return {nullptr, 0};
}

bool FieldAllowed(StateType type, std::string_view key, Language language) {
  if (key == "Type" || key == "Comment" || key == "QueryLanguage") return true;
  auto [table, size] = FieldsOf(type);
  uint8_t bit = language == Language::JsonPath ? kPath : kAta;
  for (size_t k = 0; k < size; ++k) {
    if (table[k].name == key) return (table[k].languages & bit) != 0;
  }
  return false;
}

// At most one of `names` may be present; reported once at the state.
void CheckExclusive(Sink& sink, const json::Value& state, const Loc& location,
                    std::initializer_list<std::string_view> names) {
  int present = 0;
  for (std::string_view name : names) present += state.find(name) != nullptr ? 1 : 0;
  if (present > 1) {
    sink.Schema("These fields are mutually exclusive: " + BracketList(names), location);
  }
}

void CheckTransition(Sink& sink, const json::Value& state, const Loc& location, Links* links) {
  const json::Value* next = state.find("Next");
  const json::Value* end = state.find("End");
  bool ends = end != nullptr && end->is_bool() && end->as_bool();
  if (next != nullptr && end != nullptr) {
    sink.Schema("These fields are mutually exclusive: [Next, End]", location);
  } else if (next == nullptr && !ends) {
    sink.Schema("One of these fields is required: [Next, End]", location);
  }
  if (next != nullptr && next->is_string()) {
    links->Add(next->as_string(), Loc(location, "Next"));
  }
  links->any_terminal = links->any_terminal || ends;
}

bool EndsWith(std::string_view text, std::string_view suffix) {
  return text.size() >= suffix.size() && text.substr(text.size() - suffix.size()) == suffix;
}

void CheckResource(Sink& sink, const json::Value& value, const Loc& location) {
  CheckStringField(sink, "Resource", value, location);
  if (!value.is_string() || sink.type() != MachineType::Express) return;
  std::string_view resource = value.as_string();
  if (EndsWith(resource, ".waitForTaskToken")) {
    sink.Schema("Express state machine does not support '.waitForTaskToken' service integration ",
                location);
  } else if (EndsWith(resource, ".sync") || EndsWith(resource, ".sync:2")) {
    sink.Schema("Express state machine does not support '.sync' service integration ", location);
  } else if (resource.substr(0, 4) == "arn:" &&
             resource.find(":states:") != std::string_view::npos &&
             resource.find(":activity:") != std::string_view::npos) {
    sink.Schema("Express state machine does not support Activity ARN", location);
  }
}

void CheckCredentials(Sink& sink, const json::Value& value, const Loc& location,
                      Language language) {
  if (!value.is_object()) {
    sink.Schema("The field 'Credentials' should be an object", location);
    return;
  }
  const json::Value* role = value.find("RoleArn");
  const json::Value* role_path = language == Language::JsonPath ? value.find("RoleArn.$") : nullptr;
  if (role == nullptr && role_path == nullptr) {
    sink.Schema("The field 'RoleArn' is required but was missing", location);
    return;
  }
  if (role != nullptr) CheckStringField(sink, "RoleArn", *role, Loc(location, "RoleArn"));
  if (role_path != nullptr) CheckPayloadTemplate(sink, value, location);
}

// Map's ItemProcessor / Iterator: a nested machine with an optional ProcessorConfig.
void CheckProcessor(Sink& sink, std::string_view field, const json::Value& processor,
                    const Loc& location, Language language) {
  if (!processor.is_object()) {
    sink.Schema("The field '" + std::string(field) + "' should be an object", location);
    return;
  }
  if (const json::Value* config = processor.find("ProcessorConfig")) {
    Loc config_location(location, "ProcessorConfig");
    if (!config->is_object()) {
      sink.Schema("The field 'ProcessorConfig' should be an object", config_location);
    } else {
      for (const auto& [key, value] : config->members()) {
        Loc key_location(config_location, key);
        if (key == "Mode") {
          CheckEnumField(sink, key, value, key_location, {"INLINE", "DISTRIBUTED"});
          if (value.is_string() && value.as_string() == "DISTRIBUTED" &&
              sink.type() == MachineType::Express) {
            sink.Schema(
                "The field 'Mode' with value 'DISTRIBUTED' is not supported inside 'EXPRESS' "
                "state machines",
                key_location);
          }
        } else if (key == "ExecutionType") {
          CheckEnumField(sink, key, value, key_location, {"STANDARD", "EXPRESS"});
        } else {
          sink.Schema("Field '" + key + "' is not supported", config_location);
        }
      }
    }
  }
  ValidateMachine(sink, processor, location, MachineKind::Processor, language);
}

// ItemReader / ResultWriter: {Resource, Parameters|Arguments, ReaderConfig|WriterConfig}.
void CheckReaderOrWriter(Sink& sink, std::string_view field, const json::Value& value,
                         const Loc& location, Language language) {
  if (!value.is_object()) {
    sink.Schema("The field '" + std::string(field) + "' should be an object", location);
    return;
  }
  bool reader = field == "ItemReader";
  std::string_view config_name = reader ? "ReaderConfig" : "WriterConfig";
  if (reader && value.find("Resource") == nullptr) {
    sink.Schema("These fields are required: [Resource]", location);
  }
  for (const auto& [key, child] : value.members()) {
    Loc child_location(location, key);
    if (key == "Resource") {
      CheckStringField(sink, key, child, child_location);
    } else if (key == "Parameters" && language == Language::JsonPath) {
      CheckPayloadTemplate(sink, child, child_location);
    } else if (key == "Arguments" && language == Language::Jsonata) {
      CheckJsonataValue(sink, key, child, child_location);
    } else if (key == config_name) {
      CheckObjectField(sink, key, child, child_location);
      if (!child.is_object() || !reader) continue;
      for (const auto& [config_key, config_value] : child.members()) {
        Loc config_location(child_location, config_key);
        if (config_key == "InputType") {
          CheckEnumField(sink, config_key, config_value, config_location,
                         {"CSV", "JSON", "JSONL", "MANIFEST", "PARQUET"});
        } else if (config_key == "CSVHeaderLocation") {
          CheckEnumField(sink, config_key, config_value, config_location, {"FIRST_ROW", "GIVEN"});
        } else if (config_key == "MaxItems") {
          CheckIntegerField(sink, config_key, config_value, config_location, language, 0,
                            100000000);
        } else if (config_key == "MaxItemsPath" && language == Language::JsonPath) {
          CheckPathField(sink, config_key, config_value, config_location, true, false);
        } else if (config_key != "CSVHeaders" && config_key != "CSVDelimiter" &&
                   config_key != "ManifestType") {
          sink.Schema("Field '" + config_key + "' is not supported", child_location);
        }
      }
    } else {
      sink.Schema("Field '" + key + "' is not supported", location);
    }
  }
}

void CheckItemBatcher(Sink& sink, const json::Value& value, const Loc& location,
                      Language language) {
  if (!value.is_object()) {
    sink.Schema("The field 'ItemBatcher' should be an object", location);
    return;
  }
  for (const auto& [key, child] : value.members()) {
    Loc child_location(location, key);
    if (key == "MaxItemsPerBatch" || key == "MaxInputBytesPerBatch") {
      CheckIntegerField(sink, key, child, child_location, language, 0, INT64_MAX);
    } else if ((key == "MaxItemsPerBatchPath" || key == "MaxInputBytesPerBatchPath") &&
               language == Language::JsonPath) {
      CheckPathField(sink, key, child, child_location, true, false);
    } else if (key == "BatchInput") {
      if (language == Language::JsonPath) {
        CheckPayloadTemplate(sink, child, child_location);
      } else {
        CheckJsonataValue(sink, key, child, child_location);
      }
    } else {
      sink.Schema("Field '" + key + "' is not supported", location);
    }
  }
  CheckExclusive(sink, value, location, {"MaxItemsPerBatch", "MaxItemsPerBatchPath"});
  CheckExclusive(sink, value, location, {"MaxInputBytesPerBatch", "MaxInputBytesPerBatchPath"});
}

void CheckBranches(Sink& sink, const json::Value& branches, const Loc& location,
                   Language language) {
  if (!branches.is_array()) {
    sink.Schema("The field 'Branches' should be an array", location);
    return;
  }
  if (branches.size() == 0) {
    sink.Schema("Value cannot be empty", location);
    return;
  }
  for (size_t k = 0; k < branches.size(); ++k) {
    Loc branch_location = Loc::Index(location, k);
    ValidateMachine(sink, *branches.at(k), branch_location, MachineKind::Branch, language);
  }
}

// Checks one field the table allows.
void CheckField(Sink& sink, const std::string& field, const json::Value& value,
                const Loc& state_location, Language language, Links* links) {
  // string_view comparisons check the length first: most of the chain below costs nothing.
  const std::string_view key = field;
  Loc location(state_location, key);
  const bool path = language == Language::JsonPath;
  if (key == "Comment" || key == "Label") {
    CheckStringField(sink, key, value, location);
  } else if (key == "Next") {
    CheckStringField(sink, key, value, location);
  } else if (key == "End") {
    CheckBoolField(sink, key, value, location);
  } else if (key == "InputPath" || key == "OutputPath") {
    CheckPathField(sink, key, value, location, false, true);
  } else if (key == "ResultPath") {
    CheckPathField(sink, key, value, location, true, true);
  } else if (key == "ItemsPath") {
    CheckPathField(sink, key, value, location, true, false);
  } else if (key == "SecondsPath" || key == "TimestampPath" || key == "TimeoutSecondsPath" ||
             key == "HeartbeatSecondsPath" || key == "MaxConcurrencyPath" ||
             key == "ToleratedFailureCountPath" || key == "ToleratedFailurePercentagePath") {
    CheckPathField(sink, key, value, location, true, false);
  } else if (key == "ErrorPath" || key == "CausePath") {
    CheckPathOrIntrinsicField(sink, key, value, location);
  } else if (key == "Parameters" || key == "ResultSelector" || key == "ItemSelector") {
    if (key == "ResultSelector") CheckObjectField(sink, key, value, location);
    if (path) {
      CheckPayloadTemplate(sink, value, location);
    } else {
      CheckJsonataValue(sink, key, value, location);
    }
  } else if (key == "Assign") {
    CheckObjectField(sink, key, value, location);
    if (path) {
      CheckPayloadTemplate(sink, value, location);
    } else {
      CheckJsonataValue(sink, key, value, location);
    }
  } else if (key == "Arguments" || key == "Output" || key == "Result") {
    if (!path) CheckJsonataValue(sink, key, value, location);
  } else if (key == "Items") {
    if (!value.is_array() && !(value.is_string() && IsJsonataExpression(value.as_string()))) {
      sink.Schema("The field 'Items' should be an array or a JSONata expression", location);
    }
  } else if (key == "Resource") {
    CheckResource(sink, value, location);
  } else if (key == "Credentials") {
    CheckCredentials(sink, value, location, language);
  } else if (key == "Retry") {
    CheckRetry(sink, value, location);
  } else if (key == "Catch") {
    CheckCatch(sink, value, location, language, links);
  } else if (key == "TimeoutSeconds" || key == "HeartbeatSeconds") {
    CheckIntegerField(sink, key, value, location, language, 1, 99999999);
  } else if (key == "Seconds") {
    CheckIntegerField(sink, key, value, location, language, 0, 99999999);
  } else if (key == "Timestamp") {
    bool expression = !path && value.is_string() && IsJsonataExpression(value.as_string());
    if (!expression && (!value.is_string() || !IsValidTimestamp(value.as_string()))) {
      sink.Schema("String does not match RFC3339 timestamp", location);
    }
  } else if (key == "Error" || key == "Cause") {
    CheckStringField(sink, key, value, location);
  } else if (key == "Choices") {
    CheckChoices(sink, value, location, language, links);
  } else if (key == "Default") {
    CheckStringField(sink, key, value, location);
    if (value.is_string()) links->Add(value.as_string(), location);
  } else if (key == "Branches") {
    CheckBranches(sink, value, location, language);
  } else if (key == "ItemProcessor" || key == "Iterator") {
    CheckProcessor(sink, key, value, location, language);
  } else if (key == "ItemReader" || key == "ResultWriter") {
    CheckReaderOrWriter(sink, key, value, location, language);
  } else if (key == "ItemBatcher") {
    CheckItemBatcher(sink, value, location, language);
  } else if (key == "MaxConcurrency" || key == "ToleratedFailureCount") {
    CheckIntegerField(sink, key, value, location, language, 0, INT64_MAX);
  } else if (key == "ToleratedFailurePercentage") {
    CheckNumberField(sink, key, value, location, language, 0, 100);
  }
}

}  // namespace

void ValidateState(Sink& sink, const std::string& name, const json::Value& state,
                   const Loc& location, Language inherited, Links* links) {
  (void)name;
  if (!state.is_object()) {
    sink.Schema("The value should be an object", location);
    return;
  }
  const json::Value* type_value = state.find("Type");
  if (type_value == nullptr) {
    sink.Schema("These fields are required: [Type]", location);
    return;
  }
  const StateType* type = nullptr;
  if (type_value->is_string()) {
    for (const auto& entry : kStateTypes) {
      if (entry.first == type_value->as_string()) type = &entry.second;
    }
  }
  if (type == nullptr) {
    // The state's fields cannot be checked; keep its transitions so that one bad Type does not
    // also make its neighbours unreachable or the machine endless.
    const json::Value* next = state.find("Next");
    if (next != nullptr && next->is_string()) {
      links->Add(next->as_string(), Loc(location, "Next"));
    }
    links->any_terminal = links->any_terminal || next == nullptr;
    sink.Schema(
        "The field 'Type' should have one of these values: [Task, Wait, Pass, Succeed, Fail, "
        "Choice, Parallel, Map]",
        Loc(location, "Type"));
    return;
  }

  Language language = inherited;
  if (const json::Value* query_language = state.find("QueryLanguage")) {
    CheckEnumField(sink, "QueryLanguage", *query_language, Loc(location, "QueryLanguage"),
                   {"JSONPath", "JSONata"});
    if (query_language->is_string()) {
      if (query_language->as_string() == "JSONata") language = Language::Jsonata;
      if (query_language->as_string() == "JSONPath") {
        if (sink.top_language() == Language::Jsonata) {
          sink.Schema(
              "'QueryLanguage' can not be 'JSONPath' if set to 'JSONata' for whole state machine",
              location);
        }
        language = Language::JsonPath;
      }
    }
  }

  for (const auto& [key, value] : state.members()) {
    if (!FieldAllowed(*type, key, language)) {
      sink.Schema("Field '" + key + "' is not supported", location);
      continue;
    }
    CheckField(sink, key, value, location, language, links);
  }

  switch (*type) {
    case StateType::Task:
      if (state.find("Resource") == nullptr) {
        sink.Schema("These fields are required: [Resource]", location);
      }
      CheckExclusive(sink, state, location, {"TimeoutSeconds", "TimeoutSecondsPath"});
      CheckExclusive(sink, state, location, {"HeartbeatSeconds", "HeartbeatSecondsPath"});
      CheckTransition(sink, state, location, links);
      break;
    case StateType::Pass:
      CheckTransition(sink, state, location, links);
      break;
    case StateType::Wait: {
      int present = 0;
      for (std::string_view field : {"Seconds", "SecondsPath", "Timestamp", "TimestampPath"}) {
        present += state.find(field) != nullptr ? 1 : 0;
      }
      if (present == 0) {
        sink.Schema(language == Language::JsonPath
                        ? "One of these fields is required: [Seconds, SecondsPath, Timestamp, "
                          "TimestampPath]"
                        : "One of these fields is required: [Seconds, Timestamp]",
                    location);
      } else if (present > 1) {
        sink.Schema(
            "These fields are mutually exclusive: [Seconds, SecondsPath, Timestamp, "
            "TimestampPath]",
            location);
      }
      CheckTransition(sink, state, location, links);
      break;
    }
    case StateType::Succeed:
    case StateType::Fail:
      CheckExclusive(sink, state, location, {"Error", "ErrorPath"});
      CheckExclusive(sink, state, location, {"Cause", "CausePath"});
      links->any_terminal = true;
      break;
    case StateType::Choice:
      if (state.find("Choices") == nullptr) {
        sink.Schema("These fields are required: [Choices]", location);
      }
      break;
    case StateType::Parallel:
      if (state.find("Branches") == nullptr) {
        sink.Schema("These fields are required: [Branches]", location);
      }
      CheckTransition(sink, state, location, links);
      break;
    case StateType::Map:
      if (state.find("ItemProcessor") == nullptr && state.find("Iterator") == nullptr) {
        sink.Schema("One of these fields is required: [ItemProcessor, Iterator]", location);
      }
      CheckExclusive(sink, state, location, {"ItemProcessor", "Iterator"});
      CheckExclusive(sink, state, location, {"Parameters", "ItemSelector"});
      CheckExclusive(sink, state, location, {"MaxConcurrency", "MaxConcurrencyPath"});
      CheckExclusive(sink, state, location, {"ToleratedFailureCount", "ToleratedFailureCountPath"});
      CheckExclusive(sink, state, location,
                     {"ToleratedFailurePercentage", "ToleratedFailurePercentagePath"});
      CheckTransition(sink, state, location, links);
      break;
  }
}

}  // namespace stepfn::asl::internal
