#!/usr/bin/env bash
# Installs every Debian 12 package dtt needs to build, test, simulate and plot.
# Safe to run again: apt-get skips what is already installed.
set -euo pipefail

packages=(
	build-essential cmake pkg-config
	clang libclang-rt-14-dev            # libFuzzer targets and the sanitizer build
	libsodium-dev libssl-dev            # ed25519/X25519/ChaCha20-Poly1305, SHA-1/HKDF
	libsqlite3-dev sqlite3              # simulator results and the analysis queries
	libyaml-dev                         # scenario files
	libcmocka-dev                       # unit tests
	gnuplot-nox                         # figures
	python3 python3-libtorrent          # DHT interoperability test against libtorrent
	iproute2                            # network namespaces for end-to-end tests
	lintian                             # checks the Debian packages (scripts/deb.sh)
	parallel                            # dtt-sim sweep runs its runs through GNU parallel
	slurmctld slurmd slurm-client munge # the Slurm job-array test (a one-node cluster)
	libmicrohttpd-dev                   # dtt-node --metrics (Prometheus over HTTP)
	curl                                # the metrics test scrapes it
	libns3-dev libgsl-dev               # dtt-sim-ns3 (ns-3 3.37; its pkg-config Libs name libgsl)
)

sudo=""
if [ "$(id -u)" -ne 0 ]; then
	sudo="sudo"
fi

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done

if [ "${#missing[@]}" -eq 0 ]; then
	echo "setup: all ${#packages[@]} packages present"
	exit 0
fi

echo "setup: installing ${missing[*]}"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
