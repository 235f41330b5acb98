import socket, sys, time
# Record every datagram (time offset, source, hex) for a bounded period.
port, secs, out = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", port))
s.settimeout(0.2)
t0 = time.time()
with open(out, "w") as f:
    while time.time() - t0 < secs:
        try:
            d, a = s.recvfrom(4096)
        except socket.timeout:
            continue
        f.write("%.3f %s:%d %d %s\n" % (time.time() - t0, a[0], a[1], int(time.time()), d.hex()))
        f.flush()
