// The compiled state machine: an immutable program built once from a definition and shared by
// every execution (and every thread) that runs it. Paths, payload templates, intrinsic calls
// and Choice rules are compiled here, never re-parsed while running.
//
// States are addressed by index inside their Body (a state machine, a Parallel branch or a Map
// item processor); transitions are indices, resolved at compile time.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "common/status.h"
#include "expr/choice_rule.h"
#include "expr/intrinsic.h"
#include "expr/payload_template.h"
#include "json/json_path.h"
#include "json/value.h"

namespace stepfn::asl {

enum class StateType { Pass, Task, Choice, Wait, Succeed, Fail, Parallel, Map };
std::string_view StateTypeName(StateType t);

// A path field that may also be JSON null ("InputPath": null means {}; "ResultPath": null
// discards the result; "OutputPath": null means {}).
struct OptionalPath {
  enum class Kind { Absent, Null, Path } kind = Kind::Absent;
  std::optional<json::Path> path;
  // The two most common paths, recognised once here rather than on every state entered: "$"
  // alone (root_only), and "$.name", one member of the input (single_member, named `member`).
  bool root_only = false;
  bool single_member = false;
  std::string member;
};

// A number given as a literal or read from a path at run time (TimeoutSecondsPath, ...).
struct NumberOrPath {
  std::optional<double> literal;
  std::optional<json::Path> path;
  bool present() const { return literal.has_value() || path.has_value(); }
};

struct Retrier {
  std::vector<std::string> error_equals;
  double interval_seconds = 1;
  int max_attempts = 3;
  double backoff_rate = 2.0;
  std::optional<double> max_delay_seconds;
  bool jitter_full = false;
};

struct Catcher {
  std::vector<std::string> error_equals;
  OptionalPath result_path;  // absent: "$"
  int next = -1;
};

struct ChoiceBranch {
  expr::ChoiceRule rule;
  int next = -1;
};

struct Body;

// "arn:aws:states:::lambda:invoke" -> ("lambda", "invoke"); "arn:aws:states:::aws-sdk:s3:getObject"
// -> ("s3", "getObject"); other ARNs -> (their service, the whole ARN).
void SplitResourceArn(const std::string& arn, std::string* type, std::string* resource);

// A Lambda function ARN (arn:<partition>:lambda:<region>:<account>:function:<name>[:<qualifier>]).
bool IsLambdaFunctionArn(std::string_view resource);

// What a Task's Resource names, decided once at compile time (the history's event types differ).
enum class TaskKind : uint8_t {
  Service,         // an integration (arn:aws:states:::...) or anything else: Task* events
  Activity,        // arn:aws:states:<region>:<account>:activity:<name>: Activity* events
  LambdaFunction,  // a Lambda function ARN: LambdaFunction* events
};

struct State {
  std::string name;
  json::Value name_value;  // the name as a shared string, for history events
  StateType type = StateType::Pass;
  int next = -1;  // index in the enclosing Body; -1 with end == true ends the body
  bool end = false;
  bool uses_context = false;  // the state's fields mention "$$": build the context object

  OptionalPath input_path;
  OptionalPath output_path;
  OptionalPath result_path;
  std::optional<expr::PayloadTemplate> parameters;  // Parameters / Map ItemSelector
  std::optional<expr::PayloadTemplate> result_selector;
  std::optional<json::Value> result;  // Pass Result

  std::vector<Retrier> retry;
  std::vector<Catcher> catches;

  // Task
  std::string resource;
  json::Value resource_names;  // [type, name] from SplitResourceArn, shared with history events
  TaskKind task_kind = TaskKind::Service;
  bool waits_for_token = false;  // Resource ends with ".waitForTaskToken"
  NumberOrPath timeout_seconds;
  NumberOrPath heartbeat_seconds;

  // Choice
  std::vector<ChoiceBranch> choices;
  int default_next = -1;

  // Wait
  std::optional<double> seconds;
  std::optional<json::Path> seconds_path;
  std::optional<std::string> timestamp;
  std::optional<json::Path> timestamp_path;

  // Fail
  std::optional<std::string> error;
  std::optional<std::string> cause;
  std::optional<json::Path> error_path;
  std::optional<json::Path> cause_path;
  expr::IntrinsicPtr error_call;  // ErrorPath / CausePath given as an intrinsic call
  expr::IntrinsicPtr cause_call;

  // Parallel
  std::vector<std::shared_ptr<const Body>> branches;

  // Map
  std::shared_ptr<const Body> processor;
  std::optional<json::Path> items_path;
  std::optional<json::Value> items_literal;  // Map "Items" (array literal)
  NumberOrPath max_concurrency;
  NumberOrPath tolerated_failure_count;
  NumberOrPath tolerated_failure_percentage;
  bool distributed = false;
  std::string map_label;
};

struct Body {
  std::vector<State> states;
  int start = 0;
  std::unordered_map<std::string, int> index;
};

class Program {
 public:
  // Compiles a definition. REQUIRES nothing of it: problems give InvalidArgument naming the
  // field (the validator, asl/validate.h, reports them all with AWS's wording first).
  static Result<std::shared_ptr<const Program>> Compile(const json::Value& definition);

  const Body& root() const { return *root_; }
  const json::Value& definition() const { return definition_; }
  std::optional<double> timeout_seconds() const { return timeout_seconds_; }
  // True when some state reads the context object ($$): only then do executions need their
  // names and ARNs spelled out.
  bool uses_context() const { return uses_context_; }

  // Every Body (the root, each Parallel branch, each Map processor) numbered once at Compile,
  // depth-first in definition order: 0 is the root, a state's branches (or processor) come
  // right after the body holding it. The same definition always gives the same numbers, so
  // persisted execution states name bodies by them (eval/state_codec.h).
  int body_count() const { return static_cast<int>(bodies_.size()); }
  int BodyId(const Body* body) const;  // -1: not a body of this program
  const Body* BodyById(int id) const;  // nullptr: out of range
  // A hash of the program's shape (its bodies in number order, their states' names and types):
  // tells whether a persisted execution state was made by a program of this shape.
  uint64_t shape_hash() const { return shape_hash_; }

 private:
  Program() = default;
  std::shared_ptr<const Body> root_;
  std::vector<const Body*> bodies_;
  std::unordered_map<const Body*, int> body_ids_;
  uint64_t shape_hash_ = 0;
  json::Value definition_;
  std::optional<double> timeout_seconds_;
  bool uses_context_ = false;
};

}  // namespace stepfn::asl
