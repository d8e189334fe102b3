// MachineSettings: what execution logs and traces need to know of a state machine (its
// loggingConfiguration and tracingConfiguration, as CreateStateMachine stored them, and its
// role), read from the store and cached per state machine name.
//
// The executor's observers ask once per commit, so the cache keeps each answer for `ttl`
// (5 s by default) and the API layer calls InvalidateAll after every successful
// Create/Update/DeleteStateMachine, so that a change made through this server applies to the
// next execution at once (AWS applies such changes "eventually"; the TTL bounds how long a
// change made by another writer of the store takes).
//
// Thread safety: every method may be called from any thread.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "store/store.h"

namespace stepfn::server {

enum class ExecutionLogLevel { Off, All, Error, Fatal };

struct MachineSettings {
  ExecutionLogLevel log_level = ExecutionLogLevel::Off;
  bool include_execution_data = false;
  std::string log_group_arn;  // "arn:aws:logs:us-east-1:123456789012:log-group:NAME:*"
  std::string log_group;      // NAME ("" when the ARN names none)
  bool tracing = false;       // tracingConfiguration.enabled
  std::string role_arn;

  // From a stored record (unparseable JSON reads as the defaults: logging OFF, tracing off).
  static MachineSettings From(const store::StateMachineRecord& record);
};

// The log group name of "arn:aws:logs:REGION:ACCOUNT:log-group:NAME" with or without ":*";
// "" when `arn` is not a log group ARN.
std::string LogGroupNameFromArn(std::string_view arn);

// The state machine ARN of an execution ARN (STANDARD or EXPRESS); "" when it is not one.
std::string StateMachineArnOfExecution(std::string_view execution_arn);

class MachineSettingsCache {
 public:
  explicit MachineSettingsCache(store::Store* store, int64_t ttl_millis = 5000)
      : store_(store), ttl_nanos_(ttl_millis * 1'000'000) {}

  // The settings of the state machine that runs `execution_arn` (defaults when it is gone or
  // the store fails). `machine_arn`, when the caller knows it, is that machine's (unqualified)
  // ARN; otherwise it is worked out from the execution's.
  std::shared_ptr<const MachineSettings> ForExecution(std::string_view execution_arn,
                                                      std::string_view machine_arn = {});
  void InvalidateAll();

 private:
  struct Entry {
    std::shared_ptr<const MachineSettings> settings;
    int64_t fetched = 0;  // MonotonicNanos
  };
  store::Store* const store_;
  const int64_t ttl_nanos_;
  std::mutex mu_;
  std::unordered_map<std::string, Entry> cache_;  // by state machine ARN; guarded by mu_
  uint64_t generation_ = 0;                       // InvalidateAll calls; guarded by mu_
};

}  // namespace stepfn::server
