# procs.sh - sourced by every test and bench script that starts processes in the background.
#
# Start a background process as a simple command, so that $! is the process itself:
#
#     "$bin" args... >out 2>err &
#     dtt_track $!
#
# and never as `some_shell_function args... &`: that forks a subshell around the function, $!
# is the subshell's pid, and killing it leaves the command the function started running,
# re-parented to init. To run a command in a network namespace, put `ip netns exec NS` in front
# of it (ip execs the command in place, the pid stays the same).
#
# dtt_stop_all, called from the script's EXIT trap, stops every tracked process and every other
# live descendant of the script: SIGTERM, up to DTT_STOP_GRACE_S seconds (default 5) to exit,
# then SIGKILL, then it reaps its children. dtt_trap_signals turns SIGTERM, SIGINT and SIGHUP
# (an outer `timeout`, ctest, Ctrl-C) into an exit, so the EXIT trap runs on those too.

dtt_pids=()

# dtt_track PID...: stop these processes in dtt_stop_all
dtt_track() {
	dtt_pids+=("$@")
}

# dtt_trap_signals: SIGTERM, SIGINT and SIGHUP end the script through its EXIT trap
dtt_trap_signals() {
	trap 'exit 143' TERM
	trap 'exit 130' INT
	trap 'exit 129' HUP
}

# dtt_descendants PID: sets dtt_found to every live process below PID (children, their
# children, ...), read from /proc without starting any process.
dtt_descendants() {
	local -A kids=()
	local f st pid ppid p c
	local queue=("$1")
	for f in /proc/[0-9]*/stat; do
		read -r st 2>/dev/null <"$f" || continue
		pid=${st%% *}
		st=${st##*) } # after "(comm)", which may itself hold spaces
		ppid=${st#* }
		ppid=${ppid%% *}
		kids[$ppid]+=" $pid"
	done
	dtt_found=()
	while ((${#queue[@]})); do
		p=${queue[0]}
		queue=("${queue[@]:1}")
		for c in ${kids[$p]:-}; do
			[ "$c" = "$BASHPID" ] && continue
			dtt_found+=("$c")
			queue+=("$c")
		done
	done
}

# dtt_alive PID: the process exists and is not a zombie
dtt_alive() {
	local st
	read -r st 2>/dev/null <"/proc/$1/stat" || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}

# dtt_stop_all: stop every tracked process and every descendant of this shell, then reap them
dtt_stop_all() {
	local p i alive grace=${DTT_STOP_GRACE_S:-5} targets=()
	local -A seen=()
	trap '' TERM INT HUP # a second signal must not cut the cleanup short
	# the whole tree first, before any signal: a process whose parent dies is re-parented to
	# init and could no longer be found below this shell
	dtt_descendants "$$"
	for p in "${dtt_pids[@]}" "${dtt_found[@]}"; do
		[ -z "${seen[$p]:-}" ] && dtt_alive "$p" && targets+=("$p")
		seen[$p]=1
	done
	if ((${#targets[@]})); then
		kill -TERM "${targets[@]}" 2>/dev/null || true
		for ((i = 0; i < grace * 20; i++)); do
			alive=0
			for p in "${targets[@]}"; do
				if dtt_alive "$p"; then
					alive=1
					break
				fi
			done
			((alive)) || break
			sleep 0.05
		done
		for p in "${targets[@]}"; do
			if dtt_alive "$p"; then
				echo "stop: pid $p still running ${grace}s after SIGTERM, sending SIGKILL" >&2
				kill -KILL "$p" 2>/dev/null || true
			fi
		done
	fi
	# reap this shell's own children (the others are reaped by their parents or by init)
	wait 2>/dev/null || true
	dtt_pids=()
	return 0
}
