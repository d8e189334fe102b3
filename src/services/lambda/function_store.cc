#include "services/lambda/function_store.h"

#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "api/aws_json.h"
#include "json/parse.h"
#include "json/write.h"

namespace stepfn::lambda {
namespace {

namespace fs = std::filesystem;

Status Errno(std::string_view what, const std::string& path) {
  return Unavailable(std::string(what) + " " + path + ": " + std::strerror(errno));
}

Status WriteAll(int fd, std::string_view data, const std::string& path) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Errno("cannot write", path);
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

Status SyncDir(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("cannot open", dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) return Errno("cannot sync", dir);
  return Status::Ok();
}

// Writes `data` to `path` atomically: a temporary file beside it, fsync, rename, fsync of the
// directory.
Status WriteFileAtomically(const std::string& path, std::string_view data, bool sync) {
  std::string temp = path + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Errno("cannot create", temp);
  Status status = WriteAll(fd, data, temp);
  if (status.ok() && sync && ::fsync(fd) != 0) status = Errno("cannot sync", temp);
  ::close(fd);
  if (status.ok() && ::rename(temp.c_str(), path.c_str()) != 0) {
    status = Errno("cannot rename", temp);
  }
  if (!status.ok()) {
    ::unlink(temp.c_str());
    return status;
  }
  if (sync) return SyncDir(fs::path(path).parent_path().string());
  return Status::Ok();
}

json::Value StringMap(const std::map<std::string, std::string>& map) {
  json::ObjectBuilder out;
  for (const auto& [key, value] : map) out.Append(key, json::Value::String(value));
  return std::move(out).Build();
}

std::string GetString(const json::Value& object, std::string_view key, std::string fallback = "") {
  const json::Value* value = object.find(key);
  return value != nullptr && value->is_string() ? value->as_string() : fallback;
}

int64_t GetInt(const json::Value& object, std::string_view key, int64_t fallback) {
  const json::Value* value = object.find(key);
  return value != nullptr && value->is_int() ? value->as_int() : fallback;
}

std::map<std::string, std::string> GetStringMap(const json::Value& object, std::string_view key) {
  std::map<std::string, std::string> out;
  const json::Value* value = object.find(key);
  if (value == nullptr || !value->is_object()) return out;
  for (const auto& [name, item] : value->members()) {
    if (item.is_string()) out[name] = item.as_string();
  }
  return out;
}

json::Value VersionToJson(const VersionRecord& v) {
  json::ObjectBuilder out;
  out.Append("version", json::Value::String(v.version));
  out.Append("runtime", json::Value::String(v.runtime));
  out.Append("handler", json::Value::String(v.handler));
  out.Append("role", json::Value::String(v.role));
  out.Append("description", json::Value::String(v.description));
  out.Append("timeout", json::Value::Int(v.timeout));
  out.Append("memory_size", json::Value::Int(v.memory_size));
  out.Append("ephemeral_storage", json::Value::Int(v.ephemeral_storage));
  out.Append("environment", StringMap(v.environment));
  out.Append("architecture", json::Value::String(v.architecture));
  out.Append("tracing_mode", json::Value::String(v.tracing_mode));
  out.Append("log_format", json::Value::String(v.log_format));
  out.Append("log_group", json::Value::String(v.log_group));
  json::ObjectBuilder code;
  code.Append("kind", json::Value::String(v.code.kind == CodeRef::Kind::Zip ? "zip" : "folder"));
  code.Append("sha256", json::Value::String(v.code.sha256));
  code.Append("size", json::Value::Int(v.code.size));
  code.Append("location", json::Value::String(v.code.location));
  out.Append("code", std::move(code).Build());
  out.Append("last_modified", json::Value::String(v.last_modified));
  out.Append("revision_id", json::Value::String(v.revision_id));
  return std::move(out).Build();
}

Result<VersionRecord> VersionFromJson(const json::Value& value) {
  if (!value.is_object()) return Internal("a version is not an object");
  VersionRecord v;
  v.version = GetString(value, "version", "$LATEST");
  v.runtime = GetString(value, "runtime");
  v.handler = GetString(value, "handler");
  v.role = GetString(value, "role");
  v.description = GetString(value, "description");
  v.timeout = static_cast<int>(GetInt(value, "timeout", 3));
  v.memory_size = static_cast<int>(GetInt(value, "memory_size", 128));
  v.ephemeral_storage = static_cast<int>(GetInt(value, "ephemeral_storage", 512));
  v.environment = GetStringMap(value, "environment");
  v.architecture = GetString(value, "architecture", "x86_64");
  v.tracing_mode = GetString(value, "tracing_mode", "PassThrough");
  v.log_format = GetString(value, "log_format", "Text");
  v.log_group = GetString(value, "log_group");
  const json::Value* code = value.find("code");
  if (code == nullptr || !code->is_object()) return Internal("a version has no code");
  v.code.kind = GetString(*code, "kind") == "folder" ? CodeRef::Kind::Folder : CodeRef::Kind::Zip;
  v.code.sha256 = GetString(*code, "sha256");
  v.code.size = GetInt(*code, "size", 0);
  v.code.location = GetString(*code, "location");
  v.last_modified = GetString(value, "last_modified");
  v.revision_id = GetString(value, "revision_id");
  return v;
}

std::string FunctionPath(const std::string& dir, const std::string& name) {
  return dir + "/functions/" + name + ".json";
}

}  // namespace

std::string NewRevisionId() { return api::NewRequestId(); }

std::string LambdaTimestampNow() {
  auto now = std::chrono::system_clock::now();
  auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t seconds = static_cast<std::time_t>(millis / 1000);
  std::tm tm;
  gmtime_r(&seconds, &tm);
  char buffer[64];
  std::snprintf(buffer, sizeof(buffer), "%04d-%02d-%02dT%02d:%02d:%02d.%03d+0000",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                static_cast<int>(millis % 1000));
  return buffer;
}

json::Value FunctionToJson(const FunctionRecord& function) {
  json::ObjectBuilder out;
  out.Append("format", json::Value::Int(1));
  out.Append("name", json::Value::String(function.name));
  out.Append("latest", VersionToJson(function.latest));
  std::vector<json::Value> versions;
  for (const auto& [number, version] : function.versions)
    versions.push_back(VersionToJson(version));
  out.Append("versions", json::Value::Array(std::move(versions)));
  out.Append("last_version", json::Value::Int(function.last_version));
  std::vector<json::Value> aliases;
  for (const auto& [name, alias] : function.aliases) {
    json::ObjectBuilder a;
    a.Append("name", json::Value::String(alias.name));
    a.Append("function_version", json::Value::String(alias.function_version));
    a.Append("description", json::Value::String(alias.description));
    json::ObjectBuilder weights;
    for (const auto& [version, weight] : alias.additional_version_weights) {
      weights.Append(version, json::Value::Double(weight));
    }
    a.Append("additional_version_weights", std::move(weights).Build());
    a.Append("revision_id", json::Value::String(alias.revision_id));
    aliases.push_back(std::move(a).Build());
  }
  out.Append("aliases", json::Value::Array(std::move(aliases)));
  if (function.reserved_concurrency) {
    out.Append("reserved_concurrency", json::Value::Int(*function.reserved_concurrency));
  }
  out.Append("tags", StringMap(function.tags));
  if (!function.policies.empty()) {
    json::ObjectBuilder policies;
    for (const auto& [qualifier, policy] : function.policies) {
      json::ObjectBuilder p;
      p.Append("statements", json::Value::Array(policy.statements));
      p.Append("revision_id", json::Value::String(policy.revision_id));
      policies.Append(qualifier, std::move(p).Build());
    }
    out.Append("policies", std::move(policies).Build());
  }
  if (!function.event_invoke_configs.empty()) {
    json::ObjectBuilder configs;
    for (const auto& [qualifier, record] : function.event_invoke_configs) {
      json::ObjectBuilder c;
      c.Append("max_retry_attempts", json::Value::Int(record.config.max_retry_attempts));
      c.Append("max_event_age_seconds", json::Value::Int(record.config.max_event_age_seconds));
      c.Append("on_success", json::Value::String(record.config.on_success));
      c.Append("on_failure", json::Value::String(record.config.on_failure));
      c.Append("last_modified", json::Value::Double(record.last_modified));
      configs.Append(qualifier, std::move(c).Build());
    }
    out.Append("event_invoke_configs", std::move(configs).Build());
  }
  return std::move(out).Build();
}

Result<FunctionRecord> FunctionFromJson(const json::Value& value) {
  if (!value.is_object()) return Internal("a function is not an object");
  FunctionRecord function;
  function.name = GetString(value, "name");
  if (function.name.empty()) return Internal("a function has no name");
  const json::Value* latest = value.find("latest");
  if (latest == nullptr) return Internal("a function has no $LATEST");
  ASSIGN_OR_RETURN(function.latest, VersionFromJson(*latest));
  if (const json::Value* versions = value.find("versions"); versions && versions->is_array()) {
    for (const json::Value& item : versions->items()) {
      ASSIGN_OR_RETURN(VersionRecord version, VersionFromJson(item));
      int number = std::atoi(version.version.c_str());
      if (number <= 0) return Internal("a published version has no number");
      function.versions[number] = std::move(version);
    }
  }
  function.last_version = static_cast<int>(GetInt(value, "last_version", 0));
  if (const json::Value* aliases = value.find("aliases"); aliases && aliases->is_array()) {
    for (const json::Value& item : aliases->items()) {
      if (!item.is_object()) return Internal("an alias is not an object");
      AliasRecord alias;
      alias.name = GetString(item, "name");
      alias.function_version = GetString(item, "function_version");
      alias.description = GetString(item, "description");
      alias.revision_id = GetString(item, "revision_id");
      if (const json::Value* w = item.find("additional_version_weights"); w && w->is_object()) {
        for (const auto& [version, weight] : w->members()) {
          if (weight.is_number()) alias.additional_version_weights[version] = weight.as_double();
        }
      }
      function.aliases[alias.name] = std::move(alias);
    }
  }
  if (const json::Value* reserved = value.find("reserved_concurrency");
      reserved && reserved->is_int()) {
    function.reserved_concurrency = static_cast<int>(reserved->as_int());
  }
  function.tags = GetStringMap(value, "tags");
  if (const json::Value* policies = value.find("policies"); policies && policies->is_object()) {
    for (const auto& [qualifier, item] : policies->members()) {
      const json::Value* statements = item.find("statements");
      if (statements == nullptr || !statements->is_array()) {
        return Internal("a resource policy has no statements");
      }
      PolicyRecord policy;
      policy.statements.assign(statements->items().begin(), statements->items().end());
      policy.revision_id = GetString(item, "revision_id");
      function.policies[qualifier] = std::move(policy);
    }
  }
  if (const json::Value* configs = value.find("event_invoke_configs");
      configs && configs->is_object()) {
    for (const auto& [qualifier, item] : configs->members()) {
      if (!item.is_object()) return Internal("an event invoke configuration is not an object");
      EventInvokeConfigRecord record;
      record.config.max_retry_attempts = static_cast<int>(GetInt(item, "max_retry_attempts", 2));
      record.config.max_event_age_seconds =
          static_cast<int>(GetInt(item, "max_event_age_seconds", 21'600));
      record.config.on_success = GetString(item, "on_success");
      record.config.on_failure = GetString(item, "on_failure");
      if (const json::Value* at = item.find("last_modified"); at && at->is_number()) {
        record.last_modified = at->as_double();
      }
      function.event_invoke_configs[qualifier] = std::move(record);
    }
  }
  return function;
}

FunctionStore::FunctionStore(FunctionStoreOptions options) : options_(std::move(options)) {}

FunctionStore::~FunctionStore() {
  if (temporary_ && !dir_.empty()) {
    std::error_code ignored;
    fs::remove_all(dir_, ignored);
  }
}

Result<std::unique_ptr<FunctionStore>> FunctionStore::Open(FunctionStoreOptions options) {
  std::unique_ptr<FunctionStore> store(new FunctionStore(std::move(options)));
  if (store->options_.dir.empty()) {
    std::string pattern = (fs::temp_directory_path() / "stepfn-lambda-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) return Errno("cannot create", pattern);
    store->dir_ = pattern;
    store->temporary_ = true;
  } else {
    std::error_code ec;
    store->dir_ = fs::absolute(store->options_.dir, ec).lexically_normal().string();
    if (ec) return Unavailable("cannot use " + store->options_.dir + ": " + ec.message());
    while (store->dir_.size() > 1 && store->dir_.back() == '/') store->dir_.pop_back();
  }
  for (const char* sub : {"", "/functions", "/code"}) {
    std::error_code ec;
    fs::create_directories(store->dir_ + sub, ec);
    if (ec) return Unavailable("cannot create " + store->dir_ + sub + ": " + ec.message());
  }
  RETURN_IF_ERROR(store->Load());
  return store;
}

Status FunctionStore::Load() {
  std::error_code ec;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir_ + "/functions", ec)) {
    const fs::path& path = entry.path();
    if (path.extension() != ".json") {
      if (path.extension() == ".tmp") fs::remove(path, ec);  // an interrupted write
      continue;
    }
    std::ifstream in(path, std::ios::binary);
    std::stringstream text;
    text << in.rdbuf();
    if (!in.good() && !in.eof()) return Unavailable("cannot read " + path.string());
    auto parsed = json::Parse(text.str());
    if (!parsed.ok()) return Internal(path.string() + ": " + parsed.status().message());
    auto function = FunctionFromJson(*parsed);
    if (!function.ok()) return Internal(path.string() + ": " + function.status().message());
    function->latest.revision = ++revision_;
    for (auto& [number, version] : function->versions) version.revision = ++revision_;
    functions_[function->name] = std::move(function).value();
  }
  if (ec) return Unavailable("cannot list " + dir_ + "/functions: " + ec.message());
  // What an interrupted AddZip left: nothing else runs yet.
  for (const fs::directory_entry& entry : fs::directory_iterator(dir_ + "/code", ec)) {
    std::string leaf = entry.path().filename().string();
    if (leaf.starts_with(".unpack-") || leaf.ends_with(".tmp")) fs::remove_all(entry.path(), ec);
  }
  std::lock_guard lock(mu_);
  CollectCode();
  return Status::Ok();
}

Status FunctionStore::Write(const FunctionRecord& function) {
  return WriteFileAtomically(FunctionPath(dir_, function.name),
                             json::Write(FunctionToJson(function)), options_.fsync);
}

Result<CodeRef> FunctionStore::AddZip(std::string_view zip) {
  CodeRef code;
  code.kind = CodeRef::Kind::Zip;
  code.sha256 = Sha256Base64(zip);
  code.size = static_cast<int64_t>(zip.size());
  code.location = Sha256HexOf(zip);
  std::string final_dir = dir_ + "/code/" + code.location;
  std::lock_guard code_lock(code_mu_);
  {
    std::lock_guard lock(mu_);
    ++pinned_[code.location];
  }
  std::error_code ec;
  // The package itself is kept beside what it unpacks to: GetFunction's Code.Location names it,
  // so the code can be fetched back as it was sent (its bytes match CodeSha256).
  std::string package = final_dir + ".zip";
  if (fs::is_directory(final_dir, ec)) {
    Status kept =
        fs::exists(package, ec) ? Status::Ok() : WriteFileAtomically(package, zip, options_.fsync);
    if (!kept.ok()) {
      Unpin(code);
      return kept;
    }
    return code;
  }
  std::string temp = dir_ + "/code/.unpack-XXXXXX";
  if (::mkdtemp(temp.data()) == nullptr) return Errno("cannot create", temp);
  auto unpacked = UnpackZip(zip, temp, options_.unpack);
  Status status = unpacked.status();
  if (status.ok() &&
      (::chmod(temp.c_str(), 0755) != 0 || ::rename(temp.c_str(), final_dir.c_str()) != 0)) {
    status = Errno("cannot move the package into", final_dir);
  }
  if (status.ok() && options_.fsync) status = SyncDir(dir_ + "/code");
  if (status.ok()) status = WriteFileAtomically(package, zip, options_.fsync);
  if (!status.ok()) {
    fs::remove_all(temp, ec);
    Unpin(code);
    return status;
  }
  return code;
}

void FunctionStore::Unpin(const CodeRef& code) {
  if (code.kind != CodeRef::Kind::Zip) return;
  std::lock_guard lock(mu_);
  auto it = pinned_.find(code.location);
  if (it == pinned_.end()) return;
  if (--it->second > 0) return;
  pinned_.erase(it);
  CollectCode();
}

Result<CodeRef> FunctionStore::AddFolder(const std::string& path) {
  if (path.empty() || path.front() != '/') {
    return InvalidArgument("the code folder must be an absolute path, not '" + path + "'");
  }
  std::error_code ec;
  if (!fs::is_directory(path, ec)) {
    return InvalidArgument("the code folder " + path + " is not a directory");
  }
  CodeRef code;
  code.kind = CodeRef::Kind::Folder;
  code.location = fs::path(path).lexically_normal().string();
  while (code.location.size() > 1 && code.location.back() == '/') code.location.pop_back();
  code.sha256 = Sha256Base64(code.location);
  code.size = 0;
  return code;
}

std::string FunctionStore::CodeDir(const CodeRef& code) const {
  return code.kind == CodeRef::Kind::Folder ? code.location : dir_ + "/code/" + code.location;
}

std::string FunctionStore::PackagePath(const CodeRef& code) const {
  if (code.kind != CodeRef::Kind::Zip) return "";
  std::string path = dir_ + "/code/" + code.location + ".zip";
  std::error_code ec;
  return fs::exists(path, ec) ? path : "";
}

Status FunctionStore::Create(FunctionRecord function) {
  std::lock_guard lock(mu_);
  if (functions_.count(function.name) != 0) {
    return AlreadyExists("Function already exist: " + function.name);
  }
  function.latest.revision = ++revision_;
  RETURN_IF_ERROR(Write(function));
  functions_[function.name] = std::move(function);
  return Status::Ok();
}

Result<FunctionRecord> FunctionStore::Get(const std::string& name) const {
  std::lock_guard lock(mu_);
  auto it = functions_.find(name);
  if (it == functions_.end()) return NotFound(name);
  return it->second;
}

std::vector<FunctionRecord> FunctionStore::List() const {
  std::lock_guard lock(mu_);
  std::vector<FunctionRecord> out;
  out.reserve(functions_.size());
  for (const auto& [name, function] : functions_) out.push_back(function);
  return out;
}

Result<FunctionRecord> FunctionStore::Update(const std::string& name,
                                             const std::function<Status(FunctionRecord*)>& change) {
  std::lock_guard lock(mu_);
  auto it = functions_.find(name);
  if (it == functions_.end()) return NotFound(name);
  FunctionRecord updated = it->second;
  RETURN_IF_ERROR(change(&updated));
  RETURN_IF_ERROR(Write(updated));
  bool code_changed = updated.latest.code.location != it->second.latest.code.location ||
                      updated.versions.size() < it->second.versions.size();
  it->second = updated;
  if (code_changed) CollectCode();
  return updated;
}

Status FunctionStore::Delete(const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = functions_.find(name);
  if (it == functions_.end()) return NotFound(name);
  std::string path = FunctionPath(dir_, name);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) return Errno("cannot remove", path);
  if (options_.fsync) RETURN_IF_ERROR(SyncDir(dir_ + "/functions"));
  functions_.erase(it);
  CollectCode();
  return Status::Ok();
}

uint64_t FunctionStore::NextRevision() { return ++revision_; }

void FunctionStore::CollectCode() {
  std::set<std::string> used;
  for (const auto& [location, pins] : pinned_) used.insert(location);
  for (const auto& [name, function] : functions_) {
    if (function.latest.code.kind == CodeRef::Kind::Zip) used.insert(function.latest.code.location);
    for (const auto& [number, version] : function.versions) {
      if (version.code.kind == CodeRef::Kind::Zip) used.insert(version.code.location);
    }
  }
  std::error_code ec;
  std::vector<fs::path> unused;
  for (const fs::directory_entry& entry : fs::directory_iterator(dir_ + "/code", ec)) {
    std::string leaf = entry.path().filename().string();
    // An unpacking or a package write in progress (AddZip holds code_mu_, not mu_) is skipped:
    // its names start with ".unpack-" or end with ".tmp". Load removes what a crash left.
    if (leaf.starts_with(".unpack-") || leaf.ends_with(".tmp")) continue;
    if (leaf.ends_with(".zip")) leaf.resize(leaf.size() - 4);  // the package of code/<hex>/
    if (used.count(leaf) == 0) unused.push_back(entry.path());
  }
  for (const fs::path& path : unused) fs::remove_all(path, ec);
}

}  // namespace stepfn::lambda
