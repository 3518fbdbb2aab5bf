// Events: each fires exactly once per episode, with an info snapshot that shows the condition,
// also when listeners submit work, read info or throw. Events are awaited with a deadline that only
// turns a hang into a failure; counts are checked once the pool is destroyed (destroy() delivers
// every pending event before it returns, and no worker is left to raise one).

#include <poolify/poolify.hpp>

#include <atomic>              // std::atomic
#include <chrono>              // std::chrono::seconds
#include <condition_variable>  // std::condition_variable
#include <cstddef>             // std::size_t
#include <latch>               // std::latch
#include <mutex>               // std::mutex, std::lock_guard, std::unique_lock
#include <stdexcept>           // std::runtime_error
#include <string>              // std::string
#include <vector>              // std::vector

#include "catch.hpp"
#include "support.hpp"

namespace {

using poolify::Event;
using poolify::PoolEvent;

/// Records the events it is given and lets a test wait for them.
class Recorder {
 public:
  poolify::Listener listener() {
    return [this](const Event& event) {
      {
        std::lock_guard lock(mutex_);
        events_.push_back(event);
      }
      changed_.notify_all();
    };
  }

  /// Waits until `count` events of `kind` arrived; false after a deadline meant only as a hang guard.
  bool wait_for(PoolEvent kind, std::size_t count) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, std::chrono::seconds(60), [&] { return count_locked(kind) >= count; });
  }

  std::size_t count(PoolEvent kind) {
    std::lock_guard lock(mutex_);
    return count_locked(kind);
  }

  std::vector<Event> events() {
    std::lock_guard lock(mutex_);
    return events_;
  }

  /// The kinds received, in order.
  std::vector<PoolEvent> kinds() {
    std::lock_guard lock(mutex_);
    std::vector<PoolEvent> kinds;
    for (const Event& event : events_) kinds.push_back(event.kind);
    return kinds;
  }

 private:
  std::size_t count_locked(PoolEvent kind) const {
    std::size_t count = 0;
    for (const Event& event : events_) count += event.kind == kind ? 1 : 0;
    return count;
  }

  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<Event> events_;
};

/// Whether `kinds` alternates start, end, start, ... (an edge-triggered pair).
bool alternates(const std::vector<PoolEvent>& kinds, PoolEvent start, PoolEvent end) {
  for (std::size_t index = 0; index < kinds.size(); ++index) {
    if (kinds[index] != (index % 2 == 0 ? start : end)) return false;
  }
  return true;
}

/// A pool whose task -1 blocks on `gate` (counting down `blocked` first) and whose other tasks
/// return their input; not started, so that listeners can be added first.
poolify::FixedPool<int, int> gated_pool(std::size_t nodes, test::Gate& gate, std::latch& blocked,
                                        poolify::PoolOptions options = {}) {
  options.start_workers = false;
  return poolify::FixedPool<int, int>(
      nodes,
      [&gate, &blocked](int x) {
        if (x == -1) {
          blocked.count_down();
          gate.wait();
        }
        return x;
      },
      std::move(options));
}

}  // namespace

TEST_CASE("ready fires once per start and destroy once per destroy, with the pool's state", "[events]") {
  poolify::FixedPool<int, int> pool(2, [](int x) { return x; }, {.start_workers = false});
  Recorder recorder;
  pool.on(PoolEvent::ready, recorder.listener());
  pool.on(PoolEvent::destroy, recorder.listener());
  for (int round = 1; round <= 3; ++round) {
    pool.start();
    REQUIRE(recorder.wait_for(PoolEvent::ready, static_cast<std::size_t>(round)));
    CHECK(pool.execute(round).get() == round);
    pool.destroy();
    CHECK(recorder.count(PoolEvent::destroy) == static_cast<std::size_t>(round));  // delivered before destroy() returns
  }
  const std::vector<Event> events = recorder.events();
  REQUIRE(events.size() == 6);
  CHECK(alternates(recorder.kinds(), PoolEvent::ready, PoolEvent::destroy));
  for (const Event& event : events) {
    if (event.kind == PoolEvent::ready) {
      CHECK(event.info.started);
      CHECK(event.info.ready);
      CHECK(event.info.worker_nodes == 2);
    } else {
      CHECK_FALSE(event.info.started);
      CHECK_FALSE(event.info.ready);
      CHECK(event.info.worker_nodes == 0);
    }
  }
}

TEST_CASE("a start that fails raises no ready event", "[events]") {
  poolify::FixedPool<int, int> pool(1, [](int x) { return x; }, {.start_workers = false});
  Recorder recorder;
  pool.on(PoolEvent::ready, recorder.listener());
  pool.start();
  REQUIRE_THROWS_AS(pool.start(), poolify::PoolError);  // already started
  pool.destroy();
  CHECK(recorder.count(PoolEvent::ready) == 1);
}

TEST_CASE("on() refuses listeners when events are disabled, and empty listeners", "[events]") {
  poolify::FixedPool<int, int> quiet(1, [](int x) { return x; }, {.enable_events = false});
  REQUIRE_THROWS_AS(quiet.on(PoolEvent::busy, [](const Event&) {}), poolify::PoolError);
  REQUIRE_THROWS_WITH(quiet.on(PoolEvent::busy, [](const Event&) {}), test::contains("enable_events = false"));
  CHECK(quiet.execute(3).get() == 3);  // the pool works without events

  poolify::FixedPool<int, int> pool(1, [](int x) { return x; });
  REQUIRE_THROWS_AS(pool.on(PoolEvent::busy, poolify::Listener{}), std::invalid_argument);
}

TEST_CASE("off() removes a listener; unknown ids are refused", "[events]") {
  poolify::FixedPool<int, int> pool(1, [](int x) { return x; }, {.start_workers = false});
  Recorder kept;
  Recorder removed;
  pool.on(PoolEvent::ready, kept.listener());
  const poolify::ListenerId id = pool.on(PoolEvent::ready, removed.listener());
  CHECK(id != poolify::ListenerId{});
  CHECK(pool.off(id));
  CHECK_FALSE(pool.off(id));
  CHECK_FALSE(pool.off(poolify::ListenerId{12345}));
  pool.start();
  REQUIRE(kept.wait_for(PoolEvent::ready, 1));
  pool.destroy();
  CHECK(removed.count(PoolEvent::ready) == 0);
}

TEST_CASE("busy fires once when every node is busy, busy_end once when one runs dry", "[events]") {
  test::Gate gate;
  std::latch blocked(2);
  poolify::FixedPool<int, int> pool = gated_pool(2, gate, blocked);
  Recorder recorder;
  pool.on(PoolEvent::busy, recorder.listener());
  pool.on(PoolEvent::busy_end, recorder.listener());
  pool.start();
  // least_used puts the second task on the other node: both run a task that blocks.
  poolify::Future<int> first = pool.execute(-1);
  poolify::Future<int> second = pool.execute(-1);
  REQUIRE(recorder.wait_for(PoolEvent::busy, 1));
  const Event busy = recorder.events().front();
  CHECK(busy.kind == PoolEvent::busy);
  CHECK(busy.info.busy_worker_nodes == 2);
  CHECK(busy.info.executing_tasks + busy.info.queued_tasks.value_or(0) == 2);  // in flight: one may not have started yet
  CHECK(recorder.count(PoolEvent::busy_end) == 0);
  blocked.wait();
  gate.open();
  CHECK(first.get() == -1);
  CHECK(second.get() == -1);
  REQUIRE(recorder.wait_for(PoolEvent::busy_end, 1));
  pool.destroy();
  CHECK(recorder.kinds() == std::vector<PoolEvent>{PoolEvent::busy, PoolEvent::busy_end});
  CHECK(recorder.events().back().info.busy_worker_nodes < 2);
}

TEST_CASE("busy and busy_end alternate under load, whoever raises them", "[events]") {
  poolify::FixedPool<int, int> pool(2, [](int x) { return x; }, {.start_workers = false});
  Recorder recorder;
  pool.on(PoolEvent::busy, recorder.listener());
  pool.on(PoolEvent::busy_end, recorder.listener());
  pool.start();
  std::vector<std::thread> submitters;
  for (int t = 0; t < 3; ++t) {
    submitters.emplace_back([&pool] {
      for (int i = 0; i < 20000; ++i) pool.execute(i);
    });
  }
  for (std::thread& submitter : submitters) submitter.join();
  pool.wait_idle();
  pool.destroy();
  const std::vector<PoolEvent> kinds = recorder.kinds();
  CHECK(alternates(kinds, PoolEvent::busy, PoolEvent::busy_end));
  CHECK(kinds.size() % 2 == 0);  // every episode ended: the pool is idle
}

TEST_CASE("task_error carries the function's name, the message and the exception", "[events]") {
  poolify::FixedPool<int, int> pool(
      2,
      {{"echo", [](int x) { return x; }},
       {"boom", [](int x) -> int { throw std::runtime_error("bad " + std::to_string(x)); }},
       {"odd", [](int) -> int { throw 42; }}},
      {.start_workers = false});
  Recorder recorder;
  pool.on(PoolEvent::task_error, recorder.listener());
  pool.start();
  std::vector<poolify::Future<int>> futures;
  for (int i = 0; i < 100; ++i) futures.push_back(pool.execute(i, i % 2 == 0 ? "boom" : "echo"));
  futures.push_back(pool.execute(7, "odd"));
  std::size_t failed = 0;
  for (auto& future : futures) {
    try {
      future.get();
    } catch (...) {
      ++failed;
    }
  }
  REQUIRE(failed == 51);
  REQUIRE(recorder.wait_for(PoolEvent::task_error, 51));
  pool.destroy();
  const std::vector<Event> events = recorder.events();
  REQUIRE(events.size() == 51);
  std::size_t boom = 0;
  for (const Event& event : events) {
    CHECK(event.info.failed_tasks >= 1);
    REQUIRE(event.error != nullptr);
    if (event.task_function == "boom") {
      ++boom;
      CHECK(event.message.rfind("bad ", 0) == 0);
      CHECK_THROWS_AS(std::rethrow_exception(event.error), std::runtime_error);
    } else {
      CHECK(event.task_function == "odd");
      CHECK(event.message == "unknown exception");
      CHECK_THROWS_AS(std::rethrow_exception(event.error), int);
    }
  }
  CHECK(boom == 50);
}

// Regression: the task_error of a task was raised after its future was published, so a caller of
// wait_idle() could remove its listener before the event was delivered (the README's example
// failed in CI that way).
TEST_CASE("wait_idle returns after the task_error listeners have run and busy episodes ended", "[events]") {
  poolify::FixedPool<int, int> pool(
      2, [](int x) -> int { if (x % 3 == 0) throw std::runtime_error("no"); return x; }, {.start_workers = false});
  Recorder recorder;
  pool.on(PoolEvent::task_error, recorder.listener());
  pool.on(PoolEvent::busy, recorder.listener());
  pool.on(PoolEvent::busy_end, recorder.listener());
  pool.start();
  std::size_t failures = 0;
  for (int round = 0; round < 2000; ++round) {
    const int count = 1 + round % 4;
    for (int i = 0; i < count; ++i) {
      failures += (round + i) % 3 == 0 ? 1 : 0;
      (void)pool.execute(round + i);
    }
    pool.wait_idle();
    // No waiting here: wait_idle() itself promises the listeners ran.
    REQUIRE(recorder.count(PoolEvent::task_error) == failures);
    REQUIRE(recorder.count(PoolEvent::busy) == recorder.count(PoolEvent::busy_end));
  }
  pool.destroy();
}

TEST_CASE("back_pressure fires once when every queue reaches its threshold, back_pressure_end once after",
          "[events]") {
  test::Gate gate;
  std::latch blocked(2);
  poolify::FixedPool<int, int> pool =
      gated_pool(2, gate, blocked,
                 {.tasks_queue_options = {.size = 2, .task_stealing = false, .tasks_stealing_on_back_pressure = false}});
  Recorder recorder;
  pool.on(PoolEvent::back_pressure, recorder.listener());
  pool.on(PoolEvent::back_pressure_end, recorder.listener());
  pool.start();
  std::vector<poolify::Future<int>> futures;
  futures.push_back(pool.execute(-1));
  futures.push_back(pool.execute(-1));
  blocked.wait();  // both nodes run a blocked task, their queues are empty
  for (int i = 0; i < 3; ++i) futures.push_back(pool.execute(i));  // 2 + 1 queued: not yet
  CHECK(recorder.count(PoolEvent::back_pressure) == 0);
  futures.push_back(pool.execute(3));  // 2 + 2: every node at the threshold
  REQUIRE(recorder.wait_for(PoolEvent::back_pressure, 1));
  for (int i = 4; i < 10; ++i) futures.push_back(pool.execute(i));  // deeper: same episode
  const Event start = recorder.events().front();
  CHECK(start.kind == PoolEvent::back_pressure);
  REQUIRE(start.info.back_pressure.has_value());
  CHECK(*start.info.back_pressure);
  CHECK(start.info.back_pressure_worker_nodes == std::optional<std::size_t>(2));
  gate.open();
  for (auto& future : futures) future.get();
  REQUIRE(recorder.wait_for(PoolEvent::back_pressure_end, 1));
  pool.destroy();
  CHECK(recorder.kinds() == std::vector<PoolEvent>{PoolEvent::back_pressure, PoolEvent::back_pressure_end});
  const Event end = recorder.events().back();
  REQUIRE(end.info.back_pressure.has_value());
  CHECK_FALSE(*end.info.back_pressure);
}

TEST_CASE("listeners may submit work and read info; nothing is lost", "[events]") {
  std::atomic<int> ran{0};
  poolify::FixedPool<int, int> pool(
      2,
      [&ran](int x) {
        ran.fetch_add(1);
        if (x < 0) throw std::runtime_error("failed");
        return x;
      },
      {.start_workers = false});
  std::atomic<int> submitted_by_listener{0};
  std::latch all_submitted(50);
  pool.on(PoolEvent::task_error, [&](const Event& event) {
    CHECK(pool.info().failed_tasks >= event.info.failed_tasks);
    pool.execute(1);  // from a worker thread, fire and forget
    submitted_by_listener.fetch_add(1);
    all_submitted.count_down();
  });
  pool.on(PoolEvent::busy, [&](const Event&) { (void)pool.info(); });
  pool.start();
  std::vector<poolify::Future<int>> futures;
  for (int i = 0; i < 200; ++i) futures.push_back(pool.execute(i % 4 == 0 ? -1 : i));
  for (auto& future : futures) {
    try {
      future.get();
    } catch (const std::runtime_error&) {
    }
  }
  all_submitted.wait();  // each failure's listener submits one task: wait until those ran too
  pool.wait_idle();
  pool.destroy();
  CHECK(submitted_by_listener.load() == 50);
  CHECK(ran.load() == 250);
}

TEST_CASE("a listener that throws goes to error_handler; delivery and the pool go on", "[events]") {
  std::mutex mutex;
  std::vector<std::string> handled;
  poolify::FixedPool<int, int> pool(
      1, [](int x) -> int { if (x < 0) throw std::runtime_error("task"); return x; },
      {.start_workers = false, .error_handler = [&](std::exception_ptr error) {
         try {
           std::rethrow_exception(error);
         } catch (const std::exception& exception) {
           std::lock_guard lock(mutex);
           handled.emplace_back(exception.what());
         }
       }});
  Recorder after;
  pool.on(PoolEvent::task_error, [](const Event&) { throw std::logic_error("listener"); });
  pool.on(PoolEvent::task_error, after.listener());
  Recorder errors;
  pool.on(PoolEvent::error, errors.listener());
  pool.start();
  for (int i = 0; i < 10; ++i) CHECK_THROWS_AS(pool.execute(-1).get(), std::runtime_error);
  REQUIRE(after.wait_for(PoolEvent::task_error, 10));  // the second listener still ran each time
  CHECK(pool.execute(5).get() == 5);
  pool.destroy();
  std::lock_guard lock(mutex);
  CHECK(handled == std::vector<std::string>(10, "listener"));
  CHECK(errors.count(PoolEvent::error) == 0);  // a listener's error is not an `error` event
}

TEST_CASE("error fires for a worker hook that throws, after error_handler", "[events]") {
  std::atomic<int> handled{0};
  poolify::FixedPool<int, int> pool(2, [](int x) { return x; },
                                    {.start_workers = false,
                                     .on_worker_start = [](std::size_t) { throw std::runtime_error("hook failed"); },
                                     .error_handler = [&](std::exception_ptr) { handled.fetch_add(1); }});
  Recorder recorder;
  pool.on(PoolEvent::error, recorder.listener());
  pool.start();
  REQUIRE(recorder.wait_for(PoolEvent::error, 2));
  CHECK(pool.execute(4).get() == 4);  // the pool stays usable
  pool.destroy();
  CHECK(handled.load() == 2);
  for (const Event& event : recorder.events()) {
    CHECK(event.message == "hook failed");
    CHECK_THROWS_AS(std::rethrow_exception(event.error), std::runtime_error);
  }
}

TEST_CASE("a listener may remove itself, add listeners and destroy the pool", "[events]") {
  poolify::FixedPool<int, int> pool(1, [](int x) { return x; }, {.start_workers = false});
  Recorder later;
  std::atomic<int> calls{0};
  poolify::ListenerId self{};
  self = pool.on(PoolEvent::ready, [&](const Event&) {
    calls.fetch_add(1);
    CHECK(pool.off(self));
    pool.on(PoolEvent::destroy, later.listener());
    pool.destroy();  // on the thread in start(): the destroy event follows this listener
  });
  pool.start();
  CHECK_FALSE(pool.info().started);
  CHECK(later.count(PoolEvent::destroy) == 1);
  pool.start();  // the ready listener is gone
  pool.destroy();
  CHECK(calls.load() == 1);
  CHECK(later.count(PoolEvent::destroy) == 2);
}
