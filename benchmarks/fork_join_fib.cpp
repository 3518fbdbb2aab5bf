// fork_join_fib: fib(30) by recursive submit + wait from inside tasks, no cutoff: every call of
// fib(k) with k >= 2 submits fib(k - 1) and fib(k - 2) as two tasks of the same pool and waits for
// both (2,692,537 tasks per fib(30), the root included), as in the brief's example and in oneTBB's own task_group
// example. Every result is checked (fib(30) = 832040): a wrong one fails the run.
// Figure: milliseconds (lower is better). Target: poolify <= 0.7x oneTBB's time.
//
// poolify: FixedPool<int, uint64_t> of 2 workers whose task function submits through the pool and
// get()s the futures: a get() on a worker is a helping wait (it runs other queued tasks meanwhile)
// and a task submitted from inside a task goes to the submitting worker's own node. The submitting
// thread is not a worker: its get() of the root blocks.
// oneTBB: the recursion with a tbb::task_group per call (run, run, wait) inside the peer's arena
// (2 workers plus the submitting thread, which helps while it waits: oneTBB's design).
// Asio's thread_pool has no wait that runs other work, and the textbook pool none either: a worker
// blocked in a nested get() cannot run the task it waits for, so with 2 workers both deadlock
// (fib(30) nests 29 deep). They are registered as skipped, with the reason.
//
// Variant `cutoff:<c>` (for information, not the target): the same recursion with a sequential
// cutoff, as real fork-join code has: fib(k) with k < c is computed by plain recursion inside the
// task (cutoff 16: 3193 tasks, those with k < 16 computed by plain recursion). The same cutoff
// for every pool.
#include "common.hpp"

namespace {

constexpr int n = 30;
constexpr std::uint64_t expected = 832'040;  // fib(30)
constexpr int no_cutoff = 2;                  // below 2, fib(k) = k: every call with k >= 2 forks
constexpr int cutoff = 16;                    // the cutoff variant's
constexpr benchmark::IterationCount iterations = 3;

/// fib(k) by plain recursion.
std::uint64_t serial_fib(int k) { return k < 2 ? static_cast<std::uint64_t>(k) : serial_fib(k - 1) + serial_fib(k - 2); }

std::string variant_of(int c) { return c == no_cutoff ? "" : "cutoff:" + std::to_string(c); }

bool check_result(benchmark::State& state, std::uint64_t result) {
  return bench::check(state, result == expected,
                      "fib(" + std::to_string(n) + ") = " + std::to_string(result) + " (expected " +
                          std::to_string(expected) + ")");
}

// --- poolify ---------------------------------------------------------------------------------

using FibPool = poolify::FixedPool<int, std::uint64_t>;

void poolify_fib(benchmark::State& state, int c) {
  FibPool* self = nullptr;
  FibPool pool(bench::default_workers, [&self, c](int k) -> std::uint64_t {
    if (k < c) return serial_fib(k);
    poolify::Future<std::uint64_t> a = self->execute(k - 1);
    poolify::Future<std::uint64_t> b = self->execute(k - 2);
    return a.get() + b.get();
  });
  self = &pool;
  for (auto _ : state) {
    const std::uint64_t result = pool.execute(n).get();
    if (!check_result(state, result)) break;
  }
}

// --- oneTBB ----------------------------------------------------------------------------------

#if POOLIFY_BENCH_HAVE_TBB
std::uint64_t tbb_fib(int k, int c) {
  if (k < c) return serial_fib(k);
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  tbb::task_group group;
  group.run([&a, k, c] { a = tbb_fib(k - 1, c); });
  group.run([&b, k, c] { b = tbb_fib(k - 2, c); });
  group.wait();
  return a + b;
}

void tbb_fib_benchmark(benchmark::State& state, int c) {
  bench::TbbPeer peer(bench::default_workers);
  for (auto _ : state) {
    std::uint64_t result = 0;
    peer.context([&] { result = tbb_fib(n, c); });
    if (!check_result(state, result)) break;
  }
}
#endif

}  // namespace

int main(int argc, char** argv) {
  return bench::main(argc, argv, "fork_join_fib", [] {
    for (int c : {no_cutoff, cutoff}) {
      const std::string variant = variant_of(c);
      bench::add("fork_join_fib", "poolify", [c](benchmark::State& s) { poolify_fib(s, c); }, variant)
          ->Iterations(iterations);
#if POOLIFY_BENCH_HAVE_TBB
      bench::add("fork_join_fib", "tbb", [c](benchmark::State& s) { tbb_fib_benchmark(s, c); }, variant)
          ->Iterations(iterations);
#endif
#if POOLIFY_BENCH_HAVE_ASIO
      bench::add("fork_join_fib", "asio", [](benchmark::State& s) {
        bench::skip(s, "asio::thread_pool has no wait that runs other work: a nested get() blocks its worker and "
                       "2 workers deadlock");
      }, variant);
#endif
      bench::add("fork_join_fib", "textbook", [](benchmark::State& s) {
        bench::skip(s, "deadlocks: a worker blocked in a nested get() cannot run the task it waits for");
      }, variant);
    }
  });
}
