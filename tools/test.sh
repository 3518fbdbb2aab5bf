#!/usr/bin/env bash
# Builds poolify with everything on and runs every test.
#
#   tools/test.sh [BUILD_DIR]          (default: build/test)
#   CXX=clang++ tools/test.sh build/test-clang
#
# Debug build of the unit tests, the same tests against single_include/, the examples, the
# README snippets, the header self-containment check and the consumer projects. Exits
# non-zero if anything fails to build or any test fails.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
build_dir=${1:-build/test}
jobs=$(nproc 2>/dev/null || echo 2)

tools/setup.sh

configure=(-S . -B "${build_dir}"
  -DCMAKE_BUILD_TYPE=Debug
  -DPOOLIFY_BUILD_TESTS=ON
  -DPOOLIFY_BUILD_EXAMPLES=ON
  -DPOOLIFY_TEST_SINGLE_HEADER=ON
  -DPOOLIFY_TEST_CONSUMERS=ON
  -DPOOLIFY_INSTALL=ON)

cache="${build_dir}/CMakeCache.txt"
if [[ ! -f "${cache}" ]]; then
  if command -v ninja >/dev/null 2>&1; then
    configure+=(-G Ninja)
  fi
elif [[ -n "${CXX:-}" ]]; then
  # CMake reads CXX only on a build directory's first configure; start over if it changed.
  cached=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "${cache}")
  wanted=$(command -v "${CXX}" || true)
  if [[ -n "${wanted}" && "$(realpath "${wanted}")" != "$(realpath "${cached}" 2>/dev/null || echo "${cached}")" ]]; then
    echo "test.sh: ${build_dir} was configured with ${cached}; reconfiguring from scratch for CXX=${CXX}"
    configure+=(--fresh)
  fi
fi

cmake "${configure[@]}"
cmake --build "${build_dir}" --parallel "${jobs}"
ctest --test-dir "${build_dir}" --output-on-failure --no-tests=error --parallel "${jobs}"
