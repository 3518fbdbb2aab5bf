/// @file interleaved_weighted_round_robin.hpp
/// @brief The interleaved weighted round robin strategy: weighted turns, spread over rounds.
#pragma once

#include <poolify/detail/spinlock.hpp>
#include <poolify/options.hpp>
#include <poolify/strategies/strategy.hpp>
#include <poolify/strategies/weighted_round_robin.hpp>
#include <poolify/version.hpp>

#include <algorithm>  // std::sort, std::unique
#include <cstddef>    // std::size_t
#include <mutex>      // std::lock_guard
#include <optional>   // std::optional
#include <vector>     // std::vector

POOLIFY_NAMESPACE_BEGIN

/// Weighted round robin whose turns are interleaved (poolifier's INTERLEAVED_WEIGHTED_ROUND_ROBIN,
/// after Wikipedia's "interleaved weighted round robin"): the distinct weights, sorted, define
/// rounds; in round r, each node whose weight reaches the r-th weight in turn receives tasks worth
/// the difference between the r-th and the previous weight (expected task times, as in
/// `WeightedRoundRobinStrategy`). Over a whole cycle each node receives its weight's worth, in
/// slices instead of in one block.
///
/// Corrections of poolifier's algorithm: a node's slice in a round is the step between two
/// weights, not its whole weight (with the whole weight, the heavy node's turn comes in one block
/// and the rounds interleave nothing), and each round scans the nodes from the first (poolifier
/// resumes the next round from the node where the previous one ended). Before anything is
/// measured on a node, a pick counts as its whole slice, so a fresh pool does not pile up on node
/// 0. A choice that finds no eligible node in a whole cycle returns nothing (the pool retries).
class InterleavedWeightedRoundRobinStrategy {
 public:
  /// An interleaved weighted round robin strategy for pools of up to `max_size` nodes.
  explicit InterleavedWeightedRoundRobinStrategy(const WorkerChoiceStrategyOptions& options = {},
                                                 std::size_t max_size = 0)
      : options_(options), weights_(detail::weights_of(options, max_size)), rounds_(weights_) {
    std::sort(rounds_.begin(), rounds_.end());
    rounds_.erase(std::unique(rounds_.begin(), rounds_.end()), rounds_.end());
    if (rounds_.empty()) rounds_.push_back(detail::default_weight_ms);
  }

  /// The next node in the interleaved order, or nothing when no node is eligible.
  std::optional<std::size_t> choose(const WorkerNodesView& nodes) noexcept {
    const std::size_t size = nodes.size();
    if (size == 0) return std::nullopt;
    std::lock_guard lock(lock_);
    if (current_ >= size) next_node(size);
    // Every (round, node) position once, and the one we are at twice (its slice may be used up).
    const std::size_t positions = rounds_.size() * size + 1;
    for (std::size_t step = 0; step < positions; ++step) {
      const double slice = rounds_[round_] - (round_ == 0 ? 0.0 : rounds_[round_ - 1]);
      if (nodes.eligible(current_) && weight(current_) >= rounds_[round_] && share_ < slice) {
        share_ += detail::pick_cost(nodes[current_], options_, slice);
        return current_;
      }
      next_node(size);
    }
    return std::nullopt;
  }

  /// Wait time and run time (or ELU with `measurement = elu`), aggregates and averages (or medians).
  [[nodiscard]] TaskStatisticsRequirements requirements() const noexcept {
    return detail::estimated_task_time_requirements(options_);
  }

 private:
  [[nodiscard]] double weight(std::size_t key) const noexcept { return detail::weight_at(weights_, key); }
  void next_node(std::size_t size) noexcept {
    share_ = 0;
    if (current_ + 1 < size) {
      ++current_;
      return;
    }
    current_ = 0;
    round_ = round_ + 1 == rounds_.size() ? 0 : round_ + 1;
  }

  WorkerChoiceStrategyOptions options_;
  std::vector<double> weights_;
  std::vector<double> rounds_;  // distinct weights, ascending
  detail::Spinlock lock_;
  std::size_t round_ = 0;       // guarded by lock_
  std::size_t current_ = 0;     // guarded by lock_
  double share_ = 0;            // guarded by lock_: expected time given to current_ in this round
};
static_assert(WorkerChoiceStrategyType<InterleavedWeightedRoundRobinStrategy>);

POOLIFY_NAMESPACE_END
