#!/usr/bin/env bash
# Foundation: both processes start on veth-backed af_packet ports, the data
# plane answers ARP and ping on both sides, control packets reach the
# control plane over the ring, commands and events round-trip, the control
# plane can die and re-attach while the data plane keeps answering, and a
# clean stop leaves no namespace, process or hugepage file behind.
source "$(dirname "$0")/lib.sh"
sl_require_root
sl_topology
sl_pki   # the control plane loads its certificates at start
SL_CONF=$(sl_config)

cp_refuses_without_dp() {
  local rc=0
  sl_nsx "$SL_BUILD/controlplane/sluice-controlplane" -c "$SL_CONF" >"$SL_TMP/cp0.log" 2>&1 || rc=$?
  [ "$rc" -ne 0 ] && grep -q "the data plane is not running" "$SL_TMP/cp0.log"
}

ports_up() {
  local s; s=$(sl_ctl status)
  grep -q "^port public: .* link up" <<<"$s" && grep -q "^port private: .* link up" <<<"$s" &&
  [ "$(grep -c '^  queue 0: rx [0-9]* tx [0-9]* pkts' <<<"$s")" -eq 2 ]
}

# Ping our address from a namespace; its neighbour entry must carry the
# MAC that `sluicectl status` reports for that port.
arp_and_ping() {
  local ns=$1 addr=$2 role=$3 dev=$4 mac
  ip netns exec "$ns" ping -c 3 -i 0.2 -W 2 "$addr" >/dev/null
  mac=$(sl_ctl status | sed -n "s/^port $role: .* mac \([0-9a-f:]*\) .*/\1/p")
  [ -n "$mac" ] && grep -qi "lladdr $mac" <<<"$(ip -n "$ns" neigh show "$addr" dev "$dev")"
}

control_packet_reaches_cp() {
  # A P_CONTROL_HARD_RESET_CLIENT_V2 (opcode 7) with a made-up session id.
  sl_nsc bash -c 'printf "\x38\x01\x02\x03\x04\x05\x06\x07\x08\x00\x00\x00\x00\x00" >/dev/udp/192.0.2.1/1194'
  wait_for 5 bash -c "[ \"\$(\"$SL_BUILD/ctl/sluicectl\" -s \"$SL_TMP/ctl.sock\" status | sed -n 's/.*control-packets-in \([0-9]*\).*/\1/p')\" -ge 1 ]"
}

data_packet_unknown_peer_counted() {
  sl_nsc bash -c 'printf "\x48\x00\x00\x07\x00\x00\x00\x01payload" >/dev/udp/192.0.2.1/1194'
  wait_for 5 bash -c "\"$SL_BUILD/ctl/sluicectl\" -s \"$SL_TMP/ctl.sock\" status | grep -Eq '^drop unknown-peer +[1-9]'"
}

bad_opcode_counted() {
  sl_nsc bash -c 'printf "\x60\x00\x00\x00" >/dev/udp/192.0.2.1/1194'   # opcode 12
  wait_for 5 bash -c "\"$SL_BUILD/ctl/sluicectl\" -s \"$SL_TMP/ctl.sock\" status | grep -Eq '^drop bad-opcode +[1-9]'"
}

# DPDK telemetry shows the same drop counters as sluicectl.
telemetry_drops() {
  local j
  j=$(python3 "$SL_SRC/tests/integration/telemetry.py" "$P" /sluice/drops) || return 1
  sl_log "telemetry: $j"
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["unknown_peer"] >= 1 and d["bad_opcode"] >= 1 and "replay" in d, d' "$j"
}

# ... and the access rules: the live generation, flows per worker, rule hits.
telemetry_rules() {
  local j
  j=$(python3 "$SL_SRC/tests/integration/telemetry.py" "$P" /sluice/rules) || return 1
  sl_log "telemetry: $j"
  python3 -c 'import json,sys; d=json.loads(sys.argv[1]); r = [v for k, v in d.items() if k.startswith("rule_")]; assert d["generation"] >= 0 and len(d["flows"]) >= 1 and len(r) == min(d["rules"], 64) and all("name" in v and "pkts" in v for v in r), d' "$j"
}

command_roundtrip() { grep -q "data plane answered command [0-9]*: result 0" <<<"$(sl_ctl ping)"; }

bad_admin_command_refused() {
  local rc=0 out
  # sluicectl knows its commands and refuses others itself, as a usage
  # error (exit 2); the control plane's own refusal of an unknown command
  # in a request is checked in test_cp_admin.
  out=$(sl_ctl frobnicate 2>&1) || rc=$?
  [ "$rc" -eq 2 ] && grep -q 'unknown command "frobnicate"' <<<"$out"
}

cp_crash_and_reattach() {
  kill -KILL "$CP_PID"; wait "$CP_PID" 2>/dev/null || true
  sl_log "control plane $CP_PID killed"
  # The data plane keeps answering while the control plane is gone.
  sl_nsc ping -c 2 -i 0.2 -W 2 192.0.2.1 >/dev/null
  rm -f "$SL_TMP/ctl.sock"
  sl_cp_start
  local s; s=$(sl_ctl status); sl_log "$(head -2 <<<"$s")"
  grep -q "^dataplane: pid $DP_PID " <<<"$s"
}

clean_stop() {
  sl_stop "$CP_PID" && [ ! -e "$SL_TMP/ctl.sock" ] &&
  sl_stop "$DP_PID" && grep -q "stopped" "$SL_TMP/dp.log"
}

nothing_left() {
  local left; left=$(sl_hugepage_files)
  [ -z "$left" ] || { sl_log "hugepage files left: $left"; return 1; }
  [ ! -e "/var/run/dpdk/$P" ] || { sl_log "runtime dir left"; return 1; }
  for pid in "${SL_PIDS[@]}"; do
    if kill -0 "$pid" 2>/dev/null; then sl_log "pid $pid still running"; return 1; fi
  done
}

namespaces_gone() {
  sl_cleanup
  ! grep -q "^${P}[cxl]\b" <<<"$(ip netns list)"
}

stage "control plane refuses to start without a data plane" cp_refuses_without_dp
stage "data plane starts" sl_dp_start
stage "control plane attaches" sl_cp_start
stage "sluicectl status shows both ports up, with per-queue counters" ports_up
stage "client resolves public MAC by ARP and pings" arp_and_ping "${P}c" 192.0.2.1 public "${P}cv"
stage "LAN resolves private MAC by ARP and pings" arp_and_ping "${P}l" 10.20.0.1 private "${P}lv"
stage "control packet reaches the control plane ring" control_packet_reaches_cp
stage "data packet for no peer is dropped and counted" data_packet_unknown_peer_counted
stage "unknown opcode is dropped and counted" bad_opcode_counted
stage "telemetry socket reports drops by reason" telemetry_drops
stage "telemetry socket reports the access rules" telemetry_rules
stage "command/event round trip through the rings" command_roundtrip
stage "bad admin command refused with reason" bad_admin_command_refused
stage "control plane killed: data plane keeps answering, restart re-attaches" cp_crash_and_reattach
stage "SIGTERM stops both cleanly" clean_stop
stage "no process, hugepage file or runtime dir left" nothing_left
stage "namespaces removed" namespaces_gone
sl_finish
