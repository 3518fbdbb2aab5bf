// round_trip: submit one task and wait for it, 100k times in a row; each round trip is timed.
// Figures: median and p99 round trip in microseconds (lower is better).
// Target: poolify's median <= 0.5x the best peer's. The 1-worker variant is for information.
#include "common.hpp"

#include <chrono>

namespace {

using Clock = std::chrono::steady_clock;

std::uint64_t trips_for(std::size_t workers) { return workers == 1 ? 20'000 : 100'000; }

void report(benchmark::State& state, std::vector<double>& latencies_us) {
  state.counters["median_us"] = bench::quantile(latencies_us, 0.5);
  state.counters["p99_us"] = bench::quantile(latencies_us, 0.99);
}

void poolify_round_trip(benchmark::State& state, std::size_t workers) {
  poolify::FixedPool<std::uint64_t, std::uint64_t> pool(workers, [](std::uint64_t x) { return x; });
  const std::uint64_t trips = trips_for(workers);
  std::vector<double> latencies_us(trips);
  for (auto _ : state) {
    std::uint64_t sum = 0;
    for (std::uint64_t i = 0; i < trips; ++i) {
      const Clock::time_point start = Clock::now();
      sum += pool.execute(i).get();
      latencies_us[i] = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
    }
    if (!bench::check(state, sum == bench::sum_below(trips), "sum of results " + std::to_string(sum))) break;
  }
  report(state, latencies_us);
}

template <class Peer>
void peer_round_trip(benchmark::State& state, std::size_t workers) {
  Peer peer(workers);
  const std::uint64_t trips = trips_for(workers);
  std::vector<double> latencies_us(trips);
  for (auto _ : state) {
    std::uint64_t sum = 0;
    peer.context([&] {
      for (std::uint64_t i = 0; i < trips; ++i) {
        const Clock::time_point start = Clock::now();
        sum += peer.submit([i] { return i; }).get();
        latencies_us[i] = std::chrono::duration<double, std::micro>(Clock::now() - start).count();
      }
    });
    if (!bench::check(state, sum == bench::sum_below(trips), "sum of results " + std::to_string(sum))) break;
  }
  report(state, latencies_us);
}

}  // namespace

int main(int argc, char** argv) {
  return bench::main(argc, argv, "round_trip", [] {
    for (std::size_t workers : {std::size_t{2}, std::size_t{1}}) {
      const std::string variant = workers == bench::default_workers ? "" : "workers:" + std::to_string(workers);
      bench::add("round_trip", "poolify", [workers](benchmark::State& s) { poolify_round_trip(s, workers); }, variant);
      bench::Peers::for_each([&]<class Peer>() {
        bench::add("round_trip", Peer::name, [workers](benchmark::State& s) { peer_round_trip<Peer>(s, workers); },
                   variant);
      });
    }
  });
}
