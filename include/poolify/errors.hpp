/// @file errors.hpp
/// @brief The exceptions poolify throws and the outcomes a task can end in.
#pragma once

#include <poolify/version.hpp>

#include <stdexcept>  // std::logic_error, std::runtime_error, std::invalid_argument, std::out_of_range
#include <string>     // std::string

POOLIFY_NAMESPACE_BEGIN

/// Misuse of a pool's lifecycle, e.g. "Cannot execute a task on not started pool".
/// Thrown at the call; nothing was changed.
class PoolError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

/// The outcome of a task that was cancelled before it started (by `Future::cancel()` or its
/// `std::stop_token`): its function never ran. `Future::get()` throws it.
class TaskCancelled : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// The outcome of a task that was still queued when `destroy()` stopped waiting
/// (`tasks_finished_timeout`): its function never ran. `Future::get()` throws it.
class TaskAbandoned : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {

// One place that throws, so that the hot paths stay small and the messages stay uniform.
[[noreturn]] inline void throw_pool_error(const std::string& message) { throw PoolError(message); }
[[noreturn]] inline void throw_invalid_argument(const std::string& message) {
  throw std::invalid_argument(message);
}
[[noreturn]] inline void throw_out_of_range(const std::string& message) { throw std::out_of_range(message); }

}  // namespace detail
POOLIFY_NAMESPACE_END
