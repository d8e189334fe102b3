// Parsing JSON text into a Value (simdjson underneath: full validation, UTF-8 included).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "json/value.h"

namespace stepfn::json {

struct ParseOptions {
  // Deepest nesting of arrays/objects accepted. Deeper documents are refused with a clear error
  // rather than risking the stack.
  size_t max_depth = 1000;
  // When set, receives the JSON Pointer (RFC 6901) of every key that repeats an earlier key of
  // the same object ("/States/A"). The value kept is the last one, as without this option.
  std::vector<std::string>* repeated_keys = nullptr;
};

// Parses one JSON document. On failure the Status (InvalidArgument) says what is wrong and
// where: "invalid JSON at line 3, column 14 (byte 52): unterminated string".
Result<Value> Parse(std::string_view text, const ParseOptions& options = {});

}  // namespace stepfn::json
