// callgrind_per_task: runs N tasks through a 1-worker pool, for counting instructions under
// `valgrind --tool=callgrind`. tools/bench.sh runs it with N and 2N tasks (after the same warm-up)
// and reports (Ir(2N) - Ir(N)) / N: the instructions one more task costs in a warmed-up pool, over
// every thread, with start-up, warm-up and shut-down cancelled out. Spin-waits count too: a wait
// that spins before it sleeps shows up here as instructions.
//
//   callgrind_per_task <system> <mode> <N> [<warm-up tasks>]
//     system: poolify | textbook | tbb | asio (the peers this build has)
//     mode:   get       N times execute + get, one after another
//             detached  N fire-and-forget tasks, then wait for the pool to drain
//     warm-up: that many tasks of the same mode first, on the same pool (default 0); with at least
//              as many as N, the measured tasks reuse whatever memory the pool keeps
//   callgrind_per_task --list   prints the systems this build has
//
// Not a Google Benchmark program: it only does the work, checks the result and exits 0 (1 when the
// result is wrong, 2 on bad arguments).
#include "peers.hpp"

#include <poolify/poolify.hpp>

#include <cstdio>
#include <cstdlib>
#include <string>

namespace {

struct TallyTag {};
using Tally = bench::PerThreadCounters<TallyTag>;

constexpr std::uint64_t sum_below(std::uint64_t n) { return n * (n - 1) / 2; }

bool poolify_run(bool detached, std::uint64_t warm, std::uint64_t n) {
  if (detached) {
    poolify::FixedPool<std::uint64_t, void> pool(1, [](std::uint64_t x) { Tally::add(x); });
    bool ok = true;
    for (const std::uint64_t count : {warm, n}) {
      Tally::reset();
      for (std::uint64_t i = 0; i < count; ++i) static_cast<void>(pool.execute(i));
      pool.wait_idle();
      const bench::CounterTotals totals = Tally::total();
      ok = ok && totals.count == count && totals.sum == sum_below(count);
    }
    return ok;
  }
  poolify::FixedPool<std::uint64_t, std::uint64_t> pool(1, [](std::uint64_t x) { return x; });
  bool ok = true;
  for (const std::uint64_t count : {warm, n}) {
    std::uint64_t sum = 0;
    for (std::uint64_t i = 0; i < count; ++i) sum += pool.execute(i).get();
    ok = ok && sum == sum_below(count);
  }
  return ok;
}

template <class Peer>
bool peer_run(bool detached, std::uint64_t warm, std::uint64_t n) {
  Peer peer(1);
  bool ok = true;
  for (const std::uint64_t count : {warm, n}) {
    std::uint64_t sum = 0;
    peer.context([&] {
      if (detached) {
        Tally::reset();
        for (std::uint64_t i = 0; i < count; ++i) peer.post([i] { Tally::add(i); });
        peer.drain();
        const bench::CounterTotals totals = Tally::total();
        sum = totals.count == count ? totals.sum : 1;
      } else {
        for (std::uint64_t i = 0; i < count; ++i) sum += peer.submit([i] { return i; }).get();
      }
    });
    ok = ok && sum == sum_below(count);
  }
  return ok;
}

int usage() {
  std::fputs("usage: callgrind_per_task <system> get|detached <N> [<warm-up tasks>]   (--list: the systems)\n", stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc == 2 && std::string(argv[1]) == "--list") {
    std::puts("poolify");
    bench::Peers::for_each([]<class Peer>() { std::puts(Peer::name); });
    return 0;
  }
  if (argc != 4 && argc != 5) return usage();
  const std::string system = argv[1];
  const std::string mode = argv[2];
  const std::uint64_t n = std::strtoull(argv[3], nullptr, 10);
  const std::uint64_t warm = argc == 5 ? std::strtoull(argv[4], nullptr, 10) : 0;
  if ((mode != "get" && mode != "detached") || n < 2) return usage();
  const bool detached = mode == "detached";

  bool known = false;
  bool ok = false;
  if (system == "poolify") {
    known = true;
    ok = poolify_run(detached, warm, n);
  }
  bench::Peers::for_each([&]<class Peer>() {
    if (system == Peer::name) {
      known = true;
      ok = peer_run<Peer>(detached, warm, n);
    }
  });
  if (!known) return usage();
  if (!ok) {
    std::fprintf(stderr, "callgrind_per_task: wrong result for %s %s %s\n", argv[1], argv[2], argv[3]);
    return 1;
  }
  return 0;
}
