// Must not compile: Data must be move-constructible.
// expected: poolify::Pool: Data must be move-constructible
#include <poolify/poolify.hpp>

#include <mutex>

int main() {
  poolify::FixedPool<std::mutex, int> pool(1, [](const std::mutex&) { return 0; });
  return 0;
}
