// scaling: 1M empty fire-and-forget tasks, then drain, with 1, 2, 4 and 8 workers (on a 2-core
// machine 4 and 8 are oversubscribed; on bigger machines they are real cores).
// Figure: tasks per second at each size (higher is better). Target: no collapse when
// oversubscribed; the report reads that as: the rate at 8 workers is at least half the best
// rate at 1 or 2 workers.
#include <string>  // std::string, std::to_string

#include "detached.hpp"

int main(int argc, char** argv) {
  return bench::main(argc, argv, "scaling", [] {
    for (std::size_t workers : {1, 2, 4, 8}) {
      const std::string variant = "workers:" + std::to_string(workers);
      bench::add("scaling", "poolify", [workers](benchmark::State& s) { bench::poolify_detached(s, workers); }, variant);
      bench::Peers::for_each([&]<class Peer>() {
        bench::add("scaling", Peer::name, [workers](benchmark::State& s) { bench::peer_detached<Peer>(s, workers); }, variant);
      });
    }
  });
}
