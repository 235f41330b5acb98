#!/usr/bin/env python3
"""Query a DPDK telemetry v2 socket: telemetry.py FILE_PREFIX COMMAND -> JSON on stdout."""
import json
import socket
import sys


def main():
    prefix, cmd = sys.argv[1], sys.argv[2]
    path = f"/var/run/dpdk/{prefix}/dpdk_telemetry.v2"
    with socket.socket(socket.AF_UNIX, socket.SOCK_SEQPACKET) as s:
        s.settimeout(5)
        s.connect(path)
        json.loads(s.recv(16384).decode())  # the greeting
        s.send(cmd.encode())
        reply = json.loads(s.recv(65536).decode())
    print(json.dumps(reply[cmd]))


if __name__ == "__main__":
    main()
