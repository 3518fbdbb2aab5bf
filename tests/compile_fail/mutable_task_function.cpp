// Must not compile: a task function runs on several threads at once, so it is called as const
// and a `mutable` lambda is refused with a message that names the API and the fix.
// expected: poolify::TaskFunction: the callable must be invocable as const
#include <poolify/poolify.hpp>

int main() {
  int calls = 0;
  poolify::FixedPool<int, int> pool(1, [calls](int x) mutable { return x + ++calls; });
  return pool.execute(1).get();
}
