// The validator's entry points, machine-level checks and the graph checks (transition targets,
// terminal states, reachability). State-level checks: validate_states.cc; field-level checks:
// validate_fields.cc.
#include "asl/validate.h"

#include <string>

#include "asl/validate_internal.h"
#include "json/parse.h"

namespace stepfn::asl {
namespace internal {
namespace {

constexpr std::string_view kNotAnObject = "Definition must be a valid JSON object";

bool AllowedMachineField(std::string_view key, MachineKind kind) {
  if (key == "StartAt" || key == "States" || key == "Comment") return true;
  switch (kind) {
    case MachineKind::Top:
      return key == "Version" || key == "TimeoutSeconds" || key == "QueryLanguage";
    case MachineKind::Branch:
      return false;
    case MachineKind::Processor:
      return key == "ProcessorConfig";
  }
  return false;
}

// Transition targets exist, some state is terminal, every state is reachable from StartAt.
void CheckGraph(Sink& sink, const json::Value& states, const std::string* start_at,
                const Loc& location, const Links& links) {
  const auto& members = states.members();
  constexpr std::string_view kMissing = "MISSING_TRANSITION_TARGET";
  uint32_t start = start_at != nullptr ? links.Position(*start_at) : NameTable::kAbsent;
  bool start_ok = start != NameTable::kAbsent;
  if (start_at != nullptr && !start_ok) {
    sink.Add(kMissing, "Missing 'Next' target: " + *start_at, Loc(location, "StartAt"));
  }
  for (const Links::Missing& t : links.missing) {
    sink.Add(kMissing, "Missing 'Next' target: " + t.target, t.location);
  }
  if (!links.any_terminal) {
    sink.Add("MISSING_END_STATE", "Workflow has no terminal state", "");
    return;  // AWS does not report unreachable states then
  }
  if (!start_ok) return;
  std::vector<bool> reached(members.size(), false);
  std::vector<uint32_t> pending;
  pending.reserve(members.size());
  reached[start] = true;
  pending.push_back(start);
  while (!pending.empty()) {
    uint32_t current = pending.back();
    pending.pop_back();
    uint32_t end = current + 1 < links.first.size() ? links.first[current + 1]
                                                    : static_cast<uint32_t>(links.targets.size());
    for (uint32_t t = links.first[current]; t < end; ++t) {
      uint32_t target = links.targets[t];
      if (!reached[target]) {
        reached[target] = true;
        pending.push_back(target);
      }
    }
  }
  Loc states_location(location, "States");
  for (size_t k = 0; k < members.size(); ++k) {
    if (!reached[k]) {
      sink.Add(kMissing, "State \"" + members[k].first + "\" is not reachable.",
               Loc(states_location, members[k].first));
    }
  }
}

// State names are unique within the whole machine, Parallel branches and Map processors
// included (the ASL specification; AWS refuses such definitions). Reports every repeat at the
// place it occurs again. Nested machines of the wrong shape are left to ValidateMachine.
void CollectStateNames(const json::Value& machine, const Loc& location, NameTable* seen,
                       Sink& sink) {
  const json::Value* states = machine.is_object() ? machine.find("States") : nullptr;
  if (states == nullptr || !states->is_object()) return;
  Loc states_location(location, "States");
  for (const auto& [name, state] : states->members()) {
    Loc state_location(states_location, name);
    if (seen->Insert(name, 0) != NameTable::kAbsent) {
      sink.Add("DUPLICATE_STATE_NAME", "Duplicate State name: " + name, state_location);
    }
    if (!state.is_object()) continue;
    if (const json::Value* branches = state.find("Branches"); branches && branches->is_array()) {
      Loc branches_location(state_location, "Branches");
      for (size_t i = 0; i < branches->size(); ++i) {
        CollectStateNames(*branches->at(i), Loc::Index(branches_location, i), seen, sink);
      }
    }
    for (std::string_view field : {"ItemProcessor", "Iterator"}) {
      if (const json::Value* processor = state.find(field)) {
        CollectStateNames(*processor, Loc(state_location, field), seen, sink);
      }
    }
  }
}

}  // namespace

std::string BracketList(std::initializer_list<std::string_view> names) {
  std::string out = "[";
  for (std::string_view name : names) {
    if (out.size() > 1) out += ", ";
    out += name;
  }
  return out + "]";
}

std::string BracketList(const std::vector<std::string>& names) {
  std::string out = "[";
  for (const std::string& name : names) {
    if (out.size() > 1) out += ", ";
    out += name;
  }
  return out + "]";
}

void ValidateMachine(Sink& sink, const json::Value& machine, const Loc& location, MachineKind kind,
                     Language inherited) {
  if (!machine.is_object()) {
    if (kind == MachineKind::Top) {
      sink.Add("SCHEMA_VALIDATION_FAILED", std::string(kNotAnObject), "");
    } else {
      sink.SchemaAtMachine("The value should be an object", location);
    }
    return;
  }
  const json::Value* states = machine.find("States");
  const json::Value* start_at = machine.find("StartAt");
  std::vector<std::string> missing;
  if (states == nullptr) missing.push_back("States");
  if (start_at == nullptr) missing.push_back("StartAt");
  if (!missing.empty()) {
    sink.SchemaAtMachine("These fields are required: " + BracketList(missing), location);
  }

  Language language = inherited;
  for (const auto& [key, value] : machine.members()) {
    if (!AllowedMachineField(key, kind)) {
      sink.SchemaAtMachine("Field '" + key + "' is not supported", location);
      continue;
    }
    Loc field_location(location, key);
    if (key == "StartAt" || key == "Comment" || key == "Version") {
      CheckStringField(sink, key, value, field_location);
      if (key == "StartAt" && value.is_string() && value.as_string().empty()) {
        sink.Schema("The field 'StartAt' should be a non-empty string", field_location);
      }
    } else if (key == "TimeoutSeconds") {
      CheckIntegerField(sink, key, value, field_location, Language::JsonPath, 0, 99999999);
    } else if (key == "QueryLanguage") {
      CheckEnumField(sink, key, value, field_location, {"JSONPath", "JSONata"});
      if (value.is_string() && value.as_string() == "JSONata") language = Language::Jsonata;
    } else if (key == "ProcessorConfig") {
      // Checked by the Map state, which knows the machine type and the field name used.
    }
  }
  if (kind == MachineKind::Top) sink.set_top_language(language);

  if (states == nullptr) return;
  Loc states_location(location, "States");
  if (!states->is_object()) {
    sink.Schema("The field 'States' should be an object", states_location);
    return;
  }
  if (states->size() == 0) {
    sink.Schema("Value cannot be empty", states_location);
  }
  Links links(*states);
  links.first.reserve(states->size());
  links.targets.reserve(states->size());
  for (const auto& [name, state] : states->members()) {
    links.BeginState();
    ValidateState(sink, name, state, Loc(states_location, name), language, &links);
  }
  const std::string* start_name =
      start_at != nullptr && start_at->is_string() ? &start_at->as_string() : nullptr;
  if (states->size() > 0) CheckGraph(sink, *states, start_name, location, links);
}

}  // namespace internal

namespace {

bool IsJsonSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

// Jackson's "[Source: (String)"..."; line: L, column: C]" for the text, truncated the way
// Jackson truncates long sources.
std::string JacksonSource(std::string_view text, size_t line, size_t column) {
  constexpr size_t kMaxSource = 500;
  std::string out = "[Source: (String)\"";
  if (text.size() > kMaxSource) {
    out.append(text.substr(0, kMaxSource));
    out += "\"[truncated " + std::to_string(text.size() - kMaxSource) + " chars]";
  } else {
    out.append(text);
    out += "\"";
  }
  out += "; line: " + std::to_string(line) + ", column: " + std::to_string(column) + "]";
  return out;
}

// The INVALID_JSON_DESCRIPTION diagnostic. For a bare word where a value should start (the
// common case: "not a definition"), the message is Jackson's; otherwise it is our parser's.
Diagnostic JsonSyntaxDiagnostic(std::string_view text, const Status& status) {
  size_t pos = 0;
  size_t line = 1;
  size_t line_start = 0;
  while (pos < text.size() && IsJsonSpace(text[pos])) {
    if (text[pos] == '\n') {
      ++line;
      line_start = pos + 1;
    }
    ++pos;
  }
  auto is_word_char = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  };
  if (pos < text.size() &&
      ((text[pos] >= 'a' && text[pos] <= 'z') || (text[pos] >= 'A' && text[pos] <= 'Z'))) {
    size_t end = pos;
    while (end < text.size() && is_word_char(text[end])) ++end;
    std::string token(text.substr(pos, end - pos));
    std::string source = JacksonSource(text, line, end - line_start + 1);
    std::string message = "Unrecognized token '" + token +
                          "': was expecting (JSON String, Number, Array, Object or token "
                          "'null', 'true' or 'false')\n at " +
                          source;
    return Diagnostic{"INVALID_JSON_DESCRIPTION", std::move(message), std::move(source),
                      std::string(kSeverityError)};
  }
  return Diagnostic{"INVALID_JSON_DESCRIPTION", status.message(), "", std::string(kSeverityError)};
}

}  // namespace

std::vector<Diagnostic> Validate(const json::Value& definition, MachineType type) {
  std::vector<Diagnostic> out;
  internal::Sink sink(type, &out);
  internal::Loc top;
  internal::ValidateMachine(sink, definition, top, internal::MachineKind::Top,
                            internal::Language::JsonPath);
  const json::Value* states = definition.is_object() ? definition.find("States") : nullptr;
  internal::NameTable seen(states != nullptr ? states->size() : 0);
  internal::CollectStateNames(definition, top, &seen, sink);
  return out;
}

namespace {

std::string UnescapePointerToken(std::string_view token) {
  std::string out;
  for (size_t i = 0; i < token.size(); ++i) {
    if (token[i] == '~' && i + 1 < token.size()) {
      out.push_back(token[i + 1] == '1' ? '/' : '~');
      ++i;
    } else {
      out.push_back(token[i]);
    }
  }
  return out;
}

// "/States/P/Branches/1/States/A" -> "/States/P/Branches[1]/States/A", the form of our
// diagnostics' locations.
std::string PointerToLocation(std::string_view pointer) {
  std::string out;
  size_t i = 0;
  while (i < pointer.size()) {
    size_t next = pointer.find('/', i + 1);
    std::string_view token = pointer.substr(
        i + 1, next == std::string_view::npos ? std::string_view::npos : next - i - 1);
    bool numeric =
        !token.empty() && token.find_first_not_of("0123456789") == std::string_view::npos;
    if (numeric && !out.empty()) {
      out += "[" + std::string(token) + "]";
    } else {
      out += "/" + UnescapePointerToken(token);
    }
    if (next == std::string_view::npos) break;
    i = next;
  }
  return out;
}

}  // namespace

std::vector<Diagnostic> ValidateText(std::string_view definition_text, MachineType type,
                                     const ValidateTextOptions& text_options) {
  size_t first = 0;
  while (first < definition_text.size() && IsJsonSpace(definition_text[first])) ++first;
  if (first == definition_text.size()) {
    return {Diagnostic{"SCHEMA_VALIDATION_FAILED", std::string(internal::kNotAnObject), "",
                       std::string(kSeverityError)}};
  }
  if (definition_text.size() > kMaxDefinitionBytes) {
    return {Diagnostic{
        "SCHEMA_VALIDATION_FAILED",
        "Definition exceeds the maximum size of " + std::to_string(kMaxDefinitionBytes) + " bytes",
        "", std::string(kSeverityError)}};
  }
  std::vector<std::string> repeated;
  json::ParseOptions options;
  options.repeated_keys = &repeated;
  options.padded = text_options.padded;
  Result<json::Value> parsed = json::Parse(definition_text, options);
  if (!parsed.ok()) return {JsonSyntaxDiagnostic(definition_text, parsed.status())};
  std::vector<Diagnostic> out = Validate(*parsed, type);
  // A state name given twice in one States object: the parser kept the last one, so only the
  // text shows it.
  for (const std::string& pointer : repeated) {
    size_t slash = pointer.rfind('/');
    std::string_view parent = std::string_view(pointer).substr(0, slash);
    if (!parent.ends_with("/States")) continue;
    std::string name = pointer.substr(slash + 1);
    out.push_back(Diagnostic{"DUPLICATE_STATE_NAME",
                             "Duplicate State name: " + UnescapePointerToken(name),
                             PointerToLocation(pointer), std::string(kSeverityError)});
  }
  if (text_options.document != nullptr) *text_options.document = *std::move(parsed);
  return out;
}

bool HasErrors(const std::vector<Diagnostic>& diagnostics) {
  for (const Diagnostic& d : diagnostics) {
    if (d.severity == kSeverityError) return true;
  }
  return false;
}

std::string InvalidDefinitionMessage(const std::vector<Diagnostic>& diagnostics) {
  std::string out = "Invalid State Machine Definition: '";
  bool first = true;
  for (const Diagnostic& d : diagnostics) {
    if (d.severity != kSeverityError) continue;
    if (!first) out += ", ";
    first = false;
    out += d.code;
    out += ": ";
    out += d.message;
    out += " at ";
    out += d.location.empty() ? std::string_view("null") : std::string_view(d.location);
  }
  out += "'";
  return out;
}

}  // namespace stepfn::asl
