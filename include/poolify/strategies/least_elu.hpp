/// @file least_elu.hpp
/// @brief The least ELU strategy: the node whose worker has been active the least.
#pragma once

#include <poolify/strategies/strategy.hpp>
#include <poolify/version.hpp>

#include <cstddef>   // std::size_t
#include <optional>  // std::optional

POOLIFY_NAMESPACE_BEGIN

/// Chooses the eligible node of the smallest wait-time aggregate plus ELU active aggregate
/// (poolifier's LEAST_ELU).
///
/// ELU, poolifier's event loop utilization, is for a worker thread its active time against its idle
/// time: active while it runs a task, idle from the end of one task to the start of the next
/// (spinning, yielding or asleep). Per task the pool records the active time (the task's run time),
/// the idle time before it, and their ratio active / (active + idle).
///
/// Unlike poolifier, ties go to each node in turn, not always to node 0.
class LeastEluStrategy {
 public:
  /// The eligible node of the smallest total, or nothing when no node is eligible.
  std::optional<std::size_t> choose(const WorkerNodesView& nodes) noexcept {
    return detail::choose_min(nodes, start_, [&nodes](std::size_t key) {
      const WorkerNodeView node = nodes[key];
      return node.wait_time().aggregate() + node.elu_active().aggregate();
    });
  }

  /// The wait-time and ELU aggregates.
  [[nodiscard]] TaskStatisticsRequirements requirements() const noexcept {
    return {.run_time = {}, .wait_time = {.aggregate = true}, .elu = {.aggregate = true}};
  }

 private:
  detail::RotatingStart start_;
};
static_assert(WorkerChoiceStrategyType<LeastEluStrategy>);

POOLIFY_NAMESPACE_END
