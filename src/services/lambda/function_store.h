// FunctionStore: Lambda functions, their published versions, aliases and reserved concurrency,
// durable in a directory, and their code unpacked on disk.
//
// Layout under the store's directory (`<data-dir>/lambda/`, or a temporary directory):
//   functions/<name>.json   one file per function: $LATEST, every published version, aliases,
//                           reserved concurrency, tags, resource policies, event invoke
//                           configurations (written atomically: temp
//                           file, fsync, rename, fsync of the directory)
//   code/<sha256 hex>/      a zip package unpacked, shared by every version with that code and
//                           removed when no version refers to it any more
//   code/<sha256 hex>.zip   the package as it was sent (GetFunction's Code.Location), kept and
//                           removed with its directory
// A function whose code is a local folder (the stepfn extension, see README.md) refers to the
// folder in place: nothing is copied, so edits show up on the next cold start.
//
// The store keeps every function in memory as well (a function is small); reads never touch the
// disk. Validation of requests is the API's business (operations.cc): the store checks only what
// needs its lock (existence, conflicts, revision ids).
//
// Thread safety: every method may be called from any thread, at once.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "common/status.h"
#include "json/value.h"
#include "services/lambda/async_invocations.h"
#include "services/lambda/function_config.h"
#include "services/lambda/package.h"

namespace stepfn::lambda {

// The code of a version.
struct CodeRef {
  enum class Kind { Zip, Folder };
  Kind kind = Kind::Zip;
  std::string sha256;  // base64, as CodeSha256 (for a folder: of its path; see README.md)
  int64_t size = 0;    // the zip's bytes (CodeSize); 0 for a folder
  // Zip: the hex digest naming code/<hex>/. Folder: the folder's absolute path.
  std::string location;
};

// One version's configuration: $LATEST (mutable) or a published version (a snapshot).
struct VersionRecord {
  std::string version = "$LATEST";
  std::string runtime;
  std::string handler;
  std::string role;
  std::string description;
  int timeout = 3;
  int memory_size = 128;
  int ephemeral_storage = 512;
  std::map<std::string, std::string> environment;
  std::string architecture = "x86_64";
  std::string tracing_mode = "PassThrough";
  std::string log_format = "Text";
  std::string log_group;  // "" means /aws/lambda/<name>
  CodeRef code;
  std::string last_modified;  // "2024-01-01T00:00:00.000+0000"
  std::string revision_id;    // a UUID, new on every change
  // Process-local: bumped on every change, so execution environments of an older revision are
  // retired (FunctionConfig::revision). Not persisted.
  uint64_t revision = 0;
};

struct AliasRecord {
  std::string name;
  std::string function_version;
  std::string description;
  std::map<std::string, double> additional_version_weights;
  std::string revision_id;
};

// A resource-based policy (AddPermission): its statements in the order added, each an IAM
// statement object as GetPolicy shows it. Kept and reported; stepfn does not enforce it.
struct PolicyRecord {
  std::vector<json::Value> statements;
  std::string revision_id;
};

// How invocations of type Event are retried and where their records go (async_invocations.h).
struct EventInvokeConfigRecord {
  EventInvokeConfig config;
  double last_modified = 0;  // epoch seconds, as the API answers it
};

struct FunctionRecord {
  std::string name;
  VersionRecord latest;
  std::map<int, VersionRecord> versions;  // published, by number
  int last_version = 0;                   // the highest number ever published
  std::map<std::string, AliasRecord> aliases;
  std::optional<int> reserved_concurrency;
  std::map<std::string, std::string> tags;
  // By qualifier: "" for the unqualified function, else a version number or an alias.
  std::map<std::string, PolicyRecord> policies;
  // PutFunctionEventInvokeConfig, by qualifier as `policies` ("" also for $LATEST).
  std::map<std::string, EventInvokeConfigRecord> event_invoke_configs;
};

struct FunctionStoreOptions {
  // Where the store lives; created when missing. "" makes a temporary directory removed when
  // the store is destroyed (`stepfn serve --in-memory`).
  std::string dir;
  bool fsync = true;
  UnpackLimits unpack;
};

class FunctionStore {
 public:
  // Opens (and creates) the directory and loads every function. Unavailable when the directory
  // cannot be used; Internal when a function file is corrupt.
  static Result<std::unique_ptr<FunctionStore>> Open(FunctionStoreOptions options);
  ~FunctionStore();

  FunctionStore(const FunctionStore&) = delete;
  FunctionStore& operator=(const FunctionStore&) = delete;

  const std::string& dir() const { return dir_; }

  // Unpacks a zip package (already base64-decoded) into code/<sha256>/ (once per content).
  // Errors as UnpackZip's. The code is pinned (kept even while no version refers to it) until
  // Unpin: call it once the version that uses it is stored (or was refused).
  Result<CodeRef> AddZip(std::string_view zip);
  void Unpin(const CodeRef& code);
  // A local folder used in place. InvalidArgument when it is not an absolute path to a
  // directory.
  Result<CodeRef> AddFolder(const std::string& path);
  // The directory a version's code is in (LAMBDA_TASK_ROOT).
  std::string CodeDir(const CodeRef& code) const;
  // The package a zip version's code came from, as it was sent; "" for a folder, or for code
  // stored before packages were kept.
  std::string PackagePath(const CodeRef& code) const;

  // A new function (revision ids and revision set here). AlreadyExists when the name is taken.
  Status Create(FunctionRecord function);
  // A copy of the function, or NotFound.
  Result<FunctionRecord> Get(const std::string& name) const;
  // Every function, by name.
  std::vector<FunctionRecord> List() const;
  // Changes a function under the store's lock: `change` edits the record (or fails, leaving it
  // unchanged); the result is written and returned. `change` must set revision ids itself
  // (NewRevisionId) and may call NextRevision. NotFound when the function does not exist.
  Result<FunctionRecord> Update(const std::string& name,
                                const std::function<Status(FunctionRecord*)>& change);
  // Removes the function (and code nobody uses any more). NotFound when it does not exist.
  Status Delete(const std::string& name);

  // A fresh process-local revision number (VersionRecord::revision). Lock-free: may be called
  // from Update's `change`.
  uint64_t NextRevision();

 private:
  explicit FunctionStore(FunctionStoreOptions options);
  Status Load();
  Status Write(const FunctionRecord& function);
  // Removes code/<hex>/ directories no version refers to. REQUIRES: mu_ held.
  void CollectCode();

  FunctionStoreOptions options_;
  std::string dir_;
  bool temporary_ = false;

  mutable std::mutex mu_;
  std::map<std::string, FunctionRecord> functions_;  // guarded by mu_
  std::atomic<uint64_t> revision_{0};
  std::map<std::string, int> pinned_;  // guarded by mu_; code/<hex> -> pins
  std::mutex code_mu_;                 // serialises AddZip's unpacking
};

// A new RevisionId (a random UUID).
std::string NewRevisionId();
// "2024-01-01T00:00:00.000+0000" for now (Lambda's LastModified format).
std::string LambdaTimestampNow();

// The function's record as stored (and back). Exposed for tests.
json::Value FunctionToJson(const FunctionRecord& function);
Result<FunctionRecord> FunctionFromJson(const json::Value& value);

}  // namespace stepfn::lambda
