#!/usr/bin/env bash
# CBC+HMAC data channel with the real openvpn 2.6 client over UDP:
#   vpn.data_ciphers AES-256-CBC with vpn.auth SHA256 negotiated by a client
#   forced to "data-ciphers AES-256-CBC" and "auth SHA256" (listed with its
#   cipher, digest and framing), TCP through it with iperf3, a client
#   reneg-sec 15 rekey under a running ping with no ping lost, and a
#   "comp-lzo" profile: a 2.6 client announces IV_COMP_STUBv2, so it gets
#   "compress stub-v2" as OpenVPN's "compress migrate" gives it (2.3/2.4
#   clients get "comp-lzo no", cp_auth.c), pings through that framing.
source "$(dirname "$0")/lib.sh"
sl_require_root
sl_topology
sl_pki client1
ip -n "${P}l" route add 10.10.0.0/24 via 10.20.0.1
LAN=10.20.0.2
CBC=(--data-ciphers AES-256-CBC --auth SHA256)

session_has() { grep -Eq "$1" <<<"$(sl_ctl sessions)"; }

cbc_server() {
  sl_server_conf
  sl_conf_set 'vpn: {' 'data_ciphers = [ "AES-256-CBC", "AES-256-GCM" ]; auth = "SHA256";'
}

cbc_connect() {
  sl_connect client1 "${CBC[@]}" &&
  session_has "^user client1 .* transport udp cipher AES-256-CBC auth SHA256 framing none " &&
  grep -q "Data Channel: cipher 'AES-256-CBC'" "$SL_TMP/client1.log"
}

cbc_iperf() {
  ip netns exec "${P}l" iperf3 -s -1 -B "$LAN" >"$SL_TMP/iperf3-server.log" 2>&1 &
  SL_PIDS+=("$!")
  wait_for 5 sl_nsl bash -c "ss -ltn | grep -q ':5201 '" || return 1
  timeout 20 ip netns exec "${P}c" iperf3 -c "$LAN" -t 3 --connect-timeout 3000 -J \
    >"$SL_TMP/iperf-cbc.json" 2>&1 || { tail -20 "$SL_TMP/iperf-cbc.json"; return 1; }
  python3 - "$SL_TMP/iperf-cbc.json" <<'EOF'
import json, sys
end = json.load(open(sys.argv[1]))["end"]
bits = end["sum_received"]["bits_per_second"]
print("# AES-256-CBC+SHA256 TCP %.1f Mbit/s" % (bits / 1e6))
sys.exit(0 if end["sum_received"]["bytes"] > 0 else 1)
EOF
}

# The client rekeys every 15 s: two switches within 40 s of pings, none lost.
cbc_rekey() {
  sl_client_stop
  local mark; mark=$(wc -l < "$SL_TMP/cp.log")
  sl_connect client1 "${CBC[@]}" --reneg-sec 15 || return 1
  sl_nsc ping -c 200 -i 0.2 -W 2 "$LAN" > "$SL_TMP/cbc-ping.log" 2>&1
  local n; n=$(tail -n +"$mark" "$SL_TMP/cp.log" | grep -c "now sending on key-id")
  sl_log "$(grep "packet loss" "$SL_TMP/cbc-ping.log"); $n key switches"
  grep -q " 0% packet loss" "$SL_TMP/cbc-ping.log" && [ "$n" -ge 2 ] &&
  session_has "^user client1 .* cipher AES-256-CBC auth SHA256 "
}

# A profile with "comp-lzo" on a 2.6 client: stub-v2 framing pushed
# (lib/ovpn_push.h, compress migrate), the client never compresses; its
# packets get through the framing.
cbc_comp_lzo() {
  sl_client_stop
  sl_connect client1 "${CBC[@]}" --comp-lzo || { grep -i "comp\|error" "$SL_TMP/client1.log" | tail; return 1; }
  session_has "^user client1 .* cipher AES-256-CBC auth SHA256 framing stub-v2 " &&
  sl_nsc ping -c 5 -i 0.2 -W 2 -s 1300 "$LAN" >/dev/null
}

stage "server: data_ciphers AES-256-CBC, auth SHA256" cbc_server
stage "data plane starts" sl_dp_start
stage "control plane starts" sl_cp_start
stage "data-ciphers AES-256-CBC, auth SHA256: connect, ping, listed" cbc_connect
stage "iperf3 TCP through AES-256-CBC+SHA256" cbc_iperf
stage "client reneg-sec 15: two rekeys under ping, no loss" cbc_rekey
stage "comp-lzo profile: stub-v2 framing for a 2.6 client, pings of 1300 bytes" cbc_comp_lzo
stage "client stops" sl_client_stop
sl_finish
