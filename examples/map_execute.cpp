// map_execute: one call runs a task function on every element of a range and gives one future of
// the responses in input order. It fails fast: the first exception resolves it, and the other
// tasks are cancelled or finish (none is lost). It works for Response = void too.
#include <poolify/poolify.hpp>

#include <atomic>     // std::atomic
#include <cstdio>     // std::printf
#include <stdexcept>  // std::domain_error
#include <vector>     // std::vector

int main() {
  poolify::FixedPool<int, int> pool(2, {{"square", [](int x) { return x * x; }},
                                        {"checked", [](int x) {
                                           if (x == 13) throw std::domain_error("13 is refused");
                                           return x;
                                         }}});
  const std::vector<int> inputs{1, 2, 3, 4, 5, 6, 7, 8};
  const std::vector<int> squares = pool.map_execute(inputs).get();  // in input order
  std::printf("squares:");
  for (const int square : squares) std::printf(" %d", square);
  std::printf("\n");

  std::vector<int> many;
  for (int i = 0; i < 100; ++i) many.push_back(i);
  bool failed_fast = false;
  try {
    (void)pool.map_execute(many, "checked").get();
  } catch (const std::domain_error& error) {
    failed_fast = true;
    std::printf("fail-fast: %s\n", error.what());
  }
  pool.wait_idle();  // the other 99 ran or were cancelled: none is left behind

  std::atomic<int> visits{0};
  poolify::FixedPool<int> side_effects(2, [&visits](int) { ++visits; });
  side_effects.map_execute(std::vector<int>(50, 0)).get();  // Response = void: a Future<void>
  std::printf("void tasks run: %d\n", visits.load());

  const bool ok = squares == std::vector<int>{1, 4, 9, 16, 25, 36, 49, 64} && failed_fast && visits == 50;
  std::printf(ok ? "map_execute ok\n" : "map_execute FAILED\n");
  return ok ? 0 : 1;
}
