#include "common/work_thread.h"

#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <thread>
#include <vector>

namespace stepfn {
namespace {

TEST(WorkThread, RunsJobsInOrderOffTheCallersThread) {
  std::vector<int> order;
  std::promise<std::thread::id> ran_on;
  {
    WorkThread work;
    work.Post([&] { ran_on.set_value(std::this_thread::get_id()); });
    for (int i = 0; i < 100; ++i) work.Post([&order, i] { order.push_back(i); });
  }  // the destructor runs what was posted
  EXPECT_NE(ran_on.get_future().get(), std::this_thread::get_id());
  ASSERT_EQ(order.size(), 100u);
  for (int i = 0; i < 100; ++i) EXPECT_EQ(order[static_cast<size_t>(i)], i);
}

TEST(WorkThread, AJobMayPostAnother) {
  std::atomic<int> done{0};
  std::promise<void> second;
  WorkThread work;
  work.Post([&] {
    ++done;
    work.Post([&] {
      ++done;
      second.set_value();
    });
  });
  second.get_future().wait();
  EXPECT_EQ(done.load(), 2);
}

}  // namespace
}  // namespace stepfn
