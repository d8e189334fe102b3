// Runs the payload templates of recorded AWS executions (../shared/conformance/aws-recorded/pure)
// whose definition is one Pass state with Parameters and nothing else that shapes the output,
// and compares with what AWS returned. Cases of other shapes belong to the interpreter's suite.

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "expr/intrinsic.h"
#include "expr/payload_template.h"
#include "json/parse.h"
#include "json/write.h"

namespace stepfn::expr {
namespace {

namespace fs = std::filesystem;

fs::path PureDir() {
  std::vector<fs::path> roots;
  if (const char* env = std::getenv("STEPFN_SHARED")) roots.emplace_back(env);
  roots.emplace_back("../shared");
  roots.emplace_back("../../shared");
  roots.emplace_back("../../../shared");
  roots.emplace_back("../../../../shared");
  for (const fs::path& r : roots) {
    fs::path p = r / "conformance" / "aws-recorded" / "pure";
    std::error_code ec;
    if (fs::is_directory(p, ec)) return p;
  }
  return {};
}

bool ContainsRedaction(const json::Value& v) {
  if (v.is_string()) return v.as_string().find('<') != std::string::npos;
  for (const json::Value& item : v.is_array() ? v.items() : std::vector<json::Value>{}) {
    if (ContainsRedaction(item)) return true;
  }
  if (v.is_object()) {
    for (const json::Member& m : v.members()) {
      if (ContainsRedaction(m.second)) return true;
    }
  }
  return false;
}

bool MatchesWithWildcards(const std::string& expected, const std::string& actual) {
  size_t star = expected.find("<json-input:1>");
  if (star == std::string::npos) return expected == actual;
  std::string head = expected.substr(0, star);
  std::string tail = expected.substr(star + 14);
  return actual.size() >= head.size() + tail.size() && actual.compare(0, head.size(), head) == 0 &&
         actual.compare(actual.size() - tail.size(), tail.size(), tail) == 0;
}

TEST(PayloadTemplateConformance, RecordedSinglePassStates) {
  fs::path dir = PureDir();
  if (dir.empty()) GTEST_SKIP() << "conformance data not found (set STEPFN_SHARED)";
  int checked = 0;
  for (const fs::directory_entry& e : fs::directory_iterator(dir)) {
    std::ifstream f(e.path());
    std::stringstream ss;
    ss << f.rdbuf();
    Result<json::Value> doc = json::Parse(ss.str());
    ASSERT_TRUE(doc.ok()) << e.path();
    const json::Value* def = doc->find("definition");
    if (def == nullptr || def->find("QueryLanguage") != nullptr) continue;
    const json::Value* states = def->find("States");
    if (states == nullptr || states->size() != 1) continue;
    const json::Value& state = states->members()[0].second;
    const json::Value* type = state.find("Type");
    const json::Value* params = state.find("Parameters");
    if (type == nullptr || !type->is_string() || type->as_string() != "Pass" || params == nullptr) {
      continue;
    }
    bool other = false;
    for (const char* k :
         {"InputPath", "OutputPath", "ResultPath", "Assign", "Output", "QueryLanguage", "Result"}) {
      other |= state.find(k) != nullptr;
    }
    if (other) continue;
    const json::Value& expected = *doc->find("expected");
    std::string status = expected.find("status")->as_string();
    json::Value input = *doc->find("input");
    json::Value context = json::Value::Object(
        {{"Execution",
          json::Value::Object({{"Input", input}, {"Name", json::Value::String("exec-name")}})},
         {"StateMachine", json::Value::Object({{"Name", json::Value::String("sm-name")}})}});
    uint64_t n = 0;
    Scope scope{&input, &context, nullptr, [&n] { return ++n * 0x9E3779B97F4A7C15ull; }};
    SCOPED_TRACE(e.path().filename().string());
    Result<PayloadTemplate> t = PayloadTemplate::Compile(*params);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    Fallible<json::Value> r = t->Evaluate(scope);
    ++checked;
    if (status == "SUCCEEDED") {
      ASSERT_TRUE(r.ok()) << r.error.error << ": " << r.error.cause;
      const json::Value* out = expected.find("output");
      if (out == nullptr || ContainsRedaction(*out)) continue;
      json::Value want = *out;
      if (doc->find("output_is_raw_text") != nullptr && want.is_string()) {
        Result<json::Value> parsed = json::Parse(want.as_string());
        if (parsed.ok()) want = *parsed;
      }
      if (want.is_object() && want.find("FunctionResult") != nullptr &&
          want.find("FunctionResult")->is_string() &&
          (want.find("FunctionResult")->as_string() == "RandomNumberGenerated" ||
           want.find("FunctionResult")->as_string() == "generated-uuid")) {
        continue;  // the recording replaced random values
      }
      EXPECT_TRUE(r.value.Equals(want))
          << "got " << json::Write(r.value) << "\nwant " << json::Write(want);
    } else {
      ASSERT_FALSE(r.ok()) << "got " << json::Write(r.value);
      EXPECT_EQ(r.error.error, expected.find("error")->as_string());
      std::string cause = expected.find("cause")->as_string();
      size_t dot = cause.find("). ");  // drop "An error occurred ... (entered at ... #N). "
      if (cause.rfind("An error occurred", 0) == 0 && dot != std::string::npos) {
        cause = cause.substr(dot + 3);
      }
      EXPECT_TRUE(MatchesWithWildcards(cause, r.error.cause))
          << "got  " << r.error.cause << "\nwant " << cause;
    }
  }
  EXPECT_GT(checked, 100);
  std::cout << "checked " << checked << " recorded cases\n";
}

// Every intrinsic call in a definition AWS accepted must compile.
void CollectCalls(const json::Value& v, std::vector<std::string>* calls) {
  if (v.is_string() && LooksLikeIntrinsic(v.as_string())) calls->push_back(v.as_string());
  if (v.is_array()) {
    for (const json::Value& item : v.items()) CollectCalls(item, calls);
  }
  if (v.is_object()) {
    for (const json::Member& m : v.members()) CollectCalls(m.second, calls);
  }
}

TEST(PayloadTemplateConformance, RecordedIntrinsicCallsCompile) {
  fs::path dir = PureDir();
  if (dir.empty()) GTEST_SKIP() << "conformance data not found (set STEPFN_SHARED)";
  int compiled = 0;
  for (const char* sub : {"pure", "teststate", "services"}) {
    for (const fs::directory_entry& e : fs::directory_iterator(dir.parent_path() / sub)) {
      std::ifstream f(e.path());
      std::stringstream ss;
      ss << f.rdbuf();
      Result<json::Value> doc = json::Parse(ss.str());
      if (!doc.ok()) continue;
      std::vector<std::string> calls;
      if (const json::Value* def = doc->find("definition")) CollectCalls(*def, &calls);
      if (const json::Value* req = doc->find("request")) CollectCalls(*req, &calls);
      for (const std::string& c : calls) {
        Result<IntrinsicPtr> r = CompileIntrinsic(c);
        EXPECT_TRUE(r.ok()) << e.path().filename() << ": " << r.status().ToString();
        ++compiled;
      }
    }
  }
  EXPECT_GT(compiled, 100);
  std::cout << "compiled " << compiled << " recorded intrinsic calls\n";
}

}  // namespace
}  // namespace stepfn::expr
