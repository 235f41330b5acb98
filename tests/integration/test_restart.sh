#!/usr/bin/env bash
# Restarts under load, with the real openvpn client:
#   kill -9 of the data plane while a client pings through the tunnel: the
#   control plane says so in one line, stays up (it re-executes itself, same
#   PID), answers `sluicectl` with "data plane not running" while it waits,
#   and attaches to a new data plane; the client reconnects by itself
#   (ping-restart 4 pushed), gets the same VPN address (remembered across
#   the restart: client2 remembers .2, so a forgetful pool would hand
#   client1 .2 instead of its .3), traffic flows and `sluicectl sessions`
#   lists it;
#   kill -9 of the control plane during a handshake flood: the restarted one
#   counts half-open handshakes from zero, is back to 0 once the flood's
#   sessions are over, and a real client connects;
#   SIGTERM of the data plane under a running control plane with a client:
#   the data plane clears its status magic and waits (2 s at most) for the
#   control plane to let go before it frees the shared objects; the control
#   plane takes its "data plane gone" path (same PID, waits, answers
#   "data plane not running"), the data plane exits 0 with nothing left in
#   /dev/hugepages, and a new data plane gets the control plane and the
#   client back.
source "$(dirname "$0")/lib.sh"
sl_require_root
sl_topology
sl_pki client1 client2
ip -n "${P}l" route add 10.10.0.0/24 via 10.20.0.1
PKI=$SL_TMP/pki
SL_CONF=$(sl_config)
sl_conf_set "vpn: {" "keepalive: { ping = 1; ping_restart = 4; };"

# client2 comes and goes first, so that .2 is remembered for it.
first_clients() {
  sl_connect client2 && sl_client_stop &&
  sl_connect client1 &&
  sl_ctl sessions | grep -q "^user client1 .* vpn 10\.10\.0\.3 "
}

# client1 has completed a second handshake (its log is kept across restarts).
reconnected() { [ "$(grep -c "Initialization Sequence Completed" "$SL_TMP/client1.log")" -ge 2 ]; }

dp_killed_and_back() {
  local old_dp=$DP_PID cp_pid=$CP_PID ping=""
  # Not through sl_nsc: $! must be ping itself (ip netns exec execs it).
  ip netns exec "${P}c" ping -i 0.2 -W 1 10.20.0.2 > "$SL_TMP/ping.log" 2>&1 &
  ping=$!
  SL_PIDS+=("$ping")
  sleep 1
  kill -KILL "$old_dp"; wait "$old_dp" 2>/dev/null || true
  local t0=$SECONDS
  wait_for 10 grep -q "the data plane (pid $old_dp) is gone: ending its 1 session(s) here" \
    "$SL_TMP/cp.log" || { tail -20 "$SL_TMP/cp.log"; return 1; }
  sl_log "$(grep -o "the data plane (pid $old_dp) is gone.*" "$SL_TMP/cp.log") after $((SECONDS - t0)) s"
  wait_for 10 grep -q "waiting for a data plane" "$SL_TMP/cp.log" || return 1
  kill -0 "$cp_pid" || { sl_log "control plane exited"; return 1; }
  local out; out=$(sl_ctl status 2>&1 || true)
  sl_log "sluicectl status while waiting: $out"
  grep -q "data plane not running" <<<"$out" || return 1
  sl_log "$(grep -o "[0-9]* remembered address(es) saved to .*" "$SL_TMP/cp.log")"
  sl_dp_start || return 1
  wait_for 20 grep -q "attached to the data plane (pid $DP_PID)" "$SL_TMP/cp.log" ||
    { tail -20 "$SL_TMP/cp.log"; return 1; }
  sl_log "$(grep -o "[0-9]* remembered address(es) restored from .*" "$SL_TMP/cp.log")"
  # ping-restart 4: the client starts over by itself and finds the new one.
  t0=$SECONDS
  wait_for 40 reconnected || { tail -20 "$SL_TMP/client1.log"; return 1; }
  sl_log "client1 reconnected $((SECONDS - t0)) s after the new data plane started"
  local line; line=$(sl_ctl sessions | grep "^user client1 ")
  sl_log "sessions: $line"
  sl_nsc ping -c 3 -i 0.2 -W 2 10.20.0.2 >/dev/null || return 1
  kill -INT "$ping"; wait "$ping" 2>/dev/null || true
  sl_log "ping across the restart: $(grep "packet loss" "$SL_TMP/ping.log")"
  [ "$CP_PID" = "$cp_pid" ] && kill -0 "$cp_pid" &&
  grep -q " vpn 10\.10\.0\.3 " <<<"$line" &&
  grep -q "2 remembered address(es) restored from" "$SL_TMP/cp.log"
}

FLOOD_SRC=192.0.2.21,192.0.2.22,192.0.2.23,192.0.2.24
cp_killed_in_flood() {
  local a
  sl_client_stop
  for a in ${FLOOD_SRC//,/ }; do ip -n "${P}c" addr add "$a/24" dev "${P}cv"; done
  sl_nsc python3 "$SL_SRC/tests/integration/cpflood.py" "$PKI/tls-crypt.key" 192.0.2.1 \
    "$FLOOD_SRC" 40 6 2 > "$SL_TMP/flood.log" 2>&1 &
  local flood=$!
  SL_PIDS+=("$flood")
  # Killed while it holds half-open handshakes of the flood.
  wait_for 10 bash -c "\"$SL_BUILD/ctl/sluicectl\" -s \"$SL_TMP/ctl.sock\" status | grep -q 'half-open [1-9][0-9]*$'" ||
    return 1
  local before; before=$(sl_ctl status | grep "^controlplane:")
  kill -KILL "$CP_PID"; wait "$CP_PID" 2>/dev/null || true
  sl_log "control plane killed during the flood ($before)"
  CP_PID=""
  sl_cp_restart || return 1
  local during; during=$(sl_ctl status | grep "^controlplane:")
  wait "$flood" || true
  sl_log "$(cat "$SL_TMP/flood.log"); restarted control plane during the flood: $during"
  wait_for 10 bash -c "\"$SL_BUILD/ctl/sluicectl\" -s \"$SL_TMP/ctl.sock\" status | grep -q 'half-open 0$'" ||
    { sl_ctl status | grep "^controlplane:"; return 1; }
  sl_connect client1 || return 1
  local after; after=$(sl_ctl status | grep "^controlplane:")
  sl_log "after the flood, client1 connected: $after"
  grep -q "sessions 1 half-open 0$" <<<"$after" && sl_client_stop &&
  wait_for 5 bash -c "\"$SL_BUILD/ctl/sluicectl\" -s \"$SL_TMP/ctl.sock\" status | grep -q 'sessions 0 half-open 0$'"
}

# client1 connected, the data plane stopped with SIGTERM (sl_stop: its exit
# code), then started again.
dp_terminated_and_back() {
  local old_dp=$DP_PID cp_pid=$CP_PID rc=0 n t0
  sl_connect client1 || return 1
  n=$(grep -c "Initialization Sequence Completed" "$SL_TMP/client1.log")
  t0=$SECONDS
  sl_stop "$old_dp" 10 || rc=$?
  sl_log "data plane stopped with SIGTERM: exit $rc after $((SECONDS - t0)) s;" \
    "$(grep -o "the control plane let go.*\|the control plane (pid [0-9]*) did not.*" "$SL_TMP/dp.log")"
  wait_for 10 grep -q "the data plane (pid $old_dp) is gone: ending its 1 session(s) here" \
    "$SL_TMP/cp.log" || { tail -20 "$SL_TMP/cp.log"; return 1; }
  wait_for 10 bash -c "\"$SL_BUILD/ctl/sluicectl\" -s \"$SL_TMP/ctl.sock\" status 2>&1 | grep -q 'data plane not running'" ||
    { tail -20 "$SL_TMP/cp.log"; return 1; }
  kill -0 "$cp_pid" || { sl_log "control plane exited"; tail -20 "$SL_TMP/cp.log"; return 1; }
  sl_log "control plane (pid $cp_pid) waiting: $(sl_ctl status 2>&1 | head -1)"
  [ $rc -eq 0 ] && grep -q "the control plane let go after" "$SL_TMP/dp.log" &&
  [ -z "$(sl_hugepage_files)" ] || { tail -5 "$SL_TMP/dp.log"; sl_hugepage_files; return 1; }
  sl_dp_start || return 1
  wait_for 20 grep -q "attached to the data plane (pid $DP_PID)" "$SL_TMP/cp.log" ||
    { tail -20 "$SL_TMP/cp.log"; return 1; }
  # ping-restart 4: the client starts over by itself and finds the new one.
  t0=$SECONDS
  wait_for 40 bash -c "[ \$(grep -c 'Initialization Sequence Completed' '$SL_TMP/client1.log') -gt $n ]" ||
    { tail -20 "$SL_TMP/client1.log"; return 1; }
  sl_log "client1 reconnected $((SECONDS - t0)) s after the new data plane started:" \
    "$(sl_ctl sessions | grep "^user client1 ")"
  sl_nsc ping -c 3 -i 0.2 -W 2 10.20.0.2 >/dev/null &&
  [ "$CP_PID" = "$cp_pid" ] && kill -0 "$cp_pid" &&
  ! grep -qi "segmentation\|panic\|assert\|core dumped" "$SL_TMP/cp.log" "$SL_TMP/dp.log"
}

# Killed again, with client1 connected: SIGTERM while the control plane
# waits is a clean stop (exit 0, socket removed; the remembered addresses
# stay for the next start).
waiting_stop() {
  local old_dp=$DP_PID
  kill -KILL "$old_dp"; wait "$old_dp" 2>/dev/null || true
  wait_for 10 grep -q "the data plane (pid $old_dp) is gone" "$SL_TMP/cp.log" &&
  wait_for 10 bash -c "\"$SL_BUILD/ctl/sluicectl\" -s \"$SL_TMP/ctl.sock\" status 2>&1 | grep -q 'data plane not running'" &&
  sl_stop "$CP_PID" && [ ! -e "$SL_TMP/ctl.sock" ] && [ -e "$SL_TMP/ctl.sock.pool" ]
}

stage "data plane starts" sl_dp_start
stage "control plane attaches" sl_cp_start
stage "client2 connects and leaves, client1 connects on 10.10.0.3" first_clients
stage "kill -9 of the data plane: control plane says so, waits, re-attaches; client1 back on 10.10.0.3" \
  dp_killed_and_back
stage "kill -9 of the control plane during a handshake flood: half-open 0 after, client connects" \
  cp_killed_in_flood
stage "SIGTERM of the data plane: the control plane lets go, waits, re-attaches to a new one; client1 back" \
  dp_terminated_and_back
stage "data plane killed again: the control plane waits, then stops cleanly on SIGTERM" waiting_stop
sl_cleanup
sl_finish
