// Fuzzes JSONPath: Path::Compile on arbitrary text, then Evaluate on a fixed document, and for
// reference paths Assign followed by Evaluate, which must read back the assigned value.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "json/json_path.h"
#include "json/parse.h"
#include "json/value.h"
#include "json/write.h"

namespace {

using stepfn::StatusCode;
using stepfn::json::Path;
using stepfn::json::Value;

constexpr std::string_view kDocument = R"({
  "store": {
    "book": [
      {"category": "reference", "author": "Nigel Rees", "title": "Sayings", "price": 8.95},
      {"category": "fiction", "author": "Evelyn Waugh", "title": "Sword", "price": 12,
       "tags": ["a", "b"], "isbn": null},
      {"category": "fiction", "title": "Moby Dick", "isbn": "0-553-21311-3", "price": 8.99,
       "ok": true}
    ],
    "bicycle": {"color": "red", "price": 19.95, "a b": {"a.b": [1, [2, [3]]]}}
  },
  "expensive": 10, "s": "text", "n": null, "e": [], "o": {}, "": {"": 0}
})";

const Value& Document() {
  static const Value doc = *stepfn::json::Parse(kDocument);
  return doc;
}

[[noreturn]] void Die(const char* what, std::string_view path, const std::string& detail) {
  std::fprintf(stderr, "%s\n  path: %.*s\n  %s\n", what, static_cast<int>(path.size()), path.data(),
               detail.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto path = Path::Compile(text);
  if (!path.ok()) {
    if (path.status().code() != StatusCode::InvalidArgument) {
      Die("compile failed with the wrong code", text, path.status().ToString());
    }
    return 0;
  }
  if (path->text() != text) Die("text() differs from the source", text, path->text());
  const Value& doc = Document();
  auto result = path->Evaluate(doc);
  if (result.ok()) {
    if (!path->is_definite() && !result->is_array()) {
      Die("indefinite path gave a non-array", text, stepfn::json::Write(*result));
    }
    stepfn::json::Write(*result);
  } else if (result.status().code() != StatusCode::NotFound &&
             result.status().code() != StatusCode::OutOfRange) {
    Die("evaluate failed with the wrong code", text, result.status().ToString());
  } else if (!path->is_definite() && result.status().code() == StatusCode::NotFound) {
    Die("indefinite path gave NotFound", text, result.status().ToString());
  }
  if (path->is_reference()) {
    if (!path->is_definite()) Die("reference path is not definite", text, "");
    Value marker = Value::String("fuzz-marker");
    auto assigned = path->Assign(doc, marker);
    if (assigned.ok()) {
      auto back = path->Evaluate(*assigned);
      if (!back.ok() || !back->Equals(marker)) {
        Die("Assign then Evaluate does not read back", text,
            back.ok() ? stepfn::json::Write(*back) : back.status().ToString());
      }
    } else if (assigned.status().code() != StatusCode::InvalidArgument) {
      Die("assign failed with the wrong code", text, assigned.status().ToString());
    }
  }
  return 0;
}
