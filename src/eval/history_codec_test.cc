#include "eval/history_codec.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/varint.h"
#include "json/parse.h"
#include "json/write.h"

namespace stepfn::eval {
namespace {

// What the executor stored before compact details: {"<key>": Details(true)} as JSON text.
std::string JsonDetails(const HistoryEvent& e) {
  std::string_view key;
  json::Value details = e.Details(true, &key);
  if (key.empty()) return "";
  return json::Write(json::Value::Object({{std::string(key), std::move(details)}}));
}

std::string Rendered(const HistoryEvent& e) {
  std::string compact;
  EncodeCompactDetails(e, &compact);
  EXPECT_TRUE(IsCompactDetails(compact));
  // The head, then the payload's text (what a store writes for a payload kept as a value).
  std::string head;
  EncodeCompactDetailsHead(e, &head);
  if (!e.payload.is_null()) PutLengthPrefixed(json::Write(e.payload), &head);
  EXPECT_EQ(head, compact) << EventTypeName(e.type);
  Result<json::Value> v = RenderCompactDetails(EventTypeName(e.type), compact);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  if (!v.ok() || v->is_null()) return "";
  return json::Write(*v);
}

std::vector<EventType> AllTypes() {
  return {
#define STEPFN_LIST_ITEM(n) EventType::n,
      STEPFN_HISTORY_EVENT_TYPES(STEPFN_LIST_ITEM)
#undef STEPFN_LIST_ITEM
  };
}

TEST(HistoryCodec, RendersEveryEventTypeAsItsJsonDetails) {
  const json::Value payload = *json::Parse(
      R"({"a":[1,2.5,-3e-7,"x\"y\\z\u0001é"],"b":{"c":null,"d":true},"n":12345678901234})");
  for (EventType type : AllTypes()) {
    HistoryEvent full;
    full.type = type;
    full.index = 7;
    full.name = json::Value::String("State \"one\"");
    full.payload = payload;
    full.resource =
        json::Value::Array({json::Value::String("lambda"), json::Value::String("invoke")});
    full.SetFailure("States.TaskFailed", "it \"broke\"\n");
    EXPECT_EQ(Rendered(full), JsonDetails(full)) << EventTypeName(type);

    HistoryEvent bare;  // no name, payload, resource or failure
    bare.type = type;
    EXPECT_EQ(Rendered(bare), JsonDetails(bare)) << EventTypeName(type);

    HistoryEvent scalar;  // payloads that are not objects
    scalar.type = type;
    scalar.index = -1;
    scalar.payload = json::Value::String("just text");
    EXPECT_EQ(Rendered(scalar), JsonDetails(scalar)) << EventTypeName(type);
    scalar.payload = json::Value::Int(3);
    EXPECT_EQ(Rendered(scalar), JsonDetails(scalar)) << EventTypeName(type);
  }
}

TEST(HistoryCodec, RefusesWhatItDidNotWrite) {
  HistoryEvent e;
  e.type = EventType::PassStateEntered;
  e.payload = json::Value::Int(1);
  std::string compact;
  EncodeCompactDetails(e, &compact);
  EXPECT_FALSE(RenderCompactDetails("NoSuchEvent", compact).ok());
  for (size_t cut = 0; cut < compact.size(); ++cut) {
    EXPECT_FALSE(RenderCompactDetails("PassStateEntered", compact.substr(0, cut)).ok()) << cut;
  }
  EXPECT_FALSE(RenderCompactDetails("PassStateEntered", compact + "x").ok());
  EXPECT_FALSE(IsCompactDetails(R"({"stateEnteredEventDetails":{}})"));
  EXPECT_FALSE(IsCompactDetails(""));
  EXPECT_EQ(*EventTypeFromName("MapRunStarted"), EventType::MapRunStarted);
}

}  // namespace
}  // namespace stepfn::eval
