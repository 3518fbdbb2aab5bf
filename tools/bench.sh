#!/usr/bin/env bash
# Builds poolify's benchmark suite in Release, runs it against the peers it finds, counts
# instructions per task under callgrind, and regenerates benchmarks/RESULTS.md and
# benchmarks/results.svg from the results (kept in benchmarks/results/, meant to be committed).
#
#   tools/bench.sh                 # the whole suite: about 15 minutes on 2 cores
#   tools/bench.sh round_trip ...  # only these workloads (the other results stay as they are);
#                                  # "callgrind" names the instructions-per-task step
#
# Set-up: what it needs and the machine lacks is installed with apt-get (through sudo when not
# root): Google Benchmark (libbenchmark-dev) is required; the peers oneTBB (libtbb-dev) and
# standalone Asio (libasio-dev) and valgrind are used when they can be had, and skipped (with a
# message) when they cannot.
#
# Environment:
#   BENCH_REPETITIONS=5    repetitions of each benchmark in one process (random interleaving)
#   BENCH_PROCESSES=3      processes per benchmark program: between processes the same test varies
#                          more than within one; the report takes the median over all of them
#   BENCH_CALLGRIND_TASKS=50000    N for the callgrind step (it runs N and 2N); 0 skips the step
#   BENCH_TIMEOUT=900      seconds one benchmark process may take before it is killed
#   BENCH_BUILD_DIR        the build directory (default build/bench)
#   BENCH_BUILD_ONLY=1     set up and build (warnings are errors), run nothing: what CI checks
#   CXX                    the compiler (at the first configure of the build directory)
#
# Exits non-zero when a benchmark failed (a wrong result, a crash, a hang): the report is still
# written and says which.
set -euo pipefail

say() { echo "bench.sh: $*" >&2; }
fail() {
  say "error: $*"
  exit 1
}

script_start=$(date +%s)
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build="${BENCH_BUILD_DIR:-${root}/build/bench}"
[[ "${build}" == /* ]] || build="${root}/${build}"
results="${root}/benchmarks/results"
repetitions=${BENCH_REPETITIONS:-5}
processes=${BENCH_PROCESSES:-3}
callgrind_tasks=${BENCH_CALLGRIND_TASKS:-50000}
timeout_s=${BENCH_TIMEOUT:-900}
all_workloads=(submit_futures submit_detached round_trip fork_join_fib skewed_load strategies idle_cpu memory scaling events)

run_callgrind=1
if (($# > 0)); then
  workloads=()
  run_callgrind=0
  for workload in "$@"; do
    if [[ "${workload}" == callgrind ]]; then
      run_callgrind=1
    elif [[ " ${all_workloads[*]} " == *" ${workload} "* ]]; then
      workloads+=("${workload}")
    else
      fail "unknown workload '${workload}' (known: ${all_workloads[*]} callgrind)"
    fi
  done
else
  workloads=("${all_workloads[@]}")
fi

# --- Set-up ----------------------------------------------------------------------------------

# shellcheck source=tools/lib/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"

command -v cmake >/dev/null 2>&1 || fail "cmake not found (Debian: apt-get install cmake)"
command -v python3 >/dev/null 2>&1 || fail "python3 not found (Debian: apt-get install python3): it writes the report"
command -v "${CXX:-c++}" >/dev/null 2>&1 || fail "C++ compiler '${CXX:-c++}' not found; install g++ >= 12 or set CXX"

if command -v dpkg-query >/dev/null 2>&1; then
  missing=()
  for package in libbenchmark-dev libtbb-dev libasio-dev valgrind; do
    installed "${package}" || missing+=("${package}")
  done
  if ((${#missing[@]} > 0)); then
    apt_install "${missing[@]}" || say "could not install ${missing[*]}: going on without what is missing"
  fi
  installed libbenchmark-dev || say "warning: libbenchmark-dev is not installed; the configure step will fail unless Google Benchmark is installed another way"
  installed libtbb-dev || say "note: oneTBB (libtbb-dev) missing: the suite runs without it"
  installed libasio-dev || say "note: standalone Asio (libasio-dev) missing: the suite runs without it"
else
  say "not a Debian-like system: install Google Benchmark (and oneTBB, standalone Asio, valgrind) yourself"
fi

# --- Build -----------------------------------------------------------------------------------

generator=()
if [[ ! -f "${build}/CMakeCache.txt" ]] && command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
mkdir -p "${build}/logs"
say "configuring a Release build in ${build#"${root}/"}"
cmake -S "${root}" -B "${build}" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DPOOLIFY_BUILD_BENCHMARKS=ON \
  -DPOOLIFY_BUILD_TESTS=OFF -DPOOLIFY_BUILD_EXAMPLES=OFF -DPOOLIFY_INSTALL=OFF >"${build}/logs/configure.log" 2>&1 ||
  {
    cat "${build}/logs/configure.log" >&2
    fail "configure failed (Google Benchmark is required: apt-get install libbenchmark-dev)"
  }
grep -E "poolify benchmarks:" "${build}/logs/configure.log" | sed 's/^-- /bench.sh: /' >&2 || true
say "building"
cmake --build "${build}" -j "$(nproc 2>/dev/null || echo 2)" >"${build}/logs/build.log" 2>&1 || {
  tail -n 60 "${build}/logs/build.log" >&2
  fail "build failed (full log: ${build#"${root}/"}/logs/build.log)"
}
if [[ "${BENCH_BUILD_ONLY:-0}" == 1 ]]; then
  say "built ${build#"${root}/"} (BENCH_BUILD_ONLY: nothing run)"
  exit 0
fi

# --- Run -------------------------------------------------------------------------------------

mkdir -p "${results}"
failed=0
for workload in "${workloads[@]}"; do rm -f "${results}/${workload}".*.json; done

start_time=$(date +%s)
load_before=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
# Processes outermost: workload A, B, ..., then A, B, ... again, so that a burst of load from
# elsewhere spreads over every workload instead of spoiling one.
for ((process = 1; process <= processes; ++process)); do
  for workload in "${workloads[@]}"; do
    say "run ${process}/${processes}: ${workload}"
    out="${results}/${workload}.${process}.json"
    log="${build}/logs/${workload}.${process}.log"
    if ! timeout --signal=KILL "${timeout_s}" "${build}/benchmarks/bench_${workload}" \
      --benchmark_out="${out}" --benchmark_out_format=json \
      --benchmark_repetitions="${repetitions}" --benchmark_enable_random_interleaving=true \
      >"${log}" 2>&1; then
      say "FAILED: bench_${workload} (process ${process}); its output: ${log#"${root}/"}"
      tail -n 20 "${log}" >&2
      failed=1
    fi
    grep -E "^(WARNING|poolify benchmark:)" "${log}" >&2 || true
  done
done

# --- Instructions per task under callgrind ---------------------------------------------------

callgrind_json="${results}/callgrind.json"
if ((callgrind_tasks > 0 && run_callgrind)); then
  if command -v valgrind >/dev/null 2>&1; then
    say "callgrind: instructions per task on a 1-worker pool (N = ${callgrind_tasks} and 2N)"
    # collected SYSTEM MODE TASKS WARM: the instructions callgrind counted over the whole program.
    collected() {
      local output
      output=$(timeout --signal=KILL "${timeout_s}" valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        "${build}/benchmarks/callgrind_per_task" "$1" "$2" "$3" "$4" 2>&1) || {
        say "FAILED: callgrind_per_task $1 $2 $3"
        echo "${output}" | tail -n 5 >&2
        return 1
      }
      echo "${output}" | sed -n 's/^==[0-9]*== Collected : \([0-9]*\)$/\1/p' | tail -n 1
    }
    entries=()
    for system in $("${build}/benchmarks/callgrind_per_task" --list); do
      for mode in get detached; do
        # The same warm-up before N and 2N: fire-and-forget tasks pile up (under valgrind the
        # threads take turns), so 2N of them first let the measured ones reuse what the pool keeps;
        # one get at a time needs little.
        if [[ "${mode}" == detached ]]; then warm=$((2 * callgrind_tasks)); else warm=1000; fi
        if ir_n=$(collected "${system}" "${mode}" "${callgrind_tasks}" "${warm}") &&
          ir_2n=$(collected "${system}" "${mode}" "$((2 * callgrind_tasks))" "${warm}") && [[ -n "${ir_n}" && -n "${ir_2n}" ]]; then
          per_task=$(((ir_2n - ir_n) / callgrind_tasks))
          say "  ${system} ${mode}: ${per_task} instructions per task"
          entries+=("{\"system\": \"${system}\", \"mode\": \"${mode}\", \"warm_up\": ${warm}, \"ir_n\": ${ir_n}, \"ir_2n\": ${ir_2n}, \"per_task\": ${per_task}}")
        else
          failed=1
        fi
      done
    done
    {
      echo "{\"tasks\": ${callgrind_tasks}, \"valgrind\": \"$(valgrind --version)\", \"results\": ["
      for ((i = 0; i < ${#entries[@]}; ++i)); do
        if ((i + 1 < ${#entries[@]})); then echo "  ${entries[i]},"; else echo "  ${entries[i]}"; fi
      done
      echo "]}"
    } >"${callgrind_json}"
  else
    say "valgrind not found (apt-get install valgrind): instructions per task not counted"
    rm -f "${callgrind_json}"
  fi
fi

# --- What the run was made on ----------------------------------------------------------------

compiler=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "${build}/CMakeCache.txt" | head -n 1)
commit=$(git -C "${root}" rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
dirty=$(git -C "${root}" status --porcelain -- include single_include 2>/dev/null | head -n 1 || true)
json_string() { python3 -c 'import json, sys; print(json.dumps(sys.argv[1]))' "$1"; }
cat >"${results}/meta.json" <<EOF
{
  "date": $(json_string "$(date -u +%Y-%m-%dT%H:%M:%SZ)"),
  "commit": $(json_string "${commit}"),
  "headers_modified": $([[ -n "${dirty}" ]] && echo true || echo false),
  "cpu": $(json_string "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)"),
  "cores": $(nproc 2>/dev/null || echo 0),
  "memory": $(json_string "$(free -h 2>/dev/null | awk '/^Mem:/ {print $2}')"),
  "kernel": $(json_string "$(uname -sr)"),
  "compiler": $(json_string "$("${compiler:-${CXX:-c++}}" --version | head -n 1)"),
  "build_type": "Release",
  "repetitions": ${repetitions},
  "processes": ${processes},
  "workloads_run": $(json_string "${workloads[*]}$( ((run_callgrind)) && echo " callgrind")"),
  "load_before": $(json_string "${load_before}"),
  "load_after": $(json_string "$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")"),
  "seconds": $(($(date +%s) - start_time))
}
EOF

# --- Report ----------------------------------------------------------------------------------

say "writing benchmarks/RESULTS.md and benchmarks/results.svg"
python3 "${root}/tools/bench_report.py" --results "${results}" --markdown "${root}/benchmarks/RESULTS.md" \
  --svg "${root}/benchmarks/results.svg" || failed=1

if ((failed)); then
  fail "some benchmarks failed (see above and benchmarks/RESULTS.md)"
fi
say "done in $(($(date +%s) - script_start)) s: benchmarks/RESULTS.md, benchmarks/results.svg"
