// Serialising a Value to JSON text. Output is UTF-8; control characters, '"' and '\\' are
// escaped; other characters are written as they are. Integers are written exactly; doubles in
// the shortest form that reads back to the same double.
#pragma once

#include <string>

#include "json/value.h"

namespace stepfn::json {

// Appends compact JSON (no spaces) to *out.
void WriteTo(const Value& v, std::string* out);
std::string Write(const Value& v);
// Two-space indented JSON, for people.
std::string WritePretty(const Value& v);
// Appends a JSON string literal (with quotes) for s.
void WriteString(std::string_view s, std::string* out);
// Appends a double as JSON.
void WriteDouble(double d, std::string* out);

}  // namespace stepfn::json
