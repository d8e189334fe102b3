#include "common/idle_spin.h"

#include <gtest/gtest.h>
#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <thread>

namespace stepfn {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

TEST(IdleSpin, ZeroWindowNeverSpins) {
  IdleSpin spin(std::chrono::microseconds(0));
  spin.Worked();
  EXPECT_FALSE(spin.Spin());
}

// Spin() within the window: true, unless its yield found the machine busy (another process
// took the core for long), which pauses spinning. Both are right; anything else is not.
bool SpinsOrFoundTheMachineBusy(IdleSpin& spin) { return spin.Spin() || spin.paused(); }

TEST(IdleSpin, SpinsOnlyWithinTheWindowAfterWork) {
  IdleSpin spin(milliseconds(200));
  EXPECT_FALSE(spin.Spin()) << "no work yet: nothing to wait for";
  spin.Worked();
  EXPECT_TRUE(SpinsOrFoundTheMachineBusy(spin));
  std::this_thread::sleep_for(milliseconds(250) + IdleSpin::kLastBackoff);
  EXPECT_FALSE(spin.paused());
  EXPECT_FALSE(spin.Spin()) << "the window has passed";
  spin.Worked();
  EXPECT_TRUE(SpinsOrFoundTheMachineBusy(spin)) << "new work opens the window again";
}

// Pins the calling thread to one CPU; returns false when the system does not allow it.
bool PinTo(int cpu) {
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  return pthread_setaffinity_np(pthread_self(), sizeof(set), &set) == 0;
}

TEST(IdleSpin, StopsSpinningWhileAnotherThreadWantsTheCore) {
  cpu_set_t before;
  ASSERT_EQ(pthread_getaffinity_np(pthread_self(), sizeof(before), &before), 0);
  int cpu = sched_getcpu();
  ASSERT_GE(cpu, 0);
  if (!PinTo(cpu)) GTEST_SKIP() << "cannot pin threads to a CPU here";
  // A thread with work that never ends, on the same core.
  std::atomic<bool> stop{false};
  std::atomic<bool> running{false};
  std::thread hog([&] {
    PinTo(cpu);
    running = true;
    while (!stop.load(std::memory_order_relaxed)) {
    }
  });
  while (!running.load()) std::this_thread::yield();

  IdleSpin spin(seconds(30));  // a window that does not end during the test
  spin.Worked();
  int spins = 0;
  const auto deadline = IdleSpin::Clock::now() + seconds(10);
  while (spin.Spin() && IdleSpin::Clock::now() < deadline) ++spins;
  const auto stopped_at = IdleSpin::Clock::now();
  EXPECT_LT(stopped_at, deadline) << "kept spinning beside a busy thread (" << spins << " polls)";
  EXPECT_TRUE(spin.paused(stopped_at));
  EXPECT_FALSE(spin.Spin()) << "paused: sleeps at once";
  EXPECT_FALSE(spin.paused(stopped_at + IdleSpin::kLastBackoff + milliseconds(1)));

  stop = true;
  hog.join();
  pthread_setaffinity_np(pthread_self(), sizeof(before), &before);
}

}  // namespace
}  // namespace stepfn
