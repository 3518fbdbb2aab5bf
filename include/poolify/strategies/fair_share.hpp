/// @file fair_share.hpp
/// @brief The fair share strategy: the node whose next task would end first.
#pragma once

#include <poolify/options.hpp>
#include <poolify/strategies/strategy.hpp>
#include <poolify/version.hpp>

#include <algorithm>  // std::max
#include <atomic>     // std::atomic
#include <cstddef>    // std::size_t
#include <memory>     // std::unique_ptr, std::make_unique
#include <optional>   // std::optional

POOLIFY_NAMESPACE_BEGIN

/// Chooses the eligible node on which one more task would end first (poolifier's FAIR_SHARE,
/// modelled after fair queueing): each node has a virtual end time, when the tasks given to it are
/// expected to be done; a task given to node k would end at max(now, end[k]) + its expected time on
/// k (typical wait time plus typical run time, or ELU active time with `measurement = elu`;
/// "typical" is the median with the `median` option, else the average).
///
/// Corrections of poolifier's algorithm: the chosen node's virtual end time moves forward when the
/// task is dispatched to it (poolifier moves it only when a task completes, so a burst submitted at
/// once piles up on one node); ties go to each node in turn, not always to node 0. poolifier also
/// measures ELU whatever `measurement` says; this strategy requires ELU only with
/// `measurement = elu`.
///
/// "Now" is the view's `now_ms()`: the pool's one clock reading per submission, and a time a test
/// sets, so that the strategy can be tested on a snapshot without timing.
class FairShareStrategy {
 public:
  /// A fair share strategy for pools of up to `max_size` nodes.
  explicit FairShareStrategy(const WorkerChoiceStrategyOptions& options = {}, std::size_t max_size = 0)
      : options_(options), size_(max_size), virtual_end_(std::make_unique<std::atomic<double>[]>(max_size)) {}

  /// The eligible node whose next task would end first, or nothing when no node is eligible.
  /// Concurrent submitters update the virtual end times without a lock: two racing choices may both
  /// count only one of their tasks, which the next choices absorb.
  std::optional<std::size_t> choose(const WorkerNodesView& nodes) noexcept {
    const double now = nodes.now_ms();
    const auto end_if_chosen = [&](std::size_t key) {
      const double start = key < size_ ? std::max(now, virtual_end_[key].load(std::memory_order_relaxed)) : now;
      return start + detail::estimated_task_time(nodes[key], options_);
    };
    const std::optional<std::size_t> key = detail::choose_min(nodes, start_, end_if_chosen);
    if (key && *key < size_) virtual_end_[*key].store(end_if_chosen(*key), std::memory_order_relaxed);
    return key;
  }

  /// Wait time and run time (or ELU), aggregates and averages (or medians).
  [[nodiscard]] TaskStatisticsRequirements requirements() const noexcept {
    return detail::estimated_task_time_requirements(options_);
  }

  /// The virtual end time of node `key`, in ms on the strategy's clock (0 before its first task).
  [[nodiscard]] double virtual_end(std::size_t key) const noexcept {
    return key < size_ ? virtual_end_[key].load(std::memory_order_relaxed) : 0;
  }

 private:
  WorkerChoiceStrategyOptions options_;
  std::size_t size_;
  std::unique_ptr<std::atomic<double>[]> virtual_end_;
  detail::RotatingStart start_;
};
static_assert(WorkerChoiceStrategyType<FairShareStrategy>);

POOLIFY_NAMESPACE_END
