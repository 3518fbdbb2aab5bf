/// @file futex.hpp
/// @brief Blocking on a 32-bit atomic word, with and without a deadline.
///
/// The waker always knows whether somebody sleeps (a bit in the word it changes), so wake calls
/// are made only when needed. On Linux this is the futex system call; elsewhere a striped table
/// of mutexes and condition variables keeps the same contract.
#pragma once

#include <poolify/version.hpp>

#include <atomic>   // std::atomic
#include <chrono>   // std::chrono::steady_clock, durations
#include <cstdint>  // std::uint32_t

#if defined(__linux__)
#include <linux/futex.h>  // FUTEX_WAIT_PRIVATE, FUTEX_WAKE_PRIVATE
#include <sys/syscall.h>  // SYS_futex
#include <time.h>         // struct timespec
#include <unistd.h>       // syscall
#include <climits>        // INT_MAX
#else
#include <condition_variable>  // std::condition_variable
#include <cstddef>             // std::size_t
#include <functional>          // std::hash
#include <mutex>               // std::mutex, std::unique_lock
#endif

POOLIFY_NAMESPACE_BEGIN
namespace detail {

static_assert(sizeof(std::atomic<std::uint32_t>) == sizeof(std::uint32_t),
              "poolify: std::atomic<std::uint32_t> must be lock-free and 4 bytes wide");

#if defined(__linux__)

inline long futex_call(std::atomic<std::uint32_t>& word, int op, std::uint32_t value,
                       const timespec* timeout) noexcept {
  // std::atomic<uint32_t> is layout-compatible with uint32_t on every platform we build for.
  return ::syscall(SYS_futex, reinterpret_cast<std::uint32_t*>(&word), op, value, timeout, nullptr, 0);
}

/// Blocks while `word == expected`; may return spuriously.
inline void wait_on(std::atomic<std::uint32_t>& word, std::uint32_t expected) noexcept {
  futex_call(word, FUTEX_WAIT_PRIVATE, expected, nullptr);
}

/// Blocks while `word == expected` until `deadline`; may return spuriously. Returns false once the
/// deadline has passed.
inline bool wait_on_until(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                          std::chrono::steady_clock::time_point deadline) noexcept {
  const auto now = std::chrono::steady_clock::now();
  if (now >= deadline) return false;
  const auto left = std::chrono::duration_cast<std::chrono::nanoseconds>(deadline - now).count();
  timespec timeout{};
  timeout.tv_sec = static_cast<time_t>(left / 1'000'000'000);
  timeout.tv_nsec = static_cast<long>(left % 1'000'000'000);
  futex_call(word, FUTEX_WAIT_PRIVATE, expected, &timeout);
  return true;
}

inline void wake_all(std::atomic<std::uint32_t>& word) noexcept {
  futex_call(word, FUTEX_WAKE_PRIVATE, INT_MAX, nullptr);
}

inline void wake_one(std::atomic<std::uint32_t>& word) noexcept {
  futex_call(word, FUTEX_WAKE_PRIVATE, 1, nullptr);
}

#else

struct WaitBucket {
  std::mutex mutex;
  std::condition_variable condition;
};

inline WaitBucket& bucket_for(const void* address) noexcept {
  static WaitBucket buckets[64];
  return buckets[(std::hash<const void*>{}(address) >> 4) % 64];
}

inline void wait_on(std::atomic<std::uint32_t>& word, std::uint32_t expected) noexcept {
  WaitBucket& bucket = bucket_for(&word);
  std::unique_lock lock(bucket.mutex);
  if (word.load(std::memory_order_acquire) == expected) bucket.condition.wait(lock);
}

inline bool wait_on_until(std::atomic<std::uint32_t>& word, std::uint32_t expected,
                          std::chrono::steady_clock::time_point deadline) noexcept {
  if (std::chrono::steady_clock::now() >= deadline) return false;
  WaitBucket& bucket = bucket_for(&word);
  std::unique_lock lock(bucket.mutex);
  if (word.load(std::memory_order_acquire) == expected) bucket.condition.wait_until(lock, deadline);
  return true;
}

inline void wake_all(std::atomic<std::uint32_t>& word) noexcept {
  WaitBucket& bucket = bucket_for(&word);
  { std::lock_guard lock(bucket.mutex); }  // orders the waker after a waiter's check
  bucket.condition.notify_all();
}

inline void wake_one(std::atomic<std::uint32_t>& word) noexcept { wake_all(word); }

#endif

}  // namespace detail
POOLIFY_NAMESPACE_END
