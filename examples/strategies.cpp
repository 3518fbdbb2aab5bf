// strategies: the same work on every built-in worker-choice strategy, a task function with its
// own strategy and node affinity, and a user-defined strategy; prints where the tasks ran.
#include <poolify/poolify.hpp>

#include <cstddef>   // std::size_t
#include <cstdint>   // std::uint64_t
#include <cstdio>    // std::printf
#include <optional>  // std::optional
#include <string>    // std::string
#include <vector>    // std::vector

namespace {

/// A little work whose length depends on its input.
std::uint64_t spin(std::uint64_t n) {
  std::uint64_t x = n;
  for (std::uint64_t i = 0; i < 2000 * (n % 7 + 1); ++i) x = x * 6364136223846793005ULL + 1442695040888963407ULL;
  return x;
}

/// A user-defined strategy: the eligible node with the fewest queued tasks, ties going to the one
/// whose tasks ran the shortest on average. It asks the pool for the run-time average.
class ShortestQueue {
 public:
  std::optional<std::size_t> choose(const poolify::WorkerNodesView& nodes) {
    std::optional<std::size_t> best;
    for (std::size_t key = 0; key < nodes.size(); ++key) {
      if (!nodes.eligible(key)) continue;
      if (!best || better(nodes[key], nodes[*best])) best = key;
    }
    return best;
  }
  [[nodiscard]] poolify::TaskStatisticsRequirements requirements() const {
    return {.run_time = {.aggregate = true, .average = true}, .wait_time = {}, .elu = {}};
  }

 private:
  static bool better(const poolify::WorkerNodeView& a, const poolify::WorkerNodeView& b) {
    const std::uint64_t load_a = a.queued() + a.executing();
    const std::uint64_t load_b = b.queued() + b.executing();
    if (load_a != load_b) return load_a < load_b;
    return a.run_time().average() < b.run_time().average();
  }
};

void print_nodes(const std::string& label, const poolify::Pool<std::uint64_t, std::uint64_t>& pool) {
  std::printf("%-34s", label.c_str());
  for (const poolify::WorkerNodeInfo& node : pool.worker_nodes()) {
    std::printf(" node %zu: %4llu tasks", node.id, static_cast<unsigned long long>(node.tasks.executed));
  }
  std::printf("\n");
}

bool run_all(poolify::Pool<std::uint64_t, std::uint64_t>& pool, const char* function) {
  std::vector<poolify::Future<std::uint64_t>> futures;
  for (std::uint64_t i = 0; i < 600; ++i) futures.push_back(pool.execute(i, function));
  for (std::uint64_t i = 0; i < futures.size(); ++i) {
    if (futures[i].get() != spin(i)) return false;
  }
  pool.wait_idle();
  return true;
}

}  // namespace

int main() {
  using poolify::WorkerChoiceStrategy;
  bool ok = true;
  for (WorkerChoiceStrategy strategy :
       {WorkerChoiceStrategy::round_robin, WorkerChoiceStrategy::least_used, WorkerChoiceStrategy::least_busy,
        WorkerChoiceStrategy::least_elu, WorkerChoiceStrategy::fair_share, WorkerChoiceStrategy::weighted_round_robin,
        WorkerChoiceStrategy::interleaved_weighted_round_robin}) {
    poolify::PoolOptions options{.worker_choice_strategy = strategy};
    if (strategy == WorkerChoiceStrategy::weighted_round_robin ||
        strategy == WorkerChoiceStrategy::interleaved_weighted_round_robin) {
      options.worker_choice_strategy_options.weights = std::vector<double>{0.3, 0.1, 0.1};  // ms of work per turn
    }
    poolify::FixedPool<std::uint64_t, std::uint64_t> pool(3, spin, options);
    ok = run_all(pool, "default") && ok;
    print_nodes(std::string(poolify::to_string(strategy)), pool);
  }

  // A task function with its own strategy, and one that may run only on nodes 0 and 2.
  poolify::FixedPool<std::uint64_t, std::uint64_t> pool(
      3, {{"spin", spin},
          {"spin_round_robin", spin, {.strategy = WorkerChoiceStrategy::round_robin}},
          {"spin_on_0_and_2", spin, {.worker_node_keys = {0, 2}}}});
  ok = run_all(pool, "spin_on_0_and_2") && ok;
  print_nodes("affinity {0, 2}", pool);
  ok = ok && pool.worker_nodes()[1].tasks.executed == 0;
  ok = run_all(pool, "spin_round_robin") && ok;
  print_nodes("then ROUND_ROBIN for one function", pool);

  // A user-defined strategy, installed like a built-in one.
  poolify::FixedPool<std::uint64_t, std::uint64_t> custom(3, spin);
  custom.set_worker_choice_strategy<ShortestQueue>();
  ok = run_all(custom, "default") && ok;
  print_nodes("user-defined ShortestQueue", custom);
  std::printf("%s\n", ok ? "all results correct" : "WRONG RESULTS");
  return ok ? 0 : 1;
}
