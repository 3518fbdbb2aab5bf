// Must not compile: the callable does not take Data.
// expected: poolify::TaskFunction: the callable must be invocable as const with (Data) or (Data, std::stop_token)
#include <poolify/poolify.hpp>

#include <string>

int main() {
  poolify::FixedPool<int, int> pool(1, [](const std::string& text) { return static_cast<int>(text.size()); });
  return pool.execute(1).get();
}
