/// @file events.hpp
/// @brief Pool events (poolifier's `PoolEvents`): what `Pool::on()` listens to.
///
/// @code{.cpp}
/// const poolify::ListenerId id = pool.on(poolify::PoolEvent::busy, [](const poolify::Event& event) {
///   std::printf("all %zu nodes busy\n", event.info.worker_nodes);
/// });
/// pool.off(id);
/// @endcode
#pragma once

#include <poolify/statistics.hpp>
#include <poolify/version.hpp>

#include <cstdint>      // std::uint64_t
#include <exception>    // std::exception_ptr
#include <functional>   // std::function
#include <string>       // std::string
#include <string_view>  // std::string_view

POOLIFY_NAMESPACE_BEGIN

/// What happened to a pool. Each pair (busy / busy_end, ...) is edge-triggered: one event when the
/// condition starts, one when it ends, never two in a row of the same kind.
enum class PoolEvent {
  ready,              ///< `start()` made the pool ready (its minimum of nodes runs).
  busy,               ///< Every node has as many tasks in flight as its concurrency.
  busy_end,           ///< The end of a `busy` episode.
  full,               ///< A dynamic pool reached its maximum size (with dynamic pools).
  full_end,           ///< The end of a `full` episode (with dynamic pools).
  empty,              ///< A dynamic pool of minimum 0 went down to no node (with dynamic pools).
  destroy,            ///< `destroy()` finished.
  error,              ///< An error no future can carry (a worker hook threw, ...); also sent to `error_handler`.
  task_error,         ///< A task threw: `Event::error`, `message` and `task_function` say which.
  back_pressure,      ///< Every node's queue is at its back-pressure threshold (`tasks_queue_options.size`).
  back_pressure_end,  ///< The end of a `back_pressure` episode.
};

/// The number of `PoolEvent` values.
inline constexpr std::size_t pool_event_count = static_cast<std::size_t>(PoolEvent::back_pressure_end) + 1;

/// poolifier's name of an event, e.g. "busyEnd".
[[nodiscard]] constexpr std::string_view to_string(PoolEvent event) noexcept {
  switch (event) {
    case PoolEvent::ready: return "ready";
    case PoolEvent::busy: return "busy";
    case PoolEvent::busy_end: return "busyEnd";
    case PoolEvent::full: return "full";
    case PoolEvent::full_end: return "fullEnd";
    case PoolEvent::empty: return "empty";
    case PoolEvent::destroy: return "destroy";
    case PoolEvent::error: return "error";
    case PoolEvent::task_error: return "taskError";
    case PoolEvent::back_pressure: return "backPressure";
    case PoolEvent::back_pressure_end: return "backPressureEnd";
  }
  return "unknown";
}

/// One event as a listener receives it.
struct Event {
  PoolEvent kind = PoolEvent::ready;  ///< What happened.
  PoolInfo info{};                    ///< The pool as it was when it happened.
  std::exception_ptr error{};         ///< `error`, `task_error`: the exception.
  std::string message{};              ///< `error`, `task_error`: its `what()` ("unknown exception" if none).
  std::string task_function{};        ///< `task_error`: the name of the task function that threw.
};

/// A listener: called with each event of the kind it was added for.
using Listener = std::function<void(const Event&)>;

/// What `Pool::on()` returns, for `Pool::off()`.
struct ListenerId {
  std::uint64_t value = 0;  ///< 0 is never a listener's.
  /// Equal when they name the same listener.
  friend bool operator==(ListenerId, ListenerId) = default;
};

POOLIFY_NAMESPACE_END
