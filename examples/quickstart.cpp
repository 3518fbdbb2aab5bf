// quickstart: count the primes below 2,000,000 in chunks on a pool, with two named task
// functions, then print the results and the pool's counters.
#include <poolify/poolify.hpp>

#include <cstdint>   // std::uint64_t
#include <cstdio>    // std::printf
#include <utility>   // std::pair
#include <vector>    // std::vector

namespace {

using Range = std::pair<std::uint64_t, std::uint64_t>;  // [first, last)

bool is_prime(std::uint64_t n) {
  if (n < 2) return false;
  for (std::uint64_t d = 2; d * d <= n; ++d) {
    if (n % d == 0) return false;
  }
  return true;
}

std::uint64_t count_primes(Range range) {
  std::uint64_t count = 0;
  for (std::uint64_t n = range.first; n < range.second; ++n) count += is_prime(n) ? 1 : 0;
  return count;
}

std::uint64_t sum_primes(Range range) {
  std::uint64_t sum = 0;
  for (std::uint64_t n = range.first; n < range.second; ++n) sum += is_prime(n) ? n : 0;
  return sum;
}

}  // namespace

int main() {
  // Four worker threads; "count" is the default task function, "sum" is called by name.
  poolify::FixedPool<Range, std::uint64_t> pool(4, {{"count", count_primes}, {"sum", sum_primes}});

  constexpr std::uint64_t limit = 2'000'000;
  constexpr std::uint64_t chunk = 50'000;
  std::vector<poolify::Future<std::uint64_t>> counts;
  std::vector<poolify::Future<std::uint64_t>> sums;
  for (std::uint64_t first = 0; first < limit; first += chunk) {
    counts.push_back(pool.execute({first, first + chunk}));
    sums.push_back(pool.execute({first, first + chunk}, "sum"));
  }

  std::uint64_t count = 0;
  std::uint64_t sum = 0;
  for (auto& future : counts) count += future.get();
  for (auto& future : sums) sum += future.get();
  std::printf("primes below %llu: %llu (sum %llu)\n", static_cast<unsigned long long>(limit),
              static_cast<unsigned long long>(count), static_cast<unsigned long long>(sum));

  pool.wait_idle();
  const poolify::PoolInfo info = pool.info();
  std::printf("pool: %zu worker nodes, executed %llu tasks, failed %llu, queued %llu\n", info.worker_nodes,
              static_cast<unsigned long long>(info.executed_tasks), static_cast<unsigned long long>(info.failed_tasks),
              static_cast<unsigned long long>(info.queued_tasks.value_or(0)));
  for (const poolify::WorkerNodeInfo& node : pool.worker_nodes()) {
    std::printf("  node %zu: executed %llu, max queued %llu\n", node.id,
                static_cast<unsigned long long>(node.tasks.executed),
                static_cast<unsigned long long>(node.tasks.max_queued));
  }
  return count == 148'933 ? 0 : 1;  // the known number of primes below two million
}
