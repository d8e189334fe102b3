#include "common/uuid.h"

#include <random>

namespace stepfn {

uint64_t RandomU64() {
  thread_local std::mt19937_64 engine([] {
    std::random_device device;
    std::seed_seq seed{device(), device(), device(), device()};
    return std::mt19937_64(seed);
  }());
  return engine();
}

std::string NewUuid() {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t hi = RandomU64();
  uint64_t lo = RandomU64();
  hi = (hi & 0xffffffffffff0fffULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3fffffffffffffffULL) | 0x8000000000000000ULL;  // variant 10xx
  std::string s(36, '-');
  size_t at = 0;
  auto put = [&](uint64_t bits, int nibbles) {
    for (int i = nibbles - 1; i >= 0; --i) s[at++] = kHex[(bits >> (4 * i)) & 15];
  };
  put(hi >> 32, 8);
  ++at;
  put(hi >> 16, 4);
  ++at;
  put(hi, 4);
  ++at;
  put(lo >> 48, 4);
  ++at;
  put(lo, 12);
  return s;
}

}  // namespace stepfn
