#!/usr/bin/env bash
# run.sh BUILD_DIR SECONDS [RUNS [TARGET...]] - runs every libFuzzer target (tests/fuzz/fuzz_*.c),
# or the named ones (bencode, krpc, ...), for SECONDS (or until RUNS executions, whichever comes
# first; 0: no limit) over a scratch copy of its checked-in corpus, so the corpus in the tree is
# never modified. Fails if a target crashes, leaks or trips a sanitizer; the log and the
# crashing input are kept.
# Build first: CC=clang cmake -S . -B BUILD_DIR -DDTT_FUZZ=ON && cmake --build BUILD_DIR
set -euo pipefail

usage="usage: run.sh BUILD_DIR SECONDS [RUNS [TARGET...]]"
case "${1:-}" in -h|--help) echo "$usage"; exit 0 ;; esac
build=${1:?$usage}
secs=${2:?$usage}
runs_max=${3:-0}
shift 2
[ $# -gt 0 ] && shift
case "$secs$runs_max" in *[!0-9]*) echo "run.sh: SECONDS and RUNS are integers ($usage)" >&2; exit 2 ;; esac
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
	args=(-max_total_time="$secs" -max_len=4096 -timeout=10 -rss_limit_mb=2048
	      -print_final_stats=1 -artifact_prefix="$work/artifacts/")
	if [[ "$runs_max" != 0 ]]; then
		args+=(-runs="$runs_max")
	fi
	if [[ -f "$here/$target.dict" ]]; then
		args+=(-dict="$here/$target.dict")
	fi
	t0=$SECONDS
	if "$bin" "${args[@]}" "$work/corpus" >"$work/log" 2>&1; then
		runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$work/log" | grep -o '[0-9]*$' || true)
		echo "fuzz_$target: ok, ${runs:-?} runs in $((SECONDS - t0))s, corpus $(ls "$work/corpus" | wc -l) inputs"
		rm -rf "$work"
	else
		echo "fuzz_$target: FAILED; log and inputs kept in $work" >&2
		tail -n 40 "$work/log" >&2
		status=1
	fi
done
exit $status
