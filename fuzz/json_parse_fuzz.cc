// Fuzzes json::Parse: any text either fails cleanly or parses to a value whose compact and
// pretty serialisations parse back to an equal value and re-serialise identically. The same
// text parsed in place (ParseOptions::padded, with junk in the padding) gives the same answer.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "json/parse.h"
#include "json/value.h"
#include "json/write.h"

namespace {

[[noreturn]] void Die(const char* what, const std::string& a, const std::string& b) {
  std::fprintf(stderr, "%s\n  first:  %s\n  second: %s\n", what, a.c_str(), b.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using stepfn::json::Parse;
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto first = Parse(text);
  {
    // In place: the text followed by kParsePadding bytes of junk that must not matter.
    std::string buffer(text);
    buffer.append(stepfn::json::kParsePadding, '\xff');
    for (size_t i = 0; i < stepfn::json::kParsePadding && i < size; ++i) {
      buffer[size + i] = static_cast<char>(data[i]);
    }
    stepfn::json::ParseOptions in_place;
    in_place.padded = true;
    auto padded = Parse(std::string_view(buffer.data(), size), in_place);
    if (padded.ok() != first.ok()) {
      Die("in-place parse disagrees", std::string(text),
          padded.ok() ? "in place: ok" : padded.status().message());
    }
    if (first.ok() && !first->Equals(*padded)) {
      Die("in-place parse gives another value", stepfn::json::Write(*first),
          stepfn::json::Write(*padded));
    }
    if (!first.ok() && first.status().message() != padded.status().message()) {
      Die("in-place parse gives another error", first.status().message(),
          padded.status().message());
    }
  }
  if (!first.ok()) {
    if (first.status().message().empty()) Die("empty error message", std::string(text), "");
    return 0;
  }
  std::string written = stepfn::json::Write(*first);
  auto second = Parse(written);
  if (!second.ok()) Die("written JSON does not parse", written, second.status().message());
  if (!first->Equals(*second))
    Die("round trip changed the value", written, stepfn::json::Write(*second));
  std::string rewritten = stepfn::json::Write(*second);
  if (rewritten != written) Die("serialisation is not stable", written, rewritten);
  std::string pretty = stepfn::json::WritePretty(*first);
  auto third = Parse(pretty);
  if (!third.ok()) Die("pretty JSON does not parse", pretty, third.status().message());
  if (stepfn::json::Write(*third) != written)
    Die("pretty round trip changed the value", written, stepfn::json::Write(*third));
  return 0;
}
