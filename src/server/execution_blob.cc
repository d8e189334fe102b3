#include "server/execution_blob.h"

#include "common/varint.h"

namespace stepfn::server {
namespace {

constexpr uint8_t kVersion = 2;  // 1 (no trace header) is still read

}  // namespace

void EncodeExecutionBlob(const std::string& mock_test_case, const std::string& trace_header,
                         const std::map<uint64_t, EpochMillis>& timers, std::string_view state,
                         std::string* out) {
  out->reserve(out->size() + 8 + mock_test_case.size() + trace_header.size() + timers.size() * 12 +
               state.size());
  out->push_back(static_cast<char>(kVersion));
  PutLengthPrefixed(mock_test_case, out);
  PutLengthPrefixed(trace_header, out);
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
  VarintReader r(bytes.substr(1));
  ExecutionBlob blob;
  std::string_view text;
  if (!r.LengthPrefixed(&text)) return bad("truncated test case");
  blob.mock_test_case = std::string(text);
  if (version >= 2) {
    if (!r.LengthPrefixed(&text)) return bad("truncated trace header");
    blob.trace_header = std::string(text);
  }
  uint64_t n = 0;
  if (!r.Varint(&n) || n > r.rest().size()) return bad("truncated timers");
  for (uint64_t i = 0; i < n; ++i) {
    uint64_t id = 0, at = 0;
    if (!r.Varint(&id) || !r.Varint(&at)) return bad("truncated timer");
    blob.timers[id] = static_cast<EpochMillis>(at);
  }
  blob.state = r.rest();
  return blob;
}

}  // namespace stepfn::server
