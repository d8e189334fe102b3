// `stepfn logs <function-or-group> [--follow] [--since 10m] [--filter PATTERN] [--endpoint URL]`:
// prints a log group's events from a server's CloudWatch Logs API, oldest first, one a line
// ("<time> <stream> <message>"), as `aws logs tail` does. A name without a '/' is a Lambda
// function's: /aws/lambda/<name>. With --follow it keeps polling FilterLogEvents (once a second)
// for newer events until interrupted, skipping events it already printed.
#include <CLI/CLI.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <set>
#include <string>
#include <thread>

#include "cli/commands.h"
#include "cli/sfn_client.h"
#include "common/clock.h"
#include "json/value.h"

namespace stepfn::cli {

namespace {

struct LogsArgs {
  std::string name;
  std::string endpoint;
  std::string since = "10m";
  std::string filter;
  bool follow = false;
};

// "10m", "2h", "30s", "1d", "1w" -> milliseconds. InvalidArgument otherwise.
Result<int64_t> ParseSince(const std::string& text) {
  if (text.size() < 2)
    return InvalidArgument("--since takes a number and a unit: 30s, 10m, 2h, 1d");
  char unit = text.back();
  int64_t scale = 0;
  switch (unit) {
    case 's':
      scale = 1000;
      break;
    case 'm':
      scale = 60'000;
      break;
    case 'h':
      scale = 3'600'000;
      break;
    case 'd':
      scale = 86'400'000;
      break;
    case 'w':
      scale = 7 * 86'400'000LL;
      break;
    default:
      return InvalidArgument("--since '" + text + "': the unit must be s, m, h, d or w");
  }
  int64_t n = 0;
  for (size_t i = 0; i + 1 < text.size(); ++i) {
    char c = text[i];
    if (c < '0' || c > '9' || n > 1'000'000'000) {
      return InvalidArgument("--since '" + text + "' is not a number and a unit (30s, 10m, 2h)");
    }
    n = n * 10 + (c - '0');
  }
  return n * scale;
}

std::string Field(const json::Value& v, const char* key) {
  const json::Value* f = v.find(key);
  return f != nullptr && f->is_string() ? f->as_string() : "";
}

int Logs(const LogsArgs& a) {
  auto fail = [](const std::string& message) {
    std::fprintf(stderr, "stepfn logs: %s\n", message.c_str());
    return kExitUsage;
  };
  std::string group = a.name.find('/') == std::string::npos ? "/aws/lambda/" + a.name : a.name;
  Result<int64_t> since = ParseSince(a.since);
  if (!since.ok()) return fail(since.status().message());
  std::string endpoint = a.endpoint;
  if (endpoint.empty()) {
    if (const char* env = std::getenv("STEPFN_ENDPOINT")) endpoint = env;
  }
  if (endpoint.empty()) endpoint = "http://127.0.0.1:8083";
  auto client = SfnClient::Create(SfnClientOptionsFromEnv(endpoint));
  if (!client.ok()) return fail(client.status().message());
  SystemClock clock;
  int64_t start = clock.NowMillis() - *since;
  std::set<std::string> printed;  // event ids at the newest timestamp printed
  while (true) {
    std::string token;
    int64_t newest = start;
    std::set<std::string> printed_now;
    do {
      json::ObjectBuilder request;
      request.Append("logGroupName", json::Value::String(group));
      request.Append("startTime", json::Value::Int(start));
      if (!a.filter.empty()) request.Append("filterPattern", json::Value::String(a.filter));
      if (!token.empty()) request.Append("nextToken", json::Value::String(token));
      SfnError error;
      Result<json::Value> page = (*client)->CallJson("Logs_20140328.FilterLogEvents", "logs",
                                                     std::move(request).Build(), &error);
      if (!page.ok()) {
        if (error.code == "ResourceNotFoundException" && a.follow) break;  // not yet: wait
        return fail(page.status().message());
      }
      const json::Value* events = page->find("events");
      if (events != nullptr && events->is_array()) {
        for (const json::Value& e : events->items()) {
          std::string id = Field(e, "eventId");
          const json::Value* ts = e.find("timestamp");
          int64_t t = ts != nullptr && ts->is_int() ? ts->as_int() : 0;
          if (printed.count(id) != 0) continue;
          std::string line =
              FormatIso8601Millis(t) + " " + Field(e, "logStreamName") + " " + Field(e, "message");
          while (!line.empty() && line.back() == '\n') line.pop_back();
          std::fwrite(line.data(), 1, line.size(), stdout);
          std::fputc('\n', stdout);
          if (t > newest) {
            newest = t;
            printed_now.clear();
          }
          if (t == newest) printed_now.insert(id);
        }
      }
      token = Field(*page, "nextToken");
    } while (!token.empty());
    std::fflush(stdout);
    if (!a.follow) return kExitOk;
    // Next time from the newest timestamp printed (events at that very millisecond may still
    // arrive; the ids printed at it are skipped).
    if (newest > start) {
      start = newest;
      printed = std::move(printed_now);
    } else {
      printed.insert(printed_now.begin(), printed_now.end());
    }
    std::this_thread::sleep_for(std::chrono::seconds(1));
  }
}

}  // namespace

void AddLogsCommand(CLI::App& app, int* exit_code) {
  auto args = std::make_shared<LogsArgs>();
  CLI::App* cmd = app.add_subcommand(
      "logs", "Print a Lambda function's logs (/aws/lambda/<name>) or any log group's");
  cmd->add_option("name", args->name, "Function name, or a log group name (with a '/')")
      ->required();
  cmd->add_flag("-f,--follow", args->follow, "Keep printing new events until interrupted");
  cmd->add_option("--since", args->since, "How far back to start: 30s, 10m, 2h, 1d (default 10m)");
  cmd->add_option("--filter", args->filter,
                  "Only events matching a filter pattern (terms, \"phrases\", ?any, -not)");
  cmd->add_option("--endpoint", args->endpoint,
                  "stepfn endpoint, http://HOST:PORT (default: $STEPFN_ENDPOINT, else "
                  "http://127.0.0.1:8083)");
  cmd->callback([args, exit_code] { *exit_code = Logs(*args); });
}

}  // namespace stepfn::cli
