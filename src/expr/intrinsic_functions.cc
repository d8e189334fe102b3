// Evaluating intrinsic calls: the 18 States.* functions.
//
// Number arguments follow what AWS does: States.MathAdd rounds each argument half up (Java's
// Math.round: 1.5 -> 2, -1.5 -> -1), every other function truncates toward zero
// (States.ArrayRange(1.6, 5.4, 1) behaves as (1, 5, 1)).

#include <openssl/evp.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "expr/intrinsic.h"
#include "expr/intrinsic_internal.h"
#include "json/parse.h"
#include "json/write.h"

namespace stepfn::expr {
namespace {

using json::Value;

constexpr size_t kMaxArrayRange = 1000;    // AWS: "can't contain more than 1000 items"
constexpr size_t kMaxStringChars = 10000;  // Base64Encode/Decode and Hash inputs

StatesError InvalidArguments(IntrinsicFn fn) {
  return StatesError{"States.Runtime", "Invalid arguments in " + std::string(IntrinsicFnName(fn))};
}

// Number of Unicode code points in UTF-8 text.
size_t CodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

// A number truncated toward zero; false unless `v` is a finite number in int64 range.
bool TruncatedInt(const Value& v, int64_t* out) {
  if (v.is_int()) {
    *out = v.as_int();
    return true;
  }
  if (!v.is_double()) return false;
  double d = std::trunc(v.as_double());
  if (!std::isfinite(d) || d < -9.2e18 || d > 9.2e18) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

// Java's Math.round: floor(x + 0.5).
bool RoundedInt(const Value& v, int64_t* out) {
  if (v.is_int()) {
    *out = v.as_int();
    return true;
  }
  if (!v.is_double()) return false;
  double d = std::floor(v.as_double() + 0.5);
  if (!std::isfinite(d) || d < -9.2e18 || d > 9.2e18) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

uint64_t SplitMix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

// Structural hash consistent with Value::Equals (numbers by value, objects by content).
uint64_t HashValue(const Value& v) {
  switch (v.type()) {
    case json::Type::Null:
      return 0x6e756c6c;
    case json::Type::Bool:
      return v.as_bool() ? 0x74727565 : 0x66616c73;
    case json::Type::Int:
      return SplitMix64(static_cast<uint64_t>(v.as_int()));
    case json::Type::Double: {
      double d = v.as_double();
      if (d == std::trunc(d) && std::fabs(d) < 9e18) {
        return SplitMix64(static_cast<uint64_t>(static_cast<int64_t>(d)));
      }
      uint64_t bits;
      std::memcpy(&bits, &d, sizeof bits);
      return SplitMix64(bits);
    }
    case json::Type::String:
      return std::hash<std::string>()(v.as_string());
    case json::Type::Array: {
      uint64_t h = 0x61727261;
      for (const Value& item : v.items()) h = SplitMix64(h ^ HashValue(item));
      return h;
    }
    case json::Type::Object: {
      uint64_t h = 0x6f626a65;
      for (const json::Member& m : v.members()) {  // order-independent
        h += SplitMix64(std::hash<std::string>()(m.first) ^ HashValue(m.second));
      }
      return h;
    }
  }
  return 0;
}

void AppendUtf8(uint32_t cp, std::string* out) {
  if (cp < 0x80) {
    out->push_back(static_cast<char>(cp));
  } else if (cp < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (cp >> 6)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else if (cp < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (cp >> 12)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
}

// Decodes bytes as UTF-8, replacing invalid sequences with U+FFFD (as Java's decoder does).
std::string SanitizeUtf8(std::string_view in) {
  std::string out;
  out.reserve(in.size());
  size_t i = 0;
  while (i < in.size()) {
    unsigned char c = static_cast<unsigned char>(in[i]);
    size_t len = c < 0x80           ? 1
                 : (c >> 5) == 0x6  ? 2
                 : (c >> 4) == 0xE  ? 3
                 : (c >> 3) == 0x1E ? 4
                                    : 0;
    uint32_t cp = len == 1 ? c : len == 2 ? (c & 0x1F) : len == 3 ? (c & 0x0F) : (c & 0x07);
    bool ok = len != 0 && i + len <= in.size();
    for (size_t k = 1; ok && k < len; ++k) {
      unsigned char cc = static_cast<unsigned char>(in[i + k]);
      if ((cc & 0xC0) != 0x80) ok = false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if (ok) {
      static constexpr uint32_t kMin[5] = {0, 0, 0x80, 0x800, 0x10000};
      ok = cp >= kMin[len] && cp <= 0x10FFFF && !(cp >= 0xD800 && cp <= 0xDFFF);
    }
    if (ok) {
      out.append(in.substr(i, len));
      i += len;
    } else {
      AppendUtf8(0xFFFD, &out);
      ++i;
    }
  }
  return out;
}

// Splits UTF-8 text into code points (as strings), for delimiter sets.
std::vector<std::string_view> CodePointViews(std::string_view s) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < s.size()) {
    size_t j = i + 1;
    while (j < s.size() && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80) ++j;
    out.push_back(s.substr(i, j - i));
    i = j;
  }
  return out;
}

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string Base64Encode(std::string_view in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t n = (static_cast<unsigned char>(in[i]) << 16) |
                 (static_cast<unsigned char>(in[i + 1]) << 8) |
                 static_cast<unsigned char>(in[i + 2]);
    out.push_back(kB64[(n >> 18) & 63]);
    out.push_back(kB64[(n >> 12) & 63]);
    out.push_back(kB64[(n >> 6) & 63]);
    out.push_back(kB64[n & 63]);
  }
  size_t rest = in.size() - i;
  if (rest > 0) {
    uint32_t n = static_cast<unsigned char>(in[i]) << 16;
    if (rest == 2) n |= static_cast<unsigned char>(in[i + 1]) << 8;
    out.push_back(kB64[(n >> 18) & 63]);
    out.push_back(kB64[(n >> 12) & 63]);
    out.push_back(rest == 2 ? kB64[(n >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

// Standard alphabet; padding optional (as Java's basic decoder). False on bad input.
bool Base64Decode(std::string_view in, std::string* out) {
  size_t end = in.size();
  if (end > 0 && in[end - 1] == '=') --end;
  if (end > 0 && in[end - 1] == '=') --end;
  if (end < in.size() && in.size() % 4 != 0) return false;
  if (end % 4 == 1) return false;
  uint32_t acc = 0;
  int bits = 0;
  for (size_t i = 0; i < end; ++i) {
    const char* p = std::strchr(kB64, in[i]);
    if (in[i] == '\0' || p == nullptr) return false;
    acc = (acc << 6) | static_cast<uint32_t>(p - kB64);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out->push_back(static_cast<char>((acc >> bits) & 0xFF));
    }
  }
  return true;
}

Value DeepMerge(const Value& a, const Value& b) {
  json::ObjectBuilder builder(a);
  for (const json::Member& m : b.members()) {
    const Value* old = a.find(m.first);
    if (old != nullptr && old->is_object() && m.second.is_object()) {
      builder.Set(m.first, DeepMerge(*old, m.second));
    } else {
      builder.Set(m.first, m.second);
    }
  }
  return std::move(builder).Build();
}

bool HexDigest(std::string_view algorithm, std::string_view data, std::string* out) {
  const EVP_MD* md = nullptr;
  if (algorithm == "MD5") {
    md = EVP_md5();
  } else if (algorithm == "SHA-1") {
    md = EVP_sha1();
  } else if (algorithm == "SHA-256") {
    md = EVP_sha256();
  } else if (algorithm == "SHA-384") {
    md = EVP_sha384();
  } else if (algorithm == "SHA-512") {
    md = EVP_sha512();
  } else {
    return false;
  }
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, md, nullptr) != 1) return false;
  static constexpr char kHex[] = "0123456789abcdef";
  out->reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out->push_back(kHex[digest[i] >> 4]);
    out->push_back(kHex[digest[i] & 15]);
  }
  return true;
}

// The call with its arguments evaluated.
Fallible<Value> Apply(const Intrinsic& call, std::vector<Value>& a, const Scope& scope) {
  const IntrinsicFn fn = call.fn;
  const size_t n = a.size();
  auto bad = [fn]() { return InvalidArguments(fn); };
  switch (fn) {
    case IntrinsicFn::kFormat: {
      if (n < 1 || !a[0].is_string()) return bad();
      std::vector<FormatPiece> runtime_pieces;
      const std::vector<FormatPiece>* pieces = &call.format_pieces;
      if (call.has_format_pieces) {
        if (call.format_error) return bad();
      } else {
        if (!SplitFormatTemplate(a[0].as_string(), &runtime_pieces)) return bad();
        pieces = &runtime_pieces;
      }
      size_t holes = 0;
      for (const FormatPiece& p : *pieces) holes += p.placeholder;
      if (holes != n - 1) return bad();
      std::string out;
      size_t next = 1;
      for (const FormatPiece& p : *pieces) {
        if (p.placeholder) {
          AppendJavaString(a[next++], &out);
        } else {
          out.append(p.text);
        }
      }
      return Value::String(std::move(out));
    }
    case IntrinsicFn::kStringToJson: {
      if (n != 1 || !a[0].is_string()) return bad();
      const std::string& s = a[0].as_string();
      size_t b = s.find_first_not_of(" \t\r\n");
      if (b == std::string::npos) return Value();
      Result<Value> parsed = json::Parse(s);
      if (!parsed.ok()) return bad();
      return std::move(*parsed);
    }
    case IntrinsicFn::kJsonToString: {
      if (n != 1) return bad();
      return Value::String(json::Write(a[0]));
    }
    case IntrinsicFn::kArray:
      return Value::Array(std::move(a));
    case IntrinsicFn::kArrayPartition: {
      int64_t size = 0;
      if (n != 2 || !a[0].is_array() || !TruncatedInt(a[1], &size) || size < 1) return bad();
      const std::vector<Value>& items = a[0].items();
      std::vector<Value> chunks;
      size_t step = static_cast<size_t>(size);
      chunks.reserve(items.size() / step + 1);
      for (size_t i = 0; i < items.size(); i += step) {
        size_t end = items.size() - i < step ? items.size() : i + step;
        chunks.push_back(
            Value::Array(std::vector<Value>(items.begin() + static_cast<ptrdiff_t>(i),
                                            items.begin() + static_cast<ptrdiff_t>(end))));
      }
      return Value::Array(std::move(chunks));
    }
    case IntrinsicFn::kArrayContains: {
      if (n != 2 || !a[0].is_array()) return bad();
      for (const Value& item : a[0].items()) {
        if (item.Equals(a[1])) return Value::Bool(true);
      }
      return Value::Bool(false);
    }
    case IntrinsicFn::kArrayRange: {
      int64_t start = 0, end = 0, step = 0;
      if (n != 3 || !TruncatedInt(a[0], &start) || !TruncatedInt(a[1], &end) ||
          !TruncatedInt(a[2], &step) || step == 0) {
        return bad();
      }
      // Count in floating point: the bounds may be far apart.
      long double span = static_cast<long double>(end) - static_cast<long double>(start);
      long double count_f = span / static_cast<long double>(step);
      size_t count = count_f < 0 ? 0 : static_cast<size_t>(std::floor(count_f)) + 1;
      if (count_f >= static_cast<long double>(kMaxArrayRange) || count > kMaxArrayRange) {
        return bad();
      }
      std::vector<Value> items;
      items.reserve(count);
      for (size_t i = 0; i < count; ++i)
        items.push_back(Value::Int(start + static_cast<int64_t>(i) * step));
      return Value::Array(std::move(items));
    }
    case IntrinsicFn::kArrayGetItem: {
      int64_t index = 0;
      if (n != 2 || !a[0].is_array() || !TruncatedInt(a[1], &index) || index < 0 ||
          static_cast<uint64_t>(index) >= a[0].size()) {
        return bad();
      }
      return *a[0].at(static_cast<size_t>(index));
    }
    case IntrinsicFn::kArrayLength: {
      if (n != 1 || !a[0].is_array()) return bad();
      return Value::Int(static_cast<int64_t>(a[0].size()));
    }
    case IntrinsicFn::kArrayUnique: {
      if (n != 1 || !a[0].is_array()) return bad();
      const std::vector<Value>& items = a[0].items();
      std::vector<Value> out;
      out.reserve(items.size());
      std::unordered_multimap<uint64_t, size_t> seen;  // hash -> index in out
      seen.reserve(items.size());
      for (const Value& item : items) {
        uint64_t h = HashValue(item);
        bool dup = false;
        auto range = seen.equal_range(h);
        for (auto it = range.first; it != range.second && !dup; ++it) {
          dup = out[it->second].Equals(item);
        }
        if (dup) continue;
        seen.emplace(h, out.size());
        out.push_back(item);
      }
      if (out.size() == items.size()) return a[0];  // share the node
      return Value::Array(std::move(out));
    }
    case IntrinsicFn::kBase64Encode: {
      if (n != 1 || !a[0].is_string() || CodePoints(a[0].as_string()) > kMaxStringChars) {
        return bad();
      }
      return Value::String(Base64Encode(a[0].as_string()));
    }
    case IntrinsicFn::kBase64Decode: {
      if (n != 1 || !a[0].is_string() || a[0].as_string().size() > kMaxStringChars) return bad();
      std::string bytes;
      if (!Base64Decode(a[0].as_string(), &bytes)) return bad();
      return Value::String(SanitizeUtf8(bytes));
    }
    case IntrinsicFn::kHash: {
      if (n != 2 || !a[1].is_string()) return bad();
      std::string text;
      if (a[0].is_string()) {
        text = a[0].as_string();
      } else {
        AppendJavaString(a[0], &text);  // AWS hashes non-strings by their text
      }
      if (CodePoints(text) > kMaxStringChars) return bad();
      std::string digest;
      if (!HexDigest(a[1].as_string(), text, &digest)) return bad();
      return Value::String(std::move(digest));
    }
    case IntrinsicFn::kJsonMerge: {
      if (n != 3 || !a[0].is_object() || !a[1].is_object() || !a[2].is_bool()) return bad();
      if (a[2].as_bool()) return DeepMerge(a[0], a[1]);
      json::ObjectBuilder builder(a[0]);
      for (const json::Member& m : a[1].members()) builder.Set(m.first, m.second);
      return std::move(builder).Build();
    }
    case IntrinsicFn::kMathRandom: {
      int64_t start = 0, end = 0, seed = 0;
      if ((n != 2 && n != 3) || !TruncatedInt(a[0], &start) || !TruncatedInt(a[1], &end) ||
          start >= end || (n == 3 && !TruncatedInt(a[2], &seed))) {
        return bad();
      }
      uint64_t r;
      if (n == 3) {
        r = SplitMix64(static_cast<uint64_t>(seed));
      } else {
        if (!scope.random) {
          return StatesError{"States.Runtime", "States.MathRandom: no source of randomness"};
        }
        r = scope.random();
      }
      uint64_t range = static_cast<uint64_t>(end) - static_cast<uint64_t>(start);
      return Value::Int(static_cast<int64_t>(static_cast<uint64_t>(start) + r % range));
    }
    case IntrinsicFn::kMathAdd: {
      int64_t x = 0, y = 0, sum = 0;
      if (n != 2 || !RoundedInt(a[0], &x) || !RoundedInt(a[1], &y) ||
          __builtin_add_overflow(x, y, &sum)) {
        return bad();
      }
      return Value::Int(sum);
    }
    case IntrinsicFn::kStringSplit: {
      if (n != 2 || !a[0].is_string() || !a[1].is_string()) return bad();
      std::string_view s = a[0].as_string();
      std::vector<std::string_view> delims = CodePointViews(a[1].as_string());
      std::vector<Value> parts;
      size_t token_start = 0;
      size_t i = 0;
      auto flush = [&](size_t end) {
        if (end > token_start)
          parts.push_back(Value::String(s.substr(token_start, end - token_start)));
      };
      while (i < s.size()) {
        size_t j = i + 1;
        while (j < s.size() && (static_cast<unsigned char>(s[j]) & 0xC0) == 0x80) ++j;
        std::string_view cp = s.substr(i, j - i);
        bool is_delim = false;
        for (std::string_view d : delims) is_delim |= d == cp;
        if (is_delim) {
          flush(i);
          token_start = j;
        }
        i = j;
      }
      flush(s.size());
      return Value::Array(std::move(parts));
    }
    case IntrinsicFn::kUuid: {
      if (n != 0) return bad();
      if (!scope.random)
        return StatesError{"States.Runtime", "States.UUID: no source of randomness"};
      uint64_t hi = scope.random();
      uint64_t lo = scope.random();
      hi = (hi & ~0xF000ull) | 0x4000ull;        // version 4
      lo = (lo & ~(3ull << 62)) | (2ull << 62);  // RFC 4122 variant
      static constexpr char kHex[] = "0123456789abcdef";
      std::string out;
      out.reserve(36);
      for (int i = 15; i >= 0; --i) {
        out.push_back(kHex[(hi >> (i * 4)) & 15]);
        if (i == 8 || i == 4) out.push_back('-');
      }
      out.push_back('-');
      for (int i = 15; i >= 0; --i) {
        out.push_back(kHex[(lo >> (i * 4)) & 15]);
        if (i == 12) out.push_back('-');
      }
      return Value::String(std::move(out));
    }
  }
  return bad();
}

}  // namespace

void AppendJavaString(const Value& v, std::string* out) {
  switch (v.type()) {
    case json::Type::String:
      out->append(v.as_string());
      return;
    case json::Type::Array: {
      out->push_back('[');
      bool first = true;
      for (const Value& item : v.items()) {
        if (!first) out->append(", ");
        first = false;
        AppendJavaString(item, out);
      }
      out->push_back(']');
      return;
    }
    case json::Type::Object: {
      out->push_back('{');
      bool first = true;
      for (const json::Member& m : v.members()) {
        if (!first) out->append(", ");
        first = false;
        out->append(m.first);
        out->push_back('=');
        AppendJavaString(m.second, out);
      }
      out->push_back('}');
      return;
    }
    case json::Type::Null:
    case json::Type::Bool:
    case json::Type::Int:
    case json::Type::Double:
      json::WriteTo(v, out);
      return;
  }
}

Fallible<Value> EvaluatePathInScope(const json::Path& path, const Scope& scope,
                                    std::string_view field) {
  static const Value kNull;
  const Value* doc = RootDocument(path, scope);
  if (doc != nullptr) {
    Result<Value> r = path.Evaluate(*doc);
    if (r.ok()) return std::move(*r);
  }
  const Value& shown = doc != nullptr ? *doc : (scope.input != nullptr ? *scope.input : kNull);
  std::string cause = "The JSONPath '";
  cause.append(path.text());
  cause.append("' specified for the field '");
  cause.append(field);
  cause.append("' could not be found in the input '");
  json::WriteTo(shown, &cause);
  cause.push_back('\'');
  return StatesError{"States.Runtime", std::move(cause)};
}

Fallible<Value> EvaluateIntrinsic(const Intrinsic& call, const Scope& scope,
                                  std::string_view field) {
  std::vector<Value> args;
  args.reserve(call.args.size());
  for (const IntrinsicArg& arg : call.args) {
    switch (arg.kind) {
      case IntrinsicArg::Kind::kLiteral:
        args.push_back(arg.literal);
        break;
      case IntrinsicArg::Kind::kPath: {
        Fallible<Value> v = EvaluatePathInScope(*arg.path, scope, field);
        if (!v.ok()) return std::move(v.error);
        args.push_back(std::move(v.value));
        break;
      }
      case IntrinsicArg::Kind::kCall: {
        Fallible<Value> v = EvaluateIntrinsic(*arg.call, scope, field);
        if (!v.ok()) return std::move(v.error);
        args.push_back(std::move(v.value));
        break;
      }
    }
  }
  return Apply(call, args, scope);
}

}  // namespace stepfn::expr
