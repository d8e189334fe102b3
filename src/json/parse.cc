#include "json/parse.h"

#include <simdjson.h>

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <optional>
#include <string>
#include <unordered_map>

namespace stepfn::json {

static_assert(kParsePadding >= simdjson::SIMDJSON_PADDING,
              "ParseOptions::padded promises simdjson's padding");

namespace {

struct RepeatTracker;
void ReportRepeats(const std::vector<Member>& members, RepeatTracker* t);

// Repeated keys keep their first position and their last value. Linear time.
std::vector<Member> KeepLastOfRepeatedKeys(std::vector<Member> members) {
  std::unordered_map<std::string_view, size_t> first;
  first.reserve(members.size());
  std::vector<Member> out;
  out.reserve(members.size());
  for (auto& m : members) {
    auto it = first.find(m.first);
    if (it == first.end()) {
      out.push_back(std::move(m));
      // `out` never reallocates (reserved), so the key's view stays valid.
      first.emplace(out.back().first, out.size() - 1);
    } else {
      out[it->second].second = std::move(m.second);
    }
  }
  return out;
}

// Where repeated keys are reported, with the path of the value being converted.
// The path is kept as the keys and indexes that lead to the value (views into the parser's
// buffer, valid while converting); the pointer text is built only when a repeat is reported,
// which is rare, instead of for every member.
struct RepeatTracker {
  struct Step {
    std::string_view key;  // an object member's key, or empty with `index` for an array item
    size_t index = 0;
    bool is_key = false;
  };
  std::vector<std::string>* out;
  std::vector<Step> path;
};

void AppendPointerToken(std::string_view key, std::string* p) {
  p->push_back('/');
  for (char c : key) {
    if (c == '~') {
      p->append("~0");
    } else if (c == '/') {
      p->append("~1");
    } else {
      p->push_back(c);
    }
  }
}

void ReportRepeats(const std::vector<Member>& members, RepeatTracker* t) {
  std::unordered_map<std::string_view, int> seen;
  for (const auto& m : members) {
    if (seen[m.first]++ == 1) {
      std::string p;
      for (const RepeatTracker::Step& step : t->path) {
        if (step.is_key) {
          AppendPointerToken(step.key, &p);
        } else {
          p += "/" + std::to_string(step.index);
        }
      }
      AppendPointerToken(m.first, &p);
      t->out->push_back(std::move(p));
    }
  }
}

// Converts a simdjson DOM element. Depth is bounded by the parser's max depth.
Value Convert(simdjson::dom::element e, RepeatTracker* t) {
  using simdjson::dom::element_type;
  switch (e.type()) {
    case element_type::NULL_VALUE:
      return Value();
    case element_type::BOOL:
      return Value::Bool(e.get_bool().value_unsafe());
    case element_type::INT64:
      return Value::Int(e.get_int64().value_unsafe());
    case element_type::UINT64:
      return Value::Double(static_cast<double>(e.get_uint64().value_unsafe()));
    case element_type::DOUBLE:
      return Value::Double(e.get_double().value_unsafe());
    case element_type::STRING:
      return Value::String(e.get_string().value_unsafe());
    case element_type::ARRAY: {
      simdjson::dom::array a = e.get_array().value_unsafe();
      std::vector<Value> items;
      items.reserve(a.size());
      size_t index = 0;
      for (simdjson::dom::element child : a) {
        if (t == nullptr) {
          items.push_back(Convert(child, nullptr));
          continue;
        }
        t->path.push_back({{}, index++, false});
        items.push_back(Convert(child, t));
        t->path.pop_back();
      }
      return Value::Array(std::move(items));
    }
    case element_type::OBJECT: {
      simdjson::dom::object o = e.get_object().value_unsafe();
      const size_t n = o.size();
      // Small objects: repeated keys are found by comparing the keys before converting.
      bool duplicate = false;
      if (n < 16) {
        std::string_view keys[16];
        size_t count = 0;
        for (simdjson::dom::key_value_pair kv : o) {
          for (size_t k = 0; k < count && !duplicate; ++k) duplicate = keys[k] == kv.key;
          keys[count++] = kv.key;
        }
      }
      // The members go straight into the node the object will live in.
      ObjectBuilder b;
      b.Reserve(n);
      for (simdjson::dom::key_value_pair kv : o) {
        if (t != nullptr) t->path.push_back({kv.key, 0, true});
        b.Append(std::string(kv.key), Convert(kv.value, t));
        if (t != nullptr) t->path.pop_back();
      }
      Value object = std::move(b).Build();
      if (n >= 16) {
        // Larger objects are indexed; find() returns the last of repeated keys, so any member
        // it does not return is a repeat.
        for (const auto& m : object.members()) {
          if (object.find(m.first) != &m.second) {
            duplicate = true;
            break;
          }
        }
      }
      if (!duplicate) return object;
      std::vector<Member> members(object.members().begin(), object.members().end());
      if (t != nullptr) ReportRepeats(members, t);
      return Value::Object(KeepLastOfRepeatedKeys(std::move(members)));
    }
  }
  return Value();
}

struct Location {
  size_t line = 1;
  size_t column = 1;
  size_t offset = 0;
  bool number_too_large = false;  // a well-formed number beyond the range of a double
};

// True when the number text (well formed) overflows a double, e.g. 1e400. Numbers too small to
// represent read as 0, as simdjson and Jackson read them.
bool OverflowsDouble(std::string_view number) {
  std::string copy(number);
  errno = 0;
  double d = std::strtod(copy.c_str(), nullptr);
  return errno == ERANGE && std::isinf(d);
}

// Finds where a document stops being valid JSON, for error messages. A small iterative
// scanner: not fast, only run after simdjson has rejected the text.
Location LocateError(std::string_view s) {
  size_t i = 0;
  auto ws = [&] {
    while (i < s.size() && (s[i] == ' ' || s[i] == '\n' || s[i] == '\r' || s[i] == '\t')) ++i;
  };
  std::string stack;  // '[' or '{'
  bool too_large = false;
  enum class Expect { Value, ValueOrEnd, Key, KeyOrEnd, Colon, CommaOrEnd } expect = Expect::Value;
  bool done = false;
  while (!done) {
    ws();
    if (i >= s.size()) break;
    char c = s[i];
    switch (expect) {
      case Expect::Colon:
        if (c != ':') goto fail;
        ++i;
        expect = Expect::Value;
        continue;
      case Expect::CommaOrEnd:
        if (stack.empty()) goto fail;  // trailing content
        if (c == ',') {
          ++i;
          expect = stack.back() == '{' ? Expect::Key : Expect::Value;
          continue;
        }
        if ((c == ']' && stack.back() == '[') || (c == '}' && stack.back() == '{')) {
          ++i;
          stack.pop_back();
          expect = Expect::CommaOrEnd;
          if (stack.empty()) {
            ws();
            if (i < s.size()) goto fail;
            done = true;
          }
          continue;
        }
        goto fail;
      case Expect::KeyOrEnd:
        if (c == '}') {
          expect = Expect::CommaOrEnd;
          continue;  // handled as an end above on the next loop
        }
        [[fallthrough]];
      case Expect::Key:
        if (c != '"') goto fail;
        break;
      case Expect::ValueOrEnd:
        if (c == ']') {
          expect = Expect::CommaOrEnd;
          continue;
        }
        [[fallthrough]];
      case Expect::Value:
        break;
    }
    // A value or key starts at i.
    if (c == '"') {
      size_t start = i++;
      while (i < s.size() && s[i] != '"') {
        unsigned char uc = static_cast<unsigned char>(s[i]);
        if (uc < 0x20) goto fail;
        if (s[i] == '\\') {
          ++i;
          if (i >= s.size()) goto fail;
          if (s[i] == 'u') {
            for (int k = 1; k <= 4; ++k) {
              if (i + k >= s.size() || !isxdigit(static_cast<unsigned char>(s[i + k]))) {
                i += k;
                goto fail;
              }
            }
            i += 4;
          } else if (std::string_view("\"\\/bfnrt").find(s[i]) == std::string_view::npos) {
            goto fail;
          }
        } else if (uc >= 0x80) {
          // UTF-8 sequence
          int len = (uc >= 0xF0 && uc <= 0xF4)   ? 4
                    : (uc >= 0xE0 && uc <= 0xEF) ? 3
                    : (uc >= 0xC2 && uc <= 0xDF) ? 2
                                                 : 0;
          if (len == 0) goto fail;
          for (int k = 1; k < len; ++k) {
            if (i + k >= s.size() || (static_cast<unsigned char>(s[i + k]) & 0xC0) != 0x80)
              goto fail;
          }
          i += static_cast<size_t>(len - 1);
        }
        ++i;
      }
      if (i >= s.size()) {
        i = start;
        goto fail;
      }
      ++i;
      expect = (expect == Expect::Key || expect == Expect::KeyOrEnd) ? Expect::Colon
                                                                     : Expect::CommaOrEnd;
    } else if (c == '{' || c == '[') {
      stack.push_back(c);
      ++i;
      expect = c == '{' ? Expect::KeyOrEnd : Expect::ValueOrEnd;
      if (stack.size() > 1000) goto fail;
      continue;
    } else if (c == 't' || c == 'f' || c == 'n') {
      std::string_view word = c == 't' ? "true" : c == 'f' ? "false" : "null";
      if (s.substr(i, word.size()) != word) goto fail;
      i += word.size();
      expect = Expect::CommaOrEnd;
    } else if (c == '-' || (c >= '0' && c <= '9')) {
      size_t number_start = i;
      if (c == '-') ++i;
      if (i >= s.size() || !isdigit(static_cast<unsigned char>(s[i]))) goto fail;
      if (s[i] == '0') {
        ++i;
      } else {
        while (i < s.size() && isdigit(static_cast<unsigned char>(s[i]))) ++i;
      }
      if (i < s.size() && s[i] == '.') {
        ++i;
        if (i >= s.size() || !isdigit(static_cast<unsigned char>(s[i]))) goto fail;
        while (i < s.size() && isdigit(static_cast<unsigned char>(s[i]))) ++i;
      }
      if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
        ++i;
        if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
        if (i >= s.size() || !isdigit(static_cast<unsigned char>(s[i]))) goto fail;
        while (i < s.size() && isdigit(static_cast<unsigned char>(s[i]))) ++i;
      }
      if (OverflowsDouble(s.substr(number_start, i - number_start))) {
        i = number_start;
        too_large = true;
        goto fail;
      }
      expect = Expect::CommaOrEnd;
    } else {
      goto fail;
    }
    if (stack.empty()) {
      ws();
      if (i < s.size()) goto fail;
      done = true;
    }
  }
fail:
  Location loc;
  loc.number_too_large = too_large;
  loc.offset = i < s.size() ? i : s.size();
  for (size_t k = 0; k < loc.offset; ++k) {
    if (s[k] == '\n') {
      ++loc.line;
      loc.column = 1;
    } else if ((static_cast<unsigned char>(s[k]) & 0xC0) != 0x80) {
      ++loc.column;
    }
  }
  return loc;
}

std::string Describe(simdjson::error_code code) {
  switch (code) {
    case simdjson::DEPTH_ERROR:
      return "nested too deeply";
    case simdjson::UTF8_ERROR:
      return "text is not valid UTF-8";
    case simdjson::UNCLOSED_STRING:
      return "unterminated string";
    case simdjson::STRING_ERROR:
      return "invalid string (bad escape or control character)";
    case simdjson::NUMBER_ERROR:
      return "invalid number";
    case simdjson::T_ATOM_ERROR:
      return "invalid literal (expected true)";
    case simdjson::F_ATOM_ERROR:
      return "invalid literal (expected false)";
    case simdjson::N_ATOM_ERROR:
      return "invalid literal (expected null)";
    case simdjson::EMPTY:
      return "empty document";
    case simdjson::CAPACITY:
      return "document too large";
    case simdjson::TAPE_ERROR:
      return "unexpected character or structure";
    default:
      return simdjson::error_message(code);
  }
}

// simdjson refuses integers that do not fit 64 bits; AWS (Jackson) and JavaScript read them, as
// numbers. Returns the text with ".0" appended to each such integer, so that it parses as a
// double, or nullopt when there is none.
std::optional<std::string> WidenBigIntegers(std::string_view s) {
  std::string out;
  size_t copied = 0;
  size_t i = 0;
  auto digit = [&](size_t k) { return k < s.size() && s[k] >= '0' && s[k] <= '9'; };
  while (i < s.size()) {
    char c = s[i];
    if (c == '"') {
      for (++i; i < s.size() && s[i] != '"'; ++i) {
        if (s[i] == '\\') ++i;
      }
      ++i;
      continue;
    }
    if (c != '-' && !digit(i)) {
      ++i;
      continue;
    }
    size_t start = i;
    if (c == '-') ++i;
    while (digit(i)) ++i;
    bool integer = !(i < s.size() && (s[i] == '.' || s[i] == 'e' || s[i] == 'E'));
    while (i < s.size() &&
           (digit(i) || s[i] == '.' || s[i] == 'e' || s[i] == 'E' || s[i] == '+' || s[i] == '-')) {
      ++i;
    }
    if (!integer || i - start < 19) continue;
    bool fits = false;
    if (c == '-') {
      int64_t v = 0;
      auto r = std::from_chars(s.data() + start, s.data() + i, v);
      fits = r.ec == std::errc() && r.ptr == s.data() + i;
    } else {
      uint64_t v = 0;
      auto r = std::from_chars(s.data() + start, s.data() + i, v);
      fits = r.ec == std::errc() && r.ptr == s.data() + i;
    }
    if (fits) continue;
    out.append(s.substr(copied, i - copied));
    out.append(".0");
    copied = i;
  }
  if (copied == 0) return std::nullopt;
  out.append(s.substr(copied));
  return out;
}

}  // namespace

Result<Value> Parse(std::string_view text, const ParseOptions& options) {
  thread_local simdjson::dom::parser parser;
  if (parser.max_depth() != options.max_depth) {
    auto err = parser.allocate(std::max<size_t>(text.size(), 64), options.max_depth);
    if (err) return Internal("JSON parser allocation failed");
  }
  // simdjson reads up to SIMDJSON_PADDING bytes past the text: parse in place when the caller
  // says they are there, else copy into a padded buffer.
  simdjson::dom::element root;
  simdjson::error_code err;
  if (options.padded) {
    err = parser.parse(reinterpret_cast<const uint8_t*>(text.data()), text.size(), false).get(root);
  } else {
    simdjson::padded_string padded(text);
    err = parser.parse(padded).get(root);
  }
  std::optional<simdjson::padded_string> widened;
  if (err == simdjson::NUMBER_ERROR) {
    if (std::optional<std::string> w = WidenBigIntegers(text)) {
      widened.emplace(*w);
      simdjson::dom::element widened_root;
      if (!parser.parse(*widened).get(widened_root)) {
        root = widened_root;
        err = simdjson::SUCCESS;
      }
    }
  }
  if (err) {
    if (err == simdjson::EMPTY) return InvalidArgument("invalid JSON: empty document");
    if (err == simdjson::DEPTH_ERROR) {
      return InvalidArgument("invalid JSON: nested deeper than " +
                             std::to_string(options.max_depth) + " levels");
    }
    Location loc = LocateError(text);
    return InvalidArgument(
        "invalid JSON at line " + std::to_string(loc.line) + ", column " +
        std::to_string(loc.column) + " (byte " + std::to_string(loc.offset) +
        "): " + (loc.number_too_large ? "number out of range (beyond 1.8e308)" : Describe(err)));
  }
  RepeatTracker tracker{options.repeated_keys, {}};
  Value v = Convert(root, options.repeated_keys ? &tracker : nullptr);
  // Release large internal buffers after unusually large documents.
  if (text.size() > (64u << 20)) parser = simdjson::dom::parser();
  return v;
}

}  // namespace stepfn::json
