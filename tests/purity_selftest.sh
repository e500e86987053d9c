#!/usr/bin/env bash
# purity_selftest.sh PURITY_SH PLANTED_ARCHIVE - the purity check must reject a library that
# calls time(), and say so by name.
set -uo pipefail
out=$("$1" "$2" 2>&1)
rc=$?
echo "$out"
if [ "$rc" -ne 1 ]; then
	echo "selftest: purity.sh exited $rc on the planted library, expected 1" >&2
	exit 1
fi
if ! grep -q "calls time" <<<"$out"; then
	echo "selftest: purity.sh did not name the planted call to time()" >&2
	exit 1
fi
echo "selftest: planted call caught"
