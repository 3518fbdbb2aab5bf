// Fork-join with helping waits: a parallel merge sort whose tasks submit their halves and wait for
// them from inside the pool, map_execute over a batch, and fail-fast when one input is bad.
//
// Build and run: cmake --build build --target fork_join && ./build/examples/fork_join

#include <poolify/poolify.hpp>

#include <algorithm>  // std::is_sorted, std::merge, std::sort
#include <cstdio>     // std::printf
#include <random>     // std::mt19937
#include <span>       // std::span
#include <stdexcept>  // std::invalid_argument
#include <string>     // std::string, std::stoi
#include <vector>     // std::vector

namespace {

using Slice = std::span<int>;

}  // namespace

int main() {
  // Sorting: each task sorts a slice; a large one submits its halves and waits for them. The
  // waits run queued halves on the waiting worker, so two workers (or one) sort with no deadlock.
  poolify::FixedPool<Slice>* self = nullptr;
  poolify::FixedPool<Slice> sorter(2, [&self](Slice slice) {
    if (slice.size() <= 4096) {  // small enough: sort here
      std::sort(slice.begin(), slice.end());
      return;
    }
    const std::size_t half = slice.size() / 2;
    poolify::Future<void> left = self->execute(slice.first(half));
    poolify::Future<void> right = self->execute(slice.subspan(half));
    left.get();
    right.get();
    std::vector<int> merged(slice.size());
    std::merge(slice.begin(), slice.begin() + static_cast<std::ptrdiff_t>(half), slice.begin() + static_cast<std::ptrdiff_t>(half),
               slice.end(), merged.begin());
    std::copy(merged.begin(), merged.end(), slice.begin());
  });
  self = &sorter;
  std::vector<int> values(1 << 20);
  std::mt19937 random(42);
  for (int& value : values) value = static_cast<int>(random() % 1000000);
  sorter.execute(Slice(values)).get();
  const bool sorted = std::is_sorted(values.begin(), values.end());
  std::printf("sorted %zu values with nested waits: %s\n", values.size(), sorted ? "yes" : "NO");

  // A batch: one future for all, in input order.
  poolify::FixedPool<std::string, int> parser(2, [](const std::string& text) {
    std::size_t used = 0;
    const int value = std::stoi(text, &used);
    if (used != text.size()) throw std::invalid_argument("not a number: " + text);
    return value;
  });
  const std::vector<int> parsed = parser.map_execute(std::vector<std::string>{"1", "22", "333"}).get();
  std::printf("parsed %d %d %d\n", parsed[0], parsed[1], parsed[2]);

  // Fail-fast: the bad input fails the whole at once; the rest is cancelled or finishes.
  bool failed = false;
  try {
    parser.map_execute(std::vector<std::string>{"4", "5x", "6"}).get();
  } catch (const std::invalid_argument& error) {
    failed = true;
    std::printf("batch failed: %s\n", error.what());
  }
  const bool ok = sorted && parsed == std::vector<int>{1, 22, 333} && failed;
  std::printf("%s\n", ok ? "fork join ok" : "fork join FAILED");
  return ok ? 0 : 1;
}
