// Varints as stepfn's persisted formats write them (docs/formats/): unsigned LEB128 (7 bits a
// byte, low bits first), zigzag for signed numbers, and length-prefixed byte strings; and a
// cursor that reads them back without ever reading past its bytes.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace stepfn {

void PutVarint(uint64_t v, std::string* out);
void PutSvarint(int64_t v, std::string* out);  // zigzag: 0, -1, 1, -2, ... as 0, 1, 2, 3, ...
void PutLengthPrefixed(std::string_view bytes, std::string* out);

// Reads what the Put functions wrote. Every method returns false (and reads nothing more) when
// the bytes are truncated or a varint runs past 64 bits.
class VarintReader {
 public:
  explicit VarintReader(std::string_view data) : data_(data) {}

  bool Byte(uint8_t* b);
  bool Varint(uint64_t* v);
  bool Svarint(int64_t* v);
  // A length-prefixed string: a view into the reader's bytes.
  bool LengthPrefixed(std::string_view* bytes);

  bool done() const { return pos_ == data_.size(); }
  std::string_view rest() const { return data_.substr(pos_); }

 private:
  std::string_view data_;
  size_t pos_ = 0;
};

}  // namespace stepfn
