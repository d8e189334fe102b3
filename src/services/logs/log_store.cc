#include "services/logs/log_store.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "json/parse.h"
#include "json/value.h"
#include "json/write.h"

namespace stepfn::logs {

namespace {

constexpr int64_t kDayMillis = 24LL * 60 * 60 * 1000;
constexpr uint64_t kCompactSlack = 1024 * 1024;

// The file name of a group: its name with every byte but [A-Za-z0-9_-] as %XX, then ".log".
std::string EscapeFileName(std::string_view name) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (char c : name) {
    bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '_' || c == '-';
    if (plain) {
      out.push_back(c);
    } else {
      auto b = static_cast<unsigned char>(c);
      out.push_back('%');
      out.push_back(hex[b >> 4]);
      out.push_back(hex[b & 15]);
    }
  }
  return out + ".log";
}

void AppendGroupLine(std::string_view name, EpochMillis creation, std::string* out) {
  *out += "{\"g\":";
  json::WriteString(name, out);
  *out += ",\"c\":" + std::to_string(creation) + "}\n";
}

void AppendStreamLine(std::string_view name, EpochMillis creation, std::string* out) {
  *out += "{\"s\":";
  json::WriteString(name, out);
  *out += ",\"c\":" + std::to_string(creation) + "}\n";
}

void AppendEventLine(std::string_view stream, EpochMillis timestamp, EpochMillis ingestion,
                     std::string_view message, std::string* out) {
  out->append("{\"e\":");
  json::WriteString(stream, out);
  char number[24];  // an int64 takes at most 20
  out->append(",\"t\":").append(number,
                                std::to_chars(number, number + sizeof number, timestamp).ptr);
  out->append(",\"i\":").append(number,
                                std::to_chars(number, number + sizeof number, ingestion).ptr);
  out->append(",\"m\":");
  json::WriteString(message, out);
  out->append("}\n");
}

void AppendRetentionLine(int days, std::string* out) {
  *out += "{\"r\":" + std::to_string(days) + "}\n";
}

void AppendDeleteStreamLine(std::string_view stream, std::string* out) {
  *out += "{\"x\":";
  json::WriteString(stream, out);
  *out += "}\n";
}

Status WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return Unavailable(std::string("writing a log file: ") + std::strerror(errno));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  return Status::Ok();
}

const std::string* StringField(const json::Value& v, const char* key) {
  const json::Value* f = v.find(key);
  return f != nullptr && f->is_string() ? &f->as_string() : nullptr;
}

int64_t IntField(const json::Value& v, const char* key) {
  const json::Value* f = v.find(key);
  return f != nullptr && f->is_int() ? f->as_int() : 0;
}

}  // namespace

// --- FilterPattern -------------------------------------------------------------------------

FilterPattern FilterPattern::Parse(std::string_view pattern) {
  FilterPattern out;
  size_t i = 0;
  while (i < pattern.size()) {
    char c = pattern[i];
    if (c == ' ' || c == '\t') {
      ++i;
      continue;
    }
    char kind = 0;
    if (c == '?' || c == '-') {
      kind = c;
      ++i;
      if (i >= pattern.size()) break;
    }
    std::string term;
    if (pattern[i] == '"') {
      size_t close = pattern.find('"', i + 1);
      if (close == std::string_view::npos) close = pattern.size();
      term = std::string(pattern.substr(i + 1, close - i - 1));
      i = close + 1;
    } else {
      size_t end = pattern.find_first_of(" \t", i);
      if (end == std::string_view::npos) end = pattern.size();
      term = std::string(pattern.substr(i, end - i));
      i = end;
    }
    if (term.empty()) continue;
    if (kind == '?') {
      out.any_.push_back(std::move(term));
    } else if (kind == '-') {
      out.none_.push_back(std::move(term));
    } else {
      out.all_.push_back(std::move(term));
    }
  }
  return out;
}

bool FilterPattern::Matches(std::string_view message) const {
  for (const std::string& term : all_) {
    if (message.find(term) == std::string_view::npos) return false;
  }
  for (const std::string& term : none_) {
    if (message.find(term) != std::string_view::npos) return false;
  }
  if (any_.empty()) return true;
  for (const std::string& term : any_) {
    if (message.find(term) != std::string_view::npos) return true;
  }
  return false;
}

// --- LogStore ------------------------------------------------------------------------------

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

std::string LogStore::FileOf(std::string_view group) const {
  return options_.data_dir + "/" + EscapeFileName(group);
}

Status LogStore::AppendToFileLocked(Group& group, const std::string& lines) {
  if (options_.data_dir.empty() || lines.empty()) return Status::Ok();
  std::string path = FileOf(group.name);
  int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return Unavailable("opening " + path + ": " + std::strerror(errno));
  Status written = WriteAll(fd, lines);
  ::close(fd);
  if (written.ok()) group.file_bytes += lines.size();
  return written;
}

Status LogStore::RewriteFileLocked(Group& group) {
  if (options_.data_dir.empty()) return Status::Ok();
  std::string content;
  AppendGroupLine(group.name, group.creation_time, &content);
  if (group.retention_days > 0) AppendRetentionLine(group.retention_days, &content);
  struct Ref {
    uint64_t sequence;
    const std::string* stream;
    const Stored* event;
  };
  std::vector<Ref> events;
  events.reserve(group.events);
  for (const auto& [name, id] : group.ids) {
    const Stream& s = group.streams.at(id);
    AppendStreamLine(name, s.creation_time, &content);
    for (const Stored& e : s.events) events.push_back({e.sequence, &s.name, &e});
  }
  std::sort(events.begin(), events.end(),
            [](const Ref& a, const Ref& b) { return a.sequence < b.sequence; });
  for (const Ref& r : events) {
    AppendEventLine(*r.stream, r.event->timestamp, r.event->ingestion_time, r.event->message,
                    &content);
  }
  std::string path = FileOf(group.name);
  std::string temp = path + ".tmp";
  int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return Unavailable("opening " + temp + ": " + std::strerror(errno));
  Status written = WriteAll(fd, content);
  ::close(fd);
  if (!written.ok()) {
    ::unlink(temp.c_str());
    return written;
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    ::unlink(temp.c_str());
    return Unavailable("renaming " + temp + ": " + std::strerror(errno));
  }
  group.file_bytes = content.size();
  return Status::Ok();
}

void LogStore::MaybeCompactLocked(Group& group) {
  if (options_.data_dir.empty()) return;
  uint64_t live = group.bytes + 96 * (group.events + group.ids.size() + 1);
  if (group.file_bytes > 2 * live + kCompactSlack) RewriteFileLocked(group).IgnoreError();
}

LogStore::Group* LogStore::NewGroupLocked(const std::string& name, EpochMillis creation_time) {
  auto g = std::make_unique<Group>();
  g->name = name;
  g->creation_time = creation_time;
  Group* raw = g.get();
  groups_[name] = std::move(g);
  return raw;
}

LogStore::Stream* LogStore::NewStreamLocked(Group& g, const std::string& name,
                                            EpochMillis creation_time) {
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
    if (oldest != 0) {
      evicted_ += g.streams.at(oldest).events.size();
      DropStreamLocked(g, oldest);
    }
  }
  uint64_t id = g.next_stream_id++;
  Stream& s = g.streams[id];
  s.name = name;
  s.creation_time = creation_time;
  g.ids.emplace(name, id);
  return &s;
}

void LogStore::DropStreamLocked(Group& g, uint64_t id) {
  auto it = g.streams.find(id);
  if (it == g.streams.end()) return;
  g.events -= it->second.events.size();
  g.bytes -= it->second.bytes;
  total_bytes_ -= it->second.bytes;
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
    size_t size = s.events.front().message.size();
    g.bytes -= size;
    s.bytes -= size;
    total_bytes_ -= size;
    s.events.pop_front();
    --g.events;
    ++evicted_;
    return;
  }
}

EpochMillis LogStore::RetentionCutoff(const Group& g, EpochMillis now) const {
  if (g.retention_days <= 0) return std::numeric_limits<EpochMillis>::min();
  return now - static_cast<int64_t>(g.retention_days) * kDayMillis;
}

void LogStore::ExpireLocked(Group& g, EpochMillis now) {
  if (g.retention_days <= 0) return;
  EpochMillis cutoff = RetentionCutoff(g, now);
  while (!g.order.empty()) {
    auto it = g.streams.find(g.order.front());
    if (it == g.streams.end() || it->second.events.empty()) {
      g.order.pop_front();
      continue;
    }
    if (it->second.events.front().timestamp >= cutoff) break;
    EvictOldestLocked(g);
  }
}

void LogStore::EnforceTotalLocked() {
  while (total_bytes_ > options_.max_total_bytes) {
    Group* largest = nullptr;
    for (auto& [name, g] : groups_) {
      if (largest == nullptr || g->bytes > largest->bytes) largest = g.get();
    }
    if (largest == nullptr || largest->events == 0) break;
    EvictOldestLocked(*largest);
  }
}

void LogStore::PutLocked(Group& g, uint64_t stream_id, std::vector<InputLogEvent>& events,
                         EpochMillis ingestion_time) {
  Stream& s = g.streams[stream_id];
  for (InputLogEvent& e : events) {
    if (e.message.size() > options_.max_message_bytes) e.message.resize(options_.max_message_bytes);
    g.bytes += e.message.size();
    s.bytes += e.message.size();
    total_bytes_ += e.message.size();
    ++g.events;
    g.order.push_back(stream_id);
    s.events.push_back({e.timestamp, ingestion_time, next_sequence_++, std::move(e.message)});
  }
  s.last_ingestion_time = ingestion_time;
  while (g.events > options_.max_events_per_group || g.bytes > options_.max_bytes_per_group) {
    if (g.order.empty()) break;
    EvictOldestLocked(g);
  }
  EnforceTotalLocked();
  // The order queue also holds entries of dropped streams: keep it from growing without end.
  if (g.order.size() > 2 * options_.max_events_per_group + 1024) {
    std::deque<uint64_t> kept;
    for (uint64_t id : g.order) {
      if (g.streams.count(id) != 0) kept.push_back(id);
    }
    g.order.swap(kept);
  }
}

Status LogStore::Recover() {
  if (options_.data_dir.empty()) return Status::Ok();
  std::error_code ec;
  std::filesystem::create_directories(options_.data_dir, ec);
  if (ec) return Unavailable("cannot create " + options_.data_dir + ": " + ec.message());
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(options_.data_dir, ec)) {
    std::string path = entry.path().string();
    if (path.ends_with(".log.tmp")) {
      std::filesystem::remove(entry.path(), ec);  // a rewrite that did not finish
    } else if (path.ends_with(".log")) {
      files.push_back(std::move(path));
    }
  }
  if (ec) return Unavailable("cannot read " + options_.data_dir + ": " + ec.message());
  std::sort(files.begin(), files.end());
  for (const std::string& path : files) RETURN_IF_ERROR(ReplayFile(path));
  return Status::Ok();
}

Status LogStore::ReplayFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Unavailable("cannot read " + path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string content = buffer.str();
  std::lock_guard<std::mutex> lock(mu_);
  Group* g = nullptr;
  size_t good = 0;  // bytes up to the end of the last complete line
  size_t pos = 0;
  while (pos < content.size()) {
    size_t newline = content.find('\n', pos);
    if (newline == std::string::npos) break;  // a torn last line
    std::string_view line(content.data() + pos, newline - pos);
    pos = newline + 1;
    good = pos;
    Result<json::Value> parsed = json::Parse(line);
    if (!parsed.ok() || !parsed->is_object()) continue;  // skipped
    const json::Value& v = *parsed;
    if (const std::string* name = StringField(v, "g")) {
      if (g != nullptr || !ValidGroupName(*name)) continue;
      if (groups_.count(*name) != 0) return Status::Ok();  // two files for one group: keep one
      g = NewGroupLocked(*name, IntField(v, "c"));
      continue;
    }
    if (g == nullptr) break;  // not one of ours
    if (const std::string* stream = StringField(v, "s")) {
      if (g->ids.count(*stream) == 0) NewStreamLocked(*g, *stream, IntField(v, "c"));
    } else if (const std::string* stream = StringField(v, "e")) {
      auto id = g->ids.find(*stream);
      uint64_t stream_id = 0;
      if (id == g->ids.end()) {
        NewStreamLocked(*g, *stream, IntField(v, "i"));
        stream_id = g->ids.find(*stream)->second;
      } else {
        stream_id = id->second;
      }
      const std::string* message = StringField(v, "m");
      std::vector<InputLogEvent> one;
      one.push_back({IntField(v, "t"), message != nullptr ? *message : std::string()});
      PutLocked(*g, stream_id, one, IntField(v, "i"));
    } else if (v.find("r") != nullptr) {
      g->retention_days = static_cast<int>(IntField(v, "r"));
    } else if (const std::string* stream = StringField(v, "x")) {
      auto id = g->ids.find(*stream);
      if (id != g->ids.end()) DropStreamLocked(*g, id->second);
    }
  }
  if (g == nullptr) return Status::Ok();
  if (good < content.size()) {
    // Cut the torn line so that the next append starts on a line of its own.
    if (::truncate(path.c_str(), static_cast<off_t>(good)) != 0) {
      return Unavailable("cannot repair " + path + ": " + std::strerror(errno));
    }
  }
  g->file_bytes = good;
  if (path != FileOf(g->name)) {
    // Renamed by hand: write it where the store looks for it.
    RETURN_IF_ERROR(RewriteFileLocked(*g));
    ::unlink(path.c_str());
  }
  ExpireLocked(*g, clock_->NowMillis());
  MaybeCompactLocked(*g);
  return Status::Ok();
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
  Group* g = NewGroupLocked(group, clock_->NowMillis());
  if (!options_.data_dir.empty()) return RewriteFileLocked(*g);
  return Status::Ok();
}

Status LogStore::DeleteLogGroup(const std::string& group) {
  std::lock_guard<std::mutex> lock(mu_);
  auto g = groups_.find(group);
  if (g == groups_.end()) return NotFound("The specified log group does not exist: " + group);
  total_bytes_ -= g->second->bytes;
  groups_.erase(g);
  if (!options_.data_dir.empty()) ::unlink(FileOf(group).c_str());
  return Status::Ok();
}

Status LogStore::CreateLogStream(const std::string& group, const std::string& stream) {
  if (!ValidStreamName(stream)) return InvalidArgument("invalid log stream name '" + stream + "'");
  std::lock_guard<std::mutex> lock(mu_);
  auto g = groups_.find(group);
  if (g == groups_.end()) return NotFound("The specified log group does not exist: " + group);
  if (g->second->ids.count(stream) != 0) {
    return AlreadyExists("The specified log stream already exists: " + stream);
  }
  Stream* s = NewStreamLocked(*g->second, stream, clock_->NowMillis());
  std::string line;
  AppendStreamLine(stream, s->creation_time, &line);
  return AppendToFileLocked(*g->second, line);
}

Status LogStore::DeleteLogStream(const std::string& group, const std::string& stream) {
  std::lock_guard<std::mutex> lock(mu_);
  auto g = groups_.find(group);
  if (g == groups_.end()) return NotFound("The specified log group does not exist: " + group);
  auto id = g->second->ids.find(stream);
  if (id == g->second->ids.end()) {
    return NotFound("The specified log stream does not exist: " + stream);
  }
  DropStreamLocked(*g->second, id->second);
  std::string line;
  AppendDeleteStreamLine(stream, &line);
  Status written = AppendToFileLocked(*g->second, line);
  MaybeCompactLocked(*g->second);
  return written;
}

Status LogStore::PutRetentionPolicy(const std::string& group, int days) {
  if (days < 0) return InvalidArgument("retention days must be positive");
  std::lock_guard<std::mutex> lock(mu_);
  auto g = groups_.find(group);
  if (g == groups_.end()) return NotFound("The specified log group does not exist: " + group);
  g->second->retention_days = days;
  ExpireLocked(*g->second, clock_->NowMillis());
  std::string line;
  AppendRetentionLine(days, &line);
  return AppendToFileLocked(*g->second, line);
}

Status LogStore::PutLogEvents(const std::string& group, const std::string& stream,
                              std::vector<InputLogEvent> events) {
  Status status;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto g = groups_.find(group);
    if (g == groups_.end()) return NotFound("The specified log group does not exist: " + group);
    auto id = g->second->ids.find(stream);
    if (id == g->second->ids.end()) {
      return NotFound("The specified log stream does not exist: " + stream);
    }
    Group& grp = *g->second;
    EpochMillis now = clock_->NowMillis();
    std::string lines;
    for (const InputLogEvent& e : events) {
      AppendEventLine(stream, e.timestamp, now,
                      std::string_view(e.message).substr(0, options_.max_message_bytes), &lines);
    }
    PutLocked(grp, id->second, events, now);
    ExpireLocked(grp, now);
    status = AppendToFileLocked(grp, lines);
    MaybeCompactLocked(grp);
  }
  appended_.notify_all();
  return status;
}

Status LogStore::Append(const std::string& group, const std::string& stream,
                        std::vector<InputLogEvent> events) {
  if (!ValidGroupName(group)) return InvalidArgument("invalid log group name '" + group + "'");
  if (!ValidStreamName(stream)) return InvalidArgument("invalid log stream name '" + stream + "'");
  Status status;
  {
    std::lock_guard<std::mutex> lock(mu_);
    EpochMillis now = clock_->NowMillis();
    std::string lines;
    auto g = groups_.find(group);
    Group* grp = nullptr;
    if (g == groups_.end()) {
      if (groups_.size() >= options_.max_groups) {
        return OutOfRange("at most " + std::to_string(options_.max_groups) + " log groups");
      }
      grp = NewGroupLocked(group, now);
      AppendGroupLine(group, now, &lines);
    } else {
      grp = g->second.get();
    }
    auto id = grp->ids.find(stream);
    uint64_t stream_id = 0;
    if (id == grp->ids.end()) {
      NewStreamLocked(*grp, stream, now);
      AppendStreamLine(stream, now, &lines);
      stream_id = grp->ids.find(stream)->second;
    } else {
      stream_id = id->second;
    }
    for (const InputLogEvent& e : events) {
      AppendEventLine(stream, e.timestamp, now,
                      std::string_view(e.message).substr(0, options_.max_message_bytes), &lines);
    }
    PutLocked(*grp, stream_id, events, now);
    ExpireLocked(*grp, now);
    if (g == groups_.end() && !options_.data_dir.empty()) {
      // A new group starts its file afresh (a stale file of a deleted group is replaced).
      int fd = ::open(FileOf(group).c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
      if (fd >= 0) ::close(fd);
    }
    status = AppendToFileLocked(*grp, lines);
    MaybeCompactLocked(*grp);
  }
  appended_.notify_all();
  return status;
}

void LogStore::Trim(const LogQuery& query, bool by_time, std::vector<LogEvent>* events) {
  if (by_time) {
    std::stable_sort(events->begin(), events->end(), [](const LogEvent& a, const LogEvent& b) {
      return a.timestamp != b.timestamp ? a.timestamp < b.timestamp : a.sequence < b.sequence;
    });
  } else {
    std::sort(events->begin(), events->end(),
              [](const LogEvent& a, const LogEvent& b) { return a.sequence < b.sequence; });
  }
  if (events->size() <= query.limit) return;
  if (query.from_head) {
    events->resize(query.limit);
  } else {
    events->erase(events->begin(), events->end() - static_cast<ptrdiff_t>(query.limit));
  }
}

template <typename Keep>
Result<std::vector<LogEvent>> LogStore::Filter(const std::string& group,
                                               const std::vector<std::string>& streams,
                                               const Keep& keep, const LogQuery& query) const {
  std::vector<LogEvent> out;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto g = groups_.find(group);
    if (g == groups_.end()) return NotFound("The specified log group does not exist: " + group);
    const Group& grp = *g->second;
    EpochMillis cutoff = RetentionCutoff(grp, clock_->NowMillis());
    auto select = [&](const Stream& s) {
      for (const Stored& e : s.events) {
        if (e.timestamp < cutoff) continue;
        if (query.start && e.timestamp < *query.start) continue;
        if (query.end && e.timestamp >= *query.end) continue;
        if (e.sequence <= query.after_sequence) continue;
        if (query.before_sequence != 0 && e.sequence >= query.before_sequence) continue;
        if (query.after_key && std::make_pair(e.timestamp, e.sequence) <= *query.after_key) {
          continue;
        }
        if (!keep(e.message)) continue;
        out.push_back({s.name, e.timestamp, e.ingestion_time, e.message, e.sequence});
      }
    };
    if (streams.empty()) {
      for (const auto& [id, s] : grp.streams) select(s);
    } else {
      for (const std::string& name : streams) {
        auto id = grp.ids.find(name);
        if (id != grp.ids.end()) select(grp.streams.at(id->second));
      }
    }
  }
  return out;
}

Result<std::vector<LogEvent>> LogStore::GetLogEvents(const std::string& group,
                                                     const std::string& stream,
                                                     const LogQuery& query) const {
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto g = groups_.find(group);
    if (g == groups_.end()) return NotFound("The specified log group does not exist: " + group);
    if (g->second->ids.count(stream) == 0) {
      return NotFound("The specified log stream does not exist: " + stream);
    }
  }
  ASSIGN_OR_RETURN(std::vector<LogEvent> out,
                   Filter(
                       group, {stream}, [](std::string_view) { return true; }, query));
  Trim(query, false, &out);
  return out;
}

Result<std::vector<LogEvent>> LogStore::FilterLogEvents(const std::string& group,
                                                        const std::vector<std::string>& streams,
                                                        const FilterPattern& pattern,
                                                        const LogQuery& query) const {
  ASSIGN_OR_RETURN(
      std::vector<LogEvent> out,
      Filter(
          group, streams, [&](std::string_view m) { return pattern.Matches(m); }, query));
  Trim(query, true, &out);
  return out;
}

Result<std::vector<LogEvent>> LogStore::FilterLogEvents(const std::string& group,
                                                        const std::vector<std::string>& streams,
                                                        std::string_view text,
                                                        const LogQuery& query) const {
  ASSIGN_OR_RETURN(std::vector<LogEvent> out, Filter(
                                                  group, streams,
                                                  [&](std::string_view m) {
                                                    return text.empty() ||
                                                           m.find(text) != std::string_view::npos;
                                                  },
                                                  query));
  Trim(query, true, &out);
  return out;
}

std::vector<LogGroupInfo> LogStore::DescribeLogGroups(std::string_view prefix) const {
  std::vector<LogGroupInfo> out;
  std::lock_guard<std::mutex> lock(mu_);
  for (const auto& [name, g] : groups_) {
    if (!std::string_view(name).starts_with(prefix)) continue;
    out.push_back({name, g->creation_time, g->bytes, g->events, g->ids.size(), g->retention_days});
  }
  return out;
}

Result<LogGroupInfo> LogStore::DescribeLogGroup(const std::string& group) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto g = groups_.find(group);
  if (g == groups_.end()) return NotFound("The specified log group does not exist: " + group);
  const Group& grp = *g->second;
  return LogGroupInfo{grp.name,   grp.creation_time, grp.bytes,
                      grp.events, grp.ids.size(),    grp.retention_days};
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
      for (const Stored& e : s.events) {
        info.first_event_timestamp = std::min(info.first_event_timestamp, e.timestamp);
        info.last_event_timestamp = std::max(info.last_event_timestamp, e.timestamp);
      }
    }
    info.last_ingestion_time = s.last_ingestion_time;
    info.stored_bytes = s.bytes;
    out.push_back(std::move(info));
  }
  return out;
}

uint64_t LogStore::last_sequence() const {
  std::lock_guard<std::mutex> lock(mu_);
  return next_sequence_ - 1;
}

uint64_t LogStore::WaitForEvents(uint64_t after, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  appended_.wait_for(lock, timeout, [&] { return next_sequence_ - 1 > after; });
  return next_sequence_ - 1;
}

uint64_t LogStore::evicted_events() const {
  std::lock_guard<std::mutex> lock(mu_);
  return evicted_;
}

uint64_t LogStore::total_bytes() const {
  std::lock_guard<std::mutex> lock(mu_);
  return total_bytes_;
}

}  // namespace stepfn::logs
