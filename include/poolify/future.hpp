/// @file future.hpp
/// @brief `poolify::Future`: the result of a task, without a system call per task.
#pragma once

#include <poolify/detail/helping.hpp>
#include <poolify/detail/task_state.hpp>
#include <poolify/errors.hpp>
#include <poolify/version.hpp>

#include <algorithm>    // std::min
#include <chrono>       // std::chrono::duration, std::chrono::time_point, std::chrono::steady_clock
#include <coroutine>    // std::coroutine_handle
#include <string>       // std::string
#include <type_traits>  // std::is_same_v
#include <utility>      // std::exchange

POOLIFY_NAMESPACE_BEGIN

/// How a timed wait on a Future ended (the meaning of `std::future_status`, without `deferred`).
enum class FutureStatus { ready, timeout };

template <class Data, class Response>
class Pool;

/// Asks `Future::wait` / `get` not to help: the calling worker blocks instead of running other
/// queued work of its pool (see `Future::wait`).
struct WithoutHelping {
  explicit WithoutHelping() = default;
};
/// The tag for `future.wait(poolify::without_helping)` and `future.get(poolify::without_helping)`.
inline constexpr WithoutHelping without_helping{};

namespace detail {
template <class Response>
class MapState;
}  // namespace detail

/// The eventual outcome of one task: its value, its exception (with its original type),
/// `TaskCancelled` or `TaskAbandoned`. Move-only; one owner, like `std::future`.
///
/// Unlike `std::future`, completing a task whose Future nobody waits on makes no system call, and
/// dropping a Future does not wait: the task still runs (fire and forget).
///
/// @code{.cpp}
/// poolify::Future<int> future = pool.execute(20);
/// if (future.wait_for(std::chrono::seconds(1)) == poolify::FutureStatus::ready) std::cout << future.get();
/// @endcode
template <class Response>
class Future {
 public:
  /// An invalid future (`valid()` is false).
  Future() noexcept = default;
  /// Takes `other`'s task; `other` becomes invalid.
  Future(Future&& other) noexcept : state_(std::exchange(other.state_, nullptr)) {}
  /// Lets go of this future's task (as the destructor), then takes `other`'s.
  Future& operator=(Future&& other) noexcept {
    if (this != &other) {
      reset();
      state_ = std::exchange(other.state_, nullptr);
    }
    return *this;
  }
  Future(const Future&) = delete;
  Future& operator=(const Future&) = delete;
  /// Lets go of the task; it still runs.
  ~Future() { reset(); }

  /// Whether this future refers to a task (false once `get()` returned or threw).
  [[nodiscard]] bool valid() const noexcept { return state_ != nullptr; }

  /// Whether the outcome is there, so that `get()` will not block.
  [[nodiscard]] bool ready() const {
    check_valid("ready");
    return state_->is_done();
  }

  /// Blocks until the outcome is there.
  ///
  /// Helping wait: called on a worker thread of a pool (inside a task), it runs other tasks that
  /// pool has queued while it waits (its own node's newest first, then tasks stolen from other
  /// nodes), so that a task may wait on tasks it submitted without deadlocking, even on a pool of
  /// one worker. The caveat: the waiting task has an unrelated task run on its stack, on its
  /// thread, while it waits (thread-locals and locks it holds are seen by that task). Use
  /// `wait(poolify::without_helping)` to block instead. Helping waits nest up to 200 deep on one
  /// stack; deeper ones block.
  void wait() const {
    check_valid("wait");
    wait_helping();
  }

  /// Blocks until the outcome is there without helping, even on a worker thread.
  void wait(WithoutHelping /*unused*/) const {
    check_valid("wait");
    state_->wait();
  }

  /// Blocks until the outcome is there or `timeout` has passed. Timed waits never help (a task run
  /// meanwhile could outlast the deadline).
  template <class Rep, class Period>
  [[nodiscard]] FutureStatus wait_for(const std::chrono::duration<Rep, Period>& timeout) const {
    return wait_until(std::chrono::steady_clock::now() + timeout);
  }

  /// Blocks until the outcome is there or `deadline` has come.
  template <class Clock, class Duration>
  [[nodiscard]] FutureStatus wait_until(const std::chrono::time_point<Clock, Duration>& deadline) const {
    check_valid("wait_until");
    if constexpr (std::is_same_v<Clock, std::chrono::steady_clock>) {
      return state_->wait_until(std::chrono::time_point_cast<std::chrono::steady_clock::duration>(deadline))
                 ? FutureStatus::ready
                 : FutureStatus::timeout;
    } else {
      // Other clocks may jump; re-read them between bounded steady waits.
      for (;;) {
        const auto left = deadline - Clock::now();
        if (left <= decltype(left)::zero()) return state_->is_done() ? FutureStatus::ready : FutureStatus::timeout;
        const auto step = std::chrono::steady_clock::now() +
                          std::min<std::chrono::steady_clock::duration>(
                              std::chrono::duration_cast<std::chrono::steady_clock::duration>(left),
                              std::chrono::milliseconds(100));
        if (state_->wait_until(step)) return FutureStatus::ready;
      }
    }
  }

  /// Waits for the outcome and returns the value, or rethrows the task's exception with its original
  /// type (`TaskCancelled` / `TaskAbandoned` when the task never ran). The future is then invalid.
  /// Like `wait()`, it helps when called on a worker thread.
  Response get() {
    check_valid("get");
    wait_helping();
    return take();
  }

  /// `get()` without helping, even on a worker thread.
  Response get(WithoutHelping /*unused*/) {
    check_valid("get");
    state_->wait();
    return take();
  }

  /// `co_await future` suspends the coroutine until the outcome is there and gives what `get()`
  /// would (the value, or the task's exception rethrown); the future is then invalid. The
  /// coroutine resumes on the thread that completes the task: the pool worker that ran it (so the
  /// rest of the coroutine runs on that worker, before it takes its next task), or the thread that
  /// cancelled it, or the one running `destroy()` for a task it abandons. When the outcome is
  /// already there, it goes on at once without suspending.
  auto operator co_await() && noexcept { return Awaiter{this}; }
  /// The same for a named future.
  auto operator co_await() & noexcept { return Awaiter{this}; }

  /// Cancels the task. A task still queued is removed: it never runs and resolves `TaskCancelled`
  /// (returns true). A running task has its `std::stop_token` signalled; its own outcome stands
  /// (returns false). A finished task is left as it is (returns false).
  bool cancel() {
    check_valid("cancel");
    return state_->request_cancel();
  }

 private:
  template <class D, class R>
  friend class Pool;
  template <class R>
  friend class detail::MapState;

  struct Awaiter {
    Future* future;
    [[nodiscard]] bool await_ready() const {
      future->check_valid("operator co_await");
      return future->state_->is_done();
    }
    bool await_suspend(std::coroutine_handle<> awaiting) noexcept {
      return future->state_->set_continuation(
          {[](void* context) noexcept { std::coroutine_handle<>::from_address(context).resume(); }, awaiting.address()});
    }
    Response await_resume() { return future->take(); }
  };

  void wait_helping() const {
    if (detail::current_helper != nullptr) {
      detail::help_until_done(*state_);
    } else {
      state_->wait();
    }
  }

  /// The outcome of a done task; the future is then invalid.
  Response take() {
    struct Release {
      Future* future;
      ~Release() { future->reset(); }
    } release{this};
    return state_->take();
  }

  explicit Future(detail::ResultState<Response>* state) noexcept : state_(state) {}

  void check_valid(const char* call) const {
    if (state_ == nullptr) {
      detail::throw_pool_error(std::string("poolify::Future::") + call + ": the future has no task (default-constructed, moved from, or get() already called)");
    }
  }

  void reset() noexcept {
    if (state_ != nullptr) std::exchange(state_, nullptr)->release(detail::task_word::future_ref);
  }

  detail::ResultState<Response>* state_ = nullptr;
};

POOLIFY_NAMESPACE_END
