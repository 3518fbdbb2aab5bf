// memory: peak bytes per queued task, with 1M fire-and-forget tasks queued (Data = int, no
// result) while every worker is blocked. Each measurement runs in a fresh child process (fork):
// memory that an earlier run gave back and kept cached would otherwise hide what the pool needs.
// Figures: resident-set peak growth per queued task (the headline), and glibc heap growth per
// task (mallinfo2; blind to memory an allocator takes straight from mmap, e.g. tbbmalloc).
// Target: poolify <= 128 bytes per queued task.
#include "common.hpp"

#include <malloc.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>

namespace {

constexpr std::uint64_t tasks = 1'000'000;

/// Holds every task until opened: workers each take one task and block in it.
struct Gate {
  std::atomic<bool> open{false};
  void wait() const {
    while (!open.load(std::memory_order_acquire)) open.wait(false, std::memory_order_acquire);
  }
  void release() {
    open.store(true, std::memory_order_release);
    open.notify_all();
  }
};

/// A field of /proc/self/status in bytes ("VmRSS", "VmHWM"), or -1.
double status_bytes(const char* field) {
  std::ifstream status("/proc/self/status");
  std::string line;
  const std::size_t length = std::strlen(field);
  while (std::getline(status, line)) {
    if (line.compare(0, length, field) == 0 && line.size() > length && line[length] == ':') {
      return std::stod(line.substr(length + 1)) * 1024.0;
    }
  }
  return -1;
}

double heap_bytes() {
  const struct mallinfo2 info = mallinfo2();
  return static_cast<double>(info.uordblks + info.hblkhd);
}

struct Sample {
  double rss = 0;
  double heap = 0;
};

/// Resets the peak resident set to the current one (Linux >= 4.0; harmless where refused).
Sample baseline() {
  if (std::FILE* refs = std::fopen("/proc/self/clear_refs", "w")) {
    std::fputs("5", refs);
    std::fclose(refs);
  }
  return Sample{status_bytes("VmRSS"), heap_bytes()};
}

Sample peak_since(const Sample& base) { return Sample{status_bytes("VmHWM") - base.rss, heap_bytes() - base.heap}; }

struct ChildResult {
  int ok = 0;
  double rss_per_task = 0;
  double heap_per_task = 0;
};

/// Runs `measure` (returns ChildResult) in a child process and hands its result back.
template <class Measure>
void in_child(benchmark::State& state, Measure&& measure) {
  for (auto _ : state) {
    int fds[2];
    if (pipe(fds) != 0) {
      bench::check(state, false, "pipe() failed");
      break;
    }
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid == 0) {
      close(fds[0]);
      const ChildResult result = measure();
      const ssize_t written = write(fds[1], &result, sizeof result);
      _exit(written == static_cast<ssize_t>(sizeof result) ? 0 : 1);
    }
    close(fds[1]);
    ChildResult result;
    const ssize_t got = pid > 0 ? read(fds[0], &result, sizeof result) : -1;
    close(fds[0]);
    int status = 0;
    if (pid > 0) waitpid(pid, &status, 0);
    const bool ok = pid > 0 && got == static_cast<ssize_t>(sizeof result) && WIFEXITED(status) &&
                    WEXITSTATUS(status) == 0 && result.ok == 1;
    if (!bench::check(state, ok, "the measuring child process failed or counted wrong")) break;
    state.counters["bytes_per_task"] = result.rss_per_task;
    state.counters["heap_bytes_per_task"] = result.heap_per_task;
  }
}

ChildResult finish(const Sample& peak) {
  const bench::CounterTotals totals = bench::Tally::total();
  ChildResult result;
  result.ok = totals.count == tasks && totals.sum == bench::sum_below(tasks) ? 1 : 0;
  result.rss_per_task = peak.rss / static_cast<double>(tasks);
  result.heap_per_task = peak.heap / static_cast<double>(tasks);
  return result;
}

void poolify_memory(benchmark::State& state) {
  in_child(state, [] {
    Gate gate;
    poolify::FixedPool<int, void> pool(bench::default_workers, [&gate](int x) {
      gate.wait();
      bench::Tally::add(static_cast<std::uint64_t>(x));
    });
    const Sample base = baseline();
    for (std::uint64_t i = 0; i < tasks; ++i) static_cast<void>(pool.execute(static_cast<int>(i)));
    const Sample peak = peak_since(base);
    gate.release();
    pool.wait_idle();
    return finish(peak);
  });
}

template <class Peer>
void peer_memory(benchmark::State& state) {
  in_child(state, [] {
    Gate gate;
    Peer peer(bench::default_workers);
    Sample peak;
    peer.context([&] {
      const Sample base = baseline();
      for (std::uint64_t i = 0; i < tasks; ++i) {
        const int x = static_cast<int>(i);
        peer.post([x, &gate] {
          gate.wait();
          bench::Tally::add(static_cast<std::uint64_t>(x));
        });
      }
      peak = peak_since(base);
      gate.release();
      peer.drain();
    });
    return finish(peak);
  });
}

}  // namespace

int main(int argc, char** argv) {
  return bench::main(argc, argv, "memory", [] {
    bench::add("memory", "poolify", poolify_memory);
    bench::Peers::for_each([]<class Peer>() { bench::add("memory", Peer::name, peer_memory<Peer>); });
  });
}
