/// @file least_used.hpp
/// @brief The least used strategy: the node with the fewest tasks executing and queued.
#pragma once

#include <poolify/strategies/strategy.hpp>
#include <poolify/version.hpp>

#include <cstddef>   // std::size_t
#include <cstdint>   // std::uint64_t
#include <limits>    // std::numeric_limits
#include <optional>  // std::optional

POOLIFY_NAMESPACE_BEGIN

/// Chooses the ready node with the fewest tasks executing plus queued (poolifier's LEAST_USED, the
/// default). Measures nothing.
///
/// Unlike poolifier, ties do not always go to the lowest key. Among equally loaded nodes, one whose
/// worker is awake wins over one whose worker sleeps (no wake-up to pay: a submit-and-wait loop
/// stays on the worker that just finished); among those, the scan starts just after the node chosen
/// last, so a burst on an idle pool spreads over all nodes instead of piling on node 0. An awake
/// node with nothing to do ends the scan at once.
class LeastUsedStrategy {
 public:
  /// The least loaded eligible node, or nothing when no node is eligible.
  std::optional<std::size_t> choose(const WorkerNodesView& nodes) noexcept {
    const std::size_t size = nodes.size();
    if (size == 0) return std::nullopt;
    const std::size_t start = start_.begin(size);
    std::optional<std::size_t> best;
    std::uint64_t best_cost = std::numeric_limits<std::uint64_t>::max();
    for (std::size_t offset = 0; offset < size; ++offset) {
      std::size_t key = start + offset;
      if (key >= size) key -= size;
      if (!nodes.eligible(key)) continue;
      const WorkerNodeView node = nodes[key];
      // Twice the load, plus one when the worker sleeps: a sleeper loses ties (a wake-up costs
      // microseconds) but never a comparison with a busy node, whose task may run for long.
      const std::uint64_t load = node.executing() + node.queued();
      const std::uint64_t cost = 2 * load + (load == 0 && node.asleep() ? 1 : 0);
      if (cost < best_cost) {
        best = key;
        best_cost = cost;
        if (cost == 0) break;
      }
    }
    if (best) start_.chose(*best);
    return best;
  }

 private:
  detail::RotatingStart start_;
};
static_assert(WorkerChoiceStrategyType<LeastUsedStrategy>);

POOLIFY_NAMESPACE_END
