#include "server/log.h"

#include <atomic>
#include <cstdio>
#include <string>

#include "common/clock.h"
#include "json/write.h"

namespace stepfn::server {
namespace {
std::atomic<int> g_level{static_cast<int>(LogLevel::Warn)};
constexpr const char* kNames[] = {"debug", "info", "warn", "error"};
}  // namespace

void SetLogLevel(LogLevel level) { g_level.store(static_cast<int>(level)); }

bool LogEnabled(LogLevel level) { return static_cast<int>(level) >= g_level.load(); }

bool ParseLogLevel(std::string_view text, LogLevel* level) {
  for (int i = 0; i < 4; ++i) {
    if (text == kNames[i]) {
      *level = static_cast<LogLevel>(i);
      return true;
    }
  }
  return false;
}

void Log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields) {
  if (!LogEnabled(level)) return;
  SystemClock clock;
  std::string line = "{\"time\":\"" + FormatIso8601Millis(clock.NowMillis()) + "\",\"level\":\"" +
                     kNames[static_cast<int>(level)] + "\",\"msg\":";
  json::WriteString(message, &line);
  for (const auto& [key, value] : fields) {
    line.push_back(',');
    json::WriteString(key, &line);
    line.push_back(':');
    json::WriteString(value, &line);
  }
  line += "}\n";
  // One write per line: lines from several threads do not interleave.
  fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace stepfn::server
