/// @file dynamic_pool.hpp
/// @brief `poolify::DynamicPool`: a pool that grows on demand and retires idle worker nodes.
#pragma once

#include <poolify/detail/validation.hpp>
#include <poolify/options.hpp>
#include <poolify/pool.hpp>
#include <poolify/statistics.hpp>
#include <poolify/task_function.hpp>
#include <poolify/version.hpp>

#include <cstddef>  // std::size_t
#include <utility>  // std::move
#include <vector>   // std::vector

POOLIFY_NAMESPACE_BEGIN

/// A pool of `min` to `max` worker nodes (poolifier's `DynamicThreadPool`).
///
/// - Growth: before a task is placed, a node is added when every node is busy (has as many tasks
///   in flight as `tasks_queue_options.concurrency`) or there is none, up to `max`; and when none
///   of the nodes a task function may run on (`worker_node_keys`) is there, that node is added.
/// - Retirement: a node above the minimum that has had nothing to run for
///   `PoolOptions::max_inactive_time` retires (its thread exits; its key may come back later).
///   With `KillBehavior::soft` (default) it retires only with an empty queue; with
///   `KillBehavior::hard` it retires even when tasks were queued on it meanwhile, handing them to
///   the other nodes first. A thread cannot be killed mid-task: under both behaviours a node
///   retires only between tasks, and no task is ever lost.
/// - Keys are stable: a node keeps its key (what `worker_node_keys` and `worker_nodes()` name)
///   while the others come and go; a node that comes back reuses the key, and its counters go on.
///
/// @code{.cpp}
/// poolify::DynamicPool<int, int> pool(1, 4, [](int x) { return x * x; },
///                                     {.max_inactive_time = std::chrono::milliseconds(500)});
/// @endcode
template <class Data, class Response = void>
class DynamicPool final : public Pool<Data, Response> {
 public:
  /// A pool of `min`..`max` nodes running one task function (the default). Sizes are checked as
  /// poolifier checks them, with its messages: `std::out_of_range` when min > max, max == 0 or
  /// min == max ("... Use a fixed pool instead"); min == 0 is allowed.
  DynamicPool(std::size_t min, std::size_t max, TaskFunction<Data, Response> function, PoolOptions options = {})
      : DynamicPool(min, max, Pool<Data, Response>::single(std::move(function)), std::move(options)) {}

  /// A pool of `min`..`max` nodes running named task functions; the first is the default.
  DynamicPool(std::size_t min, std::size_t max, std::vector<NamedTaskFunction<Data, Response>> functions,
              PoolOptions options = {})
      : Pool<Data, Response>(PoolType::dynamic, checked(min, max), max, std::move(functions), std::move(options)) {}

 private:
  static std::size_t checked(std::size_t min, std::size_t max) {
    detail::check_dynamic_pool_size(min, max);
    return min;
  }
};

POOLIFY_NAMESPACE_END
