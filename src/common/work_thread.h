// WorkThread: one thread that runs posted jobs, one at a time, in the order they were posted.
// For work that must not run on a server's event-loop threads because it can take long (disk
// work proportional to a request's size, such as unpacking a 50 MB deployment package): the
// loop hands the job over and answers when the job is done.
//
// Thread safety: Post may be called from any thread, including from a job.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace stepfn {

class WorkThread {
 public:
  WorkThread();
  // Runs every job already posted, then stops the thread.
  ~WorkThread();
  WorkThread(const WorkThread&) = delete;
  WorkThread& operator=(const WorkThread&) = delete;

  void Post(std::function<void()> job);

 private:
  void Loop();

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> jobs_;  // guarded by mu_
  bool stopping_ = false;                   // guarded by mu_
  std::thread thread_;                      // last: starts once the members above exist
};

}  // namespace stepfn
