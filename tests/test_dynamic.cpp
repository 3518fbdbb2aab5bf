// Dynamic pools: size validation, growth up to max, retirement back to min, min == 0 pools that
// empty and come back, full / full_end / empty events, worker hooks, the default size, and
// retirement racing submission. Retirement is awaited through the worker exit hook (a latch),
// never by sleeping; the only waits on time are the idle timeouts themselves.

#include <poolify/poolify.hpp>

#include <array>      // std::array
#include <atomic>     // std::atomic
#include <chrono>     // std::chrono
#include <cstddef>    // std::size_t
#include <cstdint>    // std::uint64_t
#include <latch>      // std::latch
#include <mutex>      // std::mutex, std::lock_guard
#include <optional>   // std::optional
#include <random>     // std::mt19937
#include <stdexcept>  // std::out_of_range, std::invalid_argument
#include <thread>     // std::thread, std::this_thread
#include <vector>     // std::vector

#if defined(__linux__)
#include <sched.h>  // sched_getaffinity, sched_setaffinity
#endif

#include "catch.hpp"
#include "support.hpp"

namespace {

using namespace std::chrono_literals;
using poolify::PoolEvent;

/// Counts worker threads started and exited (the hooks run on the worker threads) and lets a test
/// wait until a number of them exited.
struct ThreadCount {
  std::atomic<int> started{0};
  std::atomic<int> exited{0};

  void hook_options(poolify::PoolOptions& options) {
    options.on_worker_start = [this](std::size_t) { started.fetch_add(1); };
    options.on_worker_exit = [this](std::size_t) {
      exited.fetch_add(1);
      exited.notify_all();
    };
  }
  /// Waits until `count` threads exited (a deadline turns a hang into a failure).
  bool wait_exited(int count) {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    for (int seen = exited.load(); seen < count; seen = exited.load()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      exited.wait(seen);
    }
    return true;
  }
};

/// Waits until `condition()` holds, for a state that a timeout brings about (idle nodes retiring):
/// polls, with a deadline meant only as a hang guard.
template <class Condition>
bool eventually(Condition&& condition) {
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!condition()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(1ms);
  }
  return true;
}

/// Counts events by kind.
struct EventCount {
  std::mutex mutex;
  std::vector<PoolEvent> kinds;
  std::vector<poolify::PoolInfo> infos;
  poolify::Listener listener() {
    return [this](const poolify::Event& event) {
      std::lock_guard lock(mutex);
      kinds.push_back(event.kind);
      infos.push_back(event.info);
    };
  }
  std::size_t count(PoolEvent kind) {
    std::lock_guard lock(mutex);
    std::size_t n = 0;
    for (PoolEvent k : kinds) n += k == kind ? 1 : 0;
    return n;
  }
};

}  // namespace

TEST_CASE("dynamic pool sizes are validated with poolifier's messages, in its order", "[dynamic][validation]") {
  const auto make = [](std::size_t min, std::size_t max) { poolify::DynamicPool<int, int> pool(min, max, [](int x) { return x; }); };
  REQUIRE_THROWS_MATCHES(make(2, 1), std::out_of_range,
                         Catch::Matchers::Message("Cannot instantiate a dynamic pool with a maximum pool size inferior to "
                                                  "the minimum pool size"));
  REQUIRE_THROWS_MATCHES(make(1, 0), std::out_of_range,
                         Catch::Matchers::Message("Cannot instantiate a dynamic pool with a maximum pool size inferior to "
                                                  "the minimum pool size"));
  REQUIRE_THROWS_MATCHES(make(0, 0), std::out_of_range,
                         Catch::Matchers::Message("Cannot instantiate a dynamic pool with a maximum pool size equal to zero"));
  REQUIRE_THROWS_MATCHES(make(2, 2), std::out_of_range,
                         Catch::Matchers::Message("Cannot instantiate a dynamic pool with a minimum pool size equal to the "
                                                  "maximum pool size. Use a fixed pool instead"));
  REQUIRE_THROWS_MATCHES(make(static_cast<std::size_t>(-1), 2), std::out_of_range,
                         Catch::Matchers::Message("Cannot instantiate a pool with a negative number of workers"));
  REQUIRE_THROWS_MATCHES(make(1, static_cast<std::size_t>(-1)), std::invalid_argument,
                         Catch::Matchers::Message("Cannot instantiate a dynamic pool with a non safe integer maximum pool size"));
  REQUIRE_NOTHROW(make(0, 1));  // min == 0 is allowed

  const auto with = [](poolify::PoolOptions options) {
    poolify::DynamicPool<int, int> pool(0, 2, [](int x) { return x; }, std::move(options));
  };
  REQUIRE_THROWS_MATCHES(with({.max_inactive_time = 4ms}), std::invalid_argument,
                         Catch::Matchers::Message("maxInactiveTime option is not a positive integer greater or equal than 5"));
  REQUIRE_THROWS_MATCHES(with({.kill_behavior = static_cast<poolify::KillBehavior>(7)}), std::invalid_argument,
                         Catch::Matchers::Message("killBehavior option '7' is not valid"));
  REQUIRE_NOTHROW(with({.max_inactive_time = 5ms}));
}

TEST_CASE("a dynamic pool grows up to max when every node is busy, never past it", "[dynamic]") {
  test::Gate gate;
  std::latch running(3);
  poolify::DynamicPool<int, int> pool(1, 3, [&](int x) {
    if (x < 0) {
      running.count_down();
      gate.wait();
    }
    return x;
  });
  poolify::PoolInfo info = pool.info();
  CHECK(info.type == poolify::PoolType::dynamic);
  CHECK(info.worker_nodes == 1);
  CHECK(info.dynamic_worker_nodes == std::optional<std::size_t>(0));
  std::vector<poolify::Future<int>> futures;
  for (int i = 0; i < 3; ++i) futures.push_back(pool.execute(-1));  // each finds every node busy
  running.wait();  // three tasks run at once: three nodes
  info = pool.info();
  CHECK(info.worker_nodes == 3);
  CHECK(info.dynamic_worker_nodes == std::optional<std::size_t>(2));
  CHECK(info.busy_worker_nodes == 3);
  for (int i = 0; i < 20; ++i) futures.push_back(pool.execute(i));  // full: these queue
  CHECK(pool.info().worker_nodes == 3);
  CHECK(pool.worker_nodes().size() == 3);
  gate.open();
  for (auto& future : futures) future.get();
  CHECK(pool.info().executed_tasks == 23);
}

TEST_CASE("idle dynamic nodes retire after max_inactive_time, back to min; counters stay", "[dynamic]") {
  for (const poolify::KillBehavior behavior : {poolify::KillBehavior::soft, poolify::KillBehavior::hard}) {
    ThreadCount threads;
    poolify::PoolOptions options{.max_inactive_time = 20ms, .kill_behavior = behavior};
    threads.hook_options(options);
    test::Gate gate;
    std::latch running(3);
    poolify::DynamicPool<int, int> pool(1, 3, [&](int x) {
      if (x < 0) {
        running.count_down();
        gate.wait();
      }
      return x;
    }, options);
    std::vector<poolify::Future<int>> futures;
    for (int i = 0; i < 3; ++i) futures.push_back(pool.execute(-1));
    running.wait();
    gate.open();
    for (auto& future : futures) future.get();
    REQUIRE(threads.wait_exited(2));  // the two dynamic nodes retired
    const poolify::PoolInfo info = pool.info();
    CHECK(info.worker_nodes == 1);
    CHECK(info.dynamic_worker_nodes == std::optional<std::size_t>(0));
    CHECK(info.executed_tasks == 3);  // the retired nodes' tasks still count
    CHECK(pool.worker_nodes().size() == 1);
    CHECK(threads.started.load() - threads.exited.load() == 1);
    CHECK(pool.execute(5).get() == 5);  // and the pool goes on
    pool.destroy();
    CHECK(threads.started.load() == threads.exited.load());
  }
}

TEST_CASE("a min 0 pool goes down to no node, emits empty, and comes back on the next task", "[dynamic][events]") {
  ThreadCount threads;
  poolify::PoolOptions options{.start_workers = false, .max_inactive_time = 10ms};
  threads.hook_options(options);
  poolify::DynamicPool<int, int> pool(0, 2, [](int x) { return x * 2; }, options);
  EventCount events;
  pool.on(PoolEvent::empty, events.listener());
  pool.on(PoolEvent::ready, events.listener());
  pool.start();
  CHECK(pool.info().worker_nodes == 0);
  CHECK(pool.info().ready);
  for (int round = 1; round <= 3; ++round) {
    CHECK(pool.execute(round).get() == 2 * round);  // makes a node
    REQUIRE(threads.wait_exited(round));            // which retires
    CHECK(eventually([&] { return events.count(PoolEvent::empty) == static_cast<std::size_t>(round); }));
    CHECK(pool.info().worker_nodes == 0);
  }
  pool.destroy();
  CHECK(events.count(PoolEvent::empty) == 3);  // once per time it emptied
  CHECK(events.count(PoolEvent::ready) == 1);
  std::lock_guard lock(events.mutex);
  for (std::size_t i = 0; i < events.kinds.size(); ++i) {
    if (events.kinds[i] == PoolEvent::empty) CHECK(events.infos[i].worker_nodes == 0);
  }
}

TEST_CASE("full fires once when a dynamic pool reaches max, full_end once when it shrinks", "[dynamic][events]") {
  ThreadCount threads;
  poolify::PoolOptions options{.start_workers = false, .max_inactive_time = 10ms};
  threads.hook_options(options);
  test::Gate gate;
  std::latch running(2);
  poolify::DynamicPool<int, int> pool(1, 2, [&](int x) {
    if (x < 0) {
      running.count_down();
      gate.wait();
    }
    return x;
  }, options);
  EventCount events;
  pool.on(PoolEvent::full, events.listener());
  pool.on(PoolEvent::full_end, events.listener());
  pool.on(PoolEvent::busy, events.listener());
  pool.on(PoolEvent::busy_end, events.listener());
  pool.start();
  std::vector<poolify::Future<int>> futures;
  for (int i = 0; i < 2; ++i) futures.push_back(pool.execute(-1));
  running.wait();
  for (int i = 0; i < 10; ++i) futures.push_back(pool.execute(i));  // full already: no more full events
  gate.open();
  for (auto& future : futures) future.get();
  REQUIRE(threads.wait_exited(1));
  CHECK(eventually([&] { return events.count(PoolEvent::full_end) == 1; }));
  pool.destroy();
  CHECK(events.count(PoolEvent::full) == 1);
  CHECK(events.count(PoolEvent::full_end) == 1);
  // busy needs a full dynamic pool, as poolifier's: it may fire only once both nodes are there.
  CHECK(events.count(PoolEvent::busy) >= 1);
  CHECK(events.count(PoolEvent::busy) == events.count(PoolEvent::busy_end));
  std::lock_guard lock(events.mutex);
  for (std::size_t i = 0; i < events.kinds.size(); ++i) {
    if (events.kinds[i] == PoolEvent::full || events.kinds[i] == PoolEvent::busy) CHECK(events.infos[i].worker_nodes == 2);
  }
}

TEST_CASE("a task function whose only node is missing brings that node back", "[dynamic][affinity]") {
  ThreadCount threads;
  poolify::PoolOptions options{.max_inactive_time = 10ms};
  threads.hook_options(options);
  poolify::DynamicPool<int, int> pool(
      1, 4,
      {{"any", [](int x) { return x; }},
       {"on_three", [](int x) { return x; }, poolify::TaskFunctionProperties{.worker_node_keys = {3}}}},
      options);
  CHECK(pool.info().worker_nodes == 1);
  CHECK(pool.execute(7, "on_three").get() == 7);
  const std::vector<poolify::WorkerNodeInfo> nodes = pool.worker_nodes();
  bool three = false;
  for (const auto& node : nodes) three = three || (node.id == 3 && node.tasks.executed + node.tasks.executing >= 1);
  CHECK(three);
  REQUIRE(threads.wait_exited(1));  // node 3 retires again
  CHECK(pool.execute(8, "on_three").get() == 8);  // and comes back
}

TEST_CASE("worker hooks run on each dynamic node's thread; a throwing start hook is reported", "[dynamic][hooks]") {
  std::atomic<int> errors{0};
  std::atomic<int> started{0};
  std::atomic<int> exited{0};
  EventCount events;
  for (const bool restart : {true, false}) {
    test::Gate gate;
    std::latch first_running(1);
    poolify::DynamicPool<int, int> pool(
        1, 3,
        [&](int x) {
          if (x == 0) {
            first_running.count_down();
            gate.wait();
          }
          return x;
        },
        {.start_workers = false,
         .restart_worker_on_error = restart,
         .max_inactive_time = 10ms,
         .on_worker_start = [&](std::size_t key) {
           started.fetch_add(1);
           if (key >= 1) throw std::runtime_error("no dynamic node wanted");
         },
         .on_worker_exit = [&](std::size_t) { exited.fetch_add(1); },
         .error_handler = [&](std::exception_ptr) { errors.fetch_add(1); }});
    pool.on(PoolEvent::error, events.listener());
    pool.start();
    const int errors_before = errors.load();
    std::vector<poolify::Future<int>> futures;
    futures.push_back(pool.execute(0));
    first_running.wait();  // node 0 is busy: the next task adds a node, whose start hook throws
    for (int i = 1; i < 200; ++i) futures.push_back(pool.execute(i));
    gate.open();
    for (int i = 0; i < 200; ++i) CHECK(futures[static_cast<std::size_t>(i)].get() == i);  // nothing lost
    CHECK(errors.load() > errors_before);
    CHECK(pool.execute(1000).get() == 1000);  // the pool stays usable
    pool.destroy();
    CHECK(started.load() == exited.load());
  }
  CHECK(errors.load() == static_cast<int>(events.count(PoolEvent::error)));
}

TEST_CASE("a pool made without a size has one node per CPU of the affinity mask", "[dynamic][size]") {
  CHECK(poolify::available_parallelism() >= 1);
#if defined(__linux__)
  cpu_set_t saved;
  REQUIRE(test::pin_to_first_cpu(saved));
  const std::size_t parallelism = poolify::available_parallelism();
  {
    poolify::FixedPool<int, int> pool([](int x) { return x; });
    CHECK(pool.info().worker_nodes == 1);
    CHECK(pool.execute(3).get() == 3);
  }
  REQUIRE(sched_setaffinity(0, sizeof saved, &saved) == 0);
  CHECK(parallelism == 1);
  CHECK(poolify::available_parallelism() == static_cast<std::size_t>(CPU_COUNT(&saved)));
#endif
}

TEST_CASE("retirement racing submission: 100k submit-then-get rounds lose nothing", "[dynamic][stress]") {
  for (const poolify::KillBehavior behavior : {poolify::KillBehavior::soft, poolify::KillBehavior::hard}) {
    ThreadCount threads;
    poolify::PoolOptions options{.max_inactive_time = 5ms, .kill_behavior = behavior};
    threads.hook_options(options);
    poolify::DynamicPool<int, int> pool(0, 2, [](int x) { return x + 1; }, options);
    std::mt19937 random(42);
    std::uniform_int_distribution<int> gap(0, 999);
    bool correct = true;
    bool within = true;
    std::uint64_t sum = 0;
    for (int round = 0; round < 50000; ++round) {
      // Now and then a gap around the idle timeout, so that a node retires as the task comes.
      const int g = gap(random);
      if (g < 3) std::this_thread::sleep_for(std::chrono::microseconds(4000 + 1000 * g));
      const int got = pool.execute(round).get();
      correct = correct && got == round + 1;
      sum += static_cast<std::uint64_t>(got);
      if (round % 64 == 0) within = within && pool.info().worker_nodes <= 2;
    }
    // And two threads at once, so that retirement races a submission on another thread.
    std::vector<std::thread> submitters;
    std::atomic<int> wrong{0};
    for (int t = 0; t < 2; ++t) {
      submitters.emplace_back([&, t] {
        std::mt19937 mine(static_cast<unsigned>(t));
        for (int round = 0; round < 25000; ++round) {
          if (mine() % 1000 < 2) std::this_thread::sleep_for(std::chrono::microseconds(4000 + mine() % 3000));
          if (pool.execute(round).get() != round + 1) wrong.fetch_add(1);
        }
      });
    }
    for (std::thread& submitter : submitters) submitter.join();
    CHECK(correct);
    CHECK(wrong.load() == 0);
    CHECK(within);
    CHECK(sum == 50000ULL * 50001ULL / 2);
    const poolify::PoolInfo info = pool.info();
    CHECK(info.executed_tasks == 100000);
    CHECK(info.queued_tasks == 0);
    // Idle now: every node retires, and every thread that started has exited.
    CHECK(eventually([&] { return pool.info().worker_nodes == 0 && threads.started.load() == threads.exited.load(); }));
    pool.destroy();
    CHECK(threads.started.load() == threads.exited.load());
  }
}

TEST_CASE("a pool started again after destroy keeps its workers (regression: stale stop request)", "[dynamic][lifecycle]") {
  // destroy() asks every node's worker to stop; the workers of the next start() (the minimum's,
  // and nodes added later) must not see that request: they exited as soon as they found their
  // queue empty, leaving the tasks later queued to them waiting forever.
  ThreadCount threads;
  poolify::PoolOptions options{};
  threads.hook_options(options);
  std::array<test::Gate, 3> gates;
  std::atomic<int> round_now{0};
  std::atomic<int> running{0};
  poolify::DynamicPool<int, int> pool(1, 2, [&](int x) {
    running.fetch_add(1);
    gates[static_cast<std::size_t>(round_now.load())].wait();
    return x;
  }, options);
  for (int round = 0; round < 3; ++round) {
    if (round > 0) pool.start();
    const int exited = threads.exited.load();
    // Let the new worker find its queue empty (the moment the stale request made it exit). This
    // wait only gives the bug its chance; nothing here depends on it when the pool is right.
    std::this_thread::sleep_for(5ms);
    CHECK(threads.exited.load() == exited);
    round_now.store(round);
    test::Gate& gate = gates[static_cast<std::size_t>(round)];
    running.store(0);
    poolify::Future<int> first = pool.execute(1);
    poolify::Future<int> second = pool.execute(2);  // every node busy: a second node is added
    CHECK(eventually([&] { return running.load() == 2; }));  // both run at once
    CHECK(pool.info().worker_nodes == 2);
    gate.open();
    REQUIRE(first.wait_for(60s) == poolify::FutureStatus::ready);
    REQUIRE(second.wait_for(60s) == poolify::FutureStatus::ready);
    CHECK(first.get() == 1);
    CHECK(second.get() == 2);
    pool.destroy();
  }
}

TEST_CASE("a soft retirement leaves a node with queued tasks alone; a hard one hands them back", "[dynamic][kill_behavior]") {
  // The one moment soft and hard differ: a node's idle timeout has expired, and before its worker
  // retires it a task is queued to it. The worker then calls retire(soft): soft keeps the node (it
  // runs the task), hard closes it and hands the task back for the pool to queue elsewhere. The
  // moment is too short to hit on purpose through a pool, so the node is driven here directly; the
  // pool's side (handing the tasks on) is covered by the forced retirement of a node whose start
  // hook failed, above, and by the retirement race stress test.
  using Node = poolify::detail::WorkerNode<int, int>;
  using Task = Node::Task;
  const std::atomic<std::uint32_t> no_sleepers{0};
  Node node(1);
  node.open();  // a node starts closed, as before its worker starts
  Task* task = Task::make(7, nullptr);
  std::uint64_t queued = 0;
  REQUIRE(node.push(task, no_sleepers, nullptr, queued) == Node::Pushed::queued);
  CHECK(queued == 1);

  CHECK_FALSE(node.retire(true).has_value());  // soft: tasks are queued, the node stays
  CHECK(node.usage.ready.load());
  CHECK(node.usage.queued.load() == 1);

  std::optional<poolify::detail::RingDeque<Task*>> left = node.retire(false);  // hard
  REQUIRE(left.has_value());
  CHECK(left->size() == 1);
  CHECK_FALSE(node.usage.ready.load());
  CHECK(node.usage.queued.load() == 0);
  std::uint64_t after = 0;
  CHECK(node.push(task, no_sleepers, nullptr, after) == Node::Pushed::refused);  // closed from here on

  Node empty(2);
  empty.open();
  std::optional<poolify::detail::RingDeque<Task*>> none = empty.retire(true);  // soft, nothing queued
  REQUIRE(none.has_value());
  CHECK(none->empty());
  CHECK_FALSE(empty.usage.ready.load());

  // The task handed back is still whole: cancel it and let both holders go.
  left->drain([](Task* t) {
    CHECK(t->request_cancel());
    t->release(poolify::detail::task_word::pool_ref);
  });
  CHECK(task->is_done());
  task->release(poolify::detail::task_word::future_ref);
}
