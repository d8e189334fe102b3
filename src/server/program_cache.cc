#include "server/program_cache.h"

#include "engine/local_runner.h"
#include "json/parse.h"

namespace stepfn::server {

Result<std::shared_ptr<const asl::Program>> ProgramCache::Get(const std::string& definition,
                                                              asl::MachineType type) {
  std::string key;
  key.reserve(definition.size() + 1);
  key.push_back(type == asl::MachineType::Express ? 'E' : 'S');
  key.append(definition);
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = programs_.find(key);
    if (it != programs_.end()) return it->second;
  }
  ASSIGN_OR_RETURN(json::Value doc, json::Parse(definition));
  ASSIGN_OR_RETURN(std::shared_ptr<const asl::Program> program,
                   engine::CompileDefinition(doc, type));
  std::lock_guard<std::mutex> lock(mu_);
  return programs_.emplace(std::move(key), std::move(program)).first->second;
}

size_t ProgramCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return programs_.size();
}

}  // namespace stepfn::server
