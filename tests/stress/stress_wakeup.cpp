// Stress: no wake-up is lost.
//   - work conservation: a pool whose workers have all gone to sleep gets W tasks that can only
//     finish together (a W-party barrier), submitted by one task onto its own node: every
//     sleeping worker must be woken to steal one;
//   - the 1-worker wake-up loop: submit a trivial task and get() it, again and again, with the
//     worker and the submitter on one CPU;
//   - concurrent waiters: 8 threads in wait_idle() while tasks of varied length run.
// A lost wake-up shows as a hang, which the watchdog turns into a failure naming the scenario.
#include "stress.hpp"

#include <atomic>   // std::atomic
#include <barrier>  // std::barrier
#include <chrono>   // std::chrono
#include <cstddef>  // std::size_t
#include <cstdint>  // std::uint64_t
#include <random>   // std::mt19937
#include <thread>   // std::thread, std::this_thread
#include <vector>   // std::vector

#if defined(__linux__)
#include <sched.h>  // sched_setaffinity, cpu_set_t
#endif

#include "../catch.hpp"
#include "../support.hpp"

namespace {

using namespace std::chrono_literals;

}  // namespace

TEST_CASE("work conservation: W sleeping workers all wake for W tasks meeting at a barrier", "[stress][wakeup]") {
  const std::size_t workers = std::max<std::size_t>(4, 2 * poolify::available_parallelism());
  const std::uint64_t rounds = stress::scaled(20);
  stress::Watchdog watchdog("work conservation");
  std::barrier meet(static_cast<std::ptrdiff_t>(workers));
  std::atomic<std::size_t> met{0};
  poolify::FixedPool<int, void>* self = nullptr;
  poolify::FixedPool<int, void> pool(workers, [&](int x) {
    if (x < 0) {  // the root: W children on its own node (work-first), then it returns
      for (std::size_t i = 0; i < workers; ++i) self->execute(1);
      return;
    }
    meet.arrive_and_wait();  // all W must run at once: each of the sleeping workers was woken
    met.fetch_add(1);
  });
  self = &pool;
  for (std::uint64_t round = 0; round < rounds; ++round) {
    // Let every worker go to sleep (it spins, yields, then parks within a few ms). The scenario's
    // outcome does not depend on this pause; it only makes the wake-ups the ones under test.
    std::this_thread::sleep_for(20ms);
    pool.execute(-1).get();
    pool.wait_idle();
  }
  CHECK(met.load() == workers * rounds);
}

TEST_CASE("the 1-worker wake-up loop: submit and get, worker and submitter on one CPU", "[stress][wakeup]") {
  stress::Watchdog watchdog("1-worker wake-up loop");
#if defined(__linux__)
  cpu_set_t saved;
  REQUIRE(test::pin_to_first_cpu(saved));  // the worker inherits the mask
#endif
  {
    poolify::FixedPool<std::uint64_t, std::uint64_t> pool(1, [](std::uint64_t x) { return x + 1; });
    const std::uint64_t rounds = stress::scaled(200'000);
    std::uint64_t wrong = 0;
    for (std::uint64_t i = 0; i < rounds; ++i) wrong += pool.execute(i).get() == i + 1 ? 0 : 1;
    CHECK(wrong == 0);
    CHECK(pool.info().executed_tasks == rounds);
  }
#if defined(__linux__)
  sched_setaffinity(0, sizeof saved, &saved);
#endif
}

TEST_CASE("concurrent waiters: 8 threads in wait_idle() while tasks run all return after them", "[stress][wakeup]") {
  stress::Watchdog watchdog("concurrent waiters");
  constexpr int waiters = 8;
  constexpr int tasks = 1000;
  std::atomic<int> done{0};
  poolify::FixedPool<int, void> pool(4, [&done](int micros) {
    if (micros > 0) std::this_thread::sleep_for(std::chrono::microseconds(micros));  // the task's work
    done.fetch_add(1, std::memory_order_release);
  });
  std::mt19937 random(7);
  std::uniform_int_distribution<int> length(0, 100);
  const std::uint64_t rounds = stress::scaled(50);
  std::atomic<int> early{0};
  for (std::uint64_t round = 0; round < rounds; ++round) {
    done.store(0);
    for (int i = 0; i < tasks; ++i) pool.execute(length(random));
    std::vector<std::thread> threads;
    for (int w = 0; w < waiters; ++w) {
      threads.emplace_back([&] {
        pool.wait_idle();
        if (done.load(std::memory_order_acquire) != tasks) early.fetch_add(1);
      });
    }
    for (std::thread& thread : threads) thread.join();
  }
  CHECK(early.load() == 0);
  CHECK(pool.info().executed_tasks == rounds * tasks);
}
