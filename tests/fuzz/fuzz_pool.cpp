// libFuzzer target: the input bytes become a pool (fixed or dynamic, 0-3 nodes) and sequences of
// pool operations run from 1 to 4 threads at once: execute (returning, throwing, nested with a
// helping wait, cancelling itself, with a token already stopped), map_execute, cancel, get,
// info(), strategy and queue options, destroy (with or without a timeout) / start, wait_idle. Built with
// -fsanitize=fuzzer,address,undefined (tools/fuzz.sh). It aborts when a promise breaks: a future
// not resolved once destroy() returned, an outcome a task of that kind cannot have, a value that
// is not the task's.
#include <poolify/poolify.hpp>

#include <chrono>      // std::chrono::milliseconds
#include <cstddef>     // std::size_t
#include <cstdint>     // std::uint8_t, std::uint32_t
#include <cstdio>      // std::fprintf
#include <cstdlib>     // std::abort
#include <exception>   // std::exception_ptr
#include <memory>      // std::shared_ptr
#include <stdexcept>   // std::runtime_error
#include <stop_token>  // std::stop_source, std::stop_token
#include <thread>      // std::thread
#include <utility>     // std::move
#include <vector>      // std::vector

namespace {

enum Kind : std::uint8_t { ok, fail, nested, self_cancel, kinds };

struct Job {
  Kind kind = ok;
  std::uint32_t value = 0;
  std::shared_ptr<std::stop_source> source;  // self_cancel: the source of the task's own token
};

using FuzzPool = poolify::Pool<Job, std::uint32_t>;

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "fuzz_pool: broken promise: %s\n", what);
  std::abort();
}

/// The task function. nested submits a child and waits for it (a helping wait on the worker).
struct Runner {
  FuzzPool** pool;
  std::uint32_t operator()(Job job, std::stop_token token) const {
    switch (job.kind) {
      case fail: throw std::runtime_error("task failed");
      case nested: return (*pool)->execute(Job{ok, job.value + 1, nullptr}).get() + 1;
      case self_cancel:
        if (job.source) job.source->request_stop();  // a cancel while running: the outcome stands
        return token.stop_requested() ? job.value : job.value;
      default: return job.value;
    }
  }
};

/// A future with what its task was.
struct Pending {
  Job job;
  poolify::Future<std::uint32_t> future;
};

/// Checks a done future's outcome against its task's kind.
void check_outcome(Pending& pending) {
  if (!pending.future.valid()) return;
  try {
    const std::uint32_t value = pending.future.get();
    const std::uint32_t expected = pending.job.kind == nested ? pending.job.value + 2 : pending.job.value;
    if (pending.job.kind == fail) broken("a throwing task returned a value");
    if (value != expected) broken("a task returned a value that is not its own");
  } catch (const poolify::TaskCancelled&) {
  } catch (const poolify::TaskAbandoned&) {
  } catch (const poolify::PoolError&) {
    if (pending.job.kind != nested) broken("a PoolError from a task that submits nothing");
  } catch (const std::runtime_error&) {
    if (pending.job.kind != fail) broken("an exception from a task that does not throw");
  } catch (...) {
    broken("an exception of a type no task throws");
  }
}

/// Reads the input a byte at a time (0 once it is used up).
struct Bytes {
  const std::uint8_t* data;
  std::size_t size;
  std::size_t at = 0;
  [[nodiscard]] bool more() const { return at < size; }
  std::uint8_t next() { return at < size ? data[at++] : 0; }
};

void drive(FuzzPool& pool, Bytes bytes) {
  std::vector<Pending> mine;
  std::vector<poolify::Future<std::vector<std::uint32_t>>> maps;
  const auto submit = [&](Job job, const std::stop_token* token) {
    try {
      poolify::Future<std::uint32_t> future = token != nullptr ? pool.execute(job, "", *token) : pool.execute(job);
      mine.push_back(Pending{std::move(job), std::move(future)});
    } catch (const poolify::PoolError&) {  // not started, or being destroyed: refused at the call
    }
  };
  while (bytes.more()) {
    const std::uint8_t op = bytes.next();
    const std::uint8_t arg = bytes.next();
    switch (op % 14) {
      case 0:
      case 1:
      case 2:
        submit(Job{static_cast<Kind>(op % 3), arg, nullptr}, nullptr);
        break;
      case 3: {
        auto source = std::make_shared<std::stop_source>();
        const std::stop_token token = source->get_token();
        submit(Job{self_cancel, arg, std::move(source)}, &token);
        break;
      }
      case 4: {  // a token already stopped: TaskCancelled at once, nothing queued
        std::stop_source source;
        source.request_stop();
        const std::stop_token token = source.get_token();
        const std::size_t before = mine.size();
        submit(Job{ok, arg, nullptr}, &token);
        if (mine.size() > before) {
          if (!mine.back().future.ready()) broken("a task submitted with a stopped token is not resolved at once");
          try {
            mine.back().future.get();
            broken("a task submitted with a stopped token ran");
          } catch (const poolify::TaskCancelled&) {
          }
        }
        break;
      }
      case 5:
        if (!mine.empty()) mine[arg % mine.size()].future.valid() ? (void)mine[arg % mine.size()].future.cancel() : (void)0;
        break;
      case 6:
        if (!mine.empty()) check_outcome(mine[arg % mine.size()]);
        break;
      case 7: {
        const poolify::PoolInfo info = pool.info();
        if (info.worker_nodes > info.max_size) broken("more nodes than the maximum");
        if (info.busy_worker_nodes + info.idle_worker_nodes > info.worker_nodes) broken("nodes counted twice");
        break;
      }
      case 8:
        try {
          pool.set_worker_choice_strategy(static_cast<poolify::WorkerChoiceStrategy>(arg % 7));
        } catch (const std::exception&) {
        }
        break;
      case 9:
        try {
          if (arg % 4 == 0) {
            pool.enable_tasks_queue(arg % 8 != 0);
          } else {
            pool.set_tasks_queue_options({.size = static_cast<std::size_t>(arg % 8) + 1,
                                          .task_stealing = (arg & 16) != 0,
                                          .tasks_stealing_on_back_pressure = (arg & 32) != 0,
                                          .tasks_finished_timeout = std::chrono::milliseconds(arg % 3)});
          }
        } catch (const std::exception&) {
        }
        break;
      case 10:
        try {
          // destroy(timeout) may leave running tasks running (their futures resolve later); with
          // nothing left running it promises what destroy() does.
          const std::size_t left = (arg & 1U) != 0 ? pool.destroy(std::chrono::milliseconds(arg % 3)) : (pool.destroy(), 0);
          for (Pending& pending : mine) {
            if (left == 0 && pending.future.valid() && !pending.future.ready()) broken("a future left unresolved by destroy()");
          }
        } catch (const poolify::PoolError&) {  // already destroyed, or being destroyed by another thread
        }
        break;
      case 11:
        try {
          pool.start();
        } catch (const poolify::PoolError&) {
        }
        break;
      case 12:
        pool.wait_idle();
        break;
      default: {
        std::vector<Job> jobs;
        for (std::uint8_t i = 0; i < arg % 5; ++i) jobs.push_back(Job{ok, static_cast<std::uint32_t>(arg + i), nullptr});
        try {
          maps.push_back(pool.map_execute(std::move(jobs)));
        } catch (const poolify::PoolError&) {
        }
        break;
      }
    }
  }
  for (Pending& pending : mine) check_outcome(pending);
  for (auto& map : maps) {
    try {
      (void)map.get();
    } catch (const poolify::TaskCancelled&) {
    } catch (const poolify::TaskAbandoned&) {
    } catch (...) {
      broken("map_execute of returning tasks failed with another exception");
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint8_t shape = data[0];
  const std::size_t threads = 1 + (shape & 3U);
  FuzzPool* self = nullptr;
  poolify::PoolOptions options{.tasks_queue_options = {.tasks_finished_timeout = std::chrono::milliseconds(1)},
                               .max_inactive_time = std::chrono::milliseconds(5),
                               .error_handler = [](std::exception_ptr) {}};
  std::unique_ptr<FuzzPool> pool;
  if ((shape & 4U) != 0) {
    pool = std::make_unique<poolify::DynamicPool<Job, std::uint32_t>>(0, 2 + ((shape >> 3) & 1U), Runner{&self}, options);
  } else {
    pool = std::make_unique<poolify::FixedPool<Job, std::uint32_t>>(1 + ((shape >> 3) % 3U), Runner{&self}, options);
  }
  self = pool.get();
  pool->on(poolify::PoolEvent::task_error, [](const poolify::Event&) { throw std::runtime_error("listener"); });
  // The rest of the input, cut into one contiguous slice per thread.
  const std::uint8_t* ops = data + 1;
  const std::size_t length = size - 1;
  std::vector<std::thread> drivers;
  for (std::size_t t = 0; t < threads; ++t) {
    const std::size_t begin = length * t / threads;
    const std::size_t end = length * (t + 1) / threads;
    drivers.emplace_back([&pool, ops, begin, end] { drive(*pool, Bytes{ops + begin, end - begin}); });
  }
  for (std::thread& driver : drivers) driver.join();
  try {
    pool->destroy();
  } catch (const poolify::PoolError&) {
  }
  return 0;
}
