/// @file support.hpp
/// @brief Helpers shared by poolify's tests: a gate tasks wait on, pinning to one CPU, and Catch2
/// v2/v3 matchers.
#pragma once

#include <condition_variable>  // std::condition_variable_any
#include <mutex>               // std::mutex, std::lock_guard, std::unique_lock
#include <stop_token>          // std::stop_token
#include <string>              // std::string

#if defined(__linux__)
#include <sched.h>  // sched_getaffinity, sched_setaffinity, cpu_set_t
#endif

#include "catch.hpp"

namespace test {

/// A gate that tasks wait on until the test opens it: synchronization without sleeping.
class Gate {
 public:
  void open() {
    {
      std::lock_guard lock(mutex_);
      open_ = true;
    }
    condition_.notify_all();
  }
  void wait() {
    std::unique_lock lock(mutex_);
    condition_.wait(lock, [this] { return open_; });
  }
  /// Waits until opened or `token` is stopped; true when opened.
  bool wait(std::stop_token token) {
    std::unique_lock lock(mutex_);
    return condition_.wait(lock, token, [this] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable_any condition_;
  bool open_ = false;
};

#if defined(__linux__)
/// Pins the calling thread (and the threads it makes from here on) to the first CPU of its
/// affinity mask; `saved` receives the mask it had, to restore with `sched_setaffinity`. Whether
/// both calls succeeded.
inline bool pin_to_first_cpu(cpu_set_t& saved) {
  CPU_ZERO(&saved);
  if (sched_getaffinity(0, sizeof saved, &saved) != 0) return false;
  cpu_set_t one;
  CPU_ZERO(&one);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &saved)) {
      CPU_SET(cpu, &one);
      break;
    }
  }
  return sched_setaffinity(0, sizeof one, &one) == 0;
}
#endif

/// A matcher for "the message contains `text`", in Catch2 v2 and v3.
inline auto contains(const std::string& text) {
#if defined(CATCH_VERSION_MAJOR) && CATCH_VERSION_MAJOR >= 3
  return Catch::Matchers::ContainsSubstring(text);
#else
  return Catch::Matchers::Contains(text);
#endif
}

}  // namespace test
