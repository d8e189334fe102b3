// Timestamps as Step Functions reads them: Wait `Timestamp`/`TimestampPath`, the Choice
// `Timestamp*` operators and `IsTimestamp`.
//
// Accepted form (the RFC 3339 profile of ISO 8601 that AWS documents, checked against the
// recorded AWS cases; AWS's runtime messages name it "ISO-8601 extended offset date-time"):
//
//   YYYY-MM-DD 'T' hh:mm:ss [ '.' 1*9DIGIT ] ( 'Z' | ('+' | '-') hh:mm )
//
//   2016-03-14T01:59:00Z   2016-03-05T21:29:29.243167252Z   2016-03-14T01:59:00+01:00
//
// Rejected: a missing 'T' (`2016-12-05 21:29:29Z`), a missing zone (`2016-12-05T21:29:29`),
// lowercase 't'/'z' (AWS documents uppercase), seconds omitted, more than 9 fraction digits,
// a '.' with no digits, offsets beyond +/-18:00 or with minutes > 59, impossible dates and times
// (month 13, Feb 30, Feb 29 outside leap years, hour 24 or 25, minute 60, leap second 60), a
// year that is not exactly 4 digits, and any surrounding whitespace.
//
// Precision: AWS compares Choice timestamps as Java date-times, i.e. to the nanosecond, so a
// Timestamp keeps nanoseconds. (Wait states truncate to whole seconds; that is the caller's job.)
#pragma once

#include <compare>
#include <cstdint>
#include <optional>
#include <string_view>

#include "common/status.h"

namespace stepfn::expr {

// An instant: seconds since 1970-01-01T00:00:00Z (negative before) plus nanoseconds [0, 1e9).
// Offsets are already applied, so `2016-03-14T02:59:00+01:00` == `2016-03-14T01:59:00Z`.
struct Timestamp {
  int64_t epoch_seconds = 0;
  int32_t nanos = 0;

  // Milliseconds since the epoch, rounded toward negative infinity.
  int64_t EpochMillis() const { return epoch_seconds * 1000 + nanos / 1000000; }

  friend auto operator<=>(const Timestamp&, const Timestamp&) = default;
  friend bool operator==(const Timestamp&, const Timestamp&) = default;
};

// Parses `text` in the form above. InvalidArgument ("String does not match RFC3339 timestamp:
// <why>") otherwise. Never allocates on success.
Result<Timestamp> ParseTimestamp(std::string_view text);

// The same, without a reason on failure; never allocates.
std::optional<Timestamp> TryParseTimestamp(std::string_view text);

// True when ParseTimestamp(text) would succeed; never allocates.
bool IsValidTimestamp(std::string_view text);

}  // namespace stepfn::expr
