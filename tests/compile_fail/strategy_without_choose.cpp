// Must not compile: a class installed as a worker-choice strategy needs a `choose` member; the
// message names what is missing.
// expected: poolify: a worker-choice strategy needs a member function
#include <poolify/poolify.hpp>

#include <cstddef>

struct NotAStrategy {
  std::size_t pick() { return 0; }
};

int main() {
  poolify::FixedPool<int, int> pool(1, [](int x) { return x; });
  pool.set_worker_choice_strategy<NotAStrategy>();
  return pool.execute(1).get();
}
