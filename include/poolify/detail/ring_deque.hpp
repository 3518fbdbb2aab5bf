/// @file ring_deque.hpp
/// @brief A double-ended queue in one growable ring buffer.
#pragma once

#include <poolify/version.hpp>

#include <cstddef>      // std::size_t
#include <memory>       // std::unique_ptr, std::make_unique_for_overwrite
#include <type_traits>  // std::is_trivially_copyable_v
#include <utility>      // std::move, std::swap

POOLIFY_NAMESPACE_BEGIN
namespace detail {

/// A deque of trivially copyable values (task pointers) in a power-of-two ring buffer. It grows
/// by doubling and never shrinks, so a queue that has reached its working size allocates nothing
/// more: `std::deque` instead frees and allocates a block every 64 pointers that pass through it.
/// Both ends can be pushed and popped (the owner takes from the front, thieves from the back).
template <class T>
class RingDeque {
  static_assert(std::is_trivially_copyable_v<T>, "poolify::detail::RingDeque holds trivially copyable values");

 public:
  RingDeque() = default;
  RingDeque(const RingDeque&) = delete;
  RingDeque& operator=(const RingDeque&) = delete;
  RingDeque(RingDeque&& other) noexcept { swap(other); }
  RingDeque& operator=(RingDeque&& other) noexcept {
    RingDeque taken(std::move(other));
    swap(taken);
    return *this;
  }

  void swap(RingDeque& other) noexcept {
    std::swap(slots_, other.slots_);
    std::swap(capacity_, other.capacity_);
    std::swap(head_, other.head_);
    std::swap(size_, other.size_);
  }

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }

  /// Appends at the back; may throw std::bad_alloc when it must grow, changing nothing then.
  void push_back(T value) {
    if (size_ == capacity_) grow();
    slots_[(head_ + size_) & (capacity_ - 1)] = value;
    ++size_;
  }

  /// Inserts `value` before the value at `index` (<= size()), moving the later ones back by one;
  /// may throw std::bad_alloc when it must grow, changing nothing then.
  void insert(std::size_t index, T value) {
    if (size_ == capacity_) grow();
    for (std::size_t at = size_; at > index; --at) {
      slots_[(head_ + at) & (capacity_ - 1)] = slots_[(head_ + at - 1) & (capacity_ - 1)];
    }
    slots_[(head_ + index) & (capacity_ - 1)] = value;
    ++size_;
  }

  /// The value at `index` (< size()), counted from the front.
  [[nodiscard]] T at(std::size_t index) const noexcept { return slots_[(head_ + index) & (capacity_ - 1)]; }

  /// The front value; the deque must not be empty.
  [[nodiscard]] T front() const noexcept { return slots_[head_]; }

  /// The back value; the deque must not be empty.
  [[nodiscard]] T back() const noexcept { return slots_[(head_ + size_ - 1) & (capacity_ - 1)]; }

  /// Removes and returns the front value; the deque must not be empty.
  T pop_front() noexcept {
    T value = slots_[head_];
    head_ = (head_ + 1) & (capacity_ - 1);
    --size_;
    return value;
  }

  /// Removes and returns the back value; the deque must not be empty.
  T pop_back() noexcept {
    --size_;
    return slots_[(head_ + size_) & (capacity_ - 1)];
  }

  /// Calls `visit(value)` for each value, front to back, then empties the deque.
  template <class Visit>
  void drain(Visit&& visit) {
    while (size_ != 0) visit(pop_front());
    head_ = 0;
  }

 private:
  void grow() {
    const std::size_t capacity = capacity_ == 0 ? 64 : capacity_ * 2;
    auto slots = std::make_unique_for_overwrite<T[]>(capacity);
    for (std::size_t index = 0; index < size_; ++index) slots[index] = slots_[(head_ + index) & (capacity_ - 1)];
    slots_ = std::move(slots);
    capacity_ = capacity;
    head_ = 0;
  }

  std::unique_ptr<T[]> slots_;
  std::size_t capacity_ = 0;
  std::size_t head_ = 0;
  std::size_t size_ = 0;
};

}  // namespace detail
POOLIFY_NAMESPACE_END
