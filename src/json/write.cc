#include "json/write.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

namespace stepfn::json {
namespace {

const char kHex[] = "0123456789abcdef";

// Whether any of the eight bytes of `word` needs escaping in a JSON string: a control
// character (below 0x20), '"' or '\\'. Exact for the word as a whole (a borrow can only mark
// bytes above one that matched); the bytes are then looked at one by one.
inline bool AnyNeedsEscape(uint64_t word) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  const uint64_t quote = word ^ (kOnes * '"');
  const uint64_t backslash = word ^ (kOnes * '\\');
  const uint64_t control = (word - kOnes * 0x20) & ~word;
  const uint64_t quotes = (quote - kOnes) & ~quote;
  const uint64_t backslashes = (backslash - kOnes) & ~backslash;
  return ((control | quotes | backslashes) & kHigh) != 0;
}

void WriteImpl(const Value& v, std::string* out, int indent, int depth) {
  auto newline = [&](int d) {
    if (indent < 0) return;
    out->push_back('\n');
    out->append(static_cast<size_t>(d * indent), ' ');
  };
  switch (v.type()) {
    case Type::Null:
      out->append("null");
      return;
    case Type::Bool:
      out->append(v.as_bool() ? "true" : "false");
      return;
    case Type::Int: {
      char buf[32];
      auto r = std::to_chars(buf, buf + sizeof buf, v.as_int());
      out->append(buf, r.ptr);
      return;
    }
    case Type::Double:
      WriteDouble(v.as_double(), out);
      return;
    case Type::String:
      WriteString(v.as_string(), out);
      return;
    case Type::Array: {
      const auto& items = v.items();
      out->push_back('[');
      for (size_t i = 0; i < items.size(); ++i) {
        if (i > 0) out->push_back(',');
        newline(depth + 1);
        WriteImpl(items[i], out, indent, depth + 1);
      }
      if (!items.empty()) newline(depth);
      out->push_back(']');
      return;
    }
    case Type::Object: {
      const auto& members = v.members();
      out->push_back('{');
      for (size_t i = 0; i < members.size(); ++i) {
        if (i > 0) out->push_back(',');
        newline(depth + 1);
        WriteString(members[i].first, out);
        out->push_back(':');
        if (indent >= 0) out->push_back(' ');
        WriteImpl(members[i].second, out, indent, depth + 1);
      }
      if (!members.empty()) newline(depth);
      out->push_back('}');
      return;
    }
  }
}

}  // namespace

void WriteString(std::string_view s, std::string* out) {
  out->push_back('"');
  const size_t n = s.size();
  size_t run = 0;  // the first byte not yet copied
  size_t i = 0;
  while (i < n) {
    // Eight bytes at a time while none needs escaping (the common case: names, ARNs, text).
    if (i + 8 <= n) {
      uint64_t word;
      std::memcpy(&word, s.data() + i, 8);
      if (!AnyNeedsEscape(word)) {
        i += 8;
        continue;
      }
    }
    for (const size_t end = std::min(n, i + 8); i < end; ++i) {
      unsigned char c = static_cast<unsigned char>(s[i]);
      if (c >= 0x20 && c != '"' && c != '\\') continue;
      out->append(s.data() + run, i - run);
      run = i + 1;
      switch (c) {
        case '"':
          out->append("\\\"");
          break;
        case '\\':
          out->append("\\\\");
          break;
        case '\n':
          out->append("\\n");
          break;
        case '\r':
          out->append("\\r");
          break;
        case '\t':
          out->append("\\t");
          break;
        case '\b':
          out->append("\\b");
          break;
        case '\f':
          out->append("\\f");
          break;
        default:
          out->append("\\u00");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
      }
    }
  }
  out->append(s.data() + run, n - run);
  out->push_back('"');
}

void WriteDouble(double d, std::string* out) {
  if (!std::isfinite(d)) {
    out->append("null");  // JSON has no NaN/Infinity
    return;
  }
  if (d == std::trunc(d) && std::fabs(d) < 1e15) {
    // Integral doubles print with a trailing ".0" so that they read back as doubles.
    char buf[32];
    auto r = std::to_chars(buf, buf + sizeof buf, static_cast<int64_t>(d));
    out->append(buf, r.ptr);
    out->append(".0");
    return;
  }
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  out->append(buf, r.ptr);
}

void WriteTo(const Value& v, std::string* out) { WriteImpl(v, out, -1, 0); }

std::string Write(const Value& v) {
  std::string out;
  WriteTo(v, &out);
  return out;
}

std::string WritePretty(const Value& v) {
  std::string out;
  WriteImpl(v, &out, 2, 0);
  return out;
}

}  // namespace stepfn::json
