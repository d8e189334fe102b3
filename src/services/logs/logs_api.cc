#include "services/logs/logs_api.h"

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <optional>

#include "json/value.h"

namespace stepfn::logs {

namespace {

using api::AwsError;
using api::AwsOr;
using api::OperationRequest;
using json::Value;

constexpr int kAllowedDays[] = {1,   3,   5,   7,   14,   30,   60,   90,   120,  150,  180,
                                365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653};
// PutLogEvents: AWS refuses events more than 2 hours ahead or 14 days behind.
constexpr int64_t kTooNewMillis = 2LL * 60 * 60 * 1000;
constexpr int64_t kTooOldMillis = 14LL * 24 * 60 * 60 * 1000;

AwsError InvalidParameter(std::string message) {
  return {400, "InvalidParameterException", std::move(message)};
}

AwsError FromStatus(const Status& status) {
  const std::string& m = status.message();
  switch (status.code()) {
    case StatusCode::NotFound:
      if (m.starts_with("The specified log stream")) {
        return {400, "ResourceNotFoundException", "The specified log stream does not exist."};
      }
      return {400, "ResourceNotFoundException", "The specified log group does not exist."};
    case StatusCode::AlreadyExists:
      if (m.starts_with("The specified log stream")) {
        return {400, "ResourceAlreadyExistsException", "The specified log stream already exists"};
      }
      return {400, "ResourceAlreadyExistsException", "The specified log group already exists"};
    case StatusCode::InvalidArgument:
      return InvalidParameter(m);
    case StatusCode::OutOfRange:
      return {400, "LimitExceededException", "Resource limit exceeded. (" + m + ")"};
    default:
      return {503, "ServiceUnavailableException", m};
  }
}

// Reads the request's members, collecting the first type error.
class Input {
 public:
  explicit Input(const Value& input) : input_(input) {}

  std::optional<std::string> String(const char* key) {
    const Value* v = input_.find(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    if (!v->is_string()) {
      Fail(std::string(key) + " must be a string");
      return std::nullopt;
    }
    return v->as_string();
  }
  std::optional<int64_t> Int(const char* key) {
    const Value* v = input_.find(key);
    if (v == nullptr || v->is_null()) return std::nullopt;
    if (!v->is_int()) {
      Fail(std::string(key) + " must be an integer");
      return std::nullopt;
    }
    return v->as_int();
  }
  bool Bool(const char* key) {
    const Value* v = input_.find(key);
    if (v == nullptr || v->is_null()) return false;
    if (!v->is_bool()) {
      Fail(std::string(key) + " must be a boolean");
      return false;
    }
    return v->as_bool();
  }
  const Value* Array(const char* key) {
    const Value* v = input_.find(key);
    if (v == nullptr || v->is_null()) return nullptr;
    if (!v->is_array()) {
      Fail(std::string(key) + " must be a list");
      return nullptr;
    }
    return v;
  }
  // The log group named by logGroupName or logGroupIdentifier (a name or an ARN).
  std::optional<std::string> Group(bool required) {
    std::optional<std::string> name = String("logGroupName");
    std::optional<std::string> identifier = String("logGroupIdentifier");
    if (name && identifier) {
      Fail("LogGroup name and LogGroup ARN are mutually exclusive parameters.");
      return std::nullopt;
    }
    if (identifier) {
      std::string_view id = *identifier;
      size_t at = id.find(":log-group:");
      if (id.starts_with("arn:") && at != std::string_view::npos) {
        id.remove_prefix(at + std::string_view(":log-group:").size());
        if (id.ends_with(":*")) id.remove_suffix(2);
      }
      name = std::string(id);
    }
    if (!name && required) Fail("Either logGroupName or logGroupIdentifier must be given.");
    return name;
  }
  std::optional<std::string> Required(const char* key) {
    std::optional<std::string> v = String(key);
    if (!v && !error_)
      Fail(std::string("1 validation error detected: Value null at '") + key +
           "' failed to satisfy constraint: Member must not be null");
    return v;
  }
  // `limit` within [1, max] (default when absent).
  size_t Limit(int64_t default_limit, int64_t max) {
    std::optional<int64_t> limit = Int("limit");
    if (!limit) return static_cast<size_t>(default_limit);
    if (*limit < 1 || *limit > max) {
      Fail("1 validation error detected: Value '" + std::to_string(*limit) +
           "' at 'limit' failed to satisfy constraint: Member must have value between 1 and " +
           std::to_string(max));
      return 1;
    }
    return static_cast<size_t>(*limit);
  }

  void Fail(std::string message) {
    if (!error_) error_ = InvalidParameter(std::move(message));
  }
  const std::optional<AwsError>& error() const { return error_; }

 private:
  const Value& input_;
  std::optional<AwsError> error_;
};

Value Str(std::string_view s) { return Value::String(s); }
Value Int(int64_t n) { return Value::Int(n); }

bool ParseUint(std::string_view text, uint64_t* out) {
  if (text.empty()) return false;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), *out);
  return ec == std::errc() && end == text.data() + text.size();
}

// GetLogEvents' tokens: "f/<sequence>/s" (after that event) and "b/<sequence>/s" (before it),
// the sequence zero-padded to 20 digits.
std::string Token(char direction, uint64_t sequence) {
  char text[32];
  std::snprintf(text, sizeof(text), "%c/%020llu/s", direction,
                static_cast<unsigned long long>(sequence));
  return text;
}

bool ParseToken(std::string_view token, char* direction, uint64_t* sequence) {
  if (token.size() < 5 || (token[0] != 'f' && token[0] != 'b') || token[1] != '/' ||
      !token.ends_with("/s")) {
    return false;
  }
  *direction = token[0];
  return ParseUint(token.substr(2, token.size() - 4), sequence);
}

std::string GroupArn(const LogsApiOptions& options, std::string_view group) {
  return LogGroupArn(options, group);
}

// --- Log groups ----------------------------------------------------------------------------

AwsOr<Value> CreateLogGroup(LogStore* store, const OperationRequest& request) {
  Input in(request.input);
  std::optional<std::string> name = in.Required("logGroupName");
  if (in.error()) return *in.error();
  if (!LogStore::ValidGroupName(*name)) {
    return InvalidParameter("1 validation error detected: Value '" + *name +
                            "' at 'logGroupName' failed to satisfy constraint: Member must "
                            "satisfy regular expression pattern: [\\.\\-_/#A-Za-z0-9]+");
  }
  Status status = store->CreateLogGroup(*name);
  if (!status.ok()) return FromStatus(status);
  return Value::EmptyObject();
}

AwsOr<Value> DeleteLogGroup(LogStore* store, const OperationRequest& request) {
  Input in(request.input);
  std::optional<std::string> name = in.Required("logGroupName");
  if (in.error()) return *in.error();
  Status status = store->DeleteLogGroup(*name);
  if (!status.ok()) return FromStatus(status);
  return Value::EmptyObject();
}

Value GroupJson(const LogsApiOptions& options, const LogGroupInfo& g) {
  json::ObjectBuilder b;
  b.Append("logGroupName", Str(g.name));
  b.Append("creationTime", Int(g.creation_time));
  if (g.retention_days > 0) b.Append("retentionInDays", Int(g.retention_days));
  b.Append("metricFilterCount", Int(0));
  b.Append("arn", Str(GroupArn(options, g.name) + ":*"));
  b.Append("storedBytes", Int(static_cast<int64_t>(g.stored_bytes)));
  b.Append("logGroupClass", Str("STANDARD"));
  b.Append("logGroupArn", Str(GroupArn(options, g.name)));
  return std::move(b).Build();
}

AwsOr<Value> DescribeLogGroups(LogStore* store, const LogsApiOptions& options,
                               const OperationRequest& request) {
  Input in(request.input);
  std::string prefix = in.String("logGroupNamePrefix").value_or("");
  std::string pattern = in.String("logGroupNamePattern").value_or("");
  std::optional<std::string> token = in.String("nextToken");
  size_t limit = in.Limit(50, 50);
  if (in.error()) return *in.error();
  if (!prefix.empty() && !pattern.empty()) {
    return InvalidParameter(
        "LogGroup name prefix and LogGroup name pattern are mutually exclusive parameters.");
  }
  std::vector<Value> groups;
  std::string last;
  bool more = false;
  for (const LogGroupInfo& g : store->DescribeLogGroups(prefix)) {
    if (token && g.name <= *token) continue;  // the token is the last name of the page before
    if (!pattern.empty() && g.name.find(pattern) == std::string::npos) continue;
    if (groups.size() == limit) {
      more = true;
      break;
    }
    groups.push_back(GroupJson(options, g));
    last = g.name;
  }
  json::ObjectBuilder b;
  b.Append("logGroups", Value::Array(std::move(groups)));
  if (more) b.Append("nextToken", Str(last));
  return std::move(b).Build();
}

AwsOr<Value> PutRetentionPolicy(LogStore* store, const OperationRequest& request) {
  Input in(request.input);
  std::optional<std::string> name = in.Required("logGroupName");
  std::optional<int64_t> days = in.Int("retentionInDays");
  if (in.error()) return *in.error();
  bool allowed = false;
  for (int d : kAllowedDays) allowed = allowed || (days && *days == d);
  if (!allowed) {
    return InvalidParameter(
        "1 validation error detected: Value '" + (days ? std::to_string(*days) : "null") +
        "' at 'retentionInDays' failed to satisfy constraint: Member must satisfy enum value set: "
        "[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, "
        "2922, 3288, 3653]");
  }
  Status status = store->PutRetentionPolicy(*name, static_cast<int>(*days));
  if (!status.ok()) return FromStatus(status);
  return Value::EmptyObject();
}

AwsOr<Value> DeleteRetentionPolicy(LogStore* store, const OperationRequest& request) {
  Input in(request.input);
  std::optional<std::string> name = in.Required("logGroupName");
  if (in.error()) return *in.error();
  Status status = store->PutRetentionPolicy(*name, 0);
  if (!status.ok()) return FromStatus(status);
  return Value::EmptyObject();
}

// --- Log streams ---------------------------------------------------------------------------

AwsOr<Value> CreateLogStream(LogStore* store, const OperationRequest& request) {
  Input in(request.input);
  std::optional<std::string> group = in.Required("logGroupName");
  std::optional<std::string> stream = in.Required("logStreamName");
  if (in.error()) return *in.error();
  if (!LogStore::ValidStreamName(*stream)) {
    return InvalidParameter("1 validation error detected: Value '" + *stream +
                            "' at 'logStreamName' failed to satisfy constraint: Member must "
                            "satisfy regular expression pattern: [^:*]*");
  }
  Status status = store->CreateLogStream(*group, *stream);
  if (!status.ok()) return FromStatus(status);
  return Value::EmptyObject();
}

AwsOr<Value> DeleteLogStream(LogStore* store, const OperationRequest& request) {
  Input in(request.input);
  std::optional<std::string> group = in.Required("logGroupName");
  std::optional<std::string> stream = in.Required("logStreamName");
  if (in.error()) return *in.error();
  Status status = store->DeleteLogStream(*group, *stream);
  if (!status.ok()) return FromStatus(status);
  return Value::EmptyObject();
}

AwsOr<Value> DescribeLogStreams(LogStore* store, const LogsApiOptions& options,
                                const OperationRequest& request) {
  Input in(request.input);
  std::optional<std::string> group = in.Group(true);
  std::string prefix = in.String("logStreamNamePrefix").value_or("");
  std::string order_by = in.String("orderBy").value_or("LogStreamName");
  bool descending = in.Bool("descending");
  std::optional<std::string> token = in.String("nextToken");
  size_t limit = in.Limit(50, 50);
  if (in.error()) return *in.error();
  if (order_by != "LogStreamName" && order_by != "LastEventTime") {
    return InvalidParameter("1 validation error detected: Value '" + order_by +
                            "' at 'orderBy' failed to satisfy constraint: Member must satisfy "
                            "enum value set: [LogStreamName, LastEventTime]");
  }
  if (order_by == "LastEventTime" && !prefix.empty()) {
    return InvalidParameter("Cannot order by LastEventTime with a logStreamNamePrefix.");
  }
  Result<std::vector<LogStreamInfo>> streams = store->DescribeLogStreams(*group, prefix);
  if (!streams.ok()) return FromStatus(streams.status());
  std::vector<LogStreamInfo>& list = *streams;
  if (order_by == "LastEventTime") {
    std::stable_sort(list.begin(), list.end(), [](const LogStreamInfo& a, const LogStreamInfo& b) {
      return a.last_event_timestamp < b.last_event_timestamp;
    });
  }
  if (descending) std::reverse(list.begin(), list.end());
  uint64_t offset = 0;
  if (token && !ParseUint(*token, &offset)) {
    return InvalidParameter("The specified nextToken is invalid.");
  }
  std::vector<Value> out;
  std::string arn = GroupArn(options, *group);
  for (size_t i = static_cast<size_t>(std::min<uint64_t>(offset, list.size()));
       i < list.size() && out.size() < limit; ++i) {
    const LogStreamInfo& s = list[i];
    json::ObjectBuilder b;
    b.Append("logStreamName", Str(s.name));
    b.Append("creationTime", Int(s.creation_time));
    if (s.last_ingestion_time != 0) {
      b.Append("firstEventTimestamp", Int(s.first_event_timestamp));
      b.Append("lastEventTimestamp", Int(s.last_event_timestamp));
      b.Append("lastIngestionTime", Int(s.last_ingestion_time));
    }
    b.Append("arn", Str(arn + ":log-stream:" + s.name));
    b.Append("storedBytes", Int(static_cast<int64_t>(s.stored_bytes)));
    out.push_back(std::move(b).Build());
  }
  size_t end = static_cast<size_t>(std::min<uint64_t>(offset, list.size())) + out.size();
  json::ObjectBuilder b;
  b.Append("logStreams", Value::Array(std::move(out)));
  if (end < list.size()) b.Append("nextToken", Str(std::to_string(end)));
  return std::move(b).Build();
}

// --- Events --------------------------------------------------------------------------------

AwsOr<Value> PutLogEvents(LogStore* store, Clock* clock, const OperationRequest& request) {
  Input in(request.input);
  std::optional<std::string> group = in.Required("logGroupName");
  std::optional<std::string> stream = in.Required("logStreamName");
  const Value* list = in.Array("logEvents");
  if (in.error()) return *in.error();
  if (list == nullptr || list->size() == 0) {
    return InvalidParameter(
        "1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member "
        "must have length greater than or equal to 1");
  }
  if (list->size() > 10'000) {
    return InvalidParameter(
        "1 validation error detected: Value at 'logEvents' failed to satisfy constraint: Member "
        "must have length less than or equal to 10000");
  }
  EpochMillis now = clock->NowMillis();
  std::vector<InputLogEvent> events;
  std::optional<int64_t> too_new_start, too_old_end;
  EpochMillis previous = 0;
  for (size_t i = 0; i < list->size(); ++i) {
    const Value& e = list->items()[i];
    const Value* ts = e.is_object() ? e.find("timestamp") : nullptr;
    const Value* message = e.is_object() ? e.find("message") : nullptr;
    if (ts == nullptr || !ts->is_int() || message == nullptr || !message->is_string() ||
        message->as_string().empty()) {
      return InvalidParameter("Each log event needs a timestamp and a non-empty message (event " +
                              std::to_string(i) + ").");
    }
    if (i > 0 && ts->as_int() < previous) {
      return InvalidParameter(
          "Log events in a single PutLogEvents request must be in chronological order.");
    }
    previous = ts->as_int();
    if (ts->as_int() > now + kTooNewMillis) {
      if (!too_new_start) too_new_start = static_cast<int64_t>(i);
      continue;
    }
    if (ts->as_int() < now - kTooOldMillis) {
      too_old_end = static_cast<int64_t>(i) + 1;
      continue;
    }
    events.push_back({ts->as_int(), message->as_string()});
  }
  if (!events.empty()) {
    Status status = store->PutLogEvents(*group, *stream, std::move(events));
    if (!status.ok()) return FromStatus(status);
  } else {
    // Nothing to store: the group and stream must still exist.
    Result<std::vector<LogStreamInfo>> streams = store->DescribeLogStreams(*group, *stream);
    if (!streams.ok()) return FromStatus(streams.status());
    bool found = false;
    for (const LogStreamInfo& s : *streams) found = found || s.name == *stream;
    if (!found) return FromStatus(NotFound("The specified log stream does not exist."));
  }
  json::ObjectBuilder b;
  b.Append("nextSequenceToken", Str(std::to_string(store->last_sequence())));
  if (too_new_start || too_old_end) {
    json::ObjectBuilder rejected;
    if (too_new_start) rejected.Append("tooNewLogEventStartIndex", Int(*too_new_start));
    if (too_old_end) rejected.Append("tooOldLogEventEndIndex", Int(*too_old_end));
    b.Append("rejectedLogEventsInfo", std::move(rejected).Build());
  }
  return std::move(b).Build();
}

AwsOr<Value> GetLogEvents(LogStore* store, const OperationRequest& request) {
  Input in(request.input);
  std::optional<std::string> group = in.Group(true);
  std::optional<std::string> stream = in.Required("logStreamName");
  std::optional<int64_t> start = in.Int("startTime");
  std::optional<int64_t> end = in.Int("endTime");
  std::optional<std::string> token = in.String("nextToken");
  bool from_head = in.Bool("startFromHead");
  size_t limit = in.Limit(10'000, 10'000);
  if (in.error()) return *in.error();
  LogQuery query;
  query.start = start;
  query.end = end;  // exclusive, as AWS documents for GetLogEvents
  query.limit = limit;
  query.from_head = from_head;
  char direction = 0;
  uint64_t position = 0;
  if (token) {
    if (!ParseToken(*token, &direction, &position)) {
      return InvalidParameter("The specified nextToken is invalid.");
    }
    if (direction == 'f') {
      query.after_sequence = position;
      query.from_head = true;
    } else {
      query.before_sequence = position == 0 ? 1 : position;
      query.from_head = false;
    }
  }
  Result<std::vector<LogEvent>> events = store->GetLogEvents(*group, *stream, query);
  if (!events.ok()) return FromStatus(events.status());
  std::vector<Value> out;
  out.reserve(events->size());
  for (const LogEvent& e : *events) {
    out.push_back(Value::Object({{"timestamp", Int(e.timestamp)},
                                 {"message", Str(e.message)},
                                 {"ingestionTime", Int(e.ingestion_time)}}));
  }
  std::string forward, backward;
  if (!events->empty()) {
    forward = Token('f', events->back().sequence);
    backward = Token('b', events->front().sequence);
  } else if (token) {
    // Nothing further that way: the same position both ways (clients stop on a repeated token).
    forward = Token('f', position);
    backward = Token('b', position);
  } else {
    uint64_t last = store->last_sequence();
    forward = Token('f', last);
    backward = Token('b', last + 1);
  }
  return Value::Object({{"events", Value::Array(std::move(out))},
                        {"nextForwardToken", Str(forward)},
                        {"nextBackwardToken", Str(backward)}});
}

AwsOr<Value> FilterLogEvents(LogStore* store, const OperationRequest& request) {
  Input in(request.input);
  std::optional<std::string> group = in.Group(true);
  const Value* names = in.Array("logStreamNames");
  std::optional<std::string> prefix = in.String("logStreamNamePrefix");
  std::optional<int64_t> start = in.Int("startTime");
  std::optional<int64_t> end = in.Int("endTime");
  std::string pattern = in.String("filterPattern").value_or("");
  std::optional<std::string> token = in.String("nextToken");
  size_t limit = in.Limit(10'000, 10'000);
  if (in.error()) return *in.error();
  if (names != nullptr && prefix) {
    return InvalidParameter(
        "logStreamNames and logStreamNamePrefix are mutually exclusive parameters.");
  }
  std::string_view trimmed = pattern;
  while (!trimmed.empty() && trimmed.front() == ' ') trimmed.remove_prefix(1);
  if (trimmed.starts_with("{") || trimmed.starts_with("[") || trimmed.starts_with("%")) {
    return InvalidParameter(
        "stepfn supports filter patterns of terms, \"quoted phrases\", ?any and -excluded terms; "
        "JSON, space-delimited and regular-expression patterns are not supported yet.");
  }
  std::vector<std::string> streams;
  if (names != nullptr) {
    for (const Value& n : names->items()) {
      if (!n.is_string()) return InvalidParameter("logStreamNames must be strings");
      streams.push_back(n.as_string());
    }
  } else if (prefix) {
    Result<std::vector<LogStreamInfo>> matching = store->DescribeLogStreams(*group, *prefix);
    if (!matching.ok()) return FromStatus(matching.status());
    for (const LogStreamInfo& s : *matching) streams.push_back(s.name);
    if (streams.empty()) {
      return Value::Object(
          {{"events", Value::EmptyArray()}, {"searchedLogStreams", Value::EmptyArray()}});
    }
  }
  LogQuery query;
  query.start = start;
  if (end) query.end = *end + 1;  // FilterLogEvents' endTime is inclusive
  query.limit = limit + 1;        // one more tells whether there is a next page
  query.from_head = true;
  if (token) {
    size_t dash = token->find('-');
    uint64_t ts = 0, sequence = 0;
    if (dash == std::string::npos || !ParseUint(token->substr(0, dash), &ts) ||
        !ParseUint(token->substr(dash + 1), &sequence)) {
      return InvalidParameter("The specified nextToken is invalid.");
    }
    query.after_key = std::make_pair(static_cast<EpochMillis>(ts), sequence);
  }
  Result<std::vector<LogEvent>> events =
      store->FilterLogEvents(*group, streams, FilterPattern::Parse(pattern), query);
  if (!events.ok()) return FromStatus(events.status());
  bool more = events->size() > limit;
  if (more) events->resize(limit);
  std::vector<Value> out;
  out.reserve(events->size());
  for (const LogEvent& e : *events) {
    char id[24];
    std::snprintf(id, sizeof(id), "%020llu", static_cast<unsigned long long>(e.sequence));
    out.push_back(Value::Object({{"logStreamName", Str(e.stream)},
                                 {"timestamp", Int(e.timestamp)},
                                 {"message", Str(e.message)},
                                 {"ingestionTime", Int(e.ingestion_time)},
                                 {"eventId", Str(id)}}));
  }
  std::vector<Value> searched;
  if (!streams.empty()) {
    for (const std::string& s : streams) {
      searched.push_back(
          Value::Object({{"logStreamName", Str(s)}, {"searchedCompletely", Value::Bool(!more)}}));
    }
  }
  json::ObjectBuilder b;
  b.Append("events", Value::Array(std::move(out)));
  b.Append("searchedLogStreams", Value::Array(std::move(searched)));
  if (more && !events->empty()) {
    b.Append("nextToken", Str(std::to_string(events->back().timestamp) + "-" +
                              std::to_string(events->back().sequence)));
  }
  return std::move(b).Build();
}

}  // namespace

api::AwsJsonOptions LogsProtocolOptions() {
  api::AwsJsonOptions options;
  options.target_prefix = "Logs_20140328";
  options.signing_service = "logs";
  options.json_version = "1.1";
  return options;
}

std::string LogGroupArn(const LogsApiOptions& options, std::string_view group) {
  return "arn:aws:logs:" + options.region + ":" + options.account +
         ":log-group:" + std::string(group);
}

void RegisterLogsOperations(LogStore* store, const LogsApiOptions& options,
                            api::AwsJsonProtocol* protocol) {
  using Fn = AwsOr<Value> (*)(LogStore*, const OperationRequest&);
  for (auto [name, fn] : std::initializer_list<std::pair<const char*, Fn>>{
           {"CreateLogGroup", CreateLogGroup},
           {"DeleteLogGroup", DeleteLogGroup},
           {"PutRetentionPolicy", PutRetentionPolicy},
           {"DeleteRetentionPolicy", DeleteRetentionPolicy},
           {"CreateLogStream", CreateLogStream},
           {"DeleteLogStream", DeleteLogStream},
           {"GetLogEvents", GetLogEvents},
           {"FilterLogEvents", FilterLogEvents}}) {
    protocol->RegisterSync(name, [store, fn](const OperationRequest& r) { return fn(store, r); });
  }
  protocol->RegisterSync("DescribeLogGroups", [store, options](const OperationRequest& r) {
    return DescribeLogGroups(store, options, r);
  });
  protocol->RegisterSync("DescribeLogStreams", [store, options](const OperationRequest& r) {
    return DescribeLogStreams(store, options, r);
  });
  Clock* clock = options.clock;
  protocol->RegisterSync("PutLogEvents", [store, clock](const OperationRequest& r) {
    SystemClock system;
    return PutLogEvents(store, clock != nullptr ? clock : &system, r);
  });
}

}  // namespace stepfn::logs
