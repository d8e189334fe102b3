#include "eval/history_codec.h"

#include <cstdint>
#include <unordered_map>

#include "json/parse.h"
#include "json/write.h"

namespace stepfn::eval {

namespace {

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutText(std::string_view s, std::string* out) {
  PutVarint(s.size(), out);
  out->append(s);
}

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool Byte(uint8_t* b) {
    if (pos_ >= data_.size()) return false;
    *b = static_cast<uint8_t>(data_[pos_++]);
    return true;
  }
  bool Varint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      uint8_t byte = 0;
      if (!Byte(&byte)) return false;
      result |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *v = result;
        return true;
      }
    }
    return false;
  }
  bool Text(std::string_view* s) {
    uint64_t size = 0;
    if (!Varint(&size) || size > data_.size() - pos_) return false;
    *s = data_.substr(pos_, size);
    pos_ += size;
    return true;
  }
  bool done() const { return pos_ == data_.size(); }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace

void EncodeCompactDetails(const HistoryEvent& e, std::string* out) {
  out->push_back('\x01');
  PutText(HistoryEvent::Text(e.name), out);
  PutText(HistoryEvent::Text(e.resource_type()), out);
  PutText(HistoryEvent::Text(e.resource_name()), out);
  PutText(HistoryEvent::Text(e.error()), out);
  PutText(HistoryEvent::Text(e.cause()), out);
  const int64_t index = e.index;
  PutVarint((static_cast<uint64_t>(index) << 1) ^ static_cast<uint64_t>(index >> 63), out);
  if (e.payload.is_null()) {
    out->push_back('\0');
    return;
  }
  out->push_back('\x01');
  thread_local std::string text;  // kept: its capacity serves the next event
  text.clear();
  json::WriteTo(e.payload, &text);
  PutText(text, out);
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
  Reader r(details);
  uint8_t version = 0, has_payload = 0;
  std::string_view name, resource_type, resource_name, error, cause, payload;
  uint64_t index = 0;
  if (!r.Byte(&version) || version != 1 || !r.Text(&name) || !r.Text(&resource_type) ||
      !r.Text(&resource_name) || !r.Text(&error) || !r.Text(&cause) || !r.Varint(&index) ||
      !r.Byte(&has_payload) || has_payload > 1 || (has_payload == 1 && !r.Text(&payload)) ||
      !r.done()) {
    return InvalidArgument("corrupt compact history event details");
  }
  HistoryEvent e;
  e.type = event_type;
  e.index =
      static_cast<int32_t>(static_cast<int64_t>(index >> 1) ^ -static_cast<int64_t>(index & 1));
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
