/// @file task_function.hpp
/// @brief Task functions: the callables a pool runs, their names and their properties.
#pragma once

#include <poolify/errors.hpp>
#include <poolify/options.hpp>
#include <poolify/version.hpp>

#include <concepts>     // std::same_as
#include <cstddef>      // std::size_t
#include <functional>   // std::invoke
#include <initializer_list>  // std::initializer_list
#include <memory>       // std::shared_ptr, std::make_shared
#include <optional>     // std::optional
#include <stop_token>   // std::stop_token
#include <string>       // std::string
#include <type_traits>  // std::is_invocable_r_v, std::decay_t, std::is_function_v
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
  explicit TaskFunctionModelBase(bool takes_stop_token) noexcept : takes_stop_token_(takes_stop_token) {}
  TaskFunctionModelBase(const TaskFunctionModelBase&) = delete;
  TaskFunctionModelBase& operator=(const TaskFunctionModelBase&) = delete;
  virtual ~TaskFunctionModelBase() = default;
  virtual Response invoke(Data&& data, std::stop_token token) const = 0;
  [[nodiscard]] bool takes_stop_token() const noexcept { return takes_stop_token_; }

 private:
  bool takes_stop_token_;
};

template <class Data, class Response, class F>
class TaskFunctionModel final : public TaskFunctionModelBase<Data, Response> {
 public:
  static constexpr bool plain = std::is_invocable_r_v<Response, const F&, Data>;

  explicit TaskFunctionModel(F function)
      : TaskFunctionModelBase<Data, Response>(!plain), function_(std::move(function)) {}

  Response invoke(Data&& data, std::stop_token token) const override {
    if constexpr (plain) {
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
                      std::is_invocable_r_v<Response, const Callable&, Data, std::stop_token>,
                  "poolify::TaskFunction: the callable must be invocable as const with (Data) or "
                  "(Data, std::stop_token) and return something convertible to Response; it runs on "
                  "several worker threads at once, so a `mutable` lambda is refused");
    if (detail::is_null_callable(function)) {
      detail::throw_invalid_argument("taskFunction object 'taskFunction' property is not a function");
    }
    model_ = std::make_shared<const detail::TaskFunctionModel<Data, Response, Callable>>(
        std::forward<F>(function));
  }

  /// Whether the callable takes a `std::stop_token` (the pool then makes one per task).
  [[nodiscard]] bool takes_stop_token() const noexcept { return model_->takes_stop_token(); }

  /// Calls the callable on this thread.
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
