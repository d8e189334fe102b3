// ARNs of Step Functions resources, as AWS spells them, and the resource-name rules.
//
//   state machine   arn:aws:states:<region>:<account>:stateMachine:<name>
//   version         arn:aws:states:<region>:<account>:stateMachine:<name>:<number>
//   alias           arn:aws:states:<region>:<account>:stateMachine:<name>:<alias>
//   execution       arn:aws:states:<region>:<account>:execution:<machine>:<name>
//   express exec.   arn:aws:states:<region>:<account>:express:<machine>:<name>:<uuid>
//   activity        arn:aws:states:<region>:<account>:activity:<name>
//   map run         arn:aws:states:<region>:<account>:mapRun:<machine>/<label>:<uuid>
//
// Thread safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace stepfn::server {

enum class ArnKind : uint8_t {
  StateMachine,
  StateMachineVersion,
  StateMachineAlias,
  Execution,
  ExpressExecution,
  Activity,
  MapRun,
};

struct Arn {
  ArnKind kind = ArnKind::StateMachine;
  std::string partition;  // "aws"
  std::string region;
  std::string account;
  std::string state_machine;  // the machine's name (state machines, versions, aliases, executions)
  std::string qualifier;      // a version's number or an alias's name
  int64_t version = 0;        // versions: the number
  std::string execution;      // executions: the name; map runs: "<label>:<uuid>"
  std::string activity;       // activities: the name
  std::string uuid;           // express executions, map runs
};

// Parses any Step Functions ARN above. InvalidArgument (with the reason) for anything else.
Result<Arn> ParseArn(std::string_view text);

// Builds ARNs for one region and account.
class Arns {
 public:
  Arns(std::string region, std::string account);
  const std::string& region() const { return region_; }
  const std::string& account() const { return account_; }

  std::string StateMachine(std::string_view name) const;
  std::string Version(std::string_view state_machine_arn, int64_t number) const;
  std::string Alias(std::string_view state_machine_arn, std::string_view alias) const;
  std::string Execution(std::string_view machine, std::string_view name) const;
  std::string ExpressExecution(std::string_view machine, std::string_view name,
                               std::string_view uuid) const;
  std::string Activity(std::string_view name) const;
  std::string MapRun(std::string_view machine, std::string_view label, std::string_view uuid) const;

 private:
  std::string prefix_;  // "arn:aws:states:<region>:<account>:"
  std::string region_;
  std::string account_;
};

// The unqualified state machine ARN of a state machine, version or alias ARN.
std::string UnqualifiedStateMachineArn(const Arn& arn);

// AWS's rule for names of state machines, executions, activities and aliases: 1 to 80
// characters; no whitespace, brackets (< > { } [ ]), wildcards (? *), special characters
// (" # % \ ^ | ~ ` $ & , ; : /) or control characters (U+0000-001F, U+007F-009F).
bool IsValidName(std::string_view name, size_t max_length = 80);

}  // namespace stepfn::server
