// skewed_load: 1000 tasks whose lengths follow a heavy tail (Pareto, alpha 1.5, from 50 us,
// capped at 20 ms; fixed seed), submitted round robin for poolify, in one burst.
// Figure: makespan / ideal makespan (lower is better; 1.0 is perfect), where the ideal is
// max(total work / threads, longest task). The work is each task's duration as the task measures
// it (wall time: on a shared machine, load from elsewhere slows the tasks and the ideal alike);
// threads is the number of workers, or of threads that ran tasks if more did (oneTBB's submitting
// thread helps while it waits, so oneTBB runs the tasks on 3 threads).
// Target: poolify <= 1.10 (an idle worker must take work queued on a busy one: stealing).
#include "common.hpp"

#include <chrono>
#include <cmath>
#include <random>

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint32_t tasks = 1000;
constexpr double alpha = 1.5;
constexpr double shortest_us = 50;
constexpr double longest_us = 20'000;

/// Busy work: `iterations` steps of a linear congruential generator the compiler cannot skip.
std::uint64_t spin(std::uint64_t iterations) {
  std::uint64_t x = iterations;
  for (std::uint64_t i = 0; i < iterations; ++i) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    benchmark::DoNotOptimize(x);
  }
  return x;
}

/// Spin iterations per microsecond on this machine (the fastest of a few tries).
double iterations_per_us() {
  double best = 0;
  for (int attempt = 0; attempt < 5; ++attempt) {
    const std::uint64_t iterations = 2'000'000;
    const Clock::time_point start = Clock::now();
    spin(iterations);
    const double us = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
    best = std::max(best, static_cast<double>(iterations) / us);
  }
  return best;
}

/// Each task's length in spin iterations; the same for every system and every run.
const std::vector<std::uint64_t>& lengths() {
  static const std::vector<std::uint64_t> values = [] {
    std::mt19937_64 random(20240611);  // the engine's output is fixed by the standard
    const double per_us = iterations_per_us();
    std::vector<std::uint64_t> result(tasks);
    for (std::uint64_t& length : result) {
      const double u = static_cast<double>((random() >> 11) + 1) * 0x1.0p-53;  // (0, 1]
      const double us = std::min(longest_us, shortest_us * std::pow(u, -1.0 / alpha));
      length = static_cast<std::uint64_t>(us * per_us);
    }
    return result;
  }();
  return values;
}

/// Task durations, measured by the tasks (count, sum and max in nanoseconds).
struct WorkTag {};
using Work = bench::PerThreadCounters<WorkTag>;

void run_task(std::uint32_t index) {
  const Clock::time_point start = Clock::now();
  benchmark::DoNotOptimize(spin(lengths()[index]));
  Work::add(static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count()));
  bench::Tally::add(index);
}

template <class Submit>
void measure(benchmark::State& state, std::size_t workers, Submit&& submit_all_and_drain) {
  double ratio_sum = 0;
  double makespan_sum = 0;
  double ideal_sum = 0;
  double threads_sum = 0;
  for (auto _ : state) {
    state.PauseTiming();
    bench::Tally::reset();
    Work::reset();
    state.ResumeTiming();
    const Clock::time_point start = Clock::now();
    submit_all_and_drain();
    const double makespan = std::chrono::duration<double, std::nano>(Clock::now() - start).count();
    if (!bench::check_tally(state, tasks)) break;
    const bench::CounterTotals work = Work::total();
    const std::size_t threads = std::max(workers, Work::active_threads());
    const double ideal = std::max(static_cast<double>(work.sum) / static_cast<double>(threads), static_cast<double>(work.max));
    threads_sum += static_cast<double>(threads);
    ratio_sum += makespan / ideal;
    makespan_sum += makespan;
    ideal_sum += ideal;
  }
  const auto n = static_cast<double>(state.iterations());
  state.counters["makespan_ratio"] = ratio_sum / n;
  state.counters["makespan_ms"] = makespan_sum / n * 1e-6;
  state.counters["ideal_ms"] = ideal_sum / n * 1e-6;
  state.counters["threads"] = threads_sum / n;
}

void poolify_skewed(benchmark::State& state) {
  poolify::PoolOptions options;
  options.worker_choice_strategy = poolify::WorkerChoiceStrategy::round_robin;
  poolify::FixedPool<std::uint32_t, void> pool(bench::default_workers, [](std::uint32_t i) { run_task(i); }, options);
  measure(state, bench::default_workers, [&] {
    for (std::uint32_t i = 0; i < tasks; ++i) static_cast<void>(pool.execute(i));
    pool.wait_idle();
  });
}

template <class Peer>
void peer_skewed(benchmark::State& state) {
  Peer peer(bench::default_workers);
  measure(state, bench::default_workers, [&] {
    peer.context([&] {
      for (std::uint32_t i = 0; i < tasks; ++i) peer.post([i] { run_task(i); });
      peer.drain();
    });
  });
}

}  // namespace

int main(int argc, char** argv) {
  return bench::main(argc, argv, "skewed_load", [] {
    (void)lengths();  // calibrate before anything runs
    bench::add("skewed_load", "poolify", poolify_skewed)->Iterations(3);
    bench::Peers::for_each([]<class Peer>() { bench::add("skewed_load", Peer::name, peer_skewed<Peer>)->Iterations(3); });
  });
}
