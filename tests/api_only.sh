#!/usr/bin/env bash
# api_only.sh ROOT [FILE...] - fails if the simulator or dtt-node reach below the public API.
# Without FILEs it checks every source of ROOT/sim (ns3 included) and ROOT/node.
#
# A core header (one under ROOT/core) may be included only if it is public:
#   the application API   dtt.h (it re-exports err.h: DTT_ERR_*, dtt_strerror)
#   the backend side      env.h (a backend's env), provider.h and crypto.h (a crypto provider)
#   the DHT client API    dht.h, bep44.h, verify_memo.h (dtt_dht_config.verify_memo)
#   the record format     record.h (dtt-node record; the simulator's attacks)
#   base utilities        alloc.h, err.h, hex.h, log.h, rng.h
# Everything else (the gossip layer, links, HyParView, PlumTree, the tracker's topic and slot
# I/O, node.h, the DHT's routing table, store and KRPC) is reached through dtt.h only, so no
# call of their functions may appear either.
set -euo pipefail

root=${1:?usage: api_only.sh ROOT [FILE...]}
shift
public="dtt.h err.h env.h provider.h crypto.h dht.h bep44.h verify_memo.h record.h alloc.h hex.h log.h rng.h"
# Functions of the layers below dtt.h (dtt_gossip_content_* is the record format, record.h).
banned='\bdtt_(gossip_(?!content)|links?_|hpv_|plumtree_|tracker_topic_|slot_io_|node_gossip\b|node_set_gossip_observer|krpc_|store_|rt_|noise_|addr_vote_)\w*\s*\('

if [ $# -eq 0 ]; then
	mapfile -t files < <(find "$root/sim" "$root/node" -type f \( -name '*.c' -o -name '*.h' -o -name '*.cc' \) | sort)
else
	files=("$@")
fi
mapfile -t core_headers < <(find "$root/core" -name '*.h' -printf '%f\n' | sort -u)
declare -A is_core=() is_public=()
for h in "${core_headers[@]}"; do is_core[$h]=1; done
for h in $public; do is_public[$h]=1; done

bad=0
for f in "${files[@]}"; do
	while IFS=: read -r line inc; do
		h=$(sed -E 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"([^"]+)".*/\1/' <<<"$inc")
		if [ -n "${is_core[$h]:-}" ] && [ -z "${is_public[$h]:-}" ]; then
			echo "$f:$line: includes core header $h (not public: use dtt.h)"
			bad=1
		fi
	done < <(grep -nE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"' "$f")
	# comments out, then calls of functions below the API
	if hits=$(sed -E 's://.*$::' "$f" | perl -0pe 's{/\*.*?\*/}{my $c = $&; $c =~ tr/\n//cd; $c}gse' |
		grep -nP "$banned"); then
		while IFS= read -r h; do
			echo "$f:${h%%:*}: calls below the public API: $(grep -oP "$banned" <<<"${h#*:}" | head -1)"
		done <<<"$hits"
		bad=1
	fi
done
if [ $bad -ne 0 ]; then
	echo "api_only: sim/ and node/ must use the public API only (see the list in $0)"
	exit 1
fi
echo "api_only: ${#files[@]} files of sim/ and node/ use the public API only"
