// Stress (fault injection): the N-th allocation inside execute() fails, swept over N, with a
// replaced global operator new that throws std::bad_alloc when armed. Each execute() either
// succeeds, or throws bad_alloc with nothing queued, run or counted, and the pool goes on
// (wait_idle() returns, the next task runs). Built without sanitizers only: their runtimes own
// operator new.
#include "stress.hpp"

#include <cstddef>     // std::size_t
#include <cstdint>     // std::uint64_t
#include <cstdlib>     // std::malloc, std::free, std::aligned_alloc
#include <new>         // std::bad_alloc, std::align_val_t
#include <stop_token>  // std::stop_source
#include <vector>      // std::vector

#include "../catch.hpp"

namespace {
thread_local long allocations_left = -1;  // -1: disarmed; in the arming thread only

void* allocate(std::size_t size, std::size_t alignment) {
  if (allocations_left > 0 && --allocations_left == 0) throw std::bad_alloc();
  if (size == 0) size = 1;
  void* pointer = alignment <= alignof(std::max_align_t)
                      ? std::malloc(size)
                      : std::aligned_alloc(alignment, (size + alignment - 1) / alignment * alignment);
  if (pointer == nullptr) throw std::bad_alloc();
  return pointer;
}
}  // namespace

void* operator new(std::size_t size) { return allocate(size, 0); }
void* operator new[](std::size_t size) { return allocate(size, 0); }
void* operator new(std::size_t size, std::align_val_t alignment) { return allocate(size, static_cast<std::size_t>(alignment)); }
void* operator new[](std::size_t size, std::align_val_t alignment) { return allocate(size, static_cast<std::size_t>(alignment)); }
void operator delete(void* pointer) noexcept { std::free(pointer); }
void operator delete[](void* pointer) noexcept { std::free(pointer); }
void operator delete(void* pointer, std::size_t) noexcept { std::free(pointer); }
void operator delete[](void* pointer, std::size_t) noexcept { std::free(pointer); }
void operator delete(void* pointer, std::align_val_t) noexcept { std::free(pointer); }
void operator delete[](void* pointer, std::align_val_t) noexcept { std::free(pointer); }
void operator delete(void* pointer, std::size_t, std::align_val_t) noexcept { std::free(pointer); }
void operator delete[](void* pointer, std::size_t, std::align_val_t) noexcept { std::free(pointer); }

namespace {

/// A Data type per sweep, so that each starts with no recycled task state (the first execute()
/// must allocate one) and a fresh pool, whose queues have not grown yet.
template <int Variant>
struct Cold {
  int value = 0;
};

struct Counters {
  std::uint64_t executed = 0;
  std::uint64_t failed = 0;
  std::uint64_t queued = 0;
  friend bool operator==(const Counters&, const Counters&) = default;
};

template <class Pool>
Counters counters(const Pool& pool) {
  const poolify::PoolInfo info = pool.info();
  return {info.executed_tasks, info.failed_tasks, info.queued_tasks.value_or(0)};
}

/// Sweeps the failing allocation over N for one way of calling execute(); returns how many calls
/// threw (each checked) and how many succeeded (each checked).
template <int Variant>
std::pair<int, int> sweep() {
  using Data = Cold<Variant>;
  int threw = 0;
  int succeeded = 0;
  for (long n = 1; n <= 12; ++n) {
    poolify::FixedPool<Data, int> pool(1, [](Data data, std::stop_token) { return data.value; });
    pool.add_task_function("other", [](Data data) { return -data.value; });
    pool.wait_idle();
    const Counters before = counters(pool);
    bool failed = false;
    poolify::Future<int> future;
    allocations_left = n;
    try {
      if constexpr (Variant == 0) future = pool.execute(Data{static_cast<int>(n)});
      if constexpr (Variant == 1) future = pool.execute(Data{static_cast<int>(n)}, "other");
      if constexpr (Variant == 2) future = pool.execute(Data{static_cast<int>(n)}, "", std::stop_source().get_token());
    } catch (const std::bad_alloc&) {
      failed = true;
    }
    allocations_left = -1;
    if (failed) {
      ++threw;
      pool.wait_idle();
      CHECK(counters(pool) == before);
    } else {
      ++succeeded;
      CHECK(future.get() == (Variant == 1 ? -n : n));
    }
    CHECK(pool.execute(Data{7}).get() == 7);  // the pool goes on
    pool.wait_idle();
  }
  return {threw, succeeded};
}

}  // namespace

TEST_CASE("the N-th allocation inside execute() fails: bad_alloc, nothing queued or counted", "[stress][faults]") {
  stress::Watchdog watchdog("allocation failure");
  const auto [threw0, ok0] = sweep<0>();
  const auto [threw1, ok1] = sweep<1>();
  const auto [threw2, ok2] = sweep<2>();
  INFO("execute(data): " << threw0 << " failed, " << ok0 << " succeeded; by name: " << threw1 << "/" << ok1
                         << "; with a stop token: " << threw2 << "/" << ok2);
  CHECK(threw0 >= 1);  // at least the task state itself
  CHECK(threw2 > threw0);  // a stop token needs more (its stop source and callback)
  CHECK(ok0 >= 1);
  CHECK(ok1 >= 1);
  CHECK(ok2 >= 1);
}
