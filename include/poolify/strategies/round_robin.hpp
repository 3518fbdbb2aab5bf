/// @file round_robin.hpp
/// @brief The round robin strategy: each ready node in turn.
#pragma once

#include <poolify/strategies/strategy.hpp>
#include <poolify/version.hpp>

#include <atomic>    // std::atomic
#include <cstddef>   // std::size_t
#include <optional>  // std::optional

POOLIFY_NAMESPACE_BEGIN

/// Chooses each ready node in turn (poolifier's ROUND_ROBIN). Measures nothing.
///
/// The cursor is read and written without a read-modify-write: submitters racing on it may pick the
/// same node twice, which costs less than making them contend on one cache line.
class RoundRobinStrategy {
 public:
  /// The next eligible node after the last one chosen, or nothing when no node is eligible.
  std::optional<std::size_t> choose(const WorkerNodesView& nodes) noexcept {
    const std::size_t size = nodes.size();
    if (size == 0) return std::nullopt;
    std::size_t key = next_.load(std::memory_order_relaxed);
    for (std::size_t tried = 0; tried < size; ++tried) {
      if (key >= size) key = 0;
      const std::size_t chosen = key++;
      if (nodes.eligible(chosen)) {
        next_.store(key, std::memory_order_relaxed);
        return chosen;
      }
    }
    next_.store(key, std::memory_order_relaxed);
    return std::nullopt;
  }

 private:
  std::atomic<std::size_t> next_{0};
};
static_assert(WorkerChoiceStrategyType<RoundRobinStrategy>);

POOLIFY_NAMESPACE_END
