#include <poolify/poolify.hpp>

#include <latch>    // std::latch
#include <mutex>    // std::mutex, std::lock_guard
#include <string>   // std::string
#include <vector>   // std::vector

#include "catch.hpp"
#include "support.hpp"

namespace {

/// A one-node pool whose "block" task holds the node until the gate opens, and whose "low",
/// "normal" and "high" tasks (priorities 10, 0, -10) record the order they run in.
struct Recorder {
  explicit Recorder(poolify::TasksQueueOptions queue)
      : pool(1,
             {{"block",
               [this](std::string) {
                 blocked.count_down();
                 gate.wait();
               }},
              {"low", [this](std::string id) { record(std::move(id)); }, {.priority = 10}},
              {"normal", [this](std::string id) { record(std::move(id)); }},
              {"high", [this](std::string id) { record(std::move(id)); }, {.priority = -10}}},
             {.tasks_queue_options = queue}) {
    static_cast<void>(pool.execute("", "block"));
    blocked.wait();
  }
  void record(std::string id) {
    std::lock_guard lock(mutex);
    order.push_back(std::move(id));
  }
  std::vector<std::string> run() {
    gate.open();
    pool.wait_idle();
    return order;
  }
  test::Gate gate;
  std::latch blocked{1};
  std::mutex mutex;
  std::vector<std::string> order;
  poolify::FixedPool<std::string> pool;
};

/// Waits until the steady clock, as the pool reads it, has moved on: ages differ afterwards.
void let_time_pass() {
  const double start = poolify::detail::now_ms();
  while (poolify::detail::now_ms() <= start) {
  }
}

}  // namespace

TEST_CASE("queued tasks run by priority, lower first, and in submission order among equals", "[priorities]") {
  Recorder recorder({.aging_factor = 0});
  for (const char* name : {"low", "normal", "high", "low", "high", "normal"}) {
    static_cast<void>(recorder.pool.execute(std::string(name) + std::to_string(recorder.pool.info().queued_tasks.value()), name));
  }
  CHECK(recorder.run() == std::vector<std::string>{"high2", "high4", "normal1", "normal5", "low0", "low3"});
}

TEST_CASE("aging lets a low-priority task that waited long enough run before newer urgent ones", "[priorities]") {
  // 10^6 priority points per ms: a microsecond of age outweighs the whole -20..19 range.
  Recorder aged({.aging_factor = 1e6});
  static_cast<void>(aged.pool.execute("low", "low"));
  let_time_pass();
  static_cast<void>(aged.pool.execute("high", "high"));
  CHECK(aged.run() == std::vector<std::string>{"low", "high"});
  // The same without aging: priority alone decides.
  Recorder unaged({.aging_factor = 0});
  static_cast<void>(unaged.pool.execute("low", "low"));
  let_time_pass();
  static_cast<void>(unaged.pool.execute("high", "high"));
  CHECK(unaged.run() == std::vector<std::string>{"high", "low"});
}

TEST_CASE("a pool whose task functions declare no priority queues in submission order", "[priorities]") {
  test::Gate gate;
  std::latch blocked(1);
  std::mutex mutex;
  std::vector<int> order;
  poolify::FixedPool<int> pool(1, [&](int x) {
    if (x < 0) {
      blocked.count_down();
      gate.wait();
      return;
    }
    std::lock_guard lock(mutex);
    order.push_back(x);
  });
  static_cast<void>(pool.execute(-1));
  blocked.wait();
  for (int i = 0; i < 100; ++i) static_cast<void>(pool.execute(i));
  gate.open();
  pool.wait_idle();
  std::vector<int> expected;
  for (int i = 0; i < 100; ++i) expected.push_back(i);
  CHECK(order == expected);
  // A task function added at runtime with a priority turns ordering on: its task overtakes.
  order.clear();
  CHECK(pool.add_task_function("urgent", [&](int x) {
    std::lock_guard lock(mutex);
    order.push_back(-x);
  }, {.priority = -5}));
  CHECK(pool.list_task_functions_properties()[1].properties.priority == -5);
  std::latch blocked_again(1);
  test::Gate gate_again;
  static_cast<void>(pool.add_task_function("block", [&](int) {
    blocked_again.count_down();
    gate_again.wait();
  }));
  static_cast<void>(pool.execute(0, "block"));
  blocked_again.wait();
  static_cast<void>(pool.execute(1));
  static_cast<void>(pool.execute(2));
  static_cast<void>(pool.execute(3, "urgent"));
  gate_again.open();
  pool.wait_idle();
  CHECK(order == std::vector<int>{-3, 1, 2});
  CHECK(pool.remove_task_function("urgent"));
}
