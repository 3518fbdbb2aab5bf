// idle_cpu: the CPU time a pool burns while idle, in the second right after a burst of work
// (100k fire-and-forget tasks, drained). The submitting thread sleeps through that second, so the
// process's CPU time is the pool's.
// Figure: milliseconds of CPU per second (lower is better). Target: poolify < 1 ms.
#include "common.hpp"

#include <chrono>
#include <thread>

namespace {

using Clock = std::chrono::steady_clock;

constexpr std::uint64_t warm_tasks = 100'000;

template <class Work>
void measure(benchmark::State& state, Work&& work) {
  double cpu_ms_per_s = 0;
  for (auto _ : state) {
    state.PauseTiming();
    bench::Tally::reset();
    state.ResumeTiming();
    work();
    if (!bench::check_tally(state, warm_tasks)) break;
    const double cpu_start = bench::process_cpu_seconds();
    const Clock::time_point start = Clock::now();
    std::this_thread::sleep_for(std::chrono::seconds(1));
    const double wall = std::chrono::duration<double>(Clock::now() - start).count();
    cpu_ms_per_s += (bench::process_cpu_seconds() - cpu_start) * 1e3 / wall;
  }
  state.counters["cpu_ms_per_s"] = cpu_ms_per_s / static_cast<double>(state.iterations());
}

void poolify_idle(benchmark::State& state) {
  poolify::FixedPool<std::uint64_t, void> pool(bench::default_workers, [](std::uint64_t x) { bench::Tally::add(x); });
  measure(state, [&] {
    for (std::uint64_t i = 0; i < warm_tasks; ++i) static_cast<void>(pool.execute(i));
    pool.wait_idle();
  });
}

template <class Peer>
void peer_idle(benchmark::State& state) {
  Peer peer(bench::default_workers);
  measure(state, [&] {
    peer.context([&] {
      for (std::uint64_t i = 0; i < warm_tasks; ++i) peer.post([i] { bench::Tally::add(i); });
      peer.drain();
    });
  });
}

}  // namespace

int main(int argc, char** argv) {
  return bench::main(argc, argv, "idle_cpu", [] {
    bench::add("idle_cpu", "poolify", poolify_idle);
    bench::Peers::for_each([]<class Peer>() { bench::add("idle_cpu", Peer::name, peer_idle<Peer>); });
  });
}
