#!/usr/bin/env bash
# docker/test.sh - dtt-node in real containers: makes the Debian 12 base image if it is missing
# (mmdebstrap | docker import), builds dtt-node's image (docker/Dockerfile, apt through the
# host's network), creates an internal bridge network with a fixed private subnet, starts 8
# `dtt-node dht serve` containers and 5 `dtt-node join` members on it -- without --bind and
# without --announce, so each member must learn its own address from the DHT -- and checks
# that every member joins, that the overlay becomes one component, and that every line each
# member broadcasts reaches every other member exactly once. Removes its containers and the
# network on exit (the image stays, so a second run builds from the cache; --remove-image
# removes it too). If no dockerd runs, starts one (as root) and stops it at the end.
#   docker/test.sh [--remove-image] [--help]
# Exit status: 0 pass, 1 a check failed, 2 bad arguments or no docker, 124 out of time.
set -uo pipefail

usage() { sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; }
remove_image=0
for a in "$@"; do
	case $a in
	--help | -h) usage; exit 0 ;;
	--remove-image) remove_image=1 ;;
	*) echo "docker/test.sh: unknown argument '$a'" >&2; usage >&2; exit 2 ;;
	esac
done

# The outer run: a dockerd if none answers (stopped again at the end), then the test itself
# under a time budget. The daemon is in its own session, so that a Ctrl-C or the budget's
# signal reaches the test (which removes its containers) and not the daemon.
if [ -z "${DTT_DOCKER_INNER:-}" ]; then
	command -v docker > /dev/null || { echo "docker/test.sh: docker is not installed (apt-get install docker.io)" >&2; exit 2; }
	dockerd_pid=""
	if ! docker info > /dev/null 2>&1; then
		command -v dockerd > /dev/null && [ "$(id -u)" = 0 ] ||
			{ echo "docker/test.sh: no running dockerd, and cannot start one (needs root and docker.io)" >&2; exit 2; }
		dlog=$(mktemp /tmp/dtt-dockerd.XXXXXX.log)
		# --bridge=none: no default docker0 network; the test makes the only one it uses
		setsid dockerd --bridge=none > "$dlog" 2>&1 < /dev/null &
		dockerd_pid=$!
		for _ in $(seq 60); do
			docker info > /dev/null 2>&1 && break
			kill -0 "$dockerd_pid" 2> /dev/null || break
			sleep 0.5
		done
		if ! docker info > /dev/null 2>&1; then
			tail -20 "$dlog" >&2
			kill "$dockerd_pid" 2> /dev/null; wait "$dockerd_pid" 2> /dev/null
			echo "docker/test.sh: dockerd did not start (log: $dlog)" >&2
			exit 2
		fi
		echo "started dockerd (pid $dockerd_pid, log $dlog)"
		before=$(docker ps -aq --no-trunc | sort)
	fi
	# timeout runs in a process group of its own, which a Ctrl-C on the terminal does not reach:
	# this shell passes INT and TERM on (timeout signals the test's group, the test removes its
	# containers), waits for the test to end, and then stops dockerd
	DTT_DOCKER_INNER=1 timeout --kill-after=30 "${DTT_DOCKER_BUDGET_S:-900}" "$0" "$@" < /dev/null &
	tpid=$!
	trap 'kill -INT "$tpid" 2> /dev/null' INT
	trap 'kill -TERM "$tpid" 2> /dev/null' TERM
	while :; do
		wait "$tpid"
		rc=$?
		kill -0 "$tpid" 2> /dev/null || break # a signal ended the wait, not the test
	done
	if [ -n "$dockerd_pid" ]; then
		# a build cut short leaves its step's container to the daemon, which removes it
		# unless stopped first: wait (at most 30 s) until every container this daemon did not
		# have at its start is gone, removing what is left
		for _ in $(seq 30); do
			new=$(comm -13 <(echo "$before") <(docker ps -aq --no-trunc | sort))
			[ -z "$new" ] && break
			docker rm -f $new > /dev/null 2>&1
			sleep 1
		done
		[ -z "$new" ] || echo "docker/test.sh: containers left: $new" >&2
		kill -TERM "$dockerd_pid" 2> /dev/null
		for _ in $(seq 60); do kill -0 "$dockerd_pid" 2> /dev/null || break; sleep 0.5; done
		kill -KILL "$dockerd_pid" 2> /dev/null
		wait "$dockerd_pid" 2> /dev/null
		echo "stopped dockerd (pid $dockerd_pid)"
		rm -f "$dlog"
	fi
	exit "$rc"
fi

root=$(cd "$(dirname "$0")/.." && pwd)
base=${DTT_DOCKER_BASE:-dtt-base:12}
image=dtt-node:test
net=dtt-test
subnet=10.231.0.0/24
prefix=10.231.0
dht_n=8
members=5
label=dtt.test=docker-test
work=$(mktemp -d /tmp/dtt-docker.XXXXXX)
t0=$(date +%s)

log() { printf '[%3ss] %s\n' "$(($(date +%s) - t0))" "$*"; }
fail() { echo "FAIL: $*" >&2; exit 1; }

docker info > /dev/null 2>&1 || { echo "docker/test.sh: no running dockerd" >&2; exit 2; }

containers=()
cleanup() {
	# only what this script started: its containers by name, its network by name and label
	[ "${#containers[@]}" -gt 0 ] && docker rm -f "${containers[@]}" > /dev/null 2>&1
	docker network rm "$net" > /dev/null 2>&1
	[ "$remove_image" = 0 ] || docker image rm "$image" > /dev/null 2>&1
	[ -n "${DTT_DOCKER_KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT # bash runs the EXIT trap on exit, not when a signal ends it
trap 'log "terminated"; exit 143' TERM

# leftovers of an interrupted run (same names and label) would block the fixed subnet
for c in $(docker ps -aq --filter "label=$label"); do docker rm -f "$c" > /dev/null; done
if docker network inspect "$net" > /dev/null 2>&1; then
	[ "$(docker network inspect -f '{{index .Labels "dtt.test"}}' "$net")" = docker-test ] ||
		fail "a network named $net exists and is not this test's"
	docker network rm "$net" > /dev/null
fi

# --- images ---
if ! docker image inspect "$base" > /dev/null 2>&1; then
	command -v mmdebstrap > /dev/null || { echo "docker/test.sh: $base is missing and mmdebstrap is not installed" >&2; exit 2; }
	log "making $base with mmdebstrap"
	# the mirror is named (with none, mmdebstrap would read sources from a non-tty stdin)
	mmdebstrap --quiet --variant=apt bookworm - "${DTT_DEBIAN_MIRROR:-http://deb.debian.org/debian}" < /dev/null |
		docker import - "$base" > /dev/null ||
		fail "could not make $base"
fi
log "building $image from $base"
old_id=$(docker image inspect -f '{{.Id}}' "$image" 2> /dev/null)
docker build --network host --force-rm --build-arg "BASE=$base" -f "$root/docker/Dockerfile" \
	-t "$image" "$root" > "$work/build.log" 2>&1 || { tail -30 "$work/build.log" >&2; fail "docker build"; }
# the previous build of $image, now untagged, goes (Docker keeps it otherwise)
new_id=$(docker image inspect -f '{{.Id}}' "$image")
[ -z "$old_id" ] || [ "$old_id" = "$new_id" ] || docker image rm "$old_id" > /dev/null 2>&1
log "image $image built"

# --- the network: internal (no route out), a fixed private subnet ---
docker network create --driver bridge --internal --subnet "$subnet" --label "$label" "$net" \
	> /dev/null || fail "cannot create network $net ($subnet)"
log "network $net: $subnet, internal"

run() { # run NAME IP ARGS... : a detached container of this test
	local name=$1 ip=$2
	shift 2
	docker run -d --name "$name" --label "$label" --network "$net" --ip "$ip" "$@" > /dev/null &&
		containers+=("$name")
}

# --- the DHT: dht0 alone, the others bootstrap from it ---
for i in $(seq 0 $((dht_n - 1))); do
	boot=""
	[ "$i" -gt 0 ] && boot="$prefix.10:6881"
	run "dtt-test-dht$i" "$prefix.$((10 + i))" "$image" dht serve --port 6881 --bootstrap "$boot" ||
		fail "cannot start DHT container $i"
	if [ "$i" = 0 ]; then
		for _ in $(seq 100); do docker logs dtt-test-dht0 2> /dev/null | grep -q '"addr"' && break; sleep 0.1; done
	fi
done
sleep 2
for i in $(seq 0 $((dht_n - 1))); do
	docker logs "dtt-test-dht$i" 2> /dev/null | grep -q '"addr"' ||
		{ docker logs "dtt-test-dht$i" >&2; fail "DHT container $i did not start"; }
done
log "DHT: $dht_n containers up ($prefix.10-$((10 + dht_n - 1)))"

# --- members, 3 s apart, each bootstrapped from another DHT node; stdin is a FIFO inside the
# container (held open by the shell's fd 3), written through docker exec ---
for m in $(seq 1 $members); do
	boot="$prefix.$((10 + m % dht_n)):6881"
	run "dtt-test-m$m" "$prefix.$((100 + m))" --entrypoint /bin/sh "$image" -c \
		"mkfifo /tmp/in && exec 3<>/tmp/in && exec dtt-node join --topic docker-topic \
		 --secret docker-secret --port 6881 --bootstrap $boot --key /tmp/m.key --json < /tmp/in" ||
		fail "cannot start member $m"
	log "member $m started ($prefix.$((100 + m)), bootstrap $boot)"
	sleep 3
done

stderr_of() { docker logs "dtt-test-m$1" 2>&1 > /dev/null; }
stdout_of() { docker logs "dtt-test-m$1" 2> /dev/null; }
snapshot() { for m in $(seq 1 $members); do stderr_of "$m" > "$work/m$m.err"; stdout_of "$m" > "$work/m$m.out"; done; }
show_members() { for m in $(seq 1 $members); do echo "-- member $m" >&2; tail -8 "$work/m$m.err" >&2; done; }

# --- every member learns its address and joins within 90 s ---
deadline=$(($(date +%s) + 90))
while :; do
	snapshot
	joined=0
	for m in $(seq 1 $members); do grep -q '"event":"joined"' "$work/m$m.err" && joined=$((joined + 1)); done
	[ "$joined" = "$members" ] && break
	[ "$(date +%s)" -ge "$deadline" ] && { show_members; fail "$joined of $members members joined within 90 s"; }
	sleep 1
done
log "ok   all $members members joined"
# ... and the address each published is its own container's, learned from the DHT's votes
for m in $(seq 1 $members); do
	addr=$(grep -m1 '"event":"address"' "$work/m$m.err")
	log "member $m: ${addr:-(no address event)}"
	grep -q "\"addr\":\"$prefix.$((100 + m)):6881\"" <<< "$addr" ||
		fail "member $m did not learn its address $prefix.$((100 + m)):6881"
done
log "ok   every member learned its own address"

# --- the overlay becomes one component (neighbour events tell the graph) ---
connected() { python3 "$root/tests/lib/overlay_connected.py" "$work" "$members"; }
deadline=$(($(date +%s) + 90))
until snapshot && connected; do
	[ "$(date +%s)" -ge "$deadline" ] && { show_members; fail "the overlay did not become one component"; }
	sleep 1
done
log "ok   the overlay is one component"

# --- every line reaches every other member, once ---
for round in 1 2; do
	for m in $(seq 1 $members); do
		docker exec "dtt-test-m$m" sh -c "echo 'line $round from member $m' > /tmp/in" ||
			fail "cannot write to member $m"
	done
	deadline=$(($(date +%s) + 30))
	while :; do
		snapshot
		missing=0
		for r in $(seq 1 $members); do
			for s in $(seq 1 $members); do
				[ "$r" = "$s" ] && continue
				grep -q "\"message\":\"line $round from member $s\"" "$work/m$r.out" ||
					missing=$((missing + 1))
			done
		done
		[ "$missing" = 0 ] && break
		if [ "$(date +%s)" -ge "$deadline" ]; then
			for r in $(seq 1 $members); do echo "-- member $r got:" >&2; cat "$work/m$r.out" >&2; done
			fail "round $round: $missing of $((members * (members - 1))) deliveries missing"
		fi
		sleep 0.5
	done
	log "ok   round $round: all $((members * (members - 1))) deliveries"
done
for r in $(seq 1 $members); do
	grep -q "from member $r\"" "$work/m$r.out" && fail "member $r received its own broadcast"
	dups=$(sed 's/"round":[0-9]*,//; s/"from":"[0-9a-f]*",//' "$work/m$r.out" | sort | uniq -d | wc -l)
	[ "$dups" = 0 ] || fail "member $r got $dups duplicate deliveries"
done
log "PASS ($dht_n DHT containers, $members members, $(($(date +%s) - t0)) s)"
