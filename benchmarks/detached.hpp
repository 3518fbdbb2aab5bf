// The fire-and-forget workload shared by submit_detached (2 workers) and scaling (1 to 8):
// 1M empty tasks whose futures are dropped, then wait for the pool to drain.
#pragma once

#include <cstddef>  // std::size_t
#include <cstdint>  // std::uint64_t

#include "common.hpp"

namespace bench {

inline constexpr std::uint64_t detached_tasks = 1'000'000;

inline void poolify_detached(benchmark::State& state, std::size_t workers) {
  poolify::FixedPool<std::uint64_t, void> pool(workers, [](std::uint64_t x) { Tally::add(x); });
  for (auto _ : state) {
    state.PauseTiming();
    Tally::reset();
    state.ResumeTiming();
    for (std::uint64_t i = 0; i < detached_tasks; ++i) static_cast<void>(pool.execute(i));
    pool.wait_idle();
    if (!check_tally(state, detached_tasks)) break;
  }
  state.counters["tasks_per_s"] = rate(static_cast<double>(detached_tasks * state.iterations()));
}

template <class Peer>
void peer_detached(benchmark::State& state, std::size_t workers) {
  Peer peer(workers);
  for (auto _ : state) {
    state.PauseTiming();
    Tally::reset();
    state.ResumeTiming();
    peer.context([&] {
      for (std::uint64_t i = 0; i < detached_tasks; ++i) peer.post([i] { Tally::add(i); });
      peer.drain();
    });
    if (!check_tally(state, detached_tasks)) break;
  }
  state.counters["tasks_per_s"] = rate(static_cast<double>(detached_tasks * state.iterations()));
}

}  // namespace bench
