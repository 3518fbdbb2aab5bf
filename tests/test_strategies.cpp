#include <poolify/poolify.hpp>

#include <atomic>    // std::atomic
#include <cstddef>   // std::size_t
#include <cstdint>   // std::uint64_t
#include <latch>     // std::latch
#include <optional>  // std::optional
#include <stdexcept>  // std::runtime_error
#include <thread>    // std::thread
#include <vector>    // std::vector

#include "catch.hpp"
#include "support.hpp"

namespace {

/// Counters a strategy can be tested against without a pool.
struct FakeNodes {
  explicit FakeNodes(std::size_t size) : usage(size) {
    for (auto& node : usage) {
      node.ready.store(true);
      pointers.push_back(&node);
    }
  }
  [[nodiscard]] poolify::WorkerNodesView view() const { return poolify::WorkerNodesView(pointers); }
  [[nodiscard]] poolify::WorkerNodesView view(const std::vector<unsigned char>& affinity) const {
    return poolify::WorkerNodesView(pointers, affinity.data());
  }
  /// The nodes as seen at `now_ms` (for fair share).
  [[nodiscard]] poolify::WorkerNodesView view_at(double now_ms) const {
    return poolify::WorkerNodesView(pointers, nullptr, now_ms);
  }
  /// Gives node `key` `samples` tasks that waited `wait` ms and ran `run` ms, with `idle` ms between.
  void measure(std::size_t key, int samples, double wait, double run, double idle = 0) {
    for (int i = 0; i < samples; ++i) {
      usage[key].wait_time.record(wait, true, true);
      usage[key].run_time.record(run, true, true);
      usage[key].elu_active.record(run, true, true);
      usage[key].elu_idle.record(idle, true, true);
    }
  }
  std::vector<poolify::detail::NodeUsage> usage;
  std::vector<const poolify::detail::NodeUsage*> pointers;
};

template <class Strategy>
std::vector<std::size_t> picks(Strategy& strategy, const poolify::WorkerNodesView& view, int count) {
  std::vector<std::size_t> chosen;
  for (int i = 0; i < count; ++i) chosen.push_back(strategy.choose(view).value());
  return chosen;
}


struct AlwaysFirst {
  std::optional<std::size_t> choose(const poolify::WorkerNodesView&) { return 0; }
};
struct NotAStrategy {
  int choose(int) { return 0; }
};

}  // namespace

static_assert(poolify::WorkerChoiceStrategyType<poolify::RoundRobinStrategy>);
static_assert(poolify::WorkerChoiceStrategyType<poolify::LeastUsedStrategy>);
static_assert(poolify::WorkerChoiceStrategyType<AlwaysFirst>);
static_assert(!poolify::WorkerChoiceStrategyType<NotAStrategy>);

TEST_CASE("round robin chooses each ready node in turn and skips nodes that are not ready", "[strategies]") {
  FakeNodes nodes(3);
  poolify::RoundRobinStrategy strategy;
  std::vector<std::size_t> chosen;
  for (int i = 0; i < 6; ++i) chosen.push_back(strategy.choose(nodes.view()).value());
  CHECK(chosen == std::vector<std::size_t>{0, 1, 2, 0, 1, 2});
  nodes.usage[1].ready.store(false);
  chosen.clear();
  for (int i = 0; i < 4; ++i) chosen.push_back(strategy.choose(nodes.view()).value());
  CHECK(chosen == std::vector<std::size_t>{0, 2, 0, 2});
  for (auto& node : nodes.usage) node.ready.store(false);
  CHECK_FALSE(strategy.choose(nodes.view()).has_value());
}

TEST_CASE("least used chooses the node with the fewest executing plus queued tasks", "[strategies]") {
  FakeNodes nodes(3);
  nodes.usage[0].queued.store(4);
  nodes.usage[1].executing.store(1);
  nodes.usage[1].queued.store(1);
  nodes.usage[2].queued.store(3);
  poolify::LeastUsedStrategy strategy;
  for (int i = 0; i < 5; ++i) CHECK(strategy.choose(nodes.view()) == std::optional<std::size_t>(1));
  nodes.usage[1].ready.store(false);
  CHECK(strategy.choose(nodes.view()) == std::optional<std::size_t>(2));
}

TEST_CASE("least used spreads ties instead of always taking node 0", "[strategies]") {
  FakeNodes nodes(4);
  poolify::LeastUsedStrategy strategy;
  std::vector<int> picks(4);
  for (int i = 0; i < 400; ++i) ++picks[strategy.choose(nodes.view()).value()];
  for (int count : picks) CHECK(count == 100);
}

TEST_CASE("least used prefers an awake node to a sleeping one of the same load, never to a less loaded one",
          "[strategies]") {
  FakeNodes nodes(3);
  nodes.usage[0].sleeping.store(1);
  nodes.usage[2].sleeping.store(1);
  poolify::LeastUsedStrategy strategy;
  for (int i = 0; i < 6; ++i) CHECK(strategy.choose(nodes.view()) == std::optional<std::size_t>(1));
  nodes.usage[1].executing.store(1);  // the awake node is busy now: an idle sleeper is better
  std::vector<int> picks(3);
  for (int i = 0; i < 6; ++i) ++picks[strategy.choose(nodes.view()).value()];
  CHECK(picks[1] == 0);
  CHECK(picks[0] > 0);  // ties among the sleepers still rotate
  CHECK(picks[2] > 0);
}

TEST_CASE("a round robin pool spreads a single submitter's tasks evenly", "[strategies][pool]") {
  // Without stealing (idle or on back pressure), the nodes run what the strategy gave them.
  poolify::FixedPool<int> pool(3, [](int) {}, {.worker_choice_strategy = poolify::WorkerChoiceStrategy::round_robin,
                                               .tasks_queue_options = {.task_stealing = false, .tasks_stealing_on_back_pressure = false}});
  for (int i = 0; i < 300; ++i) (void)pool.execute(i);
  pool.wait_idle();
  for (const auto& node : pool.worker_nodes()) CHECK(node.tasks.executed == 100);
  CHECK(pool.info().default_strategy == poolify::WorkerChoiceStrategy::round_robin);
}

TEST_CASE("a least used pool sends work away from a busy node", "[strategies][pool]") {
  test::Gate gate;
  std::latch started(1);
  poolify::FixedPool<int, int> pool(2, [&](int x) {
    if (x < 0) {
      started.count_down();
      gate.wait();
    }
    return x;
  });
  poolify::Future<int> blocker = pool.execute(-1);
  started.wait();
  for (int i = 0; i < 50; ++i) CHECK(pool.execute(i).get() == i);  // each sees the other node idle
  const auto nodes = pool.worker_nodes();
  CHECK(((nodes[0].tasks.executed == 50 && nodes[1].tasks.executed == 0) ||
         (nodes[0].tasks.executed == 0 && nodes[1].tasks.executed == 50)));
  CHECK(nodes[0].tasks.executing + nodes[1].tasks.executing == 1);
  gate.open();
  CHECK(blocker.get() == -1);
}

// ---------------------------------------------------------------- measurements

TEST_CASE("a measurement keeps totals and a moving average and median over its last samples", "[strategies][measurement]") {
  poolify::detail::MeasurementHistory history;
  for (double sample : {4.0, 1.0, 3.0, 2.0}) history.record(sample, true, true);
  CHECK(history.count() == 4);
  CHECK(history.aggregate() == 10.0);
  CHECK(history.minimum() == 1.0);
  CHECK(history.maximum() == 4.0);
  CHECK(history.average() == 2.5);
  CHECK(history.median() == 2.5);
  history.record(100.0, true, true);
  CHECK(history.median() == 3.0);
  // Only the last 386 samples count for the average and the median; the totals count them all.
  for (std::size_t i = 0; i < poolify::detail::measurement_history_size; ++i) history.record(1.0, true, true);
  CHECK(history.average() == 1.0);
  CHECK(history.median() == 1.0);
  CHECK(history.maximum() == 100.0);
  CHECK(history.count() == 5 + poolify::detail::measurement_history_size);
  poolify::detail::MeasurementHistory totals_only;
  totals_only.record(2.0, false, false);
  CHECK(totals_only.aggregate() == 2.0);
  CHECK(totals_only.average() == 0.0);  // not kept without a history
}

TEST_CASE("each strategy declares what it measures; round robin and least used measure nothing", "[strategies]") {
  using poolify::MeasurementRequirements;
  CHECK_FALSE(poolify::detail::StrategyModel<poolify::RoundRobinStrategy>().requirements().any());
  CHECK_FALSE(poolify::detail::StrategyModel<poolify::LeastUsedStrategy>().requirements().any());
  CHECK_FALSE(poolify::detail::StrategyModel<AlwaysFirst>().requirements().any());
  const poolify::TaskStatisticsRequirements busy = poolify::LeastBusyStrategy().requirements();
  CHECK(busy.run_time == MeasurementRequirements{.aggregate = true});
  CHECK(busy.wait_time == MeasurementRequirements{.aggregate = true});
  CHECK_FALSE(busy.elu.any());
  const poolify::TaskStatisticsRequirements elu = poolify::LeastEluStrategy().requirements();
  CHECK_FALSE(elu.run_time.any());
  CHECK(elu.elu == MeasurementRequirements{.aggregate = true});
  const poolify::TaskStatisticsRequirements fair = poolify::FairShareStrategy({}, 2).requirements();
  CHECK(fair.run_time == MeasurementRequirements{.aggregate = true, .average = true});
  CHECK(fair.wait_time == MeasurementRequirements{.aggregate = true, .average = true});
  CHECK_FALSE(fair.elu.any());
  // The median option swaps the average for the median; measurement = elu estimates by ELU.
  const poolify::TaskStatisticsRequirements fair_median =
      poolify::FairShareStrategy({.measurement = poolify::Measurement::elu, .elu = {.median = true}}, 2).requirements();
  CHECK_FALSE(fair_median.run_time.any());
  CHECK(fair_median.elu == MeasurementRequirements{.aggregate = true, .median = true});
  const poolify::TaskStatisticsRequirements weighted =
      poolify::WeightedRoundRobinStrategy({.run_time = {.median = true}}, 2).requirements();
  CHECK(weighted.run_time == MeasurementRequirements{.aggregate = true, .median = true});
  CHECK(weighted.wait_time == MeasurementRequirements{.aggregate = true, .average = true});
  CHECK(poolify::InterleavedWeightedRoundRobinStrategy({}, 2).requirements().run_time ==
        MeasurementRequirements{.aggregate = true, .average = true});
}

// ---------------------------------------------------------------- each strategy on a snapshot

TEST_CASE("least busy chooses the node whose tasks waited and ran the least in total", "[strategies]") {
  FakeNodes nodes(3);
  nodes.measure(0, 2, 1.0, 2.0);  // 6 ms in all
  nodes.measure(1, 4, 0.5, 0.5);  // 4 ms
  nodes.measure(2, 1, 3.0, 4.0);  // 7 ms
  poolify::LeastBusyStrategy strategy;
  CHECK(picks(strategy, nodes.view(), 4) == std::vector<std::size_t>{1, 1, 1, 1});
  nodes.usage[1].ready.store(false);
  CHECK(strategy.choose(nodes.view()) == std::optional<std::size_t>(0));
}

TEST_CASE("least busy and least ELU spread ties instead of always taking node 0", "[strategies]") {
  FakeNodes nodes(3);
  poolify::LeastBusyStrategy busy;
  poolify::LeastEluStrategy elu;
  std::vector<int> busy_picks(3);
  std::vector<int> elu_picks(3);
  for (int i = 0; i < 300; ++i) {
    ++busy_picks[busy.choose(nodes.view()).value()];
    ++elu_picks[elu.choose(nodes.view()).value()];
  }
  CHECK(busy_picks == std::vector<int>{100, 100, 100});
  CHECK(elu_picks == std::vector<int>{100, 100, 100});
}

TEST_CASE("least ELU chooses the node of the least wait time plus active time", "[strategies]") {
  FakeNodes nodes(3);
  nodes.measure(0, 1, 0.0, 5.0, 100.0);  // 5 ms active
  nodes.measure(1, 1, 4.0, 2.0, 0.0);    // 6 ms
  nodes.measure(2, 1, 1.0, 3.0, 0.0);    // 4 ms
  poolify::LeastEluStrategy strategy;
  CHECK(picks(strategy, nodes.view(), 3) == std::vector<std::size_t>{2, 2, 2});
  nodes.usage[2].ready.store(false);
  CHECK(strategy.choose(nodes.view()) == std::optional<std::size_t>(0));
}

TEST_CASE("fair share moves a node's virtual end time when it dispatches, so a burst is spread", "[strategies]") {
  FakeNodes nodes(2);
  nodes.measure(0, 1, 0.0, 1.0);  // a task takes 1 ms on either node
  nodes.measure(1, 1, 0.0, 1.0);
  poolify::FairShareStrategy strategy({}, 2);
  // No completion in between: poolifier would send every one of these to the same node.
  CHECK(picks(strategy, nodes.view_at(0.001), 6) == std::vector<std::size_t>{0, 1, 0, 1, 0, 1});
  CHECK(strategy.virtual_end(0) == 3.001);
  CHECK(strategy.virtual_end(1) == 3.001);
  // Later than every virtual end: both nodes start from now again.
  static_cast<void>(strategy.choose(nodes.view_at(10)));
  CHECK(strategy.virtual_end(0) + strategy.virtual_end(1) == 3.001 + 11.0);
}

TEST_CASE("fair share gives a node with slower tasks fewer of them", "[strategies]") {
  FakeNodes nodes(2);
  nodes.measure(0, 1, 0.0, 1.0);  // 1 ms per task
  nodes.measure(1, 1, 0.5, 2.25);  // 2.75 ms per task
  poolify::FairShareStrategy strategy({}, 2);
  // From time 1, ends if chosen: node 0 at 2, 3, 4, 5, 6; node 1 at 3.75, 6.5.
  CHECK(picks(strategy, nodes.view_at(1.0), 6) == std::vector<std::size_t>{0, 0, 1, 0, 0, 0});
  CHECK(strategy.virtual_end(0) == 6.0);
  CHECK(strategy.virtual_end(1) == 3.75);
  // With the median option it estimates by medians: node 1's median run time is now 0.
  nodes.usage[1].run_time.record(0.0, true, true);
  nodes.usage[1].run_time.record(0.0, true, true);
  nodes.usage[1].wait_time.record(0.0, true, true);
  nodes.usage[1].wait_time.record(0.0, true, true);
  poolify::FairShareStrategy by_median({.run_time = {.median = true}, .wait_time = {.median = true}}, 2);
  CHECK(picks(by_median, nodes.view_at(100.0), 3) == std::vector<std::size_t>{1, 1, 1});
}

TEST_CASE("fair share with measurement elu estimates by the ELU active time", "[strategies]") {
  FakeNodes nodes(2);
  nodes.usage[0].elu_active.record(5.0, true, false);  // node 0: long active time, short run time
  nodes.usage[0].run_time.record(0.1, true, false);
  nodes.usage[1].elu_active.record(1.0, true, false);
  nodes.usage[1].run_time.record(3.0, true, false);
  poolify::FairShareStrategy by_run_time({}, 2);
  poolify::FairShareStrategy by_elu({.measurement = poolify::Measurement::elu}, 2);
  CHECK(by_run_time.choose(nodes.view_at(1.0)) == std::optional<std::size_t>(0));
  CHECK(by_elu.choose(nodes.view_at(1.0)) == std::optional<std::size_t>(1));
}

TEST_CASE("weighted round robin stays on a node while its turn's expected time is below its weight",
          "[strategies]") {
  FakeNodes nodes(2);
  nodes.measure(0, 1, 0.25, 0.75);  // 1 ms expected per task
  nodes.measure(1, 1, 0.25, 0.75);
  poolify::WeightedRoundRobinStrategy strategy({.weights = std::vector<double>{2.0, 1.0}}, 2);
  CHECK(picks(strategy, nodes.view(), 6) == std::vector<std::size_t>{0, 0, 1, 0, 0, 1});
  nodes.usage[1].ready.store(false);  // passed over within the same choice
  CHECK(picks(strategy, nodes.view(), 3) == std::vector<std::size_t>{0, 0, 0});
}

TEST_CASE("weighted round robin goes round robin on nodes with nothing measured yet", "[strategies]") {
  FakeNodes nodes(3);
  poolify::WeightedRoundRobinStrategy strategy({}, 3);
  CHECK(picks(strategy, nodes.view(), 6) == std::vector<std::size_t>{0, 1, 2, 0, 1, 2});
}

TEST_CASE("interleaved weighted round robin spreads a heavy node's share over the rounds", "[strategies]") {
  FakeNodes nodes(2);
  nodes.measure(0, 1, 0.0, 1.0);  // 1 ms expected per task
  nodes.measure(1, 1, 0.0, 1.0);
  poolify::InterleavedWeightedRoundRobinStrategy strategy({.weights = std::vector<double>{3.0, 1.0}}, 2);
  // Rounds at weights 1 and 3: round 1 gives each node 1 ms, round 2 gives node 0 two more.
  CHECK(picks(strategy, nodes.view(), 8) == std::vector<std::size_t>{0, 1, 0, 0, 0, 1, 0, 0});
  nodes.usage[0].ready.store(false);
  CHECK(picks(strategy, nodes.view(), 3) == std::vector<std::size_t>{1, 1, 1});
  for (auto& node : nodes.usage) node.ready.store(false);
  CHECK_FALSE(strategy.choose(nodes.view()).has_value());
}

TEST_CASE("interleaved weighted round robin goes round robin with equal weights and nothing measured",
          "[strategies]") {
  FakeNodes nodes(3);
  poolify::InterleavedWeightedRoundRobinStrategy strategy({}, 3);
  CHECK(picks(strategy, nodes.view(), 6) == std::vector<std::size_t>{0, 1, 2, 0, 1, 2});
}

TEST_CASE("every built-in strategy chooses only nodes of the affinity set", "[strategies][affinity]") {
  FakeNodes nodes(4);
  nodes.measure(0, 1, 0.0, 0.1);  // node 0 looks the best to every measuring strategy
  const std::vector<unsigned char> affinity{0, 1, 0, 1};
  const poolify::WorkerNodesView view = nodes.view(affinity);
  poolify::RoundRobinStrategy round_robin;
  poolify::LeastUsedStrategy least_used;
  poolify::LeastBusyStrategy least_busy;
  poolify::LeastEluStrategy least_elu;
  poolify::FairShareStrategy fair_share({}, 4);
  poolify::WeightedRoundRobinStrategy weighted({}, 4);
  poolify::InterleavedWeightedRoundRobinStrategy interleaved({}, 4);
  const auto only_allowed = [](const std::vector<std::size_t>& chosen) {
    for (std::size_t key : chosen) {
      if (key != 1 && key != 3) return false;
    }
    return true;
  };
  CHECK(only_allowed(picks(round_robin, view, 20)));
  CHECK(only_allowed(picks(least_used, view, 20)));
  CHECK(only_allowed(picks(least_busy, view, 20)));
  CHECK(only_allowed(picks(least_elu, view, 20)));
  CHECK(only_allowed(picks(fair_share, view, 20)));
  CHECK(only_allowed(picks(weighted, view, 20)));
  CHECK(only_allowed(picks(interleaved, view, 20)));
  CHECK(picks(round_robin, view, 4) == std::vector<std::size_t>{1, 3, 1, 3});
}

// ---------------------------------------------------------------- strategies in a pool

namespace {

constexpr poolify::WorkerChoiceStrategy all_built_ins[] = {
    poolify::WorkerChoiceStrategy::round_robin,          poolify::WorkerChoiceStrategy::least_used,
    poolify::WorkerChoiceStrategy::least_busy,           poolify::WorkerChoiceStrategy::least_elu,
    poolify::WorkerChoiceStrategy::fair_share,           poolify::WorkerChoiceStrategy::weighted_round_robin,
    poolify::WorkerChoiceStrategy::interleaved_weighted_round_robin};

std::uint64_t executed(const std::vector<poolify::WorkerNodeInfo>& nodes) {
  std::uint64_t sum = 0;
  for (const auto& node : nodes) sum += node.tasks.executed;
  return sum;
}

/// A user-defined strategy: always the last eligible node; counts its calls.
struct LastEligible {
  explicit LastEligible(std::atomic<int>* calls) : calls_(calls) {}
  std::optional<std::size_t> choose(const poolify::WorkerNodesView& nodes) {
    calls_->fetch_add(1);
    for (std::size_t key = nodes.size(); key-- > 0;) {
      if (nodes.eligible(key)) return key;
    }
    return std::nullopt;
  }
  [[nodiscard]] poolify::TaskStatisticsRequirements requirements() const {
    return {.run_time = {.aggregate = true}, .wait_time = {}, .elu = {}};
  }
  std::atomic<int>* calls_;
};

struct NeverChooses {
  std::optional<std::size_t> choose(const poolify::WorkerNodesView&) { return std::nullopt; }
};

}  // namespace

TEST_CASE("every built-in strategy runs 10k real tasks, each exactly once", "[strategies][pool]") {
  for (poolify::WorkerChoiceStrategy strategy : all_built_ins) {
    CAPTURE(poolify::to_string(strategy));
    poolify::FixedPool<int, int> pool(3, [](int x) { return x * 2; }, {.worker_choice_strategy = strategy});
    std::vector<poolify::Future<int>> futures;
    for (int i = 0; i < 10'000; ++i) futures.push_back(pool.execute(i));
    long long sum = 0;
    for (auto& future : futures) sum += future.get();
    CHECK(sum == 2LL * (10'000LL * 9'999 / 2));
    pool.wait_idle();
    const poolify::PoolInfo info = pool.info();
    CHECK(info.default_strategy == strategy);
    CHECK(info.executed_tasks == 10'000);
    CHECK(info.executing_tasks == 0);
    CHECK(info.queued_tasks == std::optional<std::uint64_t>(0));
    CHECK(executed(pool.worker_nodes()) == 10'000);
  }
}

TEST_CASE("a pool measures only what its strategies need", "[strategies][pool][measurement]") {
  for (poolify::WorkerChoiceStrategy strategy :
       {poolify::WorkerChoiceStrategy::round_robin, poolify::WorkerChoiceStrategy::least_used}) {
    poolify::FixedPool<int, int> pool(2, [](int x) { return x; }, {.worker_choice_strategy = strategy});
    for (int i = 0; i < 100; ++i) CHECK(pool.execute(i).get() == i);
    CHECK_FALSE(pool.task_statistics_requirements().any());
    for (const auto& node : pool.worker_nodes()) {
      CHECK(node.run_time.count == 0);
      CHECK(node.wait_time.count == 0);
      CHECK(node.elu.active.count == 0);
    }
  }
  poolify::FixedPool<int, int> pool(2, [](int x) { return x; },
                                    {.worker_choice_strategy = poolify::WorkerChoiceStrategy::least_busy});
  for (int i = 0; i < 100; ++i) CHECK(pool.execute(i).get() == i);
  pool.wait_idle();
  std::uint64_t run_samples = 0;
  std::uint64_t wait_samples = 0;
  for (const auto& node : pool.worker_nodes()) {
    run_samples += node.run_time.count;
    wait_samples += node.wait_time.count;
    CHECK(node.elu.active.count == 0);  // least busy does not need ELU
    CHECK(node.run_time.average == 0);  // nor averages
  }
  CHECK(run_samples == 100);
  CHECK(wait_samples == 100);
}

TEST_CASE("a task that throws counts for its wait time only", "[strategies][pool][measurement]") {
  poolify::FixedPool<int, int> pool(1, [](int x) {
    if (x < 0) throw std::runtime_error("negative");
    return x;
  }, {.worker_choice_strategy = poolify::WorkerChoiceStrategy::least_elu});
  CHECK(pool.execute(1).get() == 1);
  CHECK_THROWS_AS(pool.execute(-1).get(), std::runtime_error);
  CHECK(pool.execute(2).get() == 2);
  const poolify::WorkerNodeInfo node = pool.worker_nodes().at(0);
  CHECK(node.wait_time.count == 3);
  CHECK(node.elu.active.count == 2);
  CHECK(node.elu.idle.count == 1);  // the first task has no idle time before it
  CHECK(node.elu.utilization.count == 1);
  CHECK(node.elu.utilization.maximum <= 1.0);
  CHECK(node.run_time.count == 0);  // least ELU does not need run times
}

TEST_CASE("the strategy can be changed at runtime under load, keeping usage statistics", "[strategies][pool]") {
  poolify::FixedPool<int, int> pool(2, [](int x) { return x; });
  for (int i = 0; i < 1000; ++i) static_cast<void>(pool.execute(i));
  pool.wait_idle();
  REQUIRE(executed(pool.worker_nodes()) == 1000);
  std::atomic<bool> stop{false};
  std::atomic<long long> sum{0};
  std::thread submitter([&] {
    int i = 0;
    while (!stop.load()) sum += pool.execute(i++ % 7).get();
  });
  for (int round = 0; round < 50; ++round) {
    for (poolify::WorkerChoiceStrategy strategy : all_built_ins) {
      pool.set_worker_choice_strategy(strategy);
      CHECK(pool.info().default_strategy == strategy);
    }
  }
  pool.set_worker_choice_strategy(poolify::WorkerChoiceStrategy::fair_share, poolify::WorkerChoiceStrategyOptions{
                                                                                  .run_time = {.median = true}});
  stop.store(true);
  submitter.join();
  pool.wait_idle();
  CHECK(executed(pool.worker_nodes()) >= 1000);  // nothing was reset
  CHECK(pool.info().executed_tasks == executed(pool.worker_nodes()));
  CHECK(pool.worker_choice_strategy_options().run_time.median);
  CHECK(pool.task_statistics_requirements().run_time.median);
  CHECK(pool.options().worker_choice_strategy == poolify::WorkerChoiceStrategy::fair_share);
}

TEST_CASE("invalid strategies and options are refused at runtime and change nothing", "[strategies][pool][validation]") {
  poolify::FixedPool<int, int> pool(2, [](int x) { return x; },
                                    {.worker_choice_strategy = poolify::WorkerChoiceStrategy::weighted_round_robin,
                                     .worker_choice_strategy_options = {.weights = std::vector<double>{2.0, 3.0}}});
  CHECK_THROWS_WITH(pool.set_worker_choice_strategy(poolify::WorkerChoiceStrategy::custom),
                    "Invalid worker choice strategy 'CUSTOM'");
  CHECK_THROWS_AS(pool.set_worker_choice_strategy(poolify::WorkerChoiceStrategy::round_robin,
                                                  poolify::WorkerChoiceStrategyOptions{.weights = std::vector<double>{1.0}}),
                  std::invalid_argument);
  CHECK_THROWS_WITH(
      pool.set_worker_choice_strategy_options({.weights = std::vector<double>{1.0, 2.0, 3.0}}),
      "Invalid worker choice strategy options: must have a weight for each worker node");
  CHECK_THROWS_AS(pool.set_worker_choice_strategy_options({.weights = std::vector<double>{1.0, -2.0}}),
                  std::out_of_range);
  CHECK_THROWS_WITH(pool.set_worker_choice_strategy_options({.measurement = static_cast<poolify::Measurement>(9)}),
                    "Invalid worker choice strategy options: invalid measurement '9'");
  CHECK(pool.worker_choice_strategy() == poolify::WorkerChoiceStrategy::weighted_round_robin);
  CHECK(pool.worker_choice_strategy_options().weights == std::vector<double>{2.0, 3.0});
  CHECK(pool.execute(5).get() == 5);
}

TEST_CASE("strategy options merge as poolifier's: measurement and weights are kept unless given",
          "[strategies][pool]") {
  poolify::FixedPool<int, int> pool(2, [](int x) { return x; },
                                    {.worker_choice_strategy = poolify::WorkerChoiceStrategy::fair_share,
                                     .worker_choice_strategy_options = {.measurement = poolify::Measurement::elu,
                                                                        .weights = std::vector<double>{2.0, 3.0}}});
  CHECK(pool.task_statistics_requirements().elu.any());
  pool.set_worker_choice_strategy_options({.wait_time = {.median = true}});
  const poolify::WorkerChoiceStrategyOptions options = pool.worker_choice_strategy_options();
  CHECK(options.measurement == poolify::Measurement::elu);
  CHECK(options.weights == std::vector<double>{2.0, 3.0});
  CHECK(options.wait_time.median);
  CHECK(pool.task_statistics_requirements().wait_time.median);
  pool.set_worker_choice_strategy_options({.measurement = poolify::Measurement::run_time});
  CHECK_FALSE(pool.task_statistics_requirements().elu.any());
  CHECK(pool.task_statistics_requirements().run_time.any());
  CHECK(pool.execute(3).get() == 3);
}

TEST_CASE("a task function's own strategy chooses the nodes for its tasks", "[strategies][pool][task_functions]") {
  poolify::FixedPool<int, int> pool(3,
                                    {{"echo", [](int x) { return x; }},
                                     {"spread", [](int x) { return x; },
                                      {.strategy = poolify::WorkerChoiceStrategy::round_robin}}},
                                    {.tasks_queue_options = {.task_stealing = false, .tasks_stealing_on_back_pressure = false}});
  CHECK(pool.info().default_strategy == poolify::WorkerChoiceStrategy::least_used);
  for (int i = 0; i < 300; ++i) static_cast<void>(pool.execute(i, "spread"));
  pool.wait_idle();
  for (const auto& node : pool.worker_nodes()) CHECK(node.tasks.executed == 100);
  // A function whose strategy measures turns measuring on; removing it turns it off.
  CHECK_FALSE(pool.task_statistics_requirements().any());
  pool.add_task_function("busy", [](int x) { return x; }, {.strategy = poolify::WorkerChoiceStrategy::least_busy});
  CHECK(pool.task_statistics_requirements().run_time.aggregate);
  CHECK(pool.execute(7, "busy").get() == 7);
  CHECK(pool.remove_task_function("busy"));
  CHECK_FALSE(pool.task_statistics_requirements().any());
  const auto list = pool.list_task_functions_properties();
  REQUIRE(list.size() == 2);
  CHECK(list[1].properties.strategy == poolify::WorkerChoiceStrategy::round_robin);
}

TEST_CASE("a task function with worker node keys runs only on those nodes, stealing or not",
          "[strategies][pool][affinity]") {
  poolify::FixedPool<int, int> pool(3, {{"any", [](int x) { return x; }},
                                        {"only1", [](int x) { return x; }, {.worker_node_keys = {1}}},
                                        {"not1", [](int x) { return x; },
                                         {.strategy = poolify::WorkerChoiceStrategy::round_robin,
                                          .worker_node_keys = {0, 2}}}});
  for (int i = 0; i < 100; ++i) static_cast<void>(pool.execute(i, "only1"));
  pool.wait_idle();
  auto nodes = pool.worker_nodes();
  CHECK(nodes[0].tasks.executed == 0);
  CHECK(nodes[1].tasks.executed == 100);
  CHECK(nodes[2].tasks.executed == 0);
  for (int i = 0; i < 100; ++i) static_cast<void>(pool.execute(i, "not1"));
  pool.wait_idle();
  nodes = pool.worker_nodes();
  CHECK(nodes[0].tasks.executed + nodes[2].tasks.executed == 100);  // idle nodes may steal among themselves
  CHECK(nodes[1].tasks.executed == 100);
  const auto list = pool.list_task_functions_properties();
  CHECK(list[1].properties.worker_node_keys == std::vector<std::size_t>{1});
}

TEST_CASE("a user-defined strategy is installed like a built-in one", "[strategies][pool][custom]") {
  std::atomic<int> calls{0};
  poolify::FixedPool<int, int> pool(3, [](int x) { return x + 1; });
  pool.set_worker_choice_strategy<LastEligible>(&calls);
  CHECK(pool.info().default_strategy == poolify::WorkerChoiceStrategy::custom);
  CHECK(pool.task_statistics_requirements().run_time.aggregate);  // its requirements are honoured
  for (int i = 0; i < 50; ++i) CHECK(pool.execute(i).get() == i + 1);
  CHECK(calls.load() == 50);
  const auto nodes = pool.worker_nodes();
  CHECK(nodes[2].tasks.executed == 50);
  CHECK(nodes[2].run_time.count == 50);
  // Options changes keep it; a built-in replaces it.
  pool.set_worker_choice_strategy_options({.wait_time = {.median = true}});
  CHECK(pool.worker_choice_strategy() == poolify::WorkerChoiceStrategy::custom);
  CHECK(pool.execute(1).get() == 2);
  CHECK(calls.load() == 51);
  pool.set_worker_choice_strategy(poolify::WorkerChoiceStrategy::round_robin);
  CHECK(pool.execute(1).get() == 2);
  CHECK(calls.load() == 51);
}

TEST_CASE("a strategy that chooses no node fails the execute with poolifier's message and queues nothing",
          "[strategies][pool][custom]") {
  poolify::FixedPool<int, int> pool(2, [](int x) { return x; });
  pool.set_worker_choice_strategy<NeverChooses>();
  CHECK_THROWS_WITH(pool.execute(1), "Worker node key chosen by CUSTOM is null or undefined after 4 retries (max: 4)");
  CHECK(pool.info().strategy_retries == 4);
  pool.wait_idle();  // nothing is in flight
  CHECK(pool.info().queued_tasks == std::optional<std::uint64_t>(0));
  pool.set_worker_choice_strategy(poolify::WorkerChoiceStrategy::least_used);
  CHECK(pool.execute(4).get() == 4);
  CHECK(pool.info().strategy_retries == 0);
}
