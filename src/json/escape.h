// Internal to json/: which bytes a JSON string literal must escape, eight at a time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

namespace stepfn::json::detail {

// Whether any of the eight bytes of `word` needs escaping in a JSON string: a control
// character (below 0x20), '"' or '\\'. Exact for the word as a whole (a borrow can only mark
// bytes above one that matched); callers then look at the bytes one by one.
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

inline bool NeedsEscape(unsigned char c) { return c < 0x20 || c == '"' || c == '\\'; }

// The escape of each byte that needs one (indexed by the byte; '\\' is the highest), padded to
// a fixed-size store, and its length. Only entries for which NeedsEscape holds are meaningful.
inline constexpr size_t kEscapeStore = 8;
struct EscapeEntry {
  char text[kEscapeStore];
  unsigned char length;
};
inline constexpr std::array<EscapeEntry, 93> kEscapes = [] {
  std::array<EscapeEntry, 93> table{};
  for (unsigned c = 0; c < table.size(); ++c) {
    EscapeEntry& e = table[c];
    e.text[0] = '\\';
    e.length = 2;
    switch (c) {
      case '"':
        e.text[1] = '"';
        break;
      case '\\':
        e.text[1] = '\\';
        break;
      case '\n':
        e.text[1] = 'n';
        break;
      case '\r':
        e.text[1] = 'r';
        break;
      case '\t':
        e.text[1] = 't';
        break;
      case '\b':
        e.text[1] = 'b';
        break;
      case '\f':
        e.text[1] = 'f';
        break;
      default:
        e.text[1] = 'u';
        e.text[2] = '0';
        e.text[3] = '0';
        e.text[4] = "0123456789abcdef"[c >> 4];
        e.text[5] = "0123456789abcdef"[c & 15];
        e.length = 6;
    }
  }
  return table;
}();

}  // namespace stepfn::json::detail
