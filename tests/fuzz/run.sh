#!/usr/bin/env bash
# run.sh BUILD_DIR SECONDS [RUNS [TARGET...]] - runs every libFuzzer target (tests/fuzz/fuzz_*.c),
# or the named ones (bencode, krpc, ...), for SECONDS (or until RUNS executions, whichever comes
# first; 0: no limit) over a scratch copy of its checked-in corpus, so the corpus in the tree is
# never modified. Fails if a target crashes, leaks or trips a sanitizer; the log and the
# crashing input are kept.
# Environment: FUZZ_JOBS=N runs one campaign as N parallel libFuzzer jobs (-fork=N, one per
# core; they share the corpus and RUNS counts the executions of all of them); FUZZ_MAX_LEN sets
# the longest input (default 4096 bytes).
# Build first: CC=clang cmake -S . -B BUILD_DIR -DDTT_FUZZ=ON && cmake --build BUILD_DIR
set -euo pipefail

usage="usage: run.sh BUILD_DIR SECONDS [RUNS [TARGET...]]"
case "${1:-}" in -h|--help) echo "$usage"; exit 0 ;; esac
build=${1:?$usage}
secs=${2:?$usage}
runs_max=${3:-0}
shift 2
[ $# -gt 0 ] && shift
jobs=${FUZZ_JOBS:-1}
max_len=${FUZZ_MAX_LEN:-4096}
case "$secs$runs_max$jobs$max_len" in
*[!0-9]*) echo "run.sh: SECONDS, RUNS, FUZZ_JOBS and FUZZ_MAX_LEN are integers ($usage)" >&2; exit 2 ;;
esac
# decimal, so that a leading zero is not read as octal
secs=$((10#$secs)) runs_max=$((10#$runs_max)) jobs=$((10#$jobs)) max_len=$((10#$max_len))
if [[ "$jobs" -lt 1 || "$max_len" -lt 1 ]]; then
	echo "run.sh: FUZZ_JOBS and FUZZ_MAX_LEN are at least 1" >&2
	exit 2
fi
here=$(cd "$(dirname "$0")" && pwd)
status=0

# the targets are the ones tests/fuzz/CMakeLists.txt builds
all=$(sed -n 's/^foreach(target \(.*\))$/\1/p' "$here/CMakeLists.txt")
targets=${*:-$all}
for target in $targets; do
	case " $all " in *" $target "*) ;; *) echo "run.sh: no fuzz target '$target' (targets: $all)" >&2; exit 2 ;; esac
done
for target in $targets; do
	bin="$build/tests/fuzz/fuzz_$target"
	if [[ ! -x "$bin" ]]; then
		echo "fuzz_$target: missing $bin (configure with CC=clang -DDTT_FUZZ=ON)" >&2
		exit 2
	fi
	work=$(mktemp -d "${TMPDIR:-/tmp}/dtt-fuzz-$target.XXXXXX")
	mkdir "$work/corpus" "$work/artifacts"
	cp "$here/corpus/$target/"* "$work/corpus/"
	args=(-max_total_time="$secs" -max_len="$max_len" -timeout=10 -rss_limit_mb=2048
	      -print_final_stats=1 -artifact_prefix="$work/artifacts/")
	if [[ "$jobs" -gt 1 ]]; then
		args+=(-fork="$jobs")
	fi
	if [[ "$runs_max" != 0 ]]; then
		args+=(-runs="$runs_max")
	fi
	if [[ -f "$here/$target.dict" ]]; then
		args+=(-dict="$here/$target.dict")
	fi
	t0=$SECONDS
	if "$bin" "${args[@]}" "$work/corpus" >"$work/log" 2>&1; then
		# one process prints its final statistics; a forked campaign, its running total
		runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$' ||
			sed -n 's/^#\([0-9]*\): cov:.*/\1/p' "$work/log" | tail -n 1)
		echo "fuzz_$target: ok, ${runs:-?} runs in $((SECONDS - t0))s, corpus $(ls "$work/corpus" | wc -l) inputs"
		rm -rf "$work"
	else
		echo "fuzz_$target: FAILED; log and inputs kept in $work" >&2
		tail -n 40 "$work/log" >&2
		status=1
	fi
done
exit $status
