// Clock: the only source of time. The engine and services read time through a Clock so that
// tests run in virtual time and users can scale waits (`stepfn run --time-scale`).
#pragma once

#include <cstdint>
#include <string>

namespace stepfn {

// Milliseconds since the Unix epoch (UTC).
using EpochMillis = int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  // Current time. Thread-safe for the implementations here.
  virtual EpochMillis NowMillis() = 0;
};

// Wall-clock time.
class SystemClock final : public Clock {
 public:
  EpochMillis NowMillis() override;
};

// A clock that only moves when told to. Not thread-safe.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(EpochMillis start) : now_(start) {}
  EpochMillis NowMillis() override { return now_; }
  void Set(EpochMillis t) { now_ = t; }
  void Advance(int64_t ms) { now_ += ms; }

 private:
  EpochMillis now_;
};

// Monotonic nanoseconds for measuring durations (benchmarks, metrics); not for workflow time.
int64_t MonotonicNanos();

// ISO 8601 in UTC with milliseconds, as AWS writes context timestamps:
// "2024-01-02T03:04:05.678Z".
std::string FormatIso8601Millis(EpochMillis t);

}  // namespace stepfn
