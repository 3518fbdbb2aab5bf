// map_execute: one future for many tasks, responses in input order, fail-fast on the first
// exception with the other tasks cancelled or finished, and nothing lost.

#include <poolify/poolify.hpp>

#include <atomic>     // std::atomic
#include <list>       // std::list
#include <memory>     // std::unique_ptr, std::make_unique
#include <numeric>    // std::iota
#include <stop_token> // std::stop_token
#include <stdexcept>  // std::runtime_error, std::invalid_argument
#include <string>     // std::string
#include <vector>     // std::vector

#include "catch.hpp"
#include "support.hpp"

TEST_CASE("map_execute resolves the responses in input order", "[map_execute]") {
  poolify::FixedPool<int, int> pool(3, [](int x) { return x * x; });
  std::vector<int> input;
  for (int i = 0; i < 1000; ++i) input.push_back(i);
  poolify::Future<std::vector<int>> future = pool.map_execute(input);
  const std::vector<int> squares = future.get();
  REQUIRE(squares.size() == 1000);
  bool in_order = true;
  for (int i = 0; i < 1000; ++i) in_order = in_order && squares[static_cast<std::size_t>(i)] == i * i;
  CHECK(in_order);
  CHECK(input.size() == 1000);  // an lvalue range is copied from, not moved from
}

TEST_CASE("map_execute takes any input range (a list), and a named task function", "[map_execute]") {
  poolify::FixedPool<int, std::string> pool(
      2, {{"text", [](int x) { return std::to_string(x); }}, {"twice", [](int x) { return std::to_string(2 * x); }}});
  // (Views such as std::views::iota work too, but clang 14 cannot compile libstdc++ 12's.)
  CHECK(pool.map_execute(std::vector<int>{1, 2, 3}, "twice").get() == std::vector<std::string>{"2", "4", "6"});
  const std::list<int> list{7, 8};
  CHECK(pool.map_execute(list).get() == std::vector<std::string>{"7", "8"});  // the default: "text"
  CHECK_THROWS_AS(pool.map_execute(list, "missing"), std::invalid_argument);
}

TEST_CASE("map_execute of an empty range resolves at once", "[map_execute]") {
  poolify::FixedPool<int, int> pool(1, [](int x) { return x; });
  poolify::Future<std::vector<int>> future = pool.map_execute(std::vector<int>{});
  CHECK(future.ready());
  CHECK(future.get().empty());
  poolify::FixedPool<int> voids(1, [](int) {});
  poolify::Future<void> done = voids.map_execute(std::vector<int>{});
  CHECK(done.ready());
  done.get();
}

TEST_CASE("map_execute works for Response = void and move-only Data", "[map_execute]") {
  std::atomic<int> sum{0};
  poolify::FixedPool<std::unique_ptr<int>> pool(2, [&sum](std::unique_ptr<int> x) { sum.fetch_add(*x); });
  std::vector<std::unique_ptr<int>> input;
  for (int i = 1; i <= 100; ++i) input.push_back(std::make_unique<int>(i));
  poolify::Future<void> future = pool.map_execute(std::move(input));  // moved from, element by element
  future.get();
  CHECK(sum.load() == 5050);
}

TEST_CASE("map_execute fails fast: the first exception resolves it while other tasks still run", "[map_execute]") {
  // Task 0 blocks until the test opens the gate or its stop token is signalled; task 1 throws.
  // The whole fails before the gate opens, so it did not wait for task 0, whose token the
  // failure signals (cancelling it). Two workers, so that task 1 runs while task 0 blocks.
  test::Gate gate;
  std::atomic<int> ran{0};
  poolify::FixedPool<int, int> pool(2, [&](int x, std::stop_token token) -> int {
    ran.fetch_add(1);
    if (x == 0) {
      gate.wait(token);  // cancelled by the failure: its token is signalled
      return 0;
    }
    if (x == 1) throw std::runtime_error("task 1 failed");
    return x;
  });
  std::vector<int> input{0, 1};
  for (int i = 2; i < 200; ++i) input.push_back(i);
  poolify::Future<std::vector<int>> future = pool.map_execute(input);
  REQUIRE_THROWS_WITH(future.get(), "task 1 failed");
  gate.open();
  pool.wait_idle();
  // Nothing is lost: every task ran or was cancelled before it started.
  const poolify::PoolInfo info = pool.info();
  CHECK(info.failed_tasks == 1);
  CHECK(info.executed_tasks + info.failed_tasks == static_cast<std::uint64_t>(ran.load()));
  CHECK(ran.load() <= 200);
  CHECK(info.queued_tasks == 0);
  CHECK(info.executing_tasks == 0);
}

TEST_CASE("map_execute on a stopped pool is refused at the call", "[map_execute]") {
  poolify::FixedPool<int, int> pool(1, [](int x) { return x; }, {.start_workers = false});
  CHECK_THROWS_AS(pool.map_execute(std::vector<int>{1, 2}), poolify::PoolError);
}

TEST_CASE("map_execute inside a task, waited on with help, on one worker", "[map_execute][helping]") {
  poolify::FixedPool<int, int>* self = nullptr;
  poolify::FixedPool<int, int> pool(1, [&self](int x) {
    if (x < 100) return x + 1;
    int sum = 0;
    std::vector<int> input(50);
    std::iota(input.begin(), input.end(), 0);
    for (const int value : self->map_execute(input).get()) sum += value;
    return sum;
  });
  self = &pool;
  CHECK(pool.execute(100).get() == 50 * 51 / 2);
}

TEST_CASE("map_execute with many failures resolves once, with one of their exceptions", "[map_execute]") {
  poolify::FixedPool<int, int> pool(2, [](int x) -> int {
    if (x % 2 == 1) throw std::runtime_error("odd");
    return x;
  });
  for (int round = 0; round < 200; ++round) {
    std::vector<int> input(20);
    std::iota(input.begin(), input.end(), 0);
    poolify::Future<std::vector<int>> future = pool.map_execute(input);
    CHECK_THROWS_WITH(future.get(), "odd");
  }
  pool.wait_idle();
  const poolify::PoolInfo info = pool.info();
  CHECK(info.queued_tasks == 0);
  CHECK(info.executing_tasks == 0);
}
