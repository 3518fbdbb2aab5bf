// The local deque: the tasks a worker's own tasks submit go onto a work-stealing deque of its node,
// which its worker pushes and takes with no lock, and other threads steal from. The deque alone
// (every item taken exactly once by the owner or a thief), then the pool around it: counting,
// overflow into the node's queue, cancellation racing the owner's take, and destroy.

#include <poolify/poolify.hpp>

#include <array>       // std::array
#include <atomic>      // std::atomic
#include <cstddef>     // std::size_t
#include <cstdint>     // std::int64_t, std::uint64_t
#include <latch>       // std::latch
#include <limits>      // std::numeric_limits
#include <memory>      // std::make_unique
#include <stdexcept>   // std::runtime_error
#include <stop_token>  // std::stop_source, std::stop_token
#include <thread>      // std::thread
#include <vector>      // std::vector

#include "catch.hpp"
#include "support.hpp"

namespace {

using Deque = poolify::detail::LocalDeque<int, 8>;
constexpr std::int64_t any_place = std::numeric_limits<std::int64_t>::min();

int* take_any(Deque& deque) {
  return deque.take(any_place);
}

}  // namespace

TEST_CASE("the local deque: the owner takes newest first, thieves oldest first, within its capacity", "[local_deque]") {
  auto deque = std::make_unique<Deque>();
  std::array<int, 9> items{};
  for (std::size_t i = 0; i < 8; ++i) {
    REQUIRE_FALSE(deque->full());
    deque->push(&items[i]);
  }
  CHECK(deque->full());
  CHECK(deque->size() == 8);
  CHECK(deque->steal() == &items[0]);
  CHECK(deque->steal() == &items[1]);
  CHECK_FALSE(deque->full());
  CHECK(take_any(*deque) == &items[7]);
  CHECK(take_any(*deque) == &items[6]);
  // A floor: only what was pushed from that place on.
  const std::int64_t mark = deque->mark();
  deque->push(&items[8]);
  CHECK(deque->take(mark) == &items[8]);
  CHECK(deque->take(mark) == nullptr);
  CHECK(deque->size() == 4);
  // The last item, and an empty deque, from both ends.
  CHECK(deque->steal() == &items[2]);
  CHECK(deque->steal() == &items[3]);
  CHECK(take_any(*deque) == &items[5]);
  CHECK(take_any(*deque) == &items[4]);
  CHECK(take_any(*deque) == nullptr);
  CHECK(deque->steal() == nullptr);
  CHECK(deque->size() == 0);
}

TEST_CASE("the local deque: an owner and two thieves take each item exactly once", "[local_deque][stress]") {
  // A small capacity, so that the ring wraps and fills often; the owner takes about one item in
  // three itself, the thieves steal the rest while it pushes.
  constexpr int items = 200000;
  auto deque = std::make_unique<Deque>();
  std::vector<int> values(items);
  std::vector<std::atomic<int>> taken(items);
  std::atomic<bool> done{false};
  std::atomic<int> stolen{0};
  const auto record = [&](const int* item) { taken[static_cast<std::size_t>(item - values.data())].fetch_add(1); };
  std::vector<std::thread> thieves;
  for (int thief = 0; thief < 2; ++thief) {
    thieves.emplace_back([&] {
      while (!done.load(std::memory_order_acquire) || deque->size() != 0) {
        if (int* item = deque->steal()) {
          record(item);
          stolen.fetch_add(1, std::memory_order_relaxed);
        }
      }
    });
  }
  int owned = 0;
  for (int i = 0; i < items; ++i) {
    while (deque->full()) {
      if (int* item = take_any(*deque)) {
        record(item);
        ++owned;
      }
    }
    deque->push(&values[static_cast<std::size_t>(i)]);
    if (i % 3 == 0) {
      if (int* item = take_any(*deque)) {
        record(item);
        ++owned;
      }
    }
  }
  while (int* item = take_any(*deque)) {
    record(item);
    ++owned;
  }
  done.store(true, std::memory_order_release);
  for (std::thread& thief : thieves) thief.join();
  int wrong = 0;
  for (const std::atomic<int>& count : taken) wrong += count.load() == 1 ? 0 : 1;
  CHECK(wrong == 0);
  CHECK(owned + stolen.load() == items);
}

TEST_CASE("a task's subtasks count as queued on its node, beyond the local deque too, and all run", "[local_deque]") {
  // One worker, so that nothing is stolen: the subtasks wait until their parent returns. More of
  // them than the local deque holds: the rest go to the node's queue.
  constexpr int subtasks = static_cast<int>(poolify::detail::WorkerNode<int, int>::local_capacity) * 3;
  std::vector<poolify::Future<int>> futures;
  std::atomic<std::uint64_t> queued_inside{0};
  std::atomic<std::uint64_t> node_queued_inside{0};
  poolify::FixedPool<int, int>* self = nullptr;
  poolify::FixedPool<int, int> pool(1, [&](int x) {
    if (x >= 0) return x * 2;
    for (int i = 0; i < subtasks; ++i) futures.push_back(self->execute(i));
    queued_inside = self->info().queued_tasks.value_or(0);
    node_queued_inside = self->worker_nodes().at(0).tasks.queued;
    return -1;
  });
  self = &pool;
  CHECK(pool.execute(-1).get() == -1);
  pool.wait_idle();
  CHECK(queued_inside.load() == static_cast<std::uint64_t>(subtasks));
  CHECK(node_queued_inside.load() == static_cast<std::uint64_t>(subtasks));
  int wrong = 0;
  for (int i = 0; i < subtasks; ++i) wrong += futures[static_cast<std::size_t>(i)].get() == i * 2 ? 0 : 1;
  CHECK(wrong == 0);
  const poolify::PoolInfo info = pool.info();
  CHECK(info.executed_tasks == static_cast<std::uint64_t>(subtasks) + 1);
  CHECK(info.queued_tasks == 0);
  CHECK(info.executing_tasks == 0);
}

TEST_CASE("a task blocked (not helping) on the subtask it submitted to its own node: another worker runs it", "[local_deque][stealing]") {
  // The reliability bar's work conservation, through the local deque: the parent blocks on a latch
  // only its subtask counts down, so the other worker (often asleep by then, its queue empty)
  // must see the push and steal the subtask. A lost wake-up hangs here (the test's timeout).
  constexpr int rounds = 1000;
  poolify::FixedPool<int, int>* self = nullptr;
  std::latch* meet = nullptr;
  poolify::FixedPool<int, int> pool(2, [&](int x) {
    if (x == 0) {
      meet->count_down();
      return 0;
    }
    poolify::Future<int> child = self->execute(0);
    meet->wait();  // blocks the worker: no helping
    return child.get() + x;
  });
  self = &pool;
  int wrong = 0;
  for (int round = 0; round < rounds; ++round) {
    std::latch latch(1);
    meet = &latch;
    wrong += pool.execute(1).get() == 1 ? 0 : 1;
  }
  CHECK(wrong == 0);
  pool.wait_idle();
  std::uint64_t stolen = 0;
  for (const poolify::WorkerNodeInfo& node : pool.worker_nodes()) stolen += node.tasks.stolen;
  CHECK(stolen == rounds);  // every subtask ran on the other worker
}

TEST_CASE("subtasks a task does not wait for run in the order it submitted them", "[local_deque]") {
  std::vector<int> order;  // written by the one worker only
  poolify::FixedPool<int, int>* self = nullptr;
  poolify::FixedPool<int, int> pool(1, [&](int x) {
    if (x >= 0) {
      order.push_back(x);
      return x;
    }
    for (int i = 0; i < 100; ++i) (void)self->execute(i);
    return -1;
  });
  self = &pool;
  CHECK(pool.execute(-1).get() == -1);
  pool.wait_idle();
  REQUIRE(order.size() == 100);
  int out_of_order = 0;
  for (int i = 0; i < 100; ++i) out_of_order += order[static_cast<std::size_t>(i)] == i ? 0 : 1;
  CHECK(out_of_order == 0);
}

TEST_CASE("between tasks, the worker takes its queue and its local deque in turns", "[local_deque]") {
  // One worker: its task queues three subtasks on its local deque, then waits until this thread
  // has queued three tasks on the node's queue. Neither kind waits for the other to run dry: the
  // local deque first (the queue gave the last task), then in turns, oldest first in each.
  std::vector<int> order;  // written by the one worker only
  std::latch pushed(1);
  std::latch queued(1);
  poolify::FixedPool<int, int>* self = nullptr;
  poolify::FixedPool<int, int> pool(1, [&](int x) {
    if (x >= 0) {
      order.push_back(x);
      return x;
    }
    for (int i = 1; i <= 3; ++i) (void)self->execute(i);  // local: 1, 2, 3
    pushed.count_down();
    queued.wait();
    return -1;
  });
  self = &pool;
  poolify::Future<int> parent = pool.execute(-1);
  pushed.wait();
  for (int i = 11; i <= 13; ++i) (void)pool.execute(i);  // the node's queue: 11, 12, 13
  queued.count_down();
  CHECK(parent.get() == -1);
  pool.wait_idle();
  CHECK(order == std::vector<int>{1, 11, 2, 12, 3, 13});
}

TEST_CASE("cancel racing a worker that takes its own subtasks: one outcome each, 100k times", "[local_deque][cancel]") {
  // Each round's parent submits `batch` subtasks to its own node, each cancellable through a stop
  // source of its own, waits until the canceller (this thread) has begun, and then waits for them
  // newest first: its helping wait takes them off its local deque while the canceller stops them
  // in the same order (the other worker steals some meanwhile). Per subtask: a value exactly when
  // it ran, TaskCancelled exactly when it did not; the counters agree.
  constexpr int batch = 64;
  constexpr int rounds = 100000 / batch + 1;
  std::array<std::atomic<int>, batch> ran{};
  std::array<std::stop_source, batch> sources;
  std::atomic<std::uint64_t> mismatches{0};
  std::atomic<std::uint64_t> cancelled{0};
  std::atomic<std::uint64_t> values{0};
  std::atomic<int> pushed_round{-1};     // the parent of that round has pushed its subtasks
  std::atomic<int> cancelling_round{-1};  // the canceller has begun on that round
  poolify::FixedPool<int, int>* self = nullptr;
  poolify::FixedPool<int, int> pool(2, [&](int x) {
    if (x < batch) {
      ran[static_cast<std::size_t>(x)].fetch_add(1, std::memory_order_relaxed);
      return x;
    }
    const int round = x - batch;
    std::vector<poolify::Future<int>> futures;
    futures.reserve(batch);
    for (int i = 0; i < batch; ++i) futures.push_back(self->execute(i, "default", sources[static_cast<std::size_t>(i)].get_token()));
    pushed_round.store(round, std::memory_order_release);
    while (cancelling_round.load(std::memory_order_acquire) != round) std::this_thread::yield();
    for (int i = batch - 1; i >= 0; --i) {
      const auto index = static_cast<std::size_t>(i);
      try {
        const int value = futures[index].get();
        mismatches += value == i && ran[index].load() == 1 ? 0 : 1;
        ++values;
      } catch (const poolify::TaskCancelled&) {
        mismatches += ran[index].load() == 0 ? 0 : 1;
        ++cancelled;
      }
    }
    return -1;
  });
  self = &pool;
  for (int round = 0; round < rounds && mismatches.load() == 0; ++round) {
    for (std::size_t i = 0; i < batch; ++i) {
      ran[i].store(0);
      sources[i] = std::stop_source();
    }
    poolify::Future<int> parent = pool.execute(batch + round);
    while (pushed_round.load(std::memory_order_acquire) != round) std::this_thread::yield();
    cancelling_round.store(round, std::memory_order_release);
    for (int i = batch - 1; i >= 0; --i) sources[static_cast<std::size_t>(i)].request_stop();
    REQUIRE(parent.get() == -1);
    pool.wait_idle();  // the subtasks a thief took may still be finishing their bookkeeping
  }
  CHECK(mismatches.load() == 0);
  CHECK(values.load() + cancelled.load() == static_cast<std::uint64_t>(rounds) * batch);
  const poolify::PoolInfo info = pool.info();
  CHECK(info.executed_tasks == values.load() + static_cast<std::uint64_t>(rounds));
  CHECK(info.queued_tasks == 0);
  CHECK(info.executing_tasks == 0);
  WARN("cancelled " << cancelled.load() << " ran " << values.load());
}

TEST_CASE("destroy resolves the subtasks left on a local deque as abandoned", "[local_deque][lifecycle]") {
  // One worker, whose task submits subtasks to its own node and then blocks until destroy()
  // signals its stop token: its subtasks are still on its local deque when destroy() stops
  // waiting for queued tasks (at once), and must resolve TaskAbandoned, none lost.
  constexpr int subtasks = 100;
  std::vector<poolify::Future<int>> futures;
  std::latch pushed(1);
  std::atomic<int> ran{0};
  poolify::FixedPool<int, int>* self = nullptr;
  poolify::FixedPool<int, int> pool(
      1,
      [&](int x, std::stop_token stop) {
        if (x >= 0) {
          ++ran;
          return x;
        }
        for (int i = 0; i < subtasks; ++i) futures.push_back(self->execute(i));
        pushed.count_down();
        test::Gate never;
        (void)never.wait(stop);
        return -1;
      },
      {.tasks_queue_options = {.tasks_finished_timeout = std::chrono::milliseconds(0)}});
  self = &pool;
  poolify::Future<int> parent = pool.execute(-1);
  pushed.wait();
  pool.destroy();
  CHECK(parent.get() == -1);
  int abandoned = 0;
  for (poolify::Future<int>& future : futures) {
    try {
      (void)future.get();
    } catch (const poolify::TaskAbandoned&) {
      ++abandoned;
    }
  }
  CHECK(abandoned == subtasks);
  CHECK(ran.load() == 0);
}
