// submit_detached: 1M empty fire-and-forget tasks, then wait for the pool to drain.
// Figure: tasks per second (higher is better). Target: poolify >= 1.0x oneTBB.
#include "common.hpp"

namespace {

constexpr std::uint64_t tasks = 1'000'000;

void poolify_detached(benchmark::State& state) {
  poolify::FixedPool<std::uint64_t, void> pool(bench::default_workers, [](std::uint64_t x) { bench::Tally::add(x); });
  for (auto _ : state) {
    state.PauseTiming();
    bench::Tally::reset();
    state.ResumeTiming();
    for (std::uint64_t i = 0; i < tasks; ++i) static_cast<void>(pool.execute(i));
    pool.wait_idle();
    if (!bench::check_tally(state, tasks)) break;
  }
  state.counters["tasks_per_s"] = bench::rate(static_cast<double>(tasks * state.iterations()));
}

template <class Peer>
void peer_detached(benchmark::State& state) {
  Peer peer(bench::default_workers);
  for (auto _ : state) {
    state.PauseTiming();
    bench::Tally::reset();
    state.ResumeTiming();
    peer.context([&] {
      for (std::uint64_t i = 0; i < tasks; ++i) peer.post([i] { bench::Tally::add(i); });
      peer.drain();
    });
    if (!bench::check_tally(state, tasks)) break;
  }
  state.counters["tasks_per_s"] = bench::rate(static_cast<double>(tasks * state.iterations()));
}

}  // namespace

int main(int argc, char** argv) {
  return bench::main(argc, argv, "submit_detached", [] {
    bench::add("submit_detached", "poolify", poolify_detached);
    bench::Peers::for_each([]<class Peer>() { bench::add("submit_detached", Peer::name, peer_detached<Peer>); });
  });
}
