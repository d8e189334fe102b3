// Reading files and documents for the command line, with errors that name the file.
#pragma once

#include <string>

#include "common/status.h"
#include "json/value.h"

namespace stepfn::cli {

// Reads a whole file; refuses files larger than max_bytes without reading them.
Result<std::string> ReadFile(const std::string& path, size_t max_bytes);

// Reads and parses a JSON file ("-" is standard input).
Result<json::Value> ReadJsonFile(const std::string& path, size_t max_bytes);

}  // namespace stepfn::cli
