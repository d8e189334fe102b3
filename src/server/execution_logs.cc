#include "server/execution_logs.h"

#include <algorithm>
#include <charconv>

#include "api/router.h"
#include "json/value.h"
#include "json/write.h"
#include "server/arn.h"

namespace stepfn::server {

// --- Execution log events --------------------------------------------------------------------

bool LogLevelKeeps(ExecutionLogLevel level, eval::EventType type) {
  using E = eval::EventType;
  switch (level) {
    case ExecutionLogLevel::Off:
      return false;
    case ExecutionLogLevel::All:
      return true;
    case ExecutionLogLevel::Fatal:
      return type == E::ExecutionFailed || type == E::ExecutionTimedOut ||
             type == E::ExecutionAborted;
    case ExecutionLogLevel::Error: {
      if (type == E::FailStateEntered) return true;
      std::string_view name = eval::EventTypeName(type);
      return name.ends_with("Failed") || name.ends_with("TimedOut") || name.ends_with("Aborted");
    }
  }
  return false;
}

namespace {

// CloudWatch Logs keeps at most 256 KiB an event; Step Functions cuts payloads above 248 KiB and
// says so in "<input|output>Details": {"truncated": true}.
constexpr size_t kMaxLoggedPayload = 248 * 1024;

// `text` cut to at most `n` bytes, not inside a UTF-8 sequence.
std::string CutUtf8(const std::string& text, size_t n) {
  if (text.size() <= n) return text;
  while (n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
  return text.substr(0, n);
}

json::Value LogDetails(const eval::HistoryEvent& e, bool include_data, std::string_view role_arn) {
  std::string_view key;
  json::Value details = e.Details(include_data, &key);
  if (!details.is_object()) details = json::Value::EmptyObject();
  json::ObjectBuilder b(details);
  if (!include_data) b.Erase("parameters");  // a task's input is execution data too
  for (const char* field : {"input", "output"}) {
    const json::Value* payload = details.find(field);
    if (payload == nullptr || !payload->is_string() ||
        payload->as_string().size() <= kMaxLoggedPayload) {
      continue;
    }
    b.Set(field, json::Value::String(CutUtf8(payload->as_string(), kMaxLoggedPayload)));
    b.Set(std::string(field) + "Details",
          json::Value::Object({{"truncated", json::Value::Bool(true)}}));
  }
  if (e.type == eval::EventType::ExecutionStarted && !role_arn.empty()) {
    b.Set("roleArn", json::Value::String(role_arn));
  }
  return std::move(b).Build();
}

}  // namespace

std::string ExecutionLogMessage(const eval::HistoryEvent& e, std::string_view execution_arn,
                                bool include_data, std::string_view role_arn,
                                int64_t redrive_count) {
  json::ObjectBuilder b;
  b.Append("id", json::Value::String(std::to_string(e.id)));
  b.Append("type", json::Value::String(eval::EventTypeName(e.type)));
  b.Append("details", LogDetails(e, include_data, role_arn));
  b.Append("previous_event_id", json::Value::String(std::to_string(e.previous_event_id)));
  b.Append("event_timestamp", json::Value::String(std::to_string(e.timestamp)));
  b.Append("execution_arn", json::Value::String(execution_arn));
  b.Append("redrive_count", json::Value::String(std::to_string(redrive_count)));
  return json::Write(std::move(b).Build());
}

std::string ExecutionLogStreamName(std::string_view execution_arn) {
  Result<Arn> arn = ParseArn(execution_arn);
  if (!arn.ok()) {
    // Not one of ours (a Distributed Map child, say): the ARN without what streams may not hold.
    std::string name = "states/";
    for (char c : execution_arn) name.push_back(c == ':' || c == '*' ? '/' : c);
    return name.substr(0, 512);
  }
  std::string name = "states/" + arn->state_machine + "/" + arn->execution;
  if (arn->kind == ArnKind::ExpressExecution) name += "/" + arn->uuid;
  return name;
}

void ExecutionLogger::OnCommit(const CommitReport& report) {
  if (!report.status.ok() || report.events.empty()) return;
  std::shared_ptr<const MachineSettings> settings =
      settings_->ForExecution(report.execution_arn, report.state_machine_arn);
  if (settings->log_level == ExecutionLogLevel::Off) return;
  std::vector<InputLogEvent> events;
  for (const eval::HistoryEvent& e : report.events) {
    if (!LogLevelKeeps(settings->log_level, e.type)) continue;
    events.push_back(
        {e.timestamp, ExecutionLogMessage(e, report.execution_arn, settings->include_execution_data,
                                          settings->role_arn)});
  }
  if (events.empty()) return;
  // Best effort, as AWS's log delivery: a full store evicts old events, a refused group name
  // loses these.
  logs_
      ->Append(settings->log_group, ExecutionLogStreamName(report.execution_arn), std::move(events))
      .IgnoreError();
}

// --- GET /logs -------------------------------------------------------------------------------

namespace {

api::HttpResponse Text(int status, std::string body) {
  return api::TextResponse(status, "text/plain; charset=utf-8", std::move(body));
}

bool ParseInt(const std::string& text, int64_t* out) {
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

}  // namespace

void ServeLogs(const LogStore& logs, const api::HttpRequest& request, api::Responder responder) {
  std::string_view path = api::TargetPath(request.target);
  if (path == "/logs" || path == "/logs/") {
    std::string body;
    for (const LogGroupInfo& g : logs.DescribeLogGroups()) {
      json::Value line = json::Value::Object(
          {{"logGroupName", json::Value::String(g.name)},
           {"creationTime", json::Value::Int(g.creation_time)},
           {"storedBytes", json::Value::Int(static_cast<int64_t>(g.stored_bytes))},
           {"events", json::Value::Int(static_cast<int64_t>(g.events))},
           {"streams", json::Value::Int(static_cast<int64_t>(g.streams))}});
      json::WriteTo(line, &body);
      body.push_back('\n');
    }
    responder.Send(Text(200, std::move(body)));
    return;
  }
  std::string group;
  if (!api::PercentDecode(path.substr(std::string_view("/logs/").size()), false, &group)) {
    responder.Send(Text(400, "malformed %-escape in the log group name\n"));
    return;
  }
  LogQuery query;
  std::vector<std::string> streams;
  std::string filter;
  for (auto& [key, value] : api::QueryParameters(request.target)) {
    int64_t n = 0;
    if (key == "stream") {
      streams.push_back(value);
    } else if (key == "filter") {
      filter = value;
    } else if ((key == "start" || key == "end" || key == "limit") && ParseInt(value, &n) &&
               n >= 0) {
      if (key == "start") query.start = n;
      if (key == "end") query.end = n;
      if (key == "limit") query.limit = static_cast<size_t>(n);
    } else {
      responder.Send(Text(400, "unknown or malformed parameter '" + key +
                                   "' (stream, filter, start, end and limit are known; times "
                                   "are epoch milliseconds)\n"));
      return;
    }
  }
  Result<std::vector<LogEvent>> events = logs.FilterLogEvents(group, streams, filter, query);
  if (!events.ok()) {
    responder.Send(Text(404, events.status().message() + "\n"));
    return;
  }
  std::string body;
  for (const LogEvent& e : *events) {
    body += e.message;
    body.push_back('\n');
  }
  responder.Send(Text(200, std::move(body)));
}

}  // namespace stepfn::server
