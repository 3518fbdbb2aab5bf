/// @file options.hpp
/// @brief Pool options: aggregates meant for designated initializers.
///
/// @code{.cpp}
/// poolify::PoolOptions options{.worker_choice_strategy = poolify::WorkerChoiceStrategy::round_robin,
///                              .tasks_queue_options = {.tasks_finished_timeout = std::chrono::milliseconds(500)}};
/// @endcode
#pragma once

#include <poolify/version.hpp>

#include <chrono>       // std::chrono::milliseconds
#include <cstddef>      // std::size_t
#include <exception>    // std::exception_ptr
#include <functional>   // std::function
#include <optional>     // std::optional
#include <string_view>  // std::string_view
#include <vector>       // std::vector

POOLIFY_NAMESPACE_BEGIN

/// How the pool picks the worker node that runs a task (poolifier's `WorkerChoiceStrategies`).
enum class WorkerChoiceStrategy {
  round_robin,                      ///< Each node in turn.
  least_used,                       ///< The node with the fewest tasks executing and queued (default).
  least_busy,                        ///< The node whose tasks waited and ran the least time in total.
  least_elu,                         ///< The node whose tasks waited least and whose worker was least active.
  fair_share,                        ///< The node on which one more task would end first.
  weighted_round_robin,              ///< Each node in turn, for a share of work set by its weight.
  interleaved_weighted_round_robin,  ///< Weighted round robin with the turns spread over rounds.
  custom  ///< A user-defined strategy, installed with `Pool::set_worker_choice_strategy<S>()`; not an option value.
};

/// poolifier's name of a strategy, e.g. "LEAST_USED"; used in messages and `PoolInfo`.
[[nodiscard]] constexpr std::string_view to_string(WorkerChoiceStrategy strategy) noexcept {
  switch (strategy) {
    case WorkerChoiceStrategy::round_robin: return "ROUND_ROBIN";
    case WorkerChoiceStrategy::least_used: return "LEAST_USED";
    case WorkerChoiceStrategy::least_busy: return "LEAST_BUSY";
    case WorkerChoiceStrategy::least_elu: return "LEAST_ELU";
    case WorkerChoiceStrategy::fair_share: return "FAIR_SHARE";
    case WorkerChoiceStrategy::weighted_round_robin: return "WEIGHTED_ROUND_ROBIN";
    case WorkerChoiceStrategy::interleaved_weighted_round_robin: return "INTERLEAVED_WEIGHTED_ROUND_ROBIN";
    case WorkerChoiceStrategy::custom: return "CUSTOM";
  }
  return "UNKNOWN";
}

/// What a strategy measures a task by (`fair_share` and the weighted round robins: `elu` uses the
/// ELU active time instead of the run time).
enum class Measurement { run_time, wait_time, elu };

/// poolifier's name of a measurement, e.g. "runTime"; used in messages.
[[nodiscard]] constexpr std::string_view to_string(Measurement measurement) noexcept {
  switch (measurement) {
    case Measurement::run_time: return "runTime";
    case Measurement::wait_time: return "waitTime";
    case Measurement::elu: return "elu";
  }
  return "unknown";
}

/// Options of one measurement.
struct MeasurementOptions {
  bool median = false;  ///< Use the median instead of the average where a strategy needs one.
};

/// Options of the worker-choice strategies (poolifier's `workerChoiceStrategyOptions`). They apply
/// to every strategy of the pool (the default one and the task functions' own).
struct WorkerChoiceStrategyOptions {
  std::optional<Measurement> measurement{};      ///< What task times are estimated by (default: run time).
  MeasurementOptions run_time{};                 ///< Run-time measurement options.
  MeasurementOptions wait_time{};                ///< Wait-time measurement options.
  MeasurementOptions elu{};                      ///< Active/idle measurement options.
  /// One weight (ms, finite and > 0) per node of the pool's max size, for the weighted round
  /// robins; default: `detail::default_weight_ms` (1 ms) each.
  std::optional<std::vector<double>> weights{};
};

/// Which figures of one measurement a strategy reads, or a user wants kept (poolifier's
/// `MeasurementStatisticsRequirements`).
struct MeasurementRequirements {
  bool aggregate = false;  ///< The total (and minimum, maximum): needs a clock read per task.
  bool average = false;    ///< The moving average over the history.
  bool median = false;     ///< The moving median over the history (costs a partial sort per task).

  /// Whether the measurement must be taken at all.
  [[nodiscard]] constexpr bool any() const noexcept { return aggregate || average || median; }
  /// Both requirements at once.
  [[nodiscard]] constexpr MeasurementRequirements operator|(const MeasurementRequirements& other) const noexcept {
    return {aggregate || other.aggregate, average || other.average, median || other.median};
  }
  /// As poolifier does with the `median` option: where the average is required, the median is
  /// required instead.
  [[nodiscard]] constexpr MeasurementRequirements with_median(bool median_wanted) const noexcept {
    if (!median_wanted || !average) return *this;
    return {aggregate, false, true};
  }
  /// Equal when every flag is.
  constexpr bool operator==(const MeasurementRequirements&) const noexcept = default;
};

/// What a strategy needs the pool to measure (poolifier's `TaskStatisticsRequirements`). The pool
/// takes only the measurements that the strategies in use require: with none, it reads no clock.
struct TaskStatisticsRequirements {
  MeasurementRequirements run_time{};   ///< A task's start to its end.
  MeasurementRequirements wait_time{};  ///< A task's submission to its start.
  MeasurementRequirements elu{};        ///< Active (running tasks) against idle time of a worker.

  /// Both requirements at once.
  [[nodiscard]] constexpr TaskStatisticsRequirements operator|(const TaskStatisticsRequirements& other) const noexcept {
    return {run_time | other.run_time, wait_time | other.wait_time, elu | other.elu};
  }
  /// Whether anything must be measured.
  [[nodiscard]] constexpr bool any() const noexcept { return run_time.any() || wait_time.any() || elu.any(); }
  /// Equal when every measurement's requirements are.
  constexpr bool operator==(const TaskStatisticsRequirements&) const noexcept = default;
};

/// Options of the worker nodes' task queues (poolifier's `tasksQueueOptions`).
struct TasksQueueOptions {
  std::size_t size = 0;         ///< Back-pressure threshold per node (not a capacity); 0 means max_size squared.
  /// Tasks in flight per node: how many coroutine task functions (`poolify::Task`) a node keeps
  /// started and suspended at once; a plain task counts while it runs. `busy_worker_nodes` counts
  /// nodes with this many tasks queued or in flight.
  std::size_t concurrency = 1;
  bool task_stealing = true;    ///< Idle nodes steal from the most loaded node: the oldest task its own tasks submitted, else its newest queued task.
  bool tasks_stealing_on_back_pressure = true;  ///< A node at its threshold hands tasks to nodes below it (not those its own worker queued from inside a task).
  double tasks_stealing_ratio = 0.6;            ///< Most nodes stealing at once, as a share (0: no stealing).
  std::chrono::milliseconds tasks_finished_timeout{2000};  ///< How long `destroy()` lets queued tasks run.
  double aging_factor = 0.001;      ///< Priority points a queued task gains per ms (with priorities).
  double load_exponent = 2.0 / 3.0;  ///< How much a long queue speeds aging up (with priorities).
};

/// How an idle dynamic node retires (see `DynamicPool`).
enum class KillBehavior {
  soft,  ///< Only with an empty queue.
  hard   ///< Even with tasks queued on it meanwhile, which are handed to other nodes first.
};

/// Options of a pool (poolifier's `PoolOptions`).
struct PoolOptions {
  WorkerChoiceStrategy worker_choice_strategy = WorkerChoiceStrategy::least_used;  ///< Default strategy.
  WorkerChoiceStrategyOptions worker_choice_strategy_options{};                    ///< Its options.
  bool start_workers = true;            ///< Start the workers in the constructor; else call `start()`.
  /// A dynamic node whose `on_worker_start` threw still works (true), or retires at once (false).
  bool restart_worker_on_error = true;
  bool enable_events = true;            ///< Events (`Pool::on`); false: `on` is refused, nothing is ever raised.
  bool enable_tasks_queue = true;       ///< Stealing, back pressure and queue statistics (threads always queue).
  TasksQueueOptions tasks_queue_options{};  ///< Queue options.
  std::chrono::milliseconds max_inactive_time{60000};  ///< Dynamic nodes retire after this idle time (>= 5 ms).
  KillBehavior kill_behavior = KillBehavior::soft;      ///< How idle dynamic nodes retire (see `DynamicPool`).
  /// Measurements to take whatever the strategies need (for `info()` and `worker_nodes()`); the
  /// pool takes these and those its strategies require, and none else.
  TaskStatisticsRequirements measurements{};
  std::function<void(std::size_t node)> on_worker_start{};  ///< Runs on each worker thread as it starts.
  std::function<void(std::size_t node)> on_worker_exit{};  ///< Runs on each worker thread as it exits.
  std::function<void(std::exception_ptr)> error_handler{};  ///< Receives errors no future can carry.
};


POOLIFY_NAMESPACE_END
