/// @file poolify.hpp
/// @brief Umbrella header: includes all of poolify.
///
/// @code{.cpp}
/// #include <poolify/poolify.hpp>
/// poolify::FixedPool<int, int> pool(4, [](int x) { return x * x; });
/// @endcode
#pragma once

#include <poolify/version.hpp>

#include <poolify/dynamic_pool.hpp>
#include <poolify/errors.hpp>
#include <poolify/events.hpp>
#include <poolify/fixed_pool.hpp>
#include <poolify/future.hpp>
#include <poolify/json.hpp>
#include <poolify/options.hpp>
#include <poolify/parallelism.hpp>
#include <poolify/pool.hpp>
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
