#!/usr/bin/env bash
# slurm.sh - the Slurm job array that `dtt-sim sweep --slurm` writes, run by a real Slurm: a
# one-node cluster on this machine (munged with a throwaway key, slurmctld and slurmd on
# 127.0.0.1 with their state, spool and logs in a temporary directory, proctrack/linuxproc,
# task/none, select/cons_tres, the node's real CPU count), started here and stopped after (every
# daemon killed and waited for). A 2 x 4 sweep of the small DHT scenario in 4 array tasks of 2
# runs; the merged result must hold the same runs with the same digests as the same sweep run
# locally through GNU parallel.
# usage: tests/sweep/slurm.sh DTT_SIM SCENARIOS_DIR
# Exit 77 (skipped) when slurmctld, slurmd, munged or sbatch is not installed (scripts/setup.sh
# installs them: Debian's slurmctld, slurmd, slurm-client, munge) or when not run as root.
set -euo pipefail
sim=$1
scen=$2/dht-smoke.yaml
for tool in slurmctld slurmd munged sbatch sinfo scontrol squeue; do
	if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
		echo "SKIP: $tool not installed (Debian packages slurmctld slurmd slurm-client munge; scripts/setup.sh)"
		exit 77
	fi
done
if [ "$(id -u)" != 0 ]; then
	echo "SKIP: slurmd must run as root to start jobs"
	exit 77
fi
export PATH=$PATH:/usr/sbin
. "$(dirname "$0")/../lib/procs.sh"
work=$(mktemp -d /tmp/dtt_slurm_XXXXXX)
t0=$(date +%s)

stop_all() {
	local rc=$?
	# scancel what may still be queued; job steps (slurmstepd) are daemons of their own, not
	# below this shell: found by their open files in this cluster's directory, stopped by pid
	# with the daemons (munged, slurmctld, slurmd) and anything else below this shell.
	[ -f "$work/slurm.conf" ] && SLURM_CONF=$work/slurm.conf timeout 5 scancel --full --user=root >/dev/null 2>&1 || true
	for d in /proc/[0-9]*; do
		if { tr '\0' ' ' <"$d/cmdline"; } 2>/dev/null | grep -q "slurmstepd" &&
			ls -l "$d/fd" 2>/dev/null | grep -q "$work"; then
			dtt_track "${d#/proc/}"
		fi
	done
	dtt_stop_all
	if [ "$rc" != 0 ] && [ "$rc" != 77 ]; then
		for f in "$work"/log/*.log; do echo "== $f"; tail -n 30 "$f"; done
	fi
	[ -n "${DTT_SLURM_KEEP_LOGS:-}" ] && cp -r "$work/log" "$DTT_SLURM_KEEP_LOGS"
	rm -rf "$work"
	exit "$rc"
}
trap stop_all EXIT
dtt_trap_signals
fail() { echo "FAIL: $*" >&2; exit 1; }

# Two free TCP ports on 127.0.0.1 for slurmctld and slurmd.
ports=$(python3 -c '
import socket
ss = [socket.socket() for _ in range(2)]
for s in ss: s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
set -- $ports
ctl_port=$1
node_port=$2

mkdir -p "$work/munge" "$work/state" "$work/spool" "$work/log" "$work/sweep-local"
chmod 700 "$work/munge"
head -c 1024 /dev/urandom >"$work/munge/munge.key"
chmod 400 "$work/munge/munge.key"
munged --foreground --force --key-file="$work/munge/munge.key" --socket="$work/munge/sock" \
	--pid-file="$work/munge/munged.pid" --log-file="$work/log/munged.log" \
	--seed-file="$work/munge/seed" >"$work/log/munged.out" 2>&1 &
dtt_track $!
for _ in $(seq 50); do [ -S "$work/munge/sock" ] && break; sleep 0.1; done
[ -S "$work/munge/sock" ] || fail "munged did not start"

host=$(hostname -s)
cpus=$(nproc)
cat >"$work/slurm.conf" <<CONF
ClusterName=dtttest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctl_port
SlurmdPort=$node_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
AuthInfo=socket=$work/munge/sock
CredType=cred/munge
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
SlurmctldTimeout=30
SlurmdTimeout=30
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=dtt Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$work/slurm.conf
slurmctld -D -i -f "$SLURM_CONF" >"$work/log/slurmctld.out" 2>&1 &
dtt_track $!
slurmd -D -f "$SLURM_CONF" >"$work/log/slurmd.out" 2>&1 &
dtt_track $!
up=""
for _ in $(seq 150); do
	state=$(sinfo -h -N -o '%T' 2>/dev/null || true)
	case $state in idle*|mixed*|alloc*) up=1; break ;; esac
	sleep 0.2
done
[ -n "$up" ] || fail "the node did not come up (sinfo: ${state:-no answer})"
echo "slurm: one-node cluster up ($host, $cpus CPUs) in $(( $(date +%s) - t0 )) s"

# The sweep as a job array: 8 runs in 4 tasks of 2, GNU parallel on each task's CPUs.
"$sim" sweep "$scen" --seeds 1..4 --grid dht.nodes=60,100 --out "$work/sweep" --slurm \
	--chunk 2 --cpus "$cpus" >"$work/plan"
cat "$work/plan"
grep -q "8 runs, 0 done before, 8 left in 4 array tasks of up to 2" "$work/plan" || fail "plan"
t1=$(date +%s)
timeout 240 sbatch --wait --quiet "$work/sweep/slurm/sweep.sbatch" || {
	for f in "$work/sweep/slurm"/*.out; do echo "== $f"; cat "$f"; done
	fail "sbatch --wait: the job array failed"
}
echo "slurm: job array of 4 tasks done in $(( $(date +%s) - t1 )) s"
[ "$(ls "$work/sweep/slurm"/joblog.* | wc -l)" = 4 ] || fail "not 4 task job logs"
"$sim" merge "$work/sweep" --db "$work/slurm.db" || fail "merge of the Slurm sweep"

# The same sweep locally, merged: the same runs, in the same order, with the same digests.
"$sim" sweep "$scen" --seeds 1..4 --grid dht.nodes=60,100 --out "$work/sweep-local" -j 2 \
	>/dev/null 2>&1 || fail "local sweep"
"$sim" merge "$work/sweep-local" --db "$work/local.db" || fail "merge of the local sweep"
digests() { sqlite3 -batch "$1" "SELECT seed, overrides, backend, status, digest FROM run ORDER BY run_id"; }
digests "$work/slurm.db" >"$work/d.slurm"
digests "$work/local.db" >"$work/d.local"
cat "$work/d.slurm"
[ "$(wc -l <"$work/d.slurm")" = 8 ] || fail "Slurm sweep: not 8 runs"
diff "$work/d.local" "$work/d.slurm" || fail "Slurm and local sweeps differ"
echo "slurm: 8 runs, the same digests as the local sweep; total $(( $(date +%s) - t0 )) s"
