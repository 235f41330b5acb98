#!/usr/bin/env bash
# The built-in CA's output against stock OpenVPN, with no Sluice daemon in
# the way: `sluicectl pki init` files and modes, then profiles rendered by
# pki/sl_profile.c (tests/integration/pki_render.c) used by the real
# openvpn client against a real openvpn server that uses the CA's server
# certificate and keys, in a namespace of our own over loopback:
# tls-crypt-v2 (the server's --tls-crypt-v2-verify sees the user in the
# client key's metadata), split files, the passphrase copy of the key,
# tls-auth with RSA over TCP, tls-crypt; a CRL from sl_pki_crl refuses the
# revoked certificate. The concentrator's own use of the same files is
# tests/integration/test_users.sh's.
source "$(dirname "$0")/lib.sh"
sl_require_root
command -v openvpn >/dev/null || { echo "SKIP: no openvpn"; exit 77; }

RENDER=$SL_BUILD/tests/integration/pki_render
USER_NAME=alice@example.com
ip netns add "${P}x"
ip -n "${P}x" link set lo up

mode_of() { stat -c %a "$1"; }

pki_init_files() {
  local d=$SL_TMP/ca out
  out=$("$SL_BUILD/ctl/sluicectl" pki init "$d" --cn vpn.example.com --tls-crypt --tls-auth) ||
    return 1
  grep -q "^  ca_key = \"$d/ca.key\";" <<<"$out" || { echo "$out"; return 1; }
  [ "$(mode_of "$d")" = 700 ] || return 1
  for f in ca.crt ca.key server.crt server.key tls-crypt-v2-server.key tls-crypt.key \
           tls-auth.key crl.pem; do
    [ "$(mode_of "$d/$f")" = 600 ] || { sl_log "$f: mode $(mode_of "$d/$f")"; return 1; }
  done
  openssl verify -CAfile "$d/ca.crt" -purpose sslserver "$d/server.crt" >/dev/null &&
  openssl crl -in "$d/crl.pem" -CAfile "$d/ca.crt" -noout 2>&1 | grep -q "verify OK" &&
  ! "$SL_BUILD/ctl/sluicectl" pki init "$d" 2>"$SL_TMP/refuse.err" &&
  grep -q "already holds a CA" "$SL_TMP/refuse.err"
}

# server_start CADIR LOG [openvpn options...]: a stock openvpn server in
# ${P}x on 127.0.0.1:11940 with CADIR's server certificate and CRL.
server_start() {
  local ca=$1 log=$2; shift 2
  ip netns exec "${P}x" openvpn --mode server --tls-server --dev tun --dh none \
    --local 127.0.0.1 --port 11940 --ca "$ca/ca.crt" --cert "$ca/server.crt" \
    --key "$ca/server.key" --topology subnet --server 10.99.0.0 255.255.255.0 \
    --verb 3 "$@" >"$log" 2>&1 &
  SRV_PID=$!
  SL_PIDS+=("$SRV_PID")
  wait_for 10 grep -q "Initialization Sequence Completed" "$log"
}

# client_connects LOG [openvpn options...]: the stock client completes its
# start (TLS with the server, pushed options) within 15 s.
client_connects() {
  local log=$1; shift
  ip netns exec "${P}x" openvpn "$@" --dev null --ifconfig-noexec --route-noexec \
    >"$log" 2>&1 &
  local pid=$!
  SL_PIDS+=("$pid")
  wait_for 15 grep -q "Initialization Sequence Completed" "$log"
  local rc=$?
  kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  [ $rc = 0 ] || tail -5 "$log"
  return $rc
}

server_stop() { kill "$SRV_PID" 2>/dev/null; wait "$SRV_PID" 2>/dev/null; true; }

tc2_inline() {
  local out=$SL_TMP/tc2
  mkdir -p "$out"
  "$RENDER" "$SL_TMP/ca" "$USER_NAME" "$out" tc2 udp ec >/dev/null || return 1
  # The server's verify hook records the metadata type and bytes it read.
  printf '#!/bin/sh\necho "$metadata_type $(cat "$metadata_file")" >> %s\n' \
    "$SL_TMP/meta.log" > "$SL_TMP/verify.sh"
  chmod 700 "$SL_TMP/verify.sh"
  server_start "$SL_TMP/ca" "$SL_TMP/srv-tc2.log" \
    --tls-crypt-v2 "$SL_TMP/ca/tls-crypt-v2-server.key" --crl-verify "$SL_TMP/ca/crl.pem" \
    --script-security 2 --tls-crypt-v2-verify "$SL_TMP/verify.sh" || return 1
  client_connects "$SL_TMP/cli-tc2.log" --config "$out/inline.ovpn" &&
  grep -q "VERIFY X509NAME OK: CN=vpn.example.com" "$SL_TMP/cli-tc2.log" &&
  grep -q "^0 $USER_NAME\$" "$SL_TMP/meta.log" ||
    { cat "$SL_TMP/meta.log" 2>/dev/null; return 1; }
}

tc2_split() {
  local d=$SL_TMP/tc2/split
  [ "$(mode_of "$d/client.ovpn")" = 600 ] && [ "$(mode_of "$d/$USER_NAME.key")" = 600 ] &&
  client_connects "$SL_TMP/cli-split.log" --cd "$d" --config client.ovpn
}

tc2_passphrase_key() {
  local d=$SL_TMP/tc2/split
  echo "interop-pass" > "$SL_TMP/pass.txt"
  client_connects "$SL_TMP/cli-enc.log" --cd "$d" --config client.ovpn \
    --key "$USER_NAME.enc.key" --askpass "$SL_TMP/pass.txt"
}

tc2_revoked() {
  server_stop
  server_start "$SL_TMP/ca" "$SL_TMP/srv-rev.log" \
    --tls-crypt-v2 "$SL_TMP/ca/tls-crypt-v2-server.key" \
    --crl-verify "$SL_TMP/tc2/revoked.pem" || return 1
  ! client_connects "$SL_TMP/cli-rev.log" --config "$SL_TMP/tc2/inline.ovpn" \
    --connect-retry-max 1 >/dev/null &&
  grep -q "VERIFY ERROR: depth=0, error=certificate revoked: CN=$USER_NAME" "$SL_TMP/srv-rev.log"
}

tls_auth_rsa_tcp() {
  local out=$SL_TMP/ta
  server_stop
  mkdir -p "$out"
  "$RENDER" "$SL_TMP/ca-rsa" "$USER_NAME" "$out" ta tcp rsa >/dev/null &&
  grep -q "^remote 127.0.0.1 11940 tcp-client$" "$out/inline.ovpn" &&
  server_start "$SL_TMP/ca-rsa" "$SL_TMP/srv-ta.log" --proto tcp-server \
    --tls-auth "$SL_TMP/ca-rsa/tls-auth.key" 0 --auth SHA256 &&
  client_connects "$SL_TMP/cli-ta.log" --config "$out/inline.ovpn" &&
  grep -q "peer certificate: 2048 bits RSA" "$SL_TMP/cli-ta.log"
}

tls_crypt() {
  local out=$SL_TMP/tc
  server_stop
  mkdir -p "$out"
  "$RENDER" "$SL_TMP/ca" "bob@example.com" "$out" tc udp ec >/dev/null &&
  server_start "$SL_TMP/ca" "$SL_TMP/srv-tc.log" --tls-crypt "$SL_TMP/ca/tls-crypt.key" &&
  client_connects "$SL_TMP/cli-tc.log" --config "$out/inline.ovpn"
}

stage "sluicectl pki init: 0700 folder, 0600 files, verifying certificate and CRL, no overwrite" \
  pki_init_files
stage "tls-crypt-v2 inline profile (ECDSA, UDP): stock client connects, server reads the user from the key's metadata" \
  tc2_inline
stage "the same as split files (openvpn --cd DIR --config client.ovpn)" tc2_split
stage "the passphrase copy of the key opens with --askpass" tc2_passphrase_key
stage "a CRL from sl_pki_crl: the server refuses the revoked certificate" tc2_revoked
stage "tls-auth inline profile, RSA-2048, TCP" tls_auth_rsa_tcp
stage "tls-crypt inline profile" tls_crypt
server_stop
sl_cleanup
sl_finish
