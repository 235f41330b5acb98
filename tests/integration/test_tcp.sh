#!/usr/bin/env bash
# The TCP transport with the real openvpn 2.6 client (proto tcp-client):
# the data plane steers TCP segments for vpn.tcp_port to the kernel through
# its tap exception path, the control plane reads the OpenVPN stream
# (docs/architecture.md, "TCP transport"). Stages: the handshake over TCP,
# ping and iperf3 TCP both ways to the LAN through the tunnel; garbage
# framing closes the connection and is counted; the connection cut from
# the concentrator's side (ss -K) ends its session, the client reconnects
# by itself and traffic resumes; a UDP client beside the TCP one; the TCP
# client stopped (SIGSTOP) under a flood: its packets are dropped and
# counted at its connection's bound while the UDP client's ping goes on;
# a client sending P_DATA_V1 (no peer-id) over TCP with vpn.data_v1;
# AES-256-CBC + HMAC-SHA256 over TCP with iperf3 and rekeys under ping; a
# PaaS add-on profile verbatim (proto tcp, auth-user-pass, comp-lzo,
# redirect-gateway autolocal, a net_gateway route): ping, iperf3, routes,
# and its connection cut by the concentrator: it reconnects by itself.
source "$(dirname "$0")/lib.sh"
sl_require_root
sl_topology
sl_pki client1 client2 client3
SL_CONF=$(sl_config)
sl_conf_set 'vpn: {' 'tcp_port = 1194;'
sl_conf_set 'vpn: {' 'data_v1 = true;'
sl_conf_set 'vpn: {' 'data_ciphers = [ "AES-256-GCM", "AES-256-CBC" ]; auth = "SHA256";'
sl_conf_set 'vpn: {' 'keepalive: { ping = 2; ping_restart = 10; };'
ip -n "${P}l" route add 10.10.0.0/24 via 10.20.0.1
# Complete checksums on the client's wire: the kernel behind the tap checks them.
sl_nsc ethtool -K "${P}cv" tx off >/dev/null
# The kernel of the concentrator's namespace sees the af_packet port's
# frames too: keep it off them (a NIC bound to DPDK needs none of this):
# no ARP answers there, and strict reverse-path filtering drops what
# arrives there for the public address (its replies leave by the tap).
sl_nsx sysctl -q -w net.ipv4.conf.all.rp_filter=1 "net.ipv4.conf.${P}pub.rp_filter=1" \
  "net.ipv4.conf.${P}pub.arp_ignore=8"
LAN=10.20.0.2

sl_dp_start
# Replies of the kernel's TCP leave through the tap (docs/operations.md).
sl_nsx ip rule add from 192.0.2.1 lookup 100
sl_nsx ip route add default dev sluice-tcp table 100
sl_cp_start

tcp_listening() { sl_nsx ss -ltn | grep -q ':1194 '; }
stage "the control plane listens on vpn.tcp_port" wait_for 5 tcp_listening

connect_tcp() {
  rm -f "$SL_TMP/$1.log"
  sl_client_start "$1" --proto tcp-client --explicit-exit-notify 1 2>/dev/null
  sl_client_up "$1" 40
}
stage "openvpn --proto tcp-client connects" connect_tcp client1
TCP_PID=$CL_PID

session_tcp() { sl_ctl sessions | grep -q 'client1'; }
stage "its session is listed" session_tcp
ping_lan() { sl_nsc ping -c 5 -i 0.2 -W 2 "$LAN" >/dev/null; }
stage "ping to the LAN through the TCP tunnel" ping_lan
ping_client() { sl_nsl ping -c 3 -i 0.2 -W 2 10.10.0.2 >/dev/null; }
stage "ping from the LAN to the client" ping_client

stage "iperf3 server in the LAN" sl_iperf_server
stage "iperf3 TCP client -> LAN over the TCP transport" sl_iperf up
stage "iperf3 TCP LAN -> client (-R) over the TCP transport" sl_iperf down -R

# ---- keepalive over TCP: the data plane's pings reach the client by the control plane ----

idle_kept() {
  sleep 12   # past ping_restart (10 s) on both sides
  ! grep -q "Inactivity timeout" "$SL_TMP/client1.log" && session_tcp && ping_lan
}
stage "12 s idle: keepalives over TCP keep the session both ways" idle_kept

# ---- garbage framing: the connection is closed and counted ----

cp_counter() { sl_ctl status | grep -o "$1 [0-9]*" | head -1 | awk '{ print $2 }'; }
garbage() {
  local before; before=$(cp_counter tcp-garbage)
  # A zero length, then a length past the limit on a second connection.
  sl_nsc python3 -c '
import socket, sys
for junk in (b"\x00\x00abc", b"\xff\xff" + b"x" * 64):
    s = socket.create_connection(("192.0.2.1", 1194), timeout=5)
    s.sendall(junk)
    s.settimeout(5)
    if s.recv(10) != b"":   # the concentrator closes: EOF (or a reset)
        sys.exit(1)
    s.close()
' || return 1
  wait_for 5 bash -c "[ \"\$(\"$SL_BUILD/ctl/sluicectl\" -s \"$SL_TMP/ctl.sock\" status | grep -o 'tcp-garbage [0-9]*' | awk '{ print \$2 }')\" -ge $((before + 2)) ]"
}
stage "garbage stream framing (length 0, length 65535): closed and counted" garbage
stage "the tunnel goes on after them" ping_lan

# ---- the connection cut from the concentrator's side ----

completed() { grep -c "Initialization Sequence Completed" "$SL_TMP/client1.log" || true; }
cut_and_reconnect() {
  sl_nsx ss -K state established '( sport = :1194 )' >/dev/null 2>&1 || return 1
  wait_for 60 bash -c "[ \$(grep -c 'Initialization Sequence Completed' '$SL_TMP/client1.log') -ge 2 ]" ||
    { tail -20 "$SL_TMP/client1.log"; tail -20 "$SL_TMP/cp.log"; return 1; }
}
stage "ss -K of the client's connection: the client reconnects by itself" cut_and_reconnect
stage "traffic resumes over the new connection" wait_for 15 ping_lan
one_session() { [ "$(sl_ctl sessions | grep -c client1)" = 1 ]; }
stage "the cut connection's session is gone (one session left)" wait_for 15 one_session

# ---- a UDP client beside the TCP one ----

udp_client() {
  sl_client_start client2 --dev udptun --dev-type tun --route-noexec --explicit-exit-notify 1
  sl_client_up client2 30
}
stage "a UDP client connects while the TCP one is up" udp_client
UDP_PID=$CL_PID
both() {
  sl_nsc ping -c 3 -i 0.2 -W 2 -I udptun "$LAN" >/dev/null &&
  ping_lan && [ "$(sl_ctl sessions | grep -c 'client[12]')" = 2 ]
}
stage "both tunnels carry traffic at once (UDP and TCP)" both
stage "iperf3 over TCP with the UDP client up" sl_iperf both

# ---- a stalled TCP reader: its packets dropped and counted, the others go on ----

stalled_reader() {
  local before vpn flood rc=0
  before=$(cp_counter tcp-drop-full)
  vpn=$(sl_nsc ip -4 -o addr show dev tun0 | awk '{ split($4, a, "/"); print a[1] }')
  kill -STOP "$TCP_PID"
  # The LAN floods the stopped client (UDP, 5 s): the kernel's socket
  # buffers and then its connection's 256 KiB queue fill.
  timeout 10 ip netns exec "${P}l" python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
d, end = b"x" * 1300, time.time() + 5
while time.time() < end:
    s.sendto(d, (sys.argv[1], 9))
' "$vpn" >/dev/null 2>&1 &
  flood=$!
  sleep 3
  sl_nsc ping -c 5 -i 0.2 -W 2 -I udptun "$LAN" >/dev/null || rc=1
  wait "$flood" || true
  kill -CONT "$TCP_PID"
  sl_log "tcp-drop-full $before -> $(cp_counter tcp-drop-full)"
  [ $rc -eq 0 ] && [ "$(cp_counter tcp-drop-full)" -gt "$before" ]
}
stage "a stopped TCP client: its packets dropped and counted, the UDP client's ping unharmed" stalled_reader
stage "the TCP client, resumed, carries traffic again" wait_for 20 ping_lan


sl_stop "$UDP_PID" 20 || true
sl_stop "$TCP_PID" 20 || true

# ---- P_DATA_V1 over TCP (vpn.data_v1) ----

# A 2.6 client uses P_DATA_V2 only when the server pushes peer-id (OpenVPN
# src/openvpn/push.c, options.c): with peer-id filtered out it sends
# P_DATA_V1 with no peer-id, as a pre-2.4 client does. The data plane has
# no address to find it by over TCP: the control plane names the peer.
v1_client() {
  rm -f "$SL_TMP/client3.log"
  sl_client_start client3 --proto tcp-client \
    --pull-filter ignore peer-id --explicit-exit-notify 1
  sl_client_up client3 40 && grep -q "Pushed option removed by filter: 'peer-id" "$SL_TMP/client3.log"
}
stage "a TCP client with peer-id filtered out (P_DATA_V1) connects" v1_client
V1_PID=$CL_PID
stage "ping to the LAN over TCP with P_DATA_V1" ping_lan
stage "iperf3 TCP client -> LAN over TCP with P_DATA_V1" sl_iperf v1
stage "iperf3 TCP LAN -> client (-R) over TCP with P_DATA_V1" sl_iperf v1-down -R
sl_stop "$V1_PID" 20 || true

# ---- AES-256-CBC + HMAC-SHA256 over TCP, rekeyed under ping ----

cbc_tcp() {
  rm -f "$SL_TMP/client3.log"
  sl_client_start client3 --proto tcp-client --data-ciphers AES-256-CBC --auth SHA256 \
    --reneg-sec 15 --explicit-exit-notify 1
  CBC_PID=$CL_PID
  sl_client_up client3 40 &&
  sl_ctl sessions | grep -q "^user client3 .* transport tcp cipher AES-256-CBC auth SHA256 "
}
cbc_tcp_rekey() {
  local mark n; mark=$(wc -l < "$SL_TMP/cp.log")
  sl_nsc ping -c 200 -i 0.2 -W 2 "$LAN" > "$SL_TMP/cbc-tcp-ping.log" 2>&1
  n=$(tail -n +"$mark" "$SL_TMP/cp.log" | grep -c "now sending on key-id")
  sl_log "$(grep "packet loss" "$SL_TMP/cbc-tcp-ping.log"); $n key switches"
  grep -q " 0% packet loss" "$SL_TMP/cbc-tcp-ping.log" && [ "$n" -ge 2 ]
}
stage "data-ciphers AES-256-CBC, auth SHA256 over TCP: connects, listed with them" cbc_tcp
stage "iperf3 TCP client -> LAN, AES-256-CBC over TCP" sl_iperf cbc-tcp
stage "reneg-sec 15 over TCP: two rekeys under ping, no loss" cbc_tcp_rekey
sl_stop "$CBC_PID" 20 || true

# ---- a PaaS add-on profile, verbatim, over TCP ----

# The profile such add-ons hand their apps (docs/operations.md, "Serving a
# PaaS add-on profile"), its files beside it, a user/password file, a user
# of the store with a password; no control-channel wrapping (the profile
# has none). The server: vpn.tcp_port, passwords on, the users imported.
# A 2.6 client adds `cipher` to its data-ciphers and NCP picks the
# server's first shared one (AES-256-GCM here); comp-lzo gets stub framing.
users_file() {
  python3 -c 'import hashlib, os, sys
salt = os.urandom(16)
h = hashlib.pbkdf2_hmac("sha256", sys.argv[1].encode(), salt, 100000)
print("app@example.com:pbkdf2-sha256$100000$" + salt.hex() + "$" + h.hex())' "$1" > "$SL_TMP/users"
}
paas_server() {
  users_file "add-on pass"
  sl_server_conf "s#^  tls_crypt = .*#  auth_user_pass = true;#" \
    "s#^users: {#users: {\n  import = \"$SL_TMP/users\";#"
  sl_conf_set 'vpn: {' 'tcp_port = 1194;'
  sl_cp_restart
  wait_for 5 tcp_listening
}
stage "server for the add-on profile (tcp_port, passwords, imported users)" paas_server
PROF=$SL_TMP/profile
mkdir -p "$PROF"
cp "$SL_TMP/pki/ca.crt" "$PROF/ca.pem"
cp "$SL_TMP/pki/client1.crt" "$PROF/cert.pem"
cp "$SL_TMP/pki/client1.key" "$PROF/key.pem"
printf 'app@example.com\nadd-on pass\n' > "$PROF/up.txt"
cat > "$PROF/addon.ovpn" <<'EOF_PROFILE'
client
dev tun
proto tcp
remote 192.0.2.1 1194
route remote_host 255.255.255.255 net_gateway
resolv-retry infinite
redirect-gateway autolocal
nobind
persist-key
persist-tun
ca ca.pem
cert cert.pem
key key.pem
auth-user-pass
cipher AES-256-CBC
auth SHA256
comp-lzo
route-delay 4
verb 3
reneg-sec 0
EOF_PROFILE
# The client's namespace gets a default gateway, as an app's host has:
# net_gateway and redirect-gateway work from it.
ip -n "${P}c" route add default via 192.0.2.1
paas_client() {
  rm -f "$SL_TMP/addon.log"
  ip netns exec "${P}c" openvpn --cd "$PROF" --config addon.ovpn --auth-user-pass up.txt \
    --log "$SL_TMP/addon.log" >/dev/null 2>&1 &
  CL_PID=$!
  SL_PIDS+=("$CL_PID")
  sl_client_up addon 60 && wait_for 5 bash -c "\"$SL_BUILD/ctl/sluicectl\" -s \"$SL_TMP/ctl.sock\" sessions | grep -q '^user app@example.com cn client1 '"
}
stage "the add-on profile, verbatim, connects over TCP as app@example.com" paas_client
PAAS_PID=$CL_PID
routes_set() {
  local r
  r=$(sl_nsc ip -4 route show)
  sl_log "client routes: $(tr '\n' ';' <<<"$r")"
  grep -q "^192\.0\.2\.1 via 192\.0\.2\.1 " <<<"$r" &&
  grep -Eq "^default via 10\.10\.0\.[0-9]+ dev tun" <<<"$r"
}
stage "redirect-gateway and the net_gateway route in the client's table" routes_set
stage "ping to the LAN with the add-on profile" ping_lan
stage "iperf3 TCP client -> LAN with the add-on profile" sl_iperf addon
stage "iperf3 TCP LAN -> client (-R) with the add-on profile" sl_iperf addon-down -R
sl_ctl sessions | grep '^user app@example.com' | sed 's/^/# /'
# The concentrator cuts the connection: the profile's client (resolv-retry
# infinite, persist-tun) reconnects by itself with its saved credentials.
addon_cut() {
  sl_nsx ss -K state established '( sport = :1194 )' >/dev/null 2>&1 || return 1
  wait_for 60 bash -c "[ \$(grep -c 'Initialization Sequence Completed' '$SL_TMP/addon.log') -ge 2 ]" ||
    { tail -20 "$SL_TMP/addon.log"; tail -20 "$SL_TMP/cp.log"; return 1; }
}
stage "ss -K of the add-on profile's connection: the client reconnects by itself" addon_cut
stage "traffic resumes with the add-on profile" wait_for 15 ping_lan
sl_stop "$PAAS_PID" 20 || true
sl_finish
