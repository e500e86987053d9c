#!/usr/bin/env bash
# leak_guard.sh snapshot FILE | check FILE - what a test suite leaves running behind it.
#
# The suite (scripts/test.sh) exports DTT_SUITE_RUN, a run id of its own, which every process it
# starts inherits; `snapshot` notes the processes of this checkout's binaries (dtt-node, dtt-sim,
# tests, benches: any executable under the checkout) running before the suite. `check`, after
# the suite, looks for
#   - processes carrying this DTT_SUITE_RUN (other than this shell's own ancestors): stopped
#     (SIGTERM, 3 s, SIGKILL) after being named;
#   - processes of this checkout's binaries without any DTT_SUITE_RUN that were not in FILE:
#     named, left running (they may be someone's own run in this checkout);
#   - network namespaces whose name holds DTT_SUITE_RUN (tests put it there): the processes in
#     them killed, the namespaces deleted;
# and exits 1, naming every one, if it found any; 0 if nothing was left; 2 on bad usage.
set -uo pipefail

usage() {
	echo "usage: leak_guard.sh snapshot FILE | check FILE   (with DTT_SUITE_RUN set)" >&2
	exit 2
}
case "${1:-}" in
-h | --help)
	sed -n '2,14s/^# \{0,1\}//p' "$0"
	exit 0
	;;
snapshot | check) ;;
*) usage ;;
esac
[ $# = 2 ] || usage
mode=$1
file=$2
run=${DTT_SUITE_RUN:-}
[ -n "$run" ] || { echo "leak_guard: DTT_SUITE_RUN is not set" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)

# stat_of PID: sets st_state, st_ppid, st_start (fields 3, 4, 22 of /proc/PID/stat); 1 if gone
stat_of() {
	local st f
	read -r st 2>/dev/null <"/proc/$1/stat" || return 1
	st=${st##*) } # after "(comm)", which may itself hold spaces
	read -r -a f <<<"$st"
	st_state=${f[0]}
	st_ppid=${f[1]}
	st_start=${f[19]}
}

# this checkout's binaries running now, one "PID STARTTIME" a line (the exe link points under
# the checkout; a rebuilt binary still does, with " (deleted)" appended)
checkout_procs() {
	local d pid
	for d in $(find /proc -mindepth 2 -maxdepth 2 -name exe -lname "$root/*" -printf '%h\n' 2>/dev/null); do
		pid=${d#/proc/}
		stat_of "$pid" && [ "$st_state" != Z ] && echo "$pid $st_start"
	done
}

if [ "$mode" = snapshot ]; then
	checkout_procs >"$file" || exit 1
	exit 0
fi
[ -r "$file" ] || { echo "leak_guard: cannot read snapshot $file" >&2; exit 2; }

# this shell and its ancestors (the suite itself) carry DTT_SUITE_RUN too
declare -A mine=()
p=$$
while [ -n "$p" ] && [ "$p" != 0 ]; do
	mine[$p]=1
	stat_of "$p" || break
	p=$st_ppid
done

declare -A seen_before=() leaked=() tokenless=()
while read -r pid start; do seen_before["$pid $start"]=1; done <"$file"

# processes that inherited this run's id (grep runs without it, so it does not find itself)
for f in $(env -u DTT_SUITE_RUN grep -lsxzF "DTT_SUITE_RUN=$run" /proc/[0-9]*/environ); do
	pid=${f#/proc/}
	pid=${pid%/environ}
	[ -n "${mine[$pid]:-}" ] && continue
	stat_of "$pid" && [ "$st_state" != Z ] && leaked[$pid]=1
done
# this checkout's binaries started meanwhile without any run id
while read -r pid start; do
	[ -n "${seen_before["$pid $start"]:-}" ] && continue
	[ -n "${mine[$pid]:-}" ] || [ -n "${leaked[$pid]:-}" ] && continue
	env -u DTT_SUITE_RUN grep -qsz '^DTT_SUITE_RUN=' "/proc/$pid/environ" && continue # another run's
	tokenless[$pid]=1
done < <(checkout_procs)

describe() { # describe PID: one line naming the process
	local cmd
	cmd=$(tr '\0' ' ' 2>/dev/null <"/proc/$1/cmdline")
	stat_of "$1"
	echo "  pid $1 (parent $st_ppid): ${cmd:-?}"
}

found=0
if [ ${#leaked[@]} -gt 0 ]; then
	found=1
	echo "leak_guard: ${#leaked[@]} process(es) started by this run ($run) are still running:" >&2
	for pid in $(printf '%s\n' "${!leaked[@]}" | sort -n); do describe "$pid" >&2; done
	kill -TERM "${!leaked[@]}" 2>/dev/null
	for _ in $(seq 60); do
		alive=0
		for pid in "${!leaked[@]}"; do stat_of "$pid" && [ "$st_state" != Z ] && alive=1; done
		[ $alive = 0 ] && break
		sleep 0.05
	done
	kill -KILL "${!leaked[@]}" 2>/dev/null
	echo "leak_guard: stopped them" >&2
fi
if [ ${#tokenless[@]} -gt 0 ]; then
	found=1
	echo "leak_guard: ${#tokenless[@]} process(es) of this checkout's binaries started during the run" \
		"without its environment are still running (left running):" >&2
	for pid in $(printf '%s\n' "${!tokenless[@]}" | sort -n); do describe "$pid" >&2; done
fi
if command -v ip >/dev/null; then
	for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep -F -- "$run"); do
		found=1
		echo "leak_guard: network namespace $ns of this run is still there; deleting it" >&2
		for pid in $(ip netns pids "$ns" 2>/dev/null); do
			describe "$pid" >&2
			kill -KILL "$pid" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null || echo "leak_guard: cannot delete namespace $ns" >&2
	done
fi
if [ $found = 0 ]; then
	echo "leak_guard: nothing left running by this run"
fi
exit $found
