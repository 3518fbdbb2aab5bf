// A consumer project's program: runs real work on a pool through the poolify it was given
// (installed package, subdirectory or single header) and checks the version it sees.
#include <poolify/poolify.hpp>

#include <cstdio>   // std::printf, std::fprintf
#include <cstring>  // std::strcmp
#include <string>   // std::string
#include <vector>   // std::vector

#ifndef POOLIFY_CONSUMER_KIND
#define POOLIFY_CONSUMER_KIND "unknown"
#endif

int main() {
  std::printf("poolify %s via %s\n", POOLIFY_VERSION_STRING, POOLIFY_CONSUMER_KIND);
#ifdef POOLIFY_EXPECTED_VERSION
  // The test passes the version CMake read from version.hpp; the header seen here must match.
  if (std::strcmp(POOLIFY_VERSION_STRING, POOLIFY_EXPECTED_VERSION) != 0) {
    std::fprintf(stderr, "expected poolify %s\n", POOLIFY_EXPECTED_VERSION);
    return 1;
  }
#endif
  poolify::FixedPool<int, long> pool(2, {{"square", [](int x) { return static_cast<long>(x) * x; }},
                                         {"negate", [](int x) { return -static_cast<long>(x); }}});
  std::vector<poolify::Future<long>> futures;
  for (int i = 1; i <= 100; ++i) futures.push_back(pool.execute(i, i % 2 == 0 ? "square" : "negate"));
  long sum = 0;
  for (auto& future : futures) sum += future.get();
  pool.wait_idle();
  std::printf("sum %ld, executed %llu\n", sum, static_cast<unsigned long long>(pool.info().executed_tasks));
  // squares of the even numbers up to 100 minus the odd ones: 171700 - 2500
  return sum == 169200 && pool.info().executed_tasks == 100 ? 0 : 1;
}
