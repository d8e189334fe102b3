// The execution state's byte format (docs/formats/execution-state.md): a version byte, a binary
// part (varints, fixed 64-bit numbers, length-prefixed strings) and, last, every JSON value of
// the state as one JSON array, parsed in one go. Decoding checks everything Step relies on, so
// that bytes that decode are a state Step can run without going out of bounds.
#include "eval/state_codec.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <limits>
#include <unordered_map>
#include <utility>

#include "asl/program.h"
#include "json/parse.h"
#include "json/write.h"

namespace stepfn::eval {
namespace {

// Frame flags.
constexpr uint8_t kFrameSilent = 1;
constexpr uint8_t kFrameTask = 2;    // task_parameters and task_timeout_seconds follow
constexpr uint8_t kFrameFanout = 4;  // a Fanout follows
constexpr uint8_t kFrameKnownFlags = kFrameSilent | kFrameTask | kFrameFanout;

// A JSON value's slot in the binary part says where its value is.
constexpr uint8_t kSlotNull = 0;  // JSON null; nothing in the JSON array
constexpr uint8_t kSlotNext = 1;  // the next value of the JSON array
constexpr uint8_t kSlotRef = 2;   // a varint follows: an earlier value of the array, shared

// Seconds that a timer may be set for again after a decode: now + seconds * 1000 must fit
// EpochMillis.
constexpr double kMaxSeconds = 9e15;
constexpr int64_t kMaxEventId = int64_t{1} << 62;
constexpr uint64_t kMaxRetryTotal = 1u << 30;

// ---------------------------------------------------------------------------------------------
// Encoding.

// A string, array or object node's identity (the address of what it holds); null for scalars,
// which are never shared.
const void* NodeOf(const json::Value& v) {
  switch (v.type()) {
    case json::Type::String:
      return &v.as_string();
    case json::Type::Array:
      return &v.items();
    case json::Type::Object:
      return v.members().data();
    default:
      return nullptr;
  }
}

// The values written so far, by node: a value held in several places (a frame's input and its
// effective input, a Parallel's input and its branches' inputs) is written once.
class SeenNodes {
 public:
  void Clear() {
    list_.clear();
    index_.clear();
  }
  const uint32_t* Find(const void* node) const {
    if (index_.empty()) {
      for (const auto& [n, i] : list_) {
        if (n == node) return &i;
      }
      return nullptr;
    }
    auto it = index_.find(node);
    return it == index_.end() ? nullptr : &it->second;
  }
  void Add(const void* node, uint32_t i) {
    list_.emplace_back(node, i);
    if (!index_.empty()) {
      index_.emplace(node, i);
    } else if (list_.size() > kLinear) {
      index_.reserve(list_.size() * 2);
      for (const auto& [n, j] : list_) index_.emplace(n, j);
    }
  }

 private:
  static constexpr size_t kLinear = 16;
  std::vector<std::pair<const void*, uint32_t>> list_;
  std::unordered_map<const void*, uint32_t> index_;
};

class Encoder {
 public:
  Encoder(std::string* bin, std::string* json, SeenNodes* seen)
      : bin_(bin), json_(json), seen_(seen) {}

  void U8(uint8_t v) { bin_->push_back(static_cast<char>(v)); }
  void Varint(uint64_t v) {
    char buf[10];
    size_t n = 0;
    while (v >= 0x80) {
      buf[n++] = static_cast<char>(v | 0x80);
      v >>= 7;
    }
    buf[n++] = static_cast<char>(v);
    bin_->append(buf, n);
  }
  void Signed(int64_t v) {
    Varint((static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63));
  }
  void Fixed64(uint64_t v) {
    char buf[8];
    for (int i = 0; i < 8; ++i) buf[i] = static_cast<char>(v >> (8 * i));
    bin_->append(buf, 8);
  }
  void F64(double d) { Fixed64(std::bit_cast<uint64_t>(d)); }
  void Str(std::string_view s) {
    Varint(s.size());
    bin_->append(s);
  }
  void Slot(const json::Value& v) {
    if (v.is_null()) {
      U8(kSlotNull);
      return;
    }
    if (const void* node = NodeOf(v)) {
      if (const uint32_t* i = seen_->Find(node)) {
        U8(kSlotRef);
        Varint(*i);
        return;
      }
      seen_->Add(node, values_);
    }
    U8(kSlotNext);
    json_->push_back(values_++ == 0 ? '[' : ',');
    json::WriteTo(v, json_);
  }
  void FinishJson() { json_->append(values_ == 0 ? "[]" : "]"); }

 private:
  std::string* bin_;
  std::string* json_;
  SeenNodes* seen_;
  uint32_t values_ = 0;
};

void EncodeInfo(const ExecutionInfo& info, Encoder* e) {
  e->Str(info.execution_arn);
  e->Str(info.execution_name);
  e->Str(info.state_machine_arn);
  e->Str(info.state_machine_name);
  e->Str(info.role_arn);
  e->Signed(info.start_time);
  e->U8(info.express ? 1 : 0);
  e->Fixed64(info.seed);
  e->Varint(info.max_payload_bytes);
  e->Signed(info.max_history_events);
  e->F64(info.default_timeout_seconds);
}

void EncodeFanout(const Fanout& fan, std::vector<uint64_t>* ids, Encoder* e) {
  e->Slot(fan.items);
  e->Slot(fan.context);
  e->Varint(fan.total);
  e->Varint(fan.next_start);
  e->Varint(fan.finished);
  e->Varint(fan.failed);
  e->Varint(fan.max_concurrency);
  e->F64(fan.tolerated_count);
  e->F64(fan.tolerated_percentage);
  e->U8(fan.failing ? 1 : 0);
  e->Str(fan.error.error);
  e->Str(fan.error.cause);
  ids->assign(fan.running.begin(), fan.running.end());
  std::sort(ids->begin(), ids->end());
  e->Varint(ids->size());
  for (uint64_t id : *ids) e->Varint(id);
  // Results: only the filled ones (children not finished yet are holes, null).
  e->Varint(fan.results.size());
  size_t filled = 0;
  for (const auto& r : fan.results) filled += r.is_null() ? 0 : 1;
  e->Varint(filled);
  size_t next = 0;  // the smallest index the next entry may have
  for (size_t i = 0; i < fan.results.size(); ++i) {
    if (fan.results[i].is_null()) continue;
    e->Varint(i - next);
    e->Slot(fan.results[i]);
    next = i + 1;
  }
  // Version 2: the children that succeeded (gaps, like the results).
  size_t ok = 0;
  for (uint8_t b : fan.ok) ok += b != 0 ? 1 : 0;
  e->Varint(ok);
  next = 0;
  for (size_t i = 0; i < fan.ok.size(); ++i) {
    if (fan.ok[i] == 0) continue;
    e->Varint(i - next);
    next = i + 1;
  }
  // Version 3: the Distributed Map run, + 1 (0: none).
  e->Varint(static_cast<uint64_t>(fan.map_run + 1));
}

// Version 3.
void EncodeMapRuns(const ExecutionState& st, Encoder* e) {
  e->Varint(st.map_runs.size());
  for (const MapRun& run : st.map_runs) {
    e->Str(run.id);
    e->Str(run.label);
    e->Signed(run.start_date);
    e->Signed(run.stop_date);
    e->U8(static_cast<uint8_t>(run.status));
    e->Varint(run.total);
    e->Varint(run.started);
    e->Varint(run.succeeded);
    e->Varint(run.failed);
    e->Varint(run.max_concurrency);
    e->F64(run.tolerated_count);
    e->F64(run.tolerated_percentage);
  }
}

// Version 2.
void EncodeRedrive(const ExecutionState& st, Encoder* e) {
  e->Signed(st.redrive_count);
  if (!st.redrive) {
    e->U8(0);
    return;
  }
  const RedrivePoint& p = *st.redrive;
  e->U8(1);
  e->Varint(static_cast<uint64_t>(p.state));
  e->Slot(p.input);
  e->Varint(p.children);
  e->Varint(p.kept.size());
  size_t next = 0;
  for (const auto& [index, result] : p.kept) {
    e->Varint(index - next);
    e->Slot(result);
    next = index + 1;
  }
}

void EncodeFrame(const Frame& f, int body_id, std::vector<uint64_t>* ids, Encoder* e) {
  e->Varint(f.id);
  e->Varint(f.parent);
  e->Varint(f.child_index);
  e->Varint(static_cast<uint64_t>(body_id));
  e->Varint(static_cast<uint64_t>(f.state));
  e->U8(static_cast<uint8_t>(f.phase));
  e->Slot(f.input);
  e->Slot(f.effective);
  e->Signed(f.entered_event_id);
  e->Signed(f.last_event_id);
  e->Signed(f.entered_time);
  e->Varint(f.retry_counts.size());
  for (uint16_t c : f.retry_counts) e->Varint(c);
  e->Varint(static_cast<uint64_t>(f.retry_total));
  e->Varint(f.pending);
  e->Varint(f.timeout_timer);
  e->Varint(f.heartbeat_timer);
  e->F64(f.heartbeat_seconds);
  e->Str(f.task_token);
  bool task = f.phase == FramePhase::WaitTask;
  uint8_t flags =
      (f.silent ? kFrameSilent : 0) | (task ? kFrameTask : 0) | (f.fanout ? kFrameFanout : 0);
  e->U8(flags);
  if (task) {
    e->Slot(f.task_parameters);
    e->F64(f.task_timeout_seconds);
  }
  if (f.fanout) EncodeFanout(*f.fanout, ids, e);
}

// Buffers kept between calls on a thread (their capacity is what is reused).
struct Scratch {
  std::string bin;
  std::string json;
  std::vector<const Frame*> frames;
  std::vector<std::pair<uint64_t, uint64_t>> pending;
  std::vector<uint64_t> ids;
  SeenNodes seen;
};

// ---------------------------------------------------------------------------------------------
// Decoding.

class Reader {
 public:
  explicit Reader(std::string_view bytes)
      : begin_(reinterpret_cast<const uint8_t*>(bytes.data())),
        p_(begin_),
        end_(begin_ + bytes.size()) {}

  bool failed() const { return !error_.empty(); }
  const std::string& error() const { return error_; }
  size_t offset() const { return static_cast<size_t>(p_ - begin_); }
  size_t remaining() const { return static_cast<size_t>(end_ - p_); }
  const char* rest() const { return reinterpret_cast<const char*>(p_); }
  void set_context(const char* what) { context_ = what; }

  void Fail(const std::string& why) {
    if (failed()) return;
    error_ = why + " at byte " + std::to_string(offset()) + " (" + context_ + ")";
    p_ = end_;
  }

  uint8_t U8() {
    if (p_ == end_) {
      Truncated();
      return 0;
    }
    return *p_++;
  }
  uint64_t Varint() {
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      if (p_ == end_) {
        Truncated();
        return 0;
      }
      uint8_t b = *p_++;
      if (shift == 63 && b > 1) break;
      v |= static_cast<uint64_t>(b & 0x7f) << shift;
      if ((b & 0x80) == 0) return v;
    }
    Fail("malformed varint");
    return 0;
  }
  int64_t Signed() {
    uint64_t z = Varint();
    return static_cast<int64_t>((z >> 1) ^ (~(z & 1) + 1));
  }
  uint64_t Fixed64() {
    if (remaining() < 8) {
      Truncated();
      return 0;
    }
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(p_[i]) << (8 * i);
    p_ += 8;
    return v;
  }
  double F64() { return std::bit_cast<double>(Fixed64()); }
  std::string Str() {
    uint64_t n = Varint();
    if (n > remaining()) {
      Truncated();
      return {};
    }
    std::string s(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return s;
  }
  // A count of items that take at least `min_bytes` each.
  size_t Count(size_t min_bytes) {
    uint64_t n = Varint();
    if (n > remaining() / min_bytes) {
      Truncated();
      return 0;
    }
    return static_cast<size_t>(n);
  }

 private:
  void Truncated() { Fail("truncated"); }

  const uint8_t* begin_;
  const uint8_t* p_;
  const uint8_t* end_;
  const char* context_ = "header";
  std::string error_;
};

class Decoder {
 public:
  Decoder(const asl::Program& program, std::string_view bytes) : program_(program), r_(bytes) {}

  Result<std::unique_ptr<ExecutionState>> Run();

 private:
  // Where a value of the JSON array goes.
  struct SlotRef {
    json::Value* dst;
    uint64_t index;
  };
  // A Fanout's filled results, placed once the JSON values are in and `size` is known to fit.
  struct Results {
    Fanout* fan;
    uint64_t size;
    std::vector<std::pair<size_t, json::Value>> filled;
    std::vector<size_t> ok;  // children that succeeded
  };

  void Slot(json::Value* dst) {
    uint8_t tag = r_.U8();
    switch (tag) {
      case kSlotNull:
        break;
      case kSlotNext:
        slots_.push_back({dst, next_values_++});
        break;
      case kSlotRef: {
        uint64_t i = r_.Varint();
        if (i >= next_values_) r_.Fail("a shared value not written before");
        slots_.push_back({dst, i});
        break;
      }
      default:
        r_.Fail("unknown value tag " + std::to_string(tag));
        break;
    }
  }

  stepfn::Status Corrupt(const std::string& why) const {
    return InvalidArgument("execution state: " + why);
  }
  stepfn::Status Unfit(const std::string& why) const {
    return FailedPrecondition("execution state does not fit the program: " + why);
  }

  void DecodeInfo(ExecutionInfo* info);
  void DecodeRedrive(ExecutionState* st);
  void DecodeMapRuns(ExecutionState* st);
  std::unique_ptr<Frame> DecodeFrame(const asl::Body** body);
  std::unique_ptr<Fanout> DecodeFanout();
  stepfn::Status ResolveValues();
  stepfn::Status CheckFrame(const Frame& f, const asl::Body& body, const ExecutionState& st);

  const asl::Program& program_;
  Reader r_;
  std::vector<SlotRef> slots_;
  uint64_t next_values_ = 0;
  std::vector<Results> results_;
  uint8_t version_ = 0;
};

void Decoder::DecodeMapRuns(ExecutionState* st) {
  r_.set_context("map runs");
  size_t n = r_.Count(30);
  st->map_runs.resize(n);
  for (MapRun& run : st->map_runs) {
    run.id = r_.Str();
    run.label = r_.Str();
    run.start_date = r_.Signed();
    run.stop_date = r_.Signed();
    uint8_t status = r_.U8();
    if (status > static_cast<uint8_t>(MapRunStatus::Aborted)) r_.Fail("unknown map run status");
    run.status = static_cast<MapRunStatus>(status);
    run.total = r_.Varint();
    run.started = r_.Varint();
    run.succeeded = r_.Varint();
    run.failed = r_.Varint();
    run.max_concurrency = r_.Varint();
    run.tolerated_count = r_.F64();
    run.tolerated_percentage = r_.F64();
    if (run.started > run.total || run.succeeded + run.failed > run.started) {
      r_.Fail("map run counts out of range");
    }
    if (r_.failed()) return;
  }
}

void Decoder::DecodeRedrive(ExecutionState* st) {
  r_.set_context("redrive");
  st->redrive_count = r_.Signed();
  if (st->redrive_count < 0) r_.Fail("a negative redrive count");
  uint8_t has = r_.U8();
  if (has > 1) r_.Fail("bad flag");
  if (has != 1 || r_.failed()) return;
  auto p = std::make_unique<RedrivePoint>();
  uint64_t state = r_.Varint();
  if (state >= program_.root().states.size()) {
    r_.Fail("the redrive state out of range");
    return;
  }
  p->state = static_cast<int>(state);
  Slot(&p->input);
  uint64_t children = r_.Varint();
  size_t kept = r_.Count(2);
  if (kept > children) r_.Fail("more kept children than children");
  p->children = static_cast<size_t>(children);
  p->kept.reserve(kept);  // never grows: slots point into it
  uint64_t next = 0;
  for (size_t i = 0; i < kept && !r_.failed(); ++i) {
    uint64_t gap = r_.Varint();
    if (next >= children || gap >= children - next) {
      r_.Fail("a kept child out of range");
      break;
    }
    uint64_t index = next + gap;
    p->kept.emplace_back(static_cast<size_t>(index), json::Value());
    Slot(&p->kept.back().second);
    next = index + 1;
  }
  st->redrive = std::move(p);
}

void Decoder::DecodeInfo(ExecutionInfo* info) {
  r_.set_context("execution info");
  info->execution_arn = r_.Str();
  info->execution_name = r_.Str();
  info->state_machine_arn = r_.Str();
  info->state_machine_name = r_.Str();
  info->role_arn = r_.Str();
  info->start_time = r_.Signed();
  info->express = r_.U8() != 0;
  info->seed = r_.Fixed64();
  info->max_payload_bytes = r_.Varint();
  info->max_history_events = r_.Signed();
  info->default_timeout_seconds = r_.F64();
}

std::unique_ptr<Fanout> Decoder::DecodeFanout() {
  auto fan = std::make_unique<Fanout>();
  Slot(&fan->items);
  Slot(&fan->context);
  fan->total = r_.Varint();
  fan->next_start = r_.Varint();
  fan->finished = r_.Varint();
  fan->failed = r_.Varint();
  fan->max_concurrency = r_.Varint();
  fan->tolerated_count = r_.F64();
  fan->tolerated_percentage = r_.F64();
  uint8_t failing = r_.U8();
  if (failing > 1) r_.Fail("bad flag");
  fan->failing = failing == 1;
  fan->error.error = r_.Str();
  fan->error.cause = r_.Str();
  size_t running = r_.Count(1);
  fan->running.reserve(running);
  for (size_t i = 0; i < running && !r_.failed(); ++i) {
    if (!fan->running.insert(r_.Varint()).second) r_.Fail("a child listed twice");
  }
  Results res;
  res.fan = fan.get();
  res.size = r_.Varint();
  size_t filled = r_.Count(2);
  res.filled.reserve(filled);  // never grows: slots point into it
  uint64_t next = 0;
  for (size_t i = 0; i < filled && !r_.failed(); ++i) {
    uint64_t gap = r_.Varint();
    if (next >= res.size || gap >= res.size - next) {
      r_.Fail("a result index out of range");
      break;
    }
    uint64_t index = next + gap;
    res.filled.emplace_back(static_cast<size_t>(index), json::Value());
    Slot(&res.filled.back().second);
    next = index + 1;
  }
  if (version_ >= 2) {
    size_t ok = r_.Count(1);
    res.ok.reserve(ok);
    next = 0;
    for (size_t i = 0; i < ok && !r_.failed(); ++i) {
      uint64_t gap = r_.Varint();
      if (next >= res.size || gap >= res.size - next) {
        r_.Fail("a succeeded child out of range");
        break;
      }
      res.ok.push_back(static_cast<size_t>(next + gap));
      next = next + gap + 1;
    }
  } else {
    // Version 1 kept no such list: a child with a result succeeded (or failed, tolerated).
    for (const auto& [index, v] : res.filled) res.ok.push_back(index);
  }
  if (version_ >= 3) {
    uint64_t run = r_.Varint();
    if (run > (uint64_t{1} << 32)) r_.Fail("a map run index out of range");
    fan->map_run = static_cast<int64_t>(run) - 1;
  }
  results_.push_back(std::move(res));
  return fan;
}

std::unique_ptr<Frame> Decoder::DecodeFrame(const asl::Body** body) {
  r_.set_context("frame");
  auto f = std::make_unique<Frame>();
  f->id = r_.Varint();
  f->parent = r_.Varint();
  f->child_index = r_.Varint();
  uint64_t body_id = r_.Varint();
  uint64_t state = r_.Varint();
  uint8_t phase = r_.U8();
  if (r_.failed()) return nullptr;
  *body = body_id <= static_cast<uint64_t>(std::numeric_limits<int>::max())
              ? program_.BodyById(static_cast<int>(body_id))
              : nullptr;
  if (*body == nullptr) {
    r_.Fail("frame " + std::to_string(f->id) + ": body " + std::to_string(body_id) +
            " is out of range (the program has " + std::to_string(program_.body_count()) + ")");
    return nullptr;
  }
  if (state >= (*body)->states.size()) {
    r_.Fail("frame " + std::to_string(f->id) + ": state " + std::to_string(state) +
            " is out of range (body " + std::to_string(body_id) + " has " +
            std::to_string((*body)->states.size()) + ")");
    return nullptr;
  }
  if (phase >= static_cast<uint8_t>(FramePhase::Done)) {
    r_.Fail("frame " + std::to_string(f->id) + ": bad phase " + std::to_string(phase));
    return nullptr;
  }
  f->body = *body;
  f->state = static_cast<int>(state);
  f->phase = static_cast<FramePhase>(phase);
  Slot(&f->input);
  Slot(&f->effective);
  f->entered_event_id = r_.Signed();
  f->last_event_id = r_.Signed();
  f->entered_time = r_.Signed();
  size_t retriers = r_.Count(1);
  f->retry_counts.reserve(retriers);
  for (size_t i = 0; i < retriers && !r_.failed(); ++i) {
    uint64_t c = r_.Varint();
    if (c > std::numeric_limits<uint16_t>::max()) r_.Fail("a retry count out of range");
    f->retry_counts.push_back(static_cast<uint16_t>(c));
  }
  uint64_t retry_total = r_.Varint();
  if (retry_total > kMaxRetryTotal) r_.Fail("the retry total out of range");
  f->retry_total = static_cast<int>(retry_total);
  f->pending = r_.Varint();
  f->timeout_timer = r_.Varint();
  f->heartbeat_timer = r_.Varint();
  f->heartbeat_seconds = r_.F64();
  f->task_token = r_.Str();
  uint8_t flags = r_.U8();
  if ((flags & ~kFrameKnownFlags) != 0) r_.Fail("unknown frame flags");
  f->silent = (flags & kFrameSilent) != 0;
  if (flags & kFrameTask) {
    Slot(&f->task_parameters);
    f->task_timeout_seconds = r_.F64();
  }
  if (flags & kFrameFanout) f->fanout = DecodeFanout();
  return f;
}

stepfn::Status Decoder::ResolveValues() {
  r_.set_context("JSON values");
  std::string_view text(r_.rest(), r_.remaining());
  auto parsed = json::Parse(text);
  if (!parsed.ok()) return Corrupt("the JSON values: " + parsed.status().message());
  if (!parsed->is_array() || parsed->size() != next_values_) {
    return Corrupt("the JSON values: expected an array of " + std::to_string(next_values_) +
                   " values");
  }
  const std::vector<json::Value>& values = parsed->items();
  for (const SlotRef& s : slots_) *s.dst = values[s.index];
  return stepfn::Status();
}

bool FiniteSeconds(double s) { return std::isfinite(s) && s >= 0 && s <= kMaxSeconds; }

std::string FrameName(const Frame& f) { return "frame " + std::to_string(f.id); }

// What Step assumes of a frame, checked once every frame and value is in.
stepfn::Status Decoder::CheckFrame(const Frame& f, const asl::Body& body,
                                   const ExecutionState& st) {
  const asl::State& s = body.states[static_cast<size_t>(f.state)];
  std::string name = FrameName(f) + " (state '" + s.name + "')";
  auto id_ok = [&](uint64_t id) { return id < st.next_id; };
  if (f.id == 0 || !id_ok(f.id) || !id_ok(f.pending) || !id_ok(f.timeout_timer) ||
      !id_ok(f.heartbeat_timer)) {
    return Corrupt(name + ": an id beyond the next id " + std::to_string(st.next_id));
  }
  if (f.entered_event_id < 0 || f.entered_event_id > kMaxEventId || f.last_event_id < 0 ||
      f.last_event_id > kMaxEventId) {
    return Corrupt(name + ": an event id out of range");
  }
  if (!FiniteSeconds(f.heartbeat_seconds) || !FiniteSeconds(f.task_timeout_seconds)) {
    return Corrupt(name + ": a timeout out of range");
  }
  // Frames about to enter a state keep the retry counts of the state before; the others count
  // one per retrier of their state.
  if (f.phase == FramePhase::Enter) {
    if (f.pending != 0 || f.timeout_timer != 0 || f.heartbeat_timer != 0 || f.fanout) {
      return Corrupt(name + ": waits on something before entering its state");
    }
  } else if (f.retry_counts.size() != s.retry.size()) {
    return Unfit(name + ": " + std::to_string(f.retry_counts.size()) + " retry counts for " +
                 std::to_string(s.retry.size()) + " retriers");
  }
  bool waits = f.phase == FramePhase::WaitTask || f.phase == FramePhase::WaitTimer ||
               f.phase == FramePhase::WaitRetry;
  if (f.pending != 0 && !waits) return Corrupt(name + ": a pending id while not waiting");
  if ((f.timeout_timer != 0 || f.heartbeat_timer != 0) && f.phase != FramePhase::WaitTask) {
    return Corrupt(name + ": task timers while not waiting on a task");
  }
  bool fans_out = s.type == asl::StateType::Parallel || s.type == asl::StateType::Map;
  switch (f.phase) {
    case FramePhase::WaitTask:
      if (s.type != asl::StateType::Task) return Unfit(name + ": waits on a task");
      break;
    case FramePhase::WaitTimer:
      if (s.type != asl::StateType::Wait) return Unfit(name + ": waits on a Wait timer");
      break;
    case FramePhase::WaitRetry:
      if (s.type != asl::StateType::Task && !fans_out) return Unfit(name + ": waits to retry");
      break;
    default:
      break;
  }
  if ((f.phase == FramePhase::WaitChildren) != static_cast<bool>(f.fanout)) {
    return Corrupt(name + ": children without a fan-out, or a fan-out without children");
  }
  if (f.fanout) {
    const Fanout& fan = *f.fanout;
    if (!fans_out) return Unfit(name + ": has children");
    if (s.type == asl::StateType::Parallel && fan.total != s.branches.size()) {
      return Unfit(name + ": " + std::to_string(fan.total) + " branches for " +
                   std::to_string(s.branches.size()));
    }
    if (s.type == asl::StateType::Map && (!fan.items.is_array() || fan.items.size() != fan.total)) {
      return Corrupt(name + ": the items do not match the iteration count");
    }
    // (A redriven fan-out counts the children that succeeded before as finished, wherever
    // next_start is.)
    if (fan.next_start > fan.total || fan.finished > fan.total ||
        fan.running.size() > fan.total - fan.finished || fan.running.size() > fan.next_start ||
        fan.failed > fan.finished) {
      return Corrupt(name + ": inconsistent child counts");
    }
    for (uint64_t c : fan.running) {
      auto it = st.frames.find(c);
      if (it == st.frames.end() || it->second->parent != f.id) {
        return Corrupt(name + ": runs child " + std::to_string(c) + ", not a frame of its own");
      }
    }
  }
  if (f.parent == 0) {
    if (&body != &program_.root()) return Unfit(name + ": a main frame outside the root body");
  } else {
    auto it = st.frames.find(f.parent);
    if (it == st.frames.end() || !it->second->fanout ||
        !it->second->fanout->running.contains(f.id)) {
      return Corrupt(name + ": its parent " + std::to_string(f.parent) + " does not run it");
    }
    const Frame& p = *it->second;
    const asl::State& ps = p.body->states[static_cast<size_t>(p.state)];
    if (f.child_index >= p.fanout->total) return Corrupt(name + ": child index out of range");
    const asl::Body* expected = nullptr;
    if (ps.type == asl::StateType::Parallel && f.child_index < ps.branches.size()) {
      expected = ps.branches[f.child_index].get();
    } else if (ps.type == asl::StateType::Map) {
      expected = ps.processor.get();
    }
    if (&body != expected) return Unfit(name + ": not in a body of its parent's state");
  }
  return stepfn::Status();
}

Result<std::unique_ptr<ExecutionState>> Decoder::Run() {
  uint8_t version = r_.U8();
  version_ = version;
  if (r_.failed()) return Corrupt("empty");
  if (version == 0) return Corrupt("format version 0 does not exist");
  if (version > kStateFormatVersion) {
    return FailedPrecondition("execution state: format version " + std::to_string(version) +
                              " is newer than this build reads (" +
                              std::to_string(kStateFormatVersion) + "); upgrade stepfn");
  }
  uint64_t shape = r_.Fixed64();
  if (r_.failed()) return Corrupt(r_.error());
  if (shape != program_.shape_hash()) {
    return Unfit("it was made by a program of another shape (other states or branches)");
  }
  auto st = std::make_unique<ExecutionState>();
  st->next_id = r_.Varint();
  st->next_event_id = r_.Signed();
  st->rng = r_.Fixed64();
  st->now = r_.Signed();
  st->timeout_timer = r_.Varint();
  uint8_t status = r_.U8();
  Slot(&st->execution_input);
  Slot(&st->output);
  st->failure.error = r_.Str();
  st->failure.cause = r_.Str();
  st->info = std::make_unique<ExecutionInfo>();
  DecodeInfo(st->info.get());
  r_.set_context("frames");
  size_t frames = r_.Count(24);
  st->frames.reserve(frames);
  for (size_t i = 0; i < frames && !r_.failed(); ++i) {
    const asl::Body* body = nullptr;
    std::unique_ptr<Frame> f = DecodeFrame(&body);
    if (f == nullptr) break;
    uint64_t id = f->id;
    if (!st->frames.emplace(id, std::move(f)).second) {
      r_.Fail("frame " + std::to_string(id) + " appears twice");
    }
  }
  r_.set_context("pending");
  size_t pending = r_.Count(2);
  st->pending.reserve(pending);
  for (size_t i = 0; i < pending && !r_.failed(); ++i) {
    uint64_t id = r_.Varint();
    uint64_t frame = r_.Varint();
    if (!st->pending.emplace(id, frame).second) r_.Fail("a pending id listed twice");
  }
  r_.set_context("ready");
  size_t ready = r_.Count(1);
  st->ready.reserve(ready);
  for (size_t i = 0; i < ready && !r_.failed(); ++i) st->ready.push_back(r_.Varint());
  if (version >= 2) DecodeRedrive(st.get());
  if (version >= 3) DecodeMapRuns(st.get());
  if (r_.failed()) return Corrupt(r_.error());
  RETURN_IF_ERROR(ResolveValues());

  // The counters and the execution.
  if (st->next_id == 0 || st->timeout_timer >= st->next_id) return Corrupt("bad next id");
  if (st->next_event_id < 1 || st->next_event_id > kMaxEventId) {
    return Corrupt("the next event id out of range");
  }
  if (status > static_cast<uint8_t>(ExecutionStatus::Aborted)) {
    return Corrupt("unknown execution status " + std::to_string(status));
  }
  st->status = status;
  if (!FiniteSeconds(st->info->default_timeout_seconds)) {
    return Corrupt("the default timeout out of range");
  }
  // The fan-outs' results, now that their sizes can be checked against their items.
  for (Results& res : results_) {
    if (res.size != res.fan->total) return Corrupt("results do not match the child count");
  }
  for (auto& [id, f] : st->frames) {
    RETURN_IF_ERROR(CheckFrame(*f, *f->body, *st));
    if (f->fanout && f->fanout->map_run >= static_cast<int64_t>(st->map_runs.size())) {
      return Corrupt("a fan-out names a map run that does not exist");
    }
  }
  for (Results& res : results_) {
    res.fan->results.resize(res.fan->total);
    for (auto& [index, v] : res.filled) res.fan->results[index] = std::move(v);
    if (!res.ok.empty()) {
      res.fan->ok.assign(res.fan->total, 0);
      for (size_t index : res.ok) res.fan->ok[index] = 1;
    }
  }
  if (st->redrive) {
    const asl::State& s = program_.root().states[static_cast<size_t>(st->redrive->state)];
    bool fans_out = s.type == asl::StateType::Parallel || s.type == asl::StateType::Map;
    if (st->redrive->children != 0 && !fans_out) {
      return Unfit("the redrive point keeps children of a state without any");
    }
  }
  for (const auto& [id, frame_id] : st->pending) {
    if (id == 0 || id >= st->next_id) return Corrupt("a pending id beyond the next id");
    if (frame_id == 0) {
      if (id != st->timeout_timer) return Corrupt("a pending id of no frame");
      continue;
    }
    auto it = st->frames.find(frame_id);
    if (it == st->frames.end()) return Corrupt("a pending id of a frame that does not exist");
    const Frame& f = *it->second;
    if (id != f.pending && id != f.timeout_timer && id != f.heartbeat_timer) {
      return Corrupt("a pending id its frame does not wait on");
    }
  }
  for (uint64_t id : st->ready) {
    if (id == 0 || id >= st->next_id) return Corrupt("a ready frame beyond the next id");
  }
  return st;
}

}  // namespace

void EncodeStateTo(const asl::Program& program, const ExecutionState& state, std::string* out) {
  thread_local Scratch scratch;
  Scratch& s = scratch;
  s.bin.clear();
  s.json.clear();
  s.seen.Clear();
  Encoder e(&s.bin, &s.json, &s.seen);
  e.U8(kStateFormatVersion);
  e.Fixed64(program.shape_hash());
  e.Varint(state.next_id);
  e.Signed(state.next_event_id);
  e.Fixed64(state.rng);
  e.Signed(state.now);
  e.Varint(state.timeout_timer);
  e.U8(static_cast<uint8_t>(state.status));
  e.Slot(state.execution_input);
  e.Slot(state.output);
  e.Str(state.failure.error);
  e.Str(state.failure.cause);
  static const ExecutionInfo kNoInfo;
  EncodeInfo(state.info ? *state.info : kNoInfo, &e);

  // Frames in id order, so that equal states give equal bytes.
  s.frames.clear();
  for (const auto& [id, f] : state.frames) s.frames.push_back(f.get());
  std::sort(s.frames.begin(), s.frames.end(),
            [](const Frame* a, const Frame* b) { return a->id < b->id; });
  e.Varint(s.frames.size());
  const asl::Body* last_body = nullptr;
  int last_body_id = -1;
  for (const Frame* f : s.frames) {
    // Frames side by side mostly share a body (a Map's iterations): one lookup for them all.
    if (f->body != last_body) {
      last_body = f->body;
      last_body_id = program.BodyId(f->body);
      STEPFN_CHECK(last_body_id >= 0);
    }
    EncodeFrame(*f, last_body_id, &s.ids, &e);
  }
  s.pending.assign(state.pending.begin(), state.pending.end());
  std::sort(s.pending.begin(), s.pending.end());
  e.Varint(s.pending.size());
  for (const auto& [id, frame] : s.pending) {
    e.Varint(id);
    e.Varint(frame);
  }
  e.Varint(state.ready.size());
  for (uint64_t id : state.ready) e.Varint(id);
  EncodeRedrive(state, &e);
  EncodeMapRuns(state, &e);
  e.FinishJson();

  out->reserve(out->size() + s.bin.size() + s.json.size());
  out->append(s.bin);
  out->append(s.json);
}

std::string EncodeState(const asl::Program& program, const ExecutionState& state) {
  std::string out;
  EncodeStateTo(program, state, &out);
  return out;
}

Result<std::unique_ptr<ExecutionState>> DecodeState(const asl::Program& program,
                                                    std::string_view bytes) {
  return Decoder(program, bytes).Run();
}

std::vector<Command> PendingTaskCommands(const asl::Program& program, const ExecutionState& state) {
  (void)program;
  std::vector<Command> out;
  for (const auto& [id, f] : state.frames) {
    if (f->phase != FramePhase::WaitTask || f->pending == 0) continue;
    Command& c = out.emplace_back();
    c.kind = CommandKind::RunTask;
    c.id = f->pending;
    c.state = &f->body->states[static_cast<size_t>(f->state)];
    c.parameters = f->task_parameters;
    c.retry_count = f->retry_total;
    c.timeout_seconds = f->task_timeout_seconds;
    c.task_token = f->task_token;
  }
  // Ids are handed out in order, so id order is the order the commands were issued in.
  std::sort(out.begin(), out.end(), [](const Command& a, const Command& b) { return a.id < b.id; });
  return out;
}

}  // namespace stepfn::eval
