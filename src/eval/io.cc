#include "eval/io.h"

#include <string>
#include <vector>

#include "json/write.h"

namespace stepfn::eval {
namespace {

// Why a path selected nothing, as AWS words it: a plain path ($.a.b.c) whose walk stops at a
// missing member before its last step names the path up to that member ("Missing property in
// path $['a']"); otherwise "No results for path: $['a']['b']['c']".
std::string MissingPathReason(const std::string& text, const json::Value& doc) {
  std::string normalised = NormalisedPath(text);
  const std::string none = "No results for path: " + normalised;
  if (!normalised.starts_with("$['") || normalised.starts_with("$$")) return none;
  std::vector<std::string> keys;
  for (size_t i = 1; i < normalised.size();) {
    if (normalised.compare(i, 2, "['") != 0) return none;
    size_t end = normalised.find("']", i + 2);
    if (end == std::string::npos) return none;
    std::string key = normalised.substr(i + 2, end - i - 2);
    if (key.find_first_of("*'?@:,()") != std::string::npos) return none;
    keys.push_back(std::move(key));
    i = end + 2;
  }
  const json::Value* at = &doc;
  std::string walked = "$";
  for (size_t k = 0; k < keys.size(); ++k) {
    walked += "['" + keys[k] + "']";
    const json::Value* next = at->is_object() ? at->find(keys[k]) : nullptr;
    if (next == nullptr) {
      if (k + 1 < keys.size() && at->is_object()) return "Missing property in path " + walked;
      return none;
    }
    at = next;
  }
  return none;
}

Fallible<json::Value> Select(const asl::OptionalPath& p, const json::Value& v,
                             const json::Value& context) {
  switch (p.kind) {
    case asl::OptionalPath::Kind::Absent:
      return v;
    case asl::OptionalPath::Kind::Null:
      return json::Value::EmptyObject();
    case asl::OptionalPath::Kind::Path:
      break;
  }
  bool ctx = p.path->root() == json::PathRoot::Context;
  if (p.root_only) return ctx ? context : v;
  auto r = p.path->Evaluate(ctx ? context : v);
  if (!r.ok()) {
    return StatesError{"States.Runtime", "Invalid path '" + p.path->text() + "' : " +
                                             MissingPathReason(p.path->text(), ctx ? context : v)};
  }
  return std::move(*r);
}

}  // namespace

Fallible<json::Value> ApplyInputPath(const asl::State& s, const json::Value& input,
                                     const json::Value& context) {
  return Select(s.input_path, input, context);
}

Fallible<json::Value> ApplyOutputPath(const asl::State& s, const json::Value& output,
                                      const json::Value& context) {
  return Select(s.output_path, output, context);
}

bool ApplyResultPath(const asl::OptionalPath& rp, const json::Value& input, json::Value result,
                     json::Value* out, StatesError* error) {
  switch (rp.kind) {
    case asl::OptionalPath::Kind::Absent:
      *out = std::move(result);
      return true;
    case asl::OptionalPath::Kind::Null:
      *out = input;
      return true;
    case asl::OptionalPath::Kind::Path:
      break;
  }
  if (rp.root_only) {
    *out = std::move(result);
    return true;
  }
  // The most common ResultPath, "$.name" into an object: the input with that member set (what
  // Assign does for it, without its general walk).
  if (rp.single_member && input.is_object()) {
    *out = json::WithMember(input, rp.member, std::move(result));
    return true;
  }
  auto r = rp.path->Assign(input, std::move(result));
  if (!r.ok()) {
    *error = StatesError{"States.Runtime",
                         "Invalid path '" + rp.path->text() + "' : " + r.status().message()};
    return false;
  }
  *out = std::move(*r);
  return true;
}

bool FitsPayloadLimit(const json::Value& v, size_t limit) {
  size_t bound = v.SerializedSizeBound();  // O(1), exact but for doubles
  if (bound <= limit) return true;
  if (bound > limit * 3) return false;  // doubles alone cannot make up the difference
  return json::Write(v).size() <= limit;
}

std::string NormalisedPath(const std::string& path) {
  std::string out;
  size_t i = 0;
  if (path.rfind("$$", 0) == 0) {
    out = "$$";
    i = 2;
  } else if (!path.empty() && path[0] == '$') {
    out = "$";
    i = 1;
  }
  while (i < path.size()) {
    if (path[i] == '.') {
      size_t j = i + 1;
      while (j < path.size() && path[j] != '.' && path[j] != '[') ++j;
      out += "['" + path.substr(i + 1, j - i - 1) + "']";
      i = j;
    } else if (path[i] == '[') {
      size_t j = path.find(']', i);
      if (j == std::string::npos) j = path.size() - 1;
      out += path.substr(i, j - i + 1);
      i = j + 1;
    } else {
      out += path[i++];
    }
  }
  return out;
}

}  // namespace stepfn::eval
