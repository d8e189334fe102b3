#include "services/models/service_models.h"

#include <zlib.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <vector>

#include "json/parse.h"

namespace stepfn::models {
namespace {

namespace fs = std::filesystem;

bool IsDir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

// The subfolders of `dir` whose names start with `prefix`, sorted (newest Python last).
std::vector<fs::path> Subdirs(const fs::path& dir, std::string_view prefix) {
  std::vector<fs::path> out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().filename().string().starts_with(prefix) && IsDir(it->path())) {
      out.push_back(it->path());
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

// Reads a model file, gzipped or plain (zlib's reader passes uncompressed files through).
bool ReadModelFile(const fs::path& path, std::string* out) {
  gzFile file = gzopen(path.c_str(), "rb");
  if (file == nullptr) return false;
  char buffer[64 * 1024];
  int n;
  while ((n = gzread(file, buffer, sizeof buffer)) > 0) out->append(buffer, static_cast<size_t>(n));
  bool ok = n == 0;
  gzclose(file);
  return ok;
}

}  // namespace

std::string FindBotocoreData() {
  if (const char* env = std::getenv("STEPFN_BOTOCORE_DATA"); env != nullptr && *env != '\0') {
    return IsDir(env) ? std::string(env) : std::string();
  }
  // Debian's first: setup installs it, so every machine reads the same models and gives the
  // same answers; then pip's, newest Python first.
  std::vector<fs::path> candidates = {"/usr/lib/python3/dist-packages/botocore/data"};
  auto python_dirs = [&](const fs::path& lib, std::string_view packages) {
    std::vector<fs::path> versions = Subdirs(lib, "python3");
    for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
      candidates.push_back(*it / packages / "botocore" / "data");
    }
  };
  // pyenv's root ($PYENV_ROOT, else ~/.pyenv): every installed version, newest first.
  std::string home = std::getenv("HOME") != nullptr ? std::getenv("HOME") : "";
  const char* pyenv = std::getenv("PYENV_ROOT");
  fs::path pyenv_root = pyenv != nullptr ? fs::path(pyenv) : fs::path(home) / ".pyenv";
  std::vector<fs::path> versions = Subdirs(pyenv_root / "versions", "");
  for (auto it = versions.rbegin(); it != versions.rend(); ++it) {
    python_dirs(*it / "lib", "site-packages");
  }
  if (!home.empty()) python_dirs(fs::path(home) / ".local" / "lib", "site-packages");
  python_dirs("/usr/local/lib", "dist-packages");
  python_dirs("/usr/local/lib", "site-packages");
  for (const fs::path& c : candidates) {
    if (IsDir(c)) return c.string();
  }
  return "";
}

ServiceModels::ServiceModels(std::string data_dir) : data_dir_(std::move(data_dir)) {}

ServiceModels& ServiceModels::Default() {
  static ServiceModels* models = new ServiceModels(FindBotocoreData());
  return *models;
}

std::shared_ptr<const json::Value> ServiceModels::Model(const std::string& service) {
  std::lock_guard<std::mutex> lock(mu_);
  if (auto it = loaded_.find(service); it != loaded_.end()) return it->second;
  std::shared_ptr<const json::Value> model;
  // A service name is one path segment of lower-case letters, digits and dashes.
  bool plain = !service.empty() && std::all_of(service.begin(), service.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
  if (plain && !data_dir_.empty()) {
    std::vector<fs::path> versions = Subdirs(fs::path(data_dir_) / service, "");
    for (auto it = versions.rbegin(); it != versions.rend() && model == nullptr; ++it) {
      for (const char* name : {"service-2.json.gz", "service-2.json"}) {
        std::string text;
        if (model != nullptr || !ReadModelFile(*it / name, &text)) continue;
        auto parsed = json::Parse(text);
        if (parsed.ok() && parsed->is_object()) {
          model = std::make_shared<const json::Value>(std::move(parsed).value());
        }
      }
    }
  }
  loaded_.emplace(service, model);
  return model;
}

}  // namespace stepfn::models
