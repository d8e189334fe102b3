// Random (version 4) UUIDs, random hex ids and random numbers from a per-thread generator
// seeded once from the system's entropy: fast (no system call, no lock), unique in practice,
// not secret. For request ids, names and ids that guard nothing; secrets use OpenSSL's
// RAND_bytes.
#pragma once

#include <cstdint>
#include <string>

namespace stepfn {

// 64 random bits.
uint64_t RandomU64();

// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", lower-case hex, y one of 8, 9, a, b (RFC 4122).
std::string NewUuid();

// The low `digits` hex digits of `value` (at most 16), lower case, most significant first:
// Hex(0x2a, 4) is "002a".
std::string Hex(uint64_t value, int digits);

// `digits` random lower-case hex digits.
std::string RandomHex(int digits);

}  // namespace stepfn
