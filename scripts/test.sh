#!/usr/bin/env bash
# The whole test suite: installs what is missing, then builds and runs every ctest test twice,
# once in a normal build (build/) and once under AddressSanitizer + UndefinedBehaviorSanitizer
# (build-asan/), then runs each libFuzzer target briefly (build-fuzz/, DTT_FUZZ_SECONDS, default
# 15). Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
jobs=$(nproc 2>/dev/null || echo 2)

run_suite() {
	local dir=$1
	shift
	echo "== $dir: configure and build"
	cmake -S . -B "$dir" "$@" >/dev/null
	cmake --build "$dir" -j"$jobs"
	echo "== $dir: ctest"
	(cd "$dir" && ctest --output-on-failure -j"$jobs" --timeout 600)
}

run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run_suite build-asan -DCMAKE_BUILD_TYPE=Debug -DDTT_SANITIZE=ON
# libFuzzer targets of every decoder (clang), each run briefly from its checked-in corpus.
echo "== build-fuzz: libFuzzer targets"
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DDTT_FUZZ=ON >/dev/null
fuzz_targets=$(sed -n 's/^foreach(target \(.*\))$/\1/p' tests/fuzz/CMakeLists.txt)
cmake --build build-fuzz -j"$jobs" --target $(printf 'fuzz_%s ' $fuzz_targets)
tests/fuzz/run.sh build-fuzz "${DTT_FUZZ_SECONDS:-15}"
echo "== all suites passed"
