// submit_detached: 1M empty fire-and-forget tasks, then wait for the pool to drain.
// Figure: tasks per second (higher is better). Target: poolify >= 1.0x oneTBB.
#include "detached.hpp"

int main(int argc, char** argv) {
  return bench::main(argc, argv, "submit_detached", [] {
    bench::add("submit_detached", "poolify",
               [](benchmark::State& s) { bench::poolify_detached(s, bench::default_workers); });
    bench::Peers::for_each([]<class Peer>() {
      bench::add("submit_detached", Peer::name,
                 [](benchmark::State& s) { bench::peer_detached<Peer>(s, bench::default_workers); });
    });
  });
}
