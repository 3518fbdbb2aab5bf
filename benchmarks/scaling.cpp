// scaling: 1M empty fire-and-forget tasks, then drain, with 1, 2, 4 and 8 workers (on a 2-core
// machine 4 and 8 are oversubscribed; on bigger machines they are real cores).
// Figure: tasks per second at each size (higher is better). Target: no collapse when
// oversubscribed; the report reads that as: the rate at 8 workers is at least half the best
// rate at 1 or 2 workers.
#include "common.hpp"

namespace {

constexpr std::uint64_t tasks = 1'000'000;

void poolify_scaling(benchmark::State& state, std::size_t workers) {
  poolify::FixedPool<std::uint64_t, void> pool(workers, [](std::uint64_t x) { bench::Tally::add(x); });
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
void peer_scaling(benchmark::State& state, std::size_t workers) {
  Peer peer(workers);
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
  return bench::main(argc, argv, "scaling", [] {
    for (std::size_t workers : {1, 2, 4, 8}) {
      const std::string variant = "workers:" + std::to_string(workers);
      bench::add("scaling", "poolify", [workers](benchmark::State& s) { poolify_scaling(s, workers); }, variant);
      bench::Peers::for_each([&]<class Peer>() {
        bench::add("scaling", Peer::name, [workers](benchmark::State& s) { peer_scaling<Peer>(s, workers); }, variant);
      });
    }
  });
}
