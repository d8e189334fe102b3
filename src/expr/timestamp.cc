#include "expr/timestamp.h"

#include <string>

namespace stepfn::expr {
namespace {

bool IsLeapYear(int64_t year) { return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0; }

int DaysInMonth(int64_t year, int month) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return month == 2 && IsLeapYear(year) ? 29 : kDays[month - 1];
}

// Days from 1970-01-01 to year-month-day in the proleptic Gregorian calendar.
int64_t DaysSinceEpoch(int64_t year, int month, int day) {
  // Count from 0000-03-01 so that the leap day falls at the end of a "year".
  const int64_t y = month <= 2 ? year - 1 : year;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t year_of_era = y - era * 400;                            // [0, 399]
  const int64_t shifted_month = month > 2 ? month - 3 : month + 9;      // Mar = 0
  const int64_t day_of_year = (153 * shifted_month + 2) / 5 + day - 1;  // [0, 365]
  const int64_t day_of_era =
      year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;  // [0, 146096]
  return era * 146097 + day_of_era - 719468;
}

// Reads exactly `count` digits at text[*pos]; advances *pos. False when any is not a digit.
bool ReadDigits(std::string_view text, size_t* pos, int count, int* out) {
  if (*pos + count > text.size()) {
    return false;
  }
  int value = 0;
  for (int n = 0; n < count; ++n) {
    const char c = text[*pos + n];
    if (c < '0' || c > '9') {
      return false;
    }
    value = value * 10 + (c - '0');
  }
  *pos += count;
  *out = value;
  return true;
}

bool Expect(std::string_view text, size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) {
    return false;
  }
  ++*pos;
  return true;
}

// The parser. Returns nullptr and fills *out on success, else a static reason.
const char* Parse(std::string_view text, Timestamp* out) {
  size_t pos = 0;
  int year = 0;
  int month = 0;
  int day = 0;
  int hour = 0;
  int minute = 0;
  int second = 0;
  if (!ReadDigits(text, &pos, 4, &year) || !Expect(text, &pos, '-') ||
      !ReadDigits(text, &pos, 2, &month) || !Expect(text, &pos, '-') ||
      !ReadDigits(text, &pos, 2, &day)) {
    return "expected a date YYYY-MM-DD";
  }
  if (!Expect(text, &pos, 'T')) {
    return "expected an uppercase 'T' between date and time";
  }
  if (!ReadDigits(text, &pos, 2, &hour) || !Expect(text, &pos, ':') ||
      !ReadDigits(text, &pos, 2, &minute) || !Expect(text, &pos, ':') ||
      !ReadDigits(text, &pos, 2, &second)) {
    return "expected a time hh:mm:ss";
  }
  int32_t nanos = 0;
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    int digits = 0;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      if (++digits > 9) {
        return "more than 9 fractional digits";
      }
      nanos = nanos * 10 + (text[pos] - '0');
      ++pos;
    }
    if (digits == 0) {
      return "expected digits after '.'";
    }
    for (int pad = digits; pad < 9; ++pad) {
      nanos *= 10;
    }
  }
  int offset_seconds = 0;
  if (pos < text.size() && text[pos] == 'Z') {
    ++pos;
  } else if (pos < text.size() && (text[pos] == '+' || text[pos] == '-')) {
    const int sign = text[pos] == '-' ? -1 : 1;
    ++pos;
    int offset_hours = 0;
    int offset_minutes = 0;
    if (!ReadDigits(text, &pos, 2, &offset_hours) || !Expect(text, &pos, ':') ||
        !ReadDigits(text, &pos, 2, &offset_minutes)) {
      return "expected an offset +hh:mm";
    }
    if (offset_minutes > 59 || offset_hours > 18 || (offset_hours == 18 && offset_minutes > 0)) {
      return "offset out of range";
    }
    offset_seconds = sign * (offset_hours * 3600 + offset_minutes * 60);
  } else {
    return "expected 'Z' or an offset +hh:mm";
  }
  if (pos != text.size()) {
    return "unexpected text after the time zone";
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month)) {
    return "no such date";
  }
  if (hour > 23 || minute > 59 || second > 59) {
    return "no such time";
  }
  out->epoch_seconds = DaysSinceEpoch(year, month, day) * 86400 + hour * 3600 + minute * 60 +
                       second - offset_seconds;
  out->nanos = nanos;
  return nullptr;
}

}  // namespace

Result<Timestamp> ParseTimestamp(std::string_view text) {
  Timestamp ts;
  if (const char* reason = Parse(text, &ts)) {
    return InvalidArgument("String does not match RFC3339 timestamp: " + std::string(reason));
  }
  return ts;
}

std::optional<Timestamp> TryParseTimestamp(std::string_view text) {
  Timestamp ts;
  if (Parse(text, &ts) != nullptr) {
    return std::nullopt;
  }
  return ts;
}

bool IsValidTimestamp(std::string_view text) {
  Timestamp ts;
  return Parse(text, &ts) == nullptr;
}

}  // namespace stepfn::expr
