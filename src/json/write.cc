#include "json/write.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>

#include "json/escape.h"

namespace stepfn::json {
namespace {

using detail::FindEscape;
using detail::kEscapes;
using detail::kEscapeStore;

// Copies s from byte i up to the first byte that needs escaping (or the end) to *d, which has
// room for it; returns where it stopped.
inline size_t CopyClean(std::string_view s, size_t i, char** d) {
  const size_t end = FindEscape(s.data(), s.size(), i);
  std::memcpy(*d, s.data() + i, end - i);
  *d += end - i;
  return end;
}

// Writes the escape of c (REQUIRES NeedsEscape(c)) at d, which has kEscapeStore bytes of room.
inline char* Escape(unsigned char c, char* d) {
  const detail::EscapeEntry& e = kEscapes[c];
  std::memcpy(d, e.text, kEscapeStore);
  return d + e.length;
}

// Writes JSON at the end of a std::string used as a buffer: the first `len_` bytes are
// written, the rest of the string's size is room. Each token asks for its room first (Need),
// so the string grows rarely and bytes are stored through a plain pointer instead of one
// append call per token. The destructor trims the string to what was written.
class Writer {
 public:
  Writer(std::string* out, int indent, size_t expected)
      : out_(out), start_(out->size()), len_(start_), indent_(indent) {
    Need(expected);
  }
  Writer(const Writer&) = delete;
  Writer& operator=(const Writer&) = delete;
  ~Writer() { out_->resize(len_); }

  void Value(const json::Value& v, int depth) {
    switch (v.type()) {
      case Type::Null:
        Put("null", 4);
        return;
      case Type::Bool:
        if (v.as_bool()) {
          Put("true", 4);
        } else {
          Put("false", 5);
        }
        return;
      case Type::Int: {
        char* d = Need(24);
        len_ = static_cast<size_t>(std::to_chars(d, d + 24, v.as_int()).ptr - out_->data());
        return;
      }
      case Type::Double:
        Double(v.as_double());
        return;
      case Type::String:
        String(v.as_string());
        return;
      case Type::Array: {
        const auto& items = v.items();
        Put('[');
        for (size_t i = 0; i < items.size(); ++i) {
          if (i > 0) Put(',');
          Newline(depth + 1);
          Value(items[i], depth + 1);
        }
        if (!items.empty()) Newline(depth);
        Put(']');
        return;
      }
      case Type::Object: {
        const auto& members = v.members();
        Put('{');
        for (size_t i = 0; i < members.size(); ++i) {
          if (i > 0) Put(',');
          Newline(depth + 1);
          String(members[i].first);
          if (indent_ >= 0) {
            Put(": ", 2);
          } else {
            Put(':');
          }
          Value(members[i].second, depth + 1);
        }
        if (!members.empty()) Newline(depth);
        Put('}');
        return;
      }
    }
  }

  void String(std::string_view s) {
    const size_t n = s.size();
    // Room for the common case, nothing to escape: the quotes and the bytes.
    char* d = Need(n + 2);
    *d++ = '"';
    size_t i = CopyClean(s, 0, &d);
    while (i < n) {
      // An escape takes more room than its byte: room for Escape's store, then the rest of the
      // bytes and the closing quote.
      len_ = static_cast<size_t>(d - out_->data());
      d = Need(kEscapeStore + (n - i));
      d = Escape(static_cast<unsigned char>(s[i]), d);
      i = CopyClean(s, i + 1, &d);
    }
    *d++ = '"';
    len_ = static_cast<size_t>(d - out_->data());
  }

  void Double(double d) {
    if (!std::isfinite(d)) {
      Put("null", 4);  // JSON has no NaN/Infinity
      return;
    }
    char* at = Need(32);
    if (d == std::trunc(d) && std::fabs(d) < 1e15) {
      // Integral doubles print with a trailing ".0" so that they read back as doubles.
      at = std::to_chars(at, at + 30, static_cast<int64_t>(d)).ptr;
      *at++ = '.';
      *at++ = '0';
    } else {
      at = std::to_chars(at, at + 32, d).ptr;
    }
    len_ = static_cast<size_t>(at - out_->data());
  }

 private:
  // A pointer to at least n bytes of room at the end of what is written. The room grows with
  // what this writer wrote (std::string's capacity grows geometrically by itself), not with
  // the string's size: appending a little to a large string must not clear a large room.
  char* Need(size_t n) {
    if (out_->size() - len_ < n) [[unlikely]] {
      Grow(n);
    }
    return out_->data() + len_;
  }
  [[gnu::noinline]] void Grow(size_t n) { out_->resize(len_ + std::max(n, len_ - start_ + 256)); }
  void Put(char c) {
    *Need(1) = c;
    ++len_;
  }
  void Put(const char* s, size_t n) {
    std::memcpy(Need(n), s, n);
    len_ += n;
  }
  void Newline(int depth) {
    if (indent_ < 0) return;
    const size_t spaces = static_cast<size_t>(depth * indent_);
    char* d = Need(1 + spaces);
    *d = '\n';
    std::memset(d + 1, ' ', spaces);
    len_ += 1 + spaces;
  }

  std::string* out_;
  size_t start_;  // the string's size before this writer
  size_t len_;
  int indent_;
};

}  // namespace

void WriteString(std::string_view s, std::string* out) { Writer(out, -1, s.size() + 2).String(s); }

void WriteDouble(double d, std::string* out) { Writer(out, -1, 32).Double(d); }

void WriteTo(const Value& v, std::string* out) {
  // The size is exact when known (doubles aside): then the text is written in place, with no
  // growing.
  Writer(out, -1, v.KnownSerializedSize()).Value(v, 0);
}

std::string Write(const Value& v) {
  std::string out;
  WriteTo(v, &out);
  return out;
}

std::string WritePretty(const Value& v) {
  std::string out;
  Writer(&out, 2, 0).Value(v, 0);
  return out;
}

}  // namespace stepfn::json
