#include "asl/validate_syntax.h"

#include <array>
#include <cstddef>

namespace stepfn::asl::internal {
namespace {

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsNameChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || IsDigit(c) || c == '_';
}

// Reads a quoted string starting at text[*pos] (the quote); leaves *pos after the closing quote.
bool SkipQuoted(std::string_view text, size_t* pos) {
  char quote = text[*pos];
  for (size_t i = *pos + 1; i < text.size(); ++i) {
    if (text[i] == '\\') {
      ++i;
    } else if (text[i] == quote) {
      *pos = i + 1;
      return true;
    }
  }
  return false;
}

// A filter body "(...)" with balanced parentheses; *pos at '('.
bool SkipParens(std::string_view text, size_t* pos) {
  int depth = 0;
  for (size_t i = *pos; i < text.size(); ++i) {
    char c = text[i];
    if (c == '\'' || c == '"') {
      size_t q = i;
      if (!SkipQuoted(text, &q)) return false;
      i = q - 1;
    } else if (c == '(') {
      ++depth;
    } else if (c == ')') {
      if (--depth == 0) {
        *pos = i + 1;
        return true;
      }
    }
  }
  return false;
}

// The inside of "[...]"; *pos just after '['. Leaves *pos after ']'.
bool ParseBracket(std::string_view text, size_t* pos, bool reference) {
  size_t i = *pos;
  while (i < text.size() && IsSpace(text[i])) ++i;
  if (i >= text.size()) return false;
  char c = text[i];
  if (c == '\'' || c == '"') {
    while (true) {
      if (i >= text.size() || (text[i] != '\'' && text[i] != '"')) return false;
      if (!SkipQuoted(text, &i)) return false;
      while (i < text.size() && IsSpace(text[i])) ++i;
      if (i < text.size() && text[i] == ',' && !reference) {
        ++i;
        while (i < text.size() && IsSpace(text[i])) ++i;
        continue;
      }
      break;
    }
  } else if (c == '*') {
    if (reference) return false;
    ++i;
  } else if (c == '?') {
    if (reference) return false;
    ++i;
    while (i < text.size() && IsSpace(text[i])) ++i;
    if (i >= text.size() || text[i] != '(') return false;
    if (!SkipParens(text, &i)) return false;
  } else {
    size_t start = i;
    bool digits = false;
    while (i < text.size() && text[i] != ']') {
      char d = text[i];
      if (IsDigit(d)) {
        digits = true;
      } else if (reference || (d != '-' && d != ':' && d != ',' && !IsSpace(d))) {
        return false;
      }
      ++i;
    }
    if (i == start || (reference && !digits)) return false;
  }
  while (i < text.size() && IsSpace(text[i])) ++i;
  if (i >= text.size() || text[i] != ']') return false;
  *pos = i + 1;
  return true;
}

bool ParsePath(std::string_view text, bool reference) {
  if (text.empty() || text[0] != '$') return false;
  size_t pos = 1;
  if (pos < text.size() && text[pos] == '$') {
    ++pos;
  } else {
    while (pos < text.size() && IsNameChar(text[pos])) ++pos;  // a variable name
  }
  while (pos < text.size()) {
    char c = text[pos];
    if (c == '.') {
      ++pos;
      if (pos < text.size() && text[pos] == '.') {
        if (reference) return false;
        ++pos;
      }
      if (pos < text.size() && text[pos] == '*') {
        if (reference) return false;
        ++pos;
        continue;
      }
      size_t start = pos;
      while (pos < text.size() && text[pos] != '.' && text[pos] != '[') ++pos;
      if (pos == start) return false;
    } else if (c == '[') {
      ++pos;
      if (!ParseBracket(text, &pos, reference)) return false;
    } else {
      return false;
    }
  }
  return true;
}

constexpr std::array<std::string_view, 18> kIntrinsics = {
    "States.Format",       "States.StringToJson", "States.JsonToString",  "States.Array",
    "States.ArrayPartition", "States.ArrayContains", "States.ArrayRange", "States.ArrayGetItem",
    "States.ArrayLength",  "States.ArrayUnique",  "States.Base64Encode", "States.Base64Decode",
    "States.Hash",         "States.JsonMerge",    "States.MathRandom",   "States.MathAdd",
    "States.StringSplit",  "States.UUID"};

class IntrinsicParser {
 public:
  explicit IntrinsicParser(std::string_view text) : text_(text) {}

  bool ParseWhole() {
    SkipSpaces();
    if (!ParseCall(0)) return false;
    SkipSpaces();
    return pos_ == text_.size();
  }

 private:
  static constexpr int kMaxDepth = 64;

  void SkipSpaces() {
    while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
  }

  bool ParseCall(int depth) {
    if (depth > kMaxDepth) return false;
    size_t start = pos_;
    while (pos_ < text_.size() && (IsNameChar(text_[pos_]) || text_[pos_] == '.')) ++pos_;
    std::string_view name = text_.substr(start, pos_ - start);
    bool known = false;
    for (std::string_view candidate : kIntrinsics) known = known || candidate == name;
    if (!known) return false;
    SkipSpaces();
    if (pos_ >= text_.size() || text_[pos_] != '(') return false;
    ++pos_;
    SkipSpaces();
    if (pos_ < text_.size() && text_[pos_] == ')') {
      ++pos_;
      return true;
    }
    while (true) {
      SkipSpaces();
      if (!ParseArgument(depth)) return false;
      SkipSpaces();
      if (pos_ >= text_.size()) return false;
      if (text_[pos_] == ')') {
        ++pos_;
        return true;
      }
      if (text_[pos_] != ',') return false;
      ++pos_;
    }
  }

  bool ParseString() {
    ++pos_;  // the opening quote
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '\\') {
        if (pos_ + 1 >= text_.size()) return false;
        char e = text_[pos_ + 1];
        if (e != '\'' && e != '{' && e != '}' && e != '\\') return false;
        pos_ += 2;
      } else if (c == '\'') {
        ++pos_;
        return true;
      } else {
        ++pos_;
      }
    }
    return false;
  }

  bool ParsePathArgument() {
    size_t start = pos_;
    int brackets = 0;
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == '\'' || c == '"') {
        if (!SkipQuoted(text_, &pos_)) return false;
        continue;
      }
      if (c == '[' || c == '(') ++brackets;
      if ((c == ']' || c == ')') && brackets > 0) {
        --brackets;
      } else if (brackets == 0 && (c == ',' || c == ')')) {
        break;
      }
      ++pos_;
    }
    std::string_view path = text_.substr(start, pos_ - start);
    while (!path.empty() && IsSpace(path.back())) path.remove_suffix(1);
    return IsValidPath(path);
  }

  bool ParseNumber() {
    size_t start = pos_;
    if (text_[pos_] == '-') ++pos_;
    bool digits = false;
    while (pos_ < text_.size() &&
           (IsDigit(text_[pos_]) || text_[pos_] == '.' || text_[pos_] == 'e' ||
            text_[pos_] == 'E' || text_[pos_] == '+' || text_[pos_] == '-')) {
      digits = digits || IsDigit(text_[pos_]);
      ++pos_;
    }
    return digits && pos_ > start;
  }

  bool ParseWord(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return pos_ >= text_.size() || !IsNameChar(text_[pos_]);
  }

  bool ParseArgument(int depth) {
    if (pos_ >= text_.size()) return false;
    char c = text_[pos_];
    if (c == '\'') return ParseString();
    if (c == '$') return ParsePathArgument();
    if (c == '-' || IsDigit(c)) return ParseNumber();
    if (c == 't') return ParseWord("true");
    if (c == 'f') return ParseWord("false");
    if (c == 'n') return ParseWord("null");
    if (c == 'S') return ParseCall(depth + 1);
    return false;
  }

  std::string_view text_;
  size_t pos_ = 0;
};

// Reads exactly `count` digits at *pos into *value.
bool ReadDigits(std::string_view text, size_t* pos, int count, int* value) {
  if (*pos + count > text.size()) return false;
  int v = 0;
  for (int k = 0; k < count; ++k) {
    char c = text[*pos + k];
    if (!IsDigit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *pos += count;
  *value = v;
  return true;
}

bool Expect(std::string_view text, size_t* pos, char c) {
  if (*pos >= text.size() || text[*pos] != c) return false;
  ++*pos;
  return true;
}

int DaysInMonth(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}

}  // namespace

bool IsValidPath(std::string_view text) { return ParsePath(text, /*reference=*/false); }

bool IsValidReferencePath(std::string_view text) { return ParsePath(text, /*reference=*/true); }

bool LooksLikeIntrinsicCall(std::string_view text) {
  size_t start = 0;
  while (start < text.size() && IsSpace(text[start])) ++start;
  return text.substr(start, 7) == "States." && text.find('(') != std::string_view::npos;
}

bool IsValidIntrinsicCall(std::string_view text) { return IntrinsicParser(text).ParseWhole(); }

bool IsValidTimestamp(std::string_view text) {
  size_t pos = 0;
  int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
  if (!ReadDigits(text, &pos, 4, &year) || !Expect(text, &pos, '-') ||
      !ReadDigits(text, &pos, 2, &month) || !Expect(text, &pos, '-') ||
      !ReadDigits(text, &pos, 2, &day) || !Expect(text, &pos, 'T') ||
      !ReadDigits(text, &pos, 2, &hour) || !Expect(text, &pos, ':') ||
      !ReadDigits(text, &pos, 2, &minute) || !Expect(text, &pos, ':') ||
      !ReadDigits(text, &pos, 2, &second)) {
    return false;
  }
  if (month < 1 || month > 12 || day < 1 || day > DaysInMonth(year, month) || hour > 23 ||
      minute > 59 || second > 59) {
    return false;
  }
  if (pos < text.size() && text[pos] == '.') {
    ++pos;
    size_t start = pos;
    while (pos < text.size() && IsDigit(text[pos])) ++pos;
    if (pos == start || pos - start > 9) return false;
  }
  if (pos < text.size() && text[pos] == 'Z') return pos + 1 == text.size();
  if (pos >= text.size() || (text[pos] != '+' && text[pos] != '-')) return false;
  ++pos;
  int offset_hours = 0, offset_minutes = 0;
  if (!ReadDigits(text, &pos, 2, &offset_hours) || !Expect(text, &pos, ':') ||
      !ReadDigits(text, &pos, 2, &offset_minutes)) {
    return false;
  }
  if (offset_minutes > 59 || offset_hours * 60 + offset_minutes > 18 * 60) return false;
  return pos == text.size();
}

bool IsJsonataExpression(std::string_view text) {
  return text.size() >= 4 && text.substr(0, 2) == "{%" && text.substr(text.size() - 2) == "%}";
}

}  // namespace stepfn::asl::internal
