/// @file event_hub.hpp
/// @brief A pool's listeners and the delivery of its events.
#pragma once

#include <poolify/errors.hpp>
#include <poolify/events.hpp>
#include <poolify/version.hpp>

#include <array>               // std::array
#include <atomic>              // std::atomic, std::atomic_thread_fence
#include <condition_variable>  // std::condition_variable
#include <cstddef>             // std::size_t
#include <cstdint>             // std::uint32_t, std::uint64_t
#include <deque>               // std::deque
#include <exception>           // std::exception_ptr, std::current_exception
#include <memory>              // std::shared_ptr, std::make_shared
#include <mutex>               // std::mutex, std::unique_lock, std::lock_guard
#include <stdexcept>           // std::invalid_argument
#include <thread>              // std::this_thread::get_id, std::thread::id
#include <utility>             // std::move
#include <vector>              // std::vector, std::erase

POOLIFY_NAMESPACE_BEGIN
namespace detail {

/// The edge-triggered conditions, each with the event that starts an episode and the one that ends it.
enum class EdgeKind : std::size_t { busy, back_pressure, full };
inline constexpr std::size_t edge_kind_count = 3;

/// Holds a pool's listeners and delivers its events.
///
/// Delivery is serialized: events are queued in the order they happen, and one thread at a time
/// (the first that has one to deliver) calls the listeners, outside the lock, until the queue is
/// empty. A listener may therefore call the pool, even do something that raises another event:
/// that one is queued and delivered after the current listener returns, on the same thread. A
/// listener that throws is reported (never to the `error` event, which could loop) and delivery
/// goes on.
///
/// Cost when nobody listens: `wants()` is one relaxed load of a bit mask, and nothing else runs;
/// with `enable_events = false` the mask stays 0 forever.
class EventHub {
 public:
  using Reporter = void (*)(const void* context, std::exception_ptr error) noexcept;

  EventHub(Reporter report, const void* context) noexcept : report_(report), context_(context) {}
  EventHub(const EventHub&) = delete;
  EventHub& operator=(const EventHub&) = delete;

  [[nodiscard]] static constexpr std::uint32_t bit(PoolEvent event) noexcept {
    return std::uint32_t{1} << static_cast<std::uint32_t>(event);
  }

  /// Whether some listener waits for `event`.
  [[nodiscard]] bool wants(PoolEvent event) const noexcept {
    return (mask_.load(std::memory_order_relaxed) & bit(event)) != 0;
  }

  /// Whether some listener waits for either end of an edge.
  [[nodiscard]] bool wants(EdgeKind edge) const noexcept {
    const Edge& e = edges_[static_cast<std::size_t>(edge)];
    return (mask_.load(std::memory_order_relaxed) & (bit(e.start) | bit(e.end))) != 0;
  }

  /// Whether an episode of `edge` is under way (as last seen by `edge()`).
  [[nodiscard]] bool in_episode(EdgeKind edge) const noexcept {
    return edges_[static_cast<std::size_t>(edge)].on.load(std::memory_order_relaxed);
  }

  ListenerId add(PoolEvent event, Listener listener) {
    if (!listener) throw std::invalid_argument("poolify: a listener must not be empty");
    std::lock_guard lock(mutex_);
    const ListenerId id{next_id_++};
    listeners_.push_back(Slot{id, event, std::make_shared<const Listener>(std::move(listener))});
    publish_mask();
    return id;
  }

  bool remove(ListenerId id) {
    std::lock_guard lock(mutex_);
    for (auto slot = listeners_.begin(); slot != listeners_.end(); ++slot) {
      if (slot->id != id) continue;
      listeners_.erase(slot);
      publish_mask();
      // An edge nobody listens to any more is no longer followed: start it afresh next time.
      for (Edge& edge : edges_) {
        if ((mask_.load(std::memory_order_relaxed) & (bit(edge.start) | bit(edge.end))) == 0) {
          edge.on.store(false, std::memory_order_relaxed);
        }
      }
      return true;
    }
    return false;
  }

  /// Queues the event `make()` builds if someone listens to `kind`, and delivers it (or leaves it
  /// to the thread delivering now).
  template <class MakeEvent>
  void emit(PoolEvent kind, MakeEvent&& make) {
    if (!wants(kind)) return;
    Event event = make();
    event.kind = kind;
    std::unique_lock lock(mutex_);
    pending_.push_back(Pending{next_seq_++, std::move(event)});
    deliver(lock);
  }

  /// A place in the order of events, taken before the event can be built (see `reserve()`).
  struct Ticket {
    std::uint64_t seq;
  };

  /// Takes the next place in the order for an event built later with `fulfil()`: a `flush()` that
  /// starts after this call waits for it. The pool takes one for `task_error` before the task
  /// counts as finished, so that `wait_idle()` returns only once its listeners have run.
  [[nodiscard]] Ticket reserve() {
    std::lock_guard lock(mutex_);
    const Ticket ticket{next_seq_++};
    reserved_.push_back(ticket.seq);
    return ticket;
  }

  /// Queues the event `make()` builds in the place of `ticket` (or gives the place up if nobody
  /// listens to `kind` any more or `make()` throws, which is rethrown) and delivers it.
  template <class MakeEvent>
  void fulfil(Ticket ticket, PoolEvent kind, MakeEvent&& make) {
    Event event;
    bool made = false;
    std::exception_ptr failure;
    if (wants(kind)) {
      try {
        event = make();
        event.kind = kind;
        made = true;
      } catch (...) {
        failure = std::current_exception();
      }
    }
    std::unique_lock lock(mutex_);
    std::erase(reserved_, ticket.seq);
    if (made) {
      pending_.push_back(Pending{ticket.seq, std::move(event)});
      deliver(lock);
    } else {
      delivered_.notify_all();
    }
    lock.unlock();
    if (failure) std::rethrow_exception(failure);
  }

  /// Follows `edge`: when `condition()` differs from the episode flag, flips the flag and emits the
  /// start or end event with the info `snapshot()` gives. Several threads may call it at once:
  /// flips are serialized and re-checked, so the events alternate and none is missed. The caller
  /// makes the change the condition reads first; the fence here orders that change before the
  /// flag is read, against the flag's store before the re-check of a thread flipping it.
  template <class Condition, class Snapshot>
  void edge(EdgeKind which, Condition&& condition, Snapshot&& snapshot) {
    Edge& e = edges_[static_cast<std::size_t>(which)];
    for (;;) {
      std::atomic_thread_fence(std::memory_order_seq_cst);
      if (condition() == e.on.load(std::memory_order_relaxed)) return;
      std::unique_lock lock(mutex_);
      const bool now = condition();
      if (now == e.on.load(std::memory_order_relaxed)) return;  // flipped by another thread, which re-checks
      e.on.store(now, std::memory_order_relaxed);
      const PoolEvent kind = now ? e.start : e.end;
      if (wants(kind)) {
        pending_.push_back(Pending{next_seq_++, Event{kind, snapshot(), nullptr, {}, {}}});
      }
      deliver(lock);
    }
  }

  /// Forgets every episode (the pool starts again).
  void reset_edges() noexcept {
    for (Edge& edge : edges_) edge.on.store(false, std::memory_order_relaxed);
  }

  /// Waits until every event raised (or reserved) before the call is delivered, unless the calling
  /// thread is the one delivering (a listener calling `destroy()` or `wait_idle()`): its loop
  /// delivers them once the listener returns. Events raised during the wait are not waited for, so
  /// other threads raising events cannot hold it up for ever.
  void flush() {
    std::unique_lock lock(mutex_);
    if (delivering_ && deliverer_ == std::this_thread::get_id()) return;
    const std::uint64_t target = next_seq_;
    delivered_.wait(lock, [this, target] { return !outstanding_before(target); });
  }

 private:
  struct Slot {
    ListenerId id;
    PoolEvent kind;
    std::shared_ptr<const Listener> listener;
  };

  struct Pending {
    std::uint64_t seq;
    Event event;
  };

  struct Edge {
    PoolEvent start;
    PoolEvent end;
    std::atomic<bool> on{false};
  };

  /// Under the lock: delivers the queued events unless another thread is at it. Returns locked.
  void deliver(std::unique_lock<std::mutex>& lock) {
    if (delivering_) return;
    delivering_ = true;
    deliverer_ = std::this_thread::get_id();
    std::vector<std::shared_ptr<const Listener>> targets;
    while (!pending_.empty()) {
      current_ = pending_.front().seq;
      Event event = std::move(pending_.front().event);
      pending_.pop_front();
      targets.clear();
      for (const Slot& slot : listeners_) {
        if (slot.kind == event.kind) targets.push_back(slot.listener);
      }
      lock.unlock();
      for (const auto& listener : targets) {
        try {
          (*listener)(event);
        } catch (...) {
          report_(context_, std::current_exception());
        }
      }
      targets.clear();  // a listener may own resources: let go of it outside the lock
      lock.lock();
      current_ = no_event;
      delivered_.notify_all();
    }
    delivering_ = false;
    deliverer_ = std::thread::id();
    delivered_.notify_all();
  }

  /// Under the lock: whether an event placed before `target` is still queued, reserved or being
  /// delivered.
  [[nodiscard]] bool outstanding_before(std::uint64_t target) const noexcept {
    if (current_ < target) return true;
    for (const Pending& pending : pending_) {
      if (pending.seq < target) return true;
    }
    for (const std::uint64_t seq : reserved_) {
      if (seq < target) return true;
    }
    return false;
  }

  void publish_mask() noexcept {
    std::uint32_t mask = 0;
    for (const Slot& slot : listeners_) mask |= bit(slot.kind);
    mask_.store(mask, std::memory_order_relaxed);
  }

  Reporter report_;
  const void* context_;
  std::atomic<std::uint32_t> mask_{0};
  std::array<Edge, edge_kind_count> edges_{{{PoolEvent::busy, PoolEvent::busy_end, {}},
                                            {PoolEvent::back_pressure, PoolEvent::back_pressure_end, {}},
                                            {PoolEvent::full, PoolEvent::full_end, {}}}};
  std::mutex mutex_;
  std::condition_variable delivered_;
  std::vector<Slot> listeners_;
  static constexpr std::uint64_t no_event = ~std::uint64_t{0};

  std::deque<Pending> pending_;
  std::vector<std::uint64_t> reserved_;  // tickets taken and not yet fulfilled
  std::uint64_t next_seq_ = 0;           // the place of the next event
  std::uint64_t current_ = no_event;     // the place of the event being delivered
  bool delivering_ = false;
  std::thread::id deliverer_{};
  std::uint64_t next_id_ = 1;
};

}  // namespace detail
POOLIFY_NAMESPACE_END
