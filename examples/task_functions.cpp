// task_functions: one pool, several named task functions. Calls them by name, adds one at runtime
// with a priority and an affinity (it may run only on node 1), changes the default, removes one,
// lists them, and prints how many tasks of each function every node ran.
#include <poolify/poolify.hpp>

#include <cstdio>     // std::printf
#include <stdexcept>  // std::invalid_argument
#include <string>     // std::string
#include <vector>     // std::vector

int main() {
  // The first task function is the default one.
  poolify::FixedPool<int, int> pool(2, {{"square", [](int x) { return x * x; }},
                                        {"negate", [](int x) { return -x; }}});
  bool ok = pool.execute(7).get() == 49;            // the default: "square"
  ok = ok && pool.execute(7, "negate").get() == -7;  // by name

  // Added at runtime: runs first among queued tasks (priority -5) and only on node 1.
  pool.add_task_function("triple", [](int x) { return 3 * x; }, {.priority = -5, .worker_node_keys = {1}});
  std::vector<poolify::Future<int>> triples;
  for (int i = 0; i < 100; ++i) triples.push_back(pool.execute(i, "triple"));
  int sum = 0;
  for (auto& future : triples) sum += future.get();
  ok = ok && sum == 3 * 4950;

  pool.set_default_task_function("negate");
  ok = ok && pool.execute(5).get() == -5;  // "default" now means "negate"

  pool.remove_task_function("square");
  try {
    (void)pool.execute(1, "square");
    ok = false;
  } catch (const std::invalid_argument& error) {
    std::printf("removed: %s\n", error.what());  // Task function 'square' not found
  }

  for (const poolify::TaskFunctionInfo& function : pool.list_task_functions_properties()) {
    std::printf("task function %-8s priority %3d\n", function.name.c_str(), function.properties.priority);
  }
  pool.wait_idle();
  for (const poolify::WorkerNodeInfo& node : pool.worker_nodes()) {
    for (const poolify::TaskFunctionUsage& usage : node.task_functions) {
      std::printf("node %zu ran %3llu tasks of %s\n", node.id, static_cast<unsigned long long>(usage.tasks.executed),
                  usage.name.c_str());
      if (usage.name == "triple" && node.id == 0 && usage.tasks.executed != 0) ok = false;  // affinity
    }
  }
  std::printf(ok ? "task functions ok\n" : "task functions FAILED\n");
  return ok ? 0 : 1;
}
