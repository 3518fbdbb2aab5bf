// co_await on poolify futures: a coroutine awaits pool tasks one after the other without blocking
// a thread; many such coroutines run at once over a pool of two workers.
//
// Build and run: cmake --build build --target coroutines && ./build/examples/coroutines

#include <poolify/poolify.hpp>

#include <atomic>     // std::atomic
#include <coroutine>  // std::suspend_never
#include <cstdio>     // std::printf
#include <exception>  // std::terminate
#include <latch>      // std::latch
#include <stdexcept>  // std::runtime_error
#include <string>     // std::string
#include <vector>     // std::vector

namespace {

// The smallest coroutine type: starts at once, frees itself at the end. Real programs use their
// framework's task type; co_await on a poolify::Future works in any coroutine.
struct Detached {
  struct promise_type {
    Detached get_return_object() noexcept { return {}; }
    std::suspend_never initial_suspend() noexcept { return {}; }
    std::suspend_never final_suspend() noexcept { return {}; }
    void return_void() noexcept {}
    void unhandled_exception() noexcept { std::terminate(); }
  };
};

// A two-stage job: fetch (here: make) a record, then checksum it; a failure of either stage is
// caught in the coroutine like any exception.
Detached job(poolify::FixedPool<int, std::string>& fetch, poolify::FixedPool<std::string, int>& checksum, int id,
             std::atomic<long>& total, std::atomic<int>& failures, std::latch& done) {
  try {
    const std::string record = co_await fetch.execute(id);
    total.fetch_add(co_await checksum.execute(record));
  } catch (const std::runtime_error&) {
    failures.fetch_add(1);
  }
  done.count_down();
}

}  // namespace

int main() {
  poolify::FixedPool<int, std::string> fetch(2, [](int id) {
    if (id % 100 == 99) throw std::runtime_error("record " + std::to_string(id) + " is missing");
    return "record-" + std::to_string(id);
  });
  poolify::FixedPool<std::string, int> checksum(2, [](const std::string& record) {
    int sum = 0;
    for (const char c : record) sum += static_cast<unsigned char>(c);
    return sum;
  });
  constexpr int jobs = 1000;
  std::atomic<long> total{0};
  std::atomic<int> failures{0};
  std::latch done(jobs);
  for (int id = 0; id < jobs; ++id) job(fetch, checksum, id, total, failures, done);
  done.wait();  // no thread was blocked per job meanwhile: each waits as a suspended coroutine

  long expected = 0;
  for (int id = 0; id < jobs; ++id) {
    if (id % 100 == 99) continue;
    for (const char c : "record-" + std::to_string(id)) expected += static_cast<unsigned char>(c);
  }
  std::printf("%d jobs, %d failed, checksum total %ld (expected %ld)\n", jobs, failures.load(), total.load(), expected);
  const bool ok = failures.load() == jobs / 100 && total.load() == expected;
  std::printf("%s\n", ok ? "coroutines ok" : "coroutines FAILED");
  return ok ? 0 : 1;
}
