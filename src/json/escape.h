// Internal to json/: which bytes a JSON string literal must escape, eight at a time.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

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

// The index of the first byte at or after `i` of s[0, n) that needs escaping; n when none does.
// Sixteen bytes at a time with SSE2 (every x86-64), else eight with AnyNeedsEscape.
inline size_t FindEscape(const char* s, size_t n, size_t i) {
#if defined(__SSE2__)
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i backslash = _mm_set1_epi8('\\');
  const __m128i control_max = _mm_set1_epi8(0x1f);
  while (i + 16 <= n) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s + i));
    // A byte is a control character when max(byte, 0x1f) is 0x1f (unsigned).
    const __m128i control = _mm_cmpeq_epi8(_mm_max_epu8(bytes, control_max), control_max);
    const __m128i hits = _mm_or_si128(
        control, _mm_or_si128(_mm_cmpeq_epi8(bytes, quote), _mm_cmpeq_epi8(bytes, backslash)));
    const unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(hits));
    if (mask != 0) return i + static_cast<size_t>(__builtin_ctz(mask));
    i += 16;
  }
#endif
  while (i + 8 <= n) {
    uint64_t word;
    std::memcpy(&word, s + i, 8);
    if (AnyNeedsEscape(word)) break;
    i += 8;
  }
  while (i < n && !NeedsEscape(static_cast<unsigned char>(s[i]))) ++i;
  return i;
}

// The escape of each byte that needs one (indexed by the byte; '\\' is the highest), padded to
// a fixed-size store, and its length. Only entries for which NeedsEscape holds are meaningful.
inline constexpr size_t kEscapeStore = 8;
struct EscapeEntry {
  char text[kEscapeStore];
  unsigned char length;
};
inline constexpr std::array<EscapeEntry, 93> kEscapes = [] {
  // The bytes with a short escape, and the letter after the backslash for each.
  constexpr std::string_view kShort = "\"\\\n\r\t\b\f";
  constexpr std::string_view kLetter = "\"\\nrtbf";
  std::array<EscapeEntry, 93> table{};
  for (unsigned c = 0; c < table.size(); ++c) {
    EscapeEntry& e = table[c];
    e.text[0] = '\\';
    size_t at = kShort.find(static_cast<char>(c));
    if (at != std::string_view::npos) {
      e.text[1] = kLetter[at];
      e.length = 2;
    } else {
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
