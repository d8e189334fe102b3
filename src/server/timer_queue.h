// TimerQueue: one thread that calls back when timers come due (Wait states, retry intervals,
// timeouts, heartbeats). Timers are (execution ARN, timer id) keys; the store keeps them
// durably, this keeps them in memory for the node that runs the execution.
//
// Thread safety: every method may be called from any thread. The callback runs on the queue's
// thread and must be quick (hand the work on).
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <queue>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "common/clock.h"

namespace stepfn::server {

class TimerQueue {
 public:
  using Fire = std::function<void(const std::string& execution_arn, uint64_t timer_id)>;

  TimerQueue(Clock* clock, Fire fire);
  ~TimerQueue();  // Stop()

  void Add(const std::string& execution_arn, uint64_t timer_id, EpochMillis fire_at);
  // A cancelled timer does not fire (unknown keys are ignored).
  void Cancel(const std::string& execution_arn, uint64_t timer_id);
  void Stop();
  size_t size() const;

 private:
  struct Entry {
    EpochMillis fire_at;
    std::string arn;
    uint64_t id;
    bool operator>(const Entry& o) const { return fire_at > o.fire_at; }
  };
  void Run();

  Clock* const clock_;
  const Fire fire_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> heap_;
  std::set<std::pair<std::string, uint64_t>> cancelled_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace stepfn::server
