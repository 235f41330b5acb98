#!/usr/bin/env bash
# The data path with the real openvpn 2.6 client: ping both ways, iperf3
# TCP and UDP both ways, inner-source spoofing and a replayed captured
# packet dropped and counted, every drop reason that can be provoked from
# outside, and `kill -9` of the control plane during a ping run (no ping
# lost; the restarted control plane adopts the session, which a fresh
# handshake replaces once the client's renegotiation fails, and which
# `sluicectl kill` and ping-restart end). Meson runs it once per crypto
# backend (SL_CRYPTO, put into dataplane.crypto by lib.sh): the data plane
# logs its choice, `sluicectl status` and the telemetry show it per cipher.
#
# Drop reasons not provoked here, and why:
#   tx-full          the NIC TX queue must be full: af_packet on a veth
#                    does not back up at test rates
#   no-mbuf          the packet pool must be exhausted
#   pktid-exhausted  2^32 packets on one key (unit-tested: test_dp_data.c)
#   handoff-full     needs two workers and one peer saturating its owner
#                    (unit-tested: test_dp_data.c); the test runs one worker
source "$(dirname "$0")/lib.sh"
sl_require_root
sl_topology
sl_pki client1
SL_CONF=$(sl_config)
# Short keepalive (pushed to the client too): ping-restart in seconds.
sl_conf_set 'vpn: {' 'keepalive: { ping = 1; ping_restart = 5; };'
# Small control rings: a stopped control plane fills sl_cp_rx quickly.
sl_conf_set 'dataplane: {' 'ring_size = 64;'
ip -n "${P}l" route add 10.10.0.0/24 via 10.20.0.1
ip -n "${P}l" route add 10.30.0.0/24 via 10.20.0.1   # nobody's: not-for-us
# The LAN host sends TCP to the client (iperf3 -R): see sl_topology.
ip netns exec "${P}c" ethtool -K "${P}cv" tx off >/dev/null
PKT="python3 $SL_SRC/tests/integration/pktcraft.py"
LAN=10.20.0.2
VPN=10.10.0.2

# drops NAME: the data plane's counter for one drop reason.
drops() { sl_ctl status | awk -v n="$1" '$1 == "drop" && $2 == n { print $3; f = 1 } END { if (!f) print 0 }'; }

# grew NAME BEFORE [BY]: the counter rises by at least BY (default 1)
# from BEFORE within 5 s.
grew() {
  local name=$1 before=$2 by=${3:-1} now
  local deadline=$((SECONDS + 5))
  while :; do
    now=$(drops "$name")
    [ "$now" -ge $((before + by)) ] && { sl_log "drop $name: $before -> $now"; return 0; }
    [ $SECONDS -ge $deadline ] && { sl_log "drop $name stayed at $now"; return 1; }
    sleep 0.2
  done
}

# provoke NAME command...: run the command, then the counter must grow.
provoke() {
  local name=$1; shift
  local before; before=$(drops "$name")
  "$@" >/dev/null 2>&1 || true
  grew "$name" "$before"
}

# connect [openvpn options]: client1 up (log client1.log).
connect() {
  rm -f "$SL_TMP/client1.log"
  sl_client_start client1 --explicit-exit-notify 1 "$@"
  sl_client_up client1
}

# ---- the crypto backend ----

# With SL_CRYPTO=ipsec-mb where it cannot run (CPU, or a build without the
# library), the data plane refuses to start: nothing to test here.
dp_start() {
  sl_dp_start && return 0
  if grep -q 'dataplane.crypto = "ipsec-mb", but it cannot run here' "$SL_TMP/dp.log"; then
    echo "SKIP: $(grep -o 'cannot run here: .*' "$SL_TMP/dp.log")"
    exit 77
  fi
  return 1
}

# The backend the data plane logged at start ("crypto: ipsec-mb (avx512)",
# "crypto: openssl (configured)"), each cipher's (the lines "crypto: NAME
# on openssl" name the fallbacks), as the status line and the telemetry.
crypto_shown() {
  local log=$SL_TMP/dp.log b arch="" line expect="crypto:" sep="" c cb tel
  b=$(sed -n 's/.* info: crypto: \(openssl\|ipsec-mb\) (.*)$/\1/p' "$log")
  [ "$b" = ipsec-mb ] && arch=$(sed -n 's/.* info: crypto: ipsec-mb (\(.*\))$/\1/p' "$log")
  [ "$b" = openssl ] && arch=evp
  [ -n "$b" ] && [ -n "$arch" ] || { grep "crypto" "$log"; return 1; }
  if [ -n "${SL_CRYPTO:-}" ] && [ "$SL_CRYPTO" != auto ] && [ "$b" != "$SL_CRYPTO" ]; then
    sl_log "configured $SL_CRYPTO, running $b"; return 1
  fi
  tel=$(python3 "$SL_SRC/tests/integration/telemetry.py" "$P" /sluice/crypto) || return 1
  sl_log "telemetry: $tel"
  for c in AES-128-GCM AES-256-GCM CHACHA20-POLY1305 AES-128-CBC AES-256-CBC; do
    cb=$b
    grep -q " info: crypto: $c on openssl " "$log" && cb=openssl
    expect+="$sep $c $cb"; sep=","
    grep -q "\"${c//-/_}\": \"$cb\"" <<<"$tel" || return 1
  done
  grep -q "\"arch\": \"$arch\"" <<<"$tel" || return 1
  line=$(sl_ctl status | grep '^crypto: ')
  sl_log "$line"
  [ "$line" = "$expect ($arch)" ]
}

# ---- a. ping ----

ping_to_lan() {
  sl_nsc ping -c 5 -i 0.2 -W 2 "$LAN" >"$SL_TMP/ping.log" 2>&1 ||
    { cat "$SL_TMP/ping.log"; return 1; }
  grep -q " 0% packet loss" "$SL_TMP/ping.log"
}

ping_from_lan() {
  sl_nsl ping -c 5 -i 0.2 -W 2 "$VPN" >"$SL_TMP/ping-lan.log" 2>&1 ||
    { cat "$SL_TMP/ping-lan.log"; return 1; }
  grep -q " 0% packet loss" "$SL_TMP/ping-lan.log"
}

# ---- b. iperf3 (sl_iperf_server, sl_iperf: lib.sh) ----

# ---- c. spoofing ----

spoofed_source() {
  local before; before=$(drops spoofed)
  ip -n "${P}c" addr add 10.10.0.200/32 dev tun0
  local rc=0
  sl_nsc ping -c 3 -i 0.2 -W 1 -I 10.10.0.200 "$LAN" >"$SL_TMP/spoof.log" 2>&1 && rc=1
  ip -n "${P}c" addr del 10.10.0.200/32 dev tun0
  [ $rc -eq 0 ] && grep -q " 100% packet loss" "$SL_TMP/spoof.log" &&
  grew spoofed "$before" 3
}

# ---- d. replay and other tampering with a captured packet ----

# The replay goes out as the identical Ethernet frame (AF_PACKET on the
# client's veth): openvpn's UDP port cannot be bound a second time (no
# SO_REUSEPORT), and a copy from another port would be the same replay
# drop anyway (replay is checked before float).
capture_data_packet() {
  ip netns exec "${P}c" $PKT capture "${P}cv" "$SL_TMP/frame.hex" &
  local cap=$!
  SL_PIDS+=("$cap")
  sl_nsc ping -c 6 -i 0.2 -W 1 "$LAN" >/dev/null 2>&1 || true
  wait "$cap" && [ -s "$SL_TMP/frame.hex" ]
}

resend() { sl_nsc $PKT resend "${P}cv" "$SL_TMP/frame.hex" "$@"; }

replayed_packet() {
  local before; before=$(drops replay)
  resend same 3 && grew replay "$before" 3 &&
  sl_nsc ping -c 2 -i 0.2 -W 2 "$LAN" >/dev/null   # the session is unharmed
}

# ---- g. float ----

# A forged packet (tag wrong) and a replayed genuine one from another
# address (192.0.2.66) do not move the peer. Then the client's address
# really changes (192.0.2.2 -> .3, the same port: the client is --nobind,
# the kernel picks the source): its next authenticated packet moves the
# peer, the session follows (`sluicectl sessions` shows the new address)
# and the ping goes on. And back.
real_is() { wait_for 5 listed "^user client1 cn client1 real $1:[0-9]+ "; }

client_addr() {   # client_addr FROM TO: the client's veth address changes
  ip -n "${P}c" addr add "$2/24" dev "${P}cv" &&
  ip -n "${P}c" addr del "$1/24" dev "${P}cv"
}

float_refused() {
  local auth replay; auth=$(drops auth); replay=$(drops replay)
  resend corrupt-moved 3 && grew auth "$auth" 3 &&
  resend same-moved 3 && grew replay "$replay" 3 &&
  sl_nsc ping -c 2 -i 0.2 -W 2 "$LAN" >/dev/null &&
  real_is '192\.0\.2\.2' && ! listed '192\.0\.2\.66'
}

float_followed() {
  ip netns exec "${P}c" sysctl -qw "net.ipv4.conf.${P}cv.promote_secondaries=1"
  client_addr 192.0.2.2 192.0.2.3 &&
  sl_nsc ping -c 5 -i 0.2 -W 2 "$LAN" >"$SL_TMP/float.log" 2>&1 &&
  real_is '192\.0\.2\.3' &&
  sl_log "$(sl_ctl sessions | grep '^user client1')" &&
  client_addr 192.0.2.3 192.0.2.2 &&
  sl_nsc ping -c 5 -i 0.2 -W 2 "$LAN" >>"$SL_TMP/float.log" 2>&1 &&
  real_is '192\.0\.2\.2' &&
  sl_log "$(grep -c ' 0% packet loss' "$SL_TMP/float.log") of 2 ping runs without loss"
}

# ---- f. drop reasons from outside ----

udp_to() {   # udp_to PORT HEX_PAYLOAD [COUNT]: datagrams from the client namespace
  sl_nsc python3 -c 'import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[3])):
    s.sendto(bytes.fromhex(sys.argv[2]), ("192.0.2.1", int(sys.argv[1])))' "$1" "$2" "${3:-3}"
}

# With the control plane stopped (SIGSTOP) the control ring fills up. No
# sluicectl meanwhile: the stopped control plane serves its socket.
cp_ring_full() {
  local before; before=$(drops cp-ring-full)
  kill -STOP "$CP_PID"
  udp_to 1194 "38$(printf '%052d' 0)" 200 || true
  sleep 0.5
  kill -CONT "$CP_PID"
  grew cp-ring-full "$before"
}

compressed() {
  local before rc=0; before=$(drops compressed)
  sl_client_stop
  # We push "compress stub-v2" (framing, no compression); the client
  # ignores it and compresses with LZ4 in the same v2 framing.
  connect --compress lz4-v2 --allow-compression yes --pull-filter ignore compress || return 1
  sl_nsc ping -c 3 -i 0.2 -W 1 -s 1000 -p 00 "$LAN" >/dev/null 2>&1 || true
  grew compressed "$before" || rc=1
  sl_client_stop
  return $rc
}

# ---- e. control plane killed under a running ping ----

sl_client_stop() {
  [ -n "$CL_PID" ] && kill -0 "$CL_PID" 2>/dev/null || return 0
  sl_stop "$CL_PID" 20 || true
  wait_for 10 bash -c "\"$SL_BUILD/ctl/sluicectl\" -s \"$SL_TMP/ctl.sock\" sessions | grep -q '^sessions 0 '"
}

cp_kill9() {
  kill -KILL "$CP_PID"; wait "$CP_PID" 2>/dev/null || true
  sl_log "control plane $CP_PID killed (SIGKILL)"
  rm -f "$SL_TMP/ctl.sock"
}

adopted_listed() {
  local s; s=$(sl_ctl sessions)
  sl_log "$(grep '^user' <<<"$s")"
  grep -Eq "^user client1 cn client1 real 192\.0\.2\.2:[0-9]+ vpn $VPN transport udp cipher AES-256-GCM .* peer-id [0-9]+ state adopted$" <<<"$s" &&
  grep -q "adopt: user client1 cn client1 from 192.0.2.2:[0-9]* vpn $VPN peer-id [0-9]*" "$SL_TMP/cp.log"
}

# since MARK PATTERN: PATTERN in the control plane's log after line MARK.
since() { tail -n +"$(($1 + 1))" "$SL_TMP/cp.log" | grep -q "$2"; }
mark() { wc -l < "$SL_TMP/cp.log"; }
listed() { sl_ctl sessions | grep -Eq "$1"; }

# Reneg at 26 s fails after the client's 4 s hand-window; the client then
# starts over with a hard reset (the ping run is over by then).
kill9_under_ping() {
  connect --reneg-sec 26 --hand-window 4 || return 1
  ip netns exec "${P}c" ping -c 100 -i 0.2 -W 2 "$LAN" >"$SL_TMP/kill-ping.log" 2>&1 &
  local ping=$!
  SL_PIDS+=("$ping")
  sleep 3
  cp_kill9
  sl_cp_start || { kill "$ping"; return 1; }
  local rc=0
  wait "$ping" || rc=$?
  sl_log "$(grep 'packet loss' "$SL_TMP/kill-ping.log")"
  [ $rc -eq 0 ] && grep -q " 0% packet loss" "$SL_TMP/kill-ping.log" && adopted_listed
}

fresh_handshake_replaces() {
  wait_for 25 grep -q "disconnect: user client1 cn client1 .*: replaced by a new session" "$SL_TMP/cp.log" &&
  wait_for 10 bash -c "\"$SL_BUILD/ctl/sluicectl\" -s \"$SL_TMP/ctl.sock\" sessions | grep -q '^user client1 .* vpn $VPN .* peer-id 0\$'" || {
    tail -20 "$SL_TMP/cp.log"; grep -i "tls\|reset\|negotiat" "$SL_TMP/client1.log" | tail -20; return 1; }
  # The client's side of it: its soft reset went unanswered.
  sl_log "client: $(grep -o 'TLS key negotiation failed.*' "$SL_TMP/client1.log" | tail -1)"
  grep -q "TLS: soft reset" "$SL_TMP/client1.log" || return 1
  wait_for 10 sl_nsc ping -c 1 -W 1 "$LAN"
}

kill_adopted() {
  cp_kill9
  sl_cp_start && adopted_listed || return 1
  local before; before=$(drops unknown-peer)
  sl_ctl kill client1 >/dev/null &&
  wait_for 5 grep -q "disconnect: user client1 cn client1 .*: killed by the administrator" "$SL_TMP/cp.log" &&
  grep -q "^sessions 0 " <<<"$(sl_ctl sessions)" &&
  # The peer is gone from the data plane: the client's packets are unknown.
  grew unknown-peer "$before"
}

# The killed client comes back after its ping-restart (5 s). Adopted again,
# then its process dies and a new one connects from another port: the new
# session replaces the adopted one at once and gets the same address (a
# new peer-id: the adopted session held 0 until then).
restarted_client_replaces() {
  wait_for 20 listed "^user client1 .* peer-id 0\$" || return 1
  cp_kill9
  sl_cp_start && adopted_listed || return 1
  local m; m=$(mark)
  kill -KILL "$CL_PID"; wait "$CL_PID" 2>/dev/null || true
  connect &&
  wait_for 5 since "$m" "disconnect: user client1 cn client1 .*: replaced by a new session" &&
  wait_for 5 listed "^user client1 .* vpn $VPN .* peer-id 1\$" &&
  sl_nsc ping -c 2 -i 0.2 -W 2 "$LAN" >/dev/null
}

# A silent adopted client is ended by the data plane's idle event.
idle_adopted() {
  cp_kill9
  sl_cp_start && adopted_listed || return 1
  kill -STOP "$CL_PID"
  wait_for 15 grep -q "disconnect: user client1 cn client1 .*: ping-restart (idle)" "$SL_TMP/cp.log"
  local rc=$?
  kill -CONT "$CL_PID"
  [ $rc -eq 0 ] && grep -q "^sessions 0 " <<<"$(sl_ctl sessions)"
}

clean_stop() {
  sl_client_stop
  sl_stop "$SL_IPERF_PID" 5 || true
  sl_stop "$CP_PID" && sl_stop "$DP_PID"
}

nothing_left() {
  [ -z "$(sl_hugepage_files)" ] &&
  for pid in "${SL_PIDS[@]}"; do ! kill -0 "$pid" 2>/dev/null || return 1; done
}

stage "data plane starts" dp_start
stage "control plane attaches" sl_cp_start
stage "crypto backend logged, in sluicectl status and telemetry per cipher" crypto_shown
stage "openvpn client connects" connect
stage "a. ping client -> LAN host, no loss" ping_to_lan
stage "a. ping LAN host -> client's VPN address, no loss" ping_from_lan
stage "b. iperf3 server in the LAN namespace" sl_iperf_server
stage "b. iperf3 TCP client -> LAN" sl_iperf tcp-up
stage "b. iperf3 TCP LAN -> client (-R)" sl_iperf tcp-down -R
stage "b. iperf3 UDP client -> LAN (20 Mbit/s)" sl_iperf udp-up -u -b 20M
stage "b. iperf3 UDP LAN -> client (-R, 20 Mbit/s)" sl_iperf udp-down -u -b 20M -R
stage "c. inner source spoofed from the client: no reply, drop spoofed" spoofed_source
stage "d. capture a P_DATA_V2 packet the client sends" capture_data_packet
stage "d. the same packet again: drop replay" replayed_packet
stage "g. forged or replayed from another address: the peer stays" float_refused
stage "g. the client's address changes: the session follows it and back" float_followed
stage "f. corrupted tag: drop auth" provoke auth resend corrupt 3
stage "f. key-id without a key: drop no-key" provoke no-key resend key-id 3
stage "f. peer-id nobody has: drop unknown-peer" provoke unknown-peer resend peer-id 3
stage "f. opcode 0: drop bad-opcode" provoke bad-opcode resend opcode 3
stage "f. empty UDP payload: drop bad-header" provoke bad-header udp_to 1194 "" 3
stage "f. UDP to another port: drop not-for-us" provoke not-for-us udp_to 1195 00 3
stage "f. EtherType 0x88b5: drop not-ip" provoke not-ip sl_nsc $PKT not-ip "${P}cv" 3
stage "f. client pings an unassigned pool address: drop no-route" \
  provoke no-route sl_nsc ping -c 2 -i 0.2 -W 1 10.10.0.77
stage "f. LAN pings an unassigned pool address: drop no-route" \
  provoke no-route sl_nsl ping -c 2 -i 0.2 -W 1 10.10.0.78
stage "f. LAN host's packet off the pool via us: drop not-for-us" \
  provoke not-for-us sl_nsl ping -c 2 -i 0.2 -W 1 -I "$LAN" 10.30.0.1
stage "f. client pings a LAN address nobody has: drop no-neighbor" \
  provoke no-neighbor sl_nsc ping -c 2 -i 0.2 -W 2 10.20.0.99
stage "f. LAN sends 1500-byte packets with DF to the client: drop too-big" \
  provoke too-big sl_nsl ping -c 2 -i 0.2 -W 1 -M "do" -s 1472 "$VPN"
stage "f. IPv6 inside the tunnel: drop inner-ipv6" provoke inner-ipv6 sl_nsc $PKT tun tun0 ipv6 3
stage "f. malformed inner IPv4: drop bad-inner" provoke bad-inner sl_nsc $PKT tun tun0 bad-ipv4 3
stage "f. control plane stopped: drop cp-ring-full" cp_ring_full
stage "f. client compresses (lz4-v2, push ignored): drop compressed" compressed
stage "e. kill -9 of the control plane under a 20 s ping: no loss, session adopted" kill9_under_ping
stage "e. renegotiation fails, the fresh handshake replaces the adopted session" fresh_handshake_replaces
stage "e. sluicectl kill ends an adopted session" kill_adopted
stage "e. a restarted client (new port, same name) replaces its adopted session" restarted_client_replaces
stage "e. an adopted session whose client goes silent ends at ping-restart" idle_adopted
stage "SIGTERM stops everything cleanly" clean_stop
stage "no process or hugepage file left" nothing_left
sl_cleanup
sl_finish
