#include <poolify/poolify.hpp>

#include <atomic>    // std::atomic
#include <cstddef>   // std::size_t
#include <latch>     // std::latch
#include <optional>  // std::optional
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
  std::vector<poolify::detail::NodeUsage> usage;
  std::vector<const poolify::detail::NodeUsage*> pointers;
};

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
  poolify::FixedPool<int> pool(3, [](int) {}, {.worker_choice_strategy = poolify::WorkerChoiceStrategy::round_robin});
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
