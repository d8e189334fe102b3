// Parsing JSON text into a Value (simdjson underneath: full validation, UTF-8 included).
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "json/value.h"

namespace stepfn::json {

// Readable bytes after the text that ParseOptions::padded promises (simdjson's padding).
inline constexpr size_t kParsePadding = 64;

struct ParseOptions {
  // Deepest nesting of arrays/objects accepted. Deeper documents are refused with a clear error
  // rather than risking the stack.
  size_t max_depth = 1000;
  // When set, receives the JSON Pointer (RFC 6901) of every key that repeats an earlier key of
  // the same object ("/States/A"). The value kept is the last one, as without this option.
  std::vector<std::string>* repeated_keys = nullptr;
  // True when text.data() is followed by at least kParsePadding readable bytes (e.g. the spare
  // capacity of a std::string): the text is then parsed in place instead of copied into a
  // padded buffer. Their contents do not matter.
  bool padded = false;
};

// Parses one JSON document. On failure the Status (InvalidArgument) says what is wrong and
// where: "invalid JSON at line 3, column 14 (byte 52): unterminated string".
Result<Value> Parse(std::string_view text, const ParseOptions& options = {});

}  // namespace stepfn::json
