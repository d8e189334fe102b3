#include "server/execution_logs.h"

#include <algorithm>
#include <charconv>

#include "api/router.h"
#include "json/value.h"
#include "json/write.h"
#include "server/arn.h"

namespace stepfn::server {

// --- LogStore --------------------------------------------------------------------------------

LogStore::LogStore(Clock* clock, LogStoreOptions options) : clock_(clock), options_(options) {}

bool LogStore::ValidGroupName(std::string_view name) {
  if (name.empty() || name.size() > 512) return false;
  for (char c : name) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '-' || c == '_' || c == '/' || c == '#';
    if (!ok) return false;
  }
  return true;
}

bool LogStore::ValidStreamName(std::string_view name) {
  return !name.empty() && name.size() <= 512 && name.find_first_of(":*") == std::string_view::npos;
}

Status LogStore::CreateLogGroup(const std::string& group) {
  if (!ValidGroupName(group)) return InvalidArgument("invalid log group name '" + group + "'");
  std::lock_guard<std::mutex> lock(mu_);
  if (groups_.count(group) != 0) {
    return AlreadyExists("The specified log group already exists: " + group);
  }
  if (groups_.size() >= options_.max_groups) {
    return OutOfRange("at most " + std::to_string(options_.max_groups) + " log groups");
  }
  auto g = std::make_unique<Group>();
  g->name = group;
  g->creation_time = clock_->NowMillis();
  groups_.emplace(group, std::move(g));
  return Status::Ok();
}

Status LogStore::DeleteLogGroup(const std::string& group) {
  std::lock_guard<std::mutex> lock(mu_);
  if (groups_.erase(group) == 0) {
    return NotFound("The specified log group does not exist: " + group);
  }
  return Status::Ok();
}

LogStore::Stream* LogStore::NewStreamLocked(Group& g, const std::string& name) {
  if (g.ids.size() >= options_.max_streams_per_group) {
    // Make room: the stream written longest ago goes, with its events.
    uint64_t oldest = 0;
    EpochMillis oldest_time = 0;
    for (const auto& [id, s] : g.streams) {
      EpochMillis t = std::max(s.last_ingestion_time, s.creation_time);
      if (oldest == 0 || t < oldest_time || (t == oldest_time && id < oldest)) {
        oldest = id;
        oldest_time = t;
      }
    }
    if (oldest != 0) DropStreamLocked(g, oldest);
  }
  uint64_t id = g.next_stream_id++;
  Stream& s = g.streams[id];
  s.name = name;
  s.creation_time = clock_->NowMillis();
  g.ids.emplace(name, id);
  return &s;
}

void LogStore::DropStreamLocked(Group& g, uint64_t id) {
  auto it = g.streams.find(id);
  if (it == g.streams.end()) return;
  g.events -= it->second.events.size();
  g.bytes -= it->second.bytes;
  evicted_ += it->second.events.size();
  g.ids.erase(it->second.name);
  g.streams.erase(it);
  // Its entries in g.order stay; EvictOldestLocked skips ids that are gone.
}

void LogStore::EvictOldestLocked(Group& g) {
  while (!g.order.empty()) {
    uint64_t id = g.order.front();
    g.order.pop_front();
    auto it = g.streams.find(id);
    if (it == g.streams.end() || it->second.events.empty()) continue;
    Stream& s = it->second;
    g.bytes -= s.events.front().message.size();
    s.bytes -= s.events.front().message.size();
    s.events.pop_front();
    --g.events;
    ++evicted_;
    return;
  }
}

Status LogStore::CreateLogStream(const std::string& group, const std::string& stream) {
  if (!ValidStreamName(stream)) return InvalidArgument("invalid log stream name '" + stream + "'");
  std::lock_guard<std::mutex> lock(mu_);
  auto g = groups_.find(group);
  if (g == groups_.end()) return NotFound("The specified log group does not exist: " + group);
  if (g->second->ids.count(stream) != 0) {
    return AlreadyExists("The specified log stream already exists: " + stream);
  }
  NewStreamLocked(*g->second, stream);
  return Status::Ok();
}

Status LogStore::PutLocked(Group& g, uint64_t stream_id, std::vector<InputLogEvent>& events) {
  Stream& s = g.streams[stream_id];
  EpochMillis now = clock_->NowMillis();
  for (InputLogEvent& e : events) {
    if (e.message.size() > options_.max_message_bytes) e.message.resize(options_.max_message_bytes);
    g.bytes += e.message.size();
    s.bytes += e.message.size();
    ++g.events;
    g.order.push_back(stream_id);
    s.events.push_back({e.timestamp, now, next_sequence_++, std::move(e.message)});
  }
  s.last_ingestion_time = now;
  while (g.events > options_.max_events_per_group || g.bytes > options_.max_bytes_per_group) {
    if (g.order.empty()) break;
    EvictOldestLocked(g);
  }
  // The order queue also holds entries of dropped streams: keep it from growing without end.
  if (g.order.size() > 2 * options_.max_events_per_group + 1024) {
    std::deque<uint64_t> kept;
    for (uint64_t id : g.order) {
      if (g.streams.count(id) != 0) kept.push_back(id);
    }
    g.order.swap(kept);
  }
  return Status::Ok();
}

Status LogStore::PutLogEvents(const std::string& group, const std::string& stream,
                              std::vector<InputLogEvent> events) {
  std::lock_guard<std::mutex> lock(mu_);
  auto g = groups_.find(group);
  if (g == groups_.end()) return NotFound("The specified log group does not exist: " + group);
  auto id = g->second->ids.find(stream);
  if (id == g->second->ids.end()) {
    return NotFound("The specified log stream does not exist: " + stream);
  }
  return PutLocked(*g->second, id->second, events);
}

Status LogStore::Append(const std::string& group, const std::string& stream,
                        std::vector<InputLogEvent> events) {
  if (!ValidGroupName(group)) return InvalidArgument("invalid log group name '" + group + "'");
  if (!ValidStreamName(stream)) return InvalidArgument("invalid log stream name '" + stream + "'");
  std::lock_guard<std::mutex> lock(mu_);
  auto g = groups_.find(group);
  if (g == groups_.end()) {
    if (groups_.size() >= options_.max_groups) {
      return OutOfRange("at most " + std::to_string(options_.max_groups) + " log groups");
    }
    auto created = std::make_unique<Group>();
    created->name = group;
    created->creation_time = clock_->NowMillis();
    g = groups_.emplace(group, std::move(created)).first;
  }
  Group& grp = *g->second;
  auto id = grp.ids.find(stream);
  uint64_t stream_id = 0;
  if (id == grp.ids.end()) {
    NewStreamLocked(grp, stream);
    stream_id = grp.ids.find(stream)->second;
  } else {
    stream_id = id->second;
  }
  return PutLocked(grp, stream_id, events);
}

void LogStore::Select(const std::deque<Stored>& events, const std::string& stream,
                      const LogQuery& query, std::string_view text, std::vector<LogEvent>* out) {
  for (const Stored& e : events) {
    if (query.start && e.timestamp < *query.start) continue;
    if (query.end && e.timestamp >= *query.end) continue;
    if (e.sequence <= query.after_sequence) continue;
    if (!text.empty() && e.message.find(text) == std::string::npos) continue;
    out->push_back({stream, e.timestamp, e.ingestion_time, e.message, e.sequence});
  }
}

void LogStore::Trim(const LogQuery& query, std::vector<LogEvent>* events) {
  std::stable_sort(events->begin(), events->end(), [](const LogEvent& a, const LogEvent& b) {
    return a.timestamp != b.timestamp ? a.timestamp < b.timestamp : a.sequence < b.sequence;
  });
  if (events->size() <= query.limit) return;
  if (query.from_head) {
    events->resize(query.limit);
  } else {
    events->erase(events->begin(), events->end() - static_cast<ptrdiff_t>(query.limit));
  }
}

Result<std::vector<LogEvent>> LogStore::GetLogEvents(const std::string& group,
                                                     const std::string& stream,
                                                     const LogQuery& query) const {
  std::vector<LogEvent> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto g = groups_.find(group);
    if (g == groups_.end()) return NotFound("The specified log group does not exist: " + group);
    auto id = g->second->ids.find(stream);
    if (id == g->second->ids.end()) {
      return NotFound("The specified log stream does not exist: " + stream);
    }
    Select(g->second->streams.at(id->second).events, stream, query, {}, &out);
  }
  Trim(query, &out);
  return out;
}

Result<std::vector<LogEvent>> LogStore::FilterLogEvents(const std::string& group,
                                                        const std::vector<std::string>& streams,
                                                        std::string_view text,
                                                        const LogQuery& query) const {
  std::vector<LogEvent> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto g = groups_.find(group);
    if (g == groups_.end()) return NotFound("The specified log group does not exist: " + group);
    const Group& grp = *g->second;
    if (streams.empty()) {
      for (const auto& [id, s] : grp.streams) Select(s.events, s.name, query, text, &out);
    } else {
      for (const std::string& name : streams) {
        auto id = grp.ids.find(name);
        if (id != grp.ids.end()) Select(grp.streams.at(id->second).events, name, query, text, &out);
      }
    }
  }
  Trim(query, &out);
  return out;
}

std::vector<LogGroupInfo> LogStore::DescribeLogGroups(std::string_view prefix) const {
  std::vector<LogGroupInfo> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, g] : groups_) {
    if (!std::string_view(name).starts_with(prefix)) continue;
    out.push_back({name, g->creation_time, g->bytes, g->events, g->ids.size()});
  }
  return out;
}

Result<std::vector<LogStreamInfo>> LogStore::DescribeLogStreams(const std::string& group,
                                                                std::string_view prefix) const {
  std::vector<LogStreamInfo> out;
  std::lock_guard<std::mutex> lock(mu_);
  auto g = groups_.find(group);
  if (g == groups_.end()) return NotFound("The specified log group does not exist: " + group);
  for (const auto& [name, id] : g->second->ids) {
    if (!std::string_view(name).starts_with(prefix)) continue;
    const Stream& s = g->second->streams.at(id);
    LogStreamInfo info;
    info.name = name;
    info.creation_time = s.creation_time;
    if (!s.events.empty()) {
      info.first_event_timestamp = s.events.front().timestamp;
      info.last_event_timestamp = s.events.back().timestamp;
    }
    info.last_ingestion_time = s.last_ingestion_time;
    info.stored_bytes = s.bytes;
    out.push_back(std::move(info));
  }
  return out;
}

uint64_t LogStore::evicted_events() const {
  std::lock_guard<std::mutex> lock(mu_);
  return evicted_;
}

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
  std::shared_ptr<const MachineSettings> settings = settings_->ForExecution(report.execution_arn);
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
