// Reading files and documents for the command line, with errors that name the file.
#pragma once

#include <string>

#include "common/status.h"
#include "json/value.h"

namespace stepfn::cli {

// Reads a whole file ("-" is standard input); refuses files larger than max_bytes without
// reading them. The text comes with json::kParsePadding zero bytes of spare capacity after its
// end, so that it can be parsed without a copy while it is not copied (moves keep it):
// HasParsePadding tells.
Result<std::string> ReadFile(const std::string& path, size_t max_bytes);

// True when `text` has at least json::kParsePadding bytes of capacity after its end (set for
// json::ParseOptions::padded).
bool HasParsePadding(const std::string& text);

// Reads and parses a JSON file ("-" is standard input).
Result<json::Value> ReadJsonFile(const std::string& path, size_t max_bytes);

}  // namespace stepfn::cli
