#!/usr/bin/env python3
"""Captures and replays for the hostile-input test (run inside a namespace).

  hostile.py capture IFACE FILE SECS MAX [OPS]
      outgoing Ethernet/IPv4/UDP frames to port 1194, one per line in hex,
      until MAX frames or SECS seconds; OPS (comma-separated opcodes, e.g.
      9 for P_DATA_V2) keeps only those. Prints what it kept by opcode.
  hostile.py replay IFACE FILE [REWRITE...]
      every frame of FILE once more; REWRITE: peer-id=N (P_DATA_V2 frames:
      the packet sealed for one peer presented as another's), sport=N,
      count=N (each frame N times), index=I (only the I-th frame, from 0)
  hostile.py count IFACE SECS
      incoming IPv4 packets from the VPN pool (10.10.0.0/24) until SIGTERM
      or SECS seconds, by protocol (and ICMP type): what the tunnel
      delivered. Prints "counting on IFACE" once it listens.
  hostile.py peer-rx FILE_PREFIX ID
      packets the data plane took from peer ID (DPDK telemetry,
      /sluice/peers,ID: rx_pkts)
  hostile.py delta BEFORE AFTER
      two `sluicectl status` outputs -> every counter that moved, one
      "name delta" a line (dp:REASON the data plane's drops, cp:NAME the
      control plane's counters, lcore:NAME summed over workers,
      public:NAME / private:NAME the ports), then "accounted N": the
      frames some counter answers for (every data-plane drop, every
      control-plane drop-*, ARP and echo replies, cookie replies)

Every wait is bounded by SECS; exit 1 when a capture kept nothing. The
first line of capture and count says when they listen (the test waits for
it: starting Python can take seconds on a loaded machine).
"""
import json
import signal
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
PACKET_OUTGOING = 4
P_DATA_V2 = 9
OPS = {3: "soft-reset", 4: "control", 5: "ack", 7: "hard-reset-v2", 9: "data-v2",
       10: "hard-reset-v3", 11: "wkc"}


def ovpn_offset(frame):
    """Offset of the OpenVPN packet in an Ethernet/IPv4/UDP frame to 1194, or None."""
    if len(frame) < 14 + 20 + 8 + 1 or struct.unpack("!H", frame[12:14])[0] != ETH_P_IP:
        return None
    if frame[23] != 17:
        return None
    udp = 14 + (frame[14] & 15) * 4
    if struct.unpack("!H", frame[udp + 2:udp + 4])[0] != 1194 or len(frame) <= udp + 8:
        return None
    return udp + 8


def capture(iface, path, secs, most, ops):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    print("capturing on %s" % iface, flush=True)
    kept, by_op = [], {}
    deadline = time.time() + secs
    while len(kept) < most and time.time() < deadline:
        s.settimeout(max(0.05, deadline - time.time()))
        try:
            frame, addr = s.recvfrom(65535)
        except socket.timeout:
            break
        off = ovpn_offset(frame)
        if addr[2] != PACKET_OUTGOING or off is None:
            continue
        op = frame[off] >> 3
        if ops and op not in ops:
            continue
        kept.append(frame.hex())
        by_op[op] = by_op.get(op, 0) + 1
        with open(path, "w") as f:     # whatever we have, if we get killed
            f.write("\n".join(kept) + "\n")
    print("captured %d frames: %s" % (len(kept), ", ".join(
        "%s %d" % (OPS.get(op, str(op)), n) for op, n in sorted(by_op.items()))))
    return 0 if kept else 1


def rewrite(frame, opts):
    f = bytearray(frame)
    off = ovpn_offset(frame)
    udp = off - 8
    if "peer-id" in opts and f[off] >> 3 == P_DATA_V2:
        f[off + 1:off + 4] = int(opts["peer-id"]).to_bytes(3, "big")
    if "sport" in opts:
        f[udp:udp + 2] = int(opts["sport"]).to_bytes(2, "big")
    f[udp + 6:udp + 8] = b"\0\0"   # no UDP checksum (optional over IPv4)
    return bytes(f)


def replay(iface, path, args):
    opts = dict(a.split("=", 1) for a in args)
    frames = [bytes.fromhex(line) for line in open(path).read().split()]
    if "index" in opts:
        frames = [frames[int(opts["index"])]]
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    n = 0
    for fr in frames:
        fr = rewrite(fr, opts)
        for _ in range(int(opts.get("count", 1))):
            s.send(fr)
            n += 1
    print("replayed %d frames" % n)
    return 0


def count(iface, secs):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_IP))
    s.bind((iface, 0))
    seen = {}
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    print("counting on %s" % iface, flush=True)
    deadline = time.time() + secs
    while not stop and time.time() < deadline:
        s.settimeout(min(0.1, max(0.01, deadline - time.time())))
        try:
            frame, addr = s.recvfrom(65535)
        except (socket.timeout, InterruptedError):
            continue
        if addr[2] == PACKET_OUTGOING or len(frame) < 34 or frame[26] != 10 or \
                frame[27] != 10 or frame[28] != 0:
            continue
        proto = frame[23]
        ihl = (frame[14] & 15) * 4
        key = "icmp-%d" % frame[14 + ihl] if proto == 1 and len(frame) > 14 + ihl else \
            "proto-%d" % proto
        seen[key] = seen.get(key, 0) + 1
    print(" ".join("%s %d" % kv for kv in sorted(seen.items())) or "none", flush=True)
    return 0


def peer_rx(prefix, peer_id):
    path = f"/var/run/dpdk/{prefix}/dpdk_telemetry.v2"
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
        s.settimeout(5)
        s.connect(path)
        s.recv(16384)                  # the greeting
        s.send(f"/sluice/peers,{peer_id}".encode())
        reply = json.loads(s.recv(65536).decode())
    print(reply["/sluice/peers"]["rx_pkts"])   # keyed by the command alone
    return 0


def counters(path):
    """`sluicectl status` text -> {name: value}."""
    c, port = {}, None
    for line in open(path):
        w = line.split()
        if not w:
            continue
        if w[0] == "drop" and len(w) >= 3:
            c["dp:" + w[1]] = int(w[2])
        elif w[0] == "control" and len(w) > 1 and w[1] == "packets-in":
            for k, v in zip(w[1::2], w[2::2]):
                c["cp:" + k] = int(v)
        elif w[0] == "lcore":
            body = line.split(":", 1)[1].split()
            for k, v in zip(body[0::2], body[1::2]):
                if v.isdigit():
                    c["lcore:" + k] = c.get("lcore:" + k, 0) + int(v)
        elif w[0] == "port":
            port = w[1].rstrip(":")
        elif port and w[0] == "rx_pkts":
            for k, v in zip(w[0::2], w[1::2]):
                c[port + ":" + k] = int(v)
            port = None
    return c


def delta(before, after):
    b, a = counters(before), counters(after)
    d = {k: a[k] - b.get(k, 0) for k in a}
    for k in sorted(d):
        if d[k] and not k.startswith("lcore:") or k in ("lcore:arp_replies", "lcore:icmp_replies",
                                                        "lcore:cp_rx", "lcore:rx_pkts"):
            print(k, d[k])
    acc = sum(v for k, v in d.items() if k.startswith("dp:") or k.startswith("cp:drop-"))
    acc += d.get("lcore:arp_replies", 0) + d.get("lcore:icmp_replies", 0) + \
        d.get("cp:cookie-replies", 0)
    print("accounted", acc)
    return 0


def main():
    if len(sys.argv) < 3:
        raise SystemExit(__doc__)
    cmd, a = sys.argv[1], sys.argv[2:]
    if cmd == "capture":
        ops = {int(x) for x in a[4].split(",")} if len(a) > 4 else set()
        return capture(a[0], a[1], float(a[2]), int(a[3]), ops)
    if cmd == "replay":
        return replay(a[0], a[1], a[2:])
    if cmd == "count":
        return count(a[0], float(a[1]))
    if cmd == "peer-rx":
        return peer_rx(a[0], a[1])
    if cmd == "delta":
        return delta(a[0], a[1])
    raise SystemExit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
