// co_await on a poolify::Future: the coroutine resumes with the task's value or exception, on the
// thread that completed the task, and does not suspend when the outcome is already there.

#include <poolify/poolify.hpp>

#include <atomic>       // std::atomic
#include <coroutine>    // std::suspend_never
#include <exception>    // std::terminate
#include <latch>        // std::latch
#include <stdexcept>    // std::runtime_error
#include <string>       // std::string
#include <thread>       // std::this_thread::get_id, std::thread::id
#include <vector>       // std::vector

#include "catch.hpp"
#include "support.hpp"

namespace {

/// A coroutine that starts at once and frees itself when it ends (the test waits on a latch).
struct Detached {
  struct promise_type {
    Detached get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
};

Detached add_two(poolify::FixedPool<int, int>& pool, int& result, std::thread::id& resumed_on, std::latch& done) {
  const int a = co_await pool.execute(20);
  poolify::Future<int> named = pool.execute(22);
  const int b = co_await named;
  result = a + b;
  resumed_on = std::this_thread::get_id();
  done.count_down();
}

Detached catch_error(poolify::FixedPool<int, int>& pool, std::string& message, std::latch& done) {
  try {
    (void)co_await pool.execute(-1);
  } catch (const std::runtime_error& error) {
    message = error.what();
  }
  done.count_down();
}

Detached await_ready_one(poolify::Future<int>& future, bool& suspended, int& result, std::latch& done) {
  const std::thread::id before = std::this_thread::get_id();
  result = co_await future;
  suspended = std::this_thread::get_id() != before;
  done.count_down();
}

}  // namespace

TEST_CASE("co_await a future gives its value, resuming on a pool worker", "[coroutines]") {
  std::atomic<std::thread::id> worker{};
  poolify::FixedPool<int, int> pool(1, [&worker](int x) {
    worker.store(std::this_thread::get_id());
    if (x < 0) throw std::runtime_error("negative");
    return x;
  });
  int result = 0;
  std::thread::id resumed_on{};
  std::latch done(1);
  add_two(pool, result, resumed_on, done);
  done.wait();
  CHECK(result == 42);
  CHECK(resumed_on == worker.load());  // the only worker completed the task
  CHECK(resumed_on != std::this_thread::get_id());
}

TEST_CASE("co_await a failed future rethrows its exception in the coroutine", "[coroutines]") {
  poolify::FixedPool<int, int> pool(1, [](int x) {
    if (x < 0) throw std::runtime_error("negative");
    return x;
  });
  std::string message;
  std::latch done(1);
  catch_error(pool, message, done);
  done.wait();
  CHECK(message == "negative");
}

TEST_CASE("co_await a future that is already done goes on without suspending", "[coroutines]") {
  poolify::FixedPool<int, int> pool(1, [](int x) { return x; });
  poolify::Future<int> future = pool.execute(5);
  future.wait();
  bool suspended = true;
  int result = 0;
  std::latch done(1);
  await_ready_one(future, suspended, result, done);
  done.wait();
  CHECK(result == 5);
  CHECK_FALSE(suspended);
  CHECK_FALSE(future.valid());
}

TEST_CASE("co_await a cancelled future resumes with TaskCancelled on the cancelling thread", "[coroutines]") {
  test::Gate gate;
  poolify::FixedPool<int, int> pool(1, [&gate](int x) {
    if (x == 0) gate.wait();
    return x;
  });
  poolify::Future<int> blocker = pool.execute(0);
  poolify::Future<int> queued = pool.execute(1);
  std::string message;
  std::thread::id resumed_on{};
  std::latch done(1);
  [](poolify::Future<int>& future, std::string& text, std::thread::id& on, std::latch& finished) -> Detached {
    try {
      (void)co_await future;
    } catch (const poolify::TaskCancelled&) {
      text = "cancelled";
    }
    on = std::this_thread::get_id();
    finished.count_down();
  }(queued, message, resumed_on, done);
  CHECK(queued.cancel());  // resumes the coroutine here, before cancel() returns
  CHECK(message == "cancelled");
  CHECK(resumed_on == std::this_thread::get_id());
  done.wait();
  gate.open();
  CHECK(blocker.get() == 0);
}

TEST_CASE("many coroutines awaiting many tasks all resume once", "[coroutines]") {
  poolify::FixedPool<int, int> pool(2, [](int x) { return x + 1; });
  constexpr int count = 2000;
  std::vector<int> results(count, 0);
  std::latch done(count);
  for (int i = 0; i < count; ++i) {
    [](poolify::FixedPool<int, int>& on, int index, int& out, std::latch& finished) -> Detached {
      const int once = co_await on.execute(index);
      out = co_await on.execute(once);
      finished.count_down();
    }(pool, i, results[static_cast<std::size_t>(i)], done);
  }
  done.wait();
  bool all = true;
  for (int i = 0; i < count; ++i) all = all && results[static_cast<std::size_t>(i)] == i + 2;
  CHECK(all);
}
