#include <poolify/poolify.hpp>

#include <atomic>  // std::atomic
#include <latch>   // std::latch
#include <set>     // std::set
#include <thread>  // std::thread
#include <vector>  // std::vector

#include "catch.hpp"

namespace {

struct Node {
  Node* recycle_next_ = nullptr;
  Node* recycle_tail_ = nullptr;
  std::atomic<int> owners{0};
};

using Recycler = poolify::detail::Recycler<Node>;

/// Gives every node from a thread that then exits, so that they all reach the shared list.
void give_from_an_exiting_thread(std::vector<Node>& nodes) {
  std::thread giver([&] {
    for (auto& node : nodes) Recycler::instance().give(&node);
  });
  giver.join();
}

}  // namespace

TEST_CASE("the recycler hands back what it was given, each node once", "[recycler]") {
  Recycler& recycler = Recycler::instance();
  CHECK(recycler.take() == nullptr);
  std::vector<Node> nodes(3);
  for (auto& node : nodes) recycler.give(&node);
  std::set<Node*> taken;
  for (int i = 0; i < 3; ++i) taken.insert(recycler.take());
  CHECK(taken == std::set<Node*>{&nodes[0], &nodes[1], &nodes[2]});
  CHECK(recycler.take() == nullptr);
}

TEST_CASE("the recycler never hands one node to two takers at once", "[recycler]") {
  Recycler& recycler = Recycler::instance();
  std::vector<Node> nodes(64);
  for (auto& node : nodes) recycler.give(&node);
  constexpr int threads = 4;
  std::latch go(threads);
  std::atomic<int> doubles{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      go.arrive_and_wait();
      for (int i = 0; i < 20000; ++i) {
        Node* node = recycler.take();
        if (node == nullptr) continue;
        if (node->owners.fetch_add(1) != 0) ++doubles;
        node->owners.fetch_sub(1);
        recycler.give(node);
      }
    });
  }
  for (auto& worker : workers) worker.join();
  CHECK(doubles == 0);
  int count = 0;
  while (recycler.take() != nullptr) ++count;
  CHECK(count == 64);
}

TEST_CASE("task memory is reused: a steady stream of tasks stays within a small set of task states",
          "[recycler][pool]") {
  // Each task reports the address of its own argument, which lives inside its task state.
  poolify::FixedPool<int, const int*> pool(1, [](const int& value) { return &value; });
  std::set<const int*> addresses;
  for (int i = 0; i < 10000; ++i) addresses.insert(pool.execute(i).get());
  CHECK(addresses.size() <= 4);
}

TEST_CASE("a thread takes back what it gave first, from its own cache", "[recycler]") {
  Recycler& recycler = Recycler::instance();
  Node a;
  Node b;
  recycler.give(&a);
  recycler.give(&b);
  CHECK(recycler.take() == &b);
  CHECK(recycler.take() == &a);
  CHECK(recycler.take() == nullptr);
}

TEST_CASE("what an exiting thread kept goes to the shared list, and a full cache spills", "[recycler]") {
  Recycler& recycler = Recycler::instance();
  std::vector<Node> nodes(1000);  // more than one thread's cache holds
  give_from_an_exiting_thread(nodes);
  std::set<Node*> taken;
  while (Node* node = recycler.take()) taken.insert(node);
  CHECK(taken.size() == nodes.size());
}

TEST_CASE("a thread that took from the shared list hands back what it did not use when it exits", "[recycler]") {
  // A taker grabs the whole shared list at once; a thread that only takes (a submitter whose
  // futures workers release) must not lose the rest when it exits.
  Recycler& recycler = Recycler::instance();
  std::vector<Node> nodes(1000);
  give_from_an_exiting_thread(nodes);
  Node* used = nullptr;
  std::thread taker([&] { used = recycler.take(); });
  taker.join();
  REQUIRE(used != nullptr);
  std::set<Node*> taken;
  while (Node* node = recycler.take()) taken.insert(node);
  CHECK(taken.size() == nodes.size() - 1);
  CHECK(taken.count(used) == 0);
}

TEST_CASE("a taker keeps at most a small batch of the shared list: other threads get the rest", "[recycler]") {
  // A burst's task states must serve whichever thread submits next, not sit with one thread.
  Recycler& recycler = Recycler::instance();
  std::vector<Node> nodes(1000);
  give_from_an_exiting_thread(nodes);
  std::latch took(1);
  std::latch done(1);
  Node* used = nullptr;
  std::thread taker([&] {
    used = recycler.take();
    took.count_down();
    done.wait();  // alive, holding what it took, while the main thread takes
  });
  took.wait();
  std::set<Node*> taken;
  while (Node* node = recycler.take()) taken.insert(node);
  CHECK(taken.size() >= nodes.size() - 256);  // a batch is at most a thread's cache
  done.count_down();
  taker.join();
  while (Node* node = recycler.take()) taken.insert(node);  // what the taker handed back at its exit
  CHECK(taken.size() == nodes.size() - 1);
  CHECK(taken.count(used) == 0);
}
