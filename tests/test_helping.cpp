// Helping waits: a task that waits on a future of its own pool runs other queued work meanwhile,
// so nested execute(...).get() does not deadlock, even on one worker; and the ways not to help.

#include <poolify/poolify.hpp>

#include <atomic>       // std::atomic
#include <chrono>       // std::chrono::milliseconds, std::chrono::seconds
#include <latch>        // std::latch
#include <stdexcept>    // std::runtime_error
#include <stop_token>   // std::stop_token
#include <thread>       // std::this_thread::get_id, std::thread::id
#include <vector>       // std::vector

#include "catch.hpp"
#include "support.hpp"

namespace {

/// fib(n) by recursive execute + get from inside the pool's own tasks.
struct Fib {
  poolify::FixedPool<int, long>* pool = nullptr;
  long operator()(int n) const {
    if (n < 2) return n;
    poolify::Future<long> left = pool->execute(n - 1);
    poolify::Future<long> right = pool->execute(n - 2);
    return left.get() + right.get();
  }
};

long fib(int n) { return n < 2 ? n : fib(n - 1) + fib(n - 2); }

}  // namespace

TEST_CASE("a pool of one worker computes fib(25) by nested execute().get()", "[helping]") {
  Fib function;
  poolify::FixedPool<int, long> pool(1, [&function](int n) { return function(n); });
  function.pool = &pool;
  CHECK(pool.execute(25).get() == 75025);
  pool.wait_idle();
  const poolify::PoolInfo info = pool.info();
  CHECK(info.executed_tasks == 242785);  // one task per call of fib(25)
  CHECK(info.failed_tasks == 0);
  CHECK(info.executing_tasks == 0);
  CHECK(info.queued_tasks == 0);
}

TEST_CASE("nested waits on several workers, with stealing, give the right results", "[helping]") {
  Fib function;
  poolify::FixedPool<int, long> pool(3, [&function](int n) { return function(n); });
  function.pool = &pool;
  std::vector<poolify::Future<long>> roots;
  for (int n = 10; n < 20; ++n) roots.push_back(pool.execute(n));
  for (int n = 10; n < 20; ++n) CHECK(roots[static_cast<std::size_t>(n - 10)].get() == fib(n));
}

TEST_CASE("wait() inside a task runs the node's queued tasks meanwhile", "[helping]") {
  // Node 0 runs the parent, which waits on a child that only node 1 may run; the child in turn
  // waits until `other` has run, and `other` may only run on node 0. Only a helping wait of the
  // parent can run it: without helping this would deadlock (the test's timeout would fire).
  test::Gate other_ran;
  std::latch parent_started(1);
  std::thread::id parent_thread;
  std::thread::id other_thread;
  poolify::FixedPool<int, int>* self = nullptr;
  poolify::FixedPool<int, int> pool(2, [](int x) { return x; }, {.start_workers = false});
  pool.add_task_function("parent", [&](int) {
    parent_thread = std::this_thread::get_id();
    parent_started.count_down();
    poolify::Future<int> child = self->execute(0, "child");
    child.wait();
    return child.get() + 1;
  }, {.worker_node_keys = std::vector<std::size_t>{0}});
  pool.add_task_function("child", [&](int) {
    other_ran.wait();
    return 1;
  }, {.worker_node_keys = std::vector<std::size_t>{1}});
  pool.add_task_function("other", [&](int) {
    other_thread = std::this_thread::get_id();
    other_ran.open();
    return 0;
  }, {.worker_node_keys = std::vector<std::size_t>{0}});
  self = &pool;
  pool.start();
  poolify::Future<int> parent = pool.execute(0, "parent");
  parent_started.wait();
  poolify::Future<int> other = pool.execute(0, "other");  // queued on node 0, behind the parent
  CHECK(parent.get() == 2);
  CHECK(other.get() == 0);
  CHECK(other_thread == parent_thread);  // it ran inside the parent's wait
}

TEST_CASE("wait(without_helping) and get(without_helping) block instead of helping", "[helping]") {
  // As above, but the parent waits without helping: `other` cannot run until the parent returns,
  // so the child sees it has not run (its bounded wait ends; that deadline cannot make the test
  // fail, only slower). The ordering is certain: only node 0 may run `other`.
  std::atomic<bool> other_ran{false};
  std::latch* parent_started = nullptr;  // a fresh one per round
  poolify::FixedPool<int, int>* self = nullptr;
  poolify::FixedPool<int, int> pool(2, [](int x) { return x; }, {.start_workers = false});
  pool.add_task_function("parent", [&](int mode) {
    parent_started->count_down();
    poolify::Future<int> child = self->execute(0, "child");
    if (mode == 0) {
      child.wait(poolify::without_helping);
      return child.get(poolify::without_helping);
    }
    return child.get(poolify::without_helping);
  }, {.worker_node_keys = std::vector<std::size_t>{0}});
  pool.add_task_function("child", [&](int) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(100);
    while (!other_ran.load() && std::chrono::steady_clock::now() < deadline) std::this_thread::yield();
    return other_ran.load() ? 1 : 0;
  }, {.worker_node_keys = std::vector<std::size_t>{1}});
  pool.add_task_function("other", [&](int) {
    other_ran.store(true);
    return 0;
  }, {.worker_node_keys = std::vector<std::size_t>{0}});
  self = &pool;
  pool.start();
  for (int mode = 0; mode < 2; ++mode) {
    other_ran.store(false);
    std::latch started(1);
    parent_started = &started;
    poolify::Future<int> parent = pool.execute(mode, "parent");
    started.wait();
    poolify::Future<int> other = pool.execute(0, "other");
    CHECK(parent.get() == 0);  // the child never saw `other` run
    CHECK(other.get() == 0);
    CHECK(other_ran.load());
  }
}

TEST_CASE("timed waits inside a task never help", "[helping]") {
  // One worker: the child is queued behind the parent and nothing else can run it.
  poolify::FixedPool<int, int>* self = nullptr;
  poolify::FixedPool<int, int> pool(1, [&self](int x) {
    if (x == 0) return 0;
    poolify::Future<int> child = self->execute(0);
    const poolify::FutureStatus status = child.wait_for(std::chrono::milliseconds(1));
    const bool still_queued = !child.ready();
    child.cancel();
    return status == poolify::FutureStatus::timeout && still_queued ? 1 : -1;
  });
  self = &pool;
  CHECK(pool.execute(1).get() == 1);
}

TEST_CASE("waiting on another pool's future from a task helps its own pool", "[helping]") {
  // The outer pool's only worker waits on the inner pool; meanwhile it runs its own queued work.
  poolify::FixedPool<int, int> inner(1, [](int x) { return x; });
  std::latch queued(1);
  std::atomic<int> ran{0};
  poolify::FixedPool<int, int> outer(1, [&](int x) {
    if (x == 0) {
      queued.wait();
      return inner.execute(5).get();
    }
    ran.fetch_add(1);
    return x;
  });
  poolify::Future<int> first = outer.execute(0);
  poolify::Future<int> second = outer.execute(7);
  queued.count_down();
  CHECK(first.get() == 5);
  CHECK(second.get() == 7);
  CHECK(ran.load() == 1);
}

TEST_CASE("a helped task that throws is reported to its own future only", "[helping]") {
  poolify::FixedPool<int, int>* self = nullptr;
  poolify::FixedPool<int, int> pool(1, [&self](int x) -> int {
    if (x < 0) throw std::runtime_error("child failed");
    poolify::Future<int> child = self->execute(-1);
    try {
      child.get();
    } catch (const std::runtime_error&) {
      return x;  // the parent goes on
    }
    return -1;
  });
  self = &pool;
  CHECK(pool.execute(3).get() == 3);
  pool.wait_idle();
  CHECK(pool.info().executed_tasks == 1);
  CHECK(pool.info().failed_tasks == 1);
}
