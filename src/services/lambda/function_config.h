// FunctionConfig: everything an execution environment needs to run one version of a function.
// The Lambda service (function store, API) builds it; the execution environments
// (environments.h) run it. Immutable once built and shared (std::shared_ptr<const ...>): a new
// version or new code is a new FunctionConfig.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>

namespace stepfn::lambda {

struct FunctionConfig {
  std::string name;         // "my-function"
  std::string arn;          // unqualified: arn:aws:lambda:<region>:<account>:function:<name>
  std::string version;      // "$LATEST", "1", ...
  std::string runtime;      // "python3.12", "nodejs20.x", "provided.al2023", ...
  std::string handler;      // "app.handler" (ignored by provided runtimes)
  std::string code_dir;     // the unpacked code (LAMBDA_TASK_ROOT); read-only for workers
  std::string code_sha256;  // base64 SHA-256 of the deployment package
  int timeout_seconds = 3;  // 1..900
  int memory_mb = 128;      // 128..10240
  std::map<std::string, std::string> environment;  // Environment.Variables
  std::optional<int> reserved_concurrency;         // PutFunctionConcurrency
  std::string region = "us-east-1";
  std::string account = "123456789012";
  // Changes whenever the code or configuration of this version changes ($LATEST after
  // UpdateFunctionCode/Configuration): environments of an older revision are retired.
  uint64_t revision = 0;
};

}  // namespace stepfn::lambda
