// Deployment packages: unpacking a function's zip into a directory (libzip), safely.
//
// A package comes from the network, so every entry is checked before anything is written:
// - paths that leave the root (absolute, "..", backslashes, NUL) are refused;
// - symbolic links are created last, after every file, so nothing is ever written through one,
//   and each must resolve (physically, following links already unpacked) inside the root;
// - the bytes actually written are counted while inflating, so a zip bomb stops at the limit
//   whatever sizes its directory claims; the number of entries is bounded too;
// - file modes are kept (an executable `bootstrap` stays executable), without setuid/setgid/
//   sticky bits, and every file stays readable by its owner.
//
// Thread safety: plain functions; concurrent calls must use different directories.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "common/status.h"

namespace stepfn::lambda {

struct UnpackLimits {
  // AWS: "Unzipped size must be smaller than 262144000 bytes".
  uint64_t max_unpacked_bytes = 262'144'000;
  uint64_t max_entries = 100'000;
};

struct UnpackResult {
  uint64_t unpacked_bytes = 0;
  uint64_t entries = 0;
};

// Unpacks `zip` (the archive's bytes) into `dir`, which must exist and be empty. On failure
// `dir` may hold part of the package (the caller removes it). Errors are InvalidArgument with
// the message the Lambda API answers in an InvalidParameterValueException (OutOfRange for the
// size limit), or Unavailable when the disk fails.
Result<UnpackResult> UnpackZip(std::string_view zip, const std::string& dir,
                               const UnpackLimits& limits = {});

// AWS's words for a package that is not a zip it can read.
inline constexpr std::string_view kCouldNotUnzip =
    "Could not unzip uploaded file. Please check your file, then try to upload again.";

// Base64 (RFC 4648, with padding). Decode accepts missing padding and ignores nothing else:
// false on any other character.
std::string Base64Encode(std::string_view bytes);
bool Base64Decode(std::string_view text, std::string* out);

// The SHA-256 of `bytes`, base64 (as Lambda's CodeSha256) or hex.
std::string Sha256Base64(std::string_view bytes);
std::string Sha256HexOf(std::string_view bytes);

}  // namespace stepfn::lambda
