#include "services/task_service.h"

namespace stepfn::services {

void TaskService::Cancel(const std::string& /*execution_arn*/, uint64_t /*task_id*/) {}

void TaskServices::Add(std::unique_ptr<TaskService> service) {
  services_.push_back(service.get());
  owned_.push_back(std::move(service));
}

void TaskServices::AddBorrowed(TaskService* service) { services_.push_back(service); }

TaskService* TaskServices::Find(std::string_view resource) const {
  for (TaskService* s : services_) {
    if (s->Handles(resource)) return s;
  }
  return nullptr;
}

std::string_view BaseResource(std::string_view resource, std::string_view* pattern) {
  static constexpr std::string_view kSuffixes[] = {".waitForTaskToken", ".sync:2", ".sync"};
  for (std::string_view suffix : kSuffixes) {
    if (resource.ends_with(suffix)) {
      if (pattern != nullptr) *pattern = suffix.substr(1);
      return resource.substr(0, resource.size() - suffix.size());
    }
  }
  if (pattern != nullptr) *pattern = {};
  return resource;
}

}  // namespace stepfn::services
