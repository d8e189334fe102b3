#include "eval/io.h"

#include "json/write.h"

namespace stepfn::eval {
namespace {

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
  if (p.path->is_root_only()) return ctx ? context : v;
  auto r = p.path->Evaluate(ctx ? context : v);
  if (!r.ok()) {
    return StatesError{"States.Runtime",
                       "Invalid path '" + p.path->text() +
                           "' : No results for path: " + NormalisedPath(p.path->text())};
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

Fallible<json::Value> ApplyResultPath(const asl::OptionalPath& rp, const json::Value& input,
                                      json::Value result) {
  switch (rp.kind) {
    case asl::OptionalPath::Kind::Absent:
      return result;
    case asl::OptionalPath::Kind::Null:
      return input;
    case asl::OptionalPath::Kind::Path:
      break;
  }
  if (rp.path->is_root_only()) return result;
  auto r = rp.path->Assign(input, std::move(result));
  if (!r.ok()) {
    return StatesError{"States.Runtime",
                       "Invalid path '" + rp.path->text() + "' : " + r.status().message()};
  }
  return std::move(*r);
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
