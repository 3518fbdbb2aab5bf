/// @file weighted_round_robin.hpp
/// @brief The weighted round robin strategy: each node in turn, for a share of time set by its weight.
#pragma once

#include <poolify/detail/spinlock.hpp>
#include <poolify/options.hpp>
#include <poolify/strategies/strategy.hpp>
#include <poolify/version.hpp>

#include <cstddef>   // std::size_t
#include <mutex>     // std::lock_guard
#include <optional>  // std::optional
#include <vector>    // std::vector

POOLIFY_NAMESPACE_BEGIN
namespace detail {

/// The weight (ms) of every node when `WorkerChoiceStrategyOptions::weights` is not given.
///
/// poolifier derives its default from the CPU clock (about 500 ms at 2 GHz), sized for worker
/// processes and long tasks. poolify's nodes are threads of one process, all on the same CPUs, so
/// their weights are equal whatever the rule; what the value sets is how much expected work a
/// node receives before the next one's turn. 1 ms keeps a burst of short tasks spread over the
/// nodes, where 500 ms would send hundreds of thousands of them to one node.
inline constexpr double default_weight_ms = 1.0;

/// The weights of `options`, or the default one for each of `max_size` nodes.
inline std::vector<double> weights_of(const WorkerChoiceStrategyOptions& options, std::size_t max_size) {
  if (options.weights) return *options.weights;
  return std::vector<double>(max_size, default_weight_ms);
}

/// The weight of node `key`: its entry, or the default for a key beyond them.
inline double weight_at(const std::vector<double>& weights, std::size_t key) noexcept {
  return key < weights.size() ? weights[key] : default_weight_ms;
}

/// What one pick adds to a node's share: its expected task time, or, before anything was measured
/// on it, a whole `slice` (so that a fresh pool goes round robin instead of piling up on node 0).
inline double pick_cost(const WorkerNodeView& node, const WorkerChoiceStrategyOptions& options, double slice) noexcept {
  const double cost = estimated_task_time(node, options);
  return cost > 0 ? cost : slice;
}

}  // namespace detail

/// Chooses each node in turn, staying on a node while the expected time of the tasks given to it
/// in this turn is below its weight (poolifier's WEIGHTED_ROUND_ROBIN; weights in ms, one per node
/// of the pool's max size, `detail::default_weight_ms` each by default). The expected time of a
/// task is the node's typical wait time plus its typical run time (medians with the `median`
/// options, else averages).
///
/// Unlike poolifier, a node on which nothing was measured yet counts each pick as its whole
/// weight, so a fresh pool goes round robin instead of sending every task to node 0 until one
/// finishes; and a node that is not eligible is passed over within the same choice.
class WeightedRoundRobinStrategy {
 public:
  /// A weighted round robin strategy for pools of up to `max_size` nodes.
  explicit WeightedRoundRobinStrategy(const WorkerChoiceStrategyOptions& options = {}, std::size_t max_size = 0)
      : options_(options), weights_(detail::weights_of(options, max_size)) {}

  /// The node whose turn it is, or nothing when no node is eligible.
  std::optional<std::size_t> choose(const WorkerNodesView& nodes) noexcept {
    const std::size_t size = nodes.size();
    if (size == 0) return std::nullopt;
    std::lock_guard lock(lock_);
    if (current_ >= size) advance(size);
    if (share_ >= weight(current_)) advance(size);
    for (std::size_t tried = 0; !nodes.eligible(current_); ++tried) {
      if (tried + 1 >= size) return std::nullopt;
      advance(size);
    }
    share_ += detail::pick_cost(nodes[current_], options_, weight(current_));
    return current_;
  }

  /// Wait time and run time (or ELU with `measurement = elu`), aggregates and averages (or medians).
  [[nodiscard]] TaskStatisticsRequirements requirements() const noexcept {
    return detail::estimated_task_time_requirements(options_);
  }

 private:
  [[nodiscard]] double weight(std::size_t key) const noexcept { return detail::weight_at(weights_, key); }
  void advance(std::size_t size) noexcept {
    current_ = current_ + 1 >= size ? 0 : current_ + 1;
    share_ = 0;
  }

  WorkerChoiceStrategyOptions options_;
  std::vector<double> weights_;
  detail::Spinlock lock_;
  std::size_t current_ = 0;  // guarded by lock_
  double share_ = 0;         // guarded by lock_: expected time given to current_ in this turn
};
static_assert(WorkerChoiceStrategyType<WeightedRoundRobinStrategy>);

POOLIFY_NAMESPACE_END
