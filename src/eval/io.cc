#include "eval/io.h"

#include "json/write.h"

namespace stepfn::eval {
namespace {

Fallible<json::Value> Select(const asl::OptionalPath& p, const json::Value& v,
                             const json::Value& context) {
  switch (p.kind) {
    case asl::OptionalPath::Kind::Absent: return v;
    case asl::OptionalPath::Kind::Null: return json::Value::EmptyObject();
    case asl::OptionalPath::Kind::Path: break;
  }
  bool ctx = p.path->root() == json::PathRoot::Context;
  if (p.path->is_root_only()) return ctx ? context : v;
  auto r = p.path->Evaluate(ctx ? context : v);
  if (!r.ok()) {
    return StatesError{"States.Runtime", "Invalid path '" + p.path->text() +
                                             "' : No results for path: " +
                                             NormalisedPath(p.path->text())};
  }
  return std::move(*r);
}

// Counts serialised bytes, giving up once past `limit`.
size_t CountBytes(const json::Value& v, size_t limit, size_t acc) {
  if (acc > limit) return acc;
  switch (v.type()) {
    case json::Type::Null: return acc + 4;
    case json::Type::Bool: return acc + (v.as_bool() ? 4 : 5);
    case json::Type::Int:
    case json::Type::Double: return acc + 8;  // an estimate; numbers are small
    case json::Type::String: return acc + v.as_string().size() + 2;
    case json::Type::Array:
      acc += 2;
      for (const auto& e : v.items()) {
        acc = CountBytes(e, limit, acc + 1);
        if (acc > limit) return acc;
      }
      return acc;
    case json::Type::Object:
      acc += 2;
      for (const auto& m : v.members()) {
        acc = CountBytes(m.second, limit, acc + m.first.size() + 4);
        if (acc > limit) return acc;
      }
      return acc;
  }
  return acc;
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
    case asl::OptionalPath::Kind::Absent: return result;
    case asl::OptionalPath::Kind::Null: return input;
    case asl::OptionalPath::Kind::Path: break;
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
  if (v.type() < json::Type::String) return true;
  size_t n = CountBytes(v, limit, 0);
  if (n <= limit) return true;
  if (n > limit * 2) return false;
  return json::Write(v).size() <= limit;  // exact when close to the limit
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
