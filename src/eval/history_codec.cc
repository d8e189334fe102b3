#include "eval/history_codec.h"

#include <cstdint>
#include <unordered_map>

#include "common/varint.h"
#include "json/parse.h"
#include "json/write.h"

namespace stepfn::eval {

namespace {

// The head of the compact details, with room reserved for `payload_bytes` more.
void EncodeHead(const HistoryEvent& e, size_t payload_bytes, std::string* out) {
  const std::string_view name = HistoryEvent::Text(e.name);
  const std::string_view resource_type = HistoryEvent::Text(e.resource_type());
  const std::string_view resource_name = HistoryEvent::Text(e.resource_name());
  const std::string_view error = HistoryEvent::Text(e.error());
  const std::string_view cause = HistoryEvent::Text(e.cause());
  // One allocation: each length prefix takes at most 10 bytes, the index at most 10 more.
  out->reserve(out->size() + 3 + 7 * 10 + name.size() + resource_type.size() +
               resource_name.size() + error.size() + cause.size() + payload_bytes);
  out->push_back('\x01');
  PutLengthPrefixed(name, out);
  PutLengthPrefixed(resource_type, out);
  PutLengthPrefixed(resource_name, out);
  PutLengthPrefixed(error, out);
  PutLengthPrefixed(cause, out);
  const int64_t index = e.index;
  PutSvarint(index, out);
  out->push_back(e.payload.is_null() ? '\0' : '\x01');
}

}  // namespace

void EncodeCompactDetailsHead(const HistoryEvent& e, std::string* out) { EncodeHead(e, 0, out); }

void EncodeCompactDetails(const HistoryEvent& e, std::string* out) {
  thread_local std::string text;  // kept: its capacity serves the next event
  text.clear();
  if (!e.payload.is_null()) json::WriteTo(e.payload, &text);
  EncodeHead(e, text.size(), out);
  if (!e.payload.is_null()) PutLengthPrefixed(text, out);
}

Result<EventType> EventTypeFromName(std::string_view name) {
  static const std::unordered_map<std::string_view, EventType> kTypes = [] {
    std::unordered_map<std::string_view, EventType> types;
#define STEPFN_TYPE_ITEM(n) types.emplace(#n, EventType::n);
    STEPFN_HISTORY_EVENT_TYPES(STEPFN_TYPE_ITEM)
#undef STEPFN_TYPE_ITEM
    return types;
  }();
  auto it = kTypes.find(name);
  if (it == kTypes.end()) return InvalidArgument("unknown history event type " + std::string(name));
  return it->second;
}

Result<json::Value> RenderCompactDetails(std::string_view type, std::string_view details) {
  ASSIGN_OR_RETURN(EventType event_type, EventTypeFromName(type));
  VarintReader r(details);
  uint8_t version = 0, has_payload = 0;
  std::string_view name, resource_type, resource_name, error, cause, payload;
  int64_t index = 0;
  if (!r.Byte(&version) || version != 1 || !r.LengthPrefixed(&name) ||
      !r.LengthPrefixed(&resource_type) || !r.LengthPrefixed(&resource_name) ||
      !r.LengthPrefixed(&error) || !r.LengthPrefixed(&cause) || !r.Svarint(&index) ||
      !r.Byte(&has_payload) || has_payload > 1 ||
      (has_payload == 1 && !r.LengthPrefixed(&payload)) || !r.done()) {
    return InvalidArgument("corrupt compact history event details");
  }
  HistoryEvent e;
  e.type = event_type;
  e.index = static_cast<int32_t>(index);
  if (!name.empty()) e.name = json::Value::String(name);
  if (!resource_type.empty() || !resource_name.empty()) {
    e.resource = json::Value::Array(
        {json::Value::String(resource_type), json::Value::String(resource_name)});
  }
  if (!error.empty() || !cause.empty()) e.SetFailure(std::string(error), std::string(cause));
  if (has_payload == 1) {
    ASSIGN_OR_RETURN(e.payload, json::Parse(payload));
  }
  std::string_view key;
  json::Value inner = e.Details(true, &key);
  if (key.empty()) return json::Value();
  return json::Value::Object({{std::string(key), std::move(inner)}});
}

}  // namespace stepfn::eval
