#include <poolify/poolify.hpp>

#include <algorithm>   // std::count
#include <functional>  // std::function
#include <stdexcept>   // std::invalid_argument, std::out_of_range
#include <stop_token>  // std::stop_token
#include <string>      // std::string
#include <vector>      // std::vector

#include "catch.hpp"
#include "support.hpp"

namespace {
using Pool = poolify::FixedPool<std::string, std::size_t>;

std::size_t length(const std::string& text) { return text.size(); }
std::size_t spaces(const std::string& text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), ' '));
}

std::vector<std::string> names(const Pool& pool) {
  std::vector<std::string> list;
  for (const auto& info : pool.list_task_functions_properties()) list.push_back(info.name);
  return list;
}
}  // namespace

TEST_CASE("named task functions run by name; the first is the default", "[task_functions]") {
  Pool pool(2, {{"length", length}, {"spaces", spaces}});
  CHECK(pool.execute("a b c").get() == 5);
  CHECK(pool.execute("a b c", "length").get() == 5);
  CHECK(pool.execute("a b c", "spaces").get() == 2);
  CHECK(pool.execute("a b c", "default").get() == 5);
  CHECK(pool.execute("a b c", "").get() == 5);
  CHECK(names(pool) == std::vector<std::string>{"length", "spaces"});
}

TEST_CASE("an unknown task function name is refused at the call", "[task_functions]") {
  Pool pool(1, {{"length", length}});
  CHECK_THROWS_AS(pool.execute("x", "nope"), std::invalid_argument);
  CHECK_THROWS_WITH(pool.execute("x", "nope"), "Task function 'nope' not found");
  CHECK(pool.info().executed_tasks == 0);
}

TEST_CASE("a lone callable is the default task function, named default", "[task_functions]") {
  Pool pool(1, length);
  CHECK(names(pool) == std::vector<std::string>{"default"});
  CHECK(pool.has_task_function("default"));
  CHECK_FALSE(pool.has_task_function("length"));
}

TEST_CASE("task functions can be added, replaced, made default and removed at runtime", "[task_functions]") {
  Pool pool(2, {{"length", length}});
  CHECK(pool.add_task_function("spaces", spaces));
  CHECK(pool.has_task_function("spaces"));
  CHECK(pool.execute("a b", "spaces").get() == 1);
  CHECK(pool.add_task_function("spaces", [](const std::string&) -> std::size_t { return 99; }));
  CHECK(pool.execute("a b", "spaces").get() == 99);
  CHECK(names(pool) == std::vector<std::string>{"length", "spaces"});

  CHECK(pool.set_default_task_function("spaces"));
  CHECK(names(pool) == std::vector<std::string>{"spaces", "length"});
  CHECK(pool.execute("a b").get() == 99);
  CHECK_FALSE(pool.set_default_task_function("nope"));

  CHECK_THROWS_WITH(pool.remove_task_function("spaces"),
                    "Cannot remove the task function used as the default task function");
  CHECK(pool.remove_task_function("length"));
  CHECK_FALSE(pool.has_task_function("length"));
  CHECK_FALSE(pool.remove_task_function("length"));
  CHECK_THROWS_WITH(pool.execute("a", "length"), "Task function 'length' not found");
}

TEST_CASE("tasks queued before their function is replaced or removed still run it", "[task_functions]") {
  test::Gate gate;
  Pool pool(1, {{"block", [&gate](const std::string&) -> std::size_t {
                   gate.wait();
                   return 0;
                 }},
                {"length", length}});
  poolify::Future<std::size_t> blocker = pool.execute("");
  poolify::Future<std::size_t> queued = pool.execute("abc", "length");
  CHECK(pool.remove_task_function("length"));
  gate.open();
  CHECK(blocker.get() == 0);
  CHECK(queued.get() == 3);
}

TEST_CASE("task function names and lists are validated", "[task_functions][validation]") {
  using List = std::vector<poolify::NamedTaskFunction<std::string, std::size_t>>;
  CHECK_THROWS_WITH(Pool(1, List{}), "taskFunctions parameter object is empty");
  CHECK_THROWS_WITH(Pool(1, {{"", length}}), "name argument must not be an empty string");
  CHECK_THROWS_WITH(Pool(1, {{"a", length}, {"default", spaces}}),
                    "Cannot add a task function with the default reserved name");
  CHECK_THROWS_WITH(Pool(1, {{"a", length}, {"a", spaces}}),
                    "Cannot add a task function with a duplicated name 'a'");
  Pool pool(2, length);
  CHECK_THROWS_AS(pool.add_task_function("", spaces), std::invalid_argument);
  CHECK_THROWS_WITH(pool.add_task_function("default", spaces),
                    "Cannot add a task function with the default reserved name");
  CHECK_THROWS_WITH(pool.remove_task_function("default"),
                    "Cannot remove a task function with the default reserved name");
  CHECK_THROWS_WITH(pool.set_default_task_function("default"),
                    "Cannot set the default task function reserved name as the default task function");
  CHECK_THROWS_AS(pool.add_task_function("null", std::function<std::size_t(std::string)>()),
                  std::invalid_argument);
  CHECK(names(pool) == std::vector<std::string>{"default"});  // nothing changed by refused calls
}

TEST_CASE("task function properties are validated with poolifier's messages", "[task_functions][validation]") {
  Pool pool(2, length);
  CHECK_THROWS_AS(pool.add_task_function("p", spaces, {.priority = 20}), std::out_of_range);
  CHECK_THROWS_WITH(pool.add_task_function("p", spaces, {.priority = -21}),
                    "Property 'priority' must be between -20 and 19");
  CHECK_THROWS_WITH(pool.add_task_function("k", spaces, {.worker_node_keys = {0, 0}}),
                    "Invalid worker node keys: must not contain duplicates");
  CHECK_THROWS_WITH(pool.add_task_function("k", spaces, {.worker_node_keys = {0, 1, 2}}),
                    "Cannot add a task function with more worker node keys than the maximum number of "
                    "workers in the pool");
  CHECK_THROWS_WITH(pool.add_task_function("k", spaces, {.worker_node_keys = {1, 5}}),
                    "Cannot add a task function with invalid worker node keys: 5. Valid keys are: 0..1");
  CHECK_THROWS_AS(pool.add_task_function("k", spaces, {.worker_node_keys = std::vector<std::size_t>{}}),
                  std::out_of_range);
  CHECK_THROWS_WITH(pool.add_task_function("k", spaces, {.worker_node_keys = std::vector<std::size_t>{}}),
                    "Invalid worker node keys: must not be an empty array");
  CHECK_THROWS_WITH(pool.add_task_function("s", spaces, {.strategy = poolify::WorkerChoiceStrategy::custom}),
                    "Invalid worker choice strategy 'CUSTOM'");
  CHECK(names(pool) == std::vector<std::string>{"default"});
}

TEST_CASE("a task function taking a stop token is listed as such", "[task_functions]") {
  Pool pool(1, {{"plain", length},
                {"stoppable", [](const std::string& text, std::stop_token) { return text.size(); }}});
  const auto list = pool.list_task_functions_properties();
  REQUIRE(list.size() == 2);
  CHECK_FALSE(list[0].takes_stop_token);
  CHECK(list[1].takes_stop_token);
  CHECK(pool.execute("abcd", "stoppable").get() == 4);
}

TEST_CASE("a TaskFunction can be called directly", "[task_functions]") {
  poolify::TaskFunction<int, int> square = [](int x) { return x * x; };
  CHECK(square(7) == 49);
  CHECK_FALSE(square.takes_stop_token());
}
