#include "store/history_chunk.h"

namespace stepfn::store::internal {

namespace {

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7f) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutSvarint(int64_t v, std::string* out) {
  PutVarint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63), out);
}

void PutBytes(std::string_view bytes, std::string* out) {
  PutVarint(bytes.size(), out);
  out->append(bytes);
}

class Reader {
 public:
  explicit Reader(std::string_view data) : data_(data) {}
  bool done() const { return pos_ == data_.size(); }
  bool Varint(uint64_t* v) {
    uint64_t result = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (pos_ >= data_.size()) {
        return false;
      }
      uint8_t byte = static_cast<uint8_t>(data_[pos_++]);
      result |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) {
        *v = result;
        return true;
      }
    }
    return false;
  }
  bool Svarint(int64_t* v) {
    uint64_t u = 0;
    if (!Varint(&u)) {
      return false;
    }
    *v = static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
    return true;
  }
  bool Bytes(std::string* out) {
    uint64_t size = 0;
    if (!Varint(&size) || size > data_.size() - pos_) {
      return false;
    }
    out->assign(data_.substr(pos_, size));
    pos_ += size;
    return true;
  }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace

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
    PutBytes(e.type, out);
    PutBytes(e.details, out);
  }
}

Status DecodeHistoryChunk(int64_t first_id, std::string_view blob,
                          std::vector<HistoryEventRecord>* out) {
  Reader reader(blob);
  int64_t id = first_id;
  int64_t timestamp = 0;
  while (!reader.done()) {
    HistoryEventRecord e;
    int64_t back = 0, delta = 0;
    if (!reader.Svarint(&back) || !reader.Svarint(&delta) || !reader.Bytes(&e.type) ||
        !reader.Bytes(&e.details)) {
      return Internal("corrupt history chunk (first event " + std::to_string(first_id) + ")");
    }
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

}  // namespace stepfn::store::internal
