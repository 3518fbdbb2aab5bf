/// @file statistics.hpp
/// @brief What `Pool::info()` and `Pool::worker_nodes()` report.
#pragma once

#include <poolify/options.hpp>
#include <poolify/version.hpp>

#include <cstddef>  // std::size_t
#include <cstdint>  // std::uint64_t
#include <optional>  // std::optional
#include <string>   // std::string
#include <vector>   // std::vector

POOLIFY_NAMESPACE_BEGIN

/// Whether a pool has a fixed or a dynamic number of worker nodes.
enum class PoolType { fixed, dynamic };

/// Task counters of one worker node (poolifier's `usage.tasks`).
struct TaskStatistics {
  std::uint64_t executed = 0;             ///< Tasks that ran and returned a value.
  std::uint64_t executing = 0;            ///< Tasks running now.
  std::uint64_t queued = 0;               ///< Tasks waiting in the node's queue now.
  std::uint64_t max_queued = 0;           ///< The queue's high-water mark.
  std::uint64_t sequentially_stolen = 0;  ///< Tasks it stole in a row, since it last ran one of its own.
  std::uint64_t stolen = 0;               ///< Tasks it stole from other nodes (and ran).
  std::uint64_t failed = 0;               ///< Tasks that ran and threw.
};

/// One measurement of a worker node, in milliseconds (poolifier's `MeasurementStatistics`). A
/// measurement is taken only while a strategy in use requires it: otherwise its figures stay as
/// they were (0 for a pool that never measured). The average and the median are over the last 386
/// samples, and only kept when a strategy requires them.
struct MeasurementStatistics {
  std::uint64_t count = 0;  ///< Samples taken.
  double aggregate = 0;     ///< Sum of the samples.
  double minimum = 0;       ///< Smallest sample.
  double maximum = 0;       ///< Largest sample.
  double average = 0;       ///< Moving average.
  double median = 0;        ///< Moving median.
};

/// A worker thread's ELU (poolifier's event loop utilization): per task, the time it ran the task
/// (active), the time it had nothing to run before it (idle), and active / (active + idle).
struct EluStatistics {
  MeasurementStatistics active{};       ///< Time running tasks.
  MeasurementStatistics idle{};         ///< Time between tasks.
  MeasurementStatistics utilization{};  ///< Active share, 0..1.
};

/// One task function's usage on one worker node (poolifier's per-task-function `usage`), kept
/// only while the pool has two task functions or more, as poolifier does.
struct TaskFunctionUsage {
  std::string name;                    ///< The task function.
  /// Its task counters on the node. `max_queued` is not kept per function (0; poolifier has none
  /// either, and `to_json` leaves it out).
  TaskStatistics tasks{};
  MeasurementStatistics run_time{};    ///< Its tasks' run times on the node.
  MeasurementStatistics wait_time{};   ///< Its tasks' wait times on the node.
  EluStatistics elu{};                 ///< The node's ELU while running its tasks.
};

/// One worker node as `Pool::worker_nodes()` reports it.
struct WorkerNodeInfo {
  std::size_t id = 0;                  ///< Its key in the pool, 0 .. max_size - 1.
  bool ready = false;                  ///< Whether it accepts tasks.
  bool dynamic = false;                ///< Whether it was added by a dynamic pool beyond its minimum size.
  TaskStatistics tasks{};              ///< Its task counters.
  MeasurementStatistics run_time{};    ///< Its tasks' run times.
  MeasurementStatistics wait_time{};   ///< Its tasks' wait times, submission to start.
  EluStatistics elu{};                 ///< Its worker's ELU.
  /// Per task function, with two task functions or more (else empty), in the pool's order.
  std::vector<TaskFunctionUsage> task_functions{};
};

/// A snapshot of a pool (poolifier's `PoolInfo`). Counters are read without stopping the pool;
/// once it is idle they are exact: executed + failed equals the tasks that ran, queued and
/// executing are 0.
struct PoolInfo {
  std::string version;                        ///< poolify's version.
  PoolType type = PoolType::fixed;            ///< Fixed or dynamic.
  std::string worker = "thread";              ///< Always "thread".
  bool started = false;                       ///< Between `start()` and `destroy()`.
  bool ready = false;                         ///< Started, with its minimum of nodes ready.
  std::uint64_t strategy_retries = 0;         ///< Retries the strategy needed for the last choice.
  WorkerChoiceStrategy default_strategy = WorkerChoiceStrategy::least_used;  ///< The pool's strategy.
  std::size_t min_size = 0;                   ///< Minimum number of nodes.
  std::size_t max_size = 0;                   ///< Maximum number of nodes.
  std::size_t worker_nodes = 0;               ///< Nodes now.
  std::size_t idle_worker_nodes = 0;          ///< Nodes with nothing queued or running.
  std::size_t busy_worker_nodes = 0;          ///< Nodes with at least their concurrency of tasks queued or running.
  std::optional<std::size_t> dynamic_worker_nodes;  ///< Dynamic pools only.
  std::uint64_t executed_tasks = 0;           ///< Tasks that returned a value.
  std::uint64_t executing_tasks = 0;          ///< Tasks running now.
  std::uint64_t failed_tasks = 0;             ///< Tasks that threw.
  std::optional<bool> back_pressure;                   ///< With `enable_tasks_queue`: every node's queue is at its threshold.
  std::optional<std::size_t> back_pressure_worker_nodes;  ///< With `enable_tasks_queue`: nodes at their threshold.
  std::optional<std::uint64_t> queued_tasks;      ///< With `enable_tasks_queue`: tasks queued now.
  std::optional<std::uint64_t> max_queued_tasks;  ///< With `enable_tasks_queue`: sum of the nodes' high-water marks.
  std::optional<std::size_t> stealing_worker_nodes;  ///< With `enable_tasks_queue`: nodes stealing right now.
  std::optional<std::uint64_t> stolen_tasks;         ///< With `enable_tasks_queue`: tasks stolen so far.
  /// When run times are measured: the share of the pool's capacity (max_size workers since
  /// `start()`) spent running tasks, 0..1.
  std::optional<double> utilization;
  /// When measured: every node's run times together (average and median over their histories).
  std::optional<MeasurementStatistics> run_time;
  std::optional<MeasurementStatistics> wait_time;  ///< When measured: every node's wait times together.
  std::optional<EluStatistics> elu;                ///< When measured: every node's ELU together.
};

POOLIFY_NAMESPACE_END
