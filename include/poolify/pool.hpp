/// @file pool.hpp
/// @brief `poolify::Pool`: the engine every pool type shares.
#pragma once

#include <poolify/detail/event_hub.hpp>
#include <poolify/detail/futex.hpp>
#include <poolify/detail/helping.hpp>
#include <poolify/detail/map_state.hpp>
#include <poolify/detail/task_state.hpp>
#include <poolify/detail/validation.hpp>
#include <poolify/detail/worker_node.hpp>
#include <poolify/errors.hpp>
#include <poolify/events.hpp>
#include <poolify/future.hpp>
#include <poolify/options.hpp>
#include <poolify/statistics.hpp>
#include <poolify/strategies/fair_share.hpp>
#include <poolify/strategies/interleaved_weighted_round_robin.hpp>
#include <poolify/strategies/least_busy.hpp>
#include <poolify/strategies/least_elu.hpp>
#include <poolify/strategies/least_used.hpp>
#include <poolify/strategies/round_robin.hpp>
#include <poolify/strategies/strategy.hpp>
#include <poolify/strategies/weighted_round_robin.hpp>
#include <poolify/task.hpp>
#include <poolify/task_function.hpp>
#include <poolify/version.hpp>

#include <algorithm>    // std::rotate, std::min, std::max
#include <array>        // std::array
#include <atomic>       // std::atomic
#include <chrono>       // std::chrono::steady_clock
#include <cmath>        // std::ceil
#include <coroutine>    // std::coroutine_handle
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint32_t, std::uint64_t
#include <cstdio>       // std::fputs, stderr
#include <exception>    // std::exception, std::exception_ptr, std::current_exception
#include <functional>   // std::function
#include <limits>       // std::numeric_limits
#include <memory>       // std::unique_ptr, std::make_unique, std::shared_ptr
#include <mutex>        // std::mutex, std::lock_guard
#include <optional>     // std::optional
#include <ranges>       // std::ranges::input_range, std::ranges::sized_range
#include <span>         // std::span
#include <stdexcept>    // std::runtime_error
#include <stop_token>   // std::stop_source, std::stop_token
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <thread>       // std::jthread
#include <type_traits>  // std::is_move_constructible_v, std::is_void_v, std::is_lvalue_reference_v
#include <utility>      // std::move
#include <vector>       // std::vector

POOLIFY_NAMESPACE_BEGIN
namespace detail {

/// The pool whose task the current thread is running, if any (set on worker threads).
inline thread_local const void* current_pool = nullptr;
/// The key of the node whose worker the current thread is (meaningful when `current_pool` is set).
inline thread_local std::size_t current_node = 0;
/// Whether the current thread is in its work loop (it owns its node's local deque then).
inline thread_local bool in_work_loop = false;

template <class Data, class Response>
struct TaskFunctionEntry {
  std::string name;
  TaskFunction<Data, Response> function;
  TaskFunctionProperties properties;
  std::vector<unsigned char> affinity;  // one flag per node key when worker_node_keys is given, else empty
  std::uint32_t slot = 0;               // its name's number, for per-function usage (kept when replaced)
};

/// The number of built-in strategies (`WorkerChoiceStrategy` values before `custom`).
inline constexpr std::size_t built_in_strategy_count =
    static_cast<std::size_t>(WorkerChoiceStrategy::interleaved_weighted_round_robin) + 1;

/// One immutable version of a pool's strategies: the default one, the built-in ones in use (the
/// default and the task functions' own), their options and what they need measured.
struct StrategySet {
  WorkerChoiceStrategy default_kind = WorkerChoiceStrategy::least_used;
  WorkerChoiceStrategyOptions options{};
  AnyStrategy* default_strategy = nullptr;
  std::array<AnyStrategy*, built_in_strategy_count> by_kind{};  // null for the kinds not in use
  TaskStatisticsRequirements requirements{};

  /// The user-defined default strategy, or null when the default is a built-in one.
  [[nodiscard]] AnyStrategy* custom() const noexcept {
    return default_kind == WorkerChoiceStrategy::custom ? default_strategy : nullptr;
  }
};

/// What the workers measure, as bits of one word they read per task (0: no clock read at all).
namespace measure {
inline constexpr std::uint32_t run_time = 1;
inline constexpr std::uint32_t run_time_history = 2;
inline constexpr std::uint32_t run_time_median = 4;
inline constexpr std::uint32_t wait_time = 8;
inline constexpr std::uint32_t wait_time_history = 16;
inline constexpr std::uint32_t wait_time_median = 32;
inline constexpr std::uint32_t elu = 64;
inline constexpr std::uint32_t elu_history = 128;
inline constexpr std::uint32_t elu_median = 256;

inline std::uint32_t bits_of(const MeasurementRequirements& requirements, std::uint32_t any, std::uint32_t history,
                             std::uint32_t median) noexcept {
  std::uint32_t bits = 0;
  if (requirements.any()) bits |= any;
  if (requirements.average || requirements.median) bits |= history;
  if (requirements.median) bits |= median;
  return bits;
}

inline std::uint32_t bits_of(const TaskStatisticsRequirements& requirements) noexcept {
  return bits_of(requirements.run_time, run_time, run_time_history, run_time_median) |
         bits_of(requirements.wait_time, wait_time, wait_time_history, wait_time_median) |
         bits_of(requirements.elu, elu, elu_history, elu_median);
}
}  // namespace measure

/// One immutable version of a pool's task functions; `entries[0]` is the default.
template <class Data, class Response>
struct TaskFunctionRegistry {
  std::vector<std::shared_ptr<const TaskFunctionEntry<Data, Response>>> entries;
};

}  // namespace detail

/// A pool of worker nodes running tasks of one type: `Response(Data)`. Use `FixedPool` or
/// `DynamicPool`; both are a `Pool`.
///
/// Thread-safety: `execute`, `wait_idle`, `info`, `worker_nodes` and the task-function calls may be
/// called from any thread, including from inside tasks; `start` and `destroy` are serialized.
template <class Data, class Response = void>
class Pool {
  static_assert(std::is_move_constructible_v<Data>, "poolify::Pool: Data must be move-constructible");
  static_assert(std::is_void_v<Response> || std::is_move_constructible_v<Response>,
                "poolify::Pool: Response must be void or move-constructible");

 public:
  using data_type = Data;          ///< What a task receives.
  using response_type = Response;  ///< What a task returns.

  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  /// Destroys the pool if it is started (as `destroy()`), then frees it. Must not run inside one of
  /// the pool's own tasks. It also waits for the tasks that an earlier `destroy(timeout)` left
  /// running: their threads run the pool's code when they return, so the pool cannot go first.
  virtual ~Pool() {
    if (state_.load(std::memory_order_acquire) == State::started) {
      try {
        destroy();
      } catch (...) {
        report_error(std::current_exception());
      }
    }
    await_leftovers();
  }

  // ---------------------------------------------------------------- lifecycle

  /// Starts the worker nodes. Throws `PoolError` "Cannot start an already started pool" or
  /// "Cannot start a destroying pool"; `std::system_error` if a thread cannot be created (the
  /// threads already made are stopped and joined; the pool stays not started). Tasks that an
  /// earlier `destroy(timeout)` left running are waited for first: a node runs one worker at a time.
  void start() {
    {
      std::lock_guard lifecycle(lifecycle_mutex_);
      const State state = state_.load(std::memory_order_acquire);
      if (state == State::started) detail::throw_pool_error("Cannot start an already started pool");
      if (state == State::destroying) detail::throw_pool_error("Cannot start a destroying pool");
      await_leftovers();
      destroy_source_ = std::stop_source();
      events_.reset_edges();
      start_ms_.store(detail::now_ms(), std::memory_order_relaxed);
      for (const auto& node : nodes_) node->reset_usage();
      std::size_t started = 0;
      try {
        for (; started < min_size_; ++started) start_node(*nodes_[started]);
      } catch (...) {
        stop_nodes(started);
        throw;
      }
      live_nodes_.store(started, std::memory_order_release);
      active_nodes_.store(started, std::memory_order_release);
      empty_armed_.store(false, std::memory_order_relaxed);
      std::lock_guard size(size_mutex_);
      state_.store(State::started, std::memory_order_release);
      ready_.store(true, std::memory_order_release);
    }
    // A wait_idle() reading the counters while they were zeroed may have summed old completions
    // against new submissions and gone to sleep: the counters changed, so it looks again.
    notify_idle();
    emit_with_info(PoolEvent::ready);
  }

  /// Stops the pool: refuses new tasks, lets queued tasks run for up to
  /// `tasks_finished_timeout`, resolves the ones still queued as `TaskAbandoned`, signals the stop
  /// tokens of running tasks, waits for them and joins every thread. Every future is resolved when it
  /// returns. Throws `PoolError` "Cannot destroy an already destroyed pool" / "Cannot destroy an
  /// already destroying pool", and when called from inside one of the pool's tasks.
  ///
  /// A running task cannot be interrupted: a task that ignores its stop token keeps `destroy()`
  /// waiting until it returns (see `destroy(timeout)` for a bound).
  void destroy() { destroy_until(std::chrono::steady_clock::time_point::max()); }

  /// `destroy()` that returns within about `timeout` (measured from the call): it waits for queued
  /// tasks for the shorter of `tasks_finished_timeout` and `timeout`, and for running tasks (their
  /// stop tokens signalled) until `timeout` has passed. Returns how many tasks were still running
  /// then: one per worker inside a task (a helping wait's nested tasks count with it) plus the
  /// coroutine tasks still suspended; 0 means all was done as by `destroy()`. Workers running no
  /// task are on their way out and are waited for (as are hooks and listeners).
  ///
  /// A task left running is not abandoned: threads cannot be killed, so it goes on, and its future
  /// resolves with its own outcome when it returns (events it raises come after `destroy`). Its
  /// worker then exits. Until then the pool is destroyed (`execute` refuses, `info().started` is
  /// false), and `start()` and the destructor wait for it first, since its thread runs the pool's
  /// code when the task returns. Throws as `destroy()`, and `std::invalid_argument` for a negative
  /// `timeout`.
  std::size_t destroy(std::chrono::milliseconds timeout) {
    if (timeout < std::chrono::milliseconds::zero()) {
      throw std::invalid_argument("poolify::Pool::destroy: timeout must be >= 0");
    }
    return destroy_until(std::chrono::steady_clock::now() + timeout);
  }

 private:
  std::size_t destroy_until(std::chrono::steady_clock::time_point deadline) {
    if (detail::current_pool == this) {
      detail::throw_pool_error("poolify::Pool::destroy: cannot be called from inside a task of the same pool");
    }
    {
      std::lock_guard lifecycle(lifecycle_mutex_);
      const State state = state_.load(std::memory_order_acquire);
      if (state == State::stopped) detail::throw_pool_error("Cannot destroy an already destroyed pool");
      if (state == State::destroying) detail::throw_pool_error("Cannot destroy an already destroying pool");
      std::lock_guard size(size_mutex_);  // no node is added or retires from here on
      state_.store(State::destroying, std::memory_order_release);
    }
    wait_idle_until(std::min(deadline, std::chrono::steady_clock::now() +
                                           std::chrono::milliseconds(tasks_finished_timeout_ms_.load(std::memory_order_relaxed))));
    const std::size_t active = active_nodes_.load(std::memory_order_acquire);
    for (std::size_t key = 0; key < active; ++key) {
      nodes_[key]->close().drain([this](Task* task) { abandon(task); });
      nodes_[key]->drain_local([this](Task* task) { abandon(task); });
    }
    destroy_source_.request_stop();
    std::size_t left_running = 0;
    {
      std::lock_guard lifecycle(lifecycle_mutex_);
      join_retired_threads(true);  // they left their work loop (a hook that never returns is waited for)
      left_running += stop_nodes(active, deadline);  // those it leaves running join the retired ones
      left_running += wait_for_coroutines(active, deadline);
      live_nodes_.store(0, std::memory_order_release);
      active_nodes_.store(0, std::memory_order_release);
      ready_.store(false, std::memory_order_release);
      state_.store(State::stopped, std::memory_order_release);
    }
    notify_idle();  // abandoned tasks made the pool idle without a worker noticing
    emit_with_info(PoolEvent::destroy);
    events_.flush();  // every event is delivered when destroy() returns
    return left_running;
  }

 public:

  // ---------------------------------------------------------------- executing

  /// Runs the default task function on `data`.
  /// Throws `PoolError` "Cannot execute a task on not started pool" / "... on destroying pool".
  Future<Response> execute(Data data) { return submit(std::move(data), default_entry(), nullptr); }

  /// Runs the task function `name` on `data` ("default" or an empty name: the default one).
  /// Throws `std::invalid_argument` "Task function '<name>' not found" for an unknown name.
  Future<Response> execute(Data data, std::string_view name) {
    return submit(std::move(data), find_entry(name), nullptr);
  }

  /// As `execute(data, name)`, cancellable through `stop`: a stop requested while the task is queued
  /// removes it (`TaskCancelled`); while it runs, its own stop token is signalled; a token already
  /// stopped resolves the future `TaskCancelled` at once without queuing anything.
  Future<Response> execute(Data data, std::string_view name, std::stop_token stop) {
    return submit(std::move(data), find_entry(name), &stop);
  }

  /// Runs the task function `name` (empty: the default one) on each element of `data`, as
  /// `execute` does, and returns one Future for them all: the responses in input order
  /// (`std::vector<Response>`; `void` when `Response` is void). Fails fast, like `Promise.all`:
  /// the first task that throws resolves it with that exception at once, and the other tasks are
  /// cancelled (those still queued never run and resolve `TaskCancelled`; running ones see their
  /// stop token and finish). No task is lost either way. An lvalue range's elements are copied,
  /// an rvalue range's moved. If a submission throws (the pool is destroyed meanwhile, a `Data`
  /// move throws), the tasks already submitted are cancelled and the exception propagates.
  template <std::ranges::input_range Range>
  Future<detail::MapResult<Response>> map_execute(Range&& data, std::string_view name = {}) {
    const Entry& entry = find_entry(name);
    check_can_execute();
    auto* state = new detail::MapState<Response>();
    try {
      if constexpr (std::ranges::sized_range<Range>) state->reserve(static_cast<std::size_t>(std::ranges::size(data)));
      for (auto&& item : data) {
        if constexpr (std::is_lvalue_reference_v<Range>) {
          state->add(submit(Data(item), entry, nullptr));
        } else {
          state->add(submit(Data(std::move(item)), entry, nullptr));
        }
      }
      return state->arm();
    } catch (...) {
      state->cancel_parts();
      delete state;
      throw;
    }
  }

  /// Blocks until no task is queued or running, then until the events raised up to then are
  /// delivered: the `task_error` listeners of the tasks waited for have run, and a `busy` or
  /// `back_pressure` episode has ended with its `_end` event. The pool stays usable; tasks
  /// submitted meanwhile are waited for too. Throws `PoolError` when called from inside one of the
  /// pool's tasks. Called from a listener, it does not wait for the events (they are delivered by
  /// the calling thread once the listener returns).
  void wait_idle() {
    if (detail::current_pool == this) {
      detail::throw_pool_error("poolify::Pool::wait_idle: cannot be called from inside a task of the same pool");
    }
    wait_idle_until(std::chrono::steady_clock::time_point::max());
    settle_events();
  }

  // ---------------------------------------------------------------- task functions

  /// Adds (or replaces) the task function `name`. Returns true.
  bool add_task_function(std::string name, TaskFunction<Data, Response> function,
                         TaskFunctionProperties properties = {}) {
    detail::check_task_function_name(name);
    detail::check_task_function_properties(properties, max_size_);
    std::lock_guard lock(config_mutex_);
    auto next = std::make_unique<Registry>(*registry_.load(std::memory_order_relaxed));
    std::shared_ptr<const Entry>* replaced = nullptr;
    for (auto& existing : next->entries) {
      if (existing->name == name) replaced = &existing;
    }
    // A replaced function keeps its usage (its slot); a new name gets a new one.
    const std::uint32_t slot = replaced != nullptr ? (*replaced)->slot : next_slot_++;
    auto entry = make_entry(std::move(name), std::move(function), std::move(properties), slot);
    if (replaced != nullptr) {
      *replaced = std::move(entry);
    } else {
      next->entries.push_back(std::move(entry));
    }
    republish_strategies(*next);  // before the function can be found: its strategy exists first
    publish_registry(std::move(next));
    return true;
  }

  /// Removes the task function `name`; false when there is none. The default one cannot be removed.
  bool remove_task_function(std::string_view name) {
    if (name == "default") detail::throw_invalid_argument("Cannot remove a task function with the default reserved name");
    std::lock_guard lock(config_mutex_);
    const Registry& current = *registry_.load(std::memory_order_relaxed);
    for (std::size_t index = 0; index < current.entries.size(); ++index) {
      if (current.entries[index]->name != name) continue;
      if (index == 0) detail::throw_invalid_argument("Cannot remove the task function used as the default task function");
      auto next = std::make_unique<Registry>(current);
      next->entries.erase(next->entries.begin() + static_cast<std::ptrdiff_t>(index));
      publish_registry(std::move(next));
      republish_strategies(*registry_.load(std::memory_order_relaxed));  // its strategy may no longer be in use
      return true;
    }
    return false;
  }

  /// Whether `name` is a task function of the pool ("default" always is).
  [[nodiscard]] bool has_task_function(std::string_view name) const noexcept {
    return name == "default" || lookup(name) != nullptr;
  }

  /// Makes `name` the default task function; false when there is none.
  bool set_default_task_function(std::string_view name) {
    if (name == "default") {
      detail::throw_invalid_argument("Cannot set the default task function reserved name as the default task function");
    }
    std::lock_guard lock(config_mutex_);
    const Registry& current = *registry_.load(std::memory_order_relaxed);
    for (std::size_t index = 0; index < current.entries.size(); ++index) {
      if (current.entries[index]->name != name) continue;
      auto next = std::make_unique<Registry>(current);
      std::rotate(next->entries.begin(), next->entries.begin() + static_cast<std::ptrdiff_t>(index),
                  next->entries.begin() + static_cast<std::ptrdiff_t>(index) + 1);
      publish_registry(std::move(next));
      return true;
    }
    return false;
  }

  /// The task functions, the default one first.
  [[nodiscard]] std::vector<TaskFunctionInfo> list_task_functions_properties() const {
    std::vector<TaskFunctionInfo> list;
    for (const auto& entry : registry_.load(std::memory_order_acquire)->entries) {
      list.push_back(TaskFunctionInfo{entry->name, entry->properties, entry->function.takes_stop_token()});
    }
    return list;
  }

  // ---------------------------------------------------------------- strategies

  /// Makes `strategy` the pool's default strategy, under load if need be; with `options`, also
  /// sets the strategy options as `set_worker_choice_strategy_options` does. Usage statistics are
  /// kept. Throws `std::invalid_argument` "Invalid worker choice strategy '<s>'" (for `custom`: use
  /// `set_worker_choice_strategy<S>()`), or as `set_worker_choice_strategy_options`; a refused call
  /// changes nothing.
  void set_worker_choice_strategy(WorkerChoiceStrategy strategy,
                                  const std::optional<WorkerChoiceStrategyOptions>& options = std::nullopt) {
    detail::check_strategy(strategy);
    std::lock_guard lock(config_mutex_);
    const detail::StrategySet& current = *strategies_.load(std::memory_order_relaxed);
    WorkerChoiceStrategyOptions next = current.options;
    if (options) {
      next = merged(current.options, *options);
      detail::check_strategy_options(next, max_size_);
    }
    publish_strategies(strategy, next, nullptr, *registry_.load(std::memory_order_relaxed), !options.has_value());
  }

  /// Sets the options of every strategy of the pool (the default one and the task functions'
  /// own), under load if need be, as poolifier's shallow merge: `measurement` and `weights` are
  /// changed when given and kept when not; the `median` flags are replaced. The strategies start
  /// afresh (a weighted round robin's turn, fair share's virtual end times); usage statistics are
  /// kept. Throws `std::invalid_argument` "Invalid worker choice strategy options: must have a
  /// weight for each worker node" or "...: invalid measurement '<m>'", `std::out_of_range` for a
  /// weight that is not finite and greater than 0; a refused call changes nothing.
  void set_worker_choice_strategy_options(const WorkerChoiceStrategyOptions& options) {
    std::lock_guard lock(config_mutex_);
    const detail::StrategySet& current = *strategies_.load(std::memory_order_relaxed);
    const WorkerChoiceStrategyOptions next = merged(current.options, options);
    detail::check_strategy_options(next, max_size_);
    publish_strategies(current.default_kind, next, current.custom(), *registry_.load(std::memory_order_relaxed), false);
  }

  /// Installs a user-defined strategy of type `S`, made from `args`, as the pool's default strategy
  /// (`info().default_strategy` then says `custom`). `S` must satisfy `WorkerChoiceStrategyType`:
  /// a type that does not fails the build with a message naming what is missing. Task functions
  /// with a built-in `strategy` of their own keep it.
  ///
  /// @code{.cpp}
  /// pool.set_worker_choice_strategy<MyStrategy>(constructor, arguments);
  /// @endcode
  template <class S, class... Args>
  void set_worker_choice_strategy(Args&&... args) {
    detail::check_strategy_type<S>();
    if constexpr (WorkerChoiceStrategyType<S>) {
      auto strategy = std::make_unique<detail::StrategyModel<S>>(std::forward<Args>(args)...);
      std::lock_guard lock(config_mutex_);
      strategy_store_.push_back(std::move(strategy));
      const detail::StrategySet& current = *strategies_.load(std::memory_order_relaxed);
      publish_strategies(WorkerChoiceStrategy::custom, current.options, strategy_store_.back().get(),
                         *registry_.load(std::memory_order_relaxed), true);
    }
  }

  /// The pool's default strategy now (`custom` for a user-defined one).
  [[nodiscard]] WorkerChoiceStrategy worker_choice_strategy() const noexcept {
    return strategies_.load(std::memory_order_acquire)->default_kind;
  }

  /// The strategy options now.
  [[nodiscard]] WorkerChoiceStrategyOptions worker_choice_strategy_options() const {
    return strategies_.load(std::memory_order_acquire)->options;
  }

  /// What the pool measures: what the strategies in use require and what `PoolOptions::measurements`
  /// asks for, and nothing else.
  [[nodiscard]] TaskStatisticsRequirements task_statistics_requirements() const noexcept {
    return strategies_.load(std::memory_order_acquire)->requirements;
  }

  // ---------------------------------------------------------------- tasks queue

  /// Turns the tasks queue's features on or off at runtime (poolifier's `enableTasksQueue`), with
  /// `options` if given (as `set_tasks_queue_options`). A thread pool always queues: off means no
  /// stealing, no back pressure and no queue fields in `info()`; the tasks queued on a node stay
  /// there and run on it, so disabling loses nothing. Invalid options are refused with poolifier's
  /// messages and change nothing.
  void enable_tasks_queue(bool enable, const std::optional<TasksQueueOptions>& options = std::nullopt) {
    if (options) detail::check_tasks_queue_options(*options);
    std::lock_guard lock(config_mutex_);
    options_.enable_tasks_queue = enable;
    if (options) options_.tasks_queue_options = *options;
    apply_tasks_queue_options();
  }

  /// Sets the tasks queue options at runtime, under load if need be (poolifier's
  /// `setTasksQueueOptions`); they take effect at once for stealing, back pressure and
  /// `tasks_finished_timeout`. Kept, and applied when the queue is enabled again, if it is off.
  /// Invalid options are refused with poolifier's messages and change nothing.
  void set_tasks_queue_options(const TasksQueueOptions& options) {
    detail::check_tasks_queue_options(options);
    std::lock_guard lock(config_mutex_);
    options_.tasks_queue_options = options;
    apply_tasks_queue_options();
  }

  /// The tasks queue options now.
  [[nodiscard]] TasksQueueOptions tasks_queue_options() const {
    std::lock_guard lock(config_mutex_);
    return options_.tasks_queue_options;
  }

  // ---------------------------------------------------------------- events

  /// Adds a listener for `event` (poolifier's `pool.emitter.on`). Listeners run one at a time, in
  /// the order the events happened, outside the pool's locks, on the thread that raised the event
  /// or on one delivering earlier ones (a worker, a thread in `execute`, `start` or `destroy`). A
  /// listener may call the pool (read `info()`, submit work); one that throws is reported to
  /// `error_handler` and the pool goes on. A listener should be quick: while it runs, the
  /// worker that raised the event does not run tasks. Throws `PoolError` when the pool was made
  /// with `enable_events = false`, `std::invalid_argument` for an empty listener.
  ListenerId on(PoolEvent event, Listener listener) {
    if (!options_.enable_events) {
      detail::throw_pool_error("Cannot add an event listener: the pool was made with enable_events = false");
    }
    return events_.add(event, std::move(listener));
  }

  /// Removes a listener; false when `id` is not one (any more). An event whose delivery has begun
  /// on another thread may still reach it; later ones do not.
  bool off(ListenerId id) { return events_.remove(id); }

  // ---------------------------------------------------------------- statistics

  /// A snapshot of the pool (see `PoolInfo`).
  [[nodiscard]] PoolInfo info() const {
    PoolInfo info;
    info.version = POOLIFY_VERSION_STRING;
    info.type = type_;
    const State state = state_.load(std::memory_order_acquire);
    info.started = state != State::stopped;
    info.ready = ready_.load(std::memory_order_acquire);
    info.default_strategy = strategies_.load(std::memory_order_acquire)->default_kind;
    info.strategy_retries = strategy_retries_.load(std::memory_order_relaxed);
    info.min_size = min_size_;
    info.max_size = max_size_;
    std::size_t dynamic_nodes = 0;
    // Counters are summed over every node of this run, so that a dynamic node that retired keeps
    // counting and the pool's totals never go backwards; the node counts are of the nodes there.
    const std::size_t active = active_nodes_.load(std::memory_order_acquire);
    std::uint64_t queued = 0;
    std::uint64_t max_queued = 0;
    std::uint64_t stolen = 0;
    std::size_t back_pressured = 0;
    const std::uint64_t back_pressure_size = back_pressure_size_.load(std::memory_order_relaxed);
    for (std::size_t key = 0; key < active; ++key) {
      const detail::NodeUsage& usage = nodes_[key]->usage;
      const std::uint64_t executing = usage.executing_all();
      if (usage.ready.load(std::memory_order_acquire)) {
        ++info.worker_nodes;
        if (key >= min_size_) ++dynamic_nodes;
        // One read for both counts, so that no node is counted busy and idle at once (a node with
        // a task queued and none running yet was both when idle read `executing` alone).
        const std::uint64_t in_flight = nodes_[key]->in_flight();
        if (in_flight >= concurrency_.load(std::memory_order_relaxed)) ++info.busy_worker_nodes;
        if (in_flight == 0) ++info.idle_worker_nodes;
        if (usage.queued.load(std::memory_order_relaxed) >= back_pressure_size) ++back_pressured;
      }
      info.executing_tasks += executing;
      info.executed_tasks += usage.executed_all();
      info.failed_tasks += usage.failed_all();
      queued += nodes_[key]->queued_all();
      // The high-water mark is the queue's; with local tasks the node may hold more now.
      max_queued += std::max(usage.max_queued.load(std::memory_order_acquire), nodes_[key]->queued_all());
      stolen += usage.stolen.load(std::memory_order_relaxed);
    }
    namespace bits = detail::measure;
    const std::uint32_t measure = measure_.load(std::memory_order_relaxed);
    if ((measure & bits::run_time) != 0) {
      info.run_time = combined(active, &detail::NodeUsage::run_time, (measure & bits::run_time_history) != 0);
      const double elapsed = detail::now_ms() - start_ms_.load(std::memory_order_relaxed);
      info.utilization = state != State::stopped && elapsed > 0 && max_size_ > 0
                             ? info.run_time->aggregate / (elapsed * static_cast<double>(max_size_))
                             : 0.0;
    }
    if ((measure & bits::wait_time) != 0) {
      info.wait_time = combined(active, &detail::NodeUsage::wait_time, (measure & bits::wait_time_history) != 0);
    }
    if ((measure & bits::elu) != 0) {
      const bool history = (measure & bits::elu_history) != 0;
      info.elu = EluStatistics{combined(active, &detail::NodeUsage::elu_active, history),
                               combined(active, &detail::NodeUsage::elu_idle, history),
                               combined(active, &detail::NodeUsage::elu_utilization, history)};
    }
    if (type_ == PoolType::dynamic) info.dynamic_worker_nodes = dynamic_nodes;
    if (queue_enabled_.load(std::memory_order_relaxed)) {
      info.back_pressure = info.worker_nodes > 0 && back_pressured == info.worker_nodes &&
                           (type_ == PoolType::fixed || info.worker_nodes == max_size_);
      info.back_pressure_worker_nodes = back_pressured;
      info.queued_tasks = queued;
      info.max_queued_tasks = max_queued;
      info.stealing_worker_nodes = stealing_nodes_.load(std::memory_order_relaxed);
      info.stolen_tasks = stolen;
    }
    return info;
  }

  /// Each worker node of the pool, by key.
  [[nodiscard]] std::vector<WorkerNodeInfo> worker_nodes() const {
    std::vector<WorkerNodeInfo> list;
    const Registry* registry = registry_.load(std::memory_order_acquire);
    const std::size_t active = active_nodes_.load(std::memory_order_acquire);
    for (std::size_t key = 0; key < active; ++key) {
      const detail::NodeUsage& usage = nodes_[key]->usage;
      if (!usage.ready.load(std::memory_order_acquire)) continue;  // a dynamic node that retired
      WorkerNodeInfo node;
      node.id = key;
      node.ready = usage.ready.load(std::memory_order_acquire);
      node.dynamic = key >= min_size_;
      node.tasks.executed = usage.executed_all();
      node.tasks.executing = usage.executing_all();
      node.tasks.queued = nodes_[key]->queued_all();
      node.tasks.max_queued = std::max(usage.max_queued.load(std::memory_order_acquire), node.tasks.queued);
      node.tasks.failed = usage.failed_all();
      node.tasks.stolen = usage.stolen.load(std::memory_order_relaxed);
      node.tasks.sequentially_stolen = usage.sequentially_stolen.load(std::memory_order_relaxed);
      node.run_time = statistics_of(usage.run_time);
      node.wait_time = statistics_of(usage.wait_time);
      node.elu.active = statistics_of(usage.elu_active);
      node.elu.idle = statistics_of(usage.elu_idle);
      node.elu.utilization = statistics_of(usage.elu_utilization);
      if (per_function_.load(std::memory_order_relaxed)) node.task_functions = function_usage_of(*nodes_[key], *registry);
      list.push_back(std::move(node));
    }
    return list;
  }

  /// The pool's options: those it was made with, with the strategy and strategy options of now.
  [[nodiscard]] PoolOptions options() const {
    std::unique_lock lock(config_mutex_);
    PoolOptions options = options_;
    lock.unlock();
    const detail::StrategySet& strategies = *strategies_.load(std::memory_order_acquire);
    options.worker_choice_strategy = strategies.default_kind;
    options.worker_choice_strategy_options = strategies.options;
    return options;
  }

 protected:
  using Entry = detail::TaskFunctionEntry<Data, Response>;        ///< A task function as the pool keeps it.
  using Registry = detail::TaskFunctionRegistry<Data, Response>;  ///< One version of the task-function list.

  /// Builds a pool of `min_size`..`max_size` nodes (sizes already validated by the caller).
  Pool(PoolType type, std::size_t min_size, std::size_t max_size,
       std::vector<NamedTaskFunction<Data, Response>> functions, PoolOptions options)
      : type_(type), min_size_(min_size), max_size_(max_size), options_(std::move(options)) {
    detail::check_pool_options(options_, max_size_);
    registries_.push_back(make_registry(std::move(functions)));
    publish_priorities(*registries_.back());
    per_function_.store(registries_.back()->entries.size() >= 2, std::memory_order_relaxed);
    registry_.store(registries_.back().get(), std::memory_order_release);
    {
      std::lock_guard lock(config_mutex_);
      publish_strategies(options_.worker_choice_strategy, options_.worker_choice_strategy_options, nullptr,
                         *registries_.back(), false);
    }
    apply_tasks_queue_options();
    nodes_.reserve(max_size_);
    usages_.reserve(max_size_);
    for (std::size_t key = 0; key < max_size_; ++key) {
      nodes_.push_back(std::make_unique<Node>(key));
      usages_.push_back(&nodes_.back()->usage);
    }
    if (options_.start_workers) start();
  }

  /// Wraps a lone callable as the list `{{"default", function}}`.
  static std::vector<NamedTaskFunction<Data, Response>> single(TaskFunction<Data, Response> function) {
    std::vector<NamedTaskFunction<Data, Response>> list;
    list.push_back(NamedTaskFunction<Data, Response>{"default", std::move(function), {}});
    return list;
  }

 private:
  using Node = detail::WorkerNode<Data, Response>;
  using Task = detail::TaskState<Data, Response>;
  enum class State { stopped, started, destroying };

  // ---- task functions

  std::unique_ptr<Registry> make_registry(std::vector<NamedTaskFunction<Data, Response>> functions) {
    if (functions.empty()) detail::throw_invalid_argument("taskFunctions parameter object is empty");
    auto registry = std::make_unique<Registry>();
    next_slot_ = static_cast<std::uint32_t>(functions.size());
    for (std::size_t index = 0; index < functions.size(); ++index) {
      NamedTaskFunction<Data, Response>& named = functions[index];
      // A lone callable is named "default"; in a list that name is reserved for the alias.
      if (!(functions.size() == 1 && named.name == "default")) detail::check_task_function_name(named.name);
      detail::check_task_function_properties(named.properties, max_size_);
      for (const auto& earlier : registry->entries) {
        if (earlier->name == named.name) {
          detail::throw_invalid_argument("Cannot add a task function with a duplicated name '" + named.name + "'");
        }
      }
      registry->entries.push_back(make_entry(std::move(named.name), std::move(named.function), std::move(named.properties),
                                             static_cast<std::uint32_t>(index)));
    }
    return registry;
  }

  std::shared_ptr<const Entry> make_entry(std::string name, TaskFunction<Data, Response> function,
                                         TaskFunctionProperties properties, std::uint32_t slot) const {
    Entry entry{std::move(name), std::move(function), std::move(properties), {}, slot};
    if (entry.properties.worker_node_keys) {
      entry.affinity.assign(max_size_, 0);
      for (std::size_t key : *entry.properties.worker_node_keys) entry.affinity[key] = 1;
    }
    return std::make_shared<const Entry>(std::move(entry));
  }

  void publish_registry(std::unique_ptr<Registry> next) {
    // Old versions stay alive until the pool dies: queued tasks and concurrent lookups may still
    // point into them, and updates are rare.
    registries_.push_back(std::move(next));
    publish_priorities(*registries_.back());
    per_function_.store(registries_.back()->entries.size() >= 2, std::memory_order_relaxed);
    registry_.store(registries_.back().get(), std::memory_order_release);
  }

  /// Queues order tasks by priority only while some task function has one (poolifier's rule).
  void publish_priorities(const Registry& registry) noexcept {
    bool any = false;
    for (const auto& entry : registry.entries) any = any || entry->properties.priority != 0;
    priorities_.store(any, std::memory_order_relaxed);
  }

  [[nodiscard]] const Entry* lookup(std::string_view name) const noexcept {
    const Registry* registry = registry_.load(std::memory_order_acquire);
    if (name.empty() || name == "default") return registry->entries.front().get();
    for (const auto& entry : registry->entries) {
      if (entry->name == name) return entry.get();
    }
    return nullptr;
  }

  [[nodiscard]] const Entry& default_entry() const noexcept {
    return *registry_.load(std::memory_order_acquire)->entries.front();
  }

  [[nodiscard]] const Entry& find_entry(std::string_view name) const {
    const Entry* entry = lookup(name);
    if (entry == nullptr) detail::throw_invalid_argument("Task function '" + std::string(name) + "' not found");
    return *entry;
  }

  // ---- strategies

  std::unique_ptr<detail::AnyStrategy> make_strategy(WorkerChoiceStrategy strategy,
                                                     const WorkerChoiceStrategyOptions& options) const {
    using WCS = WorkerChoiceStrategy;
    switch (strategy) {
      case WCS::round_robin: return std::make_unique<detail::StrategyModel<RoundRobinStrategy>>();
      case WCS::least_used: return std::make_unique<detail::StrategyModel<LeastUsedStrategy>>();
      case WCS::least_busy: return std::make_unique<detail::StrategyModel<LeastBusyStrategy>>();
      case WCS::least_elu: return std::make_unique<detail::StrategyModel<LeastEluStrategy>>();
      case WCS::fair_share: return std::make_unique<detail::StrategyModel<FairShareStrategy>>(options, max_size_);
      case WCS::weighted_round_robin:
        return std::make_unique<detail::StrategyModel<WeightedRoundRobinStrategy>>(options, max_size_);
      case WCS::interleaved_weighted_round_robin:
        return std::make_unique<detail::StrategyModel<InterleavedWeightedRoundRobinStrategy>>(options, max_size_);
      case WCS::custom: break;
    }
    detail::check_strategy(strategy);  // throws
    return nullptr;
  }

  static WorkerChoiceStrategyOptions merged(const WorkerChoiceStrategyOptions& current,
                                            const WorkerChoiceStrategyOptions& changes) {
    WorkerChoiceStrategyOptions next = changes;
    if (!next.measurement) next.measurement = current.measurement;
    if (!next.weights) next.weights = current.weights;
    return next;
  }

  /// Under config_mutex_: publishes a new strategy set with `kind` as the default (`custom` with
  /// the strategy `custom`), a built-in strategy for every kind `registry`'s task functions use,
  /// and the measurements they all need. With `reuse`, strategies of the current set are kept
  /// (their options have not changed); otherwise each is made afresh with `options`. Older sets and
  /// strategies stay alive until the pool dies: a submitter may still be using them.
  void publish_strategies(WorkerChoiceStrategy kind, const WorkerChoiceStrategyOptions& options,
                          detail::AnyStrategy* custom, const Registry& registry, bool reuse) {
    const detail::StrategySet* current = strategies_.load(std::memory_order_relaxed);
    auto next = std::make_unique<detail::StrategySet>();
    next->default_kind = kind;
    next->options = options;
    const auto use = [&](WorkerChoiceStrategy used) {
      const auto index = static_cast<std::size_t>(used);
      if (next->by_kind[index] != nullptr) return;
      detail::AnyStrategy* strategy = reuse && current != nullptr ? current->by_kind[index] : nullptr;
      if (strategy == nullptr) {
        strategy_store_.push_back(make_strategy(used, options));
        strategy = strategy_store_.back().get();
      }
      next->by_kind[index] = strategy;
    };
    if (kind != WorkerChoiceStrategy::custom) use(kind);
    for (const auto& entry : registry.entries) {
      if (entry->properties.strategy) use(*entry->properties.strategy);
    }
    next->default_strategy = kind == WorkerChoiceStrategy::custom ? custom : next->by_kind[static_cast<std::size_t>(kind)];
    if (kind == WorkerChoiceStrategy::custom) next->requirements = custom->requirements();
    for (const detail::AnyStrategy* strategy : next->by_kind) {
      if (strategy != nullptr) next->requirements = next->requirements | strategy->requirements();
    }
    next->requirements = next->requirements | options_.measurements;  // what the user asked for too
    strategy_sets_.push_back(std::move(next));
    const detail::StrategySet* published = strategy_sets_.back().get();
    measure_.store(detail::measure::bits_of(published->requirements), std::memory_order_relaxed);
    strategies_.store(published, std::memory_order_release);
  }

  /// Under config_mutex_: the current default strategy and options, for the task functions of
  /// `registry`.
  void republish_strategies(const Registry& registry) {
    const detail::StrategySet& current = *strategies_.load(std::memory_order_relaxed);
    publish_strategies(current.default_kind, current.options, current.custom(), registry, true);
  }

  /// What `choose_node` returns when it may not throw and no node was chosen.
  static constexpr std::size_t no_node = ~std::size_t{0};

  /// The node for a task of `entry`, chosen by its strategy. When the strategy chooses no eligible
  /// node within poolifier's retries: `no_node` with `may_retry` (a dynamic pool, whose nodes may
  /// just have retired: it adds one and chooses again), else poolifier's error.
  std::size_t choose_node(const Entry& entry, double now_ms, bool may_retry) {
    const std::size_t active = active_nodes_.load(std::memory_order_acquire);
    // destroy() finished between our state check and here: say so, not "no node chosen".
    if (active == 0) detail::throw_pool_error("Cannot execute a task on not started pool");
    const detail::StrategySet& strategies = *strategies_.load(std::memory_order_acquire);
    detail::AnyStrategy* strategy = strategies.default_strategy;
    WorkerChoiceStrategy kind = strategies.default_kind;
    if (entry.properties.strategy) {
      if (detail::AnyStrategy* own = strategies.by_kind[static_cast<std::size_t>(*entry.properties.strategy)]) {
        strategy = own;
        kind = *entry.properties.strategy;
      }
    }
    const WorkerNodesView view(std::span<const detail::NodeUsage* const>(usages_.data(), active),
                               entry.affinity.empty() ? nullptr : entry.affinity.data(), now_ms);
    // One node to choose from: as poolifier, that node, without asking the strategy.
    const bool single_key = entry.properties.worker_node_keys && entry.properties.worker_node_keys->size() == 1;
    const std::size_t retries = 2 * max_size_;  // as poolifier: max size + number of weights
    for (std::size_t attempt = 0; attempt <= retries; ++attempt) {
      const std::optional<std::size_t> key =
          single_key ? std::optional<std::size_t>(entry.properties.worker_node_keys->front()) : strategy->choose(view);
      if (key && *key < active && view.eligible(*key)) {
        if (strategy_retries_.load(std::memory_order_relaxed) != attempt) {
          strategy_retries_.store(attempt, std::memory_order_relaxed);
        }
        return *key;
      }
    }
    strategy_retries_.store(retries, std::memory_order_relaxed);
    if (may_retry) return no_node;
    // destroy() began meanwhile and took the nodes out of choice: say so, not "no node chosen".
    check_can_execute();
    throw std::runtime_error("Worker node key chosen by " + std::string(to_string(kind)) +
                             " is null or undefined after " + std::to_string(retries) + " retries (max: " +
                             std::to_string(retries) + ")");
  }

  /// Publishes what other threads read of the queue options (under config_mutex_, or in the
  /// constructor).
  void apply_tasks_queue_options() noexcept {
    const TasksQueueOptions& queue = options_.tasks_queue_options;
    const bool enabled = options_.enable_tasks_queue;
    queue_enabled_.store(enabled, std::memory_order_relaxed);
    concurrency_.store(queue.concurrency, std::memory_order_relaxed);
    tasks_finished_timeout_ms_.store(queue.tasks_finished_timeout.count(), std::memory_order_relaxed);
    back_pressure_size_.store(queue.size != 0 ? queue.size : max_size_ * max_size_, std::memory_order_relaxed);
    stealing_ratio_.store(queue.tasks_stealing_ratio, std::memory_order_relaxed);
    aging_factor_.store(queue.aging_factor, std::memory_order_relaxed);
    load_exponent_.store(queue.load_exponent, std::memory_order_relaxed);
    stealing_.store(enabled && queue.task_stealing && queue.tasks_stealing_ratio > 0, std::memory_order_relaxed);
    shedding_.store(enabled && queue.tasks_stealing_on_back_pressure && queue.tasks_stealing_ratio > 0,
                    std::memory_order_relaxed);
  }

  // ---- submitting

  void check_can_execute() const {
    const State state = state_.load(std::memory_order_acquire);
    if (state == State::stopped) detail::throw_pool_error("Cannot execute a task on not started pool");
    if (state == State::destroying) detail::throw_pool_error("Cannot execute a task on destroying pool");
  }

  Future<Response> submit(Data&& data, const Entry& entry, const std::stop_token* stop) {
    check_can_execute();
    Task* task = Task::make(std::move(data), &entry.function.model());
    if (stop != nullptr && stop->stop_requested()) {
      // Already cancelled: resolve now, queue nothing (poolifier misses this case).
      task->try_claim();
      task->set_error(std::make_exception_ptr(TaskCancelled("poolify: task cancelled before it was submitted")));
      task->discard_inputs();
      task->publish(true);
      return Future<Response>(task);
    }
    try {
      if (entry.function.takes_stop_token()) task->extras().source.emplace();
      if (task->function().is_coroutine()) (void)task->extras();  // where it keeps what it needs when it ends
      if (stop != nullptr && stop->stop_possible()) {
        task->extras().on_user_stop.emplace(*stop, detail::CancelOnStop<Response>{task});
      }
      // One clock reading per submission, and only when wait times are measured or priorities age
      // queued tasks; a strategy that needs the time (fair share) gets this one.
      const bool prioritized = priorities_.load(std::memory_order_relaxed);
      task->submitted_ms =
          prioritized || (measure_.load(std::memory_order_relaxed) & detail::measure::wait_time) != 0 ? detail::now_ms() : 0;
      task->affinity = entry.affinity.empty() ? nullptr : entry.affinity.data();
      task->priority = entry.properties.priority;
      task->function_slot = entry.slot;
      std::optional<detail::PriorityOrder> order;
      if (prioritized) {
        order.emplace(detail::PriorityOrder{aging_factor_.load(std::memory_order_relaxed),
                                            load_exponent_.load(std::memory_order_relaxed)});
      }
      const bool dynamic = type_ == PoolType::dynamic;
      const std::size_t local = local_node(entry);
      if (local != no_node && detail::in_work_loop && !prioritized && entry.affinity.empty() &&
          !per_function_.load(std::memory_order_relaxed) && !task->function().is_coroutine()) {
        // A task's own subtask: onto the worker's local deque, with no lock (see push_local).
        if (dynamic) grow_if_needed(entry, false);
        const typename Node::Pushed pushed_local = nodes_[local]->push_local(task, sleepers_);
        if (pushed_local != Node::Pushed::refused) {
          if (pushed_local == Node::Pushed::queued_to_busy) wake_a_thief(local);
          return Future<Response>(task);
        }
      }
      std::size_t key = 0;
      std::uint64_t queued = 0;
      typename Node::Pushed pushed = Node::Pushed::refused;
      // In a dynamic pool, a node may retire between its choice and the push (the push is then
      // refused), or before the choice (none is eligible): add one if need be and choose again.
      const std::size_t attempts = dynamic ? 4 * max_size_ + 4 : 1;
      for (std::size_t attempt = 1; pushed == Node::Pushed::refused; ++attempt) {
        const bool may_retry = attempt < attempts;
        if (dynamic) grow_if_needed(entry, attempt > 1);
        key = attempt == 1 && local != no_node ? local : choose_node(entry, task->submitted_ms, may_retry);
        if (key == no_node) continue;
        pushed = nodes_[key]->push(task, sleepers_, order ? &*order : nullptr, queued);
        if (pushed == Node::Pushed::refused && (!may_retry || state_.load(std::memory_order_acquire) != State::started)) {
          detail::throw_pool_error("Cannot execute a task on destroying pool");  // refused: the pool is being destroyed
        }
      }
      if (pushed == Node::Pushed::queued_to_busy) wake_a_thief(key);
      // As poolifier, on the push that brings the queue to its threshold (an edge, not every push
      // above). Not for a worker queueing on its own node: that is the task it runs next when it
      // waits (idle nodes steal from its queue anyway), and handing it away would make the wait
      // look for other work instead.
      if (queued == back_pressure_size_.load(std::memory_order_relaxed) && key != local &&
          shedding_.load(std::memory_order_relaxed)) {
        shed_back_pressure(key);
      }
      after_enqueue(queued);
    } catch (...) {
      // Not queued: take it back whole, as if execute had never been called.
      task->discard_inputs();
      if (task->try_claim()) {
        task->publish(true);  // no outcome: nobody will ever read it
      } else {
        task->release(detail::task_word::pool_ref);
      }
      task->release(detail::task_word::future_ref);
      throw;
    }
    return Future<Response>(task);
  }

  /// For a task submitted from inside one of this pool's tasks, with stealing on: the submitting
  /// worker's own node, if the task may run there (work-first, as fork-join pools do: the worker
  /// runs it next if it waits for it, idle workers steal it otherwise). Else `no_node`: the
  /// strategy chooses.
  [[nodiscard]] std::size_t local_node(const Entry& entry) const noexcept {
    if (detail::current_pool != this || !stealing_.load(std::memory_order_relaxed)) return no_node;
    const std::size_t key = detail::current_node;
    if (!entry.affinity.empty() && entry.affinity[key] == 0) return no_node;
    if (!nodes_[key]->usage.ready.load(std::memory_order_relaxed)) return no_node;
    return key;
  }

  // ---- running

  /// Starts the worker of a closed node, then opens the node to tasks (so that a thread that cannot
  /// be made leaves nothing queued behind). A dynamic node's earlier worker, which retired, may
  /// still be on its way out (running the exit hook, or listeners that call the pool): it is not
  /// joined here, under the size lock, but kept in `retired_threads_` (see `join_retired_threads`).
  void start_node(Node& node) {
    auto exited = std::make_shared<std::atomic<bool>>(false);
    if (node.thread.joinable()) retired_threads_.reserve(retired_threads_.size() + 1);  // no throw below
    node.clear_stop();  // destroy() asked the last run's worker to stop
    std::jthread thread([this, &node, exited] {
      work(node);
      exited->store(true, std::memory_order_release);
      // For a destroy(timeout) waiting on the exits; whoever frees the pool joins this thread first.
      thread_exits_.fetch_add(1, std::memory_order_seq_cst);
      detail::wake_all(thread_exits_);
    });
    if (node.thread.joinable()) retired_threads_.push_back(RetiredThread{std::move(node.thread), std::move(node.exited)});
    node.thread = std::move(thread);
    node.exited = std::move(exited);
    node.open();
  }

  /// A worker that retired, until it is joined.
  struct RetiredThread {
    std::jthread thread;
    std::shared_ptr<std::atomic<bool>> exited;  // set as its last step
  };

  /// Waits until the worker whose exit flag is `exited` has exited, or `deadline` (a finite one:
  /// without a deadline, join the thread); true if it has.
  bool await_exit(const std::atomic<bool>& exited, std::chrono::steady_clock::time_point deadline) noexcept {
    for (;;) {
      const std::uint32_t seen = thread_exits_.load(std::memory_order_seq_cst);
      if (exited.load(std::memory_order_acquire)) return true;
      if (!detail::wait_on_until(thread_exits_, seen, deadline)) return exited.load(std::memory_order_acquire);
    }
  }

  /// destroy(): waits until the worker of `node`, asked to stop, has exited (true), or until
  /// `deadline` if it runs a task then (false). One that runs none is on its way out and is waited
  /// for (a task it stole meanwhile counts as soon as the thief marks it).
  bool await_node_exit(const Node& node, std::chrono::steady_clock::time_point deadline) noexcept {
    if (await_exit(*node.exited, deadline)) return true;
    for (;;) {
      if (node.usage.executing.load(std::memory_order_acquire) != 0) return false;
      if (await_exit(*node.exited, std::chrono::steady_clock::now() + std::chrono::milliseconds(1))) return true;
    }
  }

  /// Keeps a worker that a destroy(timeout) left running, until `await_leftovers`; if even that
  /// cannot be (no memory), destroy waits for it here after all.
  void keep_running_thread(RetiredThread&& thread) noexcept {
    std::lock_guard lock(size_mutex_);
    try {
      retired_threads_.push_back(std::move(thread));
    } catch (...) {
      if (thread.thread.joinable()) thread.thread.join();
    }
  }

  /// start() and the destructor: waits for the tasks and workers an earlier destroy(timeout) left
  /// running.
  void await_leftovers() noexcept {
    join_retired_threads(true);
    wait_for_coroutines(nodes_.size(), std::chrono::steady_clock::time_point::max());
  }

  /// Joins the retired workers: all of them (`all`, from destroy()), or those already gone.
  void join_retired_threads(bool all) {
    std::vector<RetiredThread> done;
    {
      std::lock_guard lock(size_mutex_);
      for (auto it = retired_threads_.begin(); it != retired_threads_.end();) {
        if (all || it->exited->load(std::memory_order_acquire)) {
          done.push_back(std::move(*it));
          it = retired_threads_.erase(it);
        } else {
          ++it;
        }
      }
    }
    for (RetiredThread& retired : done) retired.thread.join();
  }

  /// Stops the workers of the first `count` nodes and joins those that exit by `deadline`; the
  /// others (running a task that ignores its stop token) are kept running. Returns how many.
  std::size_t stop_nodes(std::size_t count,
                         std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max()) noexcept {
    for (std::size_t key = 0; key < count; ++key) nodes_[key]->request_stop();
    std::size_t left_running = 0;
    for (std::size_t key = 0; key < count; ++key) {
      Node& node = *nodes_[key];
      if (node.thread.joinable()) {
        if (deadline == std::chrono::steady_clock::time_point::max() || await_node_exit(node, deadline)) {
          node.thread.join();
        } else {
          ++left_running;
          keep_running_thread(RetiredThread{std::move(node.thread), std::move(node.exited)});
        }
      }
      node.usage.ready.store(false, std::memory_order_release);
      node.close().drain([this](Task* task) { abandon(task); });  // pushed after the drain, before the close
      node.drain_local([this](Task* task) { abandon(task); });
    }
    return left_running;
  }

  /// What a worker's helping waits do (see `Future::wait`).
  class NodeHelper final : public detail::Helper {
   public:
    NodeHelper(Pool& pool, Node& node) noexcept : pool_(&pool), node_(&node) {}
    bool help_once(std::uint64_t mark, std::int64_t local_mark, bool shallow) noexcept override {
      return pool_->help(*node_, mark, local_mark, shallow);
    }

   private:
    Pool* pool_;
    Node* node_;
  };

  /// A task on `node`'s worker waits on a future: runs one other task (see `detail::Helper`);
  /// true if it ran one.
  bool help(Node& node, std::uint64_t mark, std::int64_t local_mark, bool shallow) noexcept {
    Task* task = node.take_local(local_mark);
    if (task == nullptr) task = node.pop_newest(mark);
    if (task == nullptr && shallow) {
      task = node.take_local(std::numeric_limits<std::int64_t>::min());
      if (task == nullptr) task = node.pop_newest(0);
      if (task == nullptr && steal(node, task, true) != Steal::stolen) return false;
    }
    if (task == nullptr) return false;
    after_dequeue();
    run(node, task, true);
    return true;
  }

  void work(Node& node) {
    detail::current_pool = this;
    detail::current_node = node.id();
    NodeHelper helper(*this, node);
    detail::current_helper = &helper;
    struct ForgetHelper {
      ~ForgetHelper() { detail::current_helper = nullptr; }
    } forget_helper;
    const bool dynamic_node = node.id() >= min_size_;  // only dynamic pools have such nodes
    // As poolifier's restartWorkerOnError: a worker whose start failed goes away; for a thread,
    // "replacing" it would run the same hook again, so with the option (the default) it simply
    // works. A node of the minimum size always works (poolifier refills it).
    if (!run_hook(options_.on_worker_start, node.id()) && !options_.restart_worker_on_error && dynamic_node &&
        try_retire(node, true)) {
      run_hook(options_.on_worker_exit, node.id());
      detail::current_pool = nullptr;
      return;
    }
    detail::in_work_loop = true;  // its tasks may push to the node's local deque from here on
    bool steal_first = false;  // the last park ended because another node had work to steal
    bool idle = false;         // a dynamic node: it ran dry at `idle_since` and has run nothing since
    std::chrono::steady_clock::time_point idle_since{};
    for (;;) {
      // A node runs up to `concurrency` coroutine tasks at once (plain tasks count only while they run).
      if (node.usage.suspended.load(std::memory_order_relaxed) != 0) wait_for_capacity(node);
      if (Task* task = node.pop()) {
        idle = false;
        if (node.usage.sequentially_stolen.load(std::memory_order_relaxed) != 0) {
          node.usage.sequentially_stolen.store(0, std::memory_order_relaxed);
        }
        if (node.last_stolen_slot != Node::no_slot) reset_sequentially_stolen(node, Node::no_slot);
        steal_first = false;
        after_dequeue();
        run(node, task);
        continue;
      }
      // Out of work: a busy episode may end here (not between two tasks, which would flap).
      if (events_.wants(detail::EdgeKind::busy) && events_.in_episode(detail::EdgeKind::busy)) check_busy();
      if (node.stop_requested()) {
        node_ran_dry(node);  // a task that destroy(timeout) left running ended after destroy() woke the waiters
        break;
      }
      const bool stealing = stealing_.load(std::memory_order_relaxed);
      Steal attempt = Steal::nothing;
      if (stealing && steal_first) {  // keeps stealing, one task at a time, while there is work
        Task* task = nullptr;
        attempt = steal(node, task);
        if (task != nullptr) {
          idle = false;
          after_dequeue();
          run(node, task);
          continue;
        }
      }
      // A dynamic node retires once it has had nothing to run for max_inactive_time.
      auto deadline = std::chrono::steady_clock::time_point::max();
      if (dynamic_node) {
        if (!idle) {
          idle = true;
          idle_since = std::chrono::steady_clock::now();
        }
        deadline = idle_since + options_.max_inactive_time;
      }
      node_ran_dry(node);
      // After a steal that failed although there was work (the newest task may not run here, or
      // too many nodes steal at once), spinning on "there is work" would spin hot: wait for a push.
      const bool watch = stealing && attempt == Steal::nothing;
      const typename Node::Woken woken = node.park([&] { return watch && stealable_elsewhere(node); },
                                                   [&] { return stealable_elsewhere_now(node); },
                                                   stealing ? &sleepers_ : nullptr, deadline);
      if (woken == Node::Woken::timeout) {
        if (try_retire(node, false)) break;
        idle_since = std::chrono::steady_clock::now();  // not now (tasks came, or the pool stops): wait again
      }
      steal_first = woken == Node::Woken::stealable;
    }
    detail::in_work_loop = false;  // the loop emptied the local deque; an exit hook's tasks go to queues
    run_hook(options_.on_worker_exit, node.id());
    detail::current_pool = nullptr;
  }

  // ---- dynamic size

  /// A dynamic pool, before placing a task of `entry`: adds a node when every node is busy or there
  /// is none (poolifier's rule), or when none of the nodes the task function may run on is there.
  ///
  /// The checks here read the counters without the size lock, which a retiring worker holds from
  /// the moment its node stops being ready until the node is no longer counted as live: a worker
  /// preempted there makes the pool look full (or busy-free) with no node to choose. So after a
  /// failed choice (`choice_failed`) the decision is left to `grow`, under the lock, which waits
  /// for the retirement to finish and then sees the pool as it is (regression: execute() threw
  /// "Worker node key chosen by LEAST_USED is null or undefined" when that window outlasted the
  /// submit's retries).
  void grow_if_needed(const Entry& entry, bool choice_failed) {
    const std::size_t live = live_nodes_.load(std::memory_order_acquire);
    if (!choice_failed && live >= max_size_) return;
    std::optional<std::size_t> wanted;
    if (entry.properties.worker_node_keys) {
      bool any = false;
      for (std::size_t key : *entry.properties.worker_node_keys) any = any || nodes_[key]->usage.ready.load(std::memory_order_acquire);
      if (!any) wanted = entry.properties.worker_node_keys->front();
    }
    if (!wanted && !choice_failed && live != 0 && !every_node_busy()) return;
    grow(wanted);
  }

  /// Adds node `wanted`, or the first missing one, if the pool still needs it. A thread that cannot
  /// be made is reported (`error_handler`, `error` event) and the pool goes on with the nodes it
  /// has, unless it has none that could run the task: then the `execute` fails with it.
  void grow(std::optional<std::size_t> wanted) {
    std::unique_lock lock(size_mutex_);
    if (state_.load(std::memory_order_acquire) != State::started) return;  // execute says why
    const std::size_t live = live_nodes_.load(std::memory_order_relaxed);
    if (live >= max_size_) return;
    std::size_t key = min_size_;
    if (wanted) {
      if (nodes_[*wanted]->usage.ready.load(std::memory_order_acquire)) return;
      key = *wanted;
    } else {
      if (live != 0 && !every_node_busy()) return;
      while (key < max_size_ && nodes_[key]->usage.ready.load(std::memory_order_acquire)) ++key;
      if (key == max_size_) return;
    }
    try {
      start_node(*nodes_[key]);
    } catch (...) {
      lock.unlock();
      if (live == 0 || wanted) throw;
      report_error(std::current_exception());
      return;
    }
    live_nodes_.store(live + 1, std::memory_order_release);
    if (key >= active_nodes_.load(std::memory_order_relaxed)) active_nodes_.store(key + 1, std::memory_order_release);
    empty_armed_.store(true, std::memory_order_relaxed);  // poolifier: a creation re-arms `empty`
    lock.unlock();
    try {
      join_retired_threads(false);
    } catch (...) {  // bad_alloc: they are joined later, by destroy()
    }
    if (events_.wants(detail::EdgeKind::full)) check_full();
  }

  /// The worker of dynamic node `node` retires it (its idle timeout, or its start hook failed).
  /// `soft`: only with an empty queue. `hard` (or `forced`): the tasks queued on it are handed to
  /// other nodes first. False when it may not retire now (the pool is not started, or tasks came).
  bool try_retire(Node& node, bool forced) noexcept {
    std::unique_lock lock(size_mutex_);
    if (state_.load(std::memory_order_acquire) != State::started) return false;
    const bool hand_over = forced || options_.kill_behavior == KillBehavior::hard;
    std::optional<detail::RingDeque<Task*>> left = node.retire(!hand_over);
    if (!left) return false;
#ifdef POOLIFY_TEST_HOOK_RETIRING
    POOLIFY_TEST_HOOK_RETIRING();  // tests only: a worker preempted here, not ready yet still live
#endif
    const std::size_t live = live_nodes_.load(std::memory_order_relaxed) - 1;
    live_nodes_.store(live, std::memory_order_release);
    lock.unlock();
    if (!left->empty()) redistribute(node, *left);
    if (events_.wants(detail::EdgeKind::full)) check_full();
    if (events_.wants(detail::EdgeKind::busy) && events_.in_episode(detail::EdgeKind::busy)) check_busy();
    if (live == 0 && empty_armed_.exchange(false, std::memory_order_relaxed)) {
      emit_with_info(PoolEvent::empty);
    }
    return true;
  }

  /// Hands the tasks `left` by a retiring node to the least loaded other nodes that may run them;
  /// the retiring worker runs a task no other node can take (its function's affinity, or a queue
  /// that cannot grow). Nothing is lost, and `wait_idle()` never sees a task in neither place.
  void redistribute(Node& from, detail::RingDeque<Task*>& left) noexcept {
    std::uint64_t moved = 0;
    std::vector<Task*> mine;
    const bool prioritized = priorities_.load(std::memory_order_relaxed);
    const detail::PriorityOrder order{aging_factor_.load(std::memory_order_relaxed),
                                      load_exponent_.load(std::memory_order_relaxed)};
    left.drain([&](Task* task) {
      const std::size_t active = active_nodes_.load(std::memory_order_acquire);
      Node* best = nullptr;
      for (std::size_t key = 0; key < active; ++key) {
        Node& node = *nodes_[key];
        if (&node == &from || !node.usage.ready.load(std::memory_order_acquire) || !task->may_run_on(key)) continue;
        if (best == nullptr || node.in_flight() < best->in_flight()) best = &node;
      }
      std::uint64_t queued = 0;
      try {
        if (best != nullptr &&
            best->push(task, sleepers_, prioritized ? &order : nullptr, queued) != Node::Pushed::refused) {
          ++moved;  // counted as submitted there now: taken off `from` below
          return;
        }
      } catch (...) {  // the queue could not grow
      }
      try {
        mine.push_back(task);
      } catch (...) {
        from.mark_executing();
        run(from, task);  // no memory even for the list: run it now
      }
    });
    if (moved != 0) from.uncount(moved);
    for (Task* task : mine) {
      from.mark_executing();
      run(from, task);
    }
    // A waiter may have found every moved task done while they still counted here too.
    node_ran_dry(from);
  }

  /// The nodes counted as live (ready).
  [[nodiscard]] std::size_t live_nodes() const noexcept { return live_nodes_.load(std::memory_order_acquire); }

  void check_full() noexcept {
    check_edge(detail::EdgeKind::full, [this] { return live_nodes() == max_size_; });
  }

  /// The node ran dry: the pool may be idle now. The seq_cst read-modify-write orders our last
  /// `completed` before the read of `idle_waiters_` (a waiter does the mirror image), so either it
  /// sees our count or we see it waiting; tasks pay for no fence.
  void node_ran_dry(Node& node) noexcept {
    node.usage.completed.fetch_add(0, std::memory_order_seq_cst);
    if (idle_waiters_.load(std::memory_order_seq_cst) != 0) notify_idle();
  }

  // ---- stealing

  enum class Steal { nothing, failed, stolen };

  /// Lets `thief`, whose queue is empty, take the newest task of the most loaded other node.
  /// `nothing` when no node has work to steal; `failed` when one has but the steal did not happen
  /// (its newest task may not run on the thief, it was taken meanwhile, or too many nodes steal).
  ///
  /// A helping wait (`helping`) is not held to the stealing ratio: it must make progress.
  Steal steal(Node& thief, Task*& task, bool helping = false) noexcept {
    const std::size_t active = active_nodes_.load(std::memory_order_acquire);
    if (active < 2) return Steal::nothing;
    Node* victim = nullptr;
    std::uint64_t most = 0;
    for (std::size_t key = 0; key < active; ++key) {
      Node& node = *nodes_[key];
      if (&node == &thief || !node.stealable()) continue;
      const std::uint64_t queued = node.queued_all();
      if (queued > most) {
        victim = &node;
        most = queued;
      }
    }
    if (victim == nullptr) return Steal::nothing;
    if (!helping) {
      // poolifier's tasks_stealing_ratio: at most that share of the nodes steal at once.
      const auto limit = static_cast<std::uint32_t>(std::ceil(static_cast<double>(active) * stealing_ratio_.load(std::memory_order_relaxed)));
      std::uint32_t stealing = stealing_nodes_.load(std::memory_order_relaxed);
      do {
        if (stealing >= limit) return Steal::failed;
      } while (!stealing_nodes_.compare_exchange_weak(stealing, stealing + 1, std::memory_order_relaxed));
    }
    task = victim->steal_for(thief.id());
    if (!helping) stealing_nodes_.fetch_sub(1, std::memory_order_relaxed);
    if (task == nullptr) return Steal::failed;
    thief.mark_executing();
    thief.usage.stolen.fetch_add(1, std::memory_order_relaxed);  // a submitter may count a shed task too
    detail::bump<std::memory_order_relaxed>(thief.usage.sequentially_stolen);
    if (per_function_.load(std::memory_order_relaxed)) {
      if (detail::FunctionUsage* function = thief.functions.get_or_make(task->function_slot)) {
        function->stolen.fetch_add(1, std::memory_order_relaxed);  // a submitter may count a shed task too
        // As poolifier: in a row only while the thief steals tasks of the same function.
        if (thief.last_stolen_slot == task->function_slot) {
          detail::bump(function->sequentially_stolen);
        } else {
          function->sequentially_stolen.store(1, std::memory_order_relaxed);
        }
        reset_sequentially_stolen(thief, task->function_slot);
      }
    }
    return Steal::stolen;
  }

  /// The worker of `node` stole a task of slot `next` (`Node::no_slot`: ran one of its own): the
  /// function it stole from before, if another, is no longer stolen from in a row.
  static void reset_sequentially_stolen(Node& node, std::uint32_t next) noexcept {
    if (node.last_stolen_slot != next && node.last_stolen_slot != Node::no_slot) {
      if (detail::FunctionUsage* before = node.functions.get_or_make(node.last_stolen_slot)) {
        before->sequentially_stolen.store(0, std::memory_order_relaxed);
      }
    }
    node.last_stolen_slot = next;
  }

  /// Whether another node has work `thief` could steal (lock-free, a moment old).
  bool stealable_elsewhere(const Node& thief) const noexcept {
    const std::size_t active = active_nodes_.load(std::memory_order_acquire);
    for (std::size_t key = 0; key < active; ++key) {
      if (nodes_[key].get() != &thief && nodes_[key]->stealable()) return true;
    }
    return false;
  }

  /// The same under each node's queue lock, for a worker about to sleep (see `WorkerNode::park`).
  bool stealable_elsewhere_now(const Node& thief) noexcept {
    const std::size_t active = active_nodes_.load(std::memory_order_acquire);
    for (std::size_t key = 0; key < active; ++key) {
      if (nodes_[key].get() != &thief && nodes_[key]->stealable_by(thief.id())) return true;
    }
    return false;
  }

  /// poolifier's stealing on back pressure: node `source`'s queue has just reached the threshold;
  /// each other node whose queue is below the threshold minus one takes one of its newest tasks.
  void shed_back_pressure(std::size_t source) noexcept {
    const std::uint64_t size = back_pressure_size_.load(std::memory_order_relaxed);
    Node& from = *nodes_[source];
    if (size <= 1) return;
    const std::size_t active = active_nodes_.load(std::memory_order_acquire);
    for (std::size_t key = 0; key < active; ++key) {
      Node& to = *nodes_[key];
      if (key == source || !to.usage.ready.load(std::memory_order_relaxed) ||
          to.usage.queued.load(std::memory_order_relaxed) + 1 >= size) {
        continue;
      }
      if (const std::optional<std::uint32_t> slot = from.transfer_newest_to(to, size)) {
        to.usage.stolen.fetch_add(1, std::memory_order_relaxed);
        if (per_function_.load(std::memory_order_relaxed)) {
          if (detail::FunctionUsage* function = to.functions.get_or_make(*slot)) {
            function->stolen.fetch_add(1, std::memory_order_relaxed);
          }
        }
      }
    }
  }

  /// A task was queued behind other work on node `busy` while workers sleep: wake one to steal it.
  void wake_a_thief(std::size_t busy) noexcept {
    const std::size_t active = active_nodes_.load(std::memory_order_acquire);
    for (std::size_t key = 0; key < active; ++key) {
      if (key != busy && nodes_[key]->wake_if_asleep()) return;
    }
  }

  /// Runs a task the node took (popped or stole): the node already counts it as executing.
  /// `nested`: inside a helping wait of the task the node runs, which goes on executing after.
  void run(Node& node, Task* task, bool nested = false) noexcept {
    detail::NodeUsage& usage = node.usage;
    if (!task->try_claim()) {  // cancelled while queued: its future is already resolved
      task->discard_inputs();
      task->release(detail::task_word::pool_ref);
      if (!nested) usage.executing.store(0, std::memory_order_release);
      detail::bump<std::memory_order_release>(usage.completed);
      return;
    }
    if (task->function().is_coroutine()) {
      start_coroutine(node, task, nested);
      return;
    }
    // With two task functions or more, the node keeps usage per function too (poolifier's rule).
    detail::FunctionUsage* function_usage =
        per_function_.load(std::memory_order_relaxed) ? node.functions.get_or_make(task->function_slot) : nullptr;
    if (function_usage != nullptr) function_usage->executing.store(1, std::memory_order_relaxed);
    const std::uint32_t measure = measure_.load(std::memory_order_relaxed);
    const double start = measure != 0 ? detail::now_ms() : 0;
    std::stop_token token;
    std::optional<std::stop_callback<detail::ForwardStop>> forward_destroy;  // destroy() stops the task too
    if (detail::StopExtras<Response>* extras = task->extras_if_any(); extras != nullptr && extras->source) {
      token = extras->source->get_token();
      forward_destroy.emplace(destroy_source_.get_token(), detail::ForwardStop{&*extras->source});
    }
    const std::uint64_t outer_mark = detail::current_mark;  // a nested run is inside a helping wait
    const std::int64_t outer_local_mark = detail::current_local_mark;
    detail::current_mark = node.queued_so_far();
    detail::current_local_mark = node.local_mark();
    task->run(std::move(token));
    detail::current_mark = outer_mark;
    detail::current_local_mark = outer_local_mark;
    forward_destroy.reset();
    task->discard_inputs();
    const bool failed = task->has_error();
    if (measure != 0) record_measurements(usage, function_usage, measure, task->submitted_ms, start, failed);
    // task_error takes its place among the events before the task counts as finished, so that
    // wait_idle() (which flushes the events) returns only after its listeners have run.
    std::optional<detail::EventHub::Ticket> error_ticket;
    if (failed && events_.wants(PoolEvent::task_error)) error_ticket = reserve_event();
    // Counters and measurements first, so that a caller woken by the future reads them up to date.
    if (function_usage != nullptr) {
      detail::bump<std::memory_order_release>(failed ? function_usage->failed : function_usage->executed);
      function_usage->executing.store(0, std::memory_order_release);
    }
    std::atomic<std::uint64_t>& outcome = failed ? usage.failed : usage.executed;
    detail::bump<std::memory_order_release>(outcome);
    if (!nested) usage.executing.store(0, std::memory_order_release);
    detail::bump<std::memory_order_release>(usage.completed);
    if (error_ticket) {
      // Read before the task is published: it may be recycled at once, and its future's reader
      // may destroy the exception. Listeners run after, so that none delays the future.
      Event event = task_error_event(*task);
      task->publish(true);
      emit_task_error(*error_ticket, std::move(event));
      return;
    }
    task->publish(true);
  }

  /// The `task_error` event of a failed task, but its info (filled in when it is raised); only
  /// what could be had if building it fails (bad_alloc, reported).
  Event task_error_event(const Task& task) noexcept {
    Event event;
    try {
      event.error = task.error();
      event.message = message_of(event.error);
      event.task_function = name_of(task.function_slot);
    } catch (...) {
      report_listener_error(this, std::current_exception());
    }
    return event;
  }

  // ---- coroutine task functions

  using Promise = typename poolify::Task<Response>::promise_type;

  /// Starts a claimed task whose function is a coroutine: it runs here until it first suspends
  /// (or ends), then the worker is free; the node counts it in flight (`suspended`) until it ends,
  /// wherever it resumes (see `coroutine_ended`).
  void start_coroutine(Node& node, Task* task, bool nested) noexcept {
    detail::NodeUsage& usage = node.usage;
    usage.suspended.fetch_add(1, std::memory_order_acq_rel);
    if (!nested) usage.executing.store(0, std::memory_order_release);  // in flight as `suspended` instead
    detail::StopExtras<Response>& extras = *task->extras_if_any();  // made at submission
    extras.owner = this;
    extras.run_node = node.id();
    std::stop_token token;
    if (extras.source) {
      token = extras.source->get_token();
      // Lives with the task (not this frame): destroy() stops a suspended coroutine task too.
      extras.forward_destroy.emplace(destroy_source_.get_token(), detail::ForwardStop{&*extras.source});
    }
    std::coroutine_handle<Promise> coroutine;
    try {
      coroutine = task->make_coroutine(std::move(token)).release();
    } catch (...) {
      task->set_error(std::current_exception());  // calling the function threw: it never started
    }
    task->discard_inputs();
    if (!coroutine) {
      coroutine_ended(task, coroutine);
      return;
    }
    extras.coroutine = coroutine.address();
    coroutine.promise().on_done = {&Pool::on_coroutine_done, task};
    const std::uint64_t outer_mark = detail::current_mark;
    const std::int64_t outer_local_mark = detail::current_local_mark;
    detail::current_mark = node.queued_so_far();
    detail::current_local_mark = node.local_mark();
    coroutine.resume();  // may end it (and recycle the task) before it returns
    detail::current_mark = outer_mark;
    detail::current_local_mark = outer_local_mark;
  }

  /// The coroutine of `context` (a task) returned or threw: called from its final suspension.
  static void on_coroutine_done(void* context) noexcept {
    auto* task = static_cast<Task*>(context);
    const detail::StopExtras<Response>& extras = *task->extras_if_any();
    static_cast<Pool*>(extras.owner)->coroutine_ended(task, std::coroutine_handle<Promise>::from_address(extras.coroutine));
  }

  /// A coroutine task ended (or could not start: no `coroutine`): takes its outcome, frees its
  /// frame, counts it, publishes it. Runs on whatever thread ended it: counters with atomic adds.
  void coroutine_ended(Task* task, std::coroutine_handle<Promise> coroutine) noexcept {
    detail::StopExtras<Response>& extras = *task->extras_if_any();
    detail::NodeUsage& usage = nodes_[extras.run_node]->usage;
    if (coroutine) {
      Promise& promise = coroutine.promise();
      if (promise.error) {
        task->set_error(std::move(promise.error));
      } else {
        try {
          if constexpr (std::is_void_v<Response>) {
            task->set_value();
          } else {
            task->set_value(std::move(*promise.value));
          }
        } catch (...) {
          task->set_error(std::current_exception());  // moving the response threw
        }
      }
      coroutine.destroy();  // from its final suspension: nothing touches the frame after this
      extras.coroutine = nullptr;
    }
    extras.forward_destroy.reset();
    const bool failed = task->has_error();
    std::optional<detail::EventHub::Ticket> error_ticket;
    if (failed && events_.wants(PoolEvent::task_error)) error_ticket = reserve_event();
    (failed ? usage.coroutines_failed : usage.coroutines_executed).fetch_add(1, std::memory_order_release);
    usage.coroutines_completed.fetch_add(1, std::memory_order_seq_cst);
    usage.suspended.fetch_sub(1, std::memory_order_seq_cst);
    if (usage.capacity_waiter.load(std::memory_order_seq_cst) != 0) detail::wake_all(usage.suspended);
    if (idle_waiters_.load(std::memory_order_seq_cst) != 0) notify_idle();
    if (!error_ticket) {
      task->publish(true);
      return;
    }
    Event event = task_error_event(*task);  // before publishing, as in `run`
    task->publish(true);
    emit_task_error(*error_ticket, std::move(event));
  }

  /// The worker of `node` waits while the node has as many coroutine tasks in flight as its
  /// concurrency, or until the pool stops it.
  void wait_for_capacity(Node& node) noexcept {
    wait_while_suspended(node.usage, static_cast<std::uint32_t>(concurrency_.load(std::memory_order_relaxed)),
                         [&node] { return node.stop_requested(); });
  }

  /// destroy(): waits until no coroutine task is in flight on the first `active` nodes (their stop
  /// tokens are signalled; like a running task, one that never ends keeps destroy() waiting), or
  /// until `deadline`. Returns how many are still in flight.
  std::size_t wait_for_coroutines(std::size_t active, std::chrono::steady_clock::time_point deadline) noexcept {
    std::size_t left = 0;
    for (std::size_t key = 0; key < active; ++key) {
      detail::NodeUsage& usage = nodes_[key]->usage;
      wait_while_suspended(usage, 1, [deadline] { return std::chrono::steady_clock::now() >= deadline; });
      left += usage.suspended.load(std::memory_order_acquire);
    }
    return left;
  }

  /// Waits while `usage` has `limit` coroutine tasks in flight or more, unless `stop()`: sleeps on
  /// the count (a task that ends wakes the waiter it sees), looking again every 10 ms at most.
  template <class Stop>
  static void wait_while_suspended(detail::NodeUsage& usage, std::uint32_t limit, Stop&& stop) noexcept {
    while (usage.suspended.load(std::memory_order_acquire) >= limit && !stop()) {
      usage.capacity_waiter.store(1, std::memory_order_seq_cst);
      const std::uint32_t seen = usage.suspended.load(std::memory_order_seq_cst);
      if (seen >= limit) {
        detail::wait_on_until(usage.suspended, seen, std::chrono::steady_clock::now() + std::chrono::milliseconds(10));
      }
      usage.capacity_waiter.store(0, std::memory_order_relaxed);
    }
  }

  /// A place for an event built later; none (the event is then dropped) if even that fails.
  std::optional<detail::EventHub::Ticket> reserve_event() noexcept {
    try {
      return events_.reserve();
    } catch (...) {
      report_listener_error(this, std::current_exception());  // bad_alloc
      return std::nullopt;
    }
  }

  /// Raises `kind`, an event that carries only the pool's info.
  void emit_with_info(PoolEvent kind) noexcept {
    try {
      events_.emit(kind, [this, kind] { return Event{kind, info(), nullptr, {}, {}}; });
    } catch (...) {
      report_listener_error(this, std::current_exception());  // could not build the event (bad_alloc)
    }
  }

  /// Raises `task_error` with `event` (error, message and task function already filled in) in the
  /// place of `ticket`.
  void emit_task_error(detail::EventHub::Ticket ticket, Event&& event) noexcept {
    try {
      events_.fulfil(ticket, PoolEvent::task_error, [&] {
        event.info = info();
        return std::move(event);
      });
    } catch (...) {
      report_listener_error(this, std::current_exception());  // could not even build the event
    }
  }

  /// The name of the task function of slot `slot` (a removed one's too: older versions of the
  /// registry are kept).
  std::string name_of(std::uint32_t slot) const {
    std::lock_guard lock(config_mutex_);
    for (auto registry = registries_.rbegin(); registry != registries_.rend(); ++registry) {
      for (const auto& entry : (*registry)->entries) {
        if (entry->slot == slot) return entry->name;
      }
    }
    return {};
  }

  static std::string message_of(const std::exception_ptr& error) {
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& exception) {
      return exception.what();
    } catch (...) {
      return "unknown exception";
    }
  }

  // ---- edge-triggered events

  /// Every node there (ready) has as many tasks in flight as its concurrency, and there is one.
  [[nodiscard]] bool every_node_busy() const noexcept {
    const std::size_t active = active_nodes_.load(std::memory_order_acquire);
    const std::size_t concurrency = concurrency_.load(std::memory_order_relaxed);
    bool any = false;
    for (std::size_t key = 0; key < active; ++key) {
      const Node& node = *nodes_[key];
      if (!node.usage.ready.load(std::memory_order_relaxed)) continue;  // not there (a dynamic node that retired)
      if (node.in_flight() < concurrency) return false;
      any = true;
    }
    return any;
  }

  /// Whether a dynamic pool has all its nodes (a fixed pool always has).
  [[nodiscard]] bool full() const noexcept { return type_ == PoolType::fixed || live_nodes() == max_size_; }

  /// The busy condition (poolifier's): every node has as many tasks in flight as its concurrency;
  /// a dynamic pool must also be full.
  [[nodiscard]] bool all_busy() const noexcept { return full() && every_node_busy(); }

  /// The back-pressure condition (poolifier's): every node's queue is at its threshold; a dynamic
  /// pool must also be full.
  [[nodiscard]] bool all_back_pressured() const noexcept {
    const std::size_t active = active_nodes_.load(std::memory_order_acquire);
    if (!full() || !queue_enabled_.load(std::memory_order_relaxed)) return false;
    const std::uint64_t size = back_pressure_size_.load(std::memory_order_relaxed);
    bool any = false;
    for (std::size_t key = 0; key < active; ++key) {
      const detail::NodeUsage& usage = nodes_[key]->usage;
      if (!usage.ready.load(std::memory_order_relaxed)) continue;
      if (usage.queued.load(std::memory_order_relaxed) < size) return false;
      any = true;
    }
    return any;
  }

  void check_busy() noexcept { check_edge(detail::EdgeKind::busy, [this] { return all_busy(); }); }
  void check_back_pressure() noexcept {
    check_edge(detail::EdgeKind::back_pressure, [this] { return all_back_pressured(); });
  }

  template <class Condition>
  void check_edge(detail::EdgeKind edge, Condition&& condition) noexcept {
    try {
      events_.edge(edge, condition, [this] { return info(); });
    } catch (...) {
      report_listener_error(this, std::current_exception());  // could not build the event (bad_alloc)
    }
  }

  /// A worker took a task (popped or stole): a busy episode may start, a back-pressure one end.
  void after_dequeue() noexcept {
    if (events_.wants(detail::EdgeKind::busy) && !events_.in_episode(detail::EdgeKind::busy)) check_busy();
    if (events_.wants(detail::EdgeKind::back_pressure) && events_.in_episode(detail::EdgeKind::back_pressure)) {
      check_back_pressure();
    }
  }

  /// A submitter queued a task, leaving `queued` on its node: a back-pressure episode may start,
  /// or end when the push shed tasks to other nodes.
  void after_enqueue(std::uint64_t queued) noexcept {
    if (!events_.wants(detail::EdgeKind::back_pressure)) return;
    const bool episode = events_.in_episode(detail::EdgeKind::back_pressure);
    if (episode || queued >= back_pressure_size_.load(std::memory_order_relaxed)) check_back_pressure();
  }

  /// Records what `measure` asks for of a task that started at `start` (ms), on the node and, with
  /// per-function usage, on its function. As poolifier, a task that threw counts for its wait time
  /// only.
  static void record_measurements(detail::NodeUsage& usage, detail::FunctionUsage* function, std::uint32_t measure,
                                  double submitted, double start, bool failed) noexcept {
    namespace bits = detail::measure;
    const auto record = [function](detail::MeasurementHistory& mine, detail::MeasurementHistory detail::FunctionUsage::*its,
                                   double sample, bool history, bool median) {
      mine.record(sample, history, median);
      if (function != nullptr) (function->*its).record(sample, history, median);
    };
    if ((measure & bits::wait_time) != 0 && submitted > 0) {
      record(usage.wait_time, &detail::FunctionUsage::wait_time, start - submitted, (measure & bits::wait_time_history) != 0,
             (measure & bits::wait_time_median) != 0);
    }
    if ((measure & (bits::run_time | bits::elu)) == 0) return;
    const double end = detail::now_ms();
    const double active = end - start;
    if (!failed && (measure & bits::run_time) != 0) {
      record(usage.run_time, &detail::FunctionUsage::run_time, active, (measure & bits::run_time_history) != 0,
             (measure & bits::run_time_median) != 0);
    }
    if ((measure & bits::elu) != 0) {
      const bool history = (measure & bits::elu_history) != 0;
      const bool median = (measure & bits::elu_median) != 0;
      if (!failed) {
        record(usage.elu_active, &detail::FunctionUsage::elu_active, active, history, median);
        if (usage.last_task_end >= 0) {
          const double idle = start > usage.last_task_end ? start - usage.last_task_end : 0;
          record(usage.elu_idle, &detail::FunctionUsage::elu_idle, idle, history, median);
          record(usage.elu_utilization, &detail::FunctionUsage::elu_utilization, active + idle > 0 ? active / (active + idle) : 0,
                 history, median);
        }
      }
      usage.last_task_end = end;
    }
  }

  /// Node `node`'s usage of each task function of `registry`, in its order.
  static std::vector<TaskFunctionUsage> function_usage_of(const Node& node, const Registry& registry) {
    std::uint32_t last_slot = 0;
    for (const auto& entry : registry.entries) last_slot = std::max(last_slot, entry->slot);
    std::vector<std::uint64_t> queued(static_cast<std::size_t>(last_slot) + 1, 0);
    node.for_each_queued([&](const Task& task) {
      if (task.function_slot <= last_slot) ++queued[task.function_slot];
    });
    std::vector<TaskFunctionUsage> list;
    list.reserve(registry.entries.size());
    for (const auto& entry : registry.entries) {
      TaskFunctionUsage usage;
      usage.name = entry->name;
      usage.tasks.queued = queued[entry->slot];
      if (const detail::FunctionUsage* function = node.functions.find(entry->slot)) {
        usage.tasks.executed = function->executed.load(std::memory_order_acquire);
        usage.tasks.executing = function->executing.load(std::memory_order_acquire);
        usage.tasks.failed = function->failed.load(std::memory_order_acquire);
        usage.tasks.stolen = function->stolen.load(std::memory_order_relaxed);
        usage.tasks.sequentially_stolen = function->sequentially_stolen.load(std::memory_order_relaxed);
        usage.run_time = statistics_of(function->run_time);
        usage.wait_time = statistics_of(function->wait_time);
        usage.elu.active = statistics_of(function->elu_active);
        usage.elu.idle = statistics_of(function->elu_idle);
        usage.elu.utilization = statistics_of(function->elu_utilization);
      }
      list.push_back(std::move(usage));
    }
    return list;
  }

  /// One measurement of the first `active` nodes together: sums, extremes, and the average and
  /// median over their histories put end to end (with `history`).
  MeasurementStatistics combined(std::size_t active, detail::MeasurementHistory detail::NodeUsage::*member,
                                 bool history) const {
    MeasurementStatistics total;
    std::vector<double> samples;
    for (std::size_t key = 0; key < active; ++key) {
      const detail::MeasurementHistory& measurement = nodes_[key]->usage.*member;
      const std::uint64_t count = measurement.count();
      if (count == 0) continue;
      total.minimum = total.count == 0 ? measurement.minimum() : std::min(total.minimum, measurement.minimum());
      total.maximum = total.count == 0 ? measurement.maximum() : std::max(total.maximum, measurement.maximum());
      total.count += count;
      total.aggregate += measurement.aggregate();
      if (history) measurement.append_history(samples);
    }
    if (!samples.empty()) {
      double sum = 0;
      for (const double sample : samples) sum += sample;
      total.average = sum / static_cast<double>(samples.size());
      total.median = detail::MeasurementHistory::median_of(samples.data(), samples.size());
    }
    return total;
  }

  static MeasurementStatistics statistics_of(const detail::MeasurementHistory& history) noexcept {
    return {history.count(), history.aggregate(), history.minimum(), history.maximum(), history.average(),
            history.median()};
  }

  void abandon(Task* task) noexcept {
    task->discard_inputs();
    if (task->try_claim()) {
      task->set_error(std::make_exception_ptr(
          TaskAbandoned("poolify: task abandoned: still queued when destroy() stopped waiting (tasks_finished_timeout)")));
      task->publish(true);
    } else {
      task->release(detail::task_word::pool_ref);  // cancelled meanwhile
    }
  }

  /// Runs a worker hook; false when it threw (reported).
  bool run_hook(const std::function<void(std::size_t)>& hook, std::size_t key) noexcept {
    if (!hook) return true;
    try {
      hook(key);
      return true;
    } catch (...) {
      report_error(std::current_exception());
      return false;
    }
  }

  /// An error no future can carry: to `error_handler` (or stderr), then to the `error` event.
  void report_error(std::exception_ptr error) noexcept {
    report_listener_error(this, error);
    try {
      events_.emit(PoolEvent::error, [&] { return Event{PoolEvent::error, info(), error, message_of(error), {}}; });
    } catch (...) {
      report_listener_error(this, std::current_exception());
    }
  }

  /// To `error_handler` (or stderr) only: for errors of listeners, which must not raise events.
  static void report_listener_error(const void* context, std::exception_ptr error) noexcept {
    const Pool& pool = *static_cast<const Pool*>(context);
    try {
      if (pool.options_.error_handler) {
        pool.options_.error_handler(error);
        return;
      }
      std::rethrow_exception(error);
    } catch (const std::exception& exception) {
      std::fputs("poolify: unhandled error: ", stderr);
      std::fputs(exception.what(), stderr);
      std::fputs("\n", stderr);
    } catch (...) {
      std::fputs("poolify: unhandled error\n", stderr);
    }
  }

  // ---- idleness

  /// Whether every task submitted so far has finished. Completions are read before submissions:
  /// a task counted as completed was submitted before, so equal sums mean nothing is in flight.
  [[nodiscard]] bool is_idle() const noexcept {
    const std::size_t count = nodes_.size();
    std::uint64_t finished = 0;
    for (std::size_t key = 0; key < count; ++key) {
      finished += nodes_[key]->usage.completed.load(std::memory_order_seq_cst);
      finished += nodes_[key]->usage.coroutines_completed.load(std::memory_order_seq_cst);
      finished += nodes_[key]->usage.discarded.load(std::memory_order_seq_cst);
    }
    std::uint64_t submitted = 0;
    for (std::size_t key = 0; key < count; ++key) {
      submitted += nodes_[key]->usage.submitted.load(std::memory_order_seq_cst);
      submitted += nodes_[key]->usage.submitted_local.load(std::memory_order_seq_cst);
    }
    return finished == submitted;
  }

  void wait_idle_until(std::chrono::steady_clock::time_point deadline) {
    idle_waiters_.fetch_add(1, std::memory_order_seq_cst);
    for (;;) {
      const std::uint32_t epoch = idle_epoch_.load(std::memory_order_seq_cst);
      if (is_idle()) break;
      if (deadline == std::chrono::steady_clock::time_point::max()) {
        detail::wait_on(idle_epoch_, epoch);
      } else if (!detail::wait_on_until(idle_epoch_, epoch, deadline)) {
        break;
      }
    }
    idle_waiters_.fetch_sub(1, std::memory_order_seq_cst);
  }

  /// The pool was idle: ends the busy and back-pressure episodes that the last tasks' workers may
  /// not have ended yet, and waits for the events raised so far (task_error included: `run`
  /// reserves its place before the task counts as finished) to be delivered.
  void settle_events() {
    if (events_.wants(detail::EdgeKind::busy) && events_.in_episode(detail::EdgeKind::busy)) check_busy();
    if (events_.wants(detail::EdgeKind::back_pressure) && events_.in_episode(detail::EdgeKind::back_pressure)) {
      check_back_pressure();
    }
    events_.flush();
  }

  void notify_idle() noexcept {
    idle_epoch_.fetch_add(1, std::memory_order_seq_cst);
    detail::wake_all(idle_epoch_);
  }

  // ---- members

  PoolType type_;
  std::size_t min_size_;
  std::size_t max_size_;
  PoolOptions options_;

  std::vector<std::unique_ptr<Node>> nodes_;           // max_size_ nodes for the pool's whole life
  std::vector<const detail::NodeUsage*> usages_;       // their counters, as strategies see them
  // nodes_[0, active) may run a worker: those that do are ready (counted in live_nodes_). In a
  // dynamic pool a node above the minimum may have retired (a hole) and come back later.
  std::atomic<std::size_t> active_nodes_{0};
  std::atomic<std::size_t> live_nodes_{0};
  std::mutex size_mutex_;                    // serializes adding and retiring nodes with destroy()
  std::atomic<bool> empty_armed_{false};     // a node was added since the last `empty` event
  std::vector<RetiredThread> retired_threads_;  // guarded by size_mutex_; with those destroy(timeout) left running
  std::atomic<std::uint32_t> thread_exits_{0};  // bumped by each worker as its last step (see await_exit)

  mutable std::mutex config_mutex_;                          // serializes task-function and strategy changes
  std::vector<std::unique_ptr<Registry>> registries_;  // every version, guarded by config_mutex_
  std::atomic<const Registry*> registry_{nullptr};     // the current version
  std::vector<std::unique_ptr<detail::AnyStrategy>> strategy_store_;  // every strategy made, guarded by config_mutex_
  std::vector<std::unique_ptr<detail::StrategySet>> strategy_sets_;  // every version, guarded by config_mutex_
  std::atomic<const detail::StrategySet*> strategies_{nullptr};      // the current version
  std::atomic<std::uint32_t> measure_{0};              // detail::measure bits of the current version
  std::atomic<std::uint64_t> strategy_retries_{0};     // retries of the last choice

  std::mutex lifecycle_mutex_;
  std::atomic<State> state_{State::stopped};
  std::atomic<bool> ready_{false};
  std::stop_source destroy_source_;  // signals running tasks' tokens on destroy; new at each start

  std::atomic<std::uint32_t> sleepers_{0};        // sleeping workers that would steal (stealing on)
  std::atomic<std::uint32_t> stealing_nodes_{0};  // workers in the act of stealing
  std::atomic<bool> stealing_{false};             // idle nodes steal (tasks queue and task_stealing on)
  std::atomic<double> stealing_ratio_{0.6};       // tasks_stealing_ratio
  std::atomic<bool> shedding_{false};             // nodes over the back-pressure threshold shed tasks
  std::atomic<bool> priorities_{false};           // some task function has a priority
  std::atomic<bool> per_function_{false};         // two task functions or more: usage is kept per function
  std::uint32_t next_slot_ = 0;                   // the next task-function slot, guarded by config_mutex_
  std::atomic<double> start_ms_{0};               // when start() last ran (ms, steady clock), for utilization
  std::atomic<double> aging_factor_{0.001};       // tasks_queue_options.aging_factor
  std::atomic<double> load_exponent_{2.0 / 3.0};  // tasks_queue_options.load_exponent
  std::atomic<bool> queue_enabled_{true};         // enable_tasks_queue
  std::atomic<std::size_t> concurrency_{1};       // tasks_queue_options.concurrency
  std::atomic<std::uint64_t> back_pressure_size_{1};           // tasks_queue_options.size, or max_size^2
  std::atomic<std::chrono::milliseconds::rep> tasks_finished_timeout_ms_{0};

  std::atomic<std::uint32_t> idle_waiters_{0};
  std::atomic<std::uint32_t> idle_epoch_{0};

  detail::EventHub events_{&Pool::report_listener_error, this};
};

POOLIFY_NAMESPACE_END
