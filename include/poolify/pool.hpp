/// @file pool.hpp
/// @brief `poolify::Pool`: the engine every pool type shares.
#pragma once

#include <poolify/detail/futex.hpp>
#include <poolify/detail/task_state.hpp>
#include <poolify/detail/validation.hpp>
#include <poolify/detail/worker_node.hpp>
#include <poolify/errors.hpp>
#include <poolify/future.hpp>
#include <poolify/options.hpp>
#include <poolify/statistics.hpp>
#include <poolify/strategies/least_used.hpp>
#include <poolify/strategies/round_robin.hpp>
#include <poolify/strategies/strategy.hpp>
#include <poolify/task_function.hpp>
#include <poolify/version.hpp>

#include <algorithm>    // std::rotate
#include <atomic>       // std::atomic
#include <chrono>       // std::chrono::steady_clock
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint32_t, std::uint64_t
#include <cstdio>       // std::fputs, stderr
#include <exception>    // std::exception, std::exception_ptr, std::current_exception
#include <functional>   // std::function
#include <memory>       // std::unique_ptr, std::make_unique, std::shared_ptr
#include <mutex>        // std::mutex, std::lock_guard
#include <optional>     // std::optional
#include <span>         // std::span
#include <stdexcept>    // std::runtime_error
#include <stop_token>   // std::stop_source, std::stop_token
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <thread>       // std::jthread
#include <type_traits>  // std::is_move_constructible_v, std::is_void_v
#include <utility>      // std::move
#include <vector>       // std::vector

POOLIFY_NAMESPACE_BEGIN
namespace detail {

/// The pool whose task the current thread is running, if any (set on worker threads).
inline thread_local const void* current_pool = nullptr;

template <class Data, class Response>
struct TaskFunctionEntry {
  std::string name;
  TaskFunction<Data, Response> function;
  TaskFunctionProperties properties;
};

/// One immutable version of a pool's task functions; `entries[0]` is the default.
template <class Data, class Response>
struct TaskFunctionRegistry {
  std::vector<std::shared_ptr<const TaskFunctionEntry<Data, Response>>> entries;
};

}  // namespace detail

/// A pool of worker nodes running tasks of one type: `Response(Data)`. Use `FixedPool` (and, once
/// it lands, `DynamicPool`); both are a `Pool`.
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
  /// the pool's own tasks.
  virtual ~Pool() {
    if (state_.load(std::memory_order_acquire) == State::started) {
      try {
        destroy();
      } catch (...) {
        report_error(std::current_exception());
      }
    }
  }

  // ---------------------------------------------------------------- lifecycle

  /// Starts the worker nodes. Throws `PoolError` "Cannot start an already started pool" or
  /// "Cannot start a destroying pool"; `std::system_error` if a thread cannot be created (the
  /// threads already made are stopped and joined; the pool stays not started).
  void start() {
    std::lock_guard lifecycle(lifecycle_mutex_);
    const State state = state_.load(std::memory_order_acquire);
    if (state == State::started) detail::throw_pool_error("Cannot start an already started pool");
    if (state == State::destroying) detail::throw_pool_error("Cannot start a destroying pool");
    destroy_source_ = std::stop_source();
    std::size_t started = 0;
    try {
      for (; started < min_size_; ++started) start_node(*nodes_[started]);
    } catch (...) {
      stop_nodes(started);
      throw;
    }
    active_nodes_.store(started, std::memory_order_release);
    state_.store(State::started, std::memory_order_release);
    ready_.store(true, std::memory_order_release);
  }

  /// Stops the pool: refuses new tasks, lets queued tasks run for up to
  /// `tasks_finished_timeout`, resolves the ones still queued as `TaskAbandoned`, signals the stop
  /// tokens of running tasks, waits for them and joins every thread. Every future is resolved when it
  /// returns. Throws `PoolError` "Cannot destroy an already destroyed pool" / "Cannot destroy an
  /// already destroying pool", and when called from inside one of the pool's tasks.
  ///
  /// A running task cannot be interrupted: a task that ignores its stop token keeps `destroy()`
  /// waiting until it returns.
  void destroy() {
    if (detail::current_pool == this) {
      detail::throw_pool_error("poolify::Pool::destroy: cannot be called from inside a task of the same pool");
    }
    {
      std::lock_guard lifecycle(lifecycle_mutex_);
      const State state = state_.load(std::memory_order_acquire);
      if (state == State::stopped) detail::throw_pool_error("Cannot destroy an already destroyed pool");
      if (state == State::destroying) detail::throw_pool_error("Cannot destroy an already destroying pool");
      state_.store(State::destroying, std::memory_order_release);
    }
    wait_idle_until(std::chrono::steady_clock::now() + options_.tasks_queue_options.tasks_finished_timeout);
    const std::size_t active = active_nodes_.load(std::memory_order_acquire);
    for (std::size_t key = 0; key < active; ++key) {
      nodes_[key]->close().drain([this](Task* task) { abandon(task); });
    }
    destroy_source_.request_stop();
    std::lock_guard lifecycle(lifecycle_mutex_);
    stop_nodes(active);
    active_nodes_.store(0, std::memory_order_release);
    ready_.store(false, std::memory_order_release);
    state_.store(State::stopped, std::memory_order_release);
    notify_idle();  // abandoned tasks made the pool idle without a worker noticing
  }

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

  /// Blocks until no task is queued or running. The pool stays usable; tasks submitted meanwhile
  /// are waited for too. Throws `PoolError` when called from inside one of the pool's tasks.
  void wait_idle() {
    if (detail::current_pool == this) {
      detail::throw_pool_error("poolify::Pool::wait_idle: cannot be called from inside a task of the same pool");
    }
    wait_idle_until(std::chrono::steady_clock::time_point::max());
  }

  // ---------------------------------------------------------------- task functions

  /// Adds (or replaces) the task function `name`. Returns true.
  bool add_task_function(std::string name, TaskFunction<Data, Response> function,
                         TaskFunctionProperties properties = {}) {
    detail::check_task_function_name(name);
    detail::check_task_function_properties(properties, max_size_);
    auto entry = std::make_shared<const Entry>(Entry{std::move(name), std::move(function), std::move(properties)});
    std::lock_guard lock(registry_mutex_);
    auto next = std::make_unique<Registry>(*registry_.load(std::memory_order_relaxed));
    bool replaced = false;
    for (auto& existing : next->entries) {
      if (existing->name == entry->name) {
        existing = entry;
        replaced = true;
      }
    }
    if (!replaced) next->entries.push_back(std::move(entry));
    publish_registry(std::move(next));
    return true;
  }

  /// Removes the task function `name`; false when there is none. The default one cannot be removed.
  bool remove_task_function(std::string_view name) {
    if (name == "default") detail::throw_invalid_argument("Cannot remove a task function with the default reserved name");
    std::lock_guard lock(registry_mutex_);
    const Registry& current = *registry_.load(std::memory_order_relaxed);
    for (std::size_t index = 0; index < current.entries.size(); ++index) {
      if (current.entries[index]->name != name) continue;
      if (index == 0) detail::throw_invalid_argument("Cannot remove the task function used as the default task function");
      auto next = std::make_unique<Registry>(current);
      next->entries.erase(next->entries.begin() + static_cast<std::ptrdiff_t>(index));
      publish_registry(std::move(next));
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
    std::lock_guard lock(registry_mutex_);
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

  // ---------------------------------------------------------------- statistics

  /// A snapshot of the pool (see `PoolInfo`).
  [[nodiscard]] PoolInfo info() const {
    PoolInfo info;
    info.version = POOLIFY_VERSION_STRING;
    info.type = type_;
    const State state = state_.load(std::memory_order_acquire);
    info.started = state != State::stopped;
    info.ready = ready_.load(std::memory_order_acquire);
    info.default_strategy = options_.worker_choice_strategy;
    info.min_size = min_size_;
    info.max_size = max_size_;
    const std::size_t active = active_nodes_.load(std::memory_order_acquire);
    info.worker_nodes = active;
    if (type_ == PoolType::dynamic) info.dynamic_worker_nodes = active > min_size_ ? active - min_size_ : 0;
    std::uint64_t queued = 0;
    std::uint64_t max_queued = 0;
    for (std::size_t key = 0; key < active; ++key) {
      const detail::NodeUsage& usage = nodes_[key]->usage;
      const std::uint64_t executing = usage.executing.load(std::memory_order_acquire);
      if (executing == 0) ++info.idle_worker_nodes;
      if (executing >= options_.tasks_queue_options.concurrency) ++info.busy_worker_nodes;
      info.executing_tasks += executing;
      info.executed_tasks += usage.executed.load(std::memory_order_acquire);
      info.failed_tasks += usage.failed.load(std::memory_order_acquire);
      queued += usage.queued.load(std::memory_order_acquire);
      max_queued += usage.max_queued.load(std::memory_order_acquire);
    }
    if (options_.enable_tasks_queue) {
      info.queued_tasks = queued;
      info.max_queued_tasks = max_queued;
    }
    return info;
  }

  /// Each worker node of the pool, by key.
  [[nodiscard]] std::vector<WorkerNodeInfo> worker_nodes() const {
    std::vector<WorkerNodeInfo> list;
    const std::size_t active = active_nodes_.load(std::memory_order_acquire);
    for (std::size_t key = 0; key < active; ++key) {
      const detail::NodeUsage& usage = nodes_[key]->usage;
      WorkerNodeInfo node;
      node.id = key;
      node.ready = usage.ready.load(std::memory_order_acquire);
      node.dynamic = key >= min_size_;
      node.tasks.executed = usage.executed.load(std::memory_order_acquire);
      node.tasks.executing = usage.executing.load(std::memory_order_acquire);
      node.tasks.queued = usage.queued.load(std::memory_order_acquire);
      node.tasks.max_queued = usage.max_queued.load(std::memory_order_acquire);
      node.tasks.failed = usage.failed.load(std::memory_order_acquire);
      list.push_back(node);
    }
    return list;
  }

  /// The options the pool was made with.
  [[nodiscard]] const PoolOptions& options() const noexcept { return options_; }

 protected:
  using Entry = detail::TaskFunctionEntry<Data, Response>;
  using Registry = detail::TaskFunctionRegistry<Data, Response>;

  /// Builds a pool of `min_size`..`max_size` nodes (sizes already validated by the caller).
  Pool(PoolType type, std::size_t min_size, std::size_t max_size,
       std::vector<NamedTaskFunction<Data, Response>> functions, PoolOptions options)
      : type_(type), min_size_(min_size), max_size_(max_size), options_(std::move(options)) {
    detail::check_pool_options(options_, max_size_);
    registries_.push_back(make_registry(std::move(functions)));
    registry_.store(registries_.back().get(), std::memory_order_release);
    strategy_ = make_strategy(options_.worker_choice_strategy);
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

  std::unique_ptr<Registry> make_registry(std::vector<NamedTaskFunction<Data, Response>> functions) const {
    if (functions.empty()) detail::throw_invalid_argument("taskFunctions parameter object is empty");
    auto registry = std::make_unique<Registry>();
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
      registry->entries.push_back(std::make_shared<const Entry>(
          Entry{std::move(named.name), std::move(named.function), std::move(named.properties)}));
    }
    return registry;
  }

  void publish_registry(std::unique_ptr<Registry> next) {
    // Old versions stay alive until the pool dies: queued tasks and concurrent lookups may still
    // point into them, and updates are rare.
    registries_.push_back(std::move(next));
    registry_.store(registries_.back().get(), std::memory_order_release);
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

  static std::unique_ptr<detail::AnyStrategy> make_strategy(WorkerChoiceStrategy strategy) {
    switch (strategy) {
      case WorkerChoiceStrategy::round_robin:
        return std::make_unique<detail::StrategyModel<RoundRobinStrategy>>();
      case WorkerChoiceStrategy::least_used:
        return std::make_unique<detail::StrategyModel<LeastUsedStrategy>>();
      default:
        detail::check_strategy(strategy);  // throws for the ones not available yet
        return nullptr;
    }
  }

  std::size_t choose_node() {
    const std::size_t active = active_nodes_.load(std::memory_order_acquire);
    // destroy() finished between our state check and here: say so, not "no node chosen".
    if (active == 0) detail::throw_pool_error("Cannot execute a task on not started pool");
    const WorkerNodesView view(std::span<const detail::NodeUsage* const>(usages_.data(), active));
    const std::size_t retries = 2 * max_size_;  // as poolifier: max size + number of weights
    for (std::size_t attempt = 0; attempt <= retries; ++attempt) {
      const std::optional<std::size_t> key = strategy_->choose(view);
      if (key && *key < active && view[*key].ready()) return *key;
    }
    throw std::runtime_error("Worker node key chosen by " + std::string(to_string(options_.worker_choice_strategy)) +
                             " is null or undefined after " + std::to_string(retries) + " retries (max: " +
                             std::to_string(retries) + ")");
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
      if (stop != nullptr && stop->stop_possible()) {
        task->extras().on_user_stop.emplace(*stop, detail::CancelOnStop<Response>{task});
      }
      if (!nodes_[choose_node()]->push(task)) {
        detail::throw_pool_error("Cannot execute a task on destroying pool");
      }
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

  // ---- running

  void start_node(Node& node) {
    node.open();
    node.usage.ready.store(true, std::memory_order_release);
    try {
      node.thread = std::jthread([this, &node] { work(node); });
    } catch (...) {
      node.usage.ready.store(false, std::memory_order_release);
      node.close();
      throw;
    }
  }

  void stop_nodes(std::size_t count) noexcept {
    for (std::size_t key = 0; key < count; ++key) nodes_[key]->request_stop();
    for (std::size_t key = 0; key < count; ++key) {
      Node& node = *nodes_[key];
      if (node.thread.joinable()) node.thread.join();
      node.usage.ready.store(false, std::memory_order_release);
      node.close().drain([this](Task* task) { abandon(task); });  // pushed after the drain, before the close
    }
  }

  void work(Node& node) {
    detail::current_pool = this;
    run_hook(options_.on_worker_start, node.id());
    for (;;) {
      if (Task* task = node.pop()) {
        run(node, task);
        continue;
      }
      if (node.stop_requested()) break;
      // The node ran dry: the pool may be idle now. The seq_cst read-modify-write orders our last
      // `completed` before the read of `idle_waiters_` (a waiter does the mirror image), so
      // either it sees our count or we see it waiting; tasks pay for no fence.
      node.usage.completed.fetch_add(0, std::memory_order_seq_cst);
      if (idle_waiters_.load(std::memory_order_seq_cst) != 0) notify_idle();
      node.park();
    }
    run_hook(options_.on_worker_exit, node.id());
    detail::current_pool = nullptr;
  }

  void run(Node& node, Task* task) noexcept {
    detail::NodeUsage& usage = node.usage;
    if (!task->try_claim()) {  // cancelled while queued: its future is already resolved
      task->discard_inputs();
      task->release(detail::task_word::pool_ref);
      detail::bump(usage.completed, std::memory_order_release);
      return;
    }
    usage.executing.store(1, std::memory_order_relaxed);
    std::stop_token token;
    if (detail::StopExtras<Response>* extras = task->extras_if_any(); extras != nullptr && extras->source) {
      token = extras->source->get_token();
      node.forward_destroy.emplace(destroy_source_.get_token(), detail::ForwardStop{&*extras->source});
    }
    task->run(std::move(token));
    node.forward_destroy.reset();
    task->discard_inputs();
    // Counters first, so that a caller woken by the future reads them up to date.
    std::atomic<std::uint64_t>& outcome = task->has_error() ? usage.failed : usage.executed;
    detail::bump(outcome, std::memory_order_release);
    usage.executing.store(0, std::memory_order_release);
    detail::bump(usage.completed, std::memory_order_release);
    task->publish(true);
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

  void run_hook(const std::function<void(std::size_t)>& hook, std::size_t key) noexcept {
    if (!hook) return;
    try {
      hook(key);
    } catch (...) {
      report_error(std::current_exception());
    }
  }

  void report_error(std::exception_ptr error) const noexcept {
    try {
      if (options_.error_handler) {
        options_.error_handler(error);
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
      finished += nodes_[key]->usage.discarded.load(std::memory_order_seq_cst);
    }
    std::uint64_t submitted = 0;
    for (std::size_t key = 0; key < count; ++key) {
      submitted += nodes_[key]->usage.submitted.load(std::memory_order_seq_cst);
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
  std::atomic<std::size_t> active_nodes_{0};           // nodes_[0, active) run a worker
  std::unique_ptr<detail::AnyStrategy> strategy_;

  std::mutex registry_mutex_;                          // serializes task-function changes
  std::vector<std::unique_ptr<Registry>> registries_;  // every version, guarded by registry_mutex_
  std::atomic<const Registry*> registry_{nullptr};     // the current version

  std::mutex lifecycle_mutex_;
  std::atomic<State> state_{State::stopped};
  std::atomic<bool> ready_{false};
  std::stop_source destroy_source_;  // signals running tasks' tokens on destroy; new at each start

  std::atomic<std::uint32_t> idle_waiters_{0};
  std::atomic<std::uint32_t> idle_epoch_{0};
};

POOLIFY_NAMESPACE_END
