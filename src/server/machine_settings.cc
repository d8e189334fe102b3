#include "server/machine_settings.h"

#include "common/clock.h"
#include "json/parse.h"
#include "server/arn.h"

namespace stepfn::server {

MachineSettings MachineSettings::From(const store::StateMachineRecord& record) {
  MachineSettings s;
  s.role_arn = record.role_arn;
  if (!record.logging_configuration.empty()) {
    auto logging = json::Parse(record.logging_configuration);
    if (logging.ok() && logging->is_object()) {
      const json::Value* level = logging->find("level");
      std::string_view text = level != nullptr && level->is_string()
                                  ? std::string_view(level->as_string())
                                  : std::string_view();
      s.log_level = text == "ALL"     ? ExecutionLogLevel::All
                    : text == "ERROR" ? ExecutionLogLevel::Error
                    : text == "FATAL" ? ExecutionLogLevel::Fatal
                                      : ExecutionLogLevel::Off;
      const json::Value* data = logging->find("includeExecutionData");
      s.include_execution_data = data != nullptr && data->is_bool() && data->as_bool();
      const json::Value* destinations = logging->find("destinations");
      const json::Value* first =
          destinations != nullptr && destinations->is_array() ? destinations->at(0) : nullptr;
      const json::Value* group =
          first != nullptr && first->is_object() ? first->find("cloudWatchLogsLogGroup") : nullptr;
      const json::Value* arn =
          group != nullptr && group->is_object() ? group->find("logGroupArn") : nullptr;
      if (arn != nullptr && arn->is_string()) {
        s.log_group_arn = arn->as_string();
        s.log_group = LogGroupNameFromArn(s.log_group_arn);
      }
      if (s.log_group.empty()) s.log_level = ExecutionLogLevel::Off;
    }
  }
  if (!record.tracing_configuration.empty()) {
    auto tracing = json::Parse(record.tracing_configuration);
    if (tracing.ok() && tracing->is_object()) {
      const json::Value* enabled = tracing->find("enabled");
      s.tracing = enabled != nullptr && enabled->is_bool() && enabled->as_bool();
    }
  }
  return s;
}

std::string LogGroupNameFromArn(std::string_view arn) {
  constexpr std::string_view kMarker = ":log-group:";
  if (!arn.starts_with("arn:")) return "";
  size_t at = arn.find(kMarker);
  if (at == std::string_view::npos) return "";
  std::string_view name = arn.substr(at + kMarker.size());
  if (name.ends_with(":*")) name.remove_suffix(2);
  // Log group names have no ':'; anything after one is not the name.
  name = name.substr(0, name.find(':'));
  return std::string(name);
}

std::string StateMachineArnOfExecution(std::string_view execution_arn) {
  Result<Arn> arn = ParseArn(execution_arn);
  if (!arn.ok() || (arn->kind != ArnKind::Execution && arn->kind != ArnKind::ExpressExecution)) {
    return "";
  }
  return "arn:" + arn->partition + ":states:" + arn->region + ":" + arn->account +
         ":stateMachine:" + arn->state_machine;
}

std::shared_ptr<const MachineSettings> MachineSettingsCache::ForExecution(
    std::string_view execution_arn, std::string_view known_machine_arn) {
  static const auto kDefaults = std::make_shared<const MachineSettings>();
  std::string machine_arn = known_machine_arn.empty() ? StateMachineArnOfExecution(execution_arn)
                                                      : std::string(known_machine_arn);
  if (machine_arn.empty()) return kDefaults;
  int64_t now = MonotonicNanos();
  uint64_t generation = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = cache_.find(machine_arn);
    if (it != cache_.end() && now - it->second.fetched < ttl_nanos_) return it->second.settings;
    generation = generation_;
  }
  // Read outside the lock: a slow read must not hold up other executions' commits.
  Result<store::StateMachineRecord> record = store_->GetStateMachine(machine_arn);
  std::shared_ptr<const MachineSettings> settings =
      record.ok() ? std::make_shared<const MachineSettings>(MachineSettings::From(*record))
                  : kDefaults;
  std::lock_guard<std::mutex> lock(mu_);
  // Invalidated while we read: what we read may be older than the change; do not keep it.
  if (generation != generation_) return settings;
  // A bound on memory: state machines come and go; forget them all now and then.
  if (cache_.size() >= 10'000) cache_.clear();
  cache_[machine_arn] = {settings, now};
  return settings;
}

void MachineSettingsCache::InvalidateAll() {
  std::lock_guard<std::mutex> lock(mu_);
  cache_.clear();
  ++generation_;
}

}  // namespace stepfn::server
