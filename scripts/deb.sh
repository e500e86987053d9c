#!/usr/bin/env bash
# Builds the Debian packages of dtt with CPack (dtt-node, libdtt0, libdtt-dev; see
# packaging/README.md) in their own build tree configured for /usr, then checks each with
# lintian: exit status 1 if lintian reports an error. The .deb files are left in that tree.
#   scripts/deb.sh [BUILD_DIR]        (default: build-deb in the repository root)
set -euo pipefail
if [ "${1:-}" = "--help" ] || [ "${1:-}" = "-h" ]; then
	sed -n '2,5p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
fi
root=$(cd "$(dirname "$0")/.." && pwd)
build=$(realpath -m "${1:-$root/build-deb}")   # absolute: the script works from $root

# Debian's build flags, all hardening on (as a package built with debhelper and
# hardening=+all): _FORTIFY_SOURCE, stack protector, format checks, RELRO and BIND_NOW
cd "$root"
mkdir -p "$build"
eval "$(DEB_BUILD_MAINT_OPTIONS=hardening=+all dpkg-buildflags --export=sh)"
cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_INSTALL_PREFIX=/usr \
	-DCMAKE_C_FLAGS="$CPPFLAGS $CFLAGS" -DCMAKE_EXE_LINKER_FLAGS="$LDFLAGS" \
	-DCMAKE_SHARED_LINKER_FLAGS="$LDFLAGS" \
	-DCMAKE_SKIP_INSTALL_ALL_DEPENDENCY=ON > "$build/configure.log" ||
	{ cat "$build/configure.log"; exit 1; }
cmake --build "$build" -j"$(nproc)" --target dtt-node dtt_shared dtt_static > /dev/null
rm -f "$build"/*.deb
(cd "$build" && cpack -G DEB > cpack.log) || { cat "$build/cpack.log"; exit 1; }
for deb in "$build"/*.deb; do
	echo "== $(basename "$deb")"
	dpkg-deb --info "$deb" | sed -n 's/^ \(Package\|Version\|Depends\|Installed-Size\):/\1:/p'
	dpkg-deb --contents "$deb" | awk '{print "   " $6 ($7 ? " " $7 " " $8 : "")}'
done
command -v lintian > /dev/null ||
	{ echo "deb: lintian not installed (scripts/setup.sh installs it)" >&2; exit 1; }
echo "== lintian"
lintian --info --display-info --display-experimental --pedantic --tag-display-limit 0 "$build"/*.deb 2>&1 | grep -v '^running with root' | tee "$build/lintian.txt" || true
# errors fail; the other tags are listed, each with its reason, in packaging/README.md
! grep -q '^E:' "$build/lintian.txt"
