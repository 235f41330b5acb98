#!/usr/bin/env bash
# CBC+HMAC data channel with the real openvpn 2.6 client over UDP:
#   vpn.data_ciphers AES-256-CBC with vpn.auth SHA256 negotiated by a client
#   forced to "data-ciphers AES-256-CBC" and "auth SHA256" (listed with its
#   cipher, digest and framing), TCP through it with iperf3, a client
#   reneg-sec 15 rekey under a running ping with no ping lost, and a
#   "comp-lzo" profile: a 2.6 client announces IV_COMP_STUBv2, so it gets
#   "compress stub-v2" as OpenVPN's "compress migrate" gives it (2.3/2.4
#   clients get "comp-lzo no", cp_auth.c), pings through that framing.
#   Then control.legacy_tls with an RSA server certificate: a client forced
#   to TLS 1.0 and DHE-RSA-AES256-SHA (as 2.3 clients on OpenSSL 1.0 are)
#   connects, its session logged with that version and suite; with
#   legacy_tls off the same client fails its TLS handshake.
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

# An RSA server key and certificate from the test CA: the DHE-RSA suites
# need one (cp_tls.c refuses legacy_tls with any other key type).
legacy_server() {
  ( cd "$SL_TMP/pki"
    openssl req -newkey rsa:2048 -nodes -subj /CN=server -keyout server-rsa.key \
      -out server-rsa.csr 2>/dev/null &&
    printf "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature,keyEncipherment\nextendedKeyUsage=serverAuth\n" \
      > server-rsa.ext &&
    openssl x509 -req -in server-rsa.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 30 \
      -extfile server-rsa.ext -out server-rsa.crt 2>/dev/null ) || return 1
  sed -i -e "s#pki/server\.crt#pki/server-rsa.crt#" -e "s#pki/server\.key#pki/server-rsa.key#" "$SL_CONF"
  sl_conf_set 'control: {' 'legacy_tls = true;'
  sl_cp_restart
}

# The client's OpenSSL 3 allows TLS 1.0 and SHA-1 suites only at security
# level 0 too (tls-cert-profile insecure sets it, OpenVPN ssl_openssl.c).
LEGACY=(--tls-version-min 1.0 --tls-version-max 1.0 --tls-cert-profile insecure
        --tls-cipher DHE-RSA-AES256-SHA)

legacy_connect() {
  sl_client_stop
  sl_connect client1 "${CBC[@]}" "${LEGACY[@]}" || return 1
  grep -Eq "auth: .*client1.*: legacy TLS TLSv1 DHE-RSA-AES256-SHA \(control.legacy_tls\)" "$SL_TMP/cp.log" &&
  grep -q "Control Channel: TLSv1, cipher SSLv3 DHE-RSA-AES256-SHA" "$SL_TMP/client1.log"
}

legacy_refused() {
  sl_client_stop
  sed -i "s/legacy_tls = true;/legacy_tls = false;/" "$SL_CONF"
  sl_cp_restart || return 1
  sl_client_start client1 "${CBC[@]}" "${LEGACY[@]}"
  wait_for 20 bash -c "\"$SL_BUILD/ctl/sluicectl\" -s \"$SL_TMP/ctl.sock\" status | grep -Eq '^control .* tls-failures [1-9]'" ||
    { sl_ctl status | grep "^control "; return 1; }
  grep -q "TLS handshake failed: .*unsupported protocol" "$SL_TMP/cp.log" &&
  ! grep -q "Initialization Sequence Completed" "$SL_TMP/client1.log" &&
  { sl_stop "$CL_PID" 20 || true; }
}

stage "server: data_ciphers AES-256-CBC, auth SHA256" cbc_server
stage "data plane starts" sl_dp_start
stage "control plane starts" sl_cp_start
stage "data-ciphers AES-256-CBC, auth SHA256: connect, ping, listed" cbc_connect
stage "iperf3 TCP through AES-256-CBC+SHA256" cbc_iperf
stage "client reneg-sec 15: two rekeys under ping, no loss" cbc_rekey
stage "comp-lzo profile: stub-v2 framing for a 2.6 client, pings of 1300 bytes" cbc_comp_lzo
stage "client stops" sl_client_stop
stage "control.legacy_tls on, RSA server certificate: control plane restarts" legacy_server
stage "TLS 1.0 DHE-RSA-AES256-SHA client: connects, pings, logged as legacy TLS" legacy_connect
stage "control.legacy_tls off: the same client's TLS handshake is refused" legacy_refused
sl_finish
