// strategies: the submit cost of each poolify worker-choice strategy: 1M empty fire-and-forget
// tasks, the submitting loop timed alone (the drain that follows is not in the figure).
// Figure: nanoseconds per execute() (lower is better), and each strategy's ratio to round robin.
// Target: each strategy within 1.5x of round robin. poolify only: peers have no strategies.
#include "common.hpp"

#include <chrono>

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t tasks = 1'000'000;

void strategy_submit(benchmark::State& state, poolify::WorkerChoiceStrategy strategy) {
  poolify::PoolOptions options;
  options.worker_choice_strategy = strategy;
  poolify::FixedPool<std::uint64_t, void> pool(bench::default_workers, [](std::uint64_t x) { bench::Tally::add(x); },
                                               options);
  double submit_ns = 0;
  for (auto _ : state) {
    state.PauseTiming();
    bench::Tally::reset();
    state.ResumeTiming();
    const Clock::time_point start = Clock::now();
    for (std::uint64_t i = 0; i < tasks; ++i) static_cast<void>(pool.execute(i));
    submit_ns += std::chrono::duration<double, std::nano>(Clock::now() - start).count();
    pool.wait_idle();
    if (!bench::check_tally(state, tasks)) break;
  }
  state.counters["submit_ns_per_task"] = submit_ns / static_cast<double>(tasks * state.iterations());
  state.counters["tasks_per_s"] = bench::rate(static_cast<double>(tasks * state.iterations()));
}

}  // namespace

int main(int argc, char** argv) {
  return bench::main(argc, argv, "strategies", [] {
    using poolify::WorkerChoiceStrategy;
    for (WorkerChoiceStrategy strategy :
         {WorkerChoiceStrategy::round_robin, WorkerChoiceStrategy::least_used, WorkerChoiceStrategy::least_busy,
          WorkerChoiceStrategy::least_elu, WorkerChoiceStrategy::fair_share, WorkerChoiceStrategy::weighted_round_robin,
          WorkerChoiceStrategy::interleaved_weighted_round_robin}) {
      std::string variant(poolify::to_string(strategy));
      for (char& c : variant) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
      bench::add("strategies", "poolify", [strategy](benchmark::State& s) { strategy_submit(s, strategy); },
                 "strategy:" + variant);
    }
  });
}
