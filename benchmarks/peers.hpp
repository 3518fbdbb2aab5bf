/// @file peers.hpp
/// @brief The pools poolify is measured against, behind one small interface.
///
/// Every peer is a class with
///   - `static constexpr const char* name`           its label in benchmark names ("tbb", ...);
///   - `explicit Peer(std::size_t workers)`           a pool of `workers` worker threads;
///   - `context(body)`                                runs `body` (the submitting code) where the
///                                                    peer wants its submitter to be (oneTBB: inside
///                                                    its arena; the others: right here);
///   - `post(f)`                                      fire and forget, from inside `context`;
///   - `submit(f)` -> `std::future<R>`                a task with its future, from inside `context`;
///   - `drain()`                                      waits until every posted or submitted task has
///                                                    finished, from inside `context`;
///   - `finish_submitting()`                          what the submitter does after a burst of
///                                                    `submit` before it waits on the futures
///                                                    (oneTBB: a helping wait; the others: nothing).
///
/// Peers with no futures of their own (oneTBB, Asio) return `std::packaged_task` futures, as their
/// users do. The peers found at configure time are listed in `Peers`; `skipped_peers()` names the
/// others. This header does not depend on Google Benchmark: callgrind_per_task.cpp uses it too.
#pragma once

#include <atomic>              // std::atomic
#include <chrono>              // std::chrono::microseconds
#include <condition_variable>  // std::condition_variable
#include <cstddef>             // std::size_t
#include <cstdint>             // std::uint64_t
#include <functional>          // std::function
#include <future>              // std::future, std::packaged_task
#include <memory>              // std::make_shared
#include <mutex>               // std::mutex, std::unique_lock
#include <new>                 // std::nothrow
#include <optional>            // std::optional
#include <queue>               // std::queue
#include <string>              // std::string
#include <thread>              // std::thread
#include <type_traits>         // std::invoke_result_t, std::decay_t
#include <utility>             // std::move, std::forward
#include <vector>              // std::vector

#if POOLIFY_BENCH_HAVE_TBB
#include <oneapi/tbb/global_control.h>
#include <oneapi/tbb/task_arena.h>
#include <oneapi/tbb/task_group.h>
#include <oneapi/tbb/version.h>
#endif

#if POOLIFY_BENCH_HAVE_ASIO
#include <asio/post.hpp>
#include <asio/thread_pool.hpp>
#include <asio/version.hpp>
#endif

namespace bench {

// ------------------------------------------------------------------------------------------------
// Per-thread counters: each thread adds to its own slot (no shared cache line, no locked
// instruction); a reader sums the slots. Slots are never freed, so a thread that exited still
// counts. One registry per Tag.

struct alignas(64) CounterSlot {
  std::atomic<std::uint64_t> count{0};
  std::atomic<std::uint64_t> sum{0};
  std::atomic<std::uint64_t> max{0};

  /// Called only by the slot's own thread.
  void add(std::uint64_t value) noexcept {
    sum.store(sum.load(std::memory_order_relaxed) + value, std::memory_order_relaxed);
    if (value > max.load(std::memory_order_relaxed)) max.store(value, std::memory_order_relaxed);
    count.store(count.load(std::memory_order_relaxed) + 1, std::memory_order_release);
  }
};

struct CounterTotals {
  std::uint64_t count = 0;
  std::uint64_t sum = 0;
  std::uint64_t max = 0;
};

template <class Tag>
class PerThreadCounters {
 public:
  /// The calling thread's slot.
  static CounterSlot& mine() {
    thread_local CounterSlot* slot = nullptr;  // constant-initialized: no guard on the hot path
    if (slot == nullptr) slot = make_slot();
    return *slot;
  }
  static void add(std::uint64_t value) noexcept { mine().add(value); }

  /// Sums every slot. Exact once the writers' work happened-before the call (e.g. after a wait
  /// for the pool to drain); a lower bound otherwise.
  static CounterTotals total() {
    std::lock_guard lock(registry().mutex);
    CounterTotals totals;
    for (CounterSlot* slot : registry().slots) {
      totals.count += slot->count.load(std::memory_order_acquire);
      totals.sum += slot->sum.load(std::memory_order_relaxed);
      const std::uint64_t max = slot->max.load(std::memory_order_relaxed);
      if (max > totals.max) totals.max = max;
    }
    return totals;
  }

  /// How many threads added something since the last reset.
  static std::size_t active_threads() {
    std::lock_guard lock(registry().mutex);
    std::size_t active = 0;
    for (CounterSlot* slot : registry().slots) active += slot->count.load(std::memory_order_acquire) != 0 ? 1 : 0;
    return active;
  }

  /// Sets every slot to zero; only while no thread adds.
  static void reset() {
    std::lock_guard lock(registry().mutex);
    for (CounterSlot* slot : registry().slots) {
      slot->count.store(0, std::memory_order_relaxed);
      slot->sum.store(0, std::memory_order_relaxed);
      slot->max.store(0, std::memory_order_relaxed);
    }
  }

 private:
  struct Registry {
    std::mutex mutex;
    std::vector<CounterSlot*> slots;
  };
  static Registry& registry() {
    static Registry* const instance = new Registry();  // never destroyed: threads may outlive main
    return *instance;
  }
  static CounterSlot* make_slot() {
    auto* slot = new CounterSlot();
    std::lock_guard lock(registry().mutex);
    registry().slots.push_back(slot);
    return slot;
  }
};

/// Makes a move-only callable (a packaged task) callable as const, as oneTBB requires.
template <class F>
struct ConstCallable {
  mutable F function;
  void operator()() const { function(); }
};

// ------------------------------------------------------------------------------------------------
// The textbook pool: one std::queue<std::function<void()>>, one mutex, one condition variable,
// std::packaged_task futures (the design of progschj/ThreadPool and BS::thread_pool). Its wait for
// idleness is BS::thread_pool's: a running count kept under the same mutex.

class TextbookPool {
 public:
  static constexpr const char* name = "textbook";

  explicit TextbookPool(std::size_t workers) {
    threads_.reserve(workers);
    for (std::size_t i = 0; i < workers; ++i) threads_.emplace_back([this] { work(); });
  }
  TextbookPool(const TextbookPool&) = delete;
  TextbookPool& operator=(const TextbookPool&) = delete;
  ~TextbookPool() {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    task_available_.notify_all();
    for (std::thread& thread : threads_) thread.join();
  }

  template <class Body>
  void context(Body&& body) {
    std::forward<Body>(body)();
  }

  template <class F>
  void post(F&& f) {
    {
      std::lock_guard lock(mutex_);
      tasks_.emplace(std::forward<F>(f));
    }
    task_available_.notify_one();
  }

  template <class F>
  auto submit(F&& f) -> std::future<std::invoke_result_t<std::decay_t<F>&>> {
    using R = std::invoke_result_t<std::decay_t<F>&>;
    auto task = std::make_shared<std::packaged_task<R()>>(std::forward<F>(f));
    std::future<R> future = task->get_future();
    post([task] { (*task)(); });
    return future;
  }

  void drain() {
    std::unique_lock lock(mutex_);
    idle_.wait(lock, [this] { return tasks_.empty() && running_ == 0; });
  }

  void finish_submitting() {}

 private:
  void work() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mutex_);
        task_available_.wait(lock, [this] { return stop_ || !tasks_.empty(); });
        if (tasks_.empty()) return;  // stop_ and nothing left
        task = std::move(tasks_.front());
        tasks_.pop();
        ++running_;
      }
      task();
      {
        std::lock_guard lock(mutex_);
        --running_;
        if (running_ == 0 && tasks_.empty()) idle_.notify_all();
      }
    }
  }

  std::mutex mutex_;
  std::condition_variable task_available_;
  std::condition_variable idle_;
  std::queue<std::function<void()>> tasks_;
  std::size_t running_ = 0;
  bool stop_ = false;
  std::vector<std::thread> threads_;
};

// ------------------------------------------------------------------------------------------------
// oneTBB: a tbb::task_arena with `workers` worker slots plus the slot oneTBB reserves for the
// submitting thread, and a tbb::task_group. The submitter runs inside the arena (context), spawns
// with task_group::run, and waits with task_group::wait, during which it helps run tasks: that is
// how oneTBB is meant to be used. A tbb::global_control lets oneTBB start `workers` threads even
// when that is more than the machine has cores (its default is cores - 1). The scheduler is
// finalized (its threads joined) when the peer goes, so that no oneTBB thread lingers into the
// next measurement.

#if POOLIFY_BENCH_HAVE_TBB
class TbbPeer {
 public:
  static constexpr const char* name = "tbb";

  explicit TbbPeer(std::size_t workers)
      : scheduler_(tbb::attach{}) {
    inner_.emplace(workers);
  }
  TbbPeer(const TbbPeer&) = delete;
  TbbPeer& operator=(const TbbPeer&) = delete;
  ~TbbPeer() {
    inner_->arena.execute([this] { inner_->group.wait(); });
    inner_.reset();
    (void)tbb::finalize(scheduler_, std::nothrow);
  }

  template <class Body>
  void context(Body&& body) {
    inner_->arena.execute(std::forward<Body>(body));
  }

  template <class F>
  void post(F&& f) {
    inner_->group.run(std::forward<F>(f));
  }

  template <class F>
  auto submit(F&& f) -> std::future<std::invoke_result_t<std::decay_t<F>&>> {
    using R = std::invoke_result_t<std::decay_t<F>&>;
    std::packaged_task<R()> task(std::forward<F>(f));
    std::future<R> future = task.get_future();
    inner_->group.run(ConstCallable<std::packaged_task<R()>>{std::move(task)});
    return future;
  }

  void drain() { inner_->group.wait(); }

  void finish_submitting() {
    context([this] { inner_->group.wait(); });
  }

 private:
  struct Inner {
    explicit Inner(std::size_t workers)
        : control(tbb::global_control::max_allowed_parallelism, workers + 1),
          arena(static_cast<int>(workers) + 1, 1) {
      arena.initialize();
    }
    tbb::global_control control;
    tbb::task_arena arena;
    tbb::task_group group;
  };
  tbb::task_scheduler_handle scheduler_;
  std::optional<Inner> inner_;
};
#endif

// ------------------------------------------------------------------------------------------------
// Standalone Asio: asio::thread_pool(workers) and asio::post. asio::thread_pool cannot wait for
// idleness and stay usable (its wait() joins the threads), so drain() polls per-thread completion
// counters every 50 us: at most that much is added to a measurement of hundreds of milliseconds.

#if POOLIFY_BENCH_HAVE_ASIO
struct AsioDoneTag {};

class AsioPeer {
 public:
  static constexpr const char* name = "asio";

  explicit AsioPeer(std::size_t workers) : pool_(workers), done_base_(Done::total().count) {}
  AsioPeer(const AsioPeer&) = delete;
  AsioPeer& operator=(const AsioPeer&) = delete;
  ~AsioPeer() {
    drain();
    pool_.join();
  }

  template <class Body>
  void context(Body&& body) {
    std::forward<Body>(body)();
  }

  template <class F>
  void post(F&& f) {
    ++posted_;
    asio::post(pool_, Counted<std::decay_t<F>>{std::forward<F>(f)});
  }

  template <class F>
  auto submit(F&& f) -> std::future<std::invoke_result_t<std::decay_t<F>&>> {
    using R = std::invoke_result_t<std::decay_t<F>&>;
    std::packaged_task<R()> task(std::forward<F>(f));
    std::future<R> future = task.get_future();
    post(std::move(task));
    return future;
  }

  void drain() {
    while (Done::total().count - done_base_ < posted_) std::this_thread::sleep_for(std::chrono::microseconds(50));
  }

  void finish_submitting() {}

 private:
  using Done = PerThreadCounters<AsioDoneTag>;
  template <class F>
  struct Counted {
    F function;
    void operator()() {
      function();
      Done::add(1);
    }
  };

  asio::thread_pool pool_;
  std::uint64_t done_base_;
  std::uint64_t posted_ = 0;
};
#endif

// ------------------------------------------------------------------------------------------------

template <class... P>
struct PeerList {
  /// Calls `f.template operator()<Peer>()` for each peer.
  template <class F>
  static void for_each(F&& f) {
    (f.template operator()<P>(), ...);
  }
};

/// The peers this build has, in the order of the report's columns.
using Peers = PeerList<
#if POOLIFY_BENCH_HAVE_TBB
    TbbPeer,
#endif
#if POOLIFY_BENCH_HAVE_ASIO
    AsioPeer,
#endif
    TextbookPool>;

/// "name version" of each peer found at configure time.
inline std::vector<std::string> found_peers() {
  std::vector<std::string> found;
#if POOLIFY_BENCH_HAVE_TBB
  found.push_back(std::string("tbb ") + TBB_VERSION_STRING);
#endif
#if POOLIFY_BENCH_HAVE_ASIO
  found.push_back("asio " + std::to_string(ASIO_VERSION / 100000) + "." + std::to_string(ASIO_VERSION / 100 % 1000) +
                  "." + std::to_string(ASIO_VERSION % 100));
#endif
  found.emplace_back("textbook (in benchmarks/peers.hpp)");
  return found;
}

/// The peers not found at configure time, with what provides them.
inline std::vector<std::string> skipped_peers() {
  std::vector<std::string> skipped;
#if !POOLIFY_BENCH_HAVE_TBB
  skipped.emplace_back("tbb (oneTBB not found or POOLIFY_BENCH_WITH_TBB=OFF; apt-get install libtbb-dev)");
#endif
#if !POOLIFY_BENCH_HAVE_ASIO
  skipped.emplace_back("asio (standalone asio.hpp not found or POOLIFY_BENCH_WITH_ASIO=OFF; apt-get install libasio-dev)");
#endif
  return skipped;
}

}  // namespace bench
