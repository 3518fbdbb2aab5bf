/// @file continuation.hpp
/// @brief What runs when a task is done, on the thread that completes it.
#pragma once

#include <poolify/version.hpp>

POOLIFY_NAMESPACE_BEGIN
namespace detail {

/// A function and its argument, run by whoever completes a task (see `ResultState::set_continuation`)
/// or ends a coroutine task function (see `Task`).
struct Continuation {
  void (*run)(void* context) noexcept = nullptr;
  void* context = nullptr;
};

}  // namespace detail
POOLIFY_NAMESPACE_END
