// History chunks: the events one transition appends, packed into one blob, so that the SQLite
// store writes one history row per commit instead of one per event (schema version 3,
// docs/formats/store-schema.md). Internal to store/.
//
// A chunk holds events with consecutive ids, first_id, first_id + 1, ... (the store checks the
// ids before it packs them, so they are not stored). Per event, in order:
//   svarint  id - previous_event_id
//   svarint  timestamp - the previous event's timestamp in the chunk (the first: - 0)
//   varint   length of type,    then its bytes
//   varint   length of details, then its bytes
// varint: unsigned LEB128 (7 bits a byte, least significant first); svarint: zigzag, then
// varint.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "common/status.h"
#include "store/store.h"

namespace stepfn::store::internal {

// Appends the packed events to *out.
void EncodeHistoryChunk(const std::vector<HistoryEventRecord>& events, std::string* out);

// Appends the events of a chunk whose first event has id first_id to *out. Internal error
// ("corrupt history chunk") when the blob is not a chunk.
Status DecodeHistoryChunk(int64_t first_id, std::string_view blob,
                          std::vector<HistoryEventRecord>* out);

// Whether the chunk of events first_id..last_id carries an entry in the sparse index (its
// `mark`): when its ids include a multiple of kHistoryIndexStride (see the schema document).
inline constexpr int64_t kHistoryIndexStride = 256;
inline bool HistoryChunkIndexed(int64_t first_id, int64_t last_id) {
  return last_id / kHistoryIndexStride > (first_id - 1) / kHistoryIndexStride;
}

}  // namespace stepfn::store::internal
