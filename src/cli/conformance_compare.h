// Comparing what the engine produced with what AWS returned, by the rules of
// ../shared/conformance/README.md ("How to compare").
//
// The recorded cases changed some values on the way: generated ids, dates, ARNs and account
// numbers were replaced by placeholder tokens ("<uuid:1>", "date", "111111111111", "<region>",
// "<ArnPart_0idx>", the snapshot transformers' replacement strings, ...). A CaseMatcher holds the
// tokens of one case and treats them as wildcards in the expected value:
//
//   - an expected string that is exactly a token matches any value at all (a transformer may
//     have replaced a number or a whole object by a string);
//   - a token inside a longer string (an ARN, a cause text) matches any non-empty run of
//     characters; the expected string is read as a pattern, the longest token at each position
//     winning, and a token that begins or ends with a letter or digit only counts where it is
//     not glued to another letter or digit (so "date" does not make "update" a wildcard);
//   - numbered tokens ("<uuid:N>", "<resource:N>", "<json-input:N>") and the ARN-part tokens
//     ("<ArnPart_0idx>") stand for one value throughout the case: their first match binds it.
//
// Objects compare regardless of key order, numbers by value. Object keys are never patterns.
//
// Not thread-safe: a CaseMatcher keeps the bindings of the case it compares.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "json/value.h"

namespace stepfn::cli {

class CaseMatcher {
 public:
  CaseMatcher() = default;
  explicit CaseMatcher(std::vector<std::string> tokens);

  // The wildcard tokens of a case file: `redactions` plus, when `redacted` is true, the
  // replacement strings of `snapshot_transformers` (and any "<...>" tokens inside them).
  static CaseMatcher ForCase(const json::Value& case_doc);

  const std::vector<std::string>& tokens() const { return tokens_; }

  // Compares `expected` (which may hold tokens) with `actual`. Returns nothing when they match,
  // else the first difference as "at /a/b: expected 3, got 4" (the path is a JSON pointer;
  // "at /" for the root). Bindings made by a successful comparison persist for later ones.
  std::optional<std::string> Compare(const json::Value& expected, const json::Value& actual);

  // True when the string `actual` matches the pattern `expected`.
  bool MatchString(std::string_view expected, std::string_view actual);

  // True when `expected` is exactly one token (it then matches any value).
  bool IsWholeToken(std::string_view expected) const;

 private:
  struct Piece {
    bool wildcard = false;
    std::string text;  // the literal, or the token
    bool binds = false;
  };
  std::vector<Piece> BuildPattern(std::string_view expected) const;
  bool MatchPieces(const std::vector<Piece>& pieces, size_t i, std::string_view actual, size_t pos,
                   std::map<std::string, std::string>* bound);
  bool MatchWholeToken(std::string_view token, const json::Value& actual);
  std::optional<std::string> CompareAt(const json::Value& expected, const json::Value& actual,
                                       std::string* path);

  std::vector<std::string> tokens_;  // longest first
  std::map<std::string, std::string> bindings_;
};

// True for tokens that stand for one value throughout a case ("<uuid:1>", "<ArnPart_0idx>").
bool IsBindingToken(std::string_view token);

// A short, single-line rendering of a value for messages (compact JSON, cut at `max` bytes).
std::string Brief(const json::Value& v, size_t max = 120);
std::string BriefText(std::string_view s, size_t max = 120);

// Applies localstack's SfnNoneRecursiveParallelTransformer to a list of history event types:
// the events between a ParallelStateStarted and the next Parallel end event
// (ParallelStateSucceeded/Aborted/Exited/Failed) are sorted, reproducing the upstream's quirks
// (a nested Parallel resets the sublist, and the outer end event then replaces the remaining
// span with the inner sublist). Events are sorted by type, so two lists normalised by this
// function compare equal when they differ only in the order of events inside Parallel states.
std::vector<std::string> NormaliseParallelEvents(std::vector<std::string> types);

}  // namespace stepfn::cli
