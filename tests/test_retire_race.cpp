// A dynamic node's retirement racing a submission, made deterministic: a test hook stalls the
// retiring worker at the worst point (its node no longer ready, still counted as live, the size
// lock held), as preemption does on a loaded machine, and a task is submitted meanwhile.

#include <atomic>   // std::atomic
#include <chrono>   // std::chrono
#include <cstddef>  // std::size_t

namespace retire_race {
// The hook widens the window: it waits until the submission has returned or thrown (old code: it
// threw at once), or a bounded time (new code: the submission waits for the size lock, which the
// stalled worker holds, so the hook must let go by itself). The bound is the window's length, not
// a synchronization: the result is checked the same whatever it is.
inline std::atomic<bool> armed{false};
inline std::atomic<bool> stalled{false};
inline std::atomic<bool> submitted{false};
inline void on_retiring() {
  if (!armed.exchange(false)) return;
  stalled = true;
  stalled.notify_all();
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(300);
  while (!submitted.load() && std::chrono::steady_clock::now() < until) {
  }
}
}  // namespace retire_race

#define POOLIFY_TEST_HOOK_RETIRING() ::retire_race::on_retiring()
#include <poolify/poolify.hpp>

#include "catch.hpp"

TEST_CASE("a task submitted while the only node retires gets a new node, not an error", "[dynamic][regression]") {
  using namespace std::chrono_literals;
  for (const poolify::KillBehavior behavior : {poolify::KillBehavior::soft, poolify::KillBehavior::hard}) {
    for (const std::size_t max : {std::size_t{1}, std::size_t{2}}) {
      poolify::DynamicPool<int, int> pool(0, max, [](int x) { return x + 1; },
                                          {.max_inactive_time = 5ms, .kill_behavior = behavior});
      REQUIRE(pool.execute(1).get() == 2);  // one node now; it retires 5 ms after this task
      retire_race::stalled = false;
      retire_race::submitted = false;
      retire_race::armed = true;
      retire_race::stalled.wait(false);  // the worker is inside its retirement, stalled
      bool threw = false;
      int got = 0;
      try {
        got = pool.execute(41).get();
      } catch (const std::exception& error) {
        threw = true;
        UNSCOPED_INFO("execute threw: " << error.what());
      }
      retire_race::submitted = true;
      CHECK_FALSE(threw);
      CHECK(got == 42);
      pool.wait_idle();
      CHECK(pool.info().executed_tasks == 2);
    }
  }
}
