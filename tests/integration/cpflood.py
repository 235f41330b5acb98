#!/usr/bin/env python3
"""A handshake flood for the admission test (run inside the client namespace).

  cpflood.py KEY SERVER SOURCES COUNT SECS HOLD

From every address in SOURCES (comma-separated, already on an interface),
COUNT times spread evenly over SECS seconds: the start of an OpenVPN
handshake with tls-crypt KEY as a client that knows the key would make it
(OpenVPN's stateless cookie: src/openvpn/ssl_pkt.c, mudp.c): a hard reset,
and when the stateless cookie reply comes back (1 s at most), a P_ACK_V1
that acks it and echoes the cookie, so the server makes a session that then
waits for a TLS ClientHello. HOLD seconds later that session gets a
ClientHello that is not TLS, so it ends (a TLS failure) and stops counting
as half-open. Prints one summary line.

Wire format (tls-crypt, OpenVPN src/openvpn/tls_crypt.c): op|kid, own
sid(8), replay-id counter and time (4+4), HMAC-SHA256 tag (32),
AES-256-CTR(plain) with IV = tag[0:16]; client->server keys are bytes
128..159 (cipher) and 192..223 (HMAC) of the key file, server->client 0..31
and 64..95 (tls_crypt.c tls_crypt_init_key, crypto.c key_direction_state_init).
"""
import hashlib
import hmac
import os
import select
import socket
import struct
import sys
import time

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

P_ACK_V1 = 5
P_CONTROL_V1 = 4
HARD_RESET_CLIENT_V2 = 7
HARD_RESET_SERVER_V2 = 8


def read_key(path):
    text = open(path).read()
    body = text.split("-----BEGIN OpenVPN Static key V1-----")[1]
    body = body.split("-----END OpenVPN Static key V1-----")[0]
    key = bytes.fromhex("".join(body.split()))
    assert len(key) == 256
    return {"tx": (key[128:160], key[192:224]), "rx": (key[0:32], key[64:96])}


def ctr(ke, iv, data):
    c = Cipher(algorithms.AES(ke), modes.CTR(iv)).encryptor()
    return c.update(data) + c.finalize()


def wrap(keys, op, sid, rid, plain):
    ke, ka = keys["tx"]
    hdr = bytes([op << 3]) + sid + struct.pack("!II", rid, int(time.time()))
    tag = hmac.new(ka, hdr + plain, hashlib.sha256).digest()
    return hdr + tag + ctr(ke, tag[:16], plain)


def unwrap(keys, pkt):
    """(opcode, server sid, plaintext) of a server packet, or None."""
    if len(pkt) < 49:
        return None
    ke, ka = keys["rx"]
    hdr, tag = pkt[:17], pkt[17:49]
    plain = ctr(ke, tag[:16], pkt[49:])
    if not hmac.compare_digest(tag, hmac.new(ka, hdr + plain, hashlib.sha256).digest()):
        return None
    return pkt[0] >> 3, pkt[1:9], plain


class Source:
    """One address: its attempts waiting for a cookie, the sessions it made."""

    def __init__(self, addr, server):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind((addr, 0))
        self.sock.connect(server)
        self.sent = 0
        self.pending = {}       # our sid -> give up at (a refused reset gets no reply)
        self.held = []          # (end time, our sid, server sid)

    def reset(self, keys, now):
        sid = os.urandom(8)
        self.sock.send(wrap(keys, HARD_RESET_CLIENT_V2, sid, 1, b"\x00" + struct.pack("!I", 0)))
        self.sent += 1
        self.pending[sid] = now + 1.0

    def expire(self, now):
        self.pending = {k: t for k, t in self.pending.items() if t > now}


def on_reply(src, keys, pkt, hold, stats):
    r = unwrap(keys, pkt)
    if r is None or r[0] != HARD_RESET_SERVER_V2:
        return
    op, srv_sid, plain = r
    sid = plain[5:13] if plain[0] == 1 else None    # ack [0], then our sid
    if sid not in src.pending:
        return
    del src.pending[sid]
    stats["cookies"] += 1
    ack = b"\x01" + struct.pack("!I", 0) + srv_sid
    src.sock.send(wrap(keys, P_ACK_V1, sid, 2, ack))
    stats["acks"] += 1
    src.held.append((time.monotonic() + hold, sid, srv_sid))


def end_held(src, keys, now, stats, force=False):
    keep = []
    for t, sid, srv_sid in src.held:
        if t <= now or force:
            junk = b"\x00" + struct.pack("!I", 1) + b"\x16\x03\x01\x00\x05flood"
            src.sock.send(wrap(keys, P_CONTROL_V1, sid, 3, junk))
            stats["ended"] += 1
        else:
            keep.append((t, sid, srv_sid))
    src.held = keep


def main():
    if len(sys.argv) != 7:
        sys.exit(__doc__)
    keys = read_key(sys.argv[1])
    server = (sys.argv[2], 1194)
    count, secs, hold = int(sys.argv[4]), float(sys.argv[5]), float(sys.argv[6])
    srcs = [Source(a, server) for a in sys.argv[3].split(",")]
    stats = {"resets": 0, "cookies": 0, "acks": 0, "ended": 0}
    start = time.monotonic()
    end = start + secs + hold + 1.0     # the last replies and session ends come after
    step = secs / count
    while time.monotonic() < end:
        now = time.monotonic()
        for s in srcs:
            s.expire(now)
            if s.sent < count and now >= start + s.sent * step:
                s.reset(keys, now)
                stats["resets"] += 1
            end_held(s, keys, now, stats)
        if all(s.sent >= count and not s.pending and not s.held for s in srcs):
            break
        ready, _, _ = select.select([s.sock for s in srcs], [], [], min(step, 0.05))
        for s in srcs:
            if s.sock in ready:
                try:
                    on_reply(s, keys, s.sock.recv(2048), hold, stats)
                except OSError:
                    pass
    for s in srcs:
        end_held(s, keys, 0, stats, force=True)
    print("flood: %d sources, %d resets, %d cookie replies, %d sessions started, "
          "%d ended, %.1f s" % (len(srcs), stats["resets"], stats["cookies"], stats["acks"],
                                stats["ended"], time.monotonic() - start))


if __name__ == "__main__":
    main()
