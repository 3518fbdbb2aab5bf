#!/usr/bin/env bash
# Builds poolify's libFuzzer target (tests/fuzz/fuzz_pool.cpp) with clang++ under
# AddressSanitizer + UndefinedBehaviorSanitizer and runs it for a fixed time, starting from the
# seed corpus in tests/fuzz/corpus/ (new inputs go to build/fuzz/corpus/, not to the repository).
#
#   tools/fuzz.sh                    # 60 s
#   FUZZ_SECONDS=3600 tools/fuzz.sh  # a long run
#
# Needs clang++ and its libFuzzer runtime (Debian: libclang-rt-<version>-dev, installed with
# apt-get when missing). Exits non-zero when the fuzzer finds a crash, a leak, a sanitizer report,
# a broken promise (the target aborts) or an input that runs longer than 60 s (a hang); the
# input that did it is left in build/fuzz/ (crash-*, leak-*, timeout-*).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
seconds=${FUZZ_SECONDS:-60}
build=build/fuzz
jobs=$(nproc 2>/dev/null || echo 2)

say() { echo "fuzz.sh: $*" >&2; }
fail() {
  say "error: $*"
  exit 1
}
# shellcheck source=tools/lib/apt.sh
source tools/lib/apt.sh

cxx=${FUZZ_CXX:-clang++}
command -v "${cxx}" >/dev/null 2>&1 || apt_install clang || fail "clang++ is needed (apt-get install clang)"
probe=$(mktemp -d)
trap 'rm -rf "${probe}"' EXIT
printf '#include <cstddef>\n#include <cstdint>\nextern "C" int LLVMFuzzerTestOneInput(const std::uint8_t*, std::size_t) { return 0; }\n' >"${probe}/probe.cpp"
if ! "${cxx}" -fsanitize=fuzzer "${probe}/probe.cpp" -o "${probe}/probe" >/dev/null 2>&1; then
  major=$("${cxx}" -dumpversion | cut -d. -f1)
  apt_install "libclang-rt-${major}-dev" || fail "${cxx} cannot link libFuzzer (apt-get install libclang-rt-${major}-dev)"
  "${cxx}" -fsanitize=fuzzer "${probe}/probe.cpp" -o "${probe}/probe" || fail "${cxx} still cannot link -fsanitize=fuzzer"
fi

generator=()
if [[ ! -f "${build}/CMakeCache.txt" ]] && command -v ninja >/dev/null 2>&1; then generator=(-G Ninja); fi
CXX=${cxx} cmake -S . -B "${build}" "${generator[@]}" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DPOOLIFY_BUILD_FUZZERS=ON \
  -DPOOLIFY_BUILD_TESTS=OFF -DPOOLIFY_BUILD_EXAMPLES=OFF -DPOOLIFY_INSTALL=OFF >/dev/null
cmake --build "${build}" --target fuzz_pool --parallel "${jobs}"

mkdir -p "${build}/corpus"
say "running fuzz_pool for ${seconds} s (seed corpus: tests/fuzz/corpus, $(find tests/fuzz/corpus -type f | wc -l) inputs)"
status=0
(cd "${build}" && ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1} \
  ./tests/fuzz/fuzz_pool -max_total_time="${seconds}" -timeout=60 -rss_limit_mb=4096 -max_len=512 \
  -print_final_stats=1 corpus ../../tests/fuzz/corpus) >"${build}/fuzz.log" 2>&1 || status=$?
grep -E "^#[0-9]+.*(DONE|cov:)" "${build}/fuzz.log" | tail -n 1 >&2 || true
grep -E "^stat::(number_of_executed_units|average_exec_per_sec|peak_rss_mb)" "${build}/fuzz.log" >&2 || true
if ((status != 0)); then
  tail -n 60 "${build}/fuzz.log" >&2
  fail "the fuzzer stopped with status ${status} (the input is in ${build}/)"
fi
say "no crash, leak, sanitizer report, broken promise or hang in ${seconds} s (log: ${build}/fuzz.log)"
