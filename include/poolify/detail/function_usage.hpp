/// @file function_usage.hpp
/// @brief Per-task-function usage of one worker node (poolifier's task function worker usage).
#pragma once

#include <poolify/detail/measurement.hpp>
#include <poolify/version.hpp>

#include <array>    // std::array
#include <atomic>   // std::atomic
#include <cstddef>  // std::size_t
#include <cstdint>  // std::uint32_t, std::uint64_t
#include <new>      // std::nothrow

POOLIFY_NAMESPACE_BEGIN
namespace detail {

/// One task function's counters and measurements on one node; written by the node's worker, but
/// `stolen`, which a submitter handing tasks over on back pressure adds to as well.
struct FunctionUsage {
  std::atomic<std::uint64_t> executed{0};
  std::atomic<std::uint64_t> failed{0};
  std::atomic<std::uint64_t> stolen{0};
  std::atomic<std::uint64_t> sequentially_stolen{0};
  std::atomic<std::uint32_t> executing{0};
  MeasurementHistory run_time;
  MeasurementHistory wait_time;
  MeasurementHistory elu_active;
  MeasurementHistory elu_idle;
  MeasurementHistory elu_utilization;

  void reset() noexcept {
    executed.store(0, std::memory_order_relaxed);
    failed.store(0, std::memory_order_relaxed);
    stolen.store(0, std::memory_order_relaxed);
    sequentially_stolen.store(0, std::memory_order_relaxed);
    executing.store(0, std::memory_order_relaxed);
    run_time.reset();
    wait_time.reset();
    elu_active.reset();
    elu_idle.reset();
    elu_utilization.reset();
  }
};

/// A node's `FunctionUsage` by task-function slot (a number the pool gives each name), made on
/// the first task of that function the node runs and kept for the node's life, so that readers
/// never find one gone. Two levels of atomic pointers: added without a lock, read by any thread.
/// Slots past `capacity` are not tracked.
class FunctionUsageTable {
 public:
  static constexpr std::size_t chunk_size = 64;
  static constexpr std::size_t chunk_count = 64;
  static constexpr std::size_t capacity = chunk_size * chunk_count;

  FunctionUsageTable() = default;
  FunctionUsageTable(const FunctionUsageTable&) = delete;
  FunctionUsageTable& operator=(const FunctionUsageTable&) = delete;
  ~FunctionUsageTable() {
    for (auto& chunk_pointer : chunks_) {
      Chunk* chunk = chunk_pointer.load(std::memory_order_relaxed);
      if (chunk == nullptr) continue;
      for (auto& usage : *chunk) delete usage.load(std::memory_order_relaxed);
      delete chunk;
    }
  }

  /// The usage of `slot`, made if need be (by the worker, or by a submitter handing a task over
  /// on back pressure: the first to install one wins); null past the capacity or when memory runs
  /// out (the task then simply goes uncounted per function).
  FunctionUsage* get_or_make(std::uint32_t slot) noexcept {
    if (slot >= capacity) return nullptr;
    Chunk* chunk = install(chunks_[slot / chunk_size]);
    return chunk == nullptr ? nullptr : install((*chunk)[slot % chunk_size]);
  }

  /// Any thread: the usage of `slot`, or null if the node never ran a task of it.
  [[nodiscard]] const FunctionUsage* find(std::uint32_t slot) const noexcept {
    if (slot >= capacity) return nullptr;
    const Chunk* chunk = chunks_[slot / chunk_size].load(std::memory_order_acquire);
    return chunk == nullptr ? nullptr : (*chunk)[slot % chunk_size].load(std::memory_order_acquire);
  }

  /// Zeroes every usage (the node starts a new run; its worker is not running).
  void reset() noexcept {
    for (auto& chunk_pointer : chunks_) {
      Chunk* chunk = chunk_pointer.load(std::memory_order_relaxed);
      if (chunk == nullptr) continue;
      for (auto& usage : *chunk) {
        if (FunctionUsage* function = usage.load(std::memory_order_relaxed)) function->reset();
      }
    }
  }

 private:
  using Chunk = std::array<std::atomic<FunctionUsage*>, chunk_size>;

  template <class T>
  static T* install(std::atomic<T*>& pointer) noexcept {
    T* current = pointer.load(std::memory_order_acquire);
    if (current != nullptr) return current;
    T* made = new (std::nothrow) T{};
    if (made == nullptr) return nullptr;
    if (pointer.compare_exchange_strong(current, made, std::memory_order_acq_rel, std::memory_order_acquire)) return made;
    delete made;  // another thread installed one first
    return current;
  }
  std::array<std::atomic<Chunk*>, chunk_count> chunks_{};
};

}  // namespace detail
POOLIFY_NAMESPACE_END
