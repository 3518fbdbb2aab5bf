#include <poolify/poolify.hpp>

#include <atomic>              // std::atomic
#include <chrono>              // std::chrono
#include <cstdint>             // std::uint64_t
#include <latch>               // std::latch
#include <memory>              // std::unique_ptr
#include <new>                 // std::bad_alloc
#include <stdexcept>           // std::runtime_error
#include <stop_token>          // std::stop_source, std::stop_token
#include <string>              // std::string
#include <vector>              // std::vector

#include "catch.hpp"
#include "support.hpp"

namespace {

struct CustomError {
  int code;
};

}  // namespace

TEST_CASE("get returns the task's value and leaves the future invalid", "[future]") {
  poolify::FixedPool<int, int> pool(2, [](int x) { return x + 1; });
  poolify::Future<int> future = pool.execute(41);
  REQUIRE(future.valid());
  CHECK(future.get() == 42);
  CHECK_FALSE(future.valid());
  CHECK_THROWS_AS(future.get(), poolify::PoolError);
  CHECK_THROWS_AS(future.wait(), poolify::PoolError);
  CHECK_THROWS_AS(future.ready(), poolify::PoolError);
}

TEST_CASE("a default-constructed or moved-from future is invalid", "[future]") {
  poolify::Future<int> empty;
  CHECK_FALSE(empty.valid());
  CHECK_THROWS_WITH(empty.get(), test::contains("poolify::Future::get"));

  poolify::FixedPool<int, int> pool(1, [](int x) { return x; });
  poolify::Future<int> first = pool.execute(7);
  poolify::Future<int> second = std::move(first);
  CHECK_FALSE(first.valid());  // NOLINT(bugprone-use-after-move): the moved-from state is the point
  CHECK(second.get() == 7);
  poolify::Future<int> third;
  third = pool.execute(8);
  CHECK(third.get() == 8);
}

TEST_CASE("a task's exception reaches get with its original type and the worker survives", "[future]") {
  poolify::FixedPool<int, int> pool(1, [](int kind) -> int {
    switch (kind) {
      case 0: throw std::runtime_error("runtime");
      case 1: throw CustomError{7};
      case 2: throw 42;
      case 3: throw std::bad_alloc();
      default: return kind;
    }
  });
  CHECK_THROWS_WITH(pool.execute(0).get(), "runtime");
  try {
    pool.execute(1).get();
    FAIL("no exception");
  } catch (const CustomError& error) {
    CHECK(error.code == 7);
  }
  try {
    pool.execute(2).get();
    FAIL("no exception");
  } catch (int value) {
    CHECK(value == 42);
  }
  CHECK_THROWS_AS(pool.execute(3).get(), std::bad_alloc);
  CHECK(pool.execute(5).get() == 5);  // the one worker is still there
  pool.wait_idle();
  const poolify::PoolInfo info = pool.info();
  CHECK(info.failed_tasks == 4);
  CHECK(info.executed_tasks == 1);
  CHECK(info.worker_nodes == 1);
}

TEST_CASE("void responses resolve and carry exceptions", "[future]") {
  std::atomic<int> sum{0};
  poolify::FixedPool<int> pool(2, [&sum](int x) {
    if (x < 0) throw std::runtime_error("negative");
    sum += x;
  });
  std::vector<poolify::Future<void>> futures;
  for (int i = 1; i <= 100; ++i) futures.push_back(pool.execute(i));
  for (auto& future : futures) future.get();
  CHECK(sum == 5050);
  CHECK_THROWS_AS(pool.execute(-1).get(), std::runtime_error);
}

TEST_CASE("move-only data and responses travel through the pool", "[future]") {
  poolify::FixedPool<std::unique_ptr<int>, std::unique_ptr<std::string>> pool(
      2, [](std::unique_ptr<int> value) { return std::make_unique<std::string>(std::to_string(*value)); });
  std::vector<poolify::Future<std::unique_ptr<std::string>>> futures;
  for (int i = 0; i < 1000; ++i) futures.push_back(pool.execute(std::make_unique<int>(i)));
  for (int i = 0; i < 1000; ++i) CHECK(*futures[static_cast<std::size_t>(i)].get() == std::to_string(i));
}

TEST_CASE("timed waits time out while the task is blocked and succeed once it is done", "[future]") {
  test::Gate gate;
  poolify::FixedPool<int, int> pool(1, [&gate](int x) {
    gate.wait();
    return x;
  });
  poolify::Future<int> future = pool.execute(3);
  CHECK_FALSE(future.ready());
  CHECK(future.wait_for(std::chrono::milliseconds(20)) == poolify::FutureStatus::timeout);
  CHECK(future.wait_until(std::chrono::system_clock::now() + std::chrono::milliseconds(20)) ==
        poolify::FutureStatus::timeout);
  CHECK(future.wait_until(std::chrono::steady_clock::now() - std::chrono::seconds(1)) ==
        poolify::FutureStatus::timeout);
  gate.open();
  CHECK(future.wait_for(std::chrono::minutes(5)) == poolify::FutureStatus::ready);
  CHECK(future.ready());
  CHECK(future.wait_until(std::chrono::system_clock::now() + std::chrono::minutes(5)) ==
        poolify::FutureStatus::ready);
  CHECK(future.get() == 3);
}

TEST_CASE("a dropped future does not stop its task from running", "[future]") {
  std::atomic<int> ran{0};
  poolify::FixedPool<int> pool(2, [&ran](int) { ++ran; });
  for (int i = 0; i < 10000; ++i) (void)pool.execute(i);
  pool.wait_idle();
  CHECK(ran == 10000);
  CHECK(pool.info().executed_tasks == 10000);
}

TEST_CASE("cancel removes a queued task: it never runs and resolves TaskCancelled", "[future][cancel]") {
  test::Gate gate;
  std::atomic<int> ran{0};
  poolify::FixedPool<int, int> pool(1, [&](int x) {
    if (x == 0) gate.wait();
    ++ran;
    return x;
  });
  poolify::Future<int> blocker = pool.execute(0);
  poolify::Future<int> queued = pool.execute(1);
  poolify::Future<int> kept = pool.execute(2);
  CHECK(queued.cancel());
  CHECK(queued.ready());
  CHECK_THROWS_AS(queued.get(), poolify::TaskCancelled);
  gate.open();
  CHECK(blocker.get() == 0);
  CHECK(kept.get() == 2);
  pool.wait_idle();
  CHECK(ran == 2);
  const poolify::PoolInfo info = pool.info();
  CHECK(info.executed_tasks == 2);
  CHECK(info.queued_tasks == 0);
}

TEST_CASE("cancel signals a running task's stop token and its own outcome stands", "[future][cancel]") {
  std::latch started(1);
  poolify::FixedPool<int, int> pool(1, [&started](int x, std::stop_token token) {
    started.count_down();
    test::Gate never;
    return never.wait(token) ? -1 : x;  // returns x once stop is requested
  });
  poolify::Future<int> future = pool.execute(9);
  started.wait();
  CHECK_FALSE(future.cancel());
  CHECK(future.get() == 9);
  CHECK(pool.list_task_functions_properties().front().takes_stop_token);
}

TEST_CASE("cancel on a finished task changes nothing", "[future][cancel]") {
  poolify::FixedPool<int, int> pool(1, [](int x) { return x; });
  poolify::Future<int> future = pool.execute(4);
  future.wait();
  CHECK_FALSE(future.cancel());
  CHECK(future.get() == 4);
}

TEST_CASE("a stop token already stopped resolves TaskCancelled at once and runs nothing", "[future][cancel]") {
  std::atomic<int> ran{0};
  poolify::FixedPool<int, int> pool(1, [&ran](int x) {
    ++ran;
    return x;
  });
  std::stop_source source;
  source.request_stop();
  poolify::Future<int> future = pool.execute(1, "default", source.get_token());
  CHECK(future.ready());
  CHECK_THROWS_AS(future.get(), poolify::TaskCancelled);
  pool.wait_idle();
  CHECK(ran == 0);
  CHECK(pool.info().executed_tasks == 0);
}

TEST_CASE("stopping the token given to execute cancels a queued task", "[future][cancel]") {
  test::Gate gate;
  std::atomic<int> ran{0};
  poolify::FixedPool<int, int> pool(1, [&](int x) {
    if (x == 0) gate.wait();
    ++ran;
    return x;
  });
  poolify::Future<int> blocker = pool.execute(0);
  std::stop_source source;
  poolify::Future<int> queued = pool.execute(1, "default", source.get_token());
  source.request_stop();
  CHECK(queued.ready());
  CHECK_THROWS_AS(queued.get(), poolify::TaskCancelled);
  gate.open();
  CHECK(blocker.get() == 0);
  pool.wait_idle();
  CHECK(ran == 1);
}

TEST_CASE("stopping the token given to execute reaches a running task's own token", "[future][cancel]") {
  std::latch started(1);
  poolify::FixedPool<int, int> pool(1, [&started](int x, std::stop_token token) {
    started.count_down();
    test::Gate never;
    return never.wait(token) ? -1 : x;
  });
  std::stop_source source;
  poolify::Future<int> future = pool.execute(5, "default", source.get_token());
  started.wait();
  source.request_stop();
  CHECK(future.get() == 5);
}

TEST_CASE("cancel racing completion gives exactly one outcome", "[future][cancel]") {
  std::atomic<int> ran{0};
  poolify::FixedPool<int, int> pool(2, [&ran](int x) {
    ++ran;
    return x;
  });
  int cancelled = 0;
  int completed = 0;
  for (int i = 0; i < 20000; ++i) {
    poolify::Future<int> future = pool.execute(i);
    const bool removed = future.cancel();
    int value = -1;
    bool was_cancelled = false;
    try {
      value = future.get();
    } catch (const poolify::TaskCancelled&) {
      was_cancelled = true;
    }
    if (was_cancelled) {
      ++cancelled;
      if (!removed) FAIL("TaskCancelled although cancel() said the task was not removed");
    } else {
      ++completed;
      if (removed || value != i) FAIL("a value although cancel() removed the task, or a wrong value");
    }
  }
  pool.wait_idle();
  CHECK(cancelled + completed == 20000);
  CHECK(ran == completed);
  CHECK(pool.info().executed_tasks == static_cast<std::uint64_t>(completed));
}

TEST_CASE("cancel racing completion 100k times: one outcome and at most one event per task", "[future][cancel]") {
  // Odd tasks throw. Per task: cancel() said it removed the task exactly when get() throws
  // TaskCancelled; a task that ran has its own outcome; task_error fires once per task that ran
  // and threw, never for a cancelled one; the counters agree once the pool is idle.
  std::atomic<std::uint64_t> ran{0};
  poolify::FixedPool<int, int> pool(2, [&ran](int x) -> int {
    ran.fetch_add(1, std::memory_order_relaxed);
    if (x % 2 == 1) throw std::runtime_error("odd");
    return x;
  }, {.start_workers = false});
  std::atomic<std::uint64_t> error_events{0};
  pool.on(poolify::PoolEvent::task_error, [&error_events](const poolify::Event& event) {
    if (event.message == "odd") error_events.fetch_add(1, std::memory_order_relaxed);
  });
  pool.start();
  constexpr int rounds = 100000;
  std::uint64_t cancelled = 0;
  std::uint64_t values = 0;
  std::uint64_t errors = 0;
  std::uint64_t mismatches = 0;
  for (int i = 0; i < rounds; ++i) {
    poolify::Future<int> future = pool.execute(i);
    const bool removed = future.cancel();
    try {
      mismatches += future.get() == i && !removed ? 0 : 1;
      ++values;
    } catch (const poolify::TaskCancelled&) {
      mismatches += removed ? 0 : 1;
      ++cancelled;
    } catch (const std::runtime_error&) {
      mismatches += removed || i % 2 == 0 ? 1 : 0;
      ++errors;
    }
  }
  pool.wait_idle();  // also delivers the task_error events raised so far
  CHECK(mismatches == 0);
  CHECK(cancelled + values + errors == rounds);
  CHECK(ran.load() == values + errors);
  CHECK(error_events.load() == errors);
  const poolify::PoolInfo info = pool.info();
  CHECK(info.executed_tasks == values);
  CHECK(info.failed_tasks == errors);
  CHECK(info.queued_tasks == 0);
  CHECK(info.executing_tasks == 0);
}
