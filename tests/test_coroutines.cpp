// co_await on a poolify::Future: the coroutine resumes with the task's value or exception, on the
// thread that completed the task, and does not suspend when the outcome is already there. Task
// functions that are coroutines (poolify::Task): a node keeps up to `concurrency` of them in flight.

#include <poolify/poolify.hpp>

#include <atomic>       // std::atomic
#include <chrono>       // std::chrono::milliseconds
#include <coroutine>    // std::suspend_never
#include <exception>    // std::terminate
#include <latch>        // std::latch
#include <mutex>        // std::mutex, std::lock_guard
#include <stop_token>   // std::stop_token, std::stop_callback
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

/// Something a coroutine can wait on until the test sets it; `set()` resumes the waiting
/// coroutines on the calling thread.
class Signal {
 public:
  struct Awaiter {
    Signal* signal;
    [[nodiscard]] bool await_ready() const {
      std::lock_guard lock(signal->mutex_);
      return signal->set_;
    }
    bool await_suspend(std::coroutine_handle<> waiting) {
      std::lock_guard lock(signal->mutex_);
      if (signal->set_) return false;
      signal->waiting_.push_back(waiting);
      return true;
    }
    void await_resume() const noexcept {}
  };
  Awaiter wait() { return Awaiter{this}; }
  void set() {
    std::vector<std::coroutine_handle<>> waiting;
    {
      std::lock_guard lock(mutex_);
      set_ = true;
      waiting.swap(waiting_);
    }
    for (const std::coroutine_handle<> coroutine : waiting) coroutine.resume();
  }
  std::size_t waiting() {
    std::lock_guard lock(mutex_);
    return waiting_.size();
  }

 private:
  std::mutex mutex_;
  std::vector<std::coroutine_handle<>> waiting_;
  bool set_ = false;
};

/// Waits (yielding) until `done()`; the CTest timeout is the deadlock guard.
template <class Done>
void spin_until(Done&& done) {
  while (!done()) std::this_thread::yield();
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

TEST_CASE("coroutine task functions: concurrency 4 keeps four suspended tasks in flight on one node",
          "[coroutines][concurrency]") {
  Signal signal;
  std::atomic<int> started{0};
  poolify::FixedPool<int, int> pool(1, [&](int x) -> poolify::Task<int> {
    started.fetch_add(1);
    co_await signal.wait();
    co_return x * 2;
  }, {.tasks_queue_options = {.concurrency = 4}});
  std::vector<poolify::Future<int>> futures;
  for (int i = 0; i < 6; ++i) futures.push_back(pool.execute(i));
  spin_until([&] { return signal.waiting() == 4; });
  // One worker, four tasks suspended on it at once; the fifth waits for room.
  CHECK(started.load() == 4);
  const poolify::PoolInfo busy = pool.info();
  CHECK(busy.executing_tasks == 4);
  CHECK(busy.busy_worker_nodes == 1);
  CHECK(busy.queued_tasks == 2);
  signal.set();  // resumes the four here; they end, and the last two run without suspending
  int sum = 0;
  for (auto& future : futures) sum += future.get();
  CHECK(sum == 2 * (0 + 1 + 2 + 3 + 4 + 5));
  CHECK(started.load() == 6);
  pool.wait_idle();
  const poolify::PoolInfo idle = pool.info();
  CHECK(idle.executed_tasks == 6);
  CHECK(idle.executing_tasks == 0);
  CHECK(idle.idle_worker_nodes == 1);
}

TEST_CASE("with concurrency 1 a node runs one coroutine task at a time", "[coroutines][concurrency]") {
  Signal signal;
  std::atomic<int> started{0};
  poolify::FixedPool<int, int> pool(1, [&](int x) -> poolify::Task<int> {
    started.fetch_add(1);
    co_await signal.wait();
    co_return x;
  });
  poolify::Future<int> first = pool.execute(1);
  poolify::Future<int> second = pool.execute(2);
  spin_until([&] { return signal.waiting() == 1; });
  CHECK(started.load() == 1);
  signal.set();
  CHECK(first.get() + second.get() == 3);
}

TEST_CASE("a coroutine task function awaits another pool, throws, or returns void", "[coroutines]") {
  poolify::FixedPool<int, int> other(1, [](int x) { return x + 1; });
  poolify::FixedPool<int, int> pool(
      2,
      {{"chain", [&other](int x) -> poolify::Task<int> {
          const int once = co_await other.execute(x);
          co_return co_await other.execute(once * 10);
        }},
       {"fail", [&other](int x) -> poolify::Task<int> {
          (void)co_await other.execute(x);
          throw std::runtime_error("failed after resuming");
        }}},
      {.tasks_queue_options = {.concurrency = 8}});
  std::vector<poolify::Future<int>> futures;
  for (int i = 0; i < 500; ++i) futures.push_back(pool.execute(i, "chain"));
  bool all = true;
  for (int i = 0; i < 500; ++i) all = all && futures[static_cast<std::size_t>(i)].get() == (i + 1) * 10 + 1;
  CHECK(all);
  CHECK_THROWS_WITH(pool.execute(1, "fail").get(), "failed after resuming");
  pool.wait_idle();
  CHECK(pool.info().executed_tasks == 500);
  CHECK(pool.info().failed_tasks == 1);
  CHECK(pool.list_task_functions_properties().size() == 2);

  std::atomic<int> ran{0};
  poolify::FixedPool<int> voids(1, [&ran](int) -> poolify::Task<void> {
    ran.fetch_add(1);
    co_return;
  });
  voids.execute(1).get();
  CHECK(ran.load() == 1);
}

TEST_CASE("cancel() and destroy() signal a suspended coroutine task's stop token", "[coroutines][cancel]") {
  // The coroutine waits until its token is stopped; the stop callback sets the signal, which
  // resumes it on the thread that stops it.
  poolify::FixedPool<int, int> pool(1, [](int x, std::stop_token token) -> poolify::Task<int> {
    Signal stopped;
    std::stop_callback on_stop(token, [&stopped] { stopped.set(); });
    co_await stopped.wait();
    co_return token.stop_requested() ? x : -1;
  }, {.tasks_queue_options = {.concurrency = 2}});
  poolify::Future<int> cancelled = pool.execute(7);
  poolify::Future<int> at_destroy = pool.execute(8);
  spin_until([&] { return pool.info().executing_tasks == 2; });
  CHECK_FALSE(cancelled.cancel());  // running (suspended): its token is signalled, its outcome stands
  CHECK(cancelled.get() == 7);
  pool.destroy();  // signals the last one's token and waits for it to end
  REQUIRE(at_destroy.ready());
  CHECK(at_destroy.get() == 8);
}

TEST_CASE("wait_idle waits for suspended coroutine tasks", "[coroutines]") {
  Signal signal;
  poolify::FixedPool<int, int> pool(1, [&signal](int x) -> poolify::Task<int> {
    co_await signal.wait();
    co_return x;
  }, {.tasks_queue_options = {.concurrency = 3}});
  std::vector<poolify::Future<int>> futures;
  for (int i = 0; i < 3; ++i) futures.push_back(pool.execute(i));
  spin_until([&] { return signal.waiting() == 3; });
  std::atomic<bool> idle{false};
  std::thread waiter([&] {
    pool.wait_idle();
    idle.store(true);
  });
  CHECK_FALSE(idle.load());  // cannot be idle: three tasks are in flight until the signal is set
  signal.set();
  waiter.join();
  CHECK(idle.load());
  for (auto& future : futures) CHECK(future.ready());
}

TEST_CASE("destroy(timeout) counts suspended coroutine tasks it leaves, which end later", "[coroutines][destroy]") {
  Signal signal;
  poolify::FixedPool<int, int> pool(1, [&](int x) -> poolify::Task<int> {
    co_await signal.wait();  // ignores its stop token
    co_return x + 1;
  }, {.tasks_queue_options = {.concurrency = 2}});
  poolify::Future<int> first = pool.execute(1);
  poolify::Future<int> second = pool.execute(2);
  spin_until([&] { return signal.waiting() == 2; });
  CHECK(pool.destroy(std::chrono::milliseconds(0)) == 2);  // both suspended, the worker gone
  CHECK_FALSE(first.ready());
  signal.set();  // resumes them here: they end with their own values
  CHECK(first.get() == 2);
  CHECK(second.get() == 3);
  pool.start();  // nothing left to wait for
  CHECK(pool.info().executed_tasks == 0);
}
