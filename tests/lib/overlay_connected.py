#!/usr/bin/env python3
"""overlay_connected.py WORK N: exit 0 when the members 1..N form one component.

Reads each member's JSON event lines from WORK/m<M>.err (dtt-node join's stderr): `ready`
names a member's id, `neighbor_up` and `neighbor_down` add and remove the edges. Exits 1
while the overlay is still split; used by the e2e, outage and docker tests."""
import json
import sys


def main():
    work, n = sys.argv[1], int(sys.argv[2])
    ids, edges = {}, set()
    for m in range(1, n + 1):
        for line in open(f"{work}/m{m}.err"):
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if e.get("event") == "ready":
                ids[e["id"]] = m
            elif e.get("event") == "neighbor_up":
                edges.add((m, e["peer"]))
            elif e.get("event") == "neighbor_down":
                edges.discard((m, e["peer"]))
    adj = {m: set() for m in range(1, n + 1)}
    for m, peer in edges:
        if peer in ids:
            adj[m].add(ids[peer])
            adj[ids[peer]].add(m)
    seen, frontier = {1}, [1]
    while frontier:
        for x in adj[frontier.pop()]:
            if x not in seen:
                seen.add(x)
                frontier.append(x)
    return 0 if len(seen) == n else 1


if __name__ == "__main__":
    sys.exit(main())
