/// @file strategy.hpp
/// @brief The worker-choice strategy concept and the view of the nodes a strategy chooses among.
#pragma once

#include <poolify/detail/node_usage.hpp>
#include <poolify/version.hpp>

#include <concepts>  // std::same_as
#include <cstddef>   // std::size_t
#include <cstdint>   // std::uint64_t
#include <memory>    // std::unique_ptr
#include <optional>  // std::optional
#include <span>      // std::span
#include <utility>   // std::move

POOLIFY_NAMESPACE_BEGIN

/// A read-only view of one worker node's load, as a strategy sees it. Reading it takes no lock;
/// values may be a moment old.
class WorkerNodeView {
 public:
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

 private:
  const detail::NodeUsage* usage_;
};

/// The worker nodes of a pool, indexed by node key, as a strategy sees them.
class WorkerNodesView {
 public:
  explicit WorkerNodesView(std::span<const detail::NodeUsage* const> nodes) noexcept : nodes_(nodes) {}
  /// How many nodes there are.
  [[nodiscard]] std::size_t size() const noexcept { return nodes_.size(); }
  /// The node with key `key` (< size()).
  [[nodiscard]] WorkerNodeView operator[](std::size_t key) const noexcept { return WorkerNodeView(*nodes_[key]); }

 private:
  std::span<const detail::NodeUsage* const> nodes_;
};

/// A worker-choice strategy: `choose(nodes)` returns the key of a ready node, or nothing when it
/// cannot choose now (the pool then retries, as poolifier does). It is called from every thread
/// that submits, at once, so it must be thread-safe; it should read the nodes and write only its
/// own cursor.
///
/// @code{.cpp}
/// struct Always0 {
///   std::optional<std::size_t> choose(const poolify::WorkerNodesView&) { return 0; }
/// };
/// static_assert(poolify::WorkerChoiceStrategyType<Always0>);
/// @endcode
template <class S>
concept WorkerChoiceStrategyType = requires(S& strategy, const WorkerNodesView& nodes) {
  { strategy.choose(nodes) } -> std::same_as<std::optional<std::size_t>>;
};

namespace detail {

/// A strategy held by a pool, whatever its type.
class AnyStrategy {
 public:
  virtual ~AnyStrategy() = default;
  virtual std::optional<std::size_t> choose(const WorkerNodesView& nodes) = 0;
};

template <WorkerChoiceStrategyType S>
class StrategyModel final : public AnyStrategy {
 public:
  template <class... Args>
  explicit StrategyModel(Args&&... args) : strategy_(std::forward<Args>(args)...) {}
  std::optional<std::size_t> choose(const WorkerNodesView& nodes) override { return strategy_.choose(nodes); }

 private:
  S strategy_;
};

}  // namespace detail
POOLIFY_NAMESPACE_END
