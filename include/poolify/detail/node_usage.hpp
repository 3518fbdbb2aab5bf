/// @file node_usage.hpp
/// @brief A worker node's counters, laid out so that writers do not share cache lines.
#pragma once

#include <poolify/detail/measurement.hpp>
#include <poolify/version.hpp>

#include <atomic>   // std::atomic
#include <cstddef>  // std::size_t
#include <cstdint>  // std::uint64_t, std::uint32_t

POOLIFY_NAMESPACE_BEGIN
namespace detail {

inline constexpr std::size_t cache_line = 64;

/// Adds one to a counter that one thread at a time writes (its owner, or the holder of the lock
/// that guards it): a plain load and store, no locked instruction. The order is a template
/// argument: passed at run time to a call the compiler does not inline, a store is made seq_cst
/// (an `xchg` on x86, a full barrier per counter: 13% of fork_join_fib's time when it was so).
template <std::memory_order Order = std::memory_order_relaxed, class T>
inline void bump(std::atomic<T>& counter) noexcept {
  counter.store(counter.load(std::memory_order_relaxed) + 1, Order);
}

/// The counters of one worker node. The first group is what strategies read on every submit,
/// written mostly under the node's queue lock; the node's worker alone writes the second, per task,
/// and only `info()` and `wait_idle()` read it. Everyone reads with relaxed or acquire loads.
struct NodeUsage {
  // Written under the queue lock (by submitters and the worker).
  alignas(cache_line) std::atomic<std::uint64_t> submitted{0};  // tasks ever pushed to this node
  std::atomic<std::uint64_t> discarded{0};                       // tasks taken off the queue by destroy()
  std::atomic<std::uint64_t> queued{0};                          // tasks in the queue now
  std::atomic<std::uint64_t> max_queued{0};                      // high-water mark of queued
  std::atomic<bool> ready{false};                                // accepts tasks
  std::atomic<std::uint32_t> sleeping{0};                        // the worker sleeps on this word
  // Written by the worker around each task, but kept here, beside `queued`, because strategies
  // read both on every submit: one cache line per node to fetch instead of two.
  std::atomic<std::uint32_t> executing{0};                       // running now

  // Written by the node's worker only.
  alignas(cache_line) std::atomic<std::uint64_t> completed{0};  // tasks taken off this node and finished
  std::atomic<std::uint64_t> submitted_local{0};                 // tasks its own tasks pushed to its local deque
  std::atomic<std::uint64_t> executed{0};                        // ran and returned
  std::atomic<std::uint64_t> failed{0};                          // ran and threw
  std::atomic<std::uint64_t> stolen{0};                          // tasks it stole or was handed on back pressure
  std::atomic<std::uint64_t> sequentially_stolen{0};             // tasks stolen in a row, since it last ran its own

  // Coroutine task functions end wherever they resume, on any thread: their counts are kept apart,
  // with read-modify-write instructions, and added to the worker's ones by readers.
  alignas(cache_line) std::atomic<std::uint32_t> suspended{0};  // coroutine tasks started, not ended
  std::atomic<std::uint32_t> capacity_waiter{0};                 // the worker waits for `suspended` to drop
  std::atomic<std::uint64_t> coroutines_completed{0};            // coroutine tasks ended
  std::atomic<std::uint64_t> coroutines_executed{0};             // ... that returned
  std::atomic<std::uint64_t> coroutines_failed{0};               // ... that threw

  // Measurements, in milliseconds, recorded by the node's worker only when a strategy in use needs
  // them (see Pool::measure_). For a thread, ELU (poolifier's event loop utilization) is active
  // time, running tasks, against idle time, between the end of one task and the start of the next.
  alignas(cache_line) MeasurementHistory run_time;  // a task's start to its end
  MeasurementHistory wait_time;                     // a task's submission to its start
  MeasurementHistory elu_active;                    // per task: time running it
  MeasurementHistory elu_idle;                      // per task: time idle before it
  MeasurementHistory elu_utilization;               // per task: active / (active + idle)
  double last_task_end = -1;                        // worker only: ms, < 0 before the first measured task

  // For readers: the worker's counts and the coroutine tasks' together.
  [[nodiscard]] std::uint64_t executed_all() const noexcept {
    return executed.load(std::memory_order_acquire) + coroutines_executed.load(std::memory_order_acquire);
  }
  [[nodiscard]] std::uint64_t failed_all() const noexcept {
    return failed.load(std::memory_order_acquire) + coroutines_failed.load(std::memory_order_acquire);
  }
  [[nodiscard]] std::uint64_t executing_all() const noexcept {
    return executing.load(std::memory_order_acquire) + suspended.load(std::memory_order_acquire);
  }
};

}  // namespace detail
POOLIFY_NAMESPACE_END
