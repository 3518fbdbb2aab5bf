#include <poolify/poolify.hpp>

#include <deque>   // std::deque, the model the ring deque is checked against
#include <random>  // std::mt19937
#include <vector>  // std::vector

#include "catch.hpp"

using poolify::detail::RingDeque;

TEST_CASE("the ring deque pops from the front in FIFO order and from the back in LIFO order", "[ring_deque]") {
  RingDeque<int> deque;
  CHECK(deque.empty());
  for (int i = 0; i < 5; ++i) deque.push_back(i);
  CHECK(deque.size() == 5);
  CHECK(deque.pop_front() == 0);
  CHECK(deque.pop_back() == 4);
  CHECK(deque.pop_front() == 1);
  CHECK(deque.pop_back() == 3);
  CHECK(deque.pop_front() == 2);
  CHECK(deque.empty());
}

TEST_CASE("the ring deque keeps its order when it grows while wrapped around", "[ring_deque]") {
  RingDeque<int> deque;
  for (int i = 0; i < 60; ++i) deque.push_back(i);
  for (int i = 0; i < 50; ++i) CHECK(deque.pop_front() == i);
  for (int i = 60; i < 300; ++i) deque.push_back(i);  // wraps, then grows past 64 and 128
  std::vector<int> drained;
  deque.drain([&drained](int value) { drained.push_back(value); });
  REQUIRE(drained.size() == 250);
  for (int i = 0; i < 250; ++i) CHECK(drained[static_cast<std::size_t>(i)] == i + 50);
  CHECK(deque.empty());
}

TEST_CASE("the ring deque behaves like std::deque under random operations", "[ring_deque]") {
  RingDeque<int> deque;
  std::deque<int> model;
  std::mt19937 random(12345);
  int next = 0;
  for (int step = 0; step < 100000; ++step) {
    const unsigned operation = random() % 5;
    if (operation < 3 || model.empty()) {
      deque.push_back(next);
      model.push_back(next++);
    } else if (operation == 3) {
      REQUIRE(deque.pop_front() == model.front());
      model.pop_front();
    } else {
      REQUIRE(deque.pop_back() == model.back());
      model.pop_back();
    }
    REQUIRE(deque.size() == model.size());
  }
  RingDeque<int> moved(std::move(deque));
  CHECK(moved.size() == model.size());
  CHECK(deque.empty());  // NOLINT(bugprone-use-after-move): a moved-from deque is empty
}
