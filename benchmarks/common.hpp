/// @file common.hpp
/// @brief What every benchmark program shares: registration of poolify and its peers under one
/// naming scheme, result checks, statistics and the program's main().
///
/// Benchmark names are `<workload>/<system>[/<variant>]`, e.g. `submit_futures/poolify`,
/// `scaling/tbb/workers:4`; tools/bench_report.py reads them back from the JSON output. Each
/// benchmark runs the whole workload once per iteration (a fixed iteration count), in real time.
#pragma once

#include "peers.hpp"

#include <poolify/poolify.hpp>

#include <benchmark/benchmark.h>

#include <algorithm>  // std::sort, std::min
#include <atomic>     // std::atomic
#include <cstddef>    // std::size_t
#include <cstdint>    // std::uint64_t
#include <cstdio>     // std::printf, std::fflush
#include <ctime>      // clock_gettime
#include <string>     // std::string
#include <utility>    // std::move
#include <vector>     // std::vector

namespace bench {

/// Worker threads per pool unless a workload says otherwise (the machines have 2 cores).
inline constexpr std::size_t default_workers = 2;

/// What the tasks of a workload add up, per thread: a task adds its input; the run then checks
/// the count and the sum against what was submitted.
struct TallyTag {};
using Tally = PerThreadCounters<TallyTag>;

/// The sum 0 + 1 + ... + (n - 1).
constexpr std::uint64_t sum_below(std::uint64_t n) { return n * (n - 1) / 2; }

/// Fails the benchmark run (the JSON records the error and tools/bench.sh exits non-zero) when
/// `ok` is false. Returns `ok`; the caller leaves its loop when it is false.
inline bool check(benchmark::State& state, bool ok, const std::string& what) {
  if (!ok) {
    const std::string message = "wrong result: " + what;
    std::fprintf(stderr, "poolify benchmark: %s\n", message.c_str());
    state.SkipWithError(message.c_str());
  }
  return ok;
}

/// Checks that the tally received exactly the tasks 0 .. n-1 since the last reset.
inline bool check_tally(benchmark::State& state, std::uint64_t n) {
  const CounterTotals totals = Tally::total();
  return check(state, totals.count == n && totals.sum == sum_below(n),
               "tasks counted " + std::to_string(totals.count) + " (expected " + std::to_string(n) + "), sum " +
                   std::to_string(totals.sum) + " (expected " + std::to_string(sum_below(n)) + ")");
}

/// Marks a benchmark as not run, with the reason; the report shows the reason. (Google
/// Benchmark 1.7 has no SkipWithMessage; the "skipped: " prefix tells the report and
/// tools/bench.sh that this is not a failure.)
inline void skip(benchmark::State& state, const std::string& reason) {
  state.SkipWithError(("skipped: " + reason).c_str());
}

/// The value at quantile q (0..1) of `values`, which it sorts.
inline double quantile(std::vector<double>& values, double q) {
  if (values.empty()) return 0;
  std::sort(values.begin(), values.end());
  const auto index = static_cast<std::size_t>(q * static_cast<double>(values.size() - 1) + 0.5);
  return values[std::min(index, values.size() - 1)];
}

/// CPU time of the whole process, in seconds.
inline double process_cpu_seconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

/// A rate counter: `count` per second of the run's real time.
inline benchmark::Counter rate(double count) { return benchmark::Counter(count, benchmark::Counter::kIsRate); }

/// Registers one benchmark of the suite under `<workload>/<system>[/<variant>]`.
template <class Function>
benchmark::internal::Benchmark* add(const std::string& workload, const std::string& system, Function&& function,
                                    const std::string& variant = "") {
  std::string name = workload + "/" + system;
  if (!variant.empty()) name += "/" + variant;
  return benchmark::RegisterBenchmark(name.c_str(), std::forward<Function>(function))
      ->UseRealTime()
      ->Iterations(1)
      ->Unit(benchmark::kMillisecond);
}

/// The program's main: says what it runs with (build type, peers found and skipped), records it in
/// the JSON context, registers the benchmarks (`register_all`) and runs them.
template <class Register>
int main(int argc, char** argv, const char* workload, Register&& register_all) {
  std::string peers;
  for (const std::string& peer : found_peers()) peers += (peers.empty() ? "" : ", ") + peer;
  std::string skipped;
  for (const std::string& peer : skipped_peers()) skipped += (skipped.empty() ? "" : ", ") + peer;
#ifdef NDEBUG
  const char* build = "release";
#else
  const char* build = "debug";
  std::printf(
      "WARNING: poolify benchmark '%s' built without NDEBUG (not a Release build): its numbers mean little. "
      "Configure with -DCMAKE_BUILD_TYPE=Release (tools/bench.sh does).\n",
      workload);
#endif
  std::printf("poolify %s benchmark '%s' (%s build); peers: %s; skipped peers: %s\n", POOLIFY_VERSION_STRING, workload,
              build, peers.c_str(), skipped.empty() ? "none" : skipped.c_str());
  std::fflush(stdout);
  benchmark::AddCustomContext("poolify_version", POOLIFY_VERSION_STRING);
  benchmark::AddCustomContext("poolify_build", build);
  benchmark::AddCustomContext("poolify_workload", workload);
  benchmark::AddCustomContext("poolify_peers", peers);
  benchmark::AddCustomContext("poolify_skipped_peers", skipped);
#if defined(__clang__)
  benchmark::AddCustomContext("poolify_compiler", std::string("clang++ ") + __clang_version__);
#elif defined(__GNUC__)
  benchmark::AddCustomContext("poolify_compiler", std::string("g++ ") + __VERSION__);
#endif
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  register_all();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

}  // namespace bench
