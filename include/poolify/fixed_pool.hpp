/// @file fixed_pool.hpp
/// @brief `poolify::FixedPool`: a pool with a fixed number of worker nodes.
#pragma once

#include <poolify/detail/validation.hpp>
#include <poolify/options.hpp>
#include <poolify/parallelism.hpp>
#include <poolify/pool.hpp>
#include <poolify/statistics.hpp>
#include <poolify/task_function.hpp>
#include <poolify/version.hpp>

#include <cstddef>  // std::size_t
#include <utility>  // std::move
#include <vector>   // std::vector

POOLIFY_NAMESPACE_BEGIN

/// A pool of exactly `size` worker nodes (poolifier's `FixedThreadPool`).
///
/// @code{.cpp}
/// poolify::FixedPool<int, int> pool(2, [](int x) { return x * x; });
/// int nine = pool.execute(3).get();
///
/// poolify::FixedPool<std::string, std::size_t> named(
///     2, {{"length", [](std::string s) { return s.size(); }},
///         {"spaces", [](std::string s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), ' ')); }}});
/// std::size_t spaces = named.execute("a b c", "spaces").get();
/// @endcode
template <class Data, class Response = void>
class FixedPool final : public Pool<Data, Response> {
 public:
  /// A pool of `size` nodes running one task function (the default). Throws `std::out_of_range`
  /// "Cannot instantiate a fixed pool with zero worker" for a size of 0.
  FixedPool(std::size_t size, TaskFunction<Data, Response> function, PoolOptions options = {})
      : FixedPool(size, Pool<Data, Response>::single(std::move(function)), std::move(options)) {}

  /// A pool of `size` nodes running named task functions; the first is the default.
  FixedPool(std::size_t size, std::vector<NamedTaskFunction<Data, Response>> functions, PoolOptions options = {})
      : Pool<Data, Response>(PoolType::fixed, checked(size), size, std::move(functions), std::move(options)) {}

  /// A pool of `available_parallelism()` nodes (the CPUs this process may run on) running one task
  /// function.
  explicit FixedPool(TaskFunction<Data, Response> function, PoolOptions options = {})
      : FixedPool(available_parallelism(), std::move(function), std::move(options)) {}

  /// A pool of `available_parallelism()` nodes running named task functions.
  explicit FixedPool(std::vector<NamedTaskFunction<Data, Response>> functions, PoolOptions options = {})
      : FixedPool(available_parallelism(), std::move(functions), std::move(options)) {}

 private:
  static std::size_t checked(std::size_t size) {
    detail::check_fixed_pool_size(size);
    return size;
  }
};

POOLIFY_NAMESPACE_END
