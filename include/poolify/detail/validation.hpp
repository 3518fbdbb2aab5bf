/// @file validation.hpp
/// @brief Checks of sizes, options and task functions, with poolifier's messages.
#pragma once

#include <poolify/errors.hpp>
#include <poolify/options.hpp>
#include <poolify/task_function.hpp>
#include <poolify/version.hpp>

#include <algorithm>  // std::sort, std::adjacent_find
#include <cmath>      // std::isnan, std::isfinite
#include <cstddef>    // std::size_t, std::ptrdiff_t
#include <limits>     // std::numeric_limits
#include <string>     // std::string, std::to_string
#include <vector>     // std::vector

POOLIFY_NAMESPACE_BEGIN
namespace detail {

/// A size beyond PTRDIFF_MAX almost surely is a negative number converted to std::size_t.
inline void check_not_negative(std::size_t size) {
  if (size > static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max())) {
    throw_out_of_range("Cannot instantiate a pool with a negative number of workers");
  }
}

inline void check_fixed_pool_size(std::size_t size) {
  check_not_negative(size);
  if (size == 0) throw_out_of_range("Cannot instantiate a fixed pool with zero worker");
}

/// poolifier's checks of a dynamic pool's sizes, in its order.
inline void check_dynamic_pool_size(std::size_t min, std::size_t max) {
  check_not_negative(min);
  if (max > static_cast<std::size_t>(std::numeric_limits<std::ptrdiff_t>::max())) {
    throw_invalid_argument("Cannot instantiate a dynamic pool with a non safe integer maximum pool size");
  }
  if (min > max) {
    throw_out_of_range("Cannot instantiate a dynamic pool with a maximum pool size inferior to the minimum pool size");
  }
  if (max == 0) throw_out_of_range("Cannot instantiate a dynamic pool with a maximum pool size equal to zero");
  if (min == max) {
    throw_out_of_range(
        "Cannot instantiate a dynamic pool with a minimum pool size equal to the maximum pool size. Use a fixed pool "
        "instead");
  }
}

/// Whether `strategy` names a built-in strategy (`custom` is not an option value).
inline bool is_built_in(WorkerChoiceStrategy strategy) noexcept {
  return static_cast<int>(strategy) >= static_cast<int>(WorkerChoiceStrategy::round_robin) &&
         static_cast<int>(strategy) <= static_cast<int>(WorkerChoiceStrategy::interleaved_weighted_round_robin);
}

inline void check_strategy(WorkerChoiceStrategy strategy) {
  if (!is_built_in(strategy)) {
    const std::string name = strategy == WorkerChoiceStrategy::custom
                                 ? std::string(to_string(strategy))
                                 : std::to_string(static_cast<int>(strategy));
    throw_invalid_argument("Invalid worker choice strategy '" + name + "'");
  }
}

inline void check_strategy_options(const WorkerChoiceStrategyOptions& options, std::size_t max_size) {
  if (options.measurement) {
    const auto value = static_cast<int>(*options.measurement);
    if (value < static_cast<int>(Measurement::run_time) || value > static_cast<int>(Measurement::elu)) {
      throw_invalid_argument("Invalid worker choice strategy options: invalid measurement '" + std::to_string(value) +
                             "'");
    }
  }
  if (options.weights) {
    if (options.weights->size() != max_size) {
      throw_invalid_argument("Invalid worker choice strategy options: must have a weight for each worker node");
    }
    for (double weight : *options.weights) {
      if (!std::isfinite(weight) || weight <= 0) {
        throw_out_of_range("Invalid worker choice strategy options: weights must be finite and greater than 0");
      }
    }
  }
}

inline void check_tasks_queue_options(const TasksQueueOptions& options) {
  const std::string node = "Invalid worker node tasks ";
  if (options.concurrency == 0) throw_out_of_range(node + "concurrency: 0 is a negative integer or zero");
  if (std::isnan(options.aging_factor)) throw_invalid_argument(node + "queue aging factor: must be a number");
  if (options.aging_factor < 0) throw_out_of_range(node + "queue aging factor: must be greater than or equal to 0");
  if (std::isnan(options.load_exponent)) throw_invalid_argument(node + "queue load exponent: must be a number");
  if (options.load_exponent <= 0) throw_out_of_range(node + "queue load exponent: must be greater than 0");
  if (std::isnan(options.tasks_stealing_ratio)) throw_invalid_argument(node + "stealing ratio: must be a number");
  if (options.tasks_stealing_ratio < 0 || options.tasks_stealing_ratio > 1) {
    throw_out_of_range(node + "stealing ratio: must be between 0 and 1");
  }
  if (options.tasks_finished_timeout.count() < 0) {
    throw_out_of_range("Invalid tasks finished timeout: must be greater than or equal to 0");
  }
}

inline void check_pool_options(const PoolOptions& options, std::size_t max_size) {
  check_strategy(options.worker_choice_strategy);
  check_strategy_options(options.worker_choice_strategy_options, max_size);
  check_tasks_queue_options(options.tasks_queue_options);
  if (options.max_inactive_time.count() < 5) {
    throw_invalid_argument("maxInactiveTime option is not a positive integer greater or equal than 5");
  }
  if (options.kill_behavior != KillBehavior::soft && options.kill_behavior != KillBehavior::hard) {
    throw_invalid_argument("killBehavior option '" + std::to_string(static_cast<int>(options.kill_behavior)) +
                           "' is not valid");
  }
}

inline void check_task_function_name(const std::string& name) {
  if (name.empty()) throw_invalid_argument("name argument must not be an empty string");
  if (name == "default") throw_invalid_argument("Cannot add a task function with the default reserved name");
}

inline void check_task_function_properties(const TaskFunctionProperties& properties, std::size_t max_size) {
  if (properties.priority < -20 || properties.priority > 19) {
    throw_out_of_range("Property 'priority' must be between -20 and 19");
  }
  if (properties.strategy) check_strategy(*properties.strategy);
  if (properties.worker_node_keys) {
    const std::vector<std::size_t>& keys = *properties.worker_node_keys;
    if (keys.empty()) throw_out_of_range("Invalid worker node keys: must not be an empty array");
    std::vector<std::size_t> sorted = keys;
    std::sort(sorted.begin(), sorted.end());
    if (std::adjacent_find(sorted.begin(), sorted.end()) != sorted.end()) {
      throw_invalid_argument("Invalid worker node keys: must not contain duplicates");
    }
    if (keys.size() > max_size) {
      throw_out_of_range("Cannot add a task function with more worker node keys than the maximum number of workers in the pool");
    }
    std::string invalid;
    for (std::size_t key : keys) {
      if (key < max_size) continue;
      if (!invalid.empty()) invalid += ',';
      invalid += std::to_string(key);
    }
    if (!invalid.empty()) {
      throw_out_of_range("Cannot add a task function with invalid worker node keys: " + invalid +
                         ". Valid keys are: 0.." + std::to_string(max_size - 1));
    }
  }
}

}  // namespace detail
POOLIFY_NAMESPACE_END
