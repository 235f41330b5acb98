#!/usr/bin/env bash
# Revocation and key lifetime against the real openvpn 2.6 client:
#   a CRL change ends the live session of the certificate it revokes
#   within about a second (the control plane looks at pki.crl every
#   second): HALT to the client, which stops (SIGTERM) instead of retrying, PEER_DEL,
#   "disconnect: ... certificate revoked"; its reconnect is refused in TLS;
#   removing a user from the user store (auth-user-pass; deleted with the
#   sqlite3 shell, as an operator or another process may) ends the live
#   session of that user the same way within about a second ("user
#   removed"), while a ping runs;
#   a client whose control packets no longer reach the server (dropped by
#   tc in its namespace, data packets still pass) cannot answer the
#   server's renegotiation: after vpn.tran_window its key is deleted and
#   the session ends "renegotiation not completed".
source "$(dirname "$0")/lib.sh"
sl_require_root
sl_topology
sl_pki client1 client2
ip -n "${P}l" route add 10.10.0.0/24 via 10.20.0.1

# The revoked session ends within 2 s of the CRL's change (1 s polling),
# the client says it was halted and exits, and it cannot come back.
revoked_live() {
  sl_connect client1 || return 1
  local pid=$CL_PID t0 t1 ms
  t0=$(date +%s%N)
  sl_pki_revoke client1
  wait_for 5 grep -q "disconnect: user client1 cn client1 from [0-9.:]*: certificate revoked" \
    "$SL_TMP/cp.log" || { tail -20 "$SL_TMP/cp.log"; return 1; }
  t1=$(date +%s%N)
  ms=$(( (t1 - t0) / 1000000 ))
  sl_log "CRL written -> session ended: ${ms} ms"
  [ "$ms" -lt 2000 ] || return 1
  wait_for 10 bash -c "! kill -0 $pid" || { tail -20 "$SL_TMP/client1.log"; return 1; }
  # Nobody signalled it: a SIGTERM is the server's HALT (OpenVPN push.c,
  # server_pushed_signal); a lost session would be a SIGUSR1 restart.
  sl_log "client: $(grep -o "SIG[A-Z0-9]*\(\[[^]]*\]\)\? received[^,]*" "$SL_TMP/client1.log" | tr '\n' '|')"
  grep -q "SIGTERM.* received" "$SL_TMP/client1.log" &&
  ! grep -q "SIGUSR1" "$SL_TMP/client1.log" &&
  wait_for 5 bash -c "\"$SL_BUILD/ctl/sluicectl\" -s \"$SL_TMP/ctl.sock\" sessions | grep -q '^sessions 0 '"
}

revoked_reconnect_refused() {
  local before; before=$(grep -c "auth: cn client1 from .*certificate refused: certificate revoked" \
    "$SL_TMP/cp.log" || true)
  rm -f "$SL_TMP/client1.log"
  sl_client_start client1
  wait_for 20 bash -c "[ \$(grep -c 'auth: cn client1 from .*certificate refused: certificate revoked' \
    '$SL_TMP/cp.log') -gt $before ]"
  local rc=$?
  sl_stop "$CL_PID" 20 || true
  [ $rc -eq 0 ] && ! grep -q "Initialization Sequence Completed" "$SL_TMP/client1.log"
}

# users_file NAME...: a PBKDF2 user file with NAME, password "pw NAME",
# each; users.import adds them to the store at the next start.
users_file() {
  python3 -c 'import hashlib, os, sys
for n in sys.argv[1:]:
    salt = os.urandom(16)
    h = hashlib.pbkdf2_hmac("sha256", ("pw " + n).encode(), salt, 100000)
    print(n + ":pbkdf2-sha256$100000$" + salt.hex() + "$" + h.hex())' "$@" > "$SL_TMP/users.new" &&
  mv "$SL_TMP/users.new" "$SL_TMP/users"
}

# alice's session ends within 2 s of her removal from the store, during a
# ping: HALT (the client exits on SIGTERM), PEER_DEL, "user removed".
user_removed_live() {
  printf 'alice@example.com\npw alice@example.com\n' > "$SL_TMP/alice.pass"
  sl_connect client2 --auth-user-pass "$SL_TMP/alice.pass" || return 1
  local pid=$CL_PID t0 t1 ms
  sl_nsc ping -c 40 -i 0.1 -W 1 10.20.0.2 > "$SL_TMP/ping.log" 2>&1 &
  local ping=$!
  sleep 1
  t0=$(date +%s%N)
  sqlite3 "$SL_TMP/users.db" "DELETE FROM users WHERE email = 'alice@example.com'"
  wait_for 5 grep -q "disconnect: user alice@example.com cn client2 from [0-9.:]*: user removed" \
    "$SL_TMP/cp.log" || { tail -20 "$SL_TMP/cp.log"; kill "$ping" 2>/dev/null; return 1; }
  t1=$(date +%s%N)
  ms=$(( (t1 - t0) / 1000000 ))
  wait "$ping" || true
  sl_log "user removed -> session ended: ${ms} ms; ping: $(grep -o '[0-9]* received' "$SL_TMP/ping.log")"
  [ "$ms" -lt 2000 ] || return 1
  wait_for 10 bash -c "! kill -0 $pid" || { tail -20 "$SL_TMP/client2.log"; return 1; }
  grep -q "SIGTERM.* received" "$SL_TMP/client2.log" &&
  grep -q "users.store .* changed: reloaded" "$SL_TMP/cp.log" &&
  wait_for 5 bash -c "\"$SL_BUILD/ctl/sluicectl\" -s \"$SL_TMP/ctl.sock\" sessions | grep -q '^sessions 0 '"
}

# Control packets (any opcode but P_DATA_V2, the first payload byte's top
# five bits) from the client to the server's port go to a class whose
# queue holds nothing; data packets pass.
block_control() {
  local t="ip netns exec ${P}c tc"
  $t qdisc add dev "${P}cv" root handle 1: htb default 10 &&
  $t class add dev "${P}cv" parent 1: classid 1:10 htb rate 1gbit &&
  $t class add dev "${P}cv" parent 1: classid 1:30 htb rate 1gbit &&
  $t qdisc add dev "${P}cv" parent 1:30 handle 30: pfifo limit 0 &&
  $t filter add dev "${P}cv" parent 1: prio 1 protocol ip u32 match ip dport 1194 0xffff \
    match u8 0x48 0xf8 at 28 flowid 1:10 &&
  $t filter add dev "${P}cv" parent 1: prio 2 protocol ip u32 match ip dport 1194 0xffff \
    flowid 1:30
} 2>/dev/null

# reneg_sec 5, hand_window 5, tran_window 10: the server asks for a new
# key about 5 s after the connect, the answer never arrives, and about
# 10 s later the key is deleted and the session ends. Data passes until
# then.
silent_client_loses_key() {
  sl_connect client2 || return 1
  local t0; t0=$SECONDS
  block_control || { sl_log "tc (htb, u32, pfifo) not available"; return 1; }
  sl_nsc ping -c 2 -i 0.2 -W 2 10.20.0.2 >/dev/null || { sl_log "data blocked too"; return 1; }
  wait_for 40 grep -q "disconnect: user client2 cn client2 from [0-9.:]*: renegotiation not completed" \
    "$SL_TMP/cp.log" || { tail -20 "$SL_TMP/cp.log"; return 1; }
  sl_log "control blocked -> session ended: $((SECONDS - t0)) s; $(grep -o "rekey: user client2 .*" \
    "$SL_TMP/cp.log" | sed 's/ from [0-9.:]*//' | tr '\n' '|')"
  grep -q "no new key within tran_window 10s" "$SL_TMP/cp.log" &&
  wait_for 5 bash -c "\"$SL_BUILD/ctl/sluicectl\" -s \"$SL_TMP/ctl.sock\" sessions | grep -q '^sessions 0 '" &&
  ! sl_nsc ping -c 2 -i 0.2 -W 1 10.20.0.2 >/dev/null
  local rc=$?
  sl_stop "$CL_PID" 20 || true
  return $rc
}

sl_server_conf
stage "data plane starts" sl_dp_start
stage "control plane attaches" sl_cp_start
stage "CRL revokes client1: its live session ends within 2 s, HALT, the client exits" \
  revoked_live
stage "client1 reconnects: refused in TLS (certificate revoked)" revoked_reconnect_refused
users_file alice@example.com bob@example.com
sl_server_conf "s#^  tls_crypt = \(.*\)#  tls_crypt = \1\n  auth_user_pass = true;#" \
  "s#^users: {#users: {\n  import = \"$SL_TMP/users\";#"
sl_cp_restart
stage "alice removed from the user store during a ping: her session ends within 2 s, HALT, the client exits" \
  user_removed_live
sl_server_conf "s#^vpn: {#vpn: {\n  reneg_sec = 5; hand_window = 5; tran_window = 10;#"
sl_cp_restart
stage "client2 ignores the server's renegotiation (control dropped): key deleted after tran_window 10 s, session ended" \
  silent_client_loses_key
sl_cleanup
sl_finish
