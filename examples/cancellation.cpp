// cancellation: a task cancelled while queued never runs; one cancelled while running sees its
// stop token and its own outcome stands; a token already stopped resolves at once; destroy()
// signals running tasks; destroy(timeout) does not wait for a task that ignores its token.
#include <poolify/poolify.hpp>

#include <atomic>      // std::atomic
#include <chrono>      // std::chrono::milliseconds
#include <cstdio>      // std::printf
#include <latch>       // std::latch
#include <stop_token>  // std::stop_token, std::stop_source
#include <thread>      // std::this_thread::yield

namespace {

// What a future ended with, as text.
template <class Future>
const char* outcome(Future& future) {
  try {
    (void)future.get();
    return "value";
  } catch (const poolify::TaskCancelled&) {
    return "TaskCancelled";
  } catch (const poolify::TaskAbandoned&) {
    return "TaskAbandoned";
  }
}

}  // namespace

int main() {
  std::latch running(1);
  std::atomic<int> bodies{0};
  // x == 0: a long task that polls its stop token; others return at once.
  poolify::FixedPool<int, int> pool(1, [&](int x, std::stop_token stop) {
    ++bodies;
    if (x == 0) {
      running.count_down();
      while (!stop.stop_requested()) std::this_thread::yield();
      return -1;  // its own outcome: it saw the stop and returned
    }
    return x;
  });

  poolify::Future<int> long_task = pool.execute(0);
  running.wait();
  poolify::Future<int> queued = pool.execute(1);  // behind the long task on the only worker
  const bool removed = queued.cancel();           // still queued: removed, never runs
  std::printf("queued task: cancel() -> %s, outcome %s\n", removed ? "removed" : "running", outcome(queued));

  std::stop_source stopped;
  stopped.request_stop();
  poolify::Future<int> pre_stopped = pool.execute(2, "", stopped.get_token());  // resolved at once
  const bool at_once = pre_stopped.ready();
  std::printf("stopped token: ready at once %s, outcome %s\n", at_once ? "yes" : "no", outcome(pre_stopped));

  const bool was_queued = long_task.cancel();  // running: its stop token is signalled
  std::printf("running task: cancel() -> %s, get() = %d\n", was_queued ? "removed" : "signalled", long_task.get());

  // destroy(timeout) with a task that ignores its token: it returns, the task goes on.
  std::atomic<bool> release{false};
  std::latch stuck_started(1);
  poolify::FixedPool<int, int> other(1, [&](int x) {
    stuck_started.count_down();
    while (!release) std::this_thread::yield();
    return x;
  });
  poolify::Future<int> stuck = other.execute(9);
  stuck_started.wait();
  const std::size_t left = other.destroy(std::chrono::milliseconds(10));
  std::printf("destroy(10 ms) left %zu task running; its future ready: %s\n", left, stuck.ready() ? "yes" : "no");
  release = true;
  std::printf("the stuck task ended with %d\n", stuck.get());

  const bool ok = removed && at_once && !was_queued && bodies.load() == 1 && left == 1;
  std::printf(ok ? "cancellation ok\n" : "cancellation FAILED\n");
  return ok ? 0 : 1;
}
