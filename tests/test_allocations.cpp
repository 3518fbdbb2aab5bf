// Counts heap allocations with a replaced global operator new: after a pool has warmed up, a
// steady stream of tasks must not allocate (task states are recycled), and a task must never
// take more than one allocation.
#include <poolify/poolify.hpp>

#include <atomic>   // std::atomic
#include <cstddef>  // std::size_t
#include <cstdlib>  // std::malloc, std::free
#include <new>      // operator new, std::bad_alloc
#include <stop_token>  // std::stop_token
#include <vector>   // std::vector

#include "catch.hpp"
#include "support.hpp"

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define POOLIFY_TEST_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
#define POOLIFY_TEST_SANITIZED 1
#endif
#endif

namespace {
std::atomic<std::size_t> allocations{0};
}  // namespace

#ifdef POOLIFY_TEST_SANITIZED
// The sanitizer runtimes own operator new; they call this hook on every allocation instead.
extern "C" int __sanitizer_install_malloc_and_free_hooks(void (*malloc_hook)(const volatile void*, std::size_t),
                                                         void (*free_hook)(const volatile void*));
namespace {
void count_allocation(const volatile void*, std::size_t) { allocations.fetch_add(1, std::memory_order_relaxed); }
void ignore_free(const volatile void*) {}
const int hooks_installed = __sanitizer_install_malloc_and_free_hooks(count_allocation, ignore_free);  // both or none
}  // namespace
#else
void* operator new(std::size_t size) {
  allocations.fetch_add(1, std::memory_order_relaxed);
  if (void* pointer = std::malloc(size == 0 ? 1 : size)) return pointer;
  throw std::bad_alloc();
}
void operator delete(void* pointer) noexcept { std::free(pointer); }
void operator delete(void* pointer, std::size_t) noexcept { std::free(pointer); }
#endif

TEST_CASE("a warmed-up pool runs tasks without allocating", "[allocations]") {
#ifdef POOLIFY_TEST_SANITIZED
  REQUIRE(hooks_installed != 0);
#endif
  test::Gate gate;
  poolify::FixedPool<int, int> pool(2, [&gate](int x) {
    if (x < 0) gate.wait();
    return x + 1;
  });
  std::vector<poolify::Future<int>> futures;
  futures.reserve(4000);
  // Warm-up: with both workers held, 2000 queued tasks grow each node's ring buffer past anything
  // a 1000-task round can need, whatever the scheduling; then rounds fill the recycler.
  futures.push_back(pool.execute(-1));
  futures.push_back(pool.execute(-1));
  for (int i = 0; i < 2000; ++i) futures.push_back(pool.execute(i));
  gate.open();
  for (auto& future : futures) REQUIRE(future.get() >= 0);
  futures.clear();
  const auto round = [&] {
    for (int i = 0; i < 1000; ++i) futures.push_back(pool.execute(i));
    for (auto& future : futures) REQUIRE(future.get() >= 1);
    futures.clear();
  };
  for (int warm = 0; warm < 3; ++warm) round();
  pool.wait_idle();
  const std::size_t before = allocations.load();
  for (int steady = 0; steady < 5; ++steady) round();
  pool.wait_idle();
  // Task states are recycled and the queues' ring buffers keep their size: nothing to allocate.
  CHECK(allocations.load() - before == 0);
}

TEST_CASE("a fresh pool takes at most one allocation per task for plain task functions", "[allocations]") {
#ifdef POOLIFY_TEST_SANITIZED
  REQUIRE(hooks_installed != 0);
#endif
  poolify::FixedPool<long, long> pool(1, [](long x) { return x; });
  std::vector<poolify::Future<long>> futures;
  futures.reserve(2000);
  const std::size_t before = allocations.load();
  for (long i = 0; i < 2000; ++i) futures.push_back(pool.execute(i));
  const std::size_t during = allocations.load() - before;
  for (auto& future : futures) future.get();
  CHECK(during > 0);            // the counter counts
  CHECK(during <= 2000 + 16);  // one task state each, plus the queue's few doublings
}
