/// @file spinlock.hpp
/// @brief A small test-and-test-and-set lock for very short critical sections.
#pragma once

#include <poolify/version.hpp>

#include <atomic>  // std::atomic
#include <thread>  // std::this_thread::yield

POOLIFY_NAMESPACE_BEGIN
namespace detail {

/// Relaxes the CPU inside a spin loop.
inline void cpu_relax() noexcept {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#elif defined(__aarch64__)
  asm volatile("yield" ::: "memory");
#endif
}

/// Asks the CPU to bring the cache line at `address` close, to be written soon.
inline void prefetch_for_write(const void* address) noexcept {
#if defined(__GNUC__) || defined(__clang__)
  __builtin_prefetch(address, 1);
#else
  (void)address;
#endif
}

/// Guards a worker node's queue. Critical sections are a few tens of nanoseconds, so a lock that
/// spins briefly and then yields beats a mutex; yielding keeps a preempted holder from being
/// starved on machines with fewer cores than threads.
class Spinlock {
 public:
  void lock() noexcept {
    for (unsigned spins = 0;; ++spins) {
      if (!locked_.exchange(true, std::memory_order_acquire)) return;
      while (locked_.load(std::memory_order_relaxed)) {
        if (++spins < 64) {
          cpu_relax();
        } else {
          std::this_thread::yield();
        }
      }
    }
  }
  bool try_lock() noexcept {
    return !locked_.load(std::memory_order_relaxed) && !locked_.exchange(true, std::memory_order_acquire);
  }
  void unlock() noexcept { locked_.store(false, std::memory_order_release); }

 private:
  std::atomic<bool> locked_{false};
};

}  // namespace detail
POOLIFY_NAMESPACE_END
