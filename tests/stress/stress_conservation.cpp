// Stress: every accepted task runs exactly once, whoever submits it and whoever runs it.
//   - conservation: 16 producers on pools of 1, 2 and 4x the cores, each task marking its own slot;
//   - exactly-once under stealing: a root task queues every child on its own node while the
//     other workers steal them;
//   - a statistics reader sampling info() all along: counters never go backwards, nothing is
//     queued that was not submitted;
//   - happens-before: what the submitter wrote is seen by the task, and a large non-atomic
//     response written by the task is seen whole by get() (ThreadSanitizer checks both).
#include "stress.hpp"

#include <algorithm>  // std::max
#include <atomic>     // std::atomic
#include <cstddef>    // std::size_t
#include <cstdint>    // std::uint64_t, std::uint8_t
#include <memory>     // std::unique_ptr
#include <optional>   // std::optional
#include <string>     // std::to_string
#include <thread>     // std::thread
#include <utility>    // std::pair, std::move
#include <vector>     // std::vector

#include "../catch.hpp"

namespace {

std::size_t cores() { return poolify::available_parallelism(); }

/// One flag per task: each must end at exactly 1.
struct Slots {
  explicit Slots(std::size_t n) : flags(new std::atomic<std::uint8_t>[n]), size(n) {
    for (std::size_t i = 0; i < n; ++i) flags[i].store(0, std::memory_order_relaxed);
  }
  void mark(std::size_t i) { flags[i].fetch_add(1, std::memory_order_relaxed); }
  /// {lost, duplicated}
  [[nodiscard]] std::pair<std::size_t, std::size_t> check() const {
    std::size_t lost = 0;
    std::size_t twice = 0;
    for (std::size_t i = 0; i < size; ++i) {
      const std::uint8_t seen = flags[i].load(std::memory_order_relaxed);
      lost += seen == 0 ? 1 : 0;
      twice += seen > 1 ? 1 : 0;
    }
    return {lost, twice};
  }
  std::unique_ptr<std::atomic<std::uint8_t>[]> flags;
  std::size_t size;
};

/// Samples info() until stopped: counters must never go backwards, and no more tasks may have
/// ended than were submitted (`submitted` is counted after each execute() returns, so up to
/// `in_calls` tasks may be counted by the pool and not yet there).
class InfoReader {
 public:
  template <class Pool>
  InfoReader(Pool& pool, const std::atomic<std::uint64_t>& submitted, std::uint64_t in_calls)
      : thread_([this, &pool, &submitted, in_calls] {
          std::uint64_t executed = 0;
          std::uint64_t failed = 0;
          while (!stop_.load(std::memory_order_acquire)) {
            const poolify::PoolInfo info = pool.info();
            const std::uint64_t accepted = submitted.load(std::memory_order_acquire);
            if (info.executed_tasks < executed || info.failed_tasks < failed) backwards_.fetch_add(1);
            if (info.executed_tasks + info.failed_tasks > accepted + in_calls) overcount_.fetch_add(1);
            executed = info.executed_tasks;
            failed = info.failed_tasks;
            samples_.fetch_add(1, std::memory_order_relaxed);
          }
        }) {}
  InfoReader(const InfoReader&) = delete;
  InfoReader& operator=(const InfoReader&) = delete;
  ~InfoReader() { stop(); }
  void stop() {
    stop_.store(true, std::memory_order_release);
    if (thread_.joinable()) thread_.join();
  }
  [[nodiscard]] std::uint64_t backwards() const { return backwards_.load(); }
  [[nodiscard]] std::uint64_t overcount() const { return overcount_.load(); }
  [[nodiscard]] std::uint64_t samples() const { return samples_.load(); }

 private:
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> backwards_{0};
  std::atomic<std::uint64_t> overcount_{0};
  std::atomic<std::uint64_t> samples_{0};
  std::thread thread_;
};

}  // namespace

TEST_CASE("conservation: 16 producers on pools of 1, 2 and 4x the cores; each task runs once", "[stress][conservation]") {
  constexpr std::size_t producers = 16;
  const std::size_t per_producer = stress::scaled(10'000);
  const std::size_t total = producers * per_producer;
  for (const std::size_t workers : {std::size_t{1}, std::size_t{2}, 4 * cores()}) {
    stress::Watchdog watchdog("conservation, " + std::to_string(workers) + " workers");
    Slots slots(total);
    std::atomic<std::uint64_t> submitted{0};
    poolify::FixedPool<std::size_t, void> pool(workers, [&slots](std::size_t id) { slots.mark(id); });
    InfoReader reader(pool, submitted, producers);
    std::atomic<std::uint64_t> bad_futures{0};
    std::vector<std::thread> threads;
    for (std::size_t p = 0; p < producers; ++p) {
      threads.emplace_back([&, p] {
        std::vector<poolify::Future<void>> kept;
        for (std::size_t i = 0; i < per_producer; ++i) {
          poolify::Future<void> future = pool.execute(p * per_producer + i);
          submitted.fetch_add(1, std::memory_order_release);
          if (i % 16 == 0) kept.push_back(std::move(future));  // the rest are dropped: fire and forget
        }
        stress::Tally tally;
        for (auto& future : kept) {
          if (!tally.settle(future)) bad_futures.fetch_add(1);
        }
      });
    }
    for (std::thread& thread : threads) thread.join();
    pool.wait_idle();
    reader.stop();
    const auto [lost, twice] = slots.check();
    CHECK(lost == 0);
    CHECK(twice == 0);
    CHECK(bad_futures.load() == 0);
    const poolify::PoolInfo info = pool.info();
    CHECK(info.executed_tasks == total);
    CHECK(info.failed_tasks == 0);
    CHECK(info.queued_tasks == std::optional<std::uint64_t>(0));
    CHECK(info.executing_tasks == 0);
    CHECK(reader.backwards() == 0);
    CHECK(reader.overcount() == 0);
    CHECK(reader.samples() > 0);
  }
}

TEST_CASE("exactly once under stealing: a root task queues every child on its own node", "[stress][stealing]") {
  stress::Watchdog watchdog("exactly once under stealing");
  const std::size_t children = stress::scaled(200'000);
  Slots slots(children + 1);
  const std::size_t workers = std::max<std::size_t>(4, 4 * cores());
  poolify::FixedPool<std::size_t, void>* self = nullptr;
  poolify::FixedPool<std::size_t, void> pool(workers, [&](std::size_t id) {
    slots.mark(id);
    if (id == children) {  // the root: its children go to this worker's node, the others steal them
      for (std::size_t i = 0; i < children; ++i) self->execute(i);
    }
  });
  self = &pool;
  pool.execute(children).get();
  pool.wait_idle();
  const auto [lost, twice] = slots.check();
  CHECK(lost == 0);
  CHECK(twice == 0);
  const poolify::PoolInfo info = pool.info();
  CHECK(info.executed_tasks == children + 1);
  CHECK(info.queued_tasks == std::optional<std::uint64_t>(0));
  std::uint64_t stolen = 0;
  for (const poolify::WorkerNodeInfo& node : pool.worker_nodes()) stolen += node.tasks.stolen;
  CHECK(info.stolen_tasks == std::optional<std::uint64_t>(stolen));
}

TEST_CASE("happens-before: submitter -> task -> get(), with a 64 KB non-atomic response", "[stress][memory_order]") {
  stress::Watchdog watchdog("happens-before");
  constexpr std::size_t words = 64 * 1024 / sizeof(std::uint64_t);
  struct Input {
    const std::vector<std::uint64_t>* buffer;  // written by the submitter before execute(), no atomics
    std::uint64_t seed;
  };
  poolify::FixedPool<Input, std::vector<std::uint64_t>> pool(2, [](Input in) {
    std::vector<std::uint64_t> out(words);
    bool seen = true;
    for (std::size_t i = 0; i < words; ++i) seen = seen && (*in.buffer)[i] == in.seed + i;
    for (std::size_t i = 0; i < words; ++i) out[i] = seen ? ~(in.seed + i) : 0;
    return out;
  });
  const std::size_t rounds = stress::scaled(2'000);
  std::size_t wrong = 0;
  std::vector<std::vector<std::uint64_t>> buffers(8, std::vector<std::uint64_t>(words));
  for (std::size_t round = 0; round < rounds; round += buffers.size()) {
    std::vector<poolify::Future<std::vector<std::uint64_t>>> futures;
    for (std::size_t b = 0; b < buffers.size(); ++b) {
      const std::uint64_t seed = (round + b) * 1'000'003ULL;
      for (std::size_t i = 0; i < words; ++i) buffers[b][i] = seed + i;
      futures.push_back(pool.execute(Input{&buffers[b], seed}));
    }
    for (std::size_t b = 0; b < buffers.size(); ++b) {
      const std::uint64_t seed = (round + b) * 1'000'003ULL;
      const std::vector<std::uint64_t> out = futures[b].get();
      bool whole = out.size() == words;
      for (std::size_t i = 0; whole && i < words; ++i) whole = out[i] == ~(seed + i);
      wrong += whole ? 0 : 1;
    }
  }
  CHECK(wrong == 0);
}
