#!/usr/bin/env bash
# run.sh BUILD_DIR SECONDS - runs every libFuzzer target (tests/fuzz/fuzz_*.c) for SECONDS over
# a scratch copy of its checked-in corpus, so the corpus in the tree is never modified. Fails if
# a target crashes, leaks or trips a sanitizer; the log and the crashing input are kept.
# Build first: CC=clang cmake -S . -B BUILD_DIR -DDTT_FUZZ=ON && cmake --build BUILD_DIR
set -euo pipefail

build=${1:?usage: run.sh BUILD_DIR SECONDS}
secs=${2:?usage: run.sh BUILD_DIR SECONDS}
here=$(cd "$(dirname "$0")" && pwd)
status=0

# the targets are the ones tests/fuzz/CMakeLists.txt builds
for target in $(sed -n 's/^foreach(target \(.*\))$/\1/p' "$here/CMakeLists.txt"); do
	bin="$build/tests/fuzz/fuzz_$target"
	if [[ ! -x "$bin" ]]; then
		echo "fuzz_$target: missing $bin (configure with CC=clang -DDTT_FUZZ=ON)" >&2
		exit 2
	fi
	work=$(mktemp -d "${TMPDIR:-/tmp}/dtt-fuzz-$target.XXXXXX")
	mkdir "$work/corpus" "$work/artifacts"
	cp "$here/corpus/$target/"* "$work/corpus/"
	args=(-max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=2048
	      -print_final_stats=1 -artifact_prefix="$work/artifacts/")
	if [[ -f "$here/$target.dict" ]]; then
		args+=(-dict="$here/$target.dict")
	fi
	if "$bin" "${args[@]}" "$work/corpus" >"$work/log" 2>&1; then
		runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$' || true)
		echo "fuzz_$target: ok, ${runs:-?} runs in ${secs}s, corpus $(ls "$work/corpus" | wc -l) inputs"
		rm -rf "$work"
	else
		echo "fuzz_$target: FAILED; log and inputs kept in $work" >&2
		tail -n 40 "$work/log" >&2
		status=1
	fi
done
exit $status
