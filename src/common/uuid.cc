#include "common/uuid.h"

#include <random>

namespace stepfn {
namespace {

// Writes the low `digits` hex digits of `value` at `out`, most significant first.
void WriteHex(uint64_t value, int digits, char* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  for (int i = digits - 1; i >= 0; --i) {
    out[i] = kHex[value & 15];
    value >>= 4;
  }
}

}  // namespace

uint64_t RandomU64() {
  thread_local std::mt19937_64 engine([] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }());
  return engine();
}

std::string NewUuid() {
  uint64_t hi = RandomU64();
  uint64_t lo = RandomU64();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10xx
  std::string s(36, '-');
  WriteHex(hi >> 32, 8, &s[0]);
  WriteHex(hi >> 16, 4, &s[9]);
  WriteHex(hi, 4, &s[14]);
  WriteHex(lo >> 48, 4, &s[19]);
  WriteHex(lo, 12, &s[24]);
  return s;
}

std::string Hex(uint64_t value, int digits) {
  std::string s(static_cast<size_t>(digits), '0');
  WriteHex(value, digits, s.data());
  return s;
}

std::string RandomHex(int digits) {
  std::string s(static_cast<size_t>(digits), '0');
  for (int at = 0; at < digits; at += 16) {
    int n = digits - at < 16 ? digits - at : 16;
    WriteHex(RandomU64(), n, &s[static_cast<size_t>(at)]);
  }
  return s;
}

}  // namespace stepfn
