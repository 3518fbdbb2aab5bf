// submit_futures: 1M empty tasks, each with its future, then wait for them all.
// Figure: tasks per second (higher is better). Target: poolify >= 3.0x the best peer.
#include "common.hpp"

namespace {

constexpr std::uint64_t tasks = 1'000'000;

void poolify_futures(benchmark::State& state) {
  poolify::FixedPool<std::uint64_t, std::uint64_t> pool(bench::default_workers, [](std::uint64_t x) { return x; });
  std::vector<poolify::Future<std::uint64_t>> futures;
  futures.reserve(tasks);
  for (auto _ : state) {
    futures.clear();
    for (std::uint64_t i = 0; i < tasks; ++i) futures.push_back(pool.execute(i));
    std::uint64_t sum = 0;
    for (auto& future : futures) sum += future.get();
    if (!bench::check(state, sum == bench::sum_below(tasks), "sum of results " + std::to_string(sum))) break;
  }
  state.counters["tasks_per_s"] = bench::rate(static_cast<double>(tasks * state.iterations()));
}

template <class Peer>
void peer_futures(benchmark::State& state) {
  Peer peer(bench::default_workers);
  std::vector<std::future<std::uint64_t>> futures;
  futures.reserve(tasks);
  for (auto _ : state) {
    futures.clear();
    peer.context([&] {
      for (std::uint64_t i = 0; i < tasks; ++i) futures.push_back(peer.submit([i] { return i; }));
    });
    peer.finish_submitting();
    std::uint64_t sum = 0;
    for (auto& future : futures) sum += future.get();
    if (!bench::check(state, sum == bench::sum_below(tasks), "sum of results " + std::to_string(sum))) break;
  }
  state.counters["tasks_per_s"] = bench::rate(static_cast<double>(tasks * state.iterations()));
}

}  // namespace

int main(int argc, char** argv) {
  return bench::main(argc, argv, "submit_futures", [] {
    bench::add("submit_futures", "poolify", poolify_futures);
    bench::Peers::for_each([]<class Peer>() { bench::add("submit_futures", Peer::name, peer_futures<Peer>); });
  });
}
