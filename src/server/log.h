// Structured logs: one JSON object per line on stderr, e.g.
//   {"time":"2026-11-25T10:00:00.000Z","level":"error","msg":"commit failed","execution":"arn:..."}
// Quiet by default below `warn`; `stepfn serve --log-level info|debug` shows more.
//
// Thread safety: Log may be called from any thread; lines never interleave.
#pragma once

#include <initializer_list>
#include <string_view>
#include <utility>

namespace stepfn::server {

enum class LogLevel { Debug = 0, Info = 1, Warn = 2, Error = 3 };

void SetLogLevel(LogLevel level);
bool LogEnabled(LogLevel level);
// "debug", "info", "warn", "error"; false for anything else.
bool ParseLogLevel(std::string_view text, LogLevel* level);

using LogField = std::pair<std::string_view, std::string_view>;
void Log(LogLevel level, std::string_view message, std::initializer_list<LogField> fields = {});

}  // namespace stepfn::server
