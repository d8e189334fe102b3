// Shared between the validator's files (validate.cc, validate_states.cc, validate_fields.cc).
// Not part of the asl API.
#pragma once

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "asl/validate.h"
#include "json/value.h"

namespace stepfn::asl::internal {

enum class Language { JsonPath, Jsonata };

// Where a nested state machine sits: the top level, a Parallel branch, or a Map processor.
enum class MachineKind { Top, Branch, Processor };

// A location in the definition ("/States/X/Catch[0]/Next"), made into text only when a
// diagnostic needs it. A Loc is one step below its parent: a field ("/Next") or an index
// ("[0]"). The parent must outlive it: Locs live on the stack of the functions that walk the
// definition, each naming the part it is checking, and the names are views into the document
// (or literals). The top level is the empty location "".
class Loc {
 public:
  Loc() = default;  // the top level
  Loc(const Loc& parent, std::string_view field) : parent_(&parent), field_(field) {}
  // parent + "[index]"
  static Loc Index(const Loc& parent, size_t index) {
    Loc out;
    out.parent_ = &parent;
    out.index_ = index;
    out.is_index_ = true;
    return out;
  }

  bool is_top() const { return parent_ == nullptr; }
  // "" for the top level, else "/States/X/Next".
  std::string str() const {
    std::string out;
    AppendTo(&out);
    return out;
  }

 private:
  void AppendTo(std::string* out) const {
    if (parent_ == nullptr) return;
    parent_->AppendTo(out);
    if (is_index_) {
      out->push_back('[');
      out->append(std::to_string(index_));
      out->push_back(']');
    } else {
      out->push_back('/');
      out->append(field_);
    }
  }

  const Loc* parent_ = nullptr;
  std::string_view field_;
  size_t index_ = 0;
  bool is_index_ = false;
};

// Collects diagnostics; one per validation run.
class Sink {
 public:
  Sink(MachineType type, std::vector<Diagnostic>* out) : type_(type), out_(out) {}

  MachineType type() const { return type_; }
  Language top_language() const { return top_language_; }
  void set_top_language(Language language) { top_language_ = language; }

  void Add(std::string_view code, std::string message, std::string location,
           std::string_view severity = kSeverityError) {
    out_->push_back(Diagnostic{std::string(code), std::move(message), std::move(location),
                               std::string(severity)});
  }
  void Add(std::string_view code, std::string message, const Loc& location) {
    Add(code, std::move(message), location.str());
  }
  // SCHEMA_VALIDATION_FAILED at `location`.
  void Schema(std::string message, const Loc& location) {
    Add("SCHEMA_VALIDATION_FAILED", std::move(message), location.str());
  }
  // SCHEMA_VALIDATION_FAILED at a machine: "/" for the top level.
  void SchemaAtMachine(std::string message, const Loc& machine) {
    Add("SCHEMA_VALIDATION_FAILED", std::move(message),
        machine.is_top() ? std::string("/") : machine.str());
  }

 private:
  MachineType type_;
  Language top_language_ = Language::JsonPath;
  std::vector<Diagnostic>* out_;
};

// Names (views into the document) to numbers: open addressing over one array, so that filling
// and probing it allocate nothing but the array. Used for the state names of a whole definition
// (to find repeats across nested machines; one machine's names are its States object's keys).
class NameTable {
 public:
  static constexpr uint32_t kAbsent = UINT32_MAX;

  explicit NameTable(size_t expected) {
    size_t capacity = 16;
    while (capacity < 2 * expected) capacity *= 2;
    slots_.resize(capacity);
    mask_ = capacity - 1;
  }
  // Adds `name` with `value` and returns kAbsent; when the name is there already, returns its
  // value and changes nothing.
  uint32_t Insert(std::string_view name, uint32_t value) {
    if (2 * (size_ + 1) > slots_.size()) Grow();
    Slot& slot = slots_[Probe(name)];
    if (slot.value != kAbsent) return slot.value;
    slot.name = name;
    slot.value = value;
    ++size_;
    return kAbsent;
  }
  // The value of `name`, or kAbsent.
  uint32_t Find(std::string_view name) const { return slots_[Probe(name)].value; }

 private:
  struct Slot {
    std::string_view name;
    uint32_t value = kAbsent;
  };
  // The slot that holds `name`, or the empty slot where it would go.
  size_t Probe(std::string_view name) const {
    size_t i = std::hash<std::string_view>()(name) & mask_;
    while (slots_[i].value != kAbsent && slots_[i].name != name) i = (i + 1) & mask_;
    return i;
  }
  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.size() * 2, Slot{});
    mask_ = slots_.size() - 1;
    for (const Slot& slot : old) {
      if (slot.value != kAbsent) slots_[Probe(slot.name)] = slot;
    }
  }
  std::vector<Slot> slots_;
  size_t mask_ = 0;
  size_t size_ = 0;
};

// The transitions of one machine's states, for the graph checks. Targets are resolved to state
// positions as they are recorded (the machine's state names are known before its states are
// checked); a target that names no state keeps its text and location for the
// MISSING_TRANSITION_TARGET diagnostic, which is the only time a location is made into text.
struct Links {
  // `machine_states`: the machine's States object (its key index finds the positions).
  explicit Links(const json::Value& machine_states) : states(&machine_states) {}

  // The position of the state named `name`, or NameTable::kAbsent.
  uint32_t Position(std::string_view name) const {
    size_t k = states->IndexOf(name);
    return k < states->size() ? static_cast<uint32_t>(k) : NameTable::kAbsent;
  }

  // The transitions recorded next leave the next state.
  void BeginState() { first.push_back(static_cast<uint32_t>(targets.size())); }
  void Add(const std::string& target, const Loc& location) {
    uint32_t k = Position(target);
    if (k == NameTable::kAbsent) {
      missing.push_back(Missing{target, location.str()});
    } else {
      targets.push_back(k);
    }
  }

  struct Missing {
    std::string target;
    std::string location;
  };
  const json::Value* states;
  std::vector<uint32_t> targets;  // the positions of the states' targets, state after state
  std::vector<uint32_t> first;    // where each state's targets begin in `targets`
  std::vector<Missing> missing;   // targets that name no state, in the order written
  bool any_terminal = false;
};

// "[A, B]"
std::string BracketList(std::initializer_list<std::string_view> names);
std::string BracketList(const std::vector<std::string>& names);

// validate.cc: a (nested) state machine at `location` (Loc() for the top level).
void ValidateMachine(Sink& sink, const json::Value& machine, const Loc& location, MachineKind kind,
                     Language inherited);

// validate_states.cc: one state; fills `links` for the graph checks.
void ValidateState(Sink& sink, const std::string& name, const json::Value& state,
                   const Loc& location, Language inherited, Links* links);

// validate_fields.cc: field-level checks shared by the state types.
void CheckRetry(Sink& sink, const json::Value& retry, const Loc& location);
void CheckCatch(Sink& sink, const json::Value& catchers, const Loc& location, Language language,
                Links* links);
void CheckChoices(Sink& sink, const json::Value& choices, const Loc& location, Language language,
                  Links* links);
// A payload template (Parameters, ResultSelector, ItemSelector, Assign in JSONPath): every
// "key.$" value must be a path or an intrinsic call. Diagnostics are reported at `location`.
void CheckPayloadTemplate(Sink& sink, const json::Value& tmpl, const Loc& location);
// A JSONPath-valued field (InputPath, SecondsPath, ...). `nullable` allows JSON null.
void CheckPathField(Sink& sink, std::string_view field, const json::Value& value,
                    const Loc& location, bool reference, bool nullable);
// A path or an intrinsic call (Fail's ErrorPath/CausePath).
void CheckPathOrIntrinsicField(Sink& sink, std::string_view field, const json::Value& value,
                               const Loc& location);
// Integer fields: value (or a JSONata expression when `language` is JSONata) within [min, max].
void CheckIntegerField(Sink& sink, std::string_view field, const json::Value& value,
                       const Loc& location, Language language, int64_t min, int64_t max);
void CheckNumberField(Sink& sink, std::string_view field, const json::Value& value,
                      const Loc& location, Language language, double min, double max);
// A string field (a JSONata expression is a string too).
void CheckStringField(Sink& sink, std::string_view field, const json::Value& value,
                      const Loc& location);
void CheckBoolField(Sink& sink, std::string_view field, const json::Value& value,
                    const Loc& location);
void CheckObjectField(Sink& sink, std::string_view field, const json::Value& value,
                      const Loc& location);
// One of `allowed`.
void CheckEnumField(Sink& sink, std::string_view field, const json::Value& value,
                    const Loc& location, std::initializer_list<std::string_view> allowed);
// A JSONata-capable value: anything, but strings that start with "{%" must end with "%}".
void CheckJsonataValue(Sink& sink, std::string_view field, const json::Value& value,
                       const Loc& location);

}  // namespace stepfn::asl::internal
