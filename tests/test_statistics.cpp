// Statistics: pool-wide measurements in info(), measurements asked for in the options, per-task-
// function usage, info() read during a stress run, and the JSON export.

#include <poolify/poolify.hpp>

#include <atomic>     // std::atomic
#include <cstddef>    // std::size_t
#include <cstdint>    // std::uint64_t
#include <latch>      // std::latch
#include <limits>     // std::numeric_limits
#include <optional>   // std::optional
#include <stdexcept>  // std::runtime_error
#include <string>     // std::string
#include <thread>     // std::thread
#include <vector>     // std::vector

#include "catch.hpp"
#include "support.hpp"

namespace {

using poolify::MeasurementRequirements;
using poolify::WorkerChoiceStrategy;

/// A little work, so that run times are not all zero.
int busy_work(int x) {
  volatile int sum = 0;
  for (int i = 0; i < 2000; ++i) sum = sum + (i ^ x);
  return x + (sum & 0);
}

const poolify::TaskFunctionUsage& usage_of(const poolify::WorkerNodeInfo& node, const std::string& name) {
  for (const auto& function : node.task_functions) {
    if (function.name == name) return function;
  }
  FAIL("no usage for task function " << name);
  throw std::logic_error("unreachable");
}

/// The sum over nodes of a task function's counter.
template <class Get>
std::uint64_t total(const std::vector<poolify::WorkerNodeInfo>& nodes, const std::string& name, Get&& get) {
  std::uint64_t sum = 0;
  for (const auto& node : nodes) sum += get(usage_of(node, name).tasks);
  return sum;
}

}  // namespace

TEST_CASE("a pool that measures nothing shows no measurement in info", "[statistics]") {
  poolify::FixedPool<int, int> pool(2, busy_work);  // least used: needs no clock
  for (int i = 0; i < 100; ++i) (void)pool.execute(i);
  pool.wait_idle();
  const poolify::PoolInfo info = pool.info();
  CHECK_FALSE(info.run_time.has_value());
  CHECK_FALSE(info.wait_time.has_value());
  CHECK_FALSE(info.elu.has_value());
  CHECK_FALSE(info.utilization.has_value());
  for (const auto& node : pool.worker_nodes()) {
    CHECK(node.run_time.count == 0);
    CHECK(node.wait_time.count == 0);
  }
}

TEST_CASE("measurements asked for in the options are taken and combined over the nodes", "[statistics]") {
  const MeasurementRequirements all{.aggregate = true, .average = true, .median = true};
  poolify::FixedPool<int, int> pool(
      2,
      [](int x) {
        if (x % 10 == 0) throw std::runtime_error("ten");
        return busy_work(x);
      },
      {.worker_choice_strategy = WorkerChoiceStrategy::round_robin,
       .measurements = {.run_time = all, .wait_time = all, .elu = {.aggregate = true}}});
  CHECK(pool.task_statistics_requirements().run_time == all);
  for (int i = 1; i <= 200; ++i) (void)pool.execute(i);
  pool.wait_idle();
  const poolify::PoolInfo info = pool.info();
  REQUIRE(info.run_time.has_value());
  REQUIRE(info.wait_time.has_value());
  REQUIRE(info.elu.has_value());
  REQUIRE(info.utilization.has_value());
  CHECK(info.run_time->count == 180);  // as poolifier: a task that threw has no run time
  CHECK(info.wait_time->count == 200);
  CHECK(info.elu->active.count == 180);
  for (const poolify::MeasurementStatistics* m : {&*info.run_time, &*info.wait_time}) {
    CHECK(m->minimum >= 0);
    CHECK(m->minimum <= m->average);
    CHECK(m->average <= m->maximum);
    CHECK(m->minimum <= m->median);
    CHECK(m->median <= m->maximum);
    CHECK(m->aggregate >= m->maximum);
  }
  CHECK(*info.utilization >= 0);
  CHECK(*info.utilization <= 1);

  // The pool's figures are the nodes' put together.
  std::uint64_t run_count = 0;
  double run_aggregate = 0;
  double run_maximum = 0;
  for (const auto& node : pool.worker_nodes()) {
    run_count += node.run_time.count;
    run_aggregate += node.run_time.aggregate;
    run_maximum = std::max(run_maximum, node.run_time.maximum);
  }
  CHECK(run_count == info.run_time->count);
  CHECK(run_aggregate == Approx(info.run_time->aggregate));
  CHECK(run_maximum == info.run_time->maximum);
}

TEST_CASE("with one task function there is no per-function usage", "[statistics][task_functions]") {
  poolify::FixedPool<int, int> pool(2, [](int x) { return x; });
  CHECK(pool.execute(1).get() == 1);
  for (const auto& node : pool.worker_nodes()) CHECK(node.task_functions.empty());
}

TEST_CASE("with two task functions or more, each node keeps usage per function", "[statistics][task_functions]") {
  poolify::FixedPool<int, int> pool(
      2,
      {{"a", [](int x) { return x; }},
       {"b", [](int x) -> int {
          if (x % 4 == 0) throw std::runtime_error("b");
          return x;
        }}},
      {.measurements = {.run_time = {.aggregate = true}}});
  std::vector<poolify::Future<int>> futures;
  for (int i = 0; i < 30; ++i) futures.push_back(pool.execute(i, "a"));
  for (int i = 0; i < 20; ++i) futures.push_back(pool.execute(i, "b"));
  for (auto& future : futures) {
    try {
      future.get();
    } catch (const std::runtime_error&) {
    }
  }
  pool.wait_idle();
  const std::vector<poolify::WorkerNodeInfo> nodes = pool.worker_nodes();
  for (const auto& node : nodes) {
    REQUIRE(node.task_functions.size() == 2);
    CHECK(node.task_functions[0].name == "a");  // the pool's order, the default first
    CHECK(node.task_functions[1].name == "b");
  }
  CHECK(total(nodes, "a", [](const poolify::TaskStatistics& t) { return t.executed; }) == 30);
  CHECK(total(nodes, "a", [](const poolify::TaskStatistics& t) { return t.failed; }) == 0);
  CHECK(total(nodes, "b", [](const poolify::TaskStatistics& t) { return t.executed; }) == 15);
  CHECK(total(nodes, "b", [](const poolify::TaskStatistics& t) { return t.failed; }) == 5);
  std::uint64_t measured = 0;
  for (const auto& node : nodes) {
    measured += usage_of(node, "a").run_time.count + usage_of(node, "b").run_time.count;
    CHECK(usage_of(node, "a").tasks.executing == 0);
  }
  CHECK(measured == 45);

  // A replaced function keeps its usage; a removed and re-added one starts afresh.
  pool.add_task_function("a", [](int x) { return x + 1; });
  CHECK(pool.execute(1, "a").get() == 2);
  pool.wait_idle();
  CHECK(total(pool.worker_nodes(), "a", [](const poolify::TaskStatistics& t) { return t.executed; }) == 31);
  CHECK(pool.remove_task_function("b"));
  pool.add_task_function("b", [](int x) { return x; });
  CHECK(pool.execute(1, "b").get() == 1);
  pool.wait_idle();
  CHECK(total(pool.worker_nodes(), "b", [](const poolify::TaskStatistics& t) { return t.executed; }) == 1);
}

TEST_CASE("per-function usage counts the queued and executing tasks of each function", "[statistics][task_functions]") {
  test::Gate gate;
  std::latch blocked(1);
  poolify::FixedPool<int, int> pool(1, {{"block", [&](int x) {
                                           blocked.count_down();
                                           gate.wait();
                                           return x;
                                         }},
                                        {"a", [](int x) { return x; }},
                                        {"b", [](int x) { return x; }}});
  std::vector<poolify::Future<int>> futures;
  futures.push_back(pool.execute(0, "block"));
  blocked.wait();
  for (int i = 0; i < 3; ++i) futures.push_back(pool.execute(i, "a"));
  for (int i = 0; i < 2; ++i) futures.push_back(pool.execute(i, "b"));
  const poolify::WorkerNodeInfo node = pool.worker_nodes().at(0);
  CHECK(usage_of(node, "block").tasks.executing == 1);
  CHECK(usage_of(node, "a").tasks.queued == 3);
  CHECK(usage_of(node, "b").tasks.queued == 2);
  CHECK(usage_of(node, "a").tasks.executed == 0);
  gate.open();
  for (auto& future : futures) future.get();
  pool.wait_idle();
  const poolify::WorkerNodeInfo after = pool.worker_nodes().at(0);
  CHECK(usage_of(after, "a").tasks.queued == 0);
  CHECK(usage_of(after, "a").tasks.executed == 3);
  CHECK(usage_of(after, "block").tasks.executing == 0);
}

TEST_CASE("per-function usage counts the tasks a node stole", "[statistics][task_functions][stealing]") {
  test::Gate gate;
  std::latch blocked(1);
  poolify::FixedPool<int, int> pool(2,
                                    {{"block", [&](int x) {
                                        blocked.count_down();
                                        gate.wait();
                                        return x;
                                      }},
                                     {"a", [](int x) { return x; }}},
                                    {.worker_choice_strategy = WorkerChoiceStrategy::round_robin});
  poolify::Future<int> blocker = pool.execute(0, "block");  // node 0
  blocked.wait();
  std::vector<poolify::Future<int>> futures;
  for (int i = 0; i < 100; ++i) futures.push_back(pool.execute(i, "a"));  // half queued behind the blocker
  for (int i = 0; i < 100; ++i) CHECK(futures[static_cast<std::size_t>(i)].get() == i);  // node 1 stole them
  gate.open();
  blocker.get();
  pool.wait_idle();
  const std::vector<poolify::WorkerNodeInfo> nodes = pool.worker_nodes();
  CHECK(nodes[1].tasks.stolen >= 50);
  CHECK(usage_of(nodes[1], "a").tasks.stolen == nodes[1].tasks.stolen);
  CHECK(usage_of(nodes[1], "a").tasks.sequentially_stolen <= usage_of(nodes[1], "a").tasks.stolen);
}

TEST_CASE("info read in a loop during a stress run: counters never go backwards", "[statistics][stress]") {
  poolify::FixedPool<int, int> pool(2, [](int x) -> int {
    if (x % 7 == 0) throw std::runtime_error("seven");
    return x;
  });
  std::atomic<bool> done{false};
  std::size_t reads = 0;
  bool monotonic = true;
  bool bounded = true;
  std::thread reader([&] {
    poolify::PoolInfo last = pool.info();
    while (!done.load()) {
      const poolify::PoolInfo now = pool.info();
      monotonic = monotonic && now.executed_tasks >= last.executed_tasks && now.failed_tasks >= last.failed_tasks &&
                  now.stolen_tasks.value_or(0) >= last.stolen_tasks.value_or(0) &&
                  now.max_queued_tasks.value_or(0) >= last.max_queued_tasks.value_or(0);
      bounded = bounded && now.executing_tasks <= now.worker_nodes && now.idle_worker_nodes <= now.worker_nodes &&
                now.busy_worker_nodes <= now.worker_nodes &&
                now.idle_worker_nodes + now.busy_worker_nodes <= now.worker_nodes && now.executed_tasks + now.failed_tasks <= 200000;
      (void)pool.worker_nodes();
      last = now;
      ++reads;
    }
  });
  std::vector<std::thread> submitters;
  for (int t = 0; t < 2; ++t) {
    submitters.emplace_back([&pool, t] {
      for (int i = 0; i < 100000; ++i) (void)pool.execute(t * 100000 + i);
    });
  }
  for (std::thread& submitter : submitters) submitter.join();
  pool.wait_idle();
  done.store(true);
  reader.join();
  CHECK(reads > 0);
  CHECK(monotonic);
  CHECK(bounded);
  const poolify::PoolInfo info = pool.info();
  CHECK(info.executed_tasks + info.failed_tasks == 200000);
  CHECK(info.failed_tasks == 28572);  // multiples of 7 in [0, 200000)
  CHECK(info.queued_tasks == 0);
  CHECK(info.executing_tasks == 0);
}

TEST_CASE("to_json writes info with poolifier's keys, leaving out what info leaves out", "[statistics][json]") {
  poolify::PoolInfo info;
  info.version = "1.2.3";
  info.type = poolify::PoolType::dynamic;
  info.started = true;
  info.ready = true;
  info.strategy_retries = 1;
  info.default_strategy = WorkerChoiceStrategy::fair_share;
  info.min_size = 1;
  info.max_size = 4;
  info.worker_nodes = 2;
  info.idle_worker_nodes = 1;
  info.busy_worker_nodes = 1;
  info.dynamic_worker_nodes = 1;
  info.executed_tasks = 10;
  info.executing_tasks = 1;
  info.failed_tasks = 2;
  info.queued_tasks = 3;
  info.utilization = 0.5;
  info.run_time = poolify::MeasurementStatistics{4, 10.0, 1.0, 4.0, 2.5, 2.25};
  CHECK(poolify::to_json(info) ==
        R"({"version":"1.2.3","type":"dynamic","worker":"thread","started":true,"ready":true,"strategyRetries":1,)"
        R"("defaultStrategy":"FAIR_SHARE","minSize":1,"maxSize":4,"utilization":0.5,"workerNodes":2,)"
        R"("idleWorkerNodes":1,"busyWorkerNodes":1,"dynamicWorkerNodes":1,"executedTasks":10,"executingTasks":1,)"
        R"("failedTasks":2,"queuedTasks":3,"runTime":{"count":4,"aggregate":10,"minimum":1,"maximum":4,)"
        R"("average":2.5,"median":2.25}})");

  info.version = "quote\" and \\ and \n";
  info.utilization = std::numeric_limits<double>::quiet_NaN();
  const std::string text = poolify::to_json(info);
  CHECK(text.find(R"("version":"quote\" and \\ and \n")") != std::string::npos);
  CHECK(text.find(R"("utilization":null)") != std::string::npos);
}

TEST_CASE("to_json writes a pool's worker nodes and their per-function usage", "[statistics][json]") {
  poolify::FixedPool<int, int> pool(2, {{"a", [](int x) { return x; }}, {"b", [](int x) { return x; }}});
  CHECK(pool.execute(1, "a").get() == 1);
  CHECK(pool.execute(2, "b").get() == 2);
  pool.wait_idle();
  const std::string text = poolify::to_json(pool.worker_nodes());
  CHECK(text.front() == '[');
  CHECK(text.back() == ']');
  CHECK(text.find(R"({"id":0,"ready":true,"dynamic":false,"tasks":{"executed":)") == 1);
  CHECK(text.find(R"("taskFunctions":[{"name":"a","tasks":{"executed":)") != std::string::npos);
  // A task function's counters have no maxQueued (as poolifier's); a node's have.
  const std::size_t functions = text.find("taskFunctions");
  const std::size_t next_node = text.find(R"({"id":1,)");
  REQUIRE(functions < next_node);
  CHECK(text.find("maxQueued") < functions);
  CHECK(text.find("maxQueued", functions) > next_node);
  CHECK(text.find(R"({"id":1,)") != std::string::npos);
  const std::string info = poolify::to_json(pool.info());
  CHECK(info.find(R"("executedTasks":2)") != std::string::npos);
  CHECK(info.find(R"("queuedTasks":0)") != std::string::npos);
  CHECK(info.find("runTime") == std::string::npos);  // not measured
}
