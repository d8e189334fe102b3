// Mocked task responses in the format of AWS Step Functions Local's mock configuration file:
//
//   {"StateMachines": {"<machine>": {"TestCases": {"<case>": {"<state>": "<response>"}}}},
//    "MockedResponses": {"<response>": {"0": {"Return": {...}},
//                                       "1-2": {"Throw": {"Error": "...", "Cause": "..."}}}}}
//
// Keys of a response are attempt numbers or ranges ("0", "1-2"): the response for a Task's
// first attempt, its first retry, and so on. Past the last attempt given, the last one repeats.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

#include "common/states_error.h"
#include "common/status.h"
#include "json/value.h"

namespace stepfn::engine {

struct MockedAnswer {
  bool is_throw = false;
  json::Value result;  // Return
  StatesError error;   // Throw
};

class MockConfig {
 public:
  // Checks the whole document; errors name the offending key ("MockedResponses.X.0-a: ...").
  static Result<MockConfig> FromJson(const json::Value& doc);
  static Result<MockConfig> Load(const std::string& path);

  bool HasTestCase(std::string_view machine, std::string_view test_case) const;
  // The only state machine named in the file, or empty when there are several.
  std::string SoleMachine() const;
  // The answer for `state`'s attempt (0-based), or nullptr when the test case mocks no such
  // state.
  const MockedAnswer* Find(std::string_view machine, std::string_view test_case,
                           std::string_view state, int attempt) const;

  // A test case resolved once, for runs that look up many answers.
  class TestCase {
   public:
    const MockedAnswer* Find(std::string_view state, int attempt) const;

   private:
    friend class MockConfig;
    const MockConfig* config_ = nullptr;
    const void* table_ = nullptr;  // the case's state -> response table (resolved_)
  };
  // nullptr when the file has no such machine or test case.
  std::optional<TestCase> FindTestCase(std::string_view machine, std::string_view test_case) const;

 private:
  struct Response {
    std::map<int, std::pair<int, MockedAnswer>> by_first;  // first attempt -> (last, answer)
  };
  struct StringHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>()(s); }
  };
  // machine -> case -> state -> its response, resolved at load: one hash lookup per task.
  using StateTable = std::unordered_map<std::string, const Response*, StringHash, std::equal_to<>>;
  std::map<std::string, std::map<std::string, StateTable, std::less<>>, std::less<>> resolved_;
  // machine -> case -> state -> response name
  std::map<std::string,
           std::map<std::string, std::map<std::string, std::string, std::less<>>, std::less<>>,
           std::less<>>
      machines_;
  std::map<std::string, Response, std::less<>> responses_;
};

}  // namespace stepfn::engine
