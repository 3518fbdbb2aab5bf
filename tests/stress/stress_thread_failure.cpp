// Stress (fault injection): creating a worker thread fails. pthread_create is interposed: when
// armed, its k-th call returns EAGAIN. A pool whose k-th worker cannot start throws
// std::system_error from its constructor, after the workers already started have exited (no
// std::terminate, no thread left behind); a dynamic pool that cannot grow reports the error and
// goes on with the nodes it has. Linux only, and built without sanitizers (they interpose
// pthread_create themselves).
#include "stress.hpp"

#include <atomic>        // std::atomic
#include <cerrno>        // EAGAIN
#include <cstddef>       // std::size_t
#include <system_error>  // std::system_error
#include <vector>        // std::vector

#include <dlfcn.h>    // dlsym, RTLD_NEXT
#include <pthread.h>  // pthread_create

#include "../catch.hpp"
#include "../support.hpp"

namespace {
std::atomic<int> creations_left{-1};  // -1: disarmed
std::atomic<int> refused{0};
}  // namespace

extern "C" int pthread_create(pthread_t* thread, const pthread_attr_t* attributes, void* (*start)(void*),
                              void* argument) {
  using Create = int (*)(pthread_t*, const pthread_attr_t*, void* (*)(void*), void*);
  static const auto real = reinterpret_cast<Create>(dlsym(RTLD_NEXT, "pthread_create"));
  int left = creations_left.load();
  while (left > 0 && !creations_left.compare_exchange_weak(left, left - 1)) {
  }
  if (left == 1) {
    refused.fetch_add(1);
    return EAGAIN;
  }
  return real(thread, attributes, start, argument);
}

TEST_CASE("the k-th worker thread cannot be made: the constructor throws after joining the others", "[stress][faults]") {
  stress::Watchdog watchdog("thread creation failure at construction");
  for (int k = 1; k <= 4; ++k) {
    std::atomic<int> started{0};
    std::atomic<int> exited{0};
    creations_left.store(k);
    const int refused_before = refused.load();
    bool threw = false;
    try {
      poolify::FixedPool<int, int> pool(4, [](int x) { return x; },
                                        {.on_worker_start = [&](std::size_t) { started.fetch_add(1); },
                                         .on_worker_exit = [&](std::size_t) { exited.fetch_add(1); }});
    } catch (const std::system_error&) {
      threw = true;
    }
    creations_left.store(-1);
    CHECK(threw);
    CHECK(refused.load() == refused_before + 1);
    CHECK(started.load() == exited.load());  // every worker that started has exited
    CHECK(started.load() <= k - 1);
  }
  poolify::FixedPool<int, int> pool(4, [](int x) { return x; });  // and the next pool works
  CHECK(pool.execute(3).get() == 3);
}

TEST_CASE("a dynamic pool that cannot grow reports it and goes on with the nodes it has", "[stress][faults]") {
  stress::Watchdog watchdog("thread creation failure on growth");
  std::atomic<int> errors{0};
  test::Gate gate;
  poolify::DynamicPool<int, int> pool(1, 4, [&gate](int x) {
    if (x < 0) gate.wait();
    return x;
  }, {.error_handler = [&](std::exception_ptr) { errors.fetch_add(1); }});
  creations_left.store(1);  // the next thread, the first dynamic node's
  std::vector<poolify::Future<int>> futures;
  futures.push_back(pool.execute(-1));  // node 0 busy: the next task asks for a node, which fails
  for (int i = 0; i < 100; ++i) futures.push_back(pool.execute(i));
  creations_left.store(-1);
  gate.open();
  CHECK(futures[0].get() == -1);
  for (int i = 0; i < 100; ++i) CHECK(futures[static_cast<std::size_t>(i) + 1].get() == i);
  CHECK(errors.load() >= 1);
  CHECK(refused.load() >= 1);
  CHECK(pool.info().worker_nodes >= 1);
  CHECK(pool.info().worker_nodes <= 4);
}
