#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""Seed inputs of the data-plane, admission, session and reliability fuzz
targets, in each target's input format (see the header of fuzz_<name>.c).
Real packets come from the corpora of other targets (captured control
packets in corpus/ctrl, in-band messages in corpus/data). Run from anywhere:
    python3 tests/fuzz/mkseeds.py [target ...]
"""
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
CORPUS = os.path.join(HERE, 'corpus')

PING = bytes.fromhex('2a187bf3641eb4cb07ed2d0a981fc748')
OCC_EXIT = bytes.fromhex('287f346bd4ef7a812d56b8d3afc5459c06')

VPN_A, LAN = 0x0A0A0006, 0x0A140002
PUB, PRIV, CLIENT = 0xC0000201, 0x0A140001, 0xC0000202
PUB_MAC, PRIV_MAC = b'\x02\0\0\0\0\x01', b'\x02\0\0\0\0\x02'
CLIENT_MAC, LAN_MAC = b'\x02\0\0\0\0\x10', b'\x02\0\0\0\0\x20'


def write(target, name, data):
    d = os.path.join(CORPUS, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), 'wb') as f:
        f.write(data)


def read(target, name):
    with open(os.path.join(CORPUS, target, name), 'rb') as f:
        return f.read()


def csum(b):
    if len(b) % 2:
        b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def ipv4(src, dst, proto, payload, df=False, ihl_opts=b''):
    hl = 20 + len(ihl_opts)
    h = struct.pack('!BBHHHBBHII', 0x40 | hl // 4, 0, hl + len(payload), 1,
                    0x4000 if df else 0, 64, proto, 0, src, dst) + ihl_opts
    h = h[:10] + struct.pack('!H', csum(h)) + h[12:]
    return h + payload


def tcp_syn(src, dst, mss=1460, opts=None, data=b''):
    if opts is None:
        opts = struct.pack('!BBH', 2, 4, mss) + b'\x01\x03\x03\x07' + b'\x04\x02\x01\x01'
    thl = 20 + len(opts)
    t = struct.pack('!HHIIBBHHH', 40000, 80, 1, 0, (thl // 4) << 4, 0x02, 64240, 0, 0) + opts + data
    ph = struct.pack('!IIBBH', src, dst, 0, 6, len(t))
    c = csum(ph + t)
    return t[:16] + struct.pack('!H', c) + t[18:]


def icmp_echo(data=b'ping' * 8, typ=8):
    h = struct.pack('!BBHHH', typ, 0, 0, 0x1234, 1) + data
    return h[:2] + struct.pack('!H', csum(h)) + h[4:]


def eth(dst, src, etype, payload):
    return dst + src + struct.pack('!H', etype) + payload


def arp(op, sha, sip, tha, tip):
    return struct.pack('!HHBBH', 1, 0x0800, 6, 4, op) + sha + struct.pack('!I', sip) + \
        tha + struct.pack('!I', tip)


def udp(sport, dport, payload):
    return struct.pack('!HHHH', sport, dport, 8 + len(payload), 0) + payload


def rec(kind, data):
    return struct.pack('!BH', kind, len(data)) + data


# ---- dp_input ----

def dp_input():
    ctrl = [read('ctrl', f) for f in ('cap_tlscrypt_rx6.bin', 'plain_0.bin',
                                      'cap_tlsauth_rx3.bin', 'cap_tlscryptv2_rx9.bin')]
    inner_a = ipv4(VPN_A, LAN, 1, icmp_echo())
    # public: sealed packets of each peer, control packets, ARP, echo, junk
    write('dp_input', 'pub_sealed_peers',
          b'\0' + rec(2, b'\0' + inner_a) + rec(2, b'\1' + ipv4(0x0A0A0007, LAN, 1, icmp_echo())) +
          rec(2, b'\2' + ipv4(0x0A0A000B, LAN, 1, icmp_echo())) +
          rec(2, b'\0' + ipv4(0xC0A83207, LAN, 1, icmp_echo())))
    write('dp_input', 'pub_sealed_inband',
          b'\0' + rec(2, b'\0' + PING) + rec(2, b'\1' + OCC_EXIT) + rec(2, b'\0' + b'\x60' + bytes(39)))
    write('dp_input', 'pub_sealed_tcp_syn',
          b'\0' + rec(2, b'\0' + ipv4(VPN_A, LAN, 6, tcp_syn(VPN_A, LAN))) +
          rec(2, b'\0' + ipv4(VPN_A, 0x0A140063, 1, icmp_echo())) +
          rec(2, b'\0' + ipv4(0x0A0A0099, LAN, 1, icmp_echo())))
    write('dp_input', 'pub_control', b'\0' + b''.join(rec(1, c) for c in ctrl))
    write('dp_input', 'pub_local',
          b'\0' + rec(0, eth(b'\xff' * 6, CLIENT_MAC, 0x0806,
                             arp(1, CLIENT_MAC, CLIENT, bytes(6), PUB))) +
          rec(0, eth(PUB_MAC, CLIENT_MAC, 0x0806, arp(2, CLIENT_MAC, CLIENT, PUB_MAC, PUB))) +
          rec(0, eth(PUB_MAC, CLIENT_MAC, 0x0800, ipv4(CLIENT, PUB, 1, icmp_echo()))) +
          rec(0, eth(PUB_MAC, CLIENT_MAC, 0x0800, ipv4(CLIENT, PUB, 17, udp(4000, 53, b'x')))) +
          rec(0, eth(PUB_MAC, CLIENT_MAC, 0x88b5, b'junk')) +
          rec(1, bytes([0x48, 0, 0, 2]) + bytes(30)) + rec(1, bytes([0x30]) + bytes(30)) +
          rec(1, bytes([0x50]) + bytes(30)))
    # private: to each VPN address and an iroute, big ones with and without DF, SYN
    write('dp_input', 'priv_lan',
          b'\1' + rec(2, b'\0\1' + icmp_echo()) + rec(2, b'\1\1' + icmp_echo()) +
          rec(2, b'\2\1' + icmp_echo()) + rec(2, b'\3\x11' + udp(5000, 5000, b'abc')) +
          rec(1, ipv4(LAN, 0x0A0A0063, 1, icmp_echo())) + rec(1, ipv4(LAN, 0x08080808, 1, icmp_echo())))
    # (inputs are at most 4096 bytes)
    write('dp_input', 'priv_big',
          b'\1' + rec(2, b'\0\x11' + bytes(1478)) + rec(6, b'\0\x11' + bytes(1478)))
    write('dp_input', 'priv_big_b', b'\1' + rec(2, b'\1\x01' + bytes(1420)) + rec(2, b'\2\x01' + bytes(1390)))
    write('dp_input', 'priv_syn',
          b'\1' + rec(2, b'\0\x06' + tcp_syn(LAN, VPN_A)) +
          rec(0, eth(PRIV_MAC, LAN_MAC, 0x0806, arp(1, LAN_MAC, LAN, bytes(6), PRIV))) +
          rec(0, eth(PRIV_MAC, LAN_MAC, 0x0800, ipv4(LAN, PRIV, 1, icmp_echo()))))


# ---- dp_local: byte 0 = function (% 3) | port (bit 2), bytes 1-2 = MSS ----

def dp_local():
    mss = struct.pack('!H', 1360)
    write('dp_local', 'arp_request_pub', b'\0' + mss + eth(b'\xff' * 6, CLIENT_MAC, 0x0806,
                                                           arp(1, CLIENT_MAC, CLIENT, bytes(6), PUB)))
    write('dp_local', 'arp_reply_priv', b'\3' + mss + eth(PRIV_MAC, LAN_MAC, 0x0806,
                                                          arp(2, LAN_MAC, LAN, PRIV_MAC, PRIV)))
    write('dp_local', 'arp_request_pad', b'\0' + mss + eth(b'\xff' * 6, CLIENT_MAC, 0x0806,
                                                           arp(1, CLIENT_MAC, CLIENT, bytes(6), PUB)) +
          bytes(18))
    write('dp_local', 'echo_pub', b'\1' + mss + eth(PUB_MAC, CLIENT_MAC, 0x0800,
                                                    ipv4(CLIENT, PUB, 1, icmp_echo())))
    write('dp_local', 'echo_priv_opts', b'\4' + mss +
          eth(PRIV_MAC, LAN_MAC, 0x0800, ipv4(LAN, PRIV, 1, icmp_echo(b'x' * 56),
                                              ihl_opts=b'\x01\x01\x01\x00')))
    write('dp_local', 'echo_empty', b'\1' + mss + eth(PUB_MAC, CLIENT_MAC, 0x0800,
                                                      ipv4(CLIENT, PUB, 1, icmp_echo(b''))))
    write('dp_local', 'mss_syn', b'\2' + mss + ipv4(LAN, VPN_A, 6, tcp_syn(LAN, VPN_A)))
    write('dp_local', 'mss_syn_low', b'\2' + mss + ipv4(LAN, VPN_A, 6, tcp_syn(LAN, VPN_A, 536)))
    write('dp_local', 'mss_syn_late', b'\2' + mss + ipv4(
        LAN, VPN_A, 6, tcp_syn(LAN, VPN_A, opts=b'\x01\x01\x04\x02\x03\x03\x07\x00' +
                              struct.pack('!BBH', 2, 4, 9000) + b'\0' * 4, data=b'data')))
    write('dp_local', 'mss_syn_nops', b'\2' + mss + ipv4(
        LAN, VPN_A, 6, tcp_syn(LAN, VPN_A, opts=b'\x01\x01\x04\x02\x03\x03\x07\x01' +
                              struct.pack('!BBH', 2, 4, 9000) + b'\0' * 4, data=b'data')))


# ---- reliable: first ids, timeout, then operations (bit 0 = side, op * 2) ----

SEND, POLL, ACK, DELIVER, DUP, LOSE, DRAIN, TIME, FORGE, NOW = range(10)


def op(o, side, *args):
    return bytes([o * 2 + side]) + bytes(args)


def send(side, text):
    return op(SEND, side, len(text)) + text


def reliable():
    exchange = b''
    for i in range(8):
        exchange += send(0, b'hello %d' % i) + op(POLL, 0) + op(DELIVER, 0, 0) + \
            op(DRAIN, 1) + op(ACK, 1) + op(DELIVER, 1, 0) + send(1, b'reply') + op(POLL, 1) + \
            op(DELIVER, 1, 0) + op(DRAIN, 0)
    write('reliable', 'exchange', struct.pack('!IIB', 0, 0, 0) + exchange)
    write('reliable', 'wrap', struct.pack('!IIB', 0xfffffffc, 0xfffffffe, 1) + exchange)
    lossy = b''
    for i in range(7):
        lossy += send(0, b'm%d' % i)
    lossy += op(POLL, 0) + op(LOSE, 0, 0) + op(DELIVER, 0, 3) + op(DUP, 0, 1) + \
        op(DELIVER, 0, 1) + op(DELIVER, 0, 0) + op(POLL, 1) + op(ACK, 1) + op(DELIVER, 1, 0) + \
        op(TIME, 0, 32) + op(POLL, 0) + op(DELIVER, 0, 0) + op(DELIVER, 0, 0) + op(DRAIN, 1) + \
        op(ACK, 1) + op(DELIVER, 1, 0) + op(TIME, 0, 200) + op(NOW, 0) + op(POLL, 0) + \
        send(0, b'late') + op(POLL, 0) + op(DELIVER, 0, 0) + op(DRAIN, 1)
    write('reliable', 'lossy', struct.pack('!IIB', 1, 1, 0) + lossy)
    forged = send(0, b'a') + send(0, b'b') + op(POLL, 0) + \
        op(FORGE, 1, 0x05, 0, 1, 2, 0, 5) + b'forge' + op(FORGE, 1, 0x07, 1, 0, 0, 11, 0) + \
        op(FORGE, 1, 0x01, 12, 0) + op(DRAIN, 1) + op(ACK, 1) + op(DELIVER, 1, 0) + op(DRAIN, 1)
    write('reliable', 'forged', struct.pack('!IIB', 5, 7, 0) + forged)


# ---- cp_admit: mode, then records endpoint(1) flags(1) len(1) bytes ----

HARD_RESET_V2, HARD_RESET_V3, CONTROL_V1, ACK_V1, WKC_V1 = 7, 10, 4, 5, 11


def ctrl(op, sid, msg_id=None, acks=(), peer_sid=bytes(8), payload=b'', key_id=0):
    b = bytes([op << 3 | key_id]) + sid + bytes([len(acks)])
    b += b''.join(struct.pack('!I', a) for a in acks)
    if acks:
        b += peer_sid
    if msg_id is not None:
        b += struct.pack('!I', msg_id)
    return b + payload


def arec(ep, flags, data):
    return bytes([ep, flags, len(data)]) + data


def cp_admit():
    sid = bytes(range(1, 9))
    hello = bytes([0x16, 3, 1, 0, 4]) + b'\x01\0\0\0'
    for mode in range(4):
        reset = HARD_RESET_V3 if mode == 3 else HARD_RESET_V2
        third = WKC_V1 if mode == 3 else CONTROL_V1
        flow = arec(0, 1, ctrl(reset, sid, 0)) + \
            arec(0, 3, ctrl(third, sid, 1, acks=(0,), payload=hello))
        write('cp_admit', 'flow_mode%d' % mode, bytes([mode]) + flow)
        write('cp_admit', 'ack_mode%d' % mode, bytes([mode]) + arec(1, 1, ctrl(reset, sid, 0)) +
              arec(1, 3 | 8, ctrl(ACK_V1, sid, acks=(0,))))
        write('cp_admit', 'limits_mode%d' % mode, bytes([mode]) +
              b''.join(arec(i % 3, 1, ctrl(reset, sid, 0)) for i in range(12)) +
              b''.join(arec(i % 3, 3, ctrl(third, sid, 1, acks=(0,), payload=hello))
                       for i in range(6)) +
              arec(4, 1, ctrl(reset, sid, 1)) + arec(8, 1, ctrl(reset, sid, 0)) +
              arec(8, 3 | 255 << 2 & 0xfc, ctrl(third, sid, 1, acks=(0,))))
    caps = {1: ['cap_tlsauth_rx3.bin', 'live_tlsauth_rx11.bin'],
            2: ['cap_tlscrypt_rx6.bin', 'live_tlscrypt_rx14.bin'],
            3: ['cap_tlscryptv2_rx9.bin', 'live_v2_rx17.bin'],
            0: ['plain_0.bin', 'plain_1.bin']}
    for mode, files in caps.items():
        recs = b''.join(arec(0, 0, read('ctrl', f)[:255]) for f in files)
        write('cp_admit', 'captured_mode%d' % mode, bytes([mode]) + recs)


# ---- cp_session: operations (see fuzz_cp_session.c) ----

RAW, PLAIN, CPKT, APP, STEP, RUN, MS250, S10, DPEV, KILL, KM2, PUSHREQ = range(12)


def cp_session():
    hs = bytes([STEP, RUN, 0]) * 6 + bytes([KM2, 0, RUN, 0]) + bytes([STEP, RUN, 0]) * 3
    up = hs + bytes([PUSHREQ, RUN, 0, DPEV, 0, RUN, 0, STEP])
    write('cp_session', 'handshake', hs)
    write('cp_session', 'handshake_user', bytes([STEP, RUN, 0]) * 6 + bytes([KM2, 1, RUN, 0, STEP]))
    write('cp_session', 'reneg_time', up + bytes([S10, 13, RUN, 0, STEP, RUN, 0, S10, 7, RUN, 0]))
    write('cp_session', 'rekey_event', up + bytes([DPEV, 3, RUN, 0, STEP, RUN, 1, MS250, 8, RUN, 0]))
    for ev, name in ((1, 'idle'), (2, 'exit'), (4, 'error')):
        write('cp_session', 'end_' + name, up + bytes([DPEV, ev, RUN, 0]))
    write('cp_session', 'kill', up + bytes([KILL, 0, RUN, 0, MS250, 4, RUN, 0, STEP, RUN, 0]))
    write('cp_session', 'hand_window', bytes([STEP, RUN, 1, S10, 3, RUN, 0, S10, 4, RUN, 0]))
    write('cp_session', 'lost_and_junk', bytes([STEP, RUN, 1, MS250, 8, RUN, 0, STEP]) +
          bytes([RAW, 20]) + bytes(range(10)) * 3 + bytes([PLAIN, 14]) + ctrl(CONTROL_V1, bytes(8), 5) +
          bytes([CPKT, 8, 0, 4]) + b'\x00\x01\x02\x03\x04\x05\x06' + bytes([RUN, 0, STEP, RUN, 0]))
    write('cp_session', 'app_garbage', hs + bytes([APP, 40]) + b'garbage,\n' * 5 + bytes([RUN, 0]))


TARGETS = {'dp_input': dp_input, 'dp_local': dp_local, 'reliable': reliable,
           'cp_admit': cp_admit, 'cp_session': cp_session}

if __name__ == '__main__':
    for t in sys.argv[1:] or TARGETS:
        TARGETS[t]()
