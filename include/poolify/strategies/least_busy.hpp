/// @file least_busy.hpp
/// @brief The least busy strategy: the node that has spent the least time on its tasks.
#pragma once

#include <poolify/strategies/strategy.hpp>
#include <poolify/version.hpp>

#include <cstddef>   // std::size_t
#include <optional>  // std::optional

POOLIFY_NAMESPACE_BEGIN

/// Chooses the eligible node whose tasks have, in total, waited and run the least time so far
/// (poolifier's LEAST_BUSY: the smallest wait-time aggregate plus run-time aggregate). Requires both
/// aggregates, so the pool reads the clock around each task.
///
/// Unlike poolifier, ties (a fresh pool, where every total is 0) go to each node in turn, not
/// always to node 0, so a burst submitted before any task has finished is spread.
class LeastBusyStrategy {
 public:
  /// The eligible node of the smallest total, or nothing when no node is eligible.
  std::optional<std::size_t> choose(const WorkerNodesView& nodes) noexcept {
    return detail::choose_min(nodes, start_, [&nodes](std::size_t key) {
      const WorkerNodeView node = nodes[key];
      return node.wait_time().aggregate() + node.run_time().aggregate();
    });
  }

  /// The run-time and wait-time aggregates.
  [[nodiscard]] TaskStatisticsRequirements requirements() const noexcept {
    return {.run_time = {.aggregate = true}, .wait_time = {.aggregate = true}, .elu = {}};
  }

 private:
  detail::RotatingStart start_;
};
static_assert(WorkerChoiceStrategyType<LeastBusyStrategy>);

POOLIFY_NAMESPACE_END
