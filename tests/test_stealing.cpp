#include <poolify/poolify.hpp>

#include <atomic>     // std::atomic
#include <cmath>      // std::ceil
#include <cstddef>    // std::size_t
#include <cstdint>    // std::uint64_t, std::uint8_t
#include <latch>      // std::latch
#include <optional>   // std::optional
#include <stdexcept>  // std::out_of_range
#include <thread>     // std::thread
#include <vector>     // std::vector

#include "catch.hpp"
#include "support.hpp"

namespace {

using poolify::WorkerChoiceStrategy;

/// A pool of `nodes` round robin nodes whose task -1 blocks on `gate` and whose other tasks
/// return their input.
poolify::FixedPool<int, int> blocking_pool(std::size_t nodes, test::Gate& gate, std::latch& blocked,
                                           poolify::TasksQueueOptions queue = {}) {
  return poolify::FixedPool<int, int>(
      nodes,
      [&gate, &blocked](int x) {
        if (x < 0) {
          blocked.count_down();
          gate.wait();
        }
        return x;
      },
      {.worker_choice_strategy = WorkerChoiceStrategy::round_robin, .tasks_queue_options = queue});
}

/// A strategy that puts every task on node 0.
struct AlwaysNode0 {
  std::optional<std::size_t> choose(const poolify::WorkerNodesView&) { return 0; }
};

/// A strategy that puts every task on the node `*target` says.
struct ToTarget {
  explicit ToTarget(std::atomic<std::size_t>* target) : target_(target) {}
  std::optional<std::size_t> choose(const poolify::WorkerNodesView&) { return target_->load(); }
  std::atomic<std::size_t>* target_;
};

}  // namespace

TEST_CASE("an idle node steals the tasks queued behind a blocked one", "[stealing]") {
  test::Gate gate;
  std::latch blocked(1);
  poolify::FixedPool<int, int> pool = blocking_pool(2, gate, blocked);
  poolify::Future<int> blocker = pool.execute(-1);  // node 0, round robin
  blocked.wait();
  std::vector<poolify::Future<int>> futures;
  for (int i = 0; i < 100; ++i) futures.push_back(pool.execute(i));  // half of them queued on node 0
  // Node 0 runs nothing until the gate opens: each of these ends only if node 1 steals it.
  for (int i = 0; i < 100; ++i) CHECK(futures[static_cast<std::size_t>(i)].get() == i);
  const std::vector<poolify::WorkerNodeInfo> nodes = pool.worker_nodes();
  CHECK(nodes[0].tasks.executed == 0);
  CHECK(nodes[1].tasks.executed == 100);
  CHECK(nodes[1].tasks.stolen == 50);
  CHECK(nodes[1].tasks.sequentially_stolen >= 1);
  CHECK(pool.info().stolen_tasks == std::optional<std::uint64_t>(50));
  gate.open();
  CHECK(blocker.get() == -1);
  pool.wait_idle();
  CHECK(pool.info().executed_tasks == 101);
}

TEST_CASE("a sleeping node is woken to steal a task queued behind a blocked one", "[stealing]") {
  // The reliability bar's work conservation: W tasks that meet at a W-party barrier all run,
  // even when the strategy puts two of them on the same node.
  std::latch blocked(1);
  std::latch both(2);
  poolify::FixedPool<int, int> pool(2, [&](int x) {
    if (x < 0) {
      blocked.count_down();
      both.arrive_and_wait();  // needs the other task to run while this one waits
    }
    return x;
  }, {.tasks_queue_options = {}});
  pool.set_worker_choice_strategy<AlwaysNode0>();
  poolify::Future<int> first = pool.execute(-1);  // node 0, and waits at the barrier
  blocked.wait();
  poolify::Future<int> second = pool.execute(-2);  // node 0 again, queued behind the first: node 1 must steal it
  CHECK(second.get() == -2);
  CHECK(first.get() == -1);
  CHECK(pool.worker_nodes()[1].tasks.stolen == 1);
}

TEST_CASE("without either kind of stealing, or with a stealing ratio of 0, nothing is stolen", "[stealing]") {
  for (const poolify::TasksQueueOptions& queue :
       {poolify::TasksQueueOptions{.task_stealing = false, .tasks_stealing_on_back_pressure = false},
        poolify::TasksQueueOptions{.tasks_stealing_ratio = 0}}) {
    test::Gate gate;
    std::latch blocked(1);
    poolify::FixedPool<int, int> pool = blocking_pool(2, gate, blocked, queue);
    poolify::Future<int> blocker = pool.execute(-1);
    blocked.wait();
    std::vector<poolify::Future<int>> futures;
    for (int i = 0; i < 100; ++i) futures.push_back(pool.execute(i));
    // Round robin: the blocker went to node 0, then 0, 2, 4... to node 1 and 1, 3, 5... to node 0.
    for (int i = 0; i < 100; i += 2) CHECK(futures[static_cast<std::size_t>(i)].get() == i);  // node 1's own
    gate.open();
    for (int i = 1; i < 100; i += 2) CHECK(futures[static_cast<std::size_t>(i)].get() == i);
    CHECK(blocker.get() == -1);
    const std::vector<poolify::WorkerNodeInfo> nodes = pool.worker_nodes();
    CHECK(nodes[0].tasks.executed == 51);
    CHECK(nodes[1].tasks.executed == 50);
    CHECK(nodes[0].tasks.stolen + nodes[1].tasks.stolen == 0);
  }
}

TEST_CASE("1M tasks with stealing each run exactly once", "[stealing][stress]") {
  constexpr std::size_t tasks = 1'000'000;
  std::vector<std::atomic<std::uint8_t>> runs(tasks);
  constexpr double ratio = 0.5;
  constexpr std::size_t nodes = 4;
  poolify::FixedPool<std::size_t> pool(
      nodes,
      [&runs](std::size_t id) {
        runs[id].fetch_add(1, std::memory_order_relaxed);
        if (id % 64 == 0) {  // some tasks are much longer, so that queues grow unevenly and idle nodes steal
          volatile std::uint64_t x = id;
          for (int i = 0; i < 2000; ++i) x = x * 3 + 1;
        }
      },
      {.worker_choice_strategy = WorkerChoiceStrategy::round_robin, .tasks_queue_options = {.tasks_stealing_ratio = ratio}});
  std::atomic<bool> done{false};
  std::atomic<std::size_t> most_stealing{0};
  std::thread reader([&] {  // the stealing ratio holds at every moment
    while (!done.load()) {
      const std::size_t stealing = pool.info().stealing_worker_nodes.value_or(0);
      if (stealing > most_stealing.load()) most_stealing.store(stealing);
    }
  });
  std::latch go(2);
  std::vector<std::thread> producers;
  for (std::size_t p = 0; p < 2; ++p) {
    producers.emplace_back([&, p] {
      go.arrive_and_wait();
      for (std::size_t id = p; id < tasks; id += 2) static_cast<void>(pool.execute(id));
    });
  }
  for (auto& producer : producers) producer.join();
  pool.wait_idle();
  done.store(true);
  reader.join();
  std::size_t lost = 0;
  std::size_t twice = 0;
  for (const auto& run : runs) {
    if (run.load() == 0) ++lost;
    if (run.load() > 1) ++twice;
  }
  CHECK(lost == 0);
  CHECK(twice == 0);
  const poolify::PoolInfo info = pool.info();
  CHECK(info.executed_tasks == tasks);
  CHECK(info.queued_tasks == std::optional<std::uint64_t>(0));
  std::uint64_t stolen = 0;
  for (const auto& node : pool.worker_nodes()) stolen += node.tasks.stolen;
  CHECK(info.stolen_tasks == std::optional<std::uint64_t>(stolen));
  CHECK(most_stealing.load() <= static_cast<std::size_t>(std::ceil(nodes * ratio)));
}

TEST_CASE("a node over its back-pressure threshold hands tasks to nodes below it", "[stealing][back_pressure]") {
  test::Gate gate;
  std::latch blocked(2);
  std::atomic<std::size_t> target{0};
  poolify::FixedPool<int, int> pool(2, [&](int x) {
    if (x < 0) {
      blocked.count_down();
      gate.wait();
    }
    return x;
  }, {.tasks_queue_options = {.size = 4}});
  pool.set_worker_choice_strategy<ToTarget>(&target);
  poolify::Future<int> first = pool.execute(-1);  // node 0
  target.store(1);
  poolify::Future<int> second = pool.execute(-2);  // node 1: both block, so neither steals while idle
  blocked.wait();
  target.store(0);
  std::vector<poolify::Future<int>> futures;
  for (int i = 0; i < 10; ++i) futures.push_back(pool.execute(i));
  // Each time node 0 reached 4 queued, node 1 (below 4 - 1) took its newest task, up to 3.
  std::vector<poolify::WorkerNodeInfo> nodes = pool.worker_nodes();
  CHECK(nodes[0].tasks.queued == 7);
  CHECK(nodes[1].tasks.queued == 3);
  CHECK(nodes[1].tasks.stolen == 3);
  poolify::PoolInfo info = pool.info();
  CHECK(info.back_pressure == std::optional<bool>(false));  // node 1 is below its threshold
  CHECK(info.back_pressure_worker_nodes == std::optional<std::size_t>(1));
  target.store(1);
  futures.push_back(pool.execute(10));  // node 1 reaches 4; node 0 is over it too, so it takes none
  nodes = pool.worker_nodes();
  CHECK(nodes[1].tasks.queued == 4);
  CHECK(nodes[0].tasks.stolen == 0);
  info = pool.info();
  CHECK(info.back_pressure == std::optional<bool>(true));  // every node is at its threshold
  CHECK(info.back_pressure_worker_nodes == std::optional<std::size_t>(2));
  gate.open();
  for (std::size_t i = 0; i < futures.size(); ++i) CHECK(futures[i].get() == static_cast<int>(i));
  CHECK(first.get() == -1);
  CHECK(second.get() == -2);
  pool.wait_idle();
  CHECK(pool.info().back_pressure == std::optional<bool>(false));
  CHECK(pool.info().executed_tasks == 13);
}

TEST_CASE("a worker queueing on its own node keeps its tasks past the back-pressure threshold", "[stealing][back_pressure]") {
  // Tasks submitted from inside a task go to the worker's own node: the next ones it runs when it
  // waits. Reaching the threshold there hands none of them away (idle nodes may still steal them),
  // unlike the same submissions from outside the pool (test above).
  test::Gate gate;
  std::latch blocked(2);
  std::latch node1_blocked(1);
  std::latch submitted(1);
  std::atomic<std::size_t> target{0};
  std::vector<poolify::Future<int>> children;
  poolify::FixedPool<int, int>* self = nullptr;
  poolify::FixedPool<int, int> pool(2, [&](int x) {
    if (x == -1) {  // on node 0: queue 10 children on node 0, then block with both nodes busy
      for (int i = 0; i < 10; ++i) children.push_back(self->execute(i));
      submitted.count_down();
    }
    if (x == -2) node1_blocked.count_down();
    if (x < 0) {
      blocked.count_down();
      gate.wait();
    }
    return x;
  }, {.tasks_queue_options = {.size = 4}});
  self = &pool;
  pool.set_worker_choice_strategy<ToTarget>(&target);
  target.store(1);
  poolify::Future<int> second = pool.execute(-2);  // node 1 blocks first, so it steals nothing
  node1_blocked.wait();
  target.store(0);
  poolify::Future<int> first = pool.execute(-1);  // node 0 runs the parent
  submitted.wait();
  blocked.wait();
  std::vector<poolify::WorkerNodeInfo> nodes = pool.worker_nodes();
  CHECK(nodes[0].tasks.queued == 10);
  CHECK(nodes[1].tasks.queued == 0);
  CHECK(nodes[1].tasks.stolen == 0);
  gate.open();
  CHECK(first.get() == -1);
  CHECK(second.get() == -2);
  for (std::size_t i = 0; i < children.size(); ++i) CHECK(children[i].get() == static_cast<int>(i));
  pool.wait_idle();
  CHECK(pool.info().executed_tasks == 12);
}

TEST_CASE("tasks queue options are validated at runtime and refused ones change nothing", "[stealing][validation]") {
  poolify::FixedPool<int, int> pool(2, [](int x) { return x; });
  CHECK_THROWS_WITH(pool.set_tasks_queue_options({.concurrency = 0}),
                    "Invalid worker node tasks concurrency: 0 is a negative integer or zero");
  CHECK_THROWS_AS(pool.set_tasks_queue_options({.tasks_stealing_ratio = 1.5}), std::out_of_range);
  CHECK_THROWS_WITH(pool.enable_tasks_queue(true, poolify::TasksQueueOptions{.load_exponent = 0}),
                    "Invalid worker node tasks queue load exponent: must be greater than 0");
  CHECK(pool.tasks_queue_options().concurrency == 1);
  CHECK(pool.tasks_queue_options().tasks_stealing_ratio == 0.6);
  CHECK(pool.options().enable_tasks_queue);
  pool.set_tasks_queue_options({.size = 9, .task_stealing = false});
  CHECK(pool.tasks_queue_options().size == 9);
  CHECK_FALSE(pool.options().tasks_queue_options.task_stealing);
  CHECK(pool.execute(1).get() == 1);
}

TEST_CASE("the tasks queue can be disabled and enabled under load without losing a task", "[stealing]") {
  constexpr int tasks = 20'000;
  std::vector<std::atomic<int>> runs(tasks);
  poolify::FixedPool<int> pool(3, [&runs](int id) { runs[static_cast<std::size_t>(id)].fetch_add(1); },
                               {.worker_choice_strategy = WorkerChoiceStrategy::round_robin});
  std::thread producer([&] {
    for (int id = 0; id < tasks; ++id) static_cast<void>(pool.execute(id));
  });
  for (int round = 0; round < 200; ++round) {
    pool.enable_tasks_queue(round % 2 == 1);
    CHECK(pool.info().queued_tasks.has_value() == (round % 2 == 1));
  }
  pool.enable_tasks_queue(true, poolify::TasksQueueOptions{.tasks_stealing_ratio = 1.0});
  producer.join();
  pool.wait_idle();
  int wrong = 0;
  for (const auto& run : runs) wrong += run.load() == 1 ? 0 : 1;
  CHECK(wrong == 0);
  CHECK(pool.info().executed_tasks == tasks);
  CHECK(pool.tasks_queue_options().tasks_stealing_ratio == 1.0);
}
