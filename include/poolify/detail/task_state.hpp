/// @file task_state.hpp
/// @brief The one object a task lives in, shared by the pool and the task's Future.
#pragma once

#include <poolify/detail/continuation.hpp>
#include <poolify/detail/futex.hpp>
#include <poolify/detail/recycler.hpp>
#include <poolify/detail/spinlock.hpp>
#include <poolify/errors.hpp>
#include <poolify/task_function.hpp>
#include <poolify/version.hpp>

#include <atomic>       // std::atomic
#include <chrono>       // std::chrono::steady_clock
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint32_t, std::uint8_t
#include <exception>    // std::exception_ptr, std::make_exception_ptr, std::rethrow_exception
#include <memory>       // std::unique_ptr, std::addressof
#include <new>          // placement new
#include <optional>     // std::optional
#include <stop_token>   // std::stop_source, std::stop_callback
#include <type_traits>  // std::is_void_v
#include <utility>      // std::move, std::forward

POOLIFY_NAMESPACE_BEGIN
namespace detail {

/// The state word of a task. The phase moves queued -> running -> done exactly once; whoever moves
/// it out of queued (a worker, a canceller, destroy) decides the task's outcome. Two reference bits
/// say who still holds the task (its Future, the pool); whoever clears the last one of a done task
/// recycles it. The waiter bit says a thread sleeps on the word, so a completion with nobody
/// waiting makes no system call.
namespace task_word {
inline constexpr std::uint32_t queued = 0;
inline constexpr std::uint32_t running = 1;
inline constexpr std::uint32_t done = 2;
inline constexpr std::uint32_t phase_mask = 3;
inline constexpr std::uint32_t waiter = 4;
inline constexpr std::uint32_t future_ref = 8;
inline constexpr std::uint32_t pool_ref = 16;
inline constexpr std::uint32_t refs = future_ref | pool_ref;
inline constexpr std::uint32_t continuation = 32;
}  // namespace task_word


/// Storage for a result that is constructed at most once, in place.
template <class Response>
struct ValueSlot {
  ValueSlot() noexcept {}  // NOLINT(modernize-use-equals-default): the union member stays unconstructed
  ~ValueSlot() {}          // NOLINT(modernize-use-equals-default): ResultState destroys the value
  ValueSlot(const ValueSlot&) = delete;
  ValueSlot& operator=(const ValueSlot&) = delete;
  union {
    Response value;
  };
};
template <>
struct ValueSlot<void> {};

enum class Outcome : std::uint8_t { none, value, error };

template <class Response>
class ResultState;

/// Cancels a queued task when the user's stop token is signalled.
template <class Response>
struct CancelOnStop {
  ResultState<Response>* state;
  void operator()() const noexcept { state->request_cancel(); }
};

/// Signals a running task's stop token when the pool is destroyed.
struct ForwardStop {
  std::stop_source* source;
  void operator()() const noexcept { source->request_stop(); }
};

/// What a task needs only when stop tokens are involved; allocated once per recycled task state
/// on first use and kept with it.
template <class Response>
struct StopExtras {
  std::optional<std::stop_source> source;  // the token the task function receives
  std::optional<std::stop_callback<CancelOnStop<Response>>> on_user_stop;  // the token given to execute
  std::optional<std::stop_callback<ForwardStop>> forward_destroy;  // a suspended coroutine task's, while it lives
  // A coroutine task function's (made at submission): its coroutine (an address), the pool
  // running it and the key of the node that started it, for when it ends, wherever that is.
  void* coroutine = nullptr;
  void* owner = nullptr;
  std::size_t run_node = 0;
};

/// The part of a task its Future sees: the state word and the outcome. It does not know `Data`.
template <class Response>
class ResultState {
 public:
  using RecycleFunction = void (*)(ResultState*) noexcept;

  explicit ResultState(RecycleFunction recycle) noexcept : recycle_(recycle) {}
  ResultState(const ResultState&) = delete;
  ResultState& operator=(const ResultState&) = delete;
  ~ResultState() { clear_outcome(); }

  // ---- outcome (written by whoever claimed the task, read after done) ----
  template <class... Args>
  void set_value(Args&&... args) {
    if constexpr (!std::is_void_v<Response>) {
      ::new (static_cast<void*>(std::addressof(slot_.value))) Response(std::forward<Args>(args)...);
    }
    outcome_ = Outcome::value;
  }
  void set_error(std::exception_ptr error) noexcept {
    error_ = std::move(error);
    outcome_ = Outcome::error;
  }
  void clear_outcome() noexcept {
    if constexpr (!std::is_void_v<Response>) {
      if (outcome_ == Outcome::value) slot_.value.~Response();
    }
    error_ = nullptr;
    outcome_ = Outcome::none;
  }
  /// Moves the outcome out: the value, or the task's exception rethrown with its type. The
  /// exception leaves the state with it: whoever recycles the state later (maybe another thread)
  /// does not touch it, so the exception object is only ever freed by its reader's threads.
  /// (libstdc++'s exception reference count is not visible to ThreadSanitizer.)
  Response take() {
    if (outcome_ == Outcome::error) std::rethrow_exception(take_error());
    if constexpr (!std::is_void_v<Response>) return std::move(slot_.value);
  }

  // ---- the state word ----
  /// Whether the recorded outcome is an exception (valid once the outcome is set).
  [[nodiscard]] bool has_error() const noexcept { return outcome_ == Outcome::error; }
  /// The recorded exception (valid once an error outcome is set, before the task is published).
  [[nodiscard]] std::exception_ptr error() const noexcept { return error_; }
  /// Moves the recorded exception out (the outcome stays an error).
  [[nodiscard]] std::exception_ptr take_error() noexcept { return std::move(error_); }

  [[nodiscard]] bool is_done() const noexcept {
    return (word_.load(std::memory_order_acquire) & task_word::phase_mask) == task_word::done;
  }

  /// Moves the phase from queued to running; true for the one caller that wins.
  bool try_claim() noexcept {
    std::uint32_t word = word_.load(std::memory_order_relaxed);
    while ((word & task_word::phase_mask) == task_word::queued) {
      if (word_.compare_exchange_weak(word, word + task_word::running, std::memory_order_acquire,
                                      std::memory_order_relaxed)) {
        return true;
      }
    }
    return false;
  }

  /// Moves the phase from running to done, publishing the outcome, and wakes a waiter if one said
  /// it sleeps. With `drop_pool_ref` the pool lets go of the task in the same step, so that a
  /// waiting Future is the last holder and frees the outcome on its own thread. The wake-up may
  /// then reach a task state already recycled: that is harmless, since task states are never
  /// freed and every waiter re-checks its word after waking.
  ///
  /// A continuation set before runs last, here: its owner holds the Future, so the task cannot be
  /// recycled under it, and nothing here touches the task after it.
  void publish(bool drop_pool_ref) noexcept {
    const std::uint32_t change = (task_word::done - task_word::running) - (drop_pool_ref ? task_word::pool_ref : 0U);
    const std::uint32_t before = word_.fetch_add(change, std::memory_order_acq_rel);
    if ((before & task_word::waiter) != 0) wake_all(word_);
    if ((before & task_word::continuation) != 0) {
      const Continuation next = continuation_;
      next.run(next.context);
      return;
    }
    if (((before + change) & task_word::refs) == 0) recycle_(this);
  }

  /// Has `next` run when the task is done, on the thread that completes it; false (and nothing
  /// set) when it is done already: the caller goes on itself. At most one continuation per task,
  /// set by the Future's owner, which keeps the Future until the continuation has run.
  bool set_continuation(Continuation next) noexcept {
    continuation_ = next;
    const std::uint32_t before = word_.fetch_or(task_word::continuation, std::memory_order_acq_rel);
    return (before & task_word::phase_mask) != task_word::done;
  }

  /// Lets go of one reference; the last holder of a done task recycles it. When the task is done
  /// and `ref` is the only reference left, nobody else may change the word any more (the phase is
  /// final, and only holders set bits): the holder recycles it without a read-modify-write (the
  /// completing thread may still make its wake-up call on the word, which is harmless, see
  /// `publish`).
  void release(std::uint32_t ref) noexcept {
    if ((word_.load(std::memory_order_acquire) & ~task_word::waiter) == (task_word::done | ref)) {
      recycle_(this);
      return;
    }
    const std::uint32_t word = word_.fetch_sub(ref, std::memory_order_acq_rel) - ref;
    if ((word & task_word::phase_mask) == task_word::done && (word & task_word::refs) == 0) recycle_(this);
  }

  /// Cancels the task: a queued one resolves TaskCancelled now and never runs (true); a running
  /// one has its stop token signalled and its own outcome stands (false).
  bool request_cancel() noexcept {
    if (try_claim()) {
      set_error(std::make_exception_ptr(TaskCancelled("poolify: task cancelled before it started")));
      publish(false);  // the pool still holds the task in a queue and lets go of it there
      return true;
    }
    if (extras_ && extras_->source) extras_->source->request_stop();
    return false;
  }

  /// Blocks until done: spins briefly (results often come within microseconds), then sleeps.
  void wait() const noexcept {
    std::uint32_t word = word_.load(std::memory_order_acquire);
    for (int spins = 0; spins < 256 && (word & task_word::phase_mask) != task_word::done; ++spins) {
      cpu_relax();
      word = word_.load(std::memory_order_acquire);
    }
    while ((word & task_word::phase_mask) != task_word::done) {
      if ((word & task_word::waiter) == 0) {
        word = word_.fetch_or(task_word::waiter, std::memory_order_acq_rel) | task_word::waiter;
        if ((word & task_word::phase_mask) == task_word::done) break;
      }
      wait_on(word_, word);
      word = word_.load(std::memory_order_acquire);
    }
  }

  /// Blocks until done or `deadline`; true when done.
  bool wait_until(std::chrono::steady_clock::time_point deadline) const noexcept {
    std::uint32_t word = word_.load(std::memory_order_acquire);
    while ((word & task_word::phase_mask) != task_word::done) {
      if ((word & task_word::waiter) == 0) {
        word = word_.fetch_or(task_word::waiter, std::memory_order_acq_rel) | task_word::waiter;
        if ((word & task_word::phase_mask) == task_word::done) break;
      }
      if (!wait_on_until(word_, word, deadline)) return false;
      word = word_.load(std::memory_order_acquire);
    }
    return true;
  }

  // ---- stop tokens ----
  StopExtras<Response>& extras() {
    if (!extras_) extras_ = std::make_unique<StopExtras<Response>>();
    return *extras_;
  }
  [[nodiscard]] StopExtras<Response>* extras_if_any() const noexcept { return extras_.get(); }

 protected:
  /// Resets the word for a new task held by both its Future and the pool.
  void reset_word() noexcept { word_.store(task_word::future_ref | task_word::pool_ref, std::memory_order_relaxed); }

 private:
  mutable std::atomic<std::uint32_t> word_{0};
  Outcome outcome_ = Outcome::none;
  ValueSlot<Response> slot_;
  std::exception_ptr error_;
  std::unique_ptr<StopExtras<Response>> extras_;
  Continuation continuation_{};
  RecycleFunction recycle_;
};

/// A whole task: its result state, its `Data`, and the function it runs.
template <class Data, class Response>
class TaskState final : public ResultState<Response> {
 public:
  using Function = TaskFunctionModelBase<Data, Response>;

  /// Makes a queued task held by its Future and the pool. Strong guarantee: if moving `data` in
  /// throws, nothing is left behind.
  static TaskState* make(Data&& data, const Function* function) {
    TaskState* task = Recycler<TaskState>::instance().take();
    if (task == nullptr) task = new TaskState();
    try {
      ::new (static_cast<void*>(std::addressof(task->data_.value))) Data(std::move(data));
    } catch (...) {
      Recycler<TaskState>::instance().give(task);
      throw;
    }
    task->function_ = function;
    task->affinity = nullptr;  // the union's live member again (the recycler used its place)
    task->reset_word();
    return task;
  }

  /// For a coroutine task function: calls it on the claimed task's data; the coroutine it returns
  /// has not started. Throws what the call throws.
  Task<Response> make_coroutine(std::stop_token token) { return function_->invoke_coroutine(std::move(data_.value), std::move(token)); }

  /// Runs the task function on the claimed task and records its outcome (never throws).
  void run(std::stop_token token) noexcept {
    try {
      if constexpr (std::is_void_v<Response>) {
        function_->invoke(std::move(data_.value), std::move(token));
        this->set_value();
      } else {
        this->set_value(function_->invoke(std::move(data_.value), std::move(token)));
      }
    } catch (...) {
      this->set_error(std::current_exception());
    }
  }

  /// Destroys the data and stop callbacks once the pool is through with the task; the user's stop
  /// callback may be running on another thread, and its destructor waits for it.
  void discard_inputs() noexcept {
    data_.value.~Data();
    if (StopExtras<Response>* extras = this->extras_if_any()) extras->on_user_stop.reset();
  }

  [[nodiscard]] const Function& function() const noexcept { return *function_; }

  union {
    /// The node keys its task function may run on (one flag per key), or null for any node (as
    /// `make` leaves it; a submission sets it).
    const unsigned char* affinity = nullptr;
    /// While the state is in the recycler: the last node of its batch (see Recycler). Shares the
    /// place of `affinity`, dead then, so that a queued `int` task stays within 120 bytes.
    TaskState* recycle_tail_;
  };

  /// Whether the task may run on node `key` (its task function's `worker_node_keys`).
  [[nodiscard]] bool may_run_on(std::size_t key) const noexcept { return affinity == nullptr || affinity[key] != 0; }

  /// When the task was submitted (ms on the steady clock), or 0 when neither wait times are
  /// measured nor priorities are in use.
  double submitted_ms = 0;

  /// Its task function's priority (-20..19, lower first), used when priorities are in use.
  int priority = 0;

  /// Its task function's slot in the pool, for per-function usage.
  std::uint32_t function_slot = 0;

  /// Its place in the order tasks were queued on its node, the low 32 bits of the node's count
  /// (compared as serial numbers: see `WorkerNode::pop_newest`). 32 bits, so that a small `Data`
  /// shares its 8 bytes: a queued `int` task takes 120 bytes with its queue slot.
  std::uint32_t queue_stamp = 0;

 private:
  ValueSlot<Data> data_;  // here, after the 4-byte fields, where a small Data fills the padding

 public:
  TaskState* recycle_next_ = nullptr;  // link in the recycler's lists

 private:
  TaskState() noexcept : ResultState<Response>(&TaskState::recycle) {}

  static void recycle(ResultState<Response>* base) noexcept {
    auto* task = static_cast<TaskState*>(base);
    task->clear_outcome();
    if (StopExtras<Response>* extras = task->extras_if_any()) {
      extras->forward_destroy.reset();
      extras->source.reset();
    }
    Recycler<TaskState>::instance().give(task);
  }

  const Function* function_ = nullptr;
};

}  // namespace detail
POOLIFY_NAMESPACE_END
