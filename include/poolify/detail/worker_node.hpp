/// @file worker_node.hpp
/// @brief A worker node: a thread, a deque-based task queue and usage counters.
#pragma once

#include <poolify/detail/function_usage.hpp>
#include <poolify/detail/futex.hpp>
#include <poolify/detail/local_deque.hpp>
#include <poolify/detail/node_usage.hpp>
#include <poolify/detail/ring_deque.hpp>
#include <poolify/detail/spinlock.hpp>
#include <poolify/detail/task_state.hpp>
#include <poolify/version.hpp>

#include <atomic>      // std::atomic
#include <chrono>      // std::chrono::steady_clock
#include <cmath>       // std::pow
#include <cstddef>     // std::size_t
#include <cstdint>     // std::int32_t, std::uint32_t, std::uint64_t
#include <memory>      // std::shared_ptr
#include <mutex>       // std::lock_guard
#include <optional>    // std::optional
#include <stop_token>  // std::stop_source
#include <thread>      // std::jthread

POOLIFY_NAMESPACE_BEGIN
namespace detail {

/// How queued tasks are ordered when some task function has a priority (poolifier's aging).
struct PriorityOrder {
  double aging_factor = 0.001;       ///< Priority points a queued task gains per ms.
  double load_exponent = 2.0 / 3.0;  ///< How much a long queue speeds aging up.
};

/// How far back from the newest a prioritized task may be placed (poolifier's bucket size):
/// bounds the cost of one push, and keeps the tasks queued before that in their order.
inline constexpr std::size_t priority_window = 2048;

/// One worker node. The pool keeps its nodes for its whole life (a node is reused when the pool is
/// started again), so a submitter holding a node never finds it gone.
template <class Data, class Response>
class WorkerNode {
 public:
  using Task = TaskState<Data, Response>;

  explicit WorkerNode(std::size_t id) : id_(id) {}
  WorkerNode(const WorkerNode&) = delete;
  WorkerNode& operator=(const WorkerNode&) = delete;

  [[nodiscard]] std::size_t id() const noexcept { return id_; }

  /// What `push` did.
  enum class Pushed {
    refused,        ///< The node is closed (the pool is being destroyed): the task was not queued.
    queued,         ///< Queued.
    queued_to_busy  ///< Queued behind other work while other nodes sleep: wake one of them to steal it.
  };

  /// Queues a task, waking the worker if it sleeps. `sleepers` is the pool's count of sleeping
  /// workers that would steal (0 when stealing is off): it is read under the queue lock, which a
  /// worker going to sleep takes after counting itself, so that either the worker sees this task
  /// or this push sees the worker.
  ///
  /// With `order` (some task function has a priority), the task is placed by effective priority:
  /// priority - age x aging_factor x (1 + ((queued + 1) / 2048)^load_exponent), lower first, FIFO
  /// among equals, at most `priority_window` places before the newest; `task->submitted_ms` must
  /// be stamped. Without, it goes to the back: queues pay nothing for priorities nobody uses.
  /// `queued_after` receives the queue's length once the task is in.
  Pushed push(Task* task, const std::atomic<std::uint32_t>& sleepers, const PriorityOrder* order,
              std::uint64_t& queued_after) {
    bool asleep = false;
    bool behind_work = false;
    {
      std::lock_guard lock(queue_lock_);
      if (closed_) return Pushed::refused;
      if (order == nullptr) {
        queue_.push_back(task);  // may throw std::bad_alloc: nothing was changed then
      } else {
        queue_.insert(priority_place(*task, *order), task);  // the same
      }
      stamp(*task);
      queued_after = publish_length();
      bump<std::memory_order_release>(usage.submitted);
      asleep = take_sleeper();
      // The local deque counts too: a task behind the worker's own subtasks waits as well.
      behind_work = !asleep && worth_stealing(queue_.size() + local_queued()) &&
                    sleepers.load(std::memory_order_relaxed) != 0;
    }
    if (asleep) wake_one(usage.sleeping);
    return behind_work ? Pushed::queued_to_busy : Pushed::queued;
  }

  /// For the worker, between tasks: the oldest queued task or the oldest of its local deque (the
  /// tasks its own tasks submitted here and did not wait for), in turns when both have some, so
  /// that neither waits for the other to run dry; or nullptr. The node counts as executing from
  /// here, under the lock, so that a submitter queueing behind this task sees it busy (see `push`).
  Task* pop() noexcept {
    const bool local_first = prefer_local_ && local_queued() != 0;
    if (!local_first && usage.queued.load(std::memory_order_relaxed) != 0) {
      std::lock_guard lock(queue_lock_);
      if (!queue_.empty()) {
        if (!prefer_local_) prefer_local_ = true;
        return pop_front_locked();
      }
    }
    if (local_queued() == 0) return nullptr;
    {
      // Executing before the deque is shorter (for `in_flight`), and under the lock (for `push`).
      std::lock_guard lock(queue_lock_);
      usage.executing.store(1, std::memory_order_release);
    }
    if (Task* task = local_.steal_until_empty()) {
      prefer_local_ = false;
      return task;
    }
    std::lock_guard lock(queue_lock_);
    if (!queue_.empty()) return pop_front_locked();  // thieves took the local ones meanwhile
    usage.executing.store(0, std::memory_order_release);
    return nullptr;
  }

  /// The local deque holds at most this many tasks; a task submitted to a full one is queued as
  /// any other.
  static constexpr std::size_t local_capacity = 256;

  /// For the node's worker, inside one of its tasks: queues `task`, submitted by that task (or a
  /// task it waits for), on the worker's own deque, with no lock: one fence (for the wake-up, below);
  /// `refused` when the deque is full (nothing changed). Its own worker takes it back
  /// newest first while it waits (`take_local`) and oldest first between tasks (`pop`); other
  /// workers steal it oldest first, the larger share of a recursive computation.
  ///
  /// `queued_to_busy` when other workers sleep: wake one to steal it. A worker going to sleep
  /// counts itself in `sleepers`, fences, then looks at this deque (see `park`); the push stores
  /// the task, fences, then reads `sleepers`: either the sleeper sees the task or the push sees the
  /// sleeper, so a task whose submitter then blocks (on a latch, say) is never left with every
  /// other worker asleep.
  Pushed push_local(Task* task, const std::atomic<std::uint32_t>& sleepers) noexcept {
    if (local_.full()) return Pushed::refused;
    // Counted before it can be taken, so that `wait_idle` never sees it finished but not submitted.
    bump<std::memory_order_relaxed>(usage.submitted_local);
    local_.push(task);
    full_fence();
    return sleepers.load(std::memory_order_acquire) != 0 ? Pushed::queued_to_busy : Pushed::queued;
  }

  /// For the worker: the place in the local deque the next push takes; what is pushed from here
  /// on is the current task's (see `take_local`).
  [[nodiscard]] std::int64_t local_mark() const noexcept { return local_.mark(); }

  /// For a helping wait of the worker: the newest task of its local deque if it was pushed at
  /// place `floor` or after, or nullptr. The node counts as executing already.
  Task* take_local(std::int64_t floor) noexcept { return local_.take(floor); }

  /// Tasks in the local deque now (a moment old).
  [[nodiscard]] std::uint64_t local_queued() const noexcept { return local_.size(); }

  /// For destroy, once the node is closed: takes every task left in the local deque (a worker left
  /// running may still take some itself) and calls `visit(task)` on each; counts them discarded.
  template <class Visit>
  void drain_local(Visit&& visit) noexcept {
    std::uint64_t drained = 0;
    while (Task* task = local_.steal_until_empty()) {
      ++drained;
      visit(task);
    }
    if (drained == 0) return;
    std::lock_guard lock(queue_lock_);
    usage.discarded.store(usage.discarded.load(std::memory_order_relaxed) + drained, std::memory_order_release);
  }

  /// How many tasks were queued here so far: a task queued from now on gets a higher stamp.
  [[nodiscard]] std::uint64_t queued_so_far() const noexcept { return stamps_.load(std::memory_order_relaxed); }

  /// For a helping wait of the task this node's worker runs: the newest queued task if it was
  /// queued after stamp `after`, or nullptr. The node counts as executing already.
  Task* pop_newest(std::uint64_t after) noexcept {
    if (usage.queued.load(std::memory_order_relaxed) == 0) return nullptr;
    std::lock_guard lock(queue_lock_);
    if (queue_.empty() || (after != 0 && !stamped_after(queue_.back()->queue_stamp, after))) return nullptr;
    Task* task = queue_.pop_back();
    usage.queued.store(queue_.size(), std::memory_order_release);
    return task;
  }

  /// Tasks on this node now, queued or running, without the momentary gap between the end of one
  /// task and the start of the next: the queue is read first, and `pop` publishes a shorter queue
  /// only after counting the task it took as executing.
  [[nodiscard]] std::uint64_t in_flight() const noexcept {
    const std::uint64_t queued = queued_all();
    return queued + usage.executing_all();
  }

  /// Tasks queued on this node: its queue and its local deque (a moment old).
  [[nodiscard]] std::uint64_t queued_all() const noexcept {
    return usage.queued.load(std::memory_order_acquire) + local_queued();
  }

  /// Whether a thief should take work from this node: a task waits behind one that runs, or behind
  /// another queued one (a lone task on an idle node is its own worker's to take). Lock-free: a
  /// moment old.
  [[nodiscard]] bool stealable() const noexcept {
    return worth_stealing(usage.queued.load(std::memory_order_relaxed) + local_queued());
  }

  /// Whether the worker of node `thief` could steal from this node now: `stealable()` read under
  /// the queue lock (see `push`), and the newest task may run on `thief`.
  /// The local deque is looked at without the lock: its owner pushes without one (see
  /// `push_local` for why no wake-up is lost).
  [[nodiscard]] bool stealable_by(std::size_t thief) noexcept {
    if (local_queued() != 0 && stealable()) return true;
    std::lock_guard lock(queue_lock_);
    return stealable_locked() && queue_.back()->may_run_on(thief);
  }

  /// For the worker of node `thief`: if this node is worth stealing from, the oldest task of its
  /// local deque, else the newest queued task if it may run on `thief` (its task function's
  /// affinity; local tasks have none), else nullptr.
  Task* steal_for(std::size_t thief) noexcept {
    if (!stealable()) return nullptr;
    if (local_queued() != 0) {
      if (Task* task = local_.steal()) return task;
    }
    std::lock_guard lock(queue_lock_);
    if (!stealable_locked()) return nullptr;
    Task* task = queue_.back();
    if (!task->may_run_on(thief)) return nullptr;
    queue_.pop_back();
    usage.queued.store(queue_.size(), std::memory_order_relaxed);
    return task;
  }

  /// Moves this node's newest queued task to `target` (back-pressure stealing), if `target` is open,
  /// holds fewer than `below` tasks and may run the task (affinity). Both queue locks are held at
  /// once, taken in key order, so the task is never out of both queues; the submission stays
  /// counted where it was made. Wakes `target`'s worker if it sleeps. Returns the moved task's
  /// function slot (read under the locks: once out of them, the task may already have run and
  /// been recycled), or nothing.
  std::optional<std::uint32_t> transfer_newest_to(WorkerNode& target, std::uint64_t below) noexcept {
    WorkerNode& first = id_ < target.id_ ? *this : target;
    WorkerNode& second = id_ < target.id_ ? target : *this;
    bool asleep = false;
    std::uint32_t slot = 0;
    {
      std::lock_guard lock_first(first.queue_lock_);
      std::lock_guard lock_second(second.queue_lock_);
      if (queue_.size() < 2 || target.closed_ || target.queue_.size() + 1 >= below) return std::nullopt;
      Task* task = queue_.back();
      if (!task->may_run_on(target.id_)) return std::nullopt;
      try {
        target.queue_.push_back(task);
      } catch (...) {
        return std::nullopt;  // the target's queue could not grow: the task stays here
      }
      slot = task->function_slot;
      target.stamp(*task);
      queue_.pop_back();
      usage.queued.store(queue_.size(), std::memory_order_relaxed);
      target.publish_length();
      asleep = target.take_sleeper();
    }
    if (asleep) wake_one(target.usage.sleeping);
    return slot;
  }

  /// Calls `visit(task)` for each queued task, under the queue lock (submitters wait meanwhile).
  template <class Visit>
  void for_each_queued(Visit&& visit) const noexcept {
    std::lock_guard lock(queue_lock_);
    for (std::size_t index = 0; index < queue_.size(); ++index) visit(*queue_.at(index));
  }

  /// The worker runs a task it stole: it counts as executing, under the lock (see `push`).
  void mark_executing() noexcept {
    std::lock_guard lock(queue_lock_);
    usage.executing.store(1, std::memory_order_relaxed);
  }

  /// Wakes the worker if it sleeps; true if it did.
  bool wake_if_asleep() noexcept {
    if (usage.sleeping.load(std::memory_order_relaxed) == 0) return false;
    bool asleep = false;
    {
      std::lock_guard lock(queue_lock_);
      asleep = take_sleeper();
    }
    if (asleep) wake_one(usage.sleeping);
    return asleep;
  }

  /// Clears a stop asked of an earlier worker; before a new worker starts on the node.
  void clear_stop() noexcept { stopping_.store(false, std::memory_order_release); }

  /// Opens the node to tasks (it starts, or a dynamic pool brings it back); its counters go on.
  void open() {
    std::lock_guard lock(queue_lock_);
    closed_ = false;
    usage.ready.store(true, std::memory_order_release);
  }

  /// Zeroes the counters, for a new run of the pool (the node is closed and its worker gone).
  void reset_usage() noexcept {
    std::lock_guard lock(queue_lock_);
    usage.submitted.store(0, std::memory_order_relaxed);
    usage.submitted_local.store(0, std::memory_order_relaxed);
    usage.discarded.store(0, std::memory_order_relaxed);
    usage.queued.store(0, std::memory_order_relaxed);
    usage.max_queued.store(0, std::memory_order_relaxed);
    usage.completed.store(0, std::memory_order_relaxed);
    usage.executed.store(0, std::memory_order_relaxed);
    usage.failed.store(0, std::memory_order_relaxed);
    usage.coroutines_completed.store(0, std::memory_order_relaxed);
    usage.coroutines_executed.store(0, std::memory_order_relaxed);
    usage.coroutines_failed.store(0, std::memory_order_relaxed);
    usage.executing.store(0, std::memory_order_relaxed);
    usage.stolen.store(0, std::memory_order_relaxed);
    usage.sequentially_stolen.store(0, std::memory_order_relaxed);
    usage.run_time.reset();
    usage.wait_time.reset();
    usage.elu_active.reset();
    usage.elu_idle.reset();
    usage.elu_utilization.reset();
    usage.last_task_end = -1;
    functions.reset();
    last_stolen_slot = no_slot;
  }

  /// A dynamic node retires: unless `only_if_empty` finds tasks queued, it stops being ready and
  /// refuses tasks from here on (a submitter then chooses another node), all under the queue lock,
  /// and hands back the queued tasks, still counted as submitted here (see `uncount`).
  /// The local deque is empty then: only the worker pushes to it, from inside its tasks, and it
  /// empties it before it goes idle; a node with local tasks does not retire.
  std::optional<RingDeque<Task*>> retire(bool only_if_empty) noexcept {
    if (local_queued() != 0) return std::nullopt;
    std::lock_guard lock(queue_lock_);
    if (only_if_empty && !queue_.empty()) return std::nullopt;
    usage.ready.store(false, std::memory_order_release);
    closed_ = true;
    RingDeque<Task*> left;
    left.swap(queue_);
    usage.queued.store(0, std::memory_order_relaxed);
    return left;
  }

  /// `count` tasks handed back by `retire` were queued on other nodes, which count them now.
  void uncount(std::uint64_t count) noexcept {
    std::lock_guard lock(queue_lock_);
    usage.submitted.store(usage.submitted.load(std::memory_order_relaxed) - count, std::memory_order_release);
  }

  /// Refuses further tasks and hands back the queued ones (without allocating).
  RingDeque<Task*> close() noexcept {
    RingDeque<Task*> left;
    std::lock_guard lock(queue_lock_);
    closed_ = true;
    left.swap(queue_);
    usage.discarded.store(usage.discarded.load(std::memory_order_relaxed) + left.size(), std::memory_order_release);
    usage.queued.store(0, std::memory_order_relaxed);
    return left;
  }

  /// Asks the worker to exit once its queue is empty.
  void request_stop() noexcept {
    bool asleep = false;
    {
      std::lock_guard lock(queue_lock_);
      stopping_.store(true, std::memory_order_relaxed);
      asleep = take_sleeper();
    }
    if (asleep) wake_one(usage.sleeping);
  }
  [[nodiscard]] bool stop_requested() const noexcept { return stopping_.load(std::memory_order_acquire); }

  /// Why `park` returned.
  enum class Woken { work, stealable, slept, timeout };

  /// Called by the worker with nothing to do: spins a little, then sleeps until a push or a stop.
  /// `stealable_elsewhere()` says whether another node has work to steal (always false when
  /// stealing is off) and ends the wait too; `sleepers` counts the workers that sleep while
  /// stealing is on (null when it is off).
  ///
  /// The worker says it sleeps under the queue lock, after seeing the queue empty; a submitter
  /// pushes and reads that flag under the same lock. So either the submitter sees the sleeper and
  /// wakes it, or the worker sees the task: no wake-up is lost, and no fence is paid per task. The
  /// same holds for work to steal: the worker counts itself in `sleepers`, then looks at every
  /// other queue under its lock (`recheck()`), and a push reads `sleepers` under that lock.
  ///
  /// With a `deadline` (a dynamic node: its idle timeout), the sleep ends there too: `timeout`.
  template <class Stealable, class Recheck>
  Woken park(Stealable&& stealable_elsewhere, Recheck&& recheck, std::atomic<std::uint32_t>* sleepers,
             std::chrono::steady_clock::time_point deadline = std::chrono::steady_clock::time_point::max()) noexcept {
    // Spin with a growing pause between looks (exponential backoff), then yield for a while before
    // sleeping: on a machine with fewer cores than threads, a yielding worker hands its core to
    // the submitter that is about to feed it, instead of parking and needing a wake-up (a system
    // call and a context switch) a moment later. Other nodes' queues are looked at only after the
    // first rounds: a submitter usually feeds an idle node within a microsecond, and a thief that
    // takes a task from a node the submitter is pushing to costs both of them a lock handoff.
    constexpr int rounds = 8;
    constexpr int own_queue_only = 4;
    for (int round = 0, pause = 1; round < rounds; ++round, pause *= 2) {
      if (has_work_or_stop()) return Woken::work;
      if (round >= own_queue_only && stealable_elsewhere()) return Woken::stealable;
      for (int spin = 0; spin < pause; ++spin) cpu_relax();
    }
    for (int yields = 0; yields < 32; ++yields) {
      if (has_work_or_stop()) return Woken::work;
      if (stealable_elsewhere()) return Woken::stealable;
      std::this_thread::yield();
    }
    {
      std::lock_guard lock(queue_lock_);
      if (!queue_.empty() || stopping_.load(std::memory_order_relaxed)) return Woken::work;
      usage.sleeping.store(1, std::memory_order_relaxed);
    }
    if (sleepers != nullptr) {
      sleepers->fetch_add(1, std::memory_order_seq_cst);
      full_fence();  // before the look at the local deques, which their owners push to without a lock
      if (recheck()) {
        {
          std::lock_guard lock(queue_lock_);
          usage.sleeping.store(0, std::memory_order_relaxed);
        }
        sleepers->fetch_sub(1, std::memory_order_relaxed);
        return Woken::stealable;
      }
    }
    // Returns at once if a submitter already took the flag back (the word is no longer 1).
    bool timed_out = false;
    if (deadline == std::chrono::steady_clock::time_point::max()) {
      wait_on(usage.sleeping, 1);
    } else {
      timed_out = !wait_on_until(usage.sleeping, 1, deadline);
    }
    {
      // Under the lock: a submitter that took the flag back has queued a task we must see.
      std::lock_guard lock(queue_lock_);
      if (usage.sleeping.load(std::memory_order_relaxed) == 0) timed_out = false;
      usage.sleeping.store(0, std::memory_order_relaxed);  // also after a spurious wake-up
    }
    if (sleepers != nullptr) sleepers->fetch_sub(1, std::memory_order_relaxed);
    return timed_out ? Woken::timeout : Woken::slept;
  }

  static constexpr std::uint32_t no_slot = ~std::uint32_t{0};

  NodeUsage usage;                          // counters (cache-line aligned inside)
  FunctionUsageTable functions;             // per task function, while the pool has two or more
  std::uint32_t last_stolen_slot = no_slot;  // worker only: the function of the last task it stole in a row
  std::jthread thread;                      // the worker; joined by the pool
  std::shared_ptr<std::atomic<bool>> exited;  // set by the worker as its last step (see Pool::start_node)

 private:
  [[nodiscard]] bool has_work_or_stop() const noexcept {
    return usage.queued.load(std::memory_order_relaxed) != 0 || stopping_.load(std::memory_order_relaxed);
  }

  /// Under the queue lock: the oldest queued task, which the node now counts as executing.
  Task* pop_front_locked() noexcept {
    Task* task = queue_.pop_front();
    usage.executing.store(1, std::memory_order_relaxed);
    // Release: a reader that sees the shorter queue sees the node executing (see `in_flight`).
    usage.queued.store(queue_.size(), std::memory_order_release);
    // The next task's state was written by its submitter: start fetching it while this one runs.
    if (!queue_.empty()) prefetch_for_write(queue_.front());
    return task;
  }

  /// Under the queue lock: where `task` goes by effective priority (see `push`).
  [[nodiscard]] std::size_t priority_place(const Task& task, const PriorityOrder& order) const noexcept {
    const std::size_t size = queue_.size();
    const double aging = order.aging_factor *
                         (1 + std::pow(static_cast<double>(size + 1) / static_cast<double>(priority_window), order.load_exponent));
    const auto mine = static_cast<double>(task.priority);  // age 0
    std::size_t index = size;
    const std::size_t floor = size > priority_window ? size - priority_window : 0;
    while (index > floor) {
      const Task& before = *queue_.at(index - 1);
      const double theirs = static_cast<double>(before.priority) - (task.submitted_ms - before.submitted_ms) * aging;
      if (theirs <= mine) break;
      --index;
    }
    return index;
  }

  /// A task waits behind another queued one, or behind the one that runs.
  [[nodiscard]] bool worth_stealing(std::uint64_t queued) const noexcept {
    return queued >= 2 || (queued == 1 && usage.executing.load(std::memory_order_relaxed) != 0);
  }

  [[nodiscard]] bool stealable_locked() const noexcept { return worth_stealing(queue_.size()); }

  /// Whether a task stamped `stamp` was queued after the count was `mark`: the stamp keeps the
  /// count's low 32 bits, compared as serial numbers (right while fewer than 2^31 tasks are queued
  /// on the node during one wait).
  static bool stamped_after(std::uint32_t stamp, std::uint64_t mark) noexcept {
    return static_cast<std::int32_t>(stamp - static_cast<std::uint32_t>(mark)) > 0;
  }

  /// Under the queue lock: gives a task queued here the next stamp.
  void stamp(Task& task) noexcept {
    const std::uint64_t next = stamps_.load(std::memory_order_relaxed) + 1;
    stamps_.store(next, std::memory_order_relaxed);
    task.queue_stamp = static_cast<std::uint32_t>(next);
  }

  /// Under the queue lock: publishes the queue's length (and its high-water mark); returns it.
  std::uint64_t publish_length() noexcept {
    const std::uint64_t queued = queue_.size();
    if (queued > usage.max_queued.load(std::memory_order_relaxed)) usage.max_queued.store(queued, std::memory_order_relaxed);
    usage.queued.store(queued, std::memory_order_relaxed);
    return queued;
  }

  /// Under the queue lock: whether the worker sleeps, taking the flag back if so.
  bool take_sleeper() noexcept {
    if (usage.sleeping.load(std::memory_order_relaxed) == 0) return false;
    usage.sleeping.store(0, std::memory_order_relaxed);
    return true;
  }

  std::size_t id_;
  mutable Spinlock queue_lock_;  // mutable: readers of the queue take it too
  bool closed_ = true;        // guarded by queue_lock_
  RingDeque<Task*> queue_;    // guarded by queue_lock_
  LocalDeque<Task, local_capacity> local_;  // pushed and taken by the worker, stolen by anyone
  std::atomic<std::uint64_t> stamps_{0};  // written under queue_lock_; read by the worker without it
  alignas(cache_line) std::atomic<bool> stopping_{false};
  // Worker only, beside `stopping_` (written once per run): `pop` takes from the local deque next.
  // Not beside `stamps_`, which submitters write per push: `pop` writes this per task.
  bool prefer_local_ = false;
};

}  // namespace detail
POOLIFY_NAMESPACE_END
