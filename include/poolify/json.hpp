/// @file json.hpp
/// @brief `info()` and `worker_nodes()` as JSON text, for monitoring systems (no dependency).
///
/// Keys are poolifier's (camelCase, as its `pool.info` prints); a field `info()` leaves out (an
/// empty `std::optional`) is left out here too. Numbers that are not finite are written `null`.
///
/// @code{.cpp}
/// std::string text = poolify::to_json(pool.info());
/// @endcode
#pragma once

#include <poolify/options.hpp>
#include <poolify/statistics.hpp>
#include <poolify/version.hpp>

#include <charconv>     // std::to_chars
#include <cmath>        // std::isfinite
#include <cstddef>      // std::size_t
#include <cstdint>      // std::uint64_t
#include <optional>     // std::optional
#include <string>       // std::string
#include <string_view>  // std::string_view
#include <vector>       // std::vector

POOLIFY_NAMESPACE_BEGIN
namespace detail {

/// Writes one JSON object, member by member.
class JsonObject {
 public:
  explicit JsonObject(std::string& out) : out_(out) { out_ += '{'; }
  JsonObject(const JsonObject&) = delete;
  JsonObject& operator=(const JsonObject&) = delete;
  ~JsonObject() { out_ += '}'; }

  void string(std::string_view key, std::string_view value) {
    name(key);
    quote(out_, value);
  }
  void boolean(std::string_view key, bool value) {
    name(key);
    out_ += value ? "true" : "false";
  }
  void integer(std::string_view key, std::uint64_t value) {
    name(key);
    out_ += std::to_string(value);
  }
  void number(std::string_view key, double value) {
    name(key);
    write_number(out_, value);
  }
  template <class T>
  void optional_integer(std::string_view key, const std::optional<T>& value) {
    if (value) integer(key, static_cast<std::uint64_t>(*value));
  }
  /// Starts a member whose value the caller writes (an object or an array).
  std::string& member(std::string_view key) {
    name(key);
    return out_;
  }

  static void quote(std::string& out, std::string_view text) {
    out += '"';
    for (const char c : text) {
      switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            constexpr char hex[] = "0123456789abcdef";
            out += "\\u00";
            out += hex[(static_cast<unsigned char>(c) >> 4) & 0xF];
            out += hex[static_cast<unsigned char>(c) & 0xF];
          } else {
            out += c;
          }
      }
    }
    out += '"';
  }

  /// The shortest text that reads back as `value`; `null` if it is not finite.
  static void write_number(std::string& out, double value) {
    if (!std::isfinite(value)) {
      out += "null";
      return;
    }
    char buffer[32];
    const auto result = std::to_chars(buffer, buffer + sizeof buffer, value);
    out.append(buffer, result.ptr);
  }

 private:
  void name(std::string_view key) {
    if (!first_) out_ += ',';
    first_ = false;
    quote(out_, key);
    out_ += ':';
  }

  std::string& out_;
  bool first_ = true;
};

inline void write_json(std::string& out, const MeasurementStatistics& statistics) {
  JsonObject object(out);
  object.integer("count", statistics.count);
  object.number("aggregate", statistics.aggregate);
  object.number("minimum", statistics.minimum);
  object.number("maximum", statistics.maximum);
  object.number("average", statistics.average);
  object.number("median", statistics.median);
}

inline void write_json(std::string& out, const EluStatistics& elu) {
  JsonObject object(out);
  write_json(object.member("active"), elu.active);
  write_json(object.member("idle"), elu.idle);
  write_json(object.member("utilization"), elu.utilization);
}

/// A node's task counters; a task function's (`of_function`) have no `maxQueued`, as poolifier's.
inline void write_json(std::string& out, const TaskStatistics& tasks, bool of_function = false) {
  JsonObject object(out);
  object.integer("executed", tasks.executed);
  object.integer("executing", tasks.executing);
  object.integer("queued", tasks.queued);
  if (!of_function) object.integer("maxQueued", tasks.max_queued);
  object.integer("sequentiallyStolen", tasks.sequentially_stolen);
  object.integer("stolen", tasks.stolen);
  object.integer("failed", tasks.failed);
}

}  // namespace detail

/// `info` as one JSON object, e.g. `{"version":"0.1.0","type":"fixed","worker":"thread",...}`.
[[nodiscard]] inline std::string to_json(const PoolInfo& info) {
  std::string out;
  {
    detail::JsonObject object(out);
    object.string("version", info.version);
    object.string("type", info.type == PoolType::fixed ? "fixed" : "dynamic");
    object.string("worker", info.worker);
    object.boolean("started", info.started);
    object.boolean("ready", info.ready);
    object.integer("strategyRetries", info.strategy_retries);
    object.string("defaultStrategy", to_string(info.default_strategy));
    object.integer("minSize", info.min_size);
    object.integer("maxSize", info.max_size);
    if (info.utilization) object.number("utilization", *info.utilization);
    object.integer("workerNodes", info.worker_nodes);
    object.integer("idleWorkerNodes", info.idle_worker_nodes);
    object.integer("busyWorkerNodes", info.busy_worker_nodes);
    object.optional_integer("dynamicWorkerNodes", info.dynamic_worker_nodes);
    object.integer("executedTasks", info.executed_tasks);
    object.integer("executingTasks", info.executing_tasks);
    object.integer("failedTasks", info.failed_tasks);
    if (info.back_pressure) object.boolean("backPressure", *info.back_pressure);
    object.optional_integer("backPressureWorkerNodes", info.back_pressure_worker_nodes);
    object.optional_integer("queuedTasks", info.queued_tasks);
    object.optional_integer("maxQueuedTasks", info.max_queued_tasks);
    object.optional_integer("stealingWorkerNodes", info.stealing_worker_nodes);
    object.optional_integer("stolenTasks", info.stolen_tasks);
    if (info.run_time) detail::write_json(object.member("runTime"), *info.run_time);
    if (info.wait_time) detail::write_json(object.member("waitTime"), *info.wait_time);
    if (info.elu) detail::write_json(object.member("elu"), *info.elu);
  }
  return out;
}

/// `nodes` (from `Pool::worker_nodes()`) as one JSON array of objects.
[[nodiscard]] inline std::string to_json(const std::vector<WorkerNodeInfo>& nodes) {
  std::string out = "[";
  for (std::size_t index = 0; index < nodes.size(); ++index) {
    if (index != 0) out += ',';
    const WorkerNodeInfo& node = nodes[index];
    detail::JsonObject object(out);
    object.integer("id", node.id);
    object.boolean("ready", node.ready);
    object.boolean("dynamic", node.dynamic);
    detail::write_json(object.member("tasks"), node.tasks);
    detail::write_json(object.member("runTime"), node.run_time);
    detail::write_json(object.member("waitTime"), node.wait_time);
    detail::write_json(object.member("elu"), node.elu);
    if (!node.task_functions.empty()) {
      std::string& functions = object.member("taskFunctions");
      functions += '[';
      for (std::size_t f = 0; f < node.task_functions.size(); ++f) {
        if (f != 0) functions += ',';
        const TaskFunctionUsage& usage = node.task_functions[f];
        detail::JsonObject function(functions);
        function.string("name", usage.name);
        detail::write_json(function.member("tasks"), usage.tasks, true);
        detail::write_json(function.member("runTime"), usage.run_time);
        detail::write_json(function.member("waitTime"), usage.wait_time);
        detail::write_json(function.member("elu"), usage.elu);
      }
      functions += ']';
    }
  }
  out += ']';
  return out;
}

POOLIFY_NAMESPACE_END
