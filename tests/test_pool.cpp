#include <poolify/poolify.hpp>

#include <atomic>     // std::atomic
#include <cstdint>    // std::uint64_t
#include <latch>      // std::latch
#include <memory>     // std::make_unique
#include <mutex>      // std::mutex, std::lock_guard
#include <set>        // std::set
#include <stdexcept>  // std::runtime_error
#include <string>     // std::string
#include <thread>     // std::thread, std::this_thread::get_id
#include <vector>     // std::vector

#include "catch.hpp"
#include "support.hpp"

TEST_CASE("100k tasks submitted from 4 threads at once each run exactly once with the right result",
          "[pool]") {
  constexpr int producers = 4;
  constexpr int per_producer = 25000;
  std::vector<std::atomic<int>> runs(producers * per_producer);
  poolify::FixedPool<int, int> pool(3, [&runs](int id) {
    runs[static_cast<std::size_t>(id)].fetch_add(1, std::memory_order_relaxed);
    return id * 2;
  });
  std::latch go(producers);
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      std::vector<poolify::Future<int>> futures;
      futures.reserve(per_producer);
      go.arrive_and_wait();
      for (int i = 0; i < per_producer; ++i) futures.push_back(pool.execute(p * per_producer + i));
      for (int i = 0; i < per_producer; ++i) {
        if (futures[static_cast<std::size_t>(i)].get() != (p * per_producer + i) * 2) ++wrong;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK(wrong == 0);
  int not_once = 0;
  for (auto& count : runs) not_once += count.load() == 1 ? 0 : 1;
  CHECK(not_once == 0);
  pool.wait_idle();
  const poolify::PoolInfo info = pool.info();
  CHECK(info.executed_tasks == producers * per_producer);
  CHECK(info.failed_tasks == 0);
  CHECK(info.executing_tasks == 0);
  CHECK(info.queued_tasks == 0);
}

TEST_CASE("info reports the pool's shape and exact counters once idle", "[pool][info]") {
  poolify::FixedPool<int, int> pool(2, [](int x) {
    if (x % 10 == 0) throw std::runtime_error("ten");
    return x;
  });
  poolify::PoolInfo info = pool.info();
  CHECK(info.version == POOLIFY_VERSION_STRING);
  CHECK(info.type == poolify::PoolType::fixed);
  CHECK(info.worker == "thread");
  CHECK(info.started);
  CHECK(info.ready);
  CHECK(info.default_strategy == poolify::WorkerChoiceStrategy::least_used);
  CHECK(info.min_size == 2);
  CHECK(info.max_size == 2);
  CHECK(info.worker_nodes == 2);
  CHECK_FALSE(info.dynamic_worker_nodes.has_value());
  for (int i = 1; i <= 1000; ++i) (void)pool.execute(i);
  pool.wait_idle();
  info = pool.info();
  CHECK(info.executed_tasks == 900);
  CHECK(info.failed_tasks == 100);
  CHECK(info.executing_tasks == 0);
  CHECK(info.queued_tasks == 0);
  CHECK(info.max_queued_tasks.value() >= 1);
  CHECK(info.idle_worker_nodes == 2);
  CHECK(info.busy_worker_nodes == 0);

  std::uint64_t executed = 0;
  std::uint64_t failed = 0;
  const std::vector<poolify::WorkerNodeInfo> nodes = pool.worker_nodes();
  REQUIRE(nodes.size() == 2);
  for (std::size_t key = 0; key < nodes.size(); ++key) {
    CHECK(nodes[key].id == key);
    CHECK(nodes[key].ready);
    CHECK_FALSE(nodes[key].dynamic);
    CHECK(nodes[key].tasks.executing == 0);
    CHECK(nodes[key].tasks.queued == 0);
    executed += nodes[key].tasks.executed;
    failed += nodes[key].tasks.failed;
  }
  CHECK(executed == 900);
  CHECK(failed == 100);
}

TEST_CASE("queue statistics are left out when the tasks queue is disabled", "[pool][info]") {
  poolify::FixedPool<int, int> pool(1, [](int x) { return x; }, {.enable_tasks_queue = false});
  CHECK(pool.execute(1).get() == 1);
  const poolify::PoolInfo info = pool.info();
  CHECK_FALSE(info.queued_tasks.has_value());
  CHECK_FALSE(info.max_queued_tasks.has_value());
}

TEST_CASE("info counts a busy node while a task runs", "[pool][info]") {
  test::Gate gate;
  std::latch started(1);
  poolify::FixedPool<int, int> pool(2, [&](int x) {
    started.count_down();
    gate.wait();
    return x;
  });
  poolify::Future<int> future = pool.execute(1);
  started.wait();
  const poolify::PoolInfo info = pool.info();
  CHECK(info.executing_tasks == 1);
  CHECK(info.busy_worker_nodes == 1);
  CHECK(info.idle_worker_nodes == 1);
  gate.open();
  CHECK(future.get() == 1);
}

TEST_CASE("wait_idle waits for queued and running tasks, including tasks they submit", "[pool][wait_idle]") {
  std::atomic<int> done{0};
  std::unique_ptr<poolify::FixedPool<int>> pool;
  pool = std::make_unique<poolify::FixedPool<int>>(2, [&](int depth) {
    if (depth > 0) {
      (void)pool->execute(depth - 1);
      (void)pool->execute(depth - 1);
    }
    ++done;
  });
  (void)pool->execute(10);  // a binary tree of 2^11 - 1 tasks
  pool->wait_idle();
  CHECK(done == 2047);
  CHECK(pool->info().executed_tasks == 2047);
}

TEST_CASE("wait_idle returns at once on an idle pool and is refused inside a task", "[pool][wait_idle]") {
  std::unique_ptr<poolify::FixedPool<int, int>> pool;
  pool = std::make_unique<poolify::FixedPool<int, int>>(1, [&pool](int) {
    pool->wait_idle();
    return 0;
  });
  pool->wait_idle();
  CHECK_THROWS_AS(pool->execute(1).get(), poolify::PoolError);
  CHECK_THROWS_WITH(pool->execute(1).get(), test::contains("cannot be called from inside a task"));
}

TEST_CASE("several threads may wait_idle at once while work runs", "[pool][wait_idle]") {
  std::atomic<int> done{0};
  poolify::FixedPool<int> pool(2, [&done](int) { ++done; });
  for (int round = 0; round < 50; ++round) {
    for (int i = 0; i < 200; ++i) (void)pool.execute(i);
    std::vector<std::thread> waiters;
    for (int w = 0; w < 4; ++w) waiters.emplace_back([&pool] { pool.wait_idle(); });
    for (auto& waiter : waiters) waiter.join();
    CHECK(done == (round + 1) * 200);
  }
}

TEST_CASE("worker hooks run on each worker thread as it starts and exits", "[pool][hooks]") {
  std::mutex mutex;
  std::set<std::size_t> started_nodes;
  std::set<std::size_t> exited_nodes;
  std::set<std::thread::id> hook_threads;
  std::set<std::thread::id> task_threads;
  {
    poolify::PoolOptions options;
    options.on_worker_start = [&](std::size_t node) {
      std::lock_guard lock(mutex);
      started_nodes.insert(node);
      hook_threads.insert(std::this_thread::get_id());
    };
    options.on_worker_exit = [&](std::size_t node) {
      std::lock_guard lock(mutex);
      exited_nodes.insert(node);
    };
    poolify::FixedPool<int> pool(3, [&](int) {
      std::lock_guard lock(mutex);
      task_threads.insert(std::this_thread::get_id());
    }, options);
    for (int i = 0; i < 300; ++i) (void)pool.execute(i);
    pool.wait_idle();
  }
  CHECK(started_nodes == std::set<std::size_t>{0, 1, 2});
  CHECK(exited_nodes == std::set<std::size_t>{0, 1, 2});
  CHECK(hook_threads.size() == 3);
  CHECK_FALSE(hook_threads.count(std::this_thread::get_id()));
  for (const auto& id : task_threads) CHECK(hook_threads.count(id) == 1);
}

TEST_CASE("a throwing worker hook is reported to error_handler and the pool keeps working", "[pool][hooks]") {
  std::atomic<int> reported{0};
  poolify::PoolOptions options;
  options.on_worker_start = [](std::size_t) { throw std::runtime_error("hook failed"); };
  options.error_handler = [&reported](std::exception_ptr error) {
    try {
      std::rethrow_exception(error);
    } catch (const std::runtime_error& exception) {
      if (std::string(exception.what()) == "hook failed") ++reported;
    }
  };
  poolify::FixedPool<int, int> pool(2, [](int x) { return x; }, options);
  CHECK(pool.execute(3).get() == 3);
  pool.destroy();
  CHECK(reported == 2);
}
