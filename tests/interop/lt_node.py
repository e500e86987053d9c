#!/usr/bin/python3
"""libtorrent-rasterbar peer for the BEP 5 / BEP 44 interoperability test (loopback only).

Run it with Debian's /usr/bin/python3, which is the interpreter that can import the
python3-libtorrent binding (libtorrent-rasterbar 2.0.8).

Subcommands (every session binds 127.0.0.1 only and never contacts a public bootstrap node):

  serve --port P [--bootstrap H:P,...]
      A DHT-only node on 127.0.0.1:P. Prints one JSON line once the UDP socket is bound:
      {"impl":"libtorrent","id":"<40 hex>","addr":"127.0.0.1:P","port":P}
      and then runs until SIGINT/SIGTERM (or until its parent process is gone).

  put [--port P] --bootstrap H:P,... --seed HEX32 --salt HEX --value HEX [--timeout S] [--linger]
      A BEP 44 mutable put signed with the key pair derived from the ed25519 seed. The value
      bytes are stored as a bencoded byte string. libtorrent picks the sequence number itself
      (highest seq found by its own get, plus one). Prints
      {"stored":N,"seq":N,"pubkey":hex,"target":hex,"sig":hex,...}; exit 0 if stored on >= 1 node.
      With --linger the session is a full node and keeps serving after the put until SIGTERM.

  get [--port P] --bootstrap H:P,... --pubkey HEX32 --salt HEX [--timeout S] [--min-seq N]
      A BEP 44 mutable get. Prints {"seq":N,"value":hex,"sig":hex,"pubkey":hex,...} for the
      highest-seq item (libtorrent has verified the signature; it is checked again here with
      python3-cryptography). Exit 0 if an item with seq >= --min-seq arrived, 1 if not.

  pubkey --seed HEX32 [--salt HEX]
      Prints {"pubkey":hex,"target":hex} (no network).

The put and get sessions run in BEP 43 read-only mode, so queries from them add no routing
entries. A libtorrent node that accepts a put does add the putter (node_seen after every valid
put, even with ro=1); once a put client exits, that entry is dead, and every later libtorrent
lookup that queries it completes only after the 15 s RPC timeout. `put --linger` avoids this by
keeping the putter alive as a full node. Exit codes: 0 success, 1 nothing found / nothing
stored, 2 usage or setup error.
"""

import argparse
import hashlib
import json
import os
import signal
import sys
import time
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)

try:
    import libtorrent as lt
except ImportError as exc:  # pragma: no cover - environment problem
    sys.stderr.write("lt_node: cannot import libtorrent (use /usr/bin/python3): %s\n" % exc)
    sys.exit(2)

POLL_S = 0.01


def die(msg, code=2):
    sys.stderr.write("lt_node: %s\n" % msg)
    sys.exit(code)


def emit(obj):
    sys.stdout.write(json.dumps(obj, sort_keys=False) + "\n")
    sys.stdout.flush()


def parse_hostports(text):
    """'127.0.0.1:6881,127.0.0.1:6882' -> [('127.0.0.1', 6881), ...]; loopback only."""
    out = []
    if not text:
        return out
    for item in text.split(","):
        item = item.strip()
        if not item:
            continue
        host, sep, port = item.rpartition(":")
        if not sep or not host or not port.isdigit():
            die("bad HOST:PORT %r" % item)
        if not host.startswith("127."):
            die("refusing non-loopback bootstrap node %r" % item)
        p = int(port)
        if not 0 < p < 65536:
            die("bad port in %r" % item)
        out.append((host, p))
    return out


def parse_hex(text, what, length=None):
    try:
        raw = bytes.fromhex(text)
    except ValueError:
        die("%s is not hex" % what)
    if length is not None and len(raw) != length:
        die("%s must be %d bytes, got %d" % (what, length, len(raw)))
    return raw


def settings_for(port, read_only):
    """The settings a loopback swarm needs (libtorrent 2.0.8 defaults in comments)."""
    cat = lt.alert.category_t
    return {
        # plain address: a listen socket flagged "l" (local network) gets no DHT
        "listen_interfaces": "127.0.0.1:%d" % port,
        "outgoing_interfaces": "127.0.0.1",
        # default: try port+1..+10, then fall back to an ephemeral port; we need the exact port
        "max_retry_port_bind": 0,
        "listen_system_port_fallback": False,
        "enable_dht": True,
        "dht_bootstrap_nodes": "",  # default dht.libtorrent.org:25401
        "enable_lsd": False,
        "enable_upnp": False,
        "enable_natpmp": False,
        # default true: one node per IP (/24) collapses a 127.0.0.1 swarm to one entry
        "dht_restrict_routing_ips": False,
        "dht_restrict_search_ips": False,
        # default 5 pkt/s with a 300 s block: every peer here shares one source IP
        "dht_block_ratelimit": 1000000,
        "dht_block_timeout": 1,
        "dht_upload_rate_limit": 100000000,  # default 8000 B/s
        "dht_read_only": bool(read_only),
        "alert_mask": cat.dht_notification | cat.error_notification
        | cat.status_notification | cat.dht_operation_notification,
        "alert_queue_size": 10000,
    }


class Session:
    """One libtorrent session plus a bounded alert pump."""

    def __init__(self, port, bootstrap, read_only, log=False):
        sp = settings_for(port, read_only)
        if log:
            cat = lt.alert.category_t
            sp["alert_mask"] |= cat.dht_log_notification
        self.log = log
        self.t0 = time.monotonic()
        try:
            self.ses = lt.session(sp)
        except Exception as exc:  # noqa: BLE001 - binding raises plain RuntimeError
            die("cannot start session: %s" % exc)
        self.port = port
        self.bound_port = None
        self.rt_nodes = 0
        for node in bootstrap:
            self.ses.add_dht_node(node)
        self.handlers = []

    def pump(self):
        """Pop every pending alert; returns the list (also tracked for listen/bootstrap)."""
        alerts = self.ses.pop_alerts()
        for a in alerts:
            if self.log and not isinstance(a, lt.dht_stats_alert):
                sys.stderr.write("%8.3f %s: %s\n" % (time.monotonic() - self.t0,
                                                      type(a).__name__, a.message()))
            if isinstance(a, lt.listen_failed_alert):
                die("listen failed: %s" % a.message())
            if isinstance(a, lt.listen_succeeded_alert):
                # uTP is the UDP socket the DHT runs on
                if a.socket_type in (lt.socket_type_t.utp, lt.socket_type_t.udp):
                    self.bound_port = a.port
            elif isinstance(a, lt.dht_stats_alert):
                self.rt_nodes = sum(b["num_nodes"] for b in a.routing_table)
        return alerts

    def wait(self, deadline, pred, what):
        """Pump alerts until pred(alerts) is true; die when the deadline passes."""
        while True:
            alerts = self.pump()
            if pred(alerts):
                return
            if time.monotonic() > deadline:
                die("timed out waiting for %s" % what, 1)
            if STOP:
                die("stopped by a signal while waiting for %s" % what, 1)
            time.sleep(POLL_S)

    def wait_bound(self, deadline):
        self.wait(deadline, lambda _a: self.bound_port is not None, "the UDP socket")

    def node_id(self):
        """20-byte node id (dht_state() stores id followed by the IP it belongs to)."""
        try:
            state = self.ses.dht_state()
        except Exception:  # noqa: BLE001
            return None
        ids = state.get(b"node-id") or state.get("node-id")
        if isinstance(ids, list) and ids:
            ids = ids[0]
        if isinstance(ids, (bytes, bytearray)) and len(ids) >= 20:
            return bytes(ids[:20])
        return None

    def wait_routing(self, deadline, want, grace_s=1.0):
        """Until `want` nodes answered (live in the routing table), or >= 1 did and grace_s
        passed. libtorrent pings each add_dht_node() node once; its own bootstrap lookup only
        runs on the first 5 s tick, so the put/get lookup itself does the rest of the walk."""
        last = 0.0
        t0 = time.monotonic()
        while True:
            now = time.monotonic()
            if now - last > 0.05:
                self.ses.post_dht_stats()
                last = now
            self.pump()
            if self.rt_nodes >= want or (self.rt_nodes >= 1 and now - t0 >= grace_s):
                return
            if now > deadline:
                die("timed out waiting for a bootstrap node to answer (live nodes %d)"
                    % self.rt_nodes, 1)
            if STOP:
                die("stopped by a signal while bootstrapping", 1)
            time.sleep(POLL_S)


# --- ed25519 -----------------------------------------------------------------------------

def expanded_secret(seed):
    """64-byte expanded ed25519 key (orlp/ed25519, libtorrent's secret_key):
    clamp(SHA512(seed)[0:32]) || SHA512(seed)[32:64]. Not libsodium's seed||pk."""
    h = bytearray(hashlib.sha512(seed).digest())
    h[0] &= 248
    h[31] &= 127
    h[31] |= 64
    return bytes(h)


def public_from_seed(seed):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    return Ed25519PrivateKey.from_private_bytes(seed).public_key().public_bytes(
        serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def bencode_bytes(b):
    return str(len(b)).encode() + b":" + b


def signed_buffer(salt, seq, v_bencoded):
    """BEP 44: [4:salt<len>:<salt>] 3:seqi<seq>e 1:v<bencoded v>."""
    out = b""
    if salt:
        out += b"4:salt" + bencode_bytes(salt)
    out += b"3:seqi%de1:v" % seq + v_bencoded
    return out


def verify(pubkey, sig, salt, seq, value):
    """Independent RFC 8032 check of a string-valued item (None if python3-cryptography is absent)."""
    try:
        from cryptography.exceptions import InvalidSignature
        from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
    except ImportError:
        return None
    try:
        Ed25519PublicKey.from_public_bytes(pubkey).verify(
            sig, signed_buffer(salt, seq, bencode_bytes(value)))
        return True
    except InvalidSignature:
        return False


def target_of(pubkey, salt):
    return hashlib.sha1(pubkey + salt).digest()


# --- subcommands ---------------------------------------------------------------------------

STOP = False
PARENT = os.getppid()


def on_signal(_signum, _frame):
    global STOP
    STOP = True


def keep_serving(s):
    """Drain alerts until SIGTERM/SIGINT, or until the parent is gone (a killed harness must
    not leave nodes behind); the DHT itself runs on libtorrent's own thread."""
    while not STOP and os.getppid() == PARENT:
        s.pump()
        time.sleep(0.05)


def cmd_serve(args):
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    s = Session(args.port, parse_hostports(args.bootstrap), read_only=False, log=args.log)
    deadline = time.monotonic() + 10
    s.wait_bound(deadline)
    nid = None
    while nid is None and time.monotonic() < deadline:
        nid = s.node_id()
        if nid is None:
            s.pump()
            time.sleep(POLL_S)
    emit({"impl": "libtorrent", "id": nid.hex() if nid else None,
          "addr": "127.0.0.1:%d" % s.bound_port, "port": s.bound_port})
    keep_serving(s)
    return 0


def cmd_put(args):
    seed = parse_hex(args.seed, "--seed", 32)
    salt = parse_hex(args.salt, "--salt")
    value = parse_hex(args.value, "--value")
    if len(salt) > 64:
        die("--salt longer than 64 bytes")
    if len(bencode_bytes(value)) > 1000:
        die("bencoded value longer than 1000 bytes")
    boot = parse_hostports(args.bootstrap)
    if not boot:
        die("--bootstrap is required")
    pk = public_from_seed(seed)
    sk = expanded_secret(seed)
    t0 = time.monotonic()
    deadline = t0 + args.timeout
    if args.linger:
        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
    s = Session(args.port, boot, read_only=not args.linger, log=args.log)
    s.wait_bound(deadline)
    s.wait_routing(deadline, min(args.min_nodes, len(boot)))
    t_ready = time.monotonic()
    s.ses.dht_put_mutable_item(sk, pk, value, salt)
    done = []

    def got_put(alerts):
        done.extend(a for a in alerts if isinstance(a, lt.dht_put_alert))
        return bool(done)

    s.wait(deadline, got_put, "dht_put_alert")
    t_done = time.monotonic()
    a = done[0]
    sig = bytes(a.signature)
    ok = verify(pk, sig, salt, a.seq, value)
    emit({"stored": a.num_success, "seq": a.seq, "pubkey": pk.hex(),
          "target": target_of(pk, salt).hex(), "salt": salt.hex(), "value": value.hex(),
          "sig": sig.hex(), "sig_ok": ok, "live_nodes": s.rt_nodes,
          "bootstrap_ms": round((t_ready - t0) * 1000, 1),
          "put_ms": round((t_done - t_ready) * 1000, 1)})
    if ok is False:
        die("libtorrent produced a signature that does not verify", 2)
    if args.linger:
        keep_serving(s)
    return 0 if a.num_success >= 1 else 1


def cmd_get(args):
    pk = parse_hex(args.pubkey, "--pubkey", 32)
    salt = parse_hex(args.salt, "--salt")
    boot = parse_hostports(args.bootstrap)
    if not boot:
        die("--bootstrap is required")
    t0 = time.monotonic()
    deadline = t0 + args.timeout
    s = Session(args.port, boot, read_only=True, log=args.log)
    s.wait_bound(deadline)
    s.wait_routing(deadline, min(args.min_nodes, len(boot)))
    t_ready = time.monotonic()
    best = None  # (seq, value, sig, authoritative)
    attempts = 0
    t_first = None

    def usable():
        return best is not None and best[0] >= args.min_seq

    # libtorrent reports each higher-seq item as it arrives and an authoritative one when the
    # lookup ends, which waits for every queried node or its 15 s RPC timeout. Stop at the
    # authoritative answer, or --settle seconds after the first usable value.
    while time.monotonic() < deadline and not usable():
        if attempts:
            time.sleep(0.2)  # nothing (new enough) yet: look again until the deadline
        attempts += 1
        s.ses.dht_get_mutable_item(pk, salt)
        finished = False
        while not finished and time.monotonic() < deadline:
            for a in s.pump():
                if not isinstance(a, lt.dht_mutable_item_alert):
                    continue
                if a.authoritative:
                    finished = True
                sig = bytes(a.signature)
                if not any(sig):
                    continue  # the empty authoritative answer: nothing found
                try:
                    item = a.item  # the binding raises on an empty item
                except RuntimeError:
                    continue
                # the binding hands a.salt over as str; the item dict has the raw bytes
                if not isinstance(item, dict) or bytes(a.key) != pk \
                        or item.get("salt", salt) != salt:
                    continue
                value = item.get("value")
                if not isinstance(value, (bytes, bytearray)):
                    die("item found but v is not a byte string: %r" % (value,), 2)
                if t_first is None:
                    t_first = time.monotonic()
                if best is None or a.seq >= best[0]:
                    best = (a.seq, bytes(value), sig, a.authoritative)
            if usable() and time.monotonic() - t_first >= args.settle:
                break
            time.sleep(POLL_S)
    if best is None or best[0] < args.min_seq:
        got = "nothing" if best is None else "seq %d" % best[0]
        die("no item with seq >= %d after %d lookup(s): %s" % (args.min_seq, attempts, got), 1)
    seq, value, sig, auth = best
    ok = verify(pk, sig, salt, seq, value)
    emit({"seq": seq, "value": value.hex(), "sig": sig.hex(), "pubkey": pk.hex(),
          "salt": salt.hex(), "target": target_of(pk, salt).hex(), "sig_ok": ok,
          "authoritative": auth, "attempts": attempts, "live_nodes": s.rt_nodes,
          "bootstrap_ms": round((t_ready - t0) * 1000, 1),
          "first_value_ms": round((t_first - t_ready) * 1000, 1) if t_first else None,
          "get_ms": round((time.monotonic() - t_ready) * 1000, 1)})
    if ok is False:
        die("item signature does not verify", 2)
    return 0


def cmd_pubkey(args):
    seed = parse_hex(args.seed, "--seed", 32)
    salt = parse_hex(args.salt, "--salt")
    pk = public_from_seed(seed)
    emit({"pubkey": pk.hex(), "target": target_of(pk, salt).hex()})
    return 0


def main(argv):
    p = argparse.ArgumentParser(prog="lt_node.py", description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd", required=True)

    ps = sub.add_parser("serve", help="run a DHT node until SIGTERM/SIGINT")
    ps.add_argument("--port", type=int, required=True)
    ps.add_argument("--bootstrap", default="")
    ps.add_argument("--log", action="store_true", help="DHT log and alerts to stderr")

    for name in ("put", "get"):
        q = sub.add_parser(name)
        q.add_argument("--port", type=int, default=0, help="0 = any free port")
        q.add_argument("--bootstrap", required=True)
        q.add_argument("--salt", default="")
        q.add_argument("--timeout", type=float, default=20.0)
        q.add_argument("--log", action="store_true", help="DHT log and alerts to stderr")
        q.add_argument("--min-nodes", type=int, default=8,
                       help="start once this many bootstrap nodes answered (or 1 did and 1 s passed)")
        if name == "put":
            q.add_argument("--seed", required=True, help="32-byte ed25519 seed, hex")
            q.add_argument("--value", required=True, help="raw bytes, hex")
            q.add_argument("--linger", action="store_true",
                           help="after the put, keep serving as a full node until SIGTERM")
        else:
            q.add_argument("--pubkey", required=True, help="32-byte ed25519 public key, hex")
            q.add_argument("--min-seq", type=int, default=1)
            q.add_argument("--settle", type=float, default=1.0,
                           help="seconds to wait for a higher seq after the first usable value")

    pp = sub.add_parser("pubkey", help="print the public key and BEP 44 target of a seed")
    pp.add_argument("--seed", required=True)
    pp.add_argument("--salt", default="")

    args = p.parse_args(argv)
    if getattr(args, "port", 0) < 0 or getattr(args, "port", 0) > 65535:
        die("bad --port")
    return {"serve": cmd_serve, "put": cmd_put, "get": cmd_get,
            "pubkey": cmd_pubkey}[args.cmd](args)


if __name__ == "__main__":
    try:
        sys.exit(main(sys.argv[1:]))
    except SystemExit:
        raise
    except BaseException as exc:  # noqa: BLE001 - a crash is a setup error, never "not found"
        import traceback

        traceback.print_exc()
        die("internal error: %s" % exc, 2)
