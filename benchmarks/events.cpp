// events: what events cost. 1M empty fire-and-forget tasks (as submit_detached) on poolify pools
// that differ only in their events: disabled (enable_events = false), enabled with no listener,
// and enabled with busy / busy_end / task_error listeners that count.
// Figure: tasks per second (higher is better). Target: enabled with no listener within noise of
// disabled (our reading: >= 0.95x). poolify only: peers have no events.
#include "common.hpp"

#include <atomic>

namespace {

constexpr std::uint64_t tasks = 1'000'000;

enum class Events { disabled, no_listener, listeners };

void events_detached(benchmark::State& state, Events events) {
  poolify::PoolOptions options;
  options.enable_events = events != Events::disabled;
  poolify::FixedPool<std::uint64_t, void> pool(bench::default_workers, [](std::uint64_t x) { bench::Tally::add(x); },
                                               options);
  std::atomic<std::uint64_t> heard{0};
  if (events == Events::listeners) {
    for (poolify::PoolEvent event : {poolify::PoolEvent::busy, poolify::PoolEvent::busy_end, poolify::PoolEvent::task_error}) {
      pool.on(event, [&heard](const poolify::Event&) { heard.fetch_add(1, std::memory_order_relaxed); });
    }
  }
  for (auto _ : state) {
    state.PauseTiming();
    bench::Tally::reset();
    state.ResumeTiming();
    for (std::uint64_t i = 0; i < tasks; ++i) static_cast<void>(pool.execute(i));
    pool.wait_idle();
    if (!bench::check_tally(state, tasks)) break;
  }
  state.counters["tasks_per_s"] = bench::rate(static_cast<double>(tasks * state.iterations()));
  if (events == Events::listeners) state.counters["events_heard"] = static_cast<double>(heard.load());
}

}  // namespace

int main(int argc, char** argv) {
  return bench::main(argc, argv, "events", [] {
    bench::add("events", "poolify", [](benchmark::State& s) { events_detached(s, Events::disabled); }, "events:disabled");
    bench::add("events", "poolify", [](benchmark::State& s) { events_detached(s, Events::no_listener); },
               "events:no_listener");
    bench::add("events", "poolify", [](benchmark::State& s) { events_detached(s, Events::listeners); },
               "events:listeners");
  });
}
