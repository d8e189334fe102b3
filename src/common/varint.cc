#include "common/varint.h"

namespace stepfn {

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

void PutLengthPrefixed(std::string_view bytes, std::string* out) {
  PutVarint(bytes.size(), out);
  out->append(bytes);
}

bool VarintReader::Byte(uint8_t* b) {
  if (pos_ >= data_.size()) return false;
  *b = static_cast<uint8_t>(data_[pos_++]);
  return true;
}

bool VarintReader::Varint(uint64_t* v) {
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

bool VarintReader::Svarint(int64_t* v) {
  uint64_t u = 0;
  if (!Varint(&u)) return false;
  *v = static_cast<int64_t>(u >> 1) ^ -static_cast<int64_t>(u & 1);
  return true;
}

bool VarintReader::LengthPrefixed(std::string_view* bytes) {
  uint64_t size = 0;
  if (!Varint(&size) || size > data_.size() - pos_) return false;
  *bytes = data_.substr(pos_, size);
  pos_ += size;
  return true;
}

}  // namespace stepfn
