#!/usr/bin/env bash
# ctest install_and_build_against: `cmake --install` the build tree into a fresh prefix, check
# that it holds what the packages promise, then build tests/install/consumer.c outside the
# source and build trees with `pkg-config --cflags --libs dtt` (shared library), and again
# against libdtt.a (its libdir and private requirements from pkg-config), and run both.
#   install.sh BUILD_DIR CC [EXTRA_CFLAGS]
set -euo pipefail
build=$1 cc=$2 extra=${3:-}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/dtt_install_XXXXXX)
trap 'rm -rf "$work"' EXIT

prefix=$work/prefix
cmake --install "$build" --prefix "$prefix" > "$work/install.log"

fail() { echo "install: $*" >&2; exit 1; }
pc=$(find "$prefix" -name dtt.pc)
[ -n "$pc" ] || fail "no dtt.pc installed"
libdir=$(dirname "$(dirname "$pc")")
for f in bin/dtt-node include/dtt/dtt.h include/dtt/loop.h include/dtt/posix_env.h \
	 etc/dtt/dht.conf; do
	[ -e "$prefix/$f" ] || fail "missing $f"
done
[ -e "$libdir/libdtt.a" ] || fail "missing libdtt.a"
[ -L "$libdir/libdtt.so" ] || fail "missing the libdtt.so link"
[ -n "$(find "$prefix" -name "dtt-node@.service")" ] || fail "missing dtt-node@.service"
soname=$(objdump -p "$libdir/libdtt.so" | awk '$1 == "SONAME" {print $2}')
[ "$soname" = libdtt.so.0 ] || fail "SONAME is '$soname'"
"$prefix/bin/dtt-node" --help > /dev/null || fail "installed dtt-node --help failed"
# every installed header compiles on its own
for h in "$prefix"/include/dtt/*.h; do
	echo "#include <dtt/$(basename "$h")>" > "$work/one.c"
	"$cc" -std=c11 -Wall -Werror -fsyntax-only -I"$prefix/include" "$work/one.c" ||
		fail "header $(basename "$h") does not compile alone"
done

# outside both trees: only the installed prefix and pkg-config
mkdir "$work/app"
cp "$here/consumer.c" "$work/app/"
cd "$work/app"
export PKG_CONFIG_PATH=$libdir/pkgconfig
pkg-config --exists dtt || fail "pkg-config does not find dtt"
echo "pkg-config --cflags --libs dtt: $(pkg-config --cflags --libs dtt)"
# shellcheck disable=SC2046,SC2086
"$cc" -std=c11 -Wall -Wextra -Werror $extra -o app-shared consumer.c \
	$(pkg-config --cflags --libs dtt)
# shellcheck disable=SC2046,SC2086
# libdtt.a with the system's shared libsodium, libcrypto, ...: the modules dtt.pc requires
# privately, linked as shared libraries (`--static` would want their own static closure)
"$cc" -std=c11 -Wall -Wextra -Werror $extra -o app-static consumer.c \
	$(pkg-config --cflags dtt) "$(pkg-config --variable=libdir dtt)/libdtt.a" \
	$(pkg-config --libs $(pkg-config --print-requires-private dtt))
deps_shared=$(LD_LIBRARY_PATH=$libdir ldd app-shared)
deps_static=$(ldd app-static)
grep -q "libdtt.so.0 => $libdir/libdtt.so.0" <<< "$deps_shared" || {
	echo "$deps_shared"
	fail "app-shared does not load the installed libdtt.so.0"
}
! grep -q libdtt <<< "$deps_static" || fail "app-static still needs libdtt.so"

want=$(printf %s my-iroh-gossip-topic | sha512sum | cut -c1-64)
for app in app-shared app-static; do
	out=$(LD_LIBRARY_PATH=$libdir ./$app my-iroh-gossip-topic) || {
		echo "$out"
		fail "$app failed"
	}
	echo "$app: $out" | tr '\n' ' '
	echo
	[ "$(echo "$out" | head -1)" = "$want" ] || fail "$app: topic id is not SHA-512(name)[0..32]"
done
echo "install: ok"
