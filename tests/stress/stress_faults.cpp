// Stress: what user code throws at the pool.
//   - tasks throwing std::runtime_error, a type of their own, an int and std::bad_alloc from
//     several threads: get() rethrows each with its type, the pool keeps its workers and goes on;
//   - listeners that throw, next to listeners that read info() and submit tasks: nothing hangs,
//     every listener error reaches error_handler, every task ends;
//   - a Data whose move or copy throws on its N-th call, swept over N: execute() gives the strong
//     guarantee (it throws, nothing was queued, the counters did not move, the pool goes on);
//     map_execute() cancels the parts it had submitted and leaves no future unresolved.
#include "stress.hpp"

#include <algorithm>   // std::min
#include <atomic>      // std::atomic
#include <cstddef>     // std::size_t
#include <cstdint>     // std::uint64_t
#include <new>         // std::bad_alloc
#include <optional>    // std::optional
#include <stdexcept>   // std::runtime_error
#include <stop_token>  // std::stop_source
#include <string>      // std::string
#include <thread>      // std::thread
#include <utility>     // std::pair, std::move
#include <vector>      // std::vector

#include "../catch.hpp"

namespace {

struct OwnError {
  int code;
};

/// Counts down, in the thread that armed it, to a move or copy that throws.
thread_local int moves_left = -1;  // -1: disarmed

struct MoveBomb {};

struct FragileData {
  int value = 0;
  explicit FragileData(int v) : value(v) {}
  FragileData(const FragileData& other) : value(other.value) { tick(); }
  FragileData(FragileData&& other) : value(other.value) { tick(); }
  FragileData& operator=(const FragileData&) = default;
  FragileData& operator=(FragileData&&) = default;
  ~FragileData() = default;
  static void tick() {
    if (moves_left > 0 && --moves_left == 0) throw MoveBomb{};
  }
};

/// The counters that must not move when an execute() throws.
struct Counters {
  std::uint64_t executed = 0;
  std::uint64_t failed = 0;
  std::uint64_t queued = 0;
  std::uint64_t executing = 0;
  friend bool operator==(const Counters&, const Counters&) = default;
};

template <class Pool>
Counters counters(const Pool& pool) {
  Counters c;
  for (const poolify::WorkerNodeInfo& node : pool.worker_nodes()) {
    c.executed += node.tasks.executed;
    c.failed += node.tasks.failed;
    c.queued += node.tasks.queued;
    c.executing += node.tasks.executing;
  }
  return c;
}

}  // namespace

TEST_CASE("tasks throwing four kinds of things: each rethrown with its type, the pool goes on", "[stress][exceptions]") {
  stress::Watchdog watchdog("throwing tasks");
  poolify::FixedPool<int, int> pool(3, [](int x) -> int {
    switch (x % 5) {
      case 0: throw std::runtime_error("runtime error");
      case 1: throw OwnError{x};
      case 2: throw x;
      case 3: throw std::bad_alloc();
      default: return x;
    }
  });
  const std::size_t workers = pool.info().worker_nodes;
  const int per_thread = static_cast<int>(stress::scaled(5'000));
  constexpr int threads = 4;
  std::atomic<int> wrong{0};
  std::vector<std::thread> submitters;
  for (int t = 0; t < threads; ++t) {
    submitters.emplace_back([&, t] {
      for (int i = 0; i < per_thread; ++i) {
        const int x = t * per_thread + i;
        poolify::Future<int> future = pool.execute(x);
        const int kind = x % 5;
        try {
          const int got = future.get();
          if (kind != 4 || got != x) wrong.fetch_add(1);
        } catch (const std::runtime_error& error) {
          if (kind != 0 || std::string(error.what()) != "runtime error") wrong.fetch_add(1);
        } catch (const OwnError& error) {
          if (kind != 1 || error.code != x) wrong.fetch_add(1);
        } catch (int thrown) {
          if (kind != 2 || thrown != x) wrong.fetch_add(1);
        } catch (const std::bad_alloc&) {
          if (kind != 3) wrong.fetch_add(1);
        } catch (...) {
          wrong.fetch_add(1);
        }
      }
    });
  }
  for (std::thread& submitter : submitters) submitter.join();
  pool.wait_idle();
  CHECK(wrong.load() == 0);
  const poolify::PoolInfo info = pool.info();
  const auto total = static_cast<std::uint64_t>(threads * per_thread);
  CHECK(info.executed_tasks + info.failed_tasks == total);
  CHECK(info.executed_tasks == total / 5);
  CHECK(info.worker_nodes == workers);
  CHECK(pool.execute(4).get() == 4);
}

TEST_CASE("throwing listeners next to listeners that read info() and submit: nothing hangs", "[stress][events]") {
  stress::Watchdog watchdog("throwing listeners");
  std::atomic<std::uint64_t> handled{0};
  std::atomic<std::uint64_t> thrown{0};
  std::atomic<std::uint64_t> follow_ups{0};
  poolify::FixedPool<int, int>* self = nullptr;
  poolify::FixedPool<int, int> pool(2, [](int x) -> int {
    if (x % 3 == 0) throw std::runtime_error("task failed");
    return x;
  }, {.error_handler = [&](std::exception_ptr) { handled.fetch_add(1); }});
  self = &pool;
  pool.on(poolify::PoolEvent::task_error, [&](const poolify::Event&) {
    thrown.fetch_add(1);
    throw std::runtime_error("listener failed");
  });
  pool.on(poolify::PoolEvent::busy, [&](const poolify::Event&) {
    thrown.fetch_add(1);
    throw 42;  // not even an exception type
  });
  pool.on(poolify::PoolEvent::task_error, [&](const poolify::Event& event) {
    (void)self->info();  // a listener may read the pool...
    if (event.info.started) {
      self->execute(1);  // ...and submit to it (this one succeeds: 1 % 3 != 0)
      follow_ups.fetch_add(1);
    }
  });
  const int tasks = static_cast<int>(stress::scaled(20'000));
  std::vector<poolify::Future<int>> futures;
  futures.reserve(static_cast<std::size_t>(tasks));
  for (int i = 0; i < tasks; ++i) futures.push_back(pool.execute(i));
  stress::Tally tally;
  for (auto& future : futures) tally.settle(future);
  // The follow-up tasks come from listeners; wait until every one of them has run.
  for (;;) {
    pool.wait_idle();
    const poolify::PoolInfo info = pool.info();
    if (info.executed_tasks + info.failed_tasks == static_cast<std::uint64_t>(tasks) + follow_ups.load()) break;
  }
  CHECK(tally.errors.load() == static_cast<std::uint64_t>((tasks + 2) / 3));
  CHECK(tally.values.load() + tally.errors.load() == static_cast<std::uint64_t>(tasks));
  CHECK(follow_ups.load() == tally.errors.load());
  CHECK(handled.load() == thrown.load());  // every listener error was reported, none lost or doubled
  pool.destroy();
}

TEST_CASE("a Data whose move or copy throws on its N-th call: execute() gives the strong guarantee", "[stress][strong_guarantee]") {
  stress::Watchdog watchdog("throwing Data moves");
  poolify::FixedPool<FragileData, int> pool(2, [](FragileData data) { return data.value; });
  pool.add_task_function("twice", [](FragileData data) { return 2 * data.value; });
  pool.wait_idle();
  std::vector<std::pair<int, poolify::Future<int>>> accepted;  // expected value, future
  std::uint64_t threw = 0;
  const int sweep = static_cast<int>(std::min<std::uint64_t>(64, stress::scaled(16)));
  for (int variant = 0; variant < 3; ++variant) {
    for (int n = 1; n <= sweep; ++n) {
      pool.wait_idle();
      const Counters before = counters(pool);
      FragileData data(n);
      moves_left = n;
      try {
        poolify::Future<int> future;
        if (variant == 0) future = pool.execute(std::move(data));
        if (variant == 1) future = pool.execute(std::move(data), "twice");
        if (variant == 2) future = pool.execute(std::move(data), "twice", std::stop_source().get_token());
        moves_left = -1;
        accepted.emplace_back(variant == 0 ? n : 2 * n, std::move(future));
      } catch (const MoveBomb&) {
        moves_left = -1;
        ++threw;
        pool.wait_idle();
        CHECK(counters(pool) == before);  // nothing queued, run or counted
      }
    }
  }
  CHECK(threw > 0);  // the sweep reached moves inside execute()
  for (auto& [expected, future] : accepted) CHECK(future.get() == expected);
  const poolify::PoolInfo info = pool.info();
  CHECK(info.executed_tasks == accepted.size());
  CHECK(info.failed_tasks == 0);
}

TEST_CASE("a Data whose copy throws inside map_execute(): the parts submitted are cancelled, none left unresolved", "[stress][strong_guarantee]") {
  stress::Watchdog watchdog("throwing Data copies in map_execute");
  poolify::FixedPool<FragileData, int> pool(2, [](FragileData data) { return data.value; });
  const int sweep = static_cast<int>(std::min<std::uint64_t>(64, stress::scaled(24)));
  std::uint64_t threw = 0;
  for (int n = 1; n <= sweep; ++n) {
    std::vector<FragileData> inputs;
    for (int i = 0; i < 8; ++i) inputs.emplace_back(i);
    moves_left = n;
    try {
      poolify::Future<std::vector<int>> whole = pool.map_execute(inputs);  // copies each element
      moves_left = -1;
      const std::vector<int> results = whole.get();
      REQUIRE(results.size() == 8);
      for (int i = 0; i < 8; ++i) CHECK(results[static_cast<std::size_t>(i)] == i);
    } catch (const MoveBomb&) {
      moves_left = -1;
      ++threw;
    }
    pool.wait_idle();  // returns: every part that was submitted ended (ran or was cancelled)
    const poolify::PoolInfo info = pool.info();
    CHECK(info.queued_tasks == std::optional<std::uint64_t>(0));
    CHECK(info.executing_tasks == 0);
  }
  CHECK(threw > 0);
}
