#!/usr/bin/env bash
# The main demo: installs what is missing, builds, then seals a topic record with dtt-node and
# opens it again, printing the decoded record.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc 2>/dev/null || echo 2)"

node=build/node/dtt-node
key=$(printf '%064x' 7)            # the node's ed25519 seed (demo only)
peer=$(printf 'a1%.0s' {1..32})    # one active gossip peer
hash=$(printf 'b2%.0s' {1..32})    # one recent message hash
minute=$(( $(date +%s) / 60 ))     # one minute for all steps, so a minute boundary cannot split them

echo "== slot of topic 'demo' for this minute (where the record goes in the DHT)"
"$node" record slot --topic demo --minute "$minute"
echo "== sealed EncryptedRecord (BEP 44 value, hex)"
sealed=$("$node" record seal --topic demo --secret demo-secret --minute "$minute" --key "$key" \
	--peer "$peer" --hash "$hash")
echo "$sealed"
echo "== opened with the right secret"
echo "$sealed" | "$node" record open --topic demo --secret demo-secret --minute "$minute"
echo "== opened with a wrong secret (must fail)"
if echo "$sealed" | "$node" record open --topic demo --secret wrong --minute "$minute"; then
	echo "demo: a wrong secret opened the record" >&2
	exit 1
fi
echo "== demo done"
