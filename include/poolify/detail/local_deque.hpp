/// @file local_deque.hpp
/// @brief The tasks a worker submits to its own node: a work-stealing deque (Chase and Lev's).
#pragma once

#include <poolify/version.hpp>

#include <array>    // std::array
#include <atomic>   // std::atomic, std::atomic_thread_fence
#include <cstddef>  // std::size_t
#include <cstdint>  // std::int64_t

POOLIFY_NAMESPACE_BEGIN
namespace detail {

#if defined(__SANITIZE_THREAD__)
#define POOLIFY_DETAIL_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define POOLIFY_DETAIL_TSAN 1
#endif
#endif

/// A full fence (StoreLoad). GCC makes `std::atomic_thread_fence(seq_cst)` a locked `or` on the
/// stack on x86-64, which is cheaper than the `mfence` Clang makes; both are full barriers. Under
/// ThreadSanitizer, the standard fence, which it knows.
inline void full_fence() noexcept {
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && !defined(POOLIFY_DETAIL_TSAN)
  std::atomic_signal_fence(std::memory_order_seq_cst);
  asm volatile("lock orq $0, (%%rsp)" ::: "memory", "cc");
#else
  std::atomic_thread_fence(std::memory_order_seq_cst);
#endif
}

/// A bounded work-stealing deque of pointers (Chase and Lev's, with the C11 orderings of Lê et al.,
/// "Correct and efficient work-stealing for weak memory models", PPoPP 2013). One thread, the
/// owner, pushes and takes at the bottom; any thread steals at the top. The owner's push has no
/// locked instruction and its take one fence; a steal is one compare-and-swap. Bounded, so that a
/// thief never reads a buffer that was replaced: the owner of a full deque queues the task
/// elsewhere.
///
/// Indices grow without bound (64 bits: they never wrap in practice); `bottom - top` is the size.
template <class T, std::size_t Capacity>
class LocalDeque {
  static_assert((Capacity & (Capacity - 1)) == 0, "poolify::detail::LocalDeque: the capacity is a power of two");

 public:
  static constexpr std::int64_t capacity = static_cast<std::int64_t>(Capacity);

  /// Owner only: whether a push would find no room (thieves only ever make room).
  [[nodiscard]] bool full() const noexcept {
    return bottom_.load(std::memory_order_relaxed) - top_.load(std::memory_order_acquire) >= capacity;
  }

  /// Owner only, when not `full()`: puts `item` at the bottom.
  void push(T* item) noexcept {
    const std::int64_t bottom = bottom_.load(std::memory_order_relaxed);
    slots_[index(bottom)].store(item, std::memory_order_relaxed);
    bottom_.store(bottom + 1, std::memory_order_release);  // a thief that sees it sees the item
  }

  /// Owner only: the place the next push takes. Items at places from a mark up were pushed after it.
  [[nodiscard]] std::int64_t mark() const noexcept { return bottom_.load(std::memory_order_relaxed); }

  /// Owner only: takes the newest item if its place is `floor` or above, else nullptr.
  T* take(std::int64_t floor) noexcept {
    const std::int64_t bottom = bottom_.load(std::memory_order_relaxed) - 1;
    if (bottom < floor) return nullptr;
    if (bottom < top_.load(std::memory_order_relaxed)) return nullptr;  // empty (the top only grows)
    bottom_.store(bottom, std::memory_order_release);
    full_fence();
    std::int64_t top = top_.load(std::memory_order_relaxed);
    if (top > bottom) {
      bottom_.store(bottom + 1, std::memory_order_release);  // a thief took it before our look
      return nullptr;
    }
    T* item = slots_[index(bottom)].load(std::memory_order_relaxed);
    if (top < bottom) return item;  // more than one item: the thieves stop short of this one
    // The last one: the thieves may want it too; whoever moves the top has it.
    const bool mine = top_.compare_exchange_strong(top, top + 1, std::memory_order_seq_cst, std::memory_order_relaxed);
    bottom_.store(bottom + 1, std::memory_order_release);
    return mine ? item : nullptr;
  }

  /// Any thread: takes the oldest item, or nullptr when the deque is empty or another thread took
  /// it first (`contended` says which).
  T* steal(bool* contended = nullptr) noexcept {
    std::int64_t top = top_.load(std::memory_order_acquire);
    full_fence();
    const std::int64_t bottom = bottom_.load(std::memory_order_acquire);
    if (top >= bottom) return nullptr;
    T* item = slots_[index(top)].load(std::memory_order_relaxed);
    if (!top_.compare_exchange_strong(top, top + 1, std::memory_order_seq_cst, std::memory_order_relaxed)) {
      if (contended != nullptr) *contended = true;
      return nullptr;
    }
    return item;
  }

  /// Any thread: takes the oldest item, trying again while other threads take items first;
  /// nullptr only when the deque is empty.
  T* steal_until_empty() noexcept {
    for (;;) {
      bool contended = false;
      if (T* item = steal(&contended)) return item;
      if (!contended) return nullptr;
    }
  }

  /// Any thread: how many items it holds, a moment old.
  [[nodiscard]] std::uint64_t size() const noexcept {
    const std::int64_t top = top_.load(std::memory_order_acquire);
    const std::int64_t bottom = bottom_.load(std::memory_order_acquire);
    return bottom > top ? static_cast<std::uint64_t>(bottom - top) : 0;
  }

 private:
  static std::size_t index(std::int64_t place) noexcept { return static_cast<std::size_t>(place) & (Capacity - 1); }

  alignas(64) std::atomic<std::int64_t> top_{0};     // thieves (and the owner on the last item)
  alignas(64) std::atomic<std::int64_t> bottom_{0};  // the owner
  std::array<std::atomic<T*>, Capacity> slots_{};
};

}  // namespace detail
POOLIFY_NAMESPACE_END
