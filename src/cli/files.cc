#include "cli/files.h"

#include <sys/stat.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <iterator>
#include <sstream>

#include "json/parse.h"

namespace stepfn::cli {

Result<std::string> ReadFile(const std::string& path, size_t max_bytes) {
  if (path == "-") {
    std::string text;
    char buf[65536];
    size_t n;
    while ((n = std::fread(buf, 1, sizeof buf, stdin)) > 0) {
      text.append(buf, n);
      if (text.size() > max_bytes) {
        return OutOfRange("standard input is larger than " + std::to_string(max_bytes) + " bytes");
      }
    }
    return text;
  }
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return NotFound(path + ": no such file");
  if (S_ISDIR(st.st_mode)) return InvalidArgument(path + ": is a directory");
  if (static_cast<size_t>(st.st_size) > max_bytes) {
    return OutOfRange(path + ": " + std::to_string(st.st_size) +
                      " bytes is larger than the limit of " + std::to_string(max_bytes) + " bytes");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound(path + ": cannot be read");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

Result<json::Value> ReadJsonFile(const std::string& path, size_t max_bytes) {
  ASSIGN_OR_RETURN(std::string text, ReadFile(path, max_bytes));
  auto v = json::Parse(text);
  if (!v.ok()) return v.status().WithPrefix(path);
  return v;
}

}  // namespace stepfn::cli
