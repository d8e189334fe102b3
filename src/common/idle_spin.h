// Spinning a little before sleeping.
//
// On a machine whose idle cores halt (virtual machines above all), waking a thread that sleeps
// costs tens of microseconds, and a request that crosses threads and processes pays it at each
// crossing: an Invoke crosses four (server, worker, server, client). A thread that has just done
// work usually gets more within microseconds (the answer of the Lambda worker it wrote to, the
// next request of a kept-alive client). So a thread with nothing to do polls for a short window
// after its last work before it blocks, and yields its core at each poll, so that the threads
// that have work (a Lambda worker on the same core) run at once.
//
// Spinning pays only while cores are free. When a yield gives the core away for long, another
// thread wants it for more than a moment (the machine is busy): a spinner then waits in the run
// queue behind it, where a sleeper would have been woken at once. So after such a yield the
// thread stops spinning, and sleeps at once for a while (10 ms, doubling while it lasts, up to a
// second). docs/architecture.md, "Waiting: spin, then sleep".
#pragma once

#include <sched.h>

#include <algorithm>
#include <chrono>

namespace stepfn {

// How long a server thread keeps polling after its last work (ServerOptions::idle_spin).
inline constexpr std::chrono::microseconds kDefaultIdleSpin{200};

class IdleSpin {
 public:
  using Clock = std::chrono::steady_clock;

  // A window of zero never spins: Spin() is always false.
  explicit IdleSpin(std::chrono::microseconds window) : window_(window) {}

  // Work was done: the window opens again.
  void Worked() {
    if (window_.count() > 0) last_work_ = Clock::now();
  }

  // Nothing to do: while the window since the last work is open, yields the core and returns
  // true (poll again); once it has passed, or while the machine is busy, returns false (block).
  bool Spin() {
    if (window_.count() <= 0) return false;
    Clock::time_point now = Clock::now();
    if (now - last_work_ >= window_ || now < resume_at_) return false;
    sched_yield();
    Clock::time_point back = Clock::now();
    if (back - now < kLongYield) {
      backoff_ = kFirstBackoff;
      return true;
    }
    resume_at_ = back + backoff_;
    backoff_ = std::min(backoff_ * 2, kLastBackoff);
    return false;
  }

  // For tests: whether spinning is paused after a long yield.
  bool paused(Clock::time_point now = Clock::now()) const { return now < resume_at_; }

  // A yield longer than this gave the core to a thread with real work to do.
  static constexpr std::chrono::microseconds kLongYield{200};
  static constexpr std::chrono::milliseconds kFirstBackoff{10};
  static constexpr std::chrono::milliseconds kLastBackoff{1000};

 private:
  std::chrono::microseconds window_;
  Clock::time_point last_work_{};
  Clock::time_point resume_at_{};
  std::chrono::milliseconds backoff_ = kFirstBackoff;
};

}  // namespace stepfn
