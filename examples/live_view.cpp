// live_view: a pool under load, watched from outside. Two producers submit tasks of two task
// functions (backing off while the pool is under back pressure) while the main thread redraws a one-line view of info() ten times a second; listeners
// count events. At the end it prints the pool and its nodes as JSON, for a monitoring system.
//
//   live_view [seconds]      (default 1)
//
// On a terminal the line is redrawn in place; otherwise (a pipe, a test) each frame is a line.
#include <poolify/poolify.hpp>

#include <atomic>     // std::atomic
#include <chrono>     // std::chrono
#include <cstdio>     // std::printf, std::fflush
#include <cstdlib>    // std::atof
#include <stdexcept>  // std::runtime_error
#include <thread>     // std::thread, std::this_thread::sleep_for
#include <vector>     // std::vector

#if defined(__unix__) || defined(__APPLE__)
#include <unistd.h>  // isatty
#endif

namespace {

bool on_terminal() {
#if defined(__unix__) || defined(__APPLE__)
  return isatty(1) != 0;
#else
  return false;
#endif
}

int work(int x) {
  volatile int sum = 0;
  for (int i = 0; i < 20000; ++i) sum = sum + (i ^ x);
  return x;
}

}  // namespace

int main(int argc, char** argv) {
  const double seconds = argc > 1 ? std::atof(argv[1]) : 1.0;
  poolify::FixedPool<int, int> pool(
      2,
      {{"fast", [](int x) { return x; }},
       {"slow", [](int x) {
          if (x % 100 == 0) throw std::runtime_error("every hundredth slow task fails");
          return work(x);
        }}},
      {.start_workers = false,  // add the listeners first, so that they see `ready` too
       .tasks_queue_options = {.size = 64},
       .measurements = {.run_time = {.aggregate = true, .average = true}, .wait_time = {.aggregate = true}}});

  std::atomic<int> busy{0};
  std::atomic<int> back_pressure{0};
  std::atomic<int> task_errors{0};
  pool.on(poolify::PoolEvent::ready, [](const poolify::Event& event) {
    std::printf("ready: %zu worker nodes\n", event.info.worker_nodes);
  });
  pool.on(poolify::PoolEvent::busy, [&](const poolify::Event&) { busy.fetch_add(1); });
  pool.on(poolify::PoolEvent::back_pressure, [&](const poolify::Event&) { back_pressure.fetch_add(1); });
  pool.on(poolify::PoolEvent::task_error, [&](const poolify::Event&) { task_errors.fetch_add(1); });
  pool.start();

  std::atomic<bool> stop{false};
  std::atomic<long long> submitted{0};
  std::vector<std::thread> producers;
  for (int p = 0; p < 2; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 1; !stop.load(std::memory_order_relaxed); ++i) {
        (void)pool.execute(i, i % 4 == 0 ? "slow" : "fast");
        submitted.fetch_add(1, std::memory_order_relaxed);
        // Back off while every queue is at its threshold: the producers' own back pressure.
        if (i % 256 == 0) {
          while (pool.info().back_pressure.value_or(false) && !stop.load(std::memory_order_relaxed)) {
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
          }
        }
        // And pause now and then, so that busy episodes begin and end.
        if (i % (5000 + 1000 * p) == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
      }
    });
  }

  const bool terminal = on_terminal();
  const auto end = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < end) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    const poolify::PoolInfo info = pool.info();
    std::printf("%sexecuted %10llu  failed %6llu  queued %6llu  busy nodes %zu/%zu  utilization %5.1f%%  "
                "events: busy %d, back pressure %d, task errors %d%s",
                terminal ? "\r\x1b[K" : "", static_cast<unsigned long long>(info.executed_tasks),
                static_cast<unsigned long long>(info.failed_tasks),
                static_cast<unsigned long long>(info.queued_tasks.value_or(0)), info.busy_worker_nodes,
                info.worker_nodes, 100 * info.utilization.value_or(0), busy.load(), back_pressure.load(),
                task_errors.load(), terminal ? "" : "\n");
    std::fflush(stdout);
  }
  stop.store(true);
  for (std::thread& producer : producers) producer.join();
  pool.wait_idle();
  if (terminal) std::printf("\n");

  std::printf("info: %s\n", poolify::to_json(pool.info()).c_str());
  std::printf("nodes: %s\n", poolify::to_json(pool.worker_nodes()).c_str());
  const poolify::PoolInfo info = pool.info();
  pool.destroy();  // delivers every pending event before it returns
  const bool consistent = static_cast<long long>(info.executed_tasks + info.failed_tasks) == submitted.load() &&
                          static_cast<long long>(info.failed_tasks) == task_errors.load() && info.queued_tasks == 0;
  std::printf("%s\n", consistent ? "live view ok: every task counted, one task_error per failure"
                                 : "live view: counters do not add up");
  return consistent ? 0 : 1;
}
