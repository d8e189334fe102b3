#include "cli/conformance_compare.h"

#include <algorithm>
#include <cctype>
#include <set>
#include <utility>

#include "json/write.h"

namespace stepfn::cli {
namespace {

bool IsAlnum(char c) { return std::isalnum(static_cast<unsigned char>(c)) != 0; }

// A pointer path segment: '~' and '/' escaped as in RFC 6901.
void AppendPointerSegment(std::string_view key, std::string* path) {
  path->push_back('/');
  for (char c : key) {
    if (c == '~') {
      path->append("~0");
    } else if (c == '/') {
      path->append("~1");
    } else {
      path->push_back(c);
    }
  }
}

std::string PathOrRoot(const std::string& path) { return path.empty() ? "/" : path; }

std::string Mismatch(const std::string& path, const json::Value& expected,
                     const json::Value& actual) {
  return "at " + PathOrRoot(path) + ": expected " + Brief(expected) + ", got " + Brief(actual);
}

bool NumbersEqual(const json::Value& a, const json::Value& b) {
  if (a.is_int() && b.is_int()) return a.as_int() == b.as_int();
  return a.as_double() == b.as_double();
}

// The text a binding token binds to: the string itself, or compact JSON for other values.
std::string BindingText(const json::Value& v) {
  return v.is_string() ? v.as_string() : json::Write(v);
}

}  // namespace

bool IsBindingToken(std::string_view token) {
  if (token.size() < 3 || token.front() != '<' || token.back() != '>') return false;
  std::string_view inner = token.substr(1, token.size() - 2);
  // "<name:N>"
  size_t colon = inner.rfind(':');
  if (colon != std::string_view::npos && colon + 1 < inner.size() &&
      std::all_of(inner.begin() + colon + 1, inner.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
    return true;
  }
  // "<name_Nidx>"
  if (inner.size() > 4 && inner.substr(inner.size() - 3) == "idx") {
    size_t us = inner.rfind('_');
    if (us != std::string_view::npos && us + 1 < inner.size() - 3) {
      std::string_view digits = inner.substr(us + 1, inner.size() - 3 - us - 1);
      return std::all_of(digits.begin(), digits.end(),
                         [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
    }
  }
  return false;
}

std::string BriefText(std::string_view s, size_t max) {
  std::string out;
  for (char c : s) {
    if (c == '\n') {
      out += "\\n";
    } else if (c == '\r') {
      out += "\\r";
    } else {
      out.push_back(c);
    }
    if (out.size() >= max) {
      out += "...";
      break;
    }
  }
  return out;
}

std::string Brief(const json::Value& v, size_t max) { return BriefText(json::Write(v), max); }

CaseMatcher::CaseMatcher(std::vector<std::string> tokens) : tokens_(std::move(tokens)) {
  tokens_.erase(std::remove(tokens_.begin(), tokens_.end(), std::string()), tokens_.end());
  std::sort(tokens_.begin(), tokens_.end(), [](const std::string& a, const std::string& b) {
    return a.size() != b.size() ? a.size() > b.size() : a < b;
  });
  tokens_.erase(std::unique(tokens_.begin(), tokens_.end()), tokens_.end());
}

CaseMatcher CaseMatcher::ForCase(const json::Value& case_doc) {
  std::set<std::string> tokens;
  if (const json::Value* r = case_doc.find("redactions"); r != nullptr && r->is_array()) {
    for (const json::Value& t : r->items()) {
      if (t.is_string()) tokens.insert(t.as_string());
    }
  }
  const json::Value* redacted = case_doc.find("redacted");
  const json::Value* transformers = case_doc.find("snapshot_transformers");
  if (redacted != nullptr && redacted->is_bool() && redacted->as_bool() &&
      transformers != nullptr && transformers->is_array()) {
    for (const json::Value& t : transformers->items()) {
      const json::Value* args = t.find("args");
      if (args == nullptr || !args->is_array() || args->size() < 2) continue;
      const json::Value* replacement = args->at(1);
      if (!replacement->is_string() || replacement->as_string().empty()) continue;
      const std::string& text = replacement->as_string();
      tokens.insert(text);
      // A regex replacement may carry escapes around a "<token>"; take the bracketed parts too.
      for (size_t open = text.find('<'); open != std::string::npos;
           open = text.find('<', open + 1)) {
        size_t close = text.find('>', open);
        if (close == std::string::npos) break;
        if (close > open + 1) tokens.insert(text.substr(open, close - open + 1));
      }
    }
  }
  return CaseMatcher(std::vector<std::string>(tokens.begin(), tokens.end()));
}

bool CaseMatcher::IsWholeToken(std::string_view expected) const {
  return std::find(tokens_.begin(), tokens_.end(), expected) != tokens_.end();
}

std::vector<CaseMatcher::Piece> CaseMatcher::BuildPattern(std::string_view expected) const {
  std::vector<Piece> pieces;
  size_t pos = 0;
  while (pos < expected.size()) {
    const std::string* found = nullptr;
    for (const std::string& t : tokens_) {  // longest first
      if (expected.compare(pos, t.size(), t) != 0) continue;
      bool glued_before = IsAlnum(t.front()) && pos > 0 && IsAlnum(expected[pos - 1]);
      size_t end = pos + t.size();
      bool glued_after = IsAlnum(t.back()) && end < expected.size() && IsAlnum(expected[end]);
      if (glued_before || glued_after) continue;
      found = &t;
      break;
    }
    if (found != nullptr) {
      pieces.push_back(Piece{true, *found, IsBindingToken(*found)});
      pos += found->size();
    } else {
      if (pieces.empty() || pieces.back().wildcard) pieces.push_back(Piece{});
      pieces.back().text.push_back(expected[pos]);
      ++pos;
    }
  }
  return pieces;
}

bool CaseMatcher::MatchPieces(const std::vector<Piece>& pieces, size_t i, std::string_view actual,
                              size_t pos, std::map<std::string, std::string>* bound) {
  if (i == pieces.size()) return pos == actual.size();
  const Piece& p = pieces[i];
  if (!p.wildcard) {
    if (actual.compare(pos, p.text.size(), p.text) != 0) return false;
    return MatchPieces(pieces, i + 1, actual, pos + p.text.size(), bound);
  }
  if (p.binds) {
    auto it = bindings_.find(p.text);
    const std::string* value = it != bindings_.end() ? &it->second : nullptr;
    if (value == nullptr) {
      auto it2 = bound->find(p.text);
      if (it2 != bound->end()) value = &it2->second;
    }
    if (value != nullptr) {
      if (actual.compare(pos, value->size(), *value) != 0) return false;
      return MatchPieces(pieces, i + 1, actual, pos + value->size(), bound);
    }
  }
  // Any non-empty run; the next literal piece (if any) narrows the candidate ends.
  const std::string* next_literal =
      i + 1 < pieces.size() && !pieces[i + 1].wildcard ? &pieces[i + 1].text : nullptr;
  for (size_t end = pos + 1; end <= actual.size(); ++end) {
    if (next_literal != nullptr) {
      end = actual.find(*next_literal, end);
      if (end == std::string_view::npos) return false;
      if (end == pos) continue;
    }
    if (p.binds) {
      (*bound)[p.text] = std::string(actual.substr(pos, end - pos));
      if (MatchPieces(pieces, i + 1, actual, end, bound)) return true;
      bound->erase(p.text);
    } else if (MatchPieces(pieces, i + 1, actual, end, bound)) {
      return true;
    }
  }
  return false;
}

bool CaseMatcher::MatchString(std::string_view expected, std::string_view actual) {
  if (tokens_.empty()) return expected == actual;
  if (expected == actual) {
    // Still record bindings for whole tokens, so later occurrences stay consistent.
    if (IsWholeToken(expected) && IsBindingToken(expected)) {
      bindings_.emplace(std::string(expected), std::string(actual));
    }
    return true;
  }
  std::vector<Piece> pieces = BuildPattern(expected);
  std::map<std::string, std::string> bound;
  if (!MatchPieces(pieces, 0, actual, 0, &bound)) return false;
  for (auto& [k, v] : bound) bindings_.emplace(k, std::move(v));
  return true;
}

bool CaseMatcher::MatchWholeToken(std::string_view token, const json::Value& actual) {
  if (!IsBindingToken(token)) return true;
  std::string text = BindingText(actual);
  auto it = bindings_.find(std::string(token));
  if (it == bindings_.end()) {
    bindings_.emplace(std::string(token), std::move(text));
    return true;
  }
  return it->second == text;
}

std::optional<std::string> CaseMatcher::Compare(const json::Value& expected,
                                                const json::Value& actual) {
  std::string path;
  return CompareAt(expected, actual, &path);
}

std::optional<std::string> CaseMatcher::CompareAt(const json::Value& expected,
                                                  const json::Value& actual, std::string* path) {
  if (expected.is_string() && IsWholeToken(expected.as_string())) {
    if (MatchWholeToken(expected.as_string(), actual)) return std::nullopt;
    return "at " + PathOrRoot(*path) + ": expected the value bound to " + expected.as_string() +
           " (" + BriefText(bindings_[expected.as_string()]) + "), got " + Brief(actual);
  }
  if (expected.is_number() && actual.is_number()) {
    if (NumbersEqual(expected, actual)) return std::nullopt;
    return Mismatch(*path, expected, actual);
  }
  if (expected.type() != actual.type()) return Mismatch(*path, expected, actual);
  switch (expected.type()) {
    case json::Type::Null:
      return std::nullopt;
    case json::Type::Bool:
      if (expected.as_bool() == actual.as_bool()) return std::nullopt;
      return Mismatch(*path, expected, actual);
    case json::Type::Int:
    case json::Type::Double:
      return Mismatch(*path, expected, actual);  // numbers handled above
    case json::Type::String:
      if (MatchString(expected.as_string(), actual.as_string())) return std::nullopt;
      return Mismatch(*path, expected, actual);
    case json::Type::Array: {
      const auto& e = expected.items();
      const auto& a = actual.items();
      size_t n = std::min(e.size(), a.size());
      for (size_t i = 0; i < n; ++i) {
        size_t len = path->size();
        AppendPointerSegment(std::to_string(i), path);
        auto diff = CompareAt(e[i], a[i], path);
        path->resize(len);
        if (diff) return diff;
      }
      if (e.size() != a.size()) {
        return "at " + PathOrRoot(*path) + ": expected " + std::to_string(e.size()) +
               " items, got " + std::to_string(a.size()) + " (" + Brief(actual) + ")";
      }
      return std::nullopt;
    }
    case json::Type::Object: {
      for (const json::Member& m : expected.members()) {
        const json::Value* a = actual.find(m.first);
        size_t len = path->size();
        AppendPointerSegment(m.first, path);
        if (a == nullptr) {
          std::string reason = "at " + *path + ": missing (expected " + Brief(m.second) + ")";
          path->resize(len);
          return reason;
        }
        auto diff = CompareAt(m.second, *a, path);
        path->resize(len);
        if (diff) return diff;
      }
      for (const json::Member& m : actual.members()) {
        if (expected.find(m.first) == nullptr) {
          std::string p = *path;
          AppendPointerSegment(m.first, &p);
          return "at " + p + ": unexpected member (got " + Brief(m.second) + ")";
        }
      }
      return std::nullopt;
    }
  }
  return Mismatch(*path, expected, actual);
}

std::vector<std::string> NormaliseParallelEvents(std::vector<std::string> types) {
  static const std::set<std::string_view> kEnds = {"ParallelStateSucceeded", "ParallelStateAborted",
                                                   "ParallelStateExited", "ParallelStateFailed"};
  size_t start = 0;  // Python's events[None:i] starts at 0
  std::vector<std::string> sublist;
  bool in_sublist = false;
  // The upstream edits the list while enumerating it; its index keeps counting on the edited
  // list (events shifted into the passed span are not looked at). Mirror that.
  for (size_t i = 0; i < types.size(); ++i) {
    const std::string& type = types[i];
    if (kEnds.count(type) != 0) {
      std::vector<std::string> sorted = sublist;
      std::sort(sorted.begin(), sorted.end());
      size_t from = std::min(start, types.size());
      size_t to = std::max(from, i);
      types.erase(types.begin() + static_cast<std::ptrdiff_t>(from),
                  types.begin() + static_cast<std::ptrdiff_t>(to));
      types.insert(types.begin() + static_cast<std::ptrdiff_t>(from), sorted.begin(), sorted.end());
      in_sublist = false;
    } else if (type == "ParallelStateStarted") {
      in_sublist = true;
      sublist.clear();
      start = i + 1;
    } else if (in_sublist) {
      sublist.push_back(type);
    }
  }
  return types;
}

}  // namespace stepfn::cli
