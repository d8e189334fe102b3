// Random (version 4) UUIDs and random numbers from a per-thread generator seeded once from the
// system's entropy: fast (no system call, no lock), unique in practice, not secret. For request
// ids, names and ids that guard nothing; secrets use OpenSSL's RAND_bytes.
#pragma once

#include <cstdint>
#include <string>

namespace stepfn {

// 64 random bits.
uint64_t RandomU64();

// "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx", lower-case hex, y one of 8, 9, a, b (RFC 4122).
std::string NewUuid();

}  // namespace stepfn
