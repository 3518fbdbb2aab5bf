/// @file parallelism.hpp
/// @brief `poolify::available_parallelism()`: how many threads can run at once for this process.
#pragma once

#include <poolify/version.hpp>

#include <cstddef>  // std::size_t
#include <thread>   // std::thread::hardware_concurrency

#if defined(__linux__)
#include <sched.h>  // sched_getaffinity, CPU_COUNT_S, CPU_ALLOC
#endif

POOLIFY_NAMESPACE_BEGIN

/// The CPUs the calling thread may run on (its affinity mask, as `taskset`, cgroups' cpusets or
/// `sched_setaffinity` set it), on Linux; elsewhere, or if that cannot be read,
/// `std::thread::hardware_concurrency()`; at least 1. A pool made without a size has this many
/// worker nodes (poolifier uses `os.availableParallelism()`).
[[nodiscard]] inline std::size_t available_parallelism() noexcept {
#if defined(__linux__)
  // A mask big enough for any machine (CPU_SETSIZE is only 1024).
  for (int cpus = 1024; cpus <= (1 << 16); cpus *= 4) {
    cpu_set_t* set = CPU_ALLOC(static_cast<std::size_t>(cpus));
    if (set == nullptr) break;
    const std::size_t bytes = CPU_ALLOC_SIZE(static_cast<std::size_t>(cpus));
    if (sched_getaffinity(0, bytes, set) == 0) {
      const int count = CPU_COUNT_S(bytes, set);
      CPU_FREE(set);
      if (count > 0) return static_cast<std::size_t>(count);
      break;
    }
    CPU_FREE(set);  // EINVAL: the kernel's mask is bigger; try a bigger one
  }
#endif
  const unsigned hardware = std::thread::hardware_concurrency();
  return hardware == 0 ? 1 : hardware;
}

POOLIFY_NAMESPACE_END
