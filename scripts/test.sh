#!/usr/bin/env bash
# The whole test suite: installs what is missing, then builds and runs every ctest test twice,
# once in a normal build (build/) and once under AddressSanitizer + UndefinedBehaviorSanitizer
# (build-asan/), builds everything with clang too (build-clang/, warnings as errors, its unit
# tests run), then runs each libFuzzer target briefly (build-fuzz/, DTT_FUZZ_SECONDS, default
# 15). Finally it checks that the suite left nothing running (tests/leak_guard.sh): a process it
# started, a process of this checkout's binaries started meanwhile, or a network namespace of
# this run still there fails the suite, named. Exits non-zero if anything fails.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
jobs=$(nproc 2>/dev/null || echo 2)

# Every process the suite starts inherits this run id; the leftover check finds them by it.
export DTT_SUITE_RUN="suite-$$-$(date +%s)"
leak_snapshot=$(mktemp /tmp/dtt-suite-procs.XXXXXX)
tests/leak_guard.sh snapshot "$leak_snapshot"
leak_checked=0
leak_check() {
	leak_checked=1
	echo "== leftover processes and network namespaces"
	local rc=0
	tests/leak_guard.sh check "$leak_snapshot" || rc=1
	rm -f "$leak_snapshot"
	return $rc
}
# a suite that stops early is checked too
trap 'rc=$?; [ $leak_checked = 1 ] || leak_check || rc=1; exit $rc' EXIT

# run_suite [--only REGEX] [--skip-label L] DIR CMAKE_ARGS...: configure and build DIR, run its
# ctest tests (those matching REGEX only, if given; none labelled L, if given)
run_suite() {
	local only=()
	if [ "$1" = --only ]; then
		only=(-R "$2")
		shift 2
	fi
	if [ "$1" = --skip-label ]; then
		only+=(-LE "$2")
		shift 2
	fi
	local dir=$1
	shift
	echo "== $dir: configure and build"
	cmake -S . -B "$dir" "$@" >/dev/null
	cmake --build "$dir" -j"$jobs"
	echo "== $dir: ctest${only[*]:+ ${only[*]}}"
	(cd "$dir" && ctest --output-on-failure -j"$jobs" --timeout 600 "${only[@]}")
}

run_suite build -DCMAKE_BUILD_TYPE=RelWithDebInfo
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	run_suite --skip-label crossval build-asan -DCMAKE_BUILD_TYPE=Debug -DDTT_SANITIZE=ON
# The second compiler: everything builds under clang with the same warnings as errors; the
# unit suites and the purity check run on that build (seconds), the long tests do not.
run_suite --only '^(test_|purity)' build-clang -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo
# libFuzzer targets of every decoder (clang), each run briefly from its checked-in corpus.
echo "== build-fuzz: libFuzzer targets"
CC=clang cmake -S . -B build-fuzz -DCMAKE_BUILD_TYPE=Debug -DDTT_FUZZ=ON >/dev/null
fuzz_targets=$(sed -n 's/^foreach(target \(.*\))$/\1/p' tests/fuzz/CMakeLists.txt)
cmake --build build-fuzz -j"$jobs" --target $(printf 'fuzz_%s ' $fuzz_targets)
tests/fuzz/run.sh build-fuzz "${DTT_FUZZ_SECONDS:-15}"
leak_check
echo "== all suites passed"
