/// @file measurement.hpp
/// @brief One measurement of a worker node (run time, wait time, ...): totals and a bounded history.
#pragma once

#include <poolify/version.hpp>

#include <algorithm>  // std::nth_element, std::min, std::max, std::max_element
#include <array>      // std::array
#include <atomic>     // std::atomic
#include <chrono>     // std::chrono::steady_clock
#include <cstddef>    // std::size_t
#include <cstdint>    // std::uint64_t
#include <vector>     // std::vector

POOLIFY_NAMESPACE_BEGIN
namespace detail {

/// The steady clock in milliseconds, as measurements are kept (poolifier's `performance.now()`).
inline double now_ms() noexcept {
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

/// How much history a measurement keeps for its average and median (poolifier's 386 samples).
inline constexpr std::size_t measurement_history_size = 386;

/// Samples of one measurement, in milliseconds. One thread records (the node's worker); any thread
/// reads the published figures, each a relaxed atomic: a reader may see a figure one sample older
/// than another, never a torn one.
///
/// The history and its scratch space are inline (no allocation when measuring starts); the moving
/// average costs O(1) per sample; the median, only when asked for, O(history) per sample.
class MeasurementHistory {
 public:
  /// Records one sample. `history` keeps it for the average (and the median with `median`).
  void record(double sample, bool history, bool median) noexcept {
    const std::uint64_t count = count_.load(std::memory_order_relaxed);
    aggregate_.store(aggregate_.load(std::memory_order_relaxed) + sample, std::memory_order_relaxed);
    minimum_.store(count == 0 ? sample : std::min(minimum_.load(std::memory_order_relaxed), sample),
                   std::memory_order_relaxed);
    maximum_.store(count == 0 ? sample : std::max(maximum_.load(std::memory_order_relaxed), sample),
                   std::memory_order_relaxed);
    count_.store(count + 1, std::memory_order_relaxed);
    if (!history) return;
    std::size_t size = size_.load(std::memory_order_relaxed);
    if (size == measurement_history_size) window_sum_ -= samples_[next_].load(std::memory_order_relaxed);
    samples_[next_].store(sample, std::memory_order_relaxed);
    window_sum_ += sample;
    next_ = next_ + 1 == measurement_history_size ? 0 : next_ + 1;
    if (size < measurement_history_size) size_.store(++size, std::memory_order_release);
    // Adding and taking away drifts: sum the window afresh once per lap.
    if (next_ == 0) {
      window_sum_ = 0;
      for (std::size_t index = 0; index < size; ++index) window_sum_ += samples_[index].load(std::memory_order_relaxed);
    }
    average_.store(window_sum_ / static_cast<double>(size), std::memory_order_relaxed);
    if (median) median_.store(compute_median(), std::memory_order_relaxed);
  }

  /// Forgets every sample.
  void reset() noexcept {
    count_.store(0, std::memory_order_relaxed);
    aggregate_.store(0, std::memory_order_relaxed);
    minimum_.store(0, std::memory_order_relaxed);
    maximum_.store(0, std::memory_order_relaxed);
    average_.store(0, std::memory_order_relaxed);
    median_.store(0, std::memory_order_relaxed);
    size_.store(0, std::memory_order_relaxed);
    next_ = 0;
    window_sum_ = 0;
  }

  [[nodiscard]] std::uint64_t count() const noexcept { return count_.load(std::memory_order_relaxed); }
  [[nodiscard]] double aggregate() const noexcept { return aggregate_.load(std::memory_order_relaxed); }
  [[nodiscard]] double minimum() const noexcept { return minimum_.load(std::memory_order_relaxed); }
  [[nodiscard]] double maximum() const noexcept { return maximum_.load(std::memory_order_relaxed); }
  [[nodiscard]] double average() const noexcept { return average_.load(std::memory_order_relaxed); }
  [[nodiscard]] double median() const noexcept { return median_.load(std::memory_order_relaxed); }

  /// Appends the samples of the history to `out` (any thread: each sample is read on its own, so
  /// the window may mix samples from just before and just after a new one).
  void append_history(std::vector<double>& out) const {
    const std::size_t size = size_.load(std::memory_order_acquire);
    for (std::size_t index = 0; index < size; ++index) out.push_back(samples_[index].load(std::memory_order_relaxed));
  }

  /// The median of `values[0, size)` (reorders them); 0 for none.
  static double median_of(double* values, std::size_t size) noexcept {
    if (size == 0) return 0;
    double* const middle = values + size / 2;
    std::nth_element(values, middle, values + size);
    if (size % 2 == 1) return *middle;
    const double upper = *middle;
    const double lower = *std::max_element(values, middle);
    return (lower + upper) / 2;
  }

 private:
  double compute_median() noexcept {
    const std::size_t size = size_.load(std::memory_order_relaxed);
    for (std::size_t index = 0; index < size; ++index) scratch_[index] = samples_[index].load(std::memory_order_relaxed);
    return median_of(scratch_.data(), size);
  }

  std::atomic<std::uint64_t> count_{0};
  std::atomic<double> aggregate_{0};
  std::atomic<double> minimum_{0};
  std::atomic<double> maximum_{0};
  std::atomic<double> average_{0};
  std::atomic<double> median_{0};
  std::atomic<std::size_t> size_{0};  // samples in the window (written by the recording thread)
  std::array<std::atomic<double>, measurement_history_size> samples_{};  // the same; read by anyone
  // The recording thread's own.
  std::size_t next_ = 0;
  double window_sum_ = 0;
  std::array<double, measurement_history_size> scratch_{};
};

}  // namespace detail
POOLIFY_NAMESPACE_END
