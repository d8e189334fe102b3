#include "store/history_chunk.h"

#include "common/varint.h"
#include "json/write.h"

namespace stepfn::store {

std::string PersistedDetails(const HistoryEventRecord& e) {
  if (e.payload.is_null()) return e.details;
  std::string details = e.details;
  PutLengthPrefixed(json::Write(e.payload), &details);
  return details;
}

namespace internal {

void EncodeHistoryChunk(const std::vector<HistoryEventRecord>& events, std::string* out) {
  size_t size = 0;
  for (const HistoryEventRecord& e : events) {
    size += 24 + e.type.size() + e.details.size();
  }
  out->reserve(out->size() + size);
  int64_t previous_timestamp = 0;
  for (const HistoryEventRecord& e : events) {
    PutSvarint(static_cast<int64_t>(static_cast<uint64_t>(e.id) -
                                    static_cast<uint64_t>(e.previous_event_id)),
               out);
    PutSvarint(static_cast<int64_t>(static_cast<uint64_t>(e.timestamp) -
                                    static_cast<uint64_t>(previous_timestamp)),
               out);
    previous_timestamp = e.timestamp;
    PutLengthPrefixed(e.type, out);
    if (e.payload.is_null()) {
      PutLengthPrefixed(e.details, out);
    } else {
      PutLengthPrefixed(PersistedDetails(e), out);
    }
  }
}

Status DecodeHistoryChunk(int64_t first_id, std::string_view blob,
                          std::vector<HistoryEventRecord>* out) {
  VarintReader reader(blob);
  int64_t id = first_id;
  int64_t timestamp = 0;
  while (!reader.done()) {
    HistoryEventRecord e;
    int64_t back = 0, delta = 0;
    std::string_view type, details;
    if (!reader.Svarint(&back) || !reader.Svarint(&delta) || !reader.LengthPrefixed(&type) ||
        !reader.LengthPrefixed(&details)) {
      return Internal("corrupt history chunk (first event " + std::to_string(first_id) + ")");
    }
    e.type = std::string(type);
    e.details = std::string(details);
    e.id = id++;
    e.previous_event_id =
        static_cast<int64_t>(static_cast<uint64_t>(e.id) - static_cast<uint64_t>(back));
    timestamp =
        static_cast<int64_t>(static_cast<uint64_t>(timestamp) + static_cast<uint64_t>(delta));
    e.timestamp = timestamp;
    out->push_back(std::move(e));
  }
  return Status::Ok();
}

}  // namespace internal
}  // namespace stepfn::store
