/// @file stress.hpp
/// @brief What poolify's stress scenarios share: the iteration scale, a watchdog that turns a hang
/// into a failure naming the scenario, and a tally of how futures ended.
///
/// Each scenario runs a bounded number of iterations, `stress::scaled(n)`: n times
/// `POOLIFY_STRESS_SCALE` (default 1; the sanitizer presets run 0.2, `tools/soak.sh` 20 or more).
/// Nothing here is timed: the only clocks are deadlines meant as hang guards.
#pragma once

#include <poolify/poolify.hpp>

#include <algorithm>           // std::max
#include <atomic>              // std::atomic
#include <chrono>              // std::chrono
#include <condition_variable>  // std::condition_variable
#include <cstddef>             // std::size_t
#include <cstdint>             // std::uint64_t
#include <cstdio>              // std::fprintf
#include <cstdlib>             // std::getenv, std::strtod, std::abort
#include <exception>           // std::exception_ptr
#include <mutex>               // std::mutex
#include <string>              // std::string
#include <thread>              // std::thread
#include <utility>             // std::move

namespace stress {

/// `POOLIFY_STRESS_SCALE`, or 1.
inline double scale() {
  static const double value = [] {
    const char* text = std::getenv("POOLIFY_STRESS_SCALE");
    if (text == nullptr || *text == '\0') return 1.0;
    const double parsed = std::strtod(text, nullptr);
    return parsed > 0 ? parsed : 1.0;
  }();
  return value;
}

/// `n` iterations at the current scale (at least 1).
inline std::uint64_t scaled(std::uint64_t n) {
  return std::max<std::uint64_t>(1, static_cast<std::uint64_t>(static_cast<double>(n) * scale()));
}

/// Aborts the process, naming `scenario`, if it is still alive after `limit` (scaled up with the
/// iteration count): a hang fails at once and says where, instead of waiting for CTest's timeout.
class Watchdog {
 public:
  explicit Watchdog(std::string scenario, std::chrono::seconds limit = std::chrono::seconds(120))
      : scenario_(std::move(scenario)),
        deadline_(std::chrono::steady_clock::now() +
                  std::chrono::duration_cast<std::chrono::steady_clock::duration>(limit * std::max(1.0, scale()))),
        thread_([this] { watch(); }) {}
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;
  ~Watchdog() {
    {
      std::lock_guard lock(mutex_);
      done_ = true;
    }
    changed_.notify_all();
    thread_.join();
  }

 private:
  void watch() {
    std::unique_lock lock(mutex_);
    if (!changed_.wait_until(lock, deadline_, [this] { return done_; })) {
      std::fprintf(stderr, "stress: scenario '%s' did not finish before its deadline: a hang\n", scenario_.c_str());
      std::abort();
    }
  }

  std::string scenario_;
  std::chrono::steady_clock::time_point deadline_;
  std::mutex mutex_;
  std::condition_variable changed_;
  bool done_ = false;
  std::thread thread_;
};

/// How the futures of a scenario ended.
struct Tally {
  std::atomic<std::uint64_t> values{0};
  std::atomic<std::uint64_t> errors{0};     // the task's own exception
  std::atomic<std::uint64_t> cancelled{0};  // poolify::TaskCancelled
  std::atomic<std::uint64_t> abandoned{0};  // poolify::TaskAbandoned
  std::atomic<std::uint64_t> rejected{0};   // execute() threw: never accepted

  /// Waits for `future` and counts its outcome; returns whether it holds a value.
  template <class Response>
  bool settle(poolify::Future<Response>& future) {
    try {
      future.get();
      values.fetch_add(1, std::memory_order_relaxed);
      return true;
    } catch (const poolify::TaskCancelled&) {
      cancelled.fetch_add(1, std::memory_order_relaxed);
    } catch (const poolify::TaskAbandoned&) {
      abandoned.fetch_add(1, std::memory_order_relaxed);
    } catch (...) {
      errors.fetch_add(1, std::memory_order_relaxed);
    }
    return false;
  }
  [[nodiscard]] std::uint64_t ended() const {
    return values.load() + errors.load() + cancelled.load() + abandoned.load();
  }
};

/// How many of `futures` are not ready yet (0 once destroy() returned), then settles them all
/// into `tally`.
template <class Futures>
std::size_t unresolved_then_settle(Futures& futures, Tally& tally) {
  std::size_t unresolved = 0;
  for (auto& future : futures) {
    unresolved += future.ready() ? 0 : 1;
    tally.settle(future);
  }
  return unresolved;
}

}  // namespace stress
