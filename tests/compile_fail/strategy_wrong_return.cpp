// Must not compile: a strategy's choose(nodes) must return std::optional<std::size_t> (nothing
// meaning "no node now"); the message says so.
// expected: poolify: a worker-choice strategy's choose(nodes) must return std::optional<std::size_t>
#include <poolify/poolify.hpp>

#include <cstddef>

struct ReturnsAKey {
  std::size_t choose(const poolify::WorkerNodesView&) { return 0; }
};

int main() {
  poolify::FixedPool<int, int> pool(1, [](int x) { return x; });
  pool.set_worker_choice_strategy<ReturnsAKey>();
  return pool.execute(1).get();
}
