// The ASL definition validator: what CreateStateMachine, UpdateStateMachine and
// ValidateStateMachineDefinition check before a definition is accepted.
//
// Validate reports every problem at once, each as a diagnostic in the shape that AWS's
// ValidateStateMachineDefinition returns: a code (SCHEMA_VALIDATION_FAILED,
// MISSING_TRANSITION_TARGET, MISSING_END_STATE, INVALID_JSON_DESCRIPTION, ...), a message, a
// location (a JSON-pointer-like path such as "/States/P/Branches[0]/States/X/Next"; empty when
// AWS gives none) and a severity ("ERROR" or "WARNING"). A definition is accepted when no
// diagnostic has severity ERROR.
//
// What is checked: required, unknown and mistyped fields of the machine, of every state type and
// of their parts (Retry, Catch, Choice rules, Map's ItemProcessor/ItemReader/ItemBatcher/
// ResultWriter/ProcessorConfig, Credentials); transitions (Next targets exist, Next xor End,
// reachability, a terminal state); JSONPath paths, payload templates and intrinsic calls;
// Wait timestamps; mutually exclusive fields; QueryLanguage (JSONPath vs JSONata fields, no
// downgrade below a JSONata machine); EXPRESS restrictions; Parallel branches and Map processors
// recursively. JSONata expressions are recognised ("{% ... %}") but not compiled here.
//
// The order of diagnostics follows the document (depth first), then transition checks per
// machine scope. The functions are pure and thread-safe; cost is linear in the definition size.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "json/value.h"

namespace stepfn::asl {

enum class MachineType { Standard, Express };

struct Diagnostic {
  std::string code;      // e.g. "SCHEMA_VALIDATION_FAILED"
  std::string message;   // e.g. "These fields are required: [States]"
  std::string location;  // e.g. "/States/X/Next"; empty when AWS reports none
  std::string severity;  // "ERROR" or "WARNING"

  friend bool operator==(const Diagnostic&, const Diagnostic&) = default;
};

inline constexpr std::string_view kSeverityError = "ERROR";
inline constexpr std::string_view kSeverityWarning = "WARNING";

// The largest definition AWS accepts, in bytes of JSON text.
inline constexpr size_t kMaxDefinitionBytes = 1048576;

// Validates a parsed definition. A definition that is not a JSON object gives one diagnostic
// ("Definition must be a valid JSON object").
std::vector<Diagnostic> Validate(const json::Value& definition, MachineType type);

struct ValidateTextOptions {
  // When not null and the text parses, receives the parsed definition (a caller that is about
  // to exit can keep it rather than pay for freeing it).
  json::Value* document = nullptr;
  // The text is followed by json::kParsePadding readable bytes: parsed without a copy (see
  // json::ParseOptions::padded).
  bool padded = false;
};

// Parses and validates definition text: JSON syntax errors (INVALID_JSON_DESCRIPTION, worded
// as AWS's Jackson parser words them where we can), empty text, the 1 MB size limit, then
// Validate.
std::vector<Diagnostic> ValidateText(std::string_view definition_text, MachineType type,
                                     const ValidateTextOptions& options = {});

// True when no diagnostic is an ERROR.
bool HasErrors(const std::vector<Diagnostic>& diagnostics);

// The message of CreateStateMachine's InvalidDefinition error for these diagnostics (warnings
// are left out): "Invalid State Machine Definition: 'CODE: message at location, CODE: message
// at location'". A diagnostic without a location reads "at null", as AWS writes it.
std::string InvalidDefinitionMessage(const std::vector<Diagnostic>& diagnostics);

}  // namespace stepfn::asl
