#include "server/execution_blob.h"

namespace stepfn::server {
namespace {

constexpr uint8_t kVersion = 2;  // 1 (no trace header) is still read

void PutVarint(uint64_t v, std::string* out) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

bool GetVarint(std::string_view* in, uint64_t* v) {
  *v = 0;
  for (int shift = 0; shift < 64 && !in->empty(); shift += 7) {
    uint8_t b = static_cast<uint8_t>(in->front());
    in->remove_prefix(1);
    *v |= static_cast<uint64_t>(b & 0x7F) << shift;
    if ((b & 0x80) == 0) return true;
  }
  return false;
}

}  // namespace

void EncodeExecutionBlob(const std::string& mock_test_case, const std::string& trace_header,
                         const std::map<uint64_t, EpochMillis>& timers, std::string_view state,
                         std::string* out) {
  out->reserve(out->size() + 8 + mock_test_case.size() + trace_header.size() + timers.size() * 12 +
               state.size());
  out->push_back(static_cast<char>(kVersion));
  PutVarint(mock_test_case.size(), out);
  out->append(mock_test_case);
  PutVarint(trace_header.size(), out);
  out->append(trace_header);
  PutVarint(timers.size(), out);
  for (const auto& [id, at] : timers) {
    PutVarint(id, out);
    PutVarint(static_cast<uint64_t>(at), out);
  }
  out->append(state);
}

Result<ExecutionBlob> DecodeExecutionBlob(std::string_view bytes) {
  auto bad = [](std::string why) {
    return InvalidArgument("stored execution state is unreadable: " + why);
  };
  if (bytes.empty()) return bad("empty");
  const uint8_t version = static_cast<uint8_t>(bytes[0]);
  if (version == 0 || version > kVersion) {
    return bad("envelope version " + std::to_string(version) + " (this build reads versions 1 to " +
               std::to_string(kVersion) + ")");
  }
  bytes.remove_prefix(1);
  ExecutionBlob blob;
  uint64_t n = 0;
  if (!GetVarint(&bytes, &n) || n > bytes.size()) return bad("truncated test case");
  blob.mock_test_case = std::string(bytes.substr(0, n));
  bytes.remove_prefix(n);
  if (version >= 2) {
    if (!GetVarint(&bytes, &n) || n > bytes.size()) return bad("truncated trace header");
    blob.trace_header = std::string(bytes.substr(0, n));
    bytes.remove_prefix(n);
  }
  if (!GetVarint(&bytes, &n) || n > bytes.size()) return bad("truncated timers");
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t id = 0, at = 0;
    if (!GetVarint(&bytes, &id) || !GetVarint(&bytes, &at)) return bad("truncated timer");
    blob.timers[id] = static_cast<EpochMillis>(at);
  }
  blob.state = bytes;
  return blob;
}

}  // namespace stepfn::server
