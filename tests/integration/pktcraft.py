#!/usr/bin/env python3
"""Hand-made packets for the data-path test (run inside a namespace).

  pktcraft.py capture IFACE FILE        one outgoing P_DATA_V2 frame to UDP 1194 -> FILE (hex)
  pktcraft.py resend IFACE FILE HOW N   that frame again, N times; HOW:
      same      byte for byte (a replay)
      corrupt   last byte (the tag's end) flipped -> authentication fails
      key-id    key-id 7 in the opcode byte -> no key for it
      peer-id   peer-id 0xabcdef -> no such peer
      opcode    opcode 0 -> never accepted
  pktcraft.py not-ip IFACE N            frames of EtherType 0x88b5 (local experimental)
  pktcraft.py tun IFACE KIND N          raw packets into a tun device (what the
                                        client then encrypts): KIND ipv6 | bad-ipv4

Every wait is bounded (capture: 10 s); exit 1 when nothing was captured.
"""
import socket
import struct
import sys
import time

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_IPV6 = 0x86DD
PACKET_OUTGOING = 4
P_DATA_V2 = 9


def data_v2_offset(frame):
    """Offset of the OpenVPN packet in an Ethernet/IPv4/UDP frame to port 1194, or None."""
    if len(frame) < 14 + 20 + 8 + 8 or struct.unpack("!H", frame[12:14])[0] != ETH_P_IP:
        return None
    ihl = (frame[14] & 15) * 4
    if frame[23] != 17:
        return None
    udp = 14 + ihl
    if struct.unpack("!H", frame[udp + 2:udp + 4])[0] != 1194:
        return None
    off = udp + 8
    return off if frame[off] >> 3 == P_DATA_V2 else None


def capture(iface, path):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((iface, 0))
    deadline = time.time() + 10
    while time.time() < deadline:
        s.settimeout(max(0.1, deadline - time.time()))
        try:
            frame, addr = s.recvfrom(65535)
        except socket.timeout:
            break
        if addr[2] == PACKET_OUTGOING and data_v2_offset(frame) is not None:
            with open(path, "w") as f:
                f.write(frame.hex())
            return 0
    print("no outgoing P_DATA_V2 frame seen", file=sys.stderr)
    return 1


def ip_checksum(hdr):
    total = sum(struct.unpack(f"!{len(hdr) // 2}H", hdr))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def variant(frame, how):
    f = bytearray(frame)
    off = data_v2_offset(frame)
    udp = off - 8
    if how.endswith("-moved"):
        # From another address of the client's subnet (a forger's, or a
        # replayer's): the IPv4 source and header checksum change.
        f[26:30] = bytes([192, 0, 2, 66])
        f[24:26] = b"\0\0"
        f[24:26] = struct.pack("!H", ip_checksum(bytes(f[14:34])))
        how = how[:-len("-moved")]
    if how == "same":
        return bytes(f)
    if how == "corrupt":
        f[-1] ^= 0x5A
    elif how == "key-id":
        f[off] = P_DATA_V2 << 3 | 7
    elif how == "peer-id":
        f[off + 1:off + 4] = b"\xab\xcd\xef"
    elif how == "opcode":
        f[off] = 0
    else:
        raise SystemExit(f"unknown variant {how}")
    f[udp + 6:udp + 8] = b"\0\0"  # no UDP checksum (optional over IPv4)
    return bytes(f)


def resend(iface, path, how, n):
    frame = variant(bytes.fromhex(open(path).read()), how)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    for _ in range(n):
        s.send(frame)
    return 0


def not_ip(iface, n):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
    s.bind((iface, 0))
    src = s.getsockname()[4]
    frame = b"\xff" * 6 + src + struct.pack("!H", 0x88B5) + b"sluice test".ljust(46, b"\0")
    for _ in range(n):
        s.send(frame)
    return 0


def tun(iface, kind, n):
    if kind == "ipv6":
        # version 6, no payload, next header 59 (none), hop limit 64,
        # between the client's and a LAN-side made-up address.
        pkt = struct.pack("!IHBB", 6 << 28, 0, 59, 64) + b"\xfd" + b"\0" * 14 + b"\2" + \
            b"\xfd" + b"\0" * 14 + b"\3"
        proto = ETH_P_IPV6
    elif kind == "bad-ipv4":
        # IPv4 whose total length (200) claims more than the 20 bytes sent.
        pkt = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 200, 1, 0, 64, 17, 0,
                          socket.inet_aton("10.10.0.2"), socket.inet_aton("10.20.0.2"))
        proto = ETH_P_IP
    else:
        raise SystemExit(f"unknown kind {kind}")
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(proto))
    s.bind((iface, proto))
    for _ in range(n):
        s.sendto(pkt, (iface, proto))
    return 0


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "capture":
        return capture(args[0], args[1])
    if cmd == "resend":
        return resend(args[0], args[1], args[2], int(args[3]))
    if cmd == "not-ip":
        return not_ip(args[0], int(args[1]))
    if cmd == "tun":
        return tun(args[0], args[1], int(args[2]))
    raise SystemExit(__doc__)


if __name__ == "__main__":
    sys.exit(main())
