// Stress: destroy() loses nothing and leaves no future unresolved, whatever it races.
//   - drain: a 1-worker pool with 10k queued tasks runs them all on a graceful destroy(); with
//     half of them cancelled first, the cancelled bodies never run;
//   - spawn during shutdown: a binary fan-out 16 levels deep, destroyed at a random point;
//   - destroy() racing 8 submitting threads, again and again (the pool is started again);
//   - a zero tasks_finished_timeout with 1000 tasks pending: destroy() returns at once, the
//     queued ones are abandoned and never run, the running ones see their stop token;
//   - stuck tasks: some running tasks ignore their token; destroy(timeout) (0, 1 or 100 ms)
//     returns anyway, counts them, abandons the queue, and the stuck tasks finish later with their
//     own outcome, before start() or the destructor go on (under ASan: nothing freed under them).
// After destroy() returns, every future of an accepted task must be ready without waiting.
#include "stress.hpp"

#include <atomic>              // std::atomic
#include <chrono>              // std::chrono
#include <condition_variable>  // std::condition_variable_any
#include <cstddef>             // std::size_t
#include <cstdint>             // std::uint64_t
#include <mutex>               // std::mutex
#include <random>              // std::mt19937
#include <stop_token>          // std::stop_token
#include <string>              // std::to_string
#include <thread>              // std::thread
#include <vector>              // std::vector
#include <latch>               // std::latch

#include "../catch.hpp"
#include "../support.hpp"

namespace {

using namespace std::chrono_literals;

/// Futures collected from several threads.
template <class Response>
struct FutureBag {
  std::mutex mutex;
  std::vector<poolify::Future<Response>> futures;
  void add(poolify::Future<Response>&& future) {
    std::lock_guard lock(mutex);
    futures.push_back(std::move(future));
  }
};

/// Waits for `token` to be stopped, or for a minute (a hang guard only).
void wait_for_stop(const std::stop_token& token) {
  std::mutex mutex;
  std::condition_variable_any never;
  std::unique_lock lock(mutex);
  never.wait_for(lock, token, 60s, [] { return false; });
}

}  // namespace

TEST_CASE("drain: destroy() runs every queued task; cancelled ones never run", "[stress][lifecycle]") {
  stress::Watchdog watchdog("drain");
  const std::size_t tasks = stress::scaled(10'000);
  for (const bool cancel_half : {false, true}) {
    test::Gate gate;
    std::atomic<std::size_t> ran{0};
    std::atomic<std::size_t> cancelled_ran{0};
    poolify::FixedPool<std::size_t, std::size_t> pool(
        1,
        [&](std::size_t i) {
          if (i == tasks) {
            gate.wait();  // the blocker: everything else queues behind it
          } else {
            ran.fetch_add(1);
            if (cancel_half && i % 2 == 1) cancelled_ran.fetch_add(1);
          }
          return i;
        },
        {.tasks_queue_options = {.tasks_finished_timeout = 600s}});  // a hang guard, never reached
    poolify::Future<std::size_t> blocker = pool.execute(tasks);
    std::vector<poolify::Future<std::size_t>> futures;
    for (std::size_t i = 0; i < tasks; ++i) futures.push_back(pool.execute(i));
    std::size_t cancelled = 0;
    if (cancel_half) {
      for (std::size_t i = 1; i < tasks; i += 2) cancelled += futures[i].cancel() ? 1 : 0;
    }
    gate.open();
    pool.destroy();
    stress::Tally tally;
    CHECK(stress::unresolved_then_settle(futures, tally) == 0);
    CHECK(tally.values.load() + tally.cancelled.load() == tasks);
    CHECK(tally.cancelled.load() == cancelled);
    CHECK(tally.abandoned.load() == 0);
    CHECK(ran.load() == tasks - cancelled);
    CHECK(cancelled_ran.load() == 0);
    CHECK(cancelled == (cancel_half ? tasks / 2 : 0));
    CHECK(blocker.get() == tasks);
  }
}

TEST_CASE("spawn during shutdown: a fan-out 16 deep, destroyed at a random point", "[stress][lifecycle]") {
  stress::Watchdog watchdog("spawn during shutdown");
  constexpr int depth = 16;
  std::mt19937 random(11);
  const std::uint64_t rounds = stress::scaled(10);
  for (std::uint64_t round = 0; round < rounds; ++round) {
    FutureBag<int> bag;
    std::atomic<std::uint64_t> ran{0};
    std::atomic<std::uint64_t> rejected{0};
    std::atomic<std::uint64_t> inner{0};  // tasks that ran below the last level
    poolify::FixedPool<int, int>* self = nullptr;
    const auto timeout = std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 2)(random));
    poolify::FixedPool<int, int> pool(2, [&](int level) {
      ran.fetch_add(1);
      if (level < depth) {
        inner.fetch_add(1);
        for (int child = 0; child < 2; ++child) {
          try {
            bag.add(self->execute(level + 1));
          } catch (const poolify::PoolError&) {  // the pool is being destroyed: refused at the call
            rejected.fetch_add(1);
          }
        }
      }
      return level;
    }, {.tasks_queue_options = {.tasks_finished_timeout = timeout}});
    self = &pool;
    bag.add(pool.execute(0));
    // Destroy once a random share of the 2^17 - 1 tasks has run.
    const std::uint64_t at = std::uniform_int_distribution<std::uint64_t>(0, (1U << (depth + 1)) - 1)(random);
    while (ran.load() < at && pool.info().executing_tasks + pool.info().queued_tasks.value_or(0) != 0) {
      std::this_thread::yield();
    }
    pool.destroy();
    stress::Tally tally;
    const std::size_t accepted = bag.futures.size();
    CHECK(stress::unresolved_then_settle(bag.futures, tally) == 0);
    CHECK(tally.ended() == accepted);
    CHECK(tally.errors.load() == 0);
    CHECK(tally.values.load() == ran.load());  // each task that ran gave its value; the others were abandoned
    CHECK(tally.values.load() + tally.abandoned.load() == accepted);
    // Every task that ran below the last level asked for its two children, each accepted or refused.
    CHECK(accepted - 1 + rejected.load() == 2 * inner.load());
  }
}

TEST_CASE("destroy() racing 8 submitting threads: each submission is accepted and resolved, or refused", "[stress][lifecycle]") {
  stress::Watchdog watchdog("destroy racing submit");
  constexpr int threads = 8;
  poolify::FixedPool<int, int> pool(2, [](int x) { return x; }, {.tasks_queue_options = {.tasks_finished_timeout = 1ms}});
  const std::uint64_t rounds = stress::scaled(40);
  std::mt19937 random(3);
  for (std::uint64_t round = 0; round < rounds; ++round) {
    if (round > 0) pool.start();
    FutureBag<int> bag;
    std::atomic<std::uint64_t> refused{0};
    std::atomic<bool> stop{false};
    std::atomic<int> running{0};
    std::vector<std::thread> submitters;
    for (int t = 0; t < threads; ++t) {
      submitters.emplace_back([&, t] {
        running.fetch_add(1);
        for (int i = 0; !stop.load(std::memory_order_relaxed); ++i) {
          try {
            bag.add(pool.execute(t * 1'000'000 + i));
          } catch (const poolify::PoolError&) {
            refused.fetch_add(1);
            if (refused.load() > 100'000) break;  // destroyed long ago: enough refusals seen
          }
        }
      });
    }
    while (running.load() != threads) std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::microseconds(std::uniform_int_distribution<int>(0, 2000)(random)));
    pool.destroy();
    // Every submission accepted before destroy() returned is resolved now; later ones are refused.
    {
      std::lock_guard lock(bag.mutex);
      std::size_t unresolved = 0;
      for (auto& future : bag.futures) unresolved += future.ready() ? 0 : 1;
      CHECK(unresolved == 0);
    }
    stop.store(true);
    for (std::thread& submitter : submitters) submitter.join();
    stress::Tally tally;
    CHECK(stress::unresolved_then_settle(bag.futures, tally) == 0);
    CHECK(tally.ended() == bag.futures.size());
    CHECK(tally.errors.load() == 0);
    CHECK(refused.load() > 0);
  }
}

TEST_CASE("a zero tasks_finished_timeout: destroy() abandons what is queued and stops what runs", "[stress][lifecycle]") {
  stress::Watchdog watchdog("zero timeout");
  const std::uint64_t rounds = stress::scaled(20);
  for (std::uint64_t round = 0; round < rounds; ++round) {
    std::atomic<int> started{0};
    std::atomic<int> stopped{0};
    poolify::FixedPool<int, int> pool(
        2,
        [&](int x, std::stop_token token) {
          started.fetch_add(1);
          wait_for_stop(token);  // a "1 s" task that gives up when asked
          if (token.stop_requested()) stopped.fetch_add(1);
          return x;
        },
        {.tasks_queue_options = {.tasks_finished_timeout = 0ms}});
    std::vector<poolify::Future<int>> futures;
    for (int i = 0; i < 1000; ++i) futures.push_back(pool.execute(i));
    pool.destroy();
    stress::Tally tally;
    CHECK(stress::unresolved_then_settle(futures, tally) == 0);
    CHECK(tally.values.load() == static_cast<std::uint64_t>(started.load()));  // the ones that ran
    CHECK(tally.abandoned.load() == 1000 - static_cast<std::uint64_t>(started.load()));
    CHECK(stopped.load() == started.load());  // each running task saw its token
    CHECK(started.load() <= 2);  // one per worker: no task ends before its token is stopped
  }
}

// Found by the fuzzer: start() zeroes the counters that wait_idle() sums, and a waiter reading
// them meanwhile could sum old completions against new submissions, find the pool busy and sleep
// with nobody left to wake it (a dynamic pool of minimum 0 has no worker after start()).
TEST_CASE("wait_idle() racing destroy() and start(): every wait returns", "[stress][lifecycle][wait_idle]") {
  stress::Watchdog watchdog("wait_idle racing destroy and start");
  poolify::DynamicPool<int, int> pool(0, 2, [](int x) { return x; },
                                      {.tasks_queue_options = {.tasks_finished_timeout = 1ms}});
  const std::uint64_t rounds = stress::scaled(3000);
  std::atomic<bool> done{false};
  std::atomic<std::uint64_t> waits{0};
  std::vector<std::thread> waiters;
  for (int t = 0; t < 2; ++t) {
    waiters.emplace_back([&] {
      while (!done.load(std::memory_order_relaxed)) {
        pool.wait_idle();
        waits.fetch_add(1, std::memory_order_relaxed);
      }
    });
  }
  stress::Tally tally;
  for (std::uint64_t round = 0; round < rounds; ++round) {
    std::vector<poolify::Future<int>> futures;
    for (int i = 0; i < 4; ++i) futures.push_back(pool.execute(i));
    pool.destroy();
    for (auto& future : futures) tally.settle(future);
    pool.start();
  }
  done.store(true);
  for (std::thread& waiter : waiters) waiter.join();
  CHECK(tally.ended() == rounds * 4);
  CHECK(tally.errors.load() == 0);
  CHECK(waits.load() > 0);
}

TEST_CASE("stuck tasks: destroy(timeout) returns, and they finish later with their own outcome", "[stress][lifecycle]") {
  stress::Watchdog watchdog("stuck task and destroy with a timeout");
  const std::uint64_t rounds = stress::scaled(40);
  std::mt19937 random(12345);
  const std::chrono::milliseconds timeouts[] = {0ms, 1ms, 100ms};
  for (std::uint64_t round = 0; round < rounds; ++round) {
    const int workers = 1 + static_cast<int>(random() % 4);
    const int stuck = 1 + static_cast<int>(random() % static_cast<unsigned>(workers));  // the first `stuck` ignore their token
    std::atomic<int> queued_ran{0};
    std::latch running(workers);
    test::Gate gate;
    std::vector<poolify::Future<int>> first;
    std::vector<poolify::Future<int>> queued;
    std::thread opener;
    {
      poolify::FixedPool<int, int> pool(
          static_cast<std::size_t>(workers),
          [&](int x, std::stop_token token) {
            if (x >= workers) {
              queued_ran.fetch_add(1);
              return x;
            }
            running.count_down();
            if (x < stuck) {
              gate.wait();  // ignores its token
            } else {
              wait_for_stop(token);
            }
            return x;
          },
          {.tasks_queue_options = {.tasks_finished_timeout = 0ms}});
      for (int i = 0; i < workers; ++i) first.push_back(pool.execute(i));
      running.wait();  // one task per worker, each blocked: none can end before destroy
      for (int i = workers; i < workers + 1000; ++i) queued.push_back(pool.execute(i));
      const std::size_t left = pool.destroy(timeouts[random() % 3]);
      CHECK(left >= static_cast<std::size_t>(stuck));  // the gate is shut: the stuck ones still run
      CHECK(left <= static_cast<std::size_t>(workers));  // and the others may not have returned yet
      for (int i = 0; i < stuck; ++i) CHECK_FALSE(first[static_cast<std::size_t>(i)].ready());
      stress::Tally tally;
      CHECK(stress::unresolved_then_settle(queued, tally) == 0);  // the queue is abandoned at once
      CHECK(tally.abandoned.load() == 1000);
      CHECK_FALSE(pool.info().started);
      if (round % 2 == 0) {
        gate.open();
        pool.start();  // waits for the stuck workers first
        CHECK(pool.execute(workers).get() == workers);
        CHECK(pool.info().executed_tasks == 1);
      } else {
        opener = std::thread([&gate] { gate.open(); });  // while the destructor waits, or before
      }
    }  // the destructor waits for stuck tasks still running
    if (opener.joinable()) opener.join();
    for (int i = 0; i < workers; ++i) CHECK(first[static_cast<std::size_t>(i)].get() == i);
    CHECK(queued_ran.load() == (round % 2 == 0 ? 1 : 0));
  }
}
