#!/usr/bin/env bash
# Builds one example in Release and runs it.
#
#   tools/run-example.sh [NAME]        (default: quickstart; runs examples/NAME.cpp)
#
# Uses build/release, the same directory as the `release` preset in CMakePresets.json.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
name=${1:-quickstart}
build_dir=build/release

if [[ ! -f "examples/${name}.cpp" ]]; then
  echo "run-example.sh: no examples/${name}.cpp; the examples are:" >&2
  for file in examples/*.cpp; do
    [[ -e "${file}" ]] && echo "  $(basename "${file}" .cpp)" >&2
  done
  exit 1
fi
if ! grep -q "^poolify_add_example(${name}[ )]" examples/CMakeLists.txt; then
  echo "run-example.sh: examples/${name}.cpp is not listed in examples/CMakeLists.txt;" \
    "add a line: poolify_add_example(${name} PASS_REGEX \"<what it prints>\")" >&2
  exit 1
fi

tools/setup.sh

# Configure and build quietly; show the log only if a step fails.
quietly() {
  local log
  log=$(mktemp)
  if ! "$@" >"${log}" 2>&1; then
    cat "${log}" >&2
    rm -f "${log}"
    echo "run-example.sh: failed: $*" >&2
    exit 1
  fi
  rm -f "${log}"
}

configure=(-S . -B "${build_dir}" -DCMAKE_BUILD_TYPE=Release -DPOOLIFY_BUILD_EXAMPLES=ON)
if [[ ! -f "${build_dir}/CMakeCache.txt" ]] && command -v ninja >/dev/null 2>&1; then
  configure+=(-G Ninja)
fi
quietly cmake "${configure[@]}"
quietly cmake --build "${build_dir}" --target "example_${name}" --parallel "$(nproc 2>/dev/null || echo 2)"

"${build_dir}/examples/${name}"
