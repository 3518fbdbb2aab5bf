/// @file strategy.hpp
/// @brief The worker-choice strategy concept, the view of the nodes a strategy chooses among, and
/// what a strategy may ask the pool to measure.
#pragma once

#include <poolify/detail/measurement.hpp>
#include <poolify/detail/node_usage.hpp>
#include <poolify/options.hpp>
#include <poolify/version.hpp>

#include <atomic>       // std::atomic
#include <concepts>     // std::same_as
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint64_t
#include <optional>     // std::optional
#include <span>         // std::span
#include <utility>      // std::forward

POOLIFY_NAMESPACE_BEGIN

/// One measurement of one node, in milliseconds, as a strategy reads it. Each figure is read on its
/// own, without a lock; it may be a moment old. Figures the pool does not measure stay 0.
class MeasurementView {
 public:
  /// A view of `history` (the pool makes these; a test may too).
  explicit MeasurementView(const detail::MeasurementHistory& history) noexcept : history_(&history) {}
  /// Samples recorded.
  [[nodiscard]] std::uint64_t count() const noexcept { return history_->count(); }
  /// Sum of all samples.
  [[nodiscard]] double aggregate() const noexcept { return history_->aggregate(); }
  /// Smallest sample.
  [[nodiscard]] double minimum() const noexcept { return history_->minimum(); }
  /// Largest sample.
  [[nodiscard]] double maximum() const noexcept { return history_->maximum(); }
  /// Average of the last samples (kept when a strategy requires the average or the median).
  [[nodiscard]] double average() const noexcept { return history_->average(); }
  /// Median of the last samples (kept when a strategy requires it).
  [[nodiscard]] double median() const noexcept { return history_->median(); }
  /// The median when `median`, else the average: what the `median` option chooses.
  [[nodiscard]] double typical(bool median) const noexcept { return median ? this->median() : average(); }

 private:
  const detail::MeasurementHistory* history_;
};

/// A read-only view of one worker node's load, as a strategy sees it. Reading it takes no lock;
/// values may be a moment old.
class WorkerNodeView {
 public:
  /// A view of a node's counters `usage` (the pool makes these; a test may too).
  explicit WorkerNodeView(const detail::NodeUsage& usage) noexcept : usage_(&usage) {}
  /// Whether the node accepts tasks; strategies choose only ready nodes.
  [[nodiscard]] bool ready() const noexcept { return usage_->ready.load(std::memory_order_relaxed); }
  /// Tasks running on the node now.
  [[nodiscard]] std::uint64_t executing() const noexcept { return usage_->executing.load(std::memory_order_relaxed); }
  /// Tasks waiting in the node's queue now.
  [[nodiscard]] std::uint64_t queued() const noexcept { return usage_->queued.load(std::memory_order_relaxed); }
  /// Whether the node's worker is asleep: giving it a task costs a wake-up (microseconds), while a
  /// worker that is awake and idle picks a task up at once.
  [[nodiscard]] bool asleep() const noexcept { return usage_->sleeping.load(std::memory_order_relaxed) != 0; }
  /// Tasks the node ran and that returned.
  [[nodiscard]] std::uint64_t executed() const noexcept { return usage_->executed.load(std::memory_order_relaxed); }
  /// Tasks the node ran and that threw.
  [[nodiscard]] std::uint64_t failed() const noexcept { return usage_->failed.load(std::memory_order_relaxed); }
  /// Run time of its tasks (measured when required).
  [[nodiscard]] MeasurementView run_time() const noexcept { return MeasurementView(usage_->run_time); }
  /// Wait time of its tasks, submission to start (measured when required).
  [[nodiscard]] MeasurementView wait_time() const noexcept { return MeasurementView(usage_->wait_time); }
  /// ELU active time: per task, the time the worker ran it (measured when required).
  [[nodiscard]] MeasurementView elu_active() const noexcept { return MeasurementView(usage_->elu_active); }
  /// ELU idle time: per task, the time the worker had nothing to run before it.
  [[nodiscard]] MeasurementView elu_idle() const noexcept { return MeasurementView(usage_->elu_idle); }
  /// ELU utilization: per task, active / (active + idle), between 0 and 1.
  [[nodiscard]] MeasurementView elu_utilization() const noexcept { return MeasurementView(usage_->elu_utilization); }

 private:
  const detail::NodeUsage* usage_;
};

/// The worker nodes of a pool, indexed by node key, as a strategy sees them for one choice. A task
/// function with `worker_node_keys` restricts the choice: only `eligible` nodes may be chosen.
class WorkerNodesView {
 public:
  /// The nodes `nodes`, all of them eligible when ready; with `affinity`, only the keys whose
  /// entry is non-zero (`affinity` has at least `nodes.size()` entries). `now_ms`, when above 0, is
  /// the time of the choice (ms on the steady clock) if the caller has already read the clock.
  explicit WorkerNodesView(std::span<const detail::NodeUsage* const> nodes, const unsigned char* affinity = nullptr,
                           double now_ms = 0) noexcept
      : nodes_(nodes), affinity_(affinity), now_ms_(now_ms) {}
  /// How many nodes there are.
  [[nodiscard]] std::size_t size() const noexcept { return nodes_.size(); }
  /// The node with key `key` (< size()).
  [[nodiscard]] WorkerNodeView operator[](std::size_t key) const noexcept { return WorkerNodeView(*nodes_[key]); }
  /// Whether the node `key` (< size()) may run the task: it is ready and in the task function's
  /// affinity set, if it has one. Strategies choose only eligible nodes.
  [[nodiscard]] bool eligible(std::size_t key) const noexcept {
    return (affinity_ == nullptr || affinity_[key] != 0) && nodes_[key]->ready.load(std::memory_order_relaxed);
  }

  /// The time of this choice, in ms on the steady clock, as measurements are kept. The pool reads
  /// the clock once per submission when it measures wait times, and a strategy that needs the time
  /// gets that reading instead of a second one.
  [[nodiscard]] double now_ms() const noexcept { return now_ms_ > 0 ? now_ms_ : detail::now_ms(); }

 private:
  std::span<const detail::NodeUsage* const> nodes_;
  const unsigned char* affinity_;
  double now_ms_;
};

/// A worker-choice strategy: `choose(nodes)` returns the key of an eligible node
/// (`nodes.eligible(key)`), or nothing when it cannot choose now (the pool then retries, as
/// poolifier does, and fails the `execute` after its retries). It is called from every thread that
/// submits, at once, so it must be thread-safe; it should read the nodes and write only its own
/// state.
///
/// A strategy may also have `TaskStatisticsRequirements requirements() const`, saying what the pool
/// must measure for it; without one it gets no measurements (and costs no clock read).
///
/// @code{.cpp}
/// struct FirstEligible {
///   std::optional<std::size_t> choose(const poolify::WorkerNodesView& nodes) {
///     for (std::size_t key = 0; key < nodes.size(); ++key) {
///       if (nodes.eligible(key)) return key;
///     }
///     return std::nullopt;
///   }
/// };
/// static_assert(poolify::WorkerChoiceStrategyType<FirstEligible>);
/// @endcode
template <class S>
concept WorkerChoiceStrategyType = requires(S& strategy, const WorkerNodesView& nodes) {
  { strategy.choose(nodes) } -> std::same_as<std::optional<std::size_t>>;
};

namespace detail {

template <class S>
concept HasRequirements = requires(const S& strategy) {
  { strategy.requirements() } -> std::same_as<TaskStatisticsRequirements>;
};

/// Fails the build, naming what is missing, for a type that is not a worker-choice strategy.
template <class S>
constexpr void check_strategy_type() noexcept {
  static_assert(requires(S& strategy, const WorkerNodesView& nodes) { strategy.choose(nodes); },
                "poolify: a worker-choice strategy needs a member function "
                "`std::optional<std::size_t> choose(const poolify::WorkerNodesView&)`");
  if constexpr (requires(S& strategy, const WorkerNodesView& nodes) { strategy.choose(nodes); }) {
    static_assert(
        requires(S& strategy, const WorkerNodesView& nodes) {
          { strategy.choose(nodes) } -> std::same_as<std::optional<std::size_t>>;
        },
        "poolify: a worker-choice strategy's choose(nodes) must return std::optional<std::size_t>");
  }
  static_assert(!requires(const S& strategy) { strategy.requirements(); } || HasRequirements<S>,
                "poolify: a worker-choice strategy's requirements() must be const and return "
                "poolify::TaskStatisticsRequirements");
}

/// A strategy held by a pool, whatever its type.
class AnyStrategy {
 public:
  virtual ~AnyStrategy() = default;
  virtual std::optional<std::size_t> choose(const WorkerNodesView& nodes) = 0;
  [[nodiscard]] virtual TaskStatisticsRequirements requirements() const noexcept = 0;
};

template <WorkerChoiceStrategyType S>
class StrategyModel final : public AnyStrategy {
 public:
  template <class... Args>
  explicit StrategyModel(Args&&... args) : strategy_(std::forward<Args>(args)...) {}
  std::optional<std::size_t> choose(const WorkerNodesView& nodes) override { return strategy_.choose(nodes); }
  [[nodiscard]] TaskStatisticsRequirements requirements() const noexcept override {
    if constexpr (HasRequirements<S>) {
      return strategy_.requirements();
    } else {
      return {};
    }
  }

 private:
  S strategy_;
};

/// Where a strategy that compares nodes starts its scan: just after the node it chose last, so
/// that ties are not always won by node 0, and equal nodes take turns even when only some of them
/// tie (a burst on an idle pool spreads over every idle node). Racing callers may start at the same
/// node, which costs less than a read-modify-write on one cache line.
class RotatingStart {
 public:
  /// The key to scan from, below `size`.
  [[nodiscard]] std::size_t begin(std::size_t size) const noexcept {
    const std::size_t start = start_.load(std::memory_order_relaxed);
    return start >= size ? 0 : start;
  }
  /// Records the choice of `key`: the next scan starts after it.
  void chose(std::size_t key) noexcept {
    if (start_.load(std::memory_order_relaxed) != key + 1) start_.store(key + 1, std::memory_order_relaxed);
  }

 private:
  std::atomic<std::size_t> start_{0};
};

/// Chooses the eligible node of the smallest `cost(node)`, scanning from a rotating start (strict
/// less-than: the first of equal nodes from there wins). Nothing when no node is eligible.
template <class Cost>
std::optional<std::size_t> choose_min(const WorkerNodesView& nodes, RotatingStart& start_at, Cost&& cost) {
  const std::size_t size = nodes.size();
  if (size == 0) return std::nullopt;
  const std::size_t start = start_at.begin(size);
  std::optional<std::size_t> best;
  double best_cost = 0;
  for (std::size_t offset = 0; offset < size; ++offset) {
    std::size_t key = start + offset;
    if (key >= size) key -= size;
    if (!nodes.eligible(key)) continue;
    const double node_cost = cost(key);
    if (!best || node_cost < best_cost) {
      best = key;
      best_cost = node_cost;
    }
  }
  if (best) start_at.chose(*best);
  return best;
}

/// What one more task is expected to cost a node, in ms: its typical wait time plus its typical
/// run time (or ELU active time, with `measurement = elu`); "typical" is the median with the
/// measurement's `median` option, else the average. As poolifier's strategies estimate it.
inline double estimated_task_time(const WorkerNodeView& node, const WorkerChoiceStrategyOptions& options) noexcept {
  const double wait = node.wait_time().typical(options.wait_time.median);
  if (options.measurement == Measurement::elu) return wait + node.elu_active().typical(options.elu.median);
  return wait + node.run_time().typical(options.run_time.median);
}

/// The requirements of a strategy estimating task times as `estimated_task_time` does.
inline TaskStatisticsRequirements estimated_task_time_requirements(const WorkerChoiceStrategyOptions& options) noexcept {
  TaskStatisticsRequirements requirements;
  const MeasurementRequirements averaged{.aggregate = true, .average = true, .median = false};
  requirements.wait_time = averaged.with_median(options.wait_time.median);
  if (options.measurement == Measurement::elu) {
    requirements.elu = averaged.with_median(options.elu.median);
  } else {
    requirements.run_time = averaged.with_median(options.run_time.median);
  }
  return requirements;
}

}  // namespace detail
POOLIFY_NAMESPACE_END
