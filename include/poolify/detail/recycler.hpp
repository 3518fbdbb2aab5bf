/// @file recycler.hpp
/// @brief A process-wide free list of task states of one type.
#pragma once

#include <poolify/detail/spinlock.hpp>
#include <poolify/version.hpp>

#include <atomic>   // std::atomic
#include <cstdint>  // std::uint32_t
#include <mutex>   // std::lock_guard
#include <new>     // placement new

POOLIFY_NAMESPACE_BEGIN
namespace detail {

/// Keeps released task states for reuse, so that a steady stream of tasks touches no fresh
/// memory (a first touch of a page costs 12-17 us on the machines we measure on).
///
/// Each thread first keeps what it releases in a small cache of its own and takes from it again:
/// a thread that submits tasks and also drops their futures (or a task that submits tasks) reuses
/// its own task states with no atomic instruction at all. A full cache hands half of itself to the
/// shared list in one step, as a batch whose first node knows its last (`recycle_tail_`). The
/// shared list takes releases lock-free; takers grab all of it at once (an exchange, free of ABA)
/// into a private list, and a taker whose cache is empty moves one batch from there into a second
/// list of its own under a small lock, then pops that with no atomic instruction: a thread that
/// submits while workers release (tasks whose futures are dropped) takes the lock once per batch
/// (128 tasks from a full cache), not once per task, and never walks a chain.
///
/// `Node` provides `Node* recycle_next_` and `Node* recycle_tail_`, both free for the recycler's
/// use while the node is in it.
///
/// One recycler exists per task-state type for the whole process and is never destroyed: futures
/// may outlive their pool, and pools may live in static storage, so a release must never find
/// its recycler gone. A thread's cache goes to the shared list when the thread exits. What the
/// recycler holds stays reachable, so leak checkers do not report it.
template <class Node>
class Recycler {
 public:
  static Recycler& instance() noexcept {
    // Made in static storage, not on the heap: the first call may come from execute() when memory
    // is short, and must not throw (regression: a failed allocation here called std::terminate).
    alignas(Recycler) static unsigned char storage[sizeof(Recycler)];
    static Recycler* const recycler = ::new (static_cast<void*>(storage)) Recycler();
    return *recycler;
  }

  /// A node to reuse, or nullptr when none is free.
  Node* take() noexcept {
    LocalCache& local = local_cache();
    if (local.head != nullptr) {
      Node* node = local.head;
      local.head = node->recycle_next_;
      --local.count;
      return node;
    }
    if (local.taken == nullptr) {
      if (local.state == LocalState::unused) open(local);  // so that what it takes is handed back at its exit
      if (local.state == LocalState::closed) return nullptr;  // exiting: what it took would be lost
      local.taken = take_batch();
    }
    Node* node = local.taken;
    if (node != nullptr) local.taken = node->recycle_next_;
    return node;
  }

  /// Keeps a node for reuse.
  void give(Node* node) noexcept {
    LocalCache& local = local_cache();
    if (local.state == LocalState::unused) open(local);
    if (local.state == LocalState::closed) {  // this thread is exiting
      give_chain(node, node);
      return;
    }
    if (local.count == local_capacity) spill(local, local_capacity / 2);
    node->recycle_next_ = local.head;
    local.head = node;
    ++local.count;
  }

 private:
  static constexpr std::uint32_t local_capacity = 256;

  enum class LocalState : unsigned char { unused, open, closed };

  /// Trivially destructible, so that it is usable at any point of a thread's life, even while
  /// thread-local destructors run.
  struct LocalCache {
    Node* head;          // what this thread released, `count` of them
    Node* taken;         // what it took from the shared list and has not used yet (not counted)
    std::uint32_t count;
    LocalState state;
  };

  /// Hands the thread's cache to the shared list when the thread exits.
  struct Flusher {
    Flusher() = default;
    Flusher(const Flusher&) = delete;
    Flusher& operator=(const Flusher&) = delete;
    ~Flusher() {
      LocalCache& local = local_cache();
      Recycler& recycler = instance();
      recycler.spill(local, local.count);
      if (local.taken != nullptr) {
        Node* last = local.taken;
        while (last->recycle_next_ != nullptr) last = last->recycle_next_;
        recycler.give_chain(local.taken, last);
        local.taken = nullptr;
      }
      local.state = LocalState::closed;
    }
  };

  static LocalCache& local_cache() noexcept {
    static thread_local LocalCache cache{nullptr, nullptr, 0, LocalState::unused};
    return cache;
  }

  static void open(LocalCache& local) noexcept {
    static thread_local Flusher flusher;  // constructed on this first use in the thread
    (void)flusher;
    local.state = LocalState::open;
  }

  /// Moves the first `count` nodes of a thread's cache to the shared list, in one step.
  void spill(LocalCache& local, std::uint32_t count) noexcept {
    if (count == 0) return;
    Node* first = local.head;
    Node* last = first;
    for (std::uint32_t index = 1; index < count; ++index) last = last->recycle_next_;
    local.head = last->recycle_next_;
    local.count -= count;
    give_chain(first, last);
  }

  /// One chain that was given to the shared list in one step (see `give_chain`), or nullptr: under
  /// the take lock, once per chain, in constant time. Takers share what is there: a thread holds at
  /// most one such chain it has not used (at most a cache's worth), so a burst's task states serve
  /// whichever thread submits next.
  Node* take_batch() noexcept {
    std::lock_guard lock(take_lock_);
    if (private_ == nullptr) private_ = returned_.exchange(nullptr, std::memory_order_acquire);
    Node* first = private_;
    if (first == nullptr) return nullptr;
    Node* last = first->recycle_tail_;
    private_ = last->recycle_next_;
    last->recycle_next_ = nullptr;
    return first;
  }

  /// Pushes the chain first..last onto the shared list, as one batch: `first` keeps where it ends.
  void give_chain(Node* first, Node* last) noexcept {
    first->recycle_tail_ = last;
    Node* head = returned_.load(std::memory_order_relaxed);
    do {
      last->recycle_next_ = head;
    } while (!returned_.compare_exchange_weak(head, first, std::memory_order_release, std::memory_order_relaxed));
  }

  Recycler() = default;

  // Releasers (workers) and takers (submitters) write different cache lines.
  alignas(64) std::atomic<Node*> returned_{nullptr};
  alignas(64) Spinlock take_lock_;
  Node* private_ = nullptr;  // guarded by take_lock_
};

}  // namespace detail
POOLIFY_NAMESPACE_END
