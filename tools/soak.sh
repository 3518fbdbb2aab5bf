#!/usr/bin/env bash
# A long soak of the stress suite: builds it in Release (build/soak) and runs every stress
# scenario at a large scale, several times over, stopping at the first failure.
#
#   tools/soak.sh                     # POOLIFY_STRESS_SCALE=20, 3 repetitions
#   SCALE=100 REPEAT=10 tools/soak.sh
#   PRESET=tsan SCALE=2 tools/soak.sh # the same under a sanitizer preset (build/<preset>)
#
# Each scenario's watchdog scales with SCALE, so a long run is not mistaken for a hang; CTest's
# per-test timeout is lifted. Prints the time each repetition took.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
scale=${SCALE:-20}
repeat=${REPEAT:-3}
preset=${PRESET:-}
jobs=$(nproc 2>/dev/null || echo 2)

tools/setup.sh

runner=()
if [[ -n "${preset}" ]]; then
  build_dir=build/${preset}
  cmake --preset "${preset}" >/dev/null
  cmake --build --preset "${preset}" --parallel "${jobs}"
  if [[ "${preset}" == tsan ]]; then
    runner=(setarch "$(uname -m)" -R)
    export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1 second_deadlock_stack=1}
  fi
else
  build_dir=build/soak
  generator=()
  if [[ ! -f "${build_dir}/CMakeCache.txt" ]] && command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
  cmake -S . -B "${build_dir}" "${generator[@]}" -DCMAKE_BUILD_TYPE=Release -DPOOLIFY_BUILD_TESTS=ON \
    -DPOOLIFY_BUILD_EXAMPLES=OFF -DPOOLIFY_TEST_SINGLE_HEADER=OFF -DPOOLIFY_TEST_CONSUMERS=OFF >/dev/null
  cmake --build "${build_dir}" --parallel "${jobs}"
fi

export POOLIFY_STRESS_SCALE=${scale}
for ((round = 1; round <= repeat; ++round)); do
  start=${SECONDS}
  echo "soak.sh: repetition ${round}/${repeat}, POOLIFY_STRESS_SCALE=${scale}"
  # stress_exit keeps its 5 s limit: its work does not grow with the scale.
  "${runner[@]}" ctest --test-dir "${build_dir}" -L stress -E '^stress_exit$' --timeout 0 --output-on-failure
  "${runner[@]}" ctest --test-dir "${build_dir}" -R '^stress_exit$' --output-on-failure
  echo "soak.sh: repetition ${round} passed in $((SECONDS - start)) s"
done
echo "soak.sh: ${repeat} repetitions at scale ${scale} passed"
