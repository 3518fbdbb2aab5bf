// fork_join_fib: fib(30) by recursive submit + wait from inside tasks, no cutoff: every call of
// fib(k) with k >= 2 submits fib(k - 1) and fib(k - 2) as two tasks of the same pool and waits for
// both (2,692,537 tasks per fib(30), the root included): poolify's execute + get, and oneTBB's
// own task_group example (run, run, wait). Every result is checked (fib(30) = 832040): a wrong
// one fails the run.
// Figure: milliseconds (lower is better). Target: poolify <= 0.7x oneTBB's time.
//
// poolify: FixedPool<int, uint64_t> of 2 workers whose task function submits through the pool and
// get()s the futures: a get() on a worker is a helping wait (it runs other queued tasks meanwhile)
// and a task submitted from inside a task goes to the submitting worker's own node. The thread
// that submits the root is not a worker: its get() blocks.
// oneTBB: the same recursion with a tbb::task_group per call inside the peer's arena (2 workers
// plus the submitting thread, which helps while it waits: oneTBB's design).
// Asio's thread_pool has no wait that runs other work, nor has the textbook pool: a worker blocked
// in a nested get() cannot run the task it waits for, so with 2 workers both deadlock (fib(30)
// nests 29 deep, with or without the variants' changes). They are registered as skipped, with the
// reason, and not run.
//
// Variants, for information (the target is the row above's), the same for every pool:
//   spawn:one  each call submits fib(k - 1) only and computes fib(k - 2) itself before it waits
//              (1,346,268 tasks + the root; the form this file had for oneTBB before poolify had
//              helping waits);
//   cutoff:16  as the main row, but fib(k) with k < 16 is computed by plain recursion inside the
//              task, as real fork-join code does (3193 tasks).
#include "common.hpp"

namespace {

constexpr int n = 30;
constexpr std::uint64_t expected = 832'040;  // fib(30)
constexpr benchmark::IterationCount iterations = 3;

/// How the recursion forks.
struct Shape {
  bool spawn_both = true;  ///< both children as tasks (else fib(k - 2) computed by the caller)
  int cutoff = 2;          ///< fib(k) with k < cutoff by plain recursion (2: every k >= 2 forks)
  const char* variant = "";
};

constexpr Shape shapes[] = {{true, 2, ""}, {false, 2, "spawn:one"}, {true, 16, "cutoff:16"}};

/// fib(k) by plain recursion.
std::uint64_t serial_fib(int k) {
  return k < 2 ? static_cast<std::uint64_t>(k) : serial_fib(k - 1) + serial_fib(k - 2);
}

bool check_result(benchmark::State& state, std::uint64_t result) {
  return bench::check(state, result == expected,
                      "fib(" + std::to_string(n) + ") = " + std::to_string(result) + " (expected " +
                          std::to_string(expected) + ")");
}

// --- poolify ---------------------------------------------------------------------------------

using FibPool = poolify::FixedPool<int, std::uint64_t>;

/// fib(k) on a worker of `pool`, whose task function is this.
std::uint64_t poolify_fib(FibPool& pool, int k, Shape shape) {
  if (k < shape.cutoff) return serial_fib(k);
  poolify::Future<std::uint64_t> a = pool.execute(k - 1);
  if (!shape.spawn_both) {
    const std::uint64_t b = poolify_fib(pool, k - 2, shape);
    return a.get() + b;
  }
  poolify::Future<std::uint64_t> b = pool.execute(k - 2);
  return a.get() + b.get();
}

void poolify_fib_benchmark(benchmark::State& state, Shape shape) {
  FibPool* self = nullptr;
  FibPool pool(bench::default_workers,
               [&self, shape](int k) { return poolify_fib(*self, k, shape); });
  self = &pool;
  for (auto _ : state) {
    const std::uint64_t result = pool.execute(n).get();
    if (!check_result(state, result)) break;
  }
}

// --- oneTBB ----------------------------------------------------------------------------------

#if POOLIFY_BENCH_HAVE_TBB
std::uint64_t tbb_fib(int k, Shape shape) {
  if (k < shape.cutoff) return serial_fib(k);
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  tbb::task_group group;
  group.run([&a, k, shape] { a = tbb_fib(k - 1, shape); });
  if (shape.spawn_both) {
    group.run([&b, k, shape] { b = tbb_fib(k - 2, shape); });
  } else {
    b = tbb_fib(k - 2, shape);
  }
  group.wait();
  return a + b;
}

void tbb_fib_benchmark(benchmark::State& state, Shape shape) {
  bench::TbbPeer peer(bench::default_workers);
  for (auto _ : state) {
    std::uint64_t result = 0;
    peer.context([&] { result = tbb_fib(n, shape); });
    if (!check_result(state, result)) break;
  }
}
#endif

}  // namespace

int main(int argc, char** argv) {
  return bench::main(argc, argv, "fork_join_fib", [] {
    for (const Shape& shape : shapes) {
      bench::add(
          "fork_join_fib", "poolify",
          [shape](benchmark::State& s) { poolify_fib_benchmark(s, shape); }, shape.variant)
          ->Iterations(iterations);
#if POOLIFY_BENCH_HAVE_TBB
      bench::add(
          "fork_join_fib", "tbb", [shape](benchmark::State& s) { tbb_fib_benchmark(s, shape); },
          shape.variant)
          ->Iterations(iterations);
#endif
#if POOLIFY_BENCH_HAVE_ASIO
      bench::add(
          "fork_join_fib", "asio",
          [](benchmark::State& s) {
            bench::skip(s,
                        "no nested wait: asio::thread_pool never runs other work while a task waits, "
                        "so a nested get() blocks its worker and 2 workers deadlock");
          },
          shape.variant);
#endif
      bench::add(
          "fork_join_fib", "textbook",
          [](benchmark::State& s) {
            bench::skip(
                s,
                "deadlocks: a worker blocked in a nested get() cannot run the task it waits for");
          },
          shape.variant);
    }
  });
}
