/// @file worker_node.hpp
/// @brief A worker node: a thread, a deque-based task queue and usage counters.
#pragma once

#include <poolify/detail/futex.hpp>
#include <poolify/detail/node_usage.hpp>
#include <poolify/detail/ring_deque.hpp>
#include <poolify/detail/spinlock.hpp>
#include <poolify/detail/task_state.hpp>
#include <poolify/version.hpp>

#include <atomic>      // std::atomic
#include <cstddef>     // std::size_t
#include <cstdint>     // std::uint32_t
#include <mutex>       // std::lock_guard
#include <optional>    // std::optional
#include <stop_token>  // std::stop_callback, std::stop_source
#include <thread>      // std::jthread

POOLIFY_NAMESPACE_BEGIN
namespace detail {

/// Signals a running task's stop token when the pool is destroyed.
struct ForwardStop {
  std::stop_source* source;
  void operator()() const noexcept { source->request_stop(); }
};

/// One worker node. The pool keeps its nodes for its whole life (a node is reused when the pool is
/// started again), so a submitter holding a node never finds it gone.
template <class Data, class Response>
class WorkerNode {
 public:
  using Task = TaskState<Data, Response>;

  explicit WorkerNode(std::size_t id) : id_(id) {}
  WorkerNode(const WorkerNode&) = delete;
  WorkerNode& operator=(const WorkerNode&) = delete;

  [[nodiscard]] std::size_t id() const noexcept { return id_; }

  /// Queues a task, waking the worker if it sleeps. False when the node is closed (the pool is
  /// being destroyed): the task was not queued.
  bool push(Task* task) {
    {
      std::lock_guard lock(queue_lock_);
      if (closed_) return false;
      queue_.push_back(task);  // may throw std::bad_alloc: nothing was changed then
      const std::uint64_t queued = queue_.size();
      if (queued > usage.max_queued.load(std::memory_order_relaxed)) {
        usage.max_queued.store(queued, std::memory_order_relaxed);
      }
      usage.submitted.store(usage.submitted.load(std::memory_order_relaxed) + 1, std::memory_order_release);
      // seq_cst pairs with the worker's announcement that it sleeps (see park()).
      usage.queued.store(queued, std::memory_order_seq_cst);
    }
    if (usage.sleeping.load(std::memory_order_seq_cst) != 0) wake();
    return true;
  }

  /// The oldest queued task, or nullptr.
  Task* pop() noexcept {
    if (usage.queued.load(std::memory_order_relaxed) == 0) return nullptr;
    std::lock_guard lock(queue_lock_);
    if (queue_.empty()) return nullptr;
    Task* task = queue_.pop_front();
    usage.queued.store(queue_.size(), std::memory_order_relaxed);
    return task;
  }

  /// Opens the node for a new run of the pool, with fresh counters.
  void open() {
    std::lock_guard lock(queue_lock_);
    closed_ = false;
    stopping_.store(false, std::memory_order_relaxed);
    usage.submitted.store(0, std::memory_order_relaxed);
    usage.discarded.store(0, std::memory_order_relaxed);
    usage.queued.store(0, std::memory_order_relaxed);
    usage.max_queued.store(0, std::memory_order_relaxed);
    usage.completed.store(0, std::memory_order_relaxed);
    usage.executed.store(0, std::memory_order_relaxed);
    usage.failed.store(0, std::memory_order_relaxed);
    usage.executing.store(0, std::memory_order_relaxed);
  }

  /// Refuses further tasks and hands back the queued ones (without allocating).
  RingDeque<Task*> close() noexcept {
    RingDeque<Task*> left;
    std::lock_guard lock(queue_lock_);
    closed_ = true;
    left.swap(queue_);
    usage.discarded.store(usage.discarded.load(std::memory_order_relaxed) + left.size(), std::memory_order_release);
    usage.queued.store(0, std::memory_order_relaxed);
    return left;
  }

  /// Asks the worker to exit once its queue is empty.
  void request_stop() noexcept {
    stopping_.store(true, std::memory_order_seq_cst);
    wake();
  }
  [[nodiscard]] bool stop_requested() const noexcept { return stopping_.load(std::memory_order_seq_cst); }

  /// Called by the worker with nothing to do: spins a little, then sleeps until a push or a stop.
  void park() noexcept {
    for (int spins = 0; spins < 128; ++spins) {
      if (usage.queued.load(std::memory_order_relaxed) != 0 || stopping_.load(std::memory_order_relaxed)) return;
      cpu_relax();
    }
    // Announce the sleep, then look again: a submitter stores `queued` before it reads `usage.sleeping`
    // (both seq_cst), so either it sees us asleep and wakes us, or we see its task.
    usage.sleeping.store(1, std::memory_order_seq_cst);
    if (usage.queued.load(std::memory_order_seq_cst) == 0 && !stopping_.load(std::memory_order_seq_cst)) {
      wait_on(usage.sleeping, 1);
    }
    usage.sleeping.store(0, std::memory_order_relaxed);
  }

  NodeUsage usage;                          // counters (cache-line aligned inside)
  std::jthread thread;                      // the worker; joined by the pool
  std::optional<std::stop_callback<ForwardStop>> forward_destroy;  // worker thread only

 private:
  void wake() noexcept {
    if (usage.sleeping.exchange(0, std::memory_order_seq_cst) != 0) wake_one(usage.sleeping);
  }

  std::size_t id_;
  Spinlock queue_lock_;
  bool closed_ = true;        // guarded by queue_lock_
  RingDeque<Task*> queue_;    // guarded by queue_lock_
  alignas(cache_line) std::atomic<bool> stopping_{false};
};

}  // namespace detail
POOLIFY_NAMESPACE_END
