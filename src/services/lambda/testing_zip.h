// Test-only: builds zip packages in memory with libzip (files with modes, symbolic links,
// directories, any names), and temporary directories removed at the end of a test.
#pragma once

#include <stdlib.h>
#include <sys/stat.h>
#include <zip.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "common/status.h"

namespace stepfn::lambda::testing {

struct ZipEntry {
  std::string name;
  std::string content;
  unsigned mode = 0100644;  // S_IFREG | 0644; S_IFLNK | 0777 for a link (content = target)
};

inline std::string MakeZip(const std::vector<ZipEntry>& entries) {
  std::string pattern = (std::filesystem::temp_directory_path() / "stepfn-zip-XXXXXX").string();
  STEPFN_CHECK(::mkdtemp(pattern.data()) != nullptr);
  std::string path = pattern + "/package.zip";
  int error = 0;
  zip_t* archive = zip_open(path.c_str(), ZIP_CREATE | ZIP_TRUNCATE, &error);
  STEPFN_CHECK(archive != nullptr);
  for (const ZipEntry& entry : entries) {
    zip_int64_t index;
    if (!entry.name.empty() && entry.name.back() == '/') {
      index = zip_dir_add(archive, entry.name.c_str(), ZIP_FL_ENC_UTF_8);
    } else {
      zip_source_t* source =
          zip_source_buffer(archive, entry.content.data(), entry.content.size(), 0);
      STEPFN_CHECK(source != nullptr);
      index =
          zip_file_add(archive, entry.name.c_str(), source, ZIP_FL_ENC_UTF_8 | ZIP_FL_OVERWRITE);
    }
    STEPFN_CHECK(index >= 0);
    STEPFN_CHECK(zip_file_set_external_attributes(
                     archive, static_cast<zip_uint64_t>(index), 0, ZIP_OPSYS_UNIX,
                     static_cast<zip_uint32_t>(entry.mode) << 16) == 0);
  }
  STEPFN_CHECK(zip_close(archive) == 0);
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  std::filesystem::remove_all(pattern);
  return bytes.str();
}

// A fresh temporary directory, removed when this goes out of scope.
class TempDir {
 public:
  TempDir() {
    std::string pattern =
        (std::filesystem::temp_directory_path() / "stepfn-lambda-test-XXXXXX").string();
    STEPFN_CHECK(::mkdtemp(pattern.data()) != nullptr);
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ignored;
    std::filesystem::remove_all(path_, ignored);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

}  // namespace stepfn::lambda::testing
