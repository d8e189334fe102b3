// Compact history event details: what a HistoryEvent needs to render its "<kind>EventDetails"
// object, kept instead of the rendered JSON text. The executor commits every event of every
// Step; building and escaping the JSON for each was about a third of its workers' time and most
// of the bytes of a durable commit, while the history is read rarely. The text is rendered when
// it is read (GetExecutionHistory), by HistoryEvent::Details, so it is the same text.
//
// Format (docs/formats/history-details.md): a first byte 0x01 (JSON details text starts with
// '{'), then
//   varint len + bytes   name (state, iteration, role or worker name; "" when none)
//   varint len + bytes   resource type, then resource name
//   varint len + bytes   error, then cause
//   svarint              index
//   u8                   1 when a payload follows, 0 when the event has none
//   varint len + bytes   the payload as JSON text
// varint: unsigned LEB128; svarint: zigzag then varint.
#pragma once

#include <string>
#include <string_view>

#include "common/status.h"
#include "eval/history.h"
#include "json/value.h"

namespace stepfn::eval {

// Appends the compact details of `e` to *out.
void EncodeCompactDetails(const HistoryEvent& e, std::string* out);
// The same but for the payload's JSON text, which comes last (length-prefixed) when the event
// has a payload: EncodeCompactDetails is this, then PutLengthPrefixed(json::Write(e.payload)).
void EncodeCompactDetailsHead(const HistoryEvent& e, std::string* out);

// Whether stored details are in the compact form (else they are JSON text, or empty).
inline bool IsCompactDetails(std::string_view details) {
  return !details.empty() && details[0] == '\x01';
}

// The event type named `name` ("TaskStateEntered", ...); InvalidArgument when unknown.
Result<EventType> EventTypeFromName(std::string_view name);

// Renders compact details of an event of type `type` (its name) as the JSON text would read:
// the object {"<kind>EventDetails": {...}} (with its execution data), or a null Value when the
// event has no details. InvalidArgument when `details` is not compact details or `type` is
// unknown.
Result<json::Value> RenderCompactDetails(std::string_view type, std::string_view details);

}  // namespace stepfn::eval
