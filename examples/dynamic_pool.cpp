// dynamic_pool: a pool of 1 to 4 worker nodes. Four tasks that can only finish together (they meet
// at a 4-party latch) make it grow to 4; once the work is done, the nodes above the minimum retire
// after max_inactive_time. Listeners print the pool's events.
#include <poolify/poolify.hpp>

#include <chrono>   // std::chrono
#include <cstdio>   // std::printf
#include <latch>    // std::latch
#include <thread>   // std::this_thread::sleep_for
#include <vector>   // std::vector

int main() {
  std::latch together(4);
  poolify::DynamicPool<int, int> pool(1, 4, [&together](int x) {
    together.arrive_and_wait();  // needs four workers at once
    return x;
  }, {.max_inactive_time = std::chrono::milliseconds(100)});
  pool.on(poolify::PoolEvent::full, [](const poolify::Event& event) {
    std::printf("event full: %zu worker nodes\n", event.info.worker_nodes);
  });

  std::vector<poolify::Future<int>> futures;
  for (int i = 0; i < 4; ++i) futures.push_back(pool.execute(i));
  int sum = 0;
  for (auto& future : futures) sum += future.get();
  const std::size_t grown = pool.info().worker_nodes;
  std::printf("grew to %zu worker nodes, sum %d\n", grown, sum);

  // Idle nodes above the minimum retire after 100 ms; watch it happen (10 s at most).
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (pool.info().worker_nodes > 1 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const poolify::PoolInfo info = pool.info();
  std::printf("after idling: %zu worker node(s), %zu dynamic\n", info.worker_nodes, info.dynamic_worker_nodes.value_or(0));
  const bool ok = grown == 4 && sum == 6 && info.worker_nodes == 1;
  std::printf(ok ? "dynamic pool ok\n" : "dynamic pool FAILED\n");
  return ok ? 0 : 1;
}
