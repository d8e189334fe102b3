#include "engine/mock_config.h"

#include <charconv>
#include <fstream>
#include <sstream>

#include "json/parse.h"
#include "json/write.h"

namespace stepfn::engine {
namespace {

bool ParseInt(std::string_view s, int* out) {
  if (s.empty()) return false;
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return r.ec == std::errc() && r.ptr == s.data() + s.size() && *out >= 0;
}

}  // namespace

Result<MockConfig> MockConfig::FromJson(const json::Value& doc) {
  if (!doc.is_object()) return InvalidArgument("mock config: the document must be an object");
  MockConfig mc;
  const json::Value* responses = doc.find("MockedResponses");
  if (responses && !responses->is_object()) {
    return InvalidArgument("mock config: MockedResponses must be an object");
  }
  if (responses) {
    for (const auto& [name, resp] : responses->members()) {
      std::string where = "mock config: MockedResponses." + name;
      if (!resp.is_object() || resp.size() == 0) {
        return InvalidArgument(where + ": must be a non-empty object of attempts");
      }
      Response r;
      for (const auto& [key, answer] : resp.members()) {
        int first = 0, last = 0;
        size_t dash = key.find('-');
        bool ok = dash == std::string::npos
                      ? ParseInt(key, &first) && ((last = first), true)
                      : ParseInt(std::string_view(key).substr(0, dash), &first) &&
                            ParseInt(std::string_view(key).substr(dash + 1), &last) &&
                            last >= first;
        if (!ok) {
          return InvalidArgument(where + "." + key +
                                 ": attempt keys are numbers or ranges like \"0\" or \"1-2\"");
        }
        if (!answer.is_object()) return InvalidArgument(where + "." + key + ": must be an object");
        const json::Value* ret = answer.find("Return");
        const json::Value* thr = answer.find("Throw");
        if ((ret != nullptr) == (thr != nullptr)) {
          return InvalidArgument(where + "." + key + ": needs exactly one of Return or Throw");
        }
        MockedAnswer a;
        if (ret) {
          a.result = *ret;
        } else {
          a.is_throw = true;
          if (!thr->is_object())
            return InvalidArgument(where + "." + key + ".Throw: must be an object");
          const json::Value* e = thr->find("Error");
          const json::Value* c = thr->find("Cause");
          if (e && !e->is_string())
            return InvalidArgument(where + "." + key + ".Throw.Error: must be a string");
          if (c && !c->is_string())
            return InvalidArgument(where + "." + key + ".Throw.Cause: must be a string");
          a.error.error = e ? e->as_string() : "";
          a.error.cause = c ? c->as_string() : "";
        }
        if (r.by_first.count(first))
          return InvalidArgument(where + "." + key + ": attempt given twice");
        r.by_first[first] = {last, std::move(a)};
      }
      mc.responses_[name] = std::move(r);
    }
  }
  const json::Value* machines = doc.find("StateMachines");
  if (machines == nullptr || !machines->is_object()) {
    return InvalidArgument("mock config: StateMachines must be an object");
  }
  for (const auto& [mname, m] : machines->members()) {
    std::string where = "mock config: StateMachines." + mname;
    const json::Value* cases = m.find("TestCases");
    if (cases == nullptr || !cases->is_object()) {
      return InvalidArgument(where + ".TestCases: must be an object");
    }
    auto& out = mc.machines_[mname];
    for (const auto& [cname, c] : cases->members()) {
      if (!c.is_object())
        return InvalidArgument(where + ".TestCases." + cname + ": must be an object");
      auto& states = out[cname];
      for (const auto& [sname, rname] : c.members()) {
        if (!rname.is_string()) {
          return InvalidArgument(where + ".TestCases." + cname + "." + sname +
                                 ": must name a mocked response");
        }
        if (!mc.responses_.count(rname.as_string())) {
          return InvalidArgument(where + ".TestCases." + cname + "." + sname +
                                 ": no MockedResponses entry named '" + rname.as_string() + "'");
        }
        states[sname] = rname.as_string();
      }
    }
  }
  for (const auto& [mname, cases] : mc.machines_) {
    for (const auto& [cname, states] : cases) {
      auto& table = mc.resolved_[mname][cname];
      for (const auto& [sname, rname] : states) table[sname] = &mc.responses_.at(rname);
    }
  }
  return mc;
}

Result<MockConfig> MockConfig::Load(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return NotFound("mock config: cannot read " + path);
  std::stringstream ss;
  ss << in.rdbuf();
  auto doc = json::Parse(ss.str());
  if (!doc.ok()) return doc.status().WithPrefix("mock config " + path);
  return FromJson(*doc);
}

bool MockConfig::HasTestCase(std::string_view machine, std::string_view test_case) const {
  auto m = machines_.find(machine);
  return m != machines_.end() && m->second.find(test_case) != m->second.end();
}

std::string MockConfig::SoleMachine() const {
  return machines_.size() == 1 ? machines_.begin()->first : std::string();
}

std::optional<MockConfig::TestCase> MockConfig::FindTestCase(std::string_view machine,
                                                             std::string_view test_case) const {
  // resolved_ has every machine and test case of machines_ (FromJson), so one walk suffices.
  auto m = resolved_.find(machine);
  if (m == resolved_.end()) return std::nullopt;
  auto c = m->second.find(test_case);
  if (c == m->second.end()) return std::nullopt;
  TestCase tc;
  tc.config_ = this;
  tc.table_ = &c->second;
  return tc;
}

const MockedAnswer* MockConfig::TestCase::Find(std::string_view state, int attempt) const {
  const auto& table = *static_cast<const StateTable*>(table_);
  auto s = table.find(state);
  if (s == table.end() || s->second->by_first.empty()) return nullptr;
  const auto& by_first = s->second->by_first;
  auto it = by_first.upper_bound(attempt);
  if (it == by_first.begin()) return &by_first.begin()->second.second;
  --it;
  return &it->second.second;  // covers attempt, or the last one before it
}

const MockedAnswer* MockConfig::Find(std::string_view machine, std::string_view test_case,
                                     std::string_view state, int attempt) const {
  auto tc = FindTestCase(machine, test_case);
  return tc ? tc->Find(state, attempt) : nullptr;
}

}  // namespace stepfn::engine
