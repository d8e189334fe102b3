#include "server/program_cache.h"

#include "engine/local_runner.h"
#include "json/parse.h"

namespace stepfn::server {

Result<std::shared_ptr<const asl::Program>> ProgramCache::Get(const std::string& definition,
                                                              asl::MachineType type) {
  Programs& programs = type == asl::MachineType::Express ? express_ : standard_;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = programs.find(std::string_view(definition));
    if (it != programs.end()) return it->second;
  }
  ASSIGN_OR_RETURN(json::Value doc, json::Parse(definition));
  ASSIGN_OR_RETURN(std::shared_ptr<const asl::Program> program,
                   engine::CompileDefinition(doc, type));
  std::lock_guard<std::mutex> lock(mu_);
  return programs.emplace(definition, std::move(program)).first->second;
}

size_t ProgramCache::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return standard_.size() + express_.size();
}

}  // namespace stepfn::server
