// co_await on poolify futures: a coroutine awaits pool tasks one after the other without blocking
// a thread; many such coroutines run at once over a pool of two workers. Then task functions that
// are coroutines (poolify::Task): one worker keeps eight of them in flight while they await.
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

  // A coroutine task function: while one task awaits the checksum pool, its worker starts the
  // next one, up to `concurrency` at once (poolifier's async task functions).
  std::atomic<int> in_flight{0};
  std::atomic<int> most_in_flight{0};
  poolify::FixedPool<int, int> pipeline(1, [&](int id) -> poolify::Task<int> {
    const int now = in_flight.fetch_add(1) + 1;
    for (int seen = most_in_flight.load(); now > seen && !most_in_flight.compare_exchange_weak(seen, now);) {
    }
    const int sum = co_await checksum.execute("item-" + std::to_string(id));
    in_flight.fetch_sub(1);
    co_return sum;
  }, {.tasks_queue_options = {.concurrency = 8}});
  std::vector<poolify::Future<int>> sums;
  for (int id = 0; id < 200; ++id) sums.push_back(pipeline.execute(id));
  long pipeline_total = 0;
  for (auto& sum : sums) pipeline_total += sum.get();
  long pipeline_expected = 0;
  for (int id = 0; id < 200; ++id) {
    for (const char c : "item-" + std::to_string(id)) pipeline_expected += static_cast<unsigned char>(c);
  }
  std::printf("pipeline: 200 coroutine tasks on 1 worker, at most %d in flight at once (concurrency 8), total %ld\n",
              most_in_flight.load(), pipeline_total);
  const bool ok = failures.load() == jobs / 100 && total.load() == expected && pipeline_total == pipeline_expected &&
                  most_in_flight.load() <= 8;
  std::printf("%s\n", ok ? "coroutines ok" : "coroutines FAILED");
  return ok ? 0 : 1;
}
