#include "server/timer_queue.h"

#include <chrono>

namespace stepfn::server {

TimerQueue::TimerQueue(Clock* clock, Fire fire)
    : clock_(clock), fire_(std::move(fire)), thread_([this] { Run(); }) {}

TimerQueue::~TimerQueue() { Stop(); }

void TimerQueue::Add(const std::string& execution_arn, uint64_t timer_id, EpochMillis fire_at) {
  std::lock_guard<std::mutex> lock(mu_);
  bool earliest = heap_.empty() || fire_at < heap_.top().fire_at;
  heap_.push({fire_at, execution_arn, timer_id});
  if (earliest) cv_.notify_one();
}

void TimerQueue::Cancel(const std::string& execution_arn, uint64_t timer_id) {
  std::lock_guard<std::mutex> lock(mu_);
  cancelled_.emplace(execution_arn, timer_id);
}

void TimerQueue::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stop_) return;
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

size_t TimerQueue::size() const {
  std::lock_guard<std::mutex> lock(mu_);
  return heap_.size();
}

void TimerQueue::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  std::vector<Entry> due;
  while (!stop_) {
    if (heap_.empty()) {
      cv_.wait(lock);
      continue;
    }
    EpochMillis now = clock_->NowMillis();
    while (!heap_.empty() && heap_.top().fire_at <= now) {
      due.push_back(heap_.top());
      heap_.pop();
    }
    if (due.empty()) {
      // Sleep until the earliest timer (the clock is wall time; a late wake-up re-checks).
      cv_.wait_for(lock, std::chrono::milliseconds(heap_.top().fire_at - now));
      continue;
    }
    std::vector<Entry> fire;
    for (Entry& e : due) {
      auto c = cancelled_.find({e.arn, e.id});
      if (c != cancelled_.end()) {
        cancelled_.erase(c);
      } else {
        fire.push_back(std::move(e));
      }
    }
    due.clear();
    lock.unlock();
    for (const Entry& e : fire) fire_(e.arn, e.id);
    lock.lock();
  }
}

}  // namespace stepfn::server
