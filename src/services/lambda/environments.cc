#include "services/lambda/environments.h"

#include <utility>

namespace stepfn::lambda {

// A stub until the worker processes land: every invocation fails as a service error.
class Environments::Impl {};

Result<std::unique_ptr<Environments>> Environments::Start(EnvironmentsOptions options) {
  if (options.work_dir.empty()) {
    return InvalidArgument("Environments: work_dir is empty");
  }
  return std::unique_ptr<Environments>(new Environments(std::make_unique<Impl>()));
}

Environments::Environments(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Environments::~Environments() { Stop(); }

void Environments::Invoke(std::shared_ptr<const FunctionConfig> config, InvokeRequest request,
                          InvokeDone done) {
  (void)config;
  (void)request;
  done(InvokeError{500, "ServiceException", "Lambda execution environments are not built yet", ""});
}

void Environments::Retire(const std::string& function_arn, const std::string& version) {
  (void)function_arn;
  (void)version;
}

void Environments::Stop() {}

Environments::Stats Environments::stats() const { return {}; }

}  // namespace stepfn::lambda
