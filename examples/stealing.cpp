// stealing: every task is put on node 0, which is stuck on a long task; the idle node 1 takes
// them all, by idle stealing and, each time node 0's queue reaches its back-pressure threshold
// (max size squared: 4 here), by back-pressure stealing. Prints where the tasks ran.
#include <poolify/poolify.hpp>

#include <atomic>    // std::atomic
#include <cstddef>   // std::size_t
#include <cstdio>    // std::printf
#include <latch>     // std::latch
#include <optional>  // std::optional
#include <vector>    // std::vector

namespace {

/// Puts every task on node 0, so that the other node only gets work by stealing.
struct OnlyNode0 {
  std::optional<std::size_t> choose(const poolify::WorkerNodesView&) { return 0; }
};

void print_nodes(const char* label, const poolify::Pool<int, int>& pool) {
  std::printf("%s:", label);
  for (const poolify::WorkerNodeInfo& node : pool.worker_nodes()) {
    std::printf("  node %zu ran %llu (stole %llu)", node.id, static_cast<unsigned long long>(node.tasks.executed),
                static_cast<unsigned long long>(node.tasks.stolen));
  }
  std::printf("\n");
}

}  // namespace

int main() {
  std::atomic<bool> release{false};
  std::latch long_task_started(1);
  poolify::FixedPool<int, int> pool(2, [&](int x) {
    if (x < 0) {  // the long task: holds its node until released
      long_task_started.count_down();
      while (!release.load()) {
      }
    }
    return x;
  });
  pool.set_worker_choice_strategy<OnlyNode0>();
  poolify::Future<int> long_task = pool.execute(-1);
  long_task_started.wait();
  std::vector<poolify::Future<int>> futures;
  for (int i = 0; i < 1000; ++i) futures.push_back(pool.execute(i));  // all queued on node 0
  long long sum = 0;
  for (auto& future : futures) sum += future.get();  // node 1 steals them while node 0 is busy
  print_nodes("stealing", pool);
  const bool stolen = pool.worker_nodes()[1].tasks.stolen == 1000;
  release.store(true);
  sum += long_task.get();

  poolify::PoolInfo info = pool.info();
  std::printf("sum %lld, executed %llu, stolen %llu, back pressure now: %s\n", sum,
              static_cast<unsigned long long>(info.executed_tasks),
              static_cast<unsigned long long>(info.stolen_tasks.value_or(0)),
              info.back_pressure.value_or(false) ? "yes" : "no");
  const bool ok = stolen && sum == 1000LL * 999 / 2 - 1 && info.executed_tasks == 1001;
  std::printf("%s\n", ok ? "stealing ok" : "WRONG");
  return ok ? 0 : 1;
}
