/// @file task_function.hpp
/// @brief Task functions: the callables a pool runs, their names and their properties.
#pragma once

#include <poolify/errors.hpp>
#include <poolify/options.hpp>
#include <poolify/task.hpp>
#include <poolify/version.hpp>

#include <concepts>     // std::same_as
#include <cstddef>      // std::size_t
#include <functional>   // std::invoke
#include <initializer_list>  // std::initializer_list
#include <memory>       // std::shared_ptr, std::make_shared
#include <optional>     // std::optional
#include <stop_token>   // std::stop_token
#include <string>       // std::string
#include <type_traits>  // std::is_invocable_r_v, std::invoke_result_t, std::is_same_v, std::decay_t, std::is_function_v
#include <utility>      // std::move, std::forward
#include <vector>       // std::vector

POOLIFY_NAMESPACE_BEGIN

/// The node keys a task function may run on (poolifier's `workerNodeKeys`): not given (any node),
/// or a list. An `std::optional<std::vector<std::size_t>>` that can also be written as a braced
/// list, so that `{.worker_node_keys = {0, 2}}` reads as in poolifier; `{}` means not given, and an
/// explicitly empty list (`std::vector<std::size_t>{}`) is refused as poolifier refuses `[]`.
struct WorkerNodeKeys : std::optional<std::vector<std::size_t>> {
  using std::optional<std::vector<std::size_t>>::optional;
  WorkerNodeKeys() = default;
  /// The keys `keys`.
  WorkerNodeKeys(std::initializer_list<std::size_t> keys)  // NOLINT(google-explicit-constructor): reads as a list
      : std::optional<std::vector<std::size_t>>(std::vector<std::size_t>(keys)) {}
};

/// Properties of a named task function (poolifier's `TaskFunctionProperties`).
struct TaskFunctionProperties {
  /// -20..19, lower runs first, FIFO among equals; queued tasks age (`aging_factor`), so a low
  /// priority is not starved. Queues order by priority only while some task function has one.
  int priority = 0;
  /// The strategy that chooses the node for this function's tasks; default: the pool's.
  std::optional<WorkerChoiceStrategy> strategy{};
  /// Affinity: only these nodes run this function's tasks (distinct keys below the pool's max
  /// size; not empty). Default: any node.
  WorkerNodeKeys worker_node_keys{};
};

/// What `Pool::list_task_functions_properties()` reports of one task function.
struct TaskFunctionInfo {
  std::string name;                   ///< Its name.
  TaskFunctionProperties properties;  ///< Its properties.
  bool takes_stop_token = false;      ///< Whether it is called as `Response(Data, std::stop_token)`.
};

namespace detail {

/// The type-erased callable, shared by every worker that runs it.
template <class Data, class Response>
class TaskFunctionModelBase {
 public:
  TaskFunctionModelBase(bool takes_stop_token, bool coroutine) noexcept
      : takes_stop_token_(takes_stop_token), coroutine_(coroutine) {}
  TaskFunctionModelBase(const TaskFunctionModelBase&) = delete;
  TaskFunctionModelBase& operator=(const TaskFunctionModelBase&) = delete;
  virtual ~TaskFunctionModelBase() = default;
  /// Calls a plain function.
  virtual Response invoke(Data&& data, std::stop_token token) const = 0;
  /// Calls a coroutine function: its coroutine, not started yet.
  virtual Task<Response> invoke_coroutine(Data&& data, std::stop_token token) const = 0;
  [[nodiscard]] bool takes_stop_token() const noexcept { return takes_stop_token_; }
  /// Whether the function is a coroutine returning `Task<Response>`.
  [[nodiscard]] bool is_coroutine() const noexcept { return coroutine_; }

 private:
  bool takes_stop_token_;
  bool coroutine_;
};

/// Whether `F` called as const with `Args...` returns exactly `Task<Response>`.
template <class Response, class F, class... Args>
constexpr bool returns_task() {
  if constexpr (std::is_invocable_v<const F&, Args...>) {
    return std::is_same_v<std::invoke_result_t<const F&, Args...>, Task<Response>>;
  } else {
    return false;
  }
}

template <class Data, class Response, class F>
class TaskFunctionModel final : public TaskFunctionModelBase<Data, Response> {
 public:
  static constexpr bool coroutine_plain = returns_task<Response, F, Data>();
  static constexpr bool coroutine =
      coroutine_plain || returns_task<Response, F, Data, std::stop_token>();
  static constexpr bool plain = coroutine ? coroutine_plain : std::is_invocable_r_v<Response, const F&, Data>;

  explicit TaskFunctionModel(F function)
      : TaskFunctionModelBase<Data, Response>(!plain, coroutine), function_(std::move(function)) {}

  Response invoke(Data&& data, std::stop_token token) const override {
    if constexpr (coroutine) {
      (void)data;
      (void)token;
      throw_pool_error("poolify::TaskFunction: a coroutine task function runs only in a pool");
    } else if constexpr (plain) {
      (void)token;
      return std::invoke(function_, std::move(data));
    } else {
      return std::invoke(function_, std::move(data), std::move(token));
    }
  }

  Task<Response> invoke_coroutine(Data&& data, std::stop_token token) const override {
    if constexpr (!coroutine) {
      (void)data;
      (void)token;
      throw_pool_error("poolify::TaskFunction: not a coroutine task function");
    } else if constexpr (plain) {
      (void)token;
      return std::invoke(function_, std::move(data));
    } else {
      return std::invoke(function_, std::move(data), std::move(token));
    }
  }

 private:
  F function_;
};

template <class F>
constexpr bool is_null_callable(const F& function) noexcept {
  if constexpr (std::is_function_v<F>) {
    return false;  // a function itself is never null
  } else if constexpr (requires { function == nullptr; }) {
    return function == nullptr;
  } else {
    return false;
  }
}

}  // namespace detail

/// A callable a pool can run: `Response(Data)` or `Response(Data, std::stop_token)`, called as
/// `const` from several worker threads at once. Copies share the callable.
///
/// @code{.cpp}
/// poolify::TaskFunction<int, int> square = [](int x) { return x * x; };
/// @endcode
template <class Data, class Response>
class TaskFunction {
 public:
  /// Wraps a callable; rejected at compile time when it cannot be called as a task function.
  template <class F>
    requires(!std::same_as<std::decay_t<F>, TaskFunction>)
  TaskFunction(F&& function)  // NOLINT(google-explicit-constructor): a callable converts implicitly
  {
    using Callable = std::decay_t<F>;
    static_assert(std::is_invocable_r_v<Response, const Callable&, Data> ||
                      std::is_invocable_r_v<Response, const Callable&, Data, std::stop_token> ||
                      detail::returns_task<Response, Callable, Data>() ||
                      detail::returns_task<Response, Callable, Data, std::stop_token>(),
                  "poolify::TaskFunction: the callable must be invocable as const with (Data) or "
                  "(Data, std::stop_token) and return something convertible to Response (or be a "
                  "coroutine returning poolify::Task<Response>); it runs on several worker threads "
                  "at once, so a `mutable` lambda is refused");
    if (detail::is_null_callable(function)) {
      detail::throw_invalid_argument("taskFunction object 'taskFunction' property is not a function");
    }
    model_ = std::make_shared<const detail::TaskFunctionModel<Data, Response, Callable>>(
        std::forward<F>(function));
  }

  /// Whether the callable takes a `std::stop_token` (the pool then makes one per task).
  [[nodiscard]] bool takes_stop_token() const noexcept { return model_->takes_stop_token(); }

  /// Whether the callable is a coroutine returning `poolify::Task<Response>`.
  [[nodiscard]] bool is_coroutine() const noexcept { return model_->is_coroutine(); }

  /// Calls the callable on this thread (a coroutine task function throws `PoolError`: it runs
  /// only in a pool).
  Response operator()(Data data, std::stop_token token = {}) const {
    return model_->invoke(std::move(data), std::move(token));
  }

  /// The shared model (internal).
  [[nodiscard]] const detail::TaskFunctionModelBase<Data, Response>& model() const noexcept { return *model_; }

 private:
  std::shared_ptr<const detail::TaskFunctionModelBase<Data, Response>> model_;
};

/// One entry of the list given to a pool: `{name, callable}` or `{name, callable, properties}`.
/// The first entry of the list is the default task function.
template <class Data, class Response>
struct NamedTaskFunction {
  /// Names a callable (a class, not an aggregate, so that `{name, callable}` does not trip
  /// -Wmissing-field-initializers in users' builds).
  NamedTaskFunction(std::string name, TaskFunction<Data, Response> function,
                    TaskFunctionProperties properties = TaskFunctionProperties())
      : name(std::move(name)), function(std::move(function)), properties(std::move(properties)) {}

  std::string name;                       ///< Its name, unique in the pool; not empty, not "default".
  TaskFunction<Data, Response> function;  ///< The callable.
  TaskFunctionProperties properties;      ///< Its properties.
};

POOLIFY_NAMESPACE_END
