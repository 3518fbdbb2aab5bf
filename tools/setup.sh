#!/usr/bin/env bash
# Checks that this machine can build and test poolify, and installs what it can.
#
#   tools/setup.sh
#
# Needs: CMake >= 3.21 (3.25 for CMakePresets.json), a C++20 compiler (${CXX:-c++}), python3,
# and Catch2 v2 or v3 for the tests; ninja is optional (make is the fallback). What is missing
# of Catch2 (Debian's `catch2`), python3 and ninja (`ninja-build`) is installed with apt-get,
# through sudo when not root. Silent when everything is already there; exits non-zero with a
# message when something needed is missing and cannot be installed. Safe to run any number of times.
set -euo pipefail

say() { echo "setup.sh: $*" >&2; }
fail() {
  say "error: $*"
  exit 1
}

work_dir=$(mktemp -d)
trap 'rm -rf "${work_dir}"' EXIT

# shellcheck source=tools/lib/apt.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/apt.sh"

# --- CMake -----------------------------------------------------------------------------------
command -v cmake >/dev/null 2>&1 || fail "cmake not found; install CMake >= 3.21 (Debian: apt-get install cmake)"
cmake_version=$(cmake --version | sed -n 's/^cmake version \([0-9][0-9.]*\).*/\1/p')
IFS=. read -r cmake_major cmake_minor _ <<<"${cmake_version}"
if ((cmake_major < 3 || (cmake_major == 3 && cmake_minor < 21))); then
  fail "CMake ${cmake_version} is too old: poolify needs 3.21 or newer"
fi
if ((cmake_major == 3 && cmake_minor < 25)); then
  say "note: CMake ${cmake_version} cannot read CMakePresets.json (needs 3.25); the tools/ scripts still work"
fi

# --- A C++20 compiler ------------------------------------------------------------------------
cxx=${CXX:-c++}
command -v "${cxx}" >/dev/null 2>&1 || fail "C++ compiler '${cxx}' not found; install g++ >= 12 or clang++ >= 14, or set CXX"
# The C++20 library pieces a thread pool leans on; older standard libraries lack some of them.
cat >"${work_dir}/probe.cpp" <<'CPP'
#include <barrier>
#include <concepts>
#include <latch>
#include <semaphore>
#include <stop_token>
#include <thread>
template <std::invocable F> void call(F f) { f(); }
int main() {
  std::latch done(1);
  std::jthread worker([&](std::stop_token) { done.count_down(); });
  done.wait();
  call([] {});
}
CPP
if ! "${cxx}" -std=c++20 -pthread "${work_dir}/probe.cpp" -o "${work_dir}/probe" >"${work_dir}/cxx.log" 2>&1; then
  cat "${work_dir}/cxx.log" >&2
  fail "'${cxx}' cannot compile C++20 with <latch>, <barrier>, <stop_token> and std::jthread; use g++ >= 12 or clang++ >= 14 (set CXX)"
fi

# --- Catch2, asked of CMake itself (so a Catch2 v3 named by CMAKE_PREFIX_PATH counts too) -----
catch2_found() {
  mkdir -p "${work_dir}/catch2"
  cat >"${work_dir}/catch2/CMakeLists.txt" <<'CMAKE'
cmake_minimum_required(VERSION 3.21)
project(catch2_probe NONE)
find_package(Catch2 QUIET)
if(NOT Catch2_FOUND)
  message(FATAL_ERROR "no Catch2")
endif()
CMAKE
  rm -rf "${work_dir}/catch2/build"
  cmake -S "${work_dir}/catch2" -B "${work_dir}/catch2/build" >/dev/null 2>&1
}

# --- Install what is missing -----------------------------------------------------------------
needed=()
catch2_found || needed+=(catch2)
command -v python3 >/dev/null 2>&1 || needed+=(python3) # runs tools/amalgamate.py, tools/extract_snippets.py
if ((${#needed[@]} > 0)); then
  apt_install "${needed[@]}" || fail "could not install ${needed[*]}; install Catch2 (v2 or v3) and python3 by hand"
  catch2_found || fail "catch2 was installed but CMake still cannot find Catch2"
  command -v python3 >/dev/null 2>&1 || fail "python3 was installed but is not on PATH"
fi

if ! command -v ninja >/dev/null 2>&1; then
  apt_install ninja-build || say "note: no ninja; the scripts fall back to make (CMakePresets.json needs ninja)"
fi
