/// @file helping.hpp
/// @brief Helping waits: a pool worker that waits on a future runs other queued work meanwhile.
#pragma once

#include <poolify/version.hpp>

#include <algorithm>  // std::min
#include <chrono>     // std::chrono::steady_clock, std::chrono::microseconds
#include <cstddef>    // std::size_t
#include <cstdint>    // std::int64_t, std::uint64_t
#include <thread>     // std::this_thread::yield

POOLIFY_NAMESPACE_BEGIN
namespace detail {

/// What a waiting worker can do meanwhile: run one task its pool has queued. Set by a pool's
/// worker for the duration of its thread (`current_helper`).
class Helper {
 public:
  /// Runs one queued task if there is one the calling worker may run, and returns true: the
  /// newest task of the node's local deque if it was pushed at place `local_mark` or after, or of
  /// its queue if it was queued after stamp `mark` (what the waiting task submitted, or their
  /// descendants); else, when `shallow`, the node's newest task whatever its age, or one stolen
  /// from the most loaded node.
  virtual bool help_once(std::uint64_t mark, std::int64_t local_mark, bool shallow) noexcept = 0;

 protected:
  Helper() = default;
  ~Helper() = default;
  Helper(const Helper&) = default;
  Helper& operator=(const Helper&) = default;
};

/// The helper of the calling thread when it is a pool's worker, else null.
inline thread_local Helper* current_helper = nullptr;
/// The stamp of the worker's node's queue when the task it runs began: tasks queued on the node
/// after it are that task's (or their descendants'). Set by the pool around each task.
inline thread_local std::uint64_t current_mark = 0;
/// The same for the node's local deque: its place when the task began (see `WorkerNode::local_mark`).
inline thread_local std::int64_t current_local_mark = 0;
/// How many helping waits are nested on the calling thread's stack.
inline thread_local std::size_t helping_depth = 0;

/// Each nested helping wait runs a task on the same stack, and the stack is finite. Up to this
/// depth a waiting worker runs any task it can find (older tasks of its node, tasks stolen from
/// other nodes: whole unrelated subtrees may then nest on its stack)...
inline constexpr std::size_t max_shallow_depth = 128;
/// ...up to this one only tasks queued on its node since the waiting task began (what it
/// submitted, and their descendants: the nesting of the user's own recursion). Beyond, it waits
/// without helping, looking again every millisecond at most; other workers still steal from it.
inline constexpr std::size_t max_helping_depth = 1024;

/// Waits until `state.is_done()`, running queued work of the calling worker's pool meanwhile when
/// there is some; otherwise sleeps on the state for a short while, doubling up to 1 ms, and looks
/// again (work may arrive that only this worker can run, and another worker may not be able to
/// tell it). Called on a worker thread only.
template <class State>
void help_until_done(const State& state) noexcept {
  Helper* helper = current_helper;
  if (helper == nullptr) {
    state.wait();
    return;
  }
  const bool may_help = helping_depth < max_helping_depth;
  const bool shallow = helping_depth < max_shallow_depth;
  const std::uint64_t mark = current_mark;
  const std::int64_t local_mark = current_local_mark;
  ++helping_depth;
  // Nothing to run: look again after a yield, a few times (the awaited task or new work often
  // comes within microseconds, and a yield gives the core to whoever needs it), then nap.
  constexpr int yields = 64;
  int idle_rounds = 0;
  auto nap = std::chrono::microseconds(20);
  while (!state.is_done()) {
    if (may_help && helper->help_once(mark, local_mark, shallow)) {
      idle_rounds = 0;
      nap = std::chrono::microseconds(20);
      continue;
    }
    if (idle_rounds < yields) {
      ++idle_rounds;
      std::this_thread::yield();
      continue;
    }
    if (state.wait_until(std::chrono::steady_clock::now() + nap)) break;
    nap = std::min<std::chrono::microseconds>(nap * 2, std::chrono::microseconds(1000));
  }
  --helping_depth;
}

}  // namespace detail
POOLIFY_NAMESPACE_END
