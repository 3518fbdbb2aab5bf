/// @file task.hpp
/// @brief `poolify::Task<R>`: the coroutine type of task functions that suspend.
#pragma once

#include <poolify/detail/continuation.hpp>
#include <poolify/version.hpp>

#include <coroutine>    // std::coroutine_handle, std::suspend_always
#include <exception>    // std::exception_ptr, std::current_exception
#include <optional>     // std::optional
#include <type_traits>  // std::is_void_v
#include <utility>      // std::exchange, std::forward, std::move

POOLIFY_NAMESPACE_BEGIN

template <class R>
class Task;

namespace detail {

/// The result part of a Task's promise: a value (or nothing for void) or an exception.
template <class R>
struct TaskResult {
  std::optional<R> value;
  template <class V>
  void return_value(V&& result) {
    value.emplace(std::forward<V>(result));
  }
};
template <>
struct TaskResult<void> {
  void return_void() noexcept {}
};

}  // namespace detail

/// A task function that is a coroutine returns `poolify::Task<Response>`:
///
/// @code{.cpp}
/// poolify::FixedPool<int, int> pool(1, [&other](int x) -> poolify::Task<int> {
///   const int y = co_await other.execute(x);  // the worker runs other tasks meanwhile
///   co_return y + 1;
/// }, {.tasks_queue_options = {.concurrency = 4}});
/// @endcode
///
/// The pool starts it on a worker; when it suspends (`co_await`), the worker goes on with other
/// tasks, and with `TasksQueueOptions::concurrency` = N a node keeps up to N such tasks in flight.
/// It resumes wherever what it awaits completes it (for a `poolify::Future`: on the thread that
/// completed that task), and its pool task completes when it returns. Only a pool can run a Task:
/// it starts suspended and is not awaitable itself.
template <class R>
class Task {
 public:
  /// The coroutine's promise (C++ requires the name): keeps the result or the exception for the
  /// pool, which reads it when the coroutine ends.
  struct promise_type : detail::TaskResult<R> {
    std::exception_ptr error;        ///< What the coroutine threw, if it did.
    detail::Continuation on_done{};  ///< Set by the pool before it starts the coroutine.

    /// The `Task` the coroutine call returns.
    Task get_return_object() noexcept { return Task(std::coroutine_handle<promise_type>::from_promise(*this)); }
    /// Starts suspended: the pool resumes it on a worker.
    std::suspend_always initial_suspend() noexcept { return {}; }
    /// Keeps the exception for the task's future.
    void unhandled_exception() noexcept { error = std::current_exception(); }

    /// Ends the coroutine by telling the pool, which completes the pool task.
    struct FinalAwaiter {
      /// Always suspends, to tell the pool.
      [[nodiscard]] bool await_ready() const noexcept { return false; }
      /// Tells the pool; it may destroy the frame, so nothing here touches it after.
      void await_suspend(std::coroutine_handle<promise_type> self) noexcept {
        const detail::Continuation done = self.promise().on_done;
        done.run(done.context);
      }
      /// Never resumed.
      void await_resume() const noexcept {}
    };
    /// Suspends at the end so that the pool, not the coroutine, frees the frame.
    FinalAwaiter final_suspend() noexcept { return {}; }
  };

  /// Takes `other`'s coroutine; `other` holds none after.
  Task(Task&& other) noexcept : handle_(std::exchange(other.handle_, {})) {}
  /// Destroys the coroutine it holds (if any), then takes `other`'s.
  Task& operator=(Task&& other) noexcept {
    if (this != &other) {
      if (handle_) handle_.destroy();
      handle_ = std::exchange(other.handle_, {});
    }
    return *this;
  }
  Task(const Task&) = delete;
  Task& operator=(const Task&) = delete;
  /// Destroys a coroutine the pool never started.
  ~Task() {
    if (handle_) handle_.destroy();
  }

  /// The coroutine, for the pool that runs it (internal).
  [[nodiscard]] std::coroutine_handle<promise_type> release() noexcept { return std::exchange(handle_, {}); }

 private:
  explicit Task(std::coroutine_handle<promise_type> handle) noexcept : handle_(handle) {}

  std::coroutine_handle<promise_type> handle_;
};

namespace detail {

template <class T>
struct IsTask : std::false_type {};
template <class R>
struct IsTask<Task<R>> : std::true_type {};

}  // namespace detail

POOLIFY_NAMESPACE_END
