/// @file map_state.hpp
/// @brief The shared state of a `map_execute`: one result made of many tasks.
#pragma once

#include <poolify/detail/task_state.hpp>
#include <poolify/future.hpp>
#include <poolify/version.hpp>

#include <atomic>       // std::atomic
#include <cstddef>      // std::size_t
#include <exception>    // std::exception_ptr
#include <type_traits>  // std::conditional_t, std::is_void_v
#include <utility>      // std::move
#include <vector>       // std::vector

POOLIFY_NAMESPACE_BEGIN
namespace detail {

/// What `map_execute` resolves to: the responses in input order, or nothing for `void`.
template <class Response>
using MapResult = std::conditional_t<std::is_void_v<Response>, void, std::vector<Response>>;

/// The result of a `map_execute`, held by its Future and by its parts until the last one is done.
///
/// Each part (a task's Future) gets a continuation. The first part that fails resolves the whole
/// with its exception at once (fail-fast, like `Promise.all`) and cancels the others: the queued
/// ones never run, the running ones see their stop token and finish. When the last part is done
/// and none failed, the values are moved into the vector in input order. The state lives until
/// both its Future and its last part let go of it, so no part outlives what it reports to.
template <class Response>
class MapState final : public ResultState<MapResult<Response>> {
  using Base = ResultState<MapResult<Response>>;

 public:
  /// An empty state: `add` the parts, then `arm()`.
  MapState() noexcept : Base(&MapState::recycle) { this->reset_word(); }

  void reserve(std::size_t count) { parts_.reserve(count); }
  void add(Future<Response>&& part) { parts_.push_back(std::move(part)); }

  /// Watches every part; resolves at once when there are none. Returns the Future of the whole.
  /// Throws only `std::bad_alloc`, before watching anything.
  Future<MapResult<Response>> arm() {
    links_.resize(parts_.size());
    Future<MapResult<Response>> whole(this);
    remaining_.store(parts_.size(), std::memory_order_relaxed);  // before any part can be done with it
    if (parts_.empty()) {
      finish_all();
      return whole;
    }
    // Once the last part is watched, the parts may all finish and the last one clear `parts_`:
    // nothing here reads it after that.
    const std::size_t count = parts_.size();
    for (std::size_t index = 0; index < count; ++index) {
      links_[index] = Link{this, index};
      if (!parts_[index].state_->set_continuation({&MapState::on_part_done, &links_[index]})) {
        part_done(index);
      }
    }
    return whole;
  }

  /// Cancels every part, when `arm()` could not be reached (submitting a part threw).
  void cancel_parts() noexcept {
    for (Future<Response>& part : parts_) part.state_->request_cancel();
  }

 private:
  struct Link {
    MapState* state = nullptr;
    std::size_t index = 0;
  };

  static void on_part_done(void* context) noexcept {
    const Link& link = *static_cast<Link*>(context);
    link.state->part_done(link.index);
  }

  void part_done(std::size_t index) noexcept {
    ResultState<Response>& part = *parts_[index].state_;
    if (part.has_error() && !failed_.exchange(true, std::memory_order_acq_rel)) {
      if (this->try_claim()) {
        this->set_error(part.take_error());  // moved: no part is left holding what the user reads
        this->publish(false);  // the parts still hold the state
      }
      for (std::size_t other = 0; other < parts_.size(); ++other) {
        if (other != index) parts_[other].state_->request_cancel();
      }
    }
    // Acq_rel: the last part sees every other part's outcome, and the failure flag.
    if (remaining_.fetch_sub(1, std::memory_order_acq_rel) == 1) finish_all();
  }

  /// The last part is done (or there were none): resolves the whole if no part failed, lets go
  /// of the parts and of the parts' hold on the state.
  void finish_all() noexcept {
    if (!failed_.load(std::memory_order_acquire) && this->try_claim()) {
      try {
        if constexpr (std::is_void_v<Response>) {
          this->set_value();
        } else {
          std::vector<Response> values;
          values.reserve(parts_.size());
          for (Future<Response>& part : parts_) values.push_back(part.take());
          this->set_value(std::move(values));
        }
      } catch (...) {
        this->set_error(std::current_exception());  // bad_alloc, or a Response whose move threw
      }
      parts_.clear();
      this->publish(true);
      return;
    }
    parts_.clear();
    this->release(task_word::pool_ref);
  }

  static void recycle(Base* base) noexcept { delete static_cast<MapState*>(base); }

  std::vector<Future<Response>> parts_;
  std::vector<Link> links_;
  std::atomic<std::size_t> remaining_{0};
  std::atomic<bool> failed_{false};
};

}  // namespace detail
POOLIFY_NAMESPACE_END
