// Stress: a process that exits while pools still have running and queued tasks. A namespace-scope
// pool and a function-static pool each have tasks running (they poll their stop token) and more
// queued when main() calls std::exit(0). Static destruction destroys both pools: the queued tasks
// are given tasks_finished_timeout (100 ms here; the default 2 s for the other), then abandoned,
// the running ones see their token. CTest runs this program with a 5 s timeout: it must exit by
// then, with status 0, having printed its line. (A task that ignores its token would keep the
// process from exiting: a thread cannot be killed.)
#include <poolify/poolify.hpp>

#include <atomic>              // std::atomic
#include <chrono>              // std::chrono
#include <condition_variable>  // std::condition_variable_any
#include <cstdio>              // std::printf, std::fflush
#include <cstdlib>             // std::exit, std::_Exit
#include <mutex>               // std::mutex
#include <stop_token>          // std::stop_token
#include <thread>              // std::this_thread::yield

namespace {

std::atomic<int> running{0};
std::atomic<int> stopped{0};

int until_stopped(int x, std::stop_token token) {
  running.fetch_add(1);
  std::mutex mutex;
  std::condition_variable_any never;
  std::unique_lock lock(mutex);
  never.wait_for(lock, token, std::chrono::seconds(60), [] { return false; });
  if (token.stop_requested()) stopped.fetch_add(1);
  return x;
}

/// Made before the pools, so destroyed after both: by then every task that ran saw its token.
struct CheckAtExit {
  CheckAtExit() = default;
  CheckAtExit(const CheckAtExit&) = delete;
  CheckAtExit& operator=(const CheckAtExit&) = delete;
  ~CheckAtExit() {
    if (stopped.load() != running.load() || running.load() != 4) {
      std::printf("stress_exit: %d tasks ran, %d saw their stop token (want 4 and 4)\n", running.load(), stopped.load());
      std::fflush(stdout);
      std::_Exit(3);
    }
    std::printf("stress_exit: both pools destroyed at exit, 4 running tasks stopped, 196 abandoned\n");
    std::fflush(stdout);
  }
} check_at_exit;

poolify::FixedPool<int, int> global_pool(2, until_stopped,
                                         {.tasks_queue_options = {.tasks_finished_timeout = std::chrono::milliseconds(100)}});

poolify::FixedPool<int, int>& static_pool() {
  static poolify::FixedPool<int, int> pool(2, until_stopped);
  return pool;
}

}  // namespace

int main() {
  for (int i = 0; i < 100; ++i) {
    global_pool.execute(i);
    static_pool().execute(i);
  }
  while (running.load() < 4) {  // both workers of both pools are inside a task
    std::this_thread::yield();
  }
  std::printf("stress_exit: 4 tasks running, 196 queued; exiting\n");
  std::fflush(stdout);
  std::exit(0);
}
