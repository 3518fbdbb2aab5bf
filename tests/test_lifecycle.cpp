#include <poolify/poolify.hpp>

#include <atomic>      // std::atomic
#include <chrono>      // std::chrono::milliseconds
#include <cmath>       // NAN
#include <cstddef>     // std::size_t
#include <latch>       // std::latch
#include <limits>      // std::numeric_limits
#include <memory>      // std::unique_ptr
#include <stdexcept>   // std::out_of_range, std::invalid_argument
#include <string>      // std::string
#include <stop_token>  // std::stop_token
#include <thread>      // std::thread
#include <vector>      // std::vector

#include "catch.hpp"
#include "support.hpp"

namespace {
int identity(int x) { return x; }
}  // namespace

TEST_CASE("a pool made with start_workers = false refuses work until started", "[lifecycle]") {
  poolify::FixedPool<int, int> pool(2, identity, {.start_workers = false});
  CHECK_FALSE(pool.info().started);
  CHECK_FALSE(pool.info().ready);
  CHECK(pool.info().worker_nodes == 0);
  CHECK_THROWS_AS(pool.execute(1), poolify::PoolError);
  CHECK_THROWS_WITH(pool.execute(1), "Cannot execute a task on not started pool");
  pool.start();
  CHECK(pool.info().started);
  CHECK(pool.info().ready);
  CHECK(pool.info().worker_nodes == 2);
  CHECK(pool.execute(1).get() == 1);
}

TEST_CASE("lifecycle misuse is refused with poolifier's messages", "[lifecycle]") {
  poolify::FixedPool<int, int> pool(1, identity);
  CHECK_THROWS_WITH(pool.start(), "Cannot start an already started pool");
  pool.destroy();
  CHECK_THROWS_WITH(pool.destroy(), "Cannot destroy an already destroyed pool");
  CHECK_THROWS_AS(pool.destroy(), poolify::PoolError);
  CHECK_THROWS_WITH(pool.execute(1), "Cannot execute a task on not started pool");
  CHECK_FALSE(pool.info().started);
}

TEST_CASE("execute during destroy is refused with the destroying message", "[lifecycle]") {
  test::Gate gate;
  std::latch started(1);
  std::unique_ptr<poolify::FixedPool<int, int>> pool;
  pool = std::make_unique<poolify::FixedPool<int, int>>(1, [&](int x) {
    if (x == 0) {
      started.count_down();
      gate.wait();
      return pool->execute(1).get();  // the pool is destroying by now: refused
    }
    return x;
  });
  poolify::Future<int> future = pool->execute(0);
  started.wait();
  std::thread destroyer([&pool] { pool->destroy(); });
  // Submit until destroy() has begun: the first refusal says the pool is destroying.
  for (;;) {
    try {
      (void)pool->execute(5);
    } catch (const poolify::PoolError& error) {
      CHECK(std::string(error.what()) == "Cannot execute a task on destroying pool");
      break;
    }
    std::this_thread::yield();
  }
  CHECK_THROWS_WITH(pool->execute(2), "Cannot execute a task on destroying pool");
  CHECK_THROWS_WITH(pool->start(), "Cannot start a destroying pool");
  CHECK_THROWS_WITH(pool->destroy(), "Cannot destroy an already destroying pool");
  gate.open();
  destroyer.join();
  CHECK_THROWS_WITH(future.get(), "Cannot execute a task on destroying pool");
}

TEST_CASE("destroy lets queued tasks finish within tasks_finished_timeout", "[lifecycle][destroy]") {
  std::atomic<int> ran{0};
  poolify::FixedPool<int, int> pool(2, [&ran](int x) {
    ++ran;
    return x;
  });
  std::vector<poolify::Future<int>> futures;
  for (int i = 0; i < 5000; ++i) futures.push_back(pool.execute(i));
  pool.destroy();
  CHECK(ran == 5000);
  for (int i = 0; i < 5000; ++i) CHECK(futures[static_cast<std::size_t>(i)].get() == i);
}

TEST_CASE("destroy with queued work under a short timeout resolves every future", "[lifecycle][destroy]") {
  std::atomic<int> ran{0};
  std::latch started(1);
  // The blocker runs until destroy() signals its stop token, so the queued tasks behind it are
  // still queued when the (short) timeout ends: they must resolve TaskAbandoned.
  poolify::FixedPool<int, int> pool(1, [&](int x, std::stop_token token) {
    if (x == 0) {
      started.count_down();
      test::Gate never;
      never.wait(token);
      return -1;
    }
    ++ran;
    return x;
  }, {.tasks_queue_options = {.tasks_finished_timeout = std::chrono::milliseconds(20)}});
  poolify::Future<int> blocker = pool.execute(0);
  started.wait();
  std::vector<poolify::Future<int>> queued;
  for (int i = 1; i <= 100; ++i) queued.push_back(pool.execute(i));
  pool.destroy();
  CHECK(blocker.get() == -1);  // it ran, saw its token stopped, and returned
  for (auto& future : queued) {
    REQUIRE(future.ready());
    CHECK_THROWS_AS(future.get(), poolify::TaskAbandoned);
  }
  CHECK(ran == 0);
}

TEST_CASE("a zero tasks_finished_timeout abandons the queue at once", "[lifecycle][destroy]") {
  test::Gate gate;
  std::latch started(1);
  poolify::FixedPool<int, int> pool(1, [&](int x) {
    if (x == 0) {
      started.count_down();
      gate.wait();
    }
    return x;
  }, {.tasks_queue_options = {.tasks_finished_timeout = std::chrono::milliseconds(0)}});
  poolify::Future<int> blocker = pool.execute(0);
  started.wait();
  std::vector<poolify::Future<int>> queued;
  for (int i = 1; i <= 10; ++i) queued.push_back(pool.execute(i));
  std::thread opener([&gate, &queued] {
    for (auto& future : queued) future.wait();  // resolved by destroy() before it joins
    gate.open();
  });
  pool.destroy();
  opener.join();
  CHECK(blocker.get() == 0);
  for (auto& future : queued) CHECK_THROWS_AS(future.get(), poolify::TaskAbandoned);
}

TEST_CASE("the destructor destroys the pool and futures outlive it", "[lifecycle][destroy]") {
  std::vector<poolify::Future<int>> futures;
  {
    poolify::FixedPool<int, int> pool(2, identity);
    for (int i = 0; i < 1000; ++i) futures.push_back(pool.execute(i));
  }
  for (int i = 0; i < 1000; ++i) CHECK(futures[static_cast<std::size_t>(i)].get() == i);
}

TEST_CASE("a pool can be started again after destroy, with fresh counters", "[lifecycle]") {
  poolify::FixedPool<int, int> pool(2, identity);
  for (int round = 0; round < 20; ++round) {
    for (int i = 0; i < 100; ++i) (void)pool.execute(i);
    CHECK(pool.execute(7).get() == 7);
    pool.wait_idle();
    CHECK(pool.info().executed_tasks == 101);
    pool.destroy();
    CHECK_FALSE(pool.info().started);
    pool.start();
  }
}

TEST_CASE("destroy is refused inside one of the pool's tasks", "[lifecycle]") {
  std::unique_ptr<poolify::FixedPool<int, int>> pool;
  pool = std::make_unique<poolify::FixedPool<int, int>>(1, [&pool](int) {
    pool->destroy();
    return 0;
  });
  CHECK_THROWS_WITH(pool->execute(1).get(), test::contains("cannot be called from inside a task"));
  CHECK(pool->info().started);
}

TEST_CASE("pool sizes are validated with poolifier's messages", "[lifecycle][validation]") {
  using Pool = poolify::FixedPool<int, int>;
  CHECK_THROWS_AS(Pool(0, identity), std::out_of_range);
  CHECK_THROWS_WITH(Pool(0, identity), "Cannot instantiate a fixed pool with zero worker");
  const auto negative = static_cast<std::size_t>(-1);
  CHECK_THROWS_AS(Pool(negative, identity), std::out_of_range);
  CHECK_THROWS_WITH(Pool(negative, identity), "Cannot instantiate a pool with a negative number of workers");
}

TEST_CASE("options are validated with poolifier's messages", "[lifecycle][validation]") {
  using poolify::PoolOptions;
  using poolify::TasksQueueOptions;
  const auto make = [](PoolOptions options) { poolify::FixedPool<int, int> pool(2, identity, options); };
  CHECK_THROWS_AS(make({.tasks_queue_options = {.concurrency = 0}}), std::out_of_range);
  CHECK_THROWS_WITH(make({.tasks_queue_options = {.concurrency = 0}}),
                    "Invalid worker node tasks concurrency: 0 is a negative integer or zero");
  CHECK_THROWS_AS(make({.tasks_queue_options = {.tasks_stealing_ratio = 1.5}}), std::out_of_range);
  CHECK_THROWS_WITH(make({.tasks_queue_options = {.tasks_stealing_ratio = -0.1}}),
                    "Invalid worker node tasks stealing ratio: must be between 0 and 1");
  CHECK_THROWS_AS(make({.tasks_queue_options = {.tasks_stealing_ratio = NAN}}), std::invalid_argument);
  CHECK_THROWS_WITH(make({.tasks_queue_options = {.tasks_stealing_ratio = NAN}}),
                    "Invalid worker node tasks stealing ratio: must be a number");
  CHECK_THROWS_WITH(make({.tasks_queue_options = {.aging_factor = -1}}),
                    "Invalid worker node tasks queue aging factor: must be greater than or equal to 0");
  CHECK_THROWS_WITH(make({.tasks_queue_options = {.aging_factor = NAN}}),
                    "Invalid worker node tasks queue aging factor: must be a number");
  CHECK_THROWS_WITH(make({.tasks_queue_options = {.load_exponent = 0}}),
                    "Invalid worker node tasks queue load exponent: must be greater than 0");
  CHECK_THROWS_WITH(make({.tasks_queue_options = {.load_exponent = NAN}}),
                    "Invalid worker node tasks queue load exponent: must be a number");
  CHECK_THROWS_AS(make({.tasks_queue_options = {.tasks_finished_timeout = std::chrono::milliseconds(-1)}}),
                  std::out_of_range);
  CHECK_THROWS_AS(make({.worker_choice_strategy_options = {.weights = std::vector<double>{1.0}}}),
                  std::invalid_argument);
  CHECK_THROWS_WITH(make({.worker_choice_strategy_options = {.weights = std::vector<double>{1.0}}}),
                    "Invalid worker choice strategy options: must have a weight for each worker node");
  CHECK_NOTHROW(make({.worker_choice_strategy_options = {.weights = std::vector<double>{1.0, 2.0}}}));
  CHECK_THROWS_AS(make({.worker_choice_strategy_options = {.weights = std::vector<double>{1.0, 0.0}}}),
                  std::out_of_range);
  CHECK_THROWS_WITH(make({.worker_choice_strategy_options = {.weights = std::vector<double>{1.0, NAN}}}),
                    "Invalid worker choice strategy options: weights must be finite and greater than 0");
  CHECK_THROWS_WITH(make({.worker_choice_strategy_options = {.measurement = static_cast<poolify::Measurement>(7)}}),
                    "Invalid worker choice strategy options: invalid measurement '7'");
  CHECK_THROWS_AS(make({.worker_choice_strategy = poolify::WorkerChoiceStrategy::custom}), std::invalid_argument);
  CHECK_THROWS_WITH(make({.worker_choice_strategy = poolify::WorkerChoiceStrategy::custom}),
                    "Invalid worker choice strategy 'CUSTOM'");
  CHECK_THROWS_WITH(make({.worker_choice_strategy = static_cast<poolify::WorkerChoiceStrategy>(42)}),
                    "Invalid worker choice strategy '42'");
  CHECK_NOTHROW(make({.worker_choice_strategy = poolify::WorkerChoiceStrategy::fair_share}));
}

TEST_CASE("a wait_idle in another thread returns when destroy abandons the queue", "[lifecycle][destroy]") {
  test::Gate gate;
  std::latch started(1);
  poolify::FixedPool<int, int> pool(1, [&](int x, std::stop_token token) {
    if (x == 0) {
      started.count_down();
      gate.wait(token);
    }
    return x;
  }, {.tasks_queue_options = {.tasks_finished_timeout = std::chrono::milliseconds(10)}});
  poolify::Future<int> blocker = pool.execute(0);
  started.wait();
  std::vector<poolify::Future<int>> queued;
  for (int i = 1; i <= 10; ++i) queued.push_back(pool.execute(i));
  std::thread waiter([&pool] { pool.wait_idle(); });
  pool.destroy();
  waiter.join();  // a hang here is caught by the test's CTest timeout
  CHECK(blocker.get() == 0);
  for (auto& future : queued) CHECK_THROWS_AS(future.get(), poolify::TaskAbandoned);
}

TEST_CASE("submits racing destroy are either refused at the call or resolved", "[lifecycle][destroy]") {
  for (int round = 0; round < 20; ++round) {
    poolify::FixedPool<int, int> pool(2, identity, {.tasks_queue_options = {.tasks_finished_timeout = std::chrono::milliseconds(1)}});
    std::atomic<bool> go{false};
    std::atomic<int> unresolved{0};
    std::atomic<int> wrong{0};
    std::vector<std::thread> submitters;
    for (int t = 0; t < 3; ++t) {
      submitters.emplace_back([&] {
        while (!go.load()) std::this_thread::yield();
        for (int i = 0; i < 2000; ++i) {
          poolify::Future<int> future;
          try {
            future = pool.execute(i);
          } catch (const poolify::PoolError&) {
            continue;  // refused at the call: nothing to resolve
          }
          try {
            if (future.get() != i) ++wrong;
          } catch (const poolify::TaskAbandoned&) {
            // accepted, then abandoned by destroy(): resolved
          } catch (...) {
            ++unresolved;
          }
        }
      });
    }
    go.store(true);
    pool.destroy();
    for (auto& submitter : submitters) submitter.join();
    CHECK(wrong == 0);
    CHECK(unresolved == 0);
  }
}

TEST_CASE("destroy(timeout) leaves a task that ignores its token running and returns", "[lifecycle][destroy]") {
  test::Gate gate;
  std::latch started(1);
  poolify::FixedPool<int, int> pool(1, [&](int x) {
    if (x == 0) {
      started.count_down();
      gate.wait();  // ignores its stop token: only the test lets it go
      return 42;
    }
    return x;
  }, {.tasks_queue_options = {.tasks_finished_timeout = std::chrono::milliseconds(0)}});
  poolify::Future<int> stuck = pool.execute(0);
  started.wait();
  std::vector<poolify::Future<int>> queued;
  for (int i = 1; i <= 10; ++i) queued.push_back(pool.execute(i));
  // The gate is closed until destroy returns: returning at all shows it did not wait for the task.
  CHECK(pool.destroy(std::chrono::milliseconds(0)) == 1);
  CHECK_FALSE(stuck.ready());
  for (auto& future : queued) {
    REQUIRE(future.ready());
    CHECK_THROWS_AS(future.get(), poolify::TaskAbandoned);
  }
  CHECK_FALSE(pool.info().started);
  CHECK_THROWS_WITH(pool.execute(1), "Cannot execute a task on not started pool");
  CHECK_THROWS_WITH(pool.destroy(std::chrono::milliseconds(0)), "Cannot destroy an already destroyed pool");
  gate.open();
  CHECK(stuck.get() == 42);  // its own outcome: a running task is never abandoned
  pool.start();              // waits for the worker left running, then starts afresh
  CHECK(pool.execute(5).get() == 5);
  pool.wait_idle();
  CHECK(pool.info().executed_tasks == 1);
}

TEST_CASE("destroy(timeout) returns 0 when every running task honours its token", "[lifecycle][destroy]") {
  std::latch started(2);
  poolify::FixedPool<int, int> pool(2, [&](int, std::stop_token token) {
    started.count_down();
    test::Gate never;
    never.wait(token);
    return -1;
  });
  poolify::Future<int> first = pool.execute(0);
  poolify::Future<int> second = pool.execute(0);
  started.wait();
  CHECK(pool.destroy(std::chrono::minutes(10)) == 0);  // returns as soon as both have returned
  REQUIRE(first.ready());
  REQUIRE(second.ready());
  CHECK(first.get() == -1);
  CHECK(second.get() == -1);
}

TEST_CASE("the destructor waits for a task destroy(timeout) left running", "[lifecycle][destroy]") {
  test::Gate gate;
  std::latch started(1);
  std::atomic<bool> finished{false};
  auto pool = std::make_unique<poolify::FixedPool<int, int>>(1, [&](int x) {
    started.count_down();
    gate.wait();
    finished.store(true);
    return x;
  });
  poolify::Future<int> stuck = pool->execute(3);
  started.wait();
  CHECK(pool->destroy(std::chrono::milliseconds(0)) == 1);
  // The worker runs the pool's code when its task returns: freeing the pool under it would be a
  // use after free (ASan's build would report it).
  std::thread freeing([&pool] { pool.reset(); });
  gate.open();
  freeing.join();
  CHECK(finished.load());
  CHECK(stuck.get() == 3);
}

TEST_CASE("destroy(timeout) refuses a negative timeout and changes nothing", "[lifecycle][destroy][validation]") {
  poolify::FixedPool<int, int> pool(1, identity);
  CHECK_THROWS_AS(pool.destroy(std::chrono::milliseconds(-1)), std::invalid_argument);
  CHECK(pool.info().started);
  CHECK(pool.execute(4).get() == 4);
  CHECK(pool.destroy(std::chrono::milliseconds(0)) == 0);  // nothing running: as destroy()
}

// Found by the fuzzer: the worker of a task that destroy(timeout) left running exited without
// waking wait_idle() waiters when the task ended, so a wait_idle() begun before could sleep for good.
TEST_CASE("a task destroy(timeout) left running wakes wait_idle() when it ends", "[lifecycle][destroy][wait_idle]") {
  for (int round = 0; round < 50; ++round) {
    test::Gate gate;
    std::latch started(1);
    poolify::FixedPool<int, int> pool(1, [&](int x) {
      started.count_down();
      gate.wait();
      return x;
    });
    poolify::Future<int> stuck = pool.execute(1);
    started.wait();
    std::latch waiting(1);
    std::thread waiter([&] {
      waiting.count_down();
      pool.wait_idle();  // the task runs: it sleeps until the task ends
    });
    waiting.wait();
    CHECK(pool.destroy(std::chrono::milliseconds(0)) == 1);
    gate.open();
    waiter.join();
    CHECK(stuck.get() == 1);
  }
}
