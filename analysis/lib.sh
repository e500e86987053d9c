# lib.sh - checks shared by plot.sh and compare.sh (sourced, not run).

check_tools() {
	for t in sqlite3 gnuplot; do
		command -v "$t" >/dev/null 2>&1 || {
			echo "$0: $t not found (apt-get install sqlite3 gnuplot-nox)" >&2
			exit 2
		}
	done
}

# Paths and names are pasted into gnuplot strings and /bin/sh commands: refuse quotes, '$',
# '`' and backslashes rather than quoting them.
check_path() {
	case $1 in
	*[\'\"\$\`\\]*) echo "$0: '$1': quotes, \$, \` and \\ are not supported in paths" >&2; exit 2 ;;
	esac
}
check_word() {
	case $2 in
	''|*[!A-Za-z0-9_.:/-]*) echo "$0: $1 '$2': use letters, digits and _ . : / - only" >&2; exit 2 ;;
	esac
}

# DB must exist (sqlite3 would silently create it) and be a results database of a version
# these scripts know.
check_db() {
	check_path "$1"
	[ -f "$1" ] || { echo "$0: $1: no such file" >&2; exit 2; }
	v=$(sqlite3 -batch "$1" "PRAGMA user_version" 2>&1) || {
		echo "$0: $1: cannot read: $v" >&2
		exit 2
	}
	case $v in
	1 | 2 | 3) ;; # 2 and 3 add run columns these scripts do not read
	0) echo "$0: $1: not a dtt results database (no schema version)" >&2; exit 2 ;;
	*) echo "$0: $1: results schema version $v; these scripts read versions 1 to 3" >&2; exit 2 ;;
	esac
}
