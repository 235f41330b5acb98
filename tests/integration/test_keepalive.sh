#!/usr/bin/env bash
# Keepalive from the data plane: with `ping 2, ping-restart 8` pushed, an
# idle client stays connected only if the data plane's keepalive pings reach
# it (the control plane sends nothing on an established session). After 20 s
# of silence the client has not restarted, the session is the same one, and
# traffic flows at once.
source "$(dirname "$0")/lib.sh"
sl_require_root
sl_topology
sl_pki client1
SL_CONF=$(sl_config)
sl_conf_set "vpn: {" "keepalive: { ping = 2; ping_restart = 8; };"
ip -n "${P}l" route add 10.10.0.0/24 via 10.20.0.1

connects() {
  sl_client_start client1
  sl_client_up client1 &&
  grep -q "ping 2" <<<"$(grep 'PUSH: Received control message' "$SL_TMP/client1.log")" &&
  grep -q "ping-restart 8" <<<"$(grep 'PUSH: Received control message' "$SL_TMP/client1.log")"
}

since_of() { sed -n 's/^user client1 .* since \([^ ]*\) .*/\1/p' <<<"$(sl_ctl sessions)"; }

# Packets the data plane's worker sent out of the public port.
public_tx() { sed -n 's/^  rx_pkts [0-9]* tx_pkts \([0-9]*\) .*/\1/p' <<<"$(sl_ctl status)" | head -1; }

idle_client_kept_alive() {
  local before after tx0 tx1
  before=$(since_of); tx0=$(public_tx)
  sleep 20
  after=$(since_of); tx1=$(public_tx)
  sl_log "session since $before, after 20 s idle: $after; public tx $tx0 -> $tx1"
  [ -n "$before" ] && [ "$before" = "$after" ] &&
  [ $((tx1 - tx0)) -ge 8 ] &&
  ! grep -Eq "Inactivity timeout|SIGUSR1|Restart pause" "$SL_TMP/client1.log" &&
  kill -0 "$CL_PID"
}

traffic_flows() { sl_nsc ping -c 3 -i 0.2 -W 2 10.20.0.2 >/dev/null; }

clean_stop() {
  kill -TERM "$CL_PID"; wait "$CL_PID" 2>/dev/null || true
  sl_stop "$CP_PID" && sl_stop "$DP_PID"
}

stage "data plane starts" sl_dp_start
stage "control plane attaches" sl_cp_start
stage "client connects with ping 2 / ping-restart 8 pushed" connects
stage "20 s idle: data-plane keepalives keep the client's session" idle_client_kept_alive
stage "traffic flows after the idle period" traffic_flows
stage "clean stop" clean_stop
sl_finish
