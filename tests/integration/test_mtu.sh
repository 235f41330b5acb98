#!/usr/bin/env bash
# Tunnel MTU with a real client: the pushed tun-mtu (1400) is on the
# client's tun device; a 1500-byte ping from the LAN without DF is
# fragmented inside the tunnel and answered; with DF the LAN host learns
# "fragmentation needed, mtu 1400" from the concentrator; a TCP SYN's MSS
# is clamped both ways (iperf3 TCP works). The client has a fixed address
# (vpn.static_addresses), not the first free one.
source "$(dirname "$0")/lib.sh"
sl_require_root
sl_topology
sl_pki client1
SL_CONF=$(sl_config)
sl_conf_set "vpn: {" 'static_addresses = ( { name = "client1"; address = "10.10.0.77"; } );'
ip -n "${P}l" route add 10.10.0.0/24 via 10.20.0.1

connects() {
  sl_client_start client1
  sl_client_up client1
}

tun_mtu_pushed() {
  local l; l=$(ip -n "${P}c" -o link show dev tun0)
  sl_log "$(awk '{print $2, $4, $5}' <<<"$l")"
  grep -q "mtu 1400 " <<<"$l"
}

fixed_address() {
  local a; a=$(ip -n "${P}c" -4 -o addr show dev tun0)
  sl_log "client tun0: $(awk '{print $4}' <<<"$a")"
  grep -q "inet 10\.10\.0\.77/24" <<<"$a"
}

big_ping_fragmented() {
  sl_nsl ping -c 3 -i 0.3 -W 2 -M dont -s 1472 10.10.0.77 >"$SL_TMP/big.log" 2>&1 ||
    { cat "$SL_TMP/big.log"; return 1; }
  grep -q " 0% packet loss" "$SL_TMP/big.log"
}

df_ping_gets_frag_needed() {
  sl_nsl ping -c 2 -i 0.3 -W 2 -M do -s 1472 10.10.0.77 >"$SL_TMP/df.log" 2>&1 || true
  sl_log "$(grep -m1 -i 'frag needed\|mtu' "$SL_TMP/df.log")"
  grep -qi "frag needed and DF set (mtu = 1400)" "$SL_TMP/df.log" &&
  grep -Eq '^drop too-big +[1-9]' <<<"$(sl_ctl status)"
}

tcp_through_tunnel() {
  ip netns exec "${P}l" iperf3 -s -1 -B 10.20.0.2 >/dev/null 2>&1 &
  local srv=$!
  SL_PIDS+=("$srv")
  sleep 0.5
  sl_nsc timeout 20 iperf3 -c 10.20.0.2 -t 2 -J >"$SL_TMP/iperf.json" || return 1
  python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); b=d["end"]["sum_received"]["bytes"]; print("# tcp %.0f Mbit/s" % (d["end"]["sum_received"]["bits_per_second"]/1e6)); assert b > 0' "$SL_TMP/iperf.json"
}

clean_stop() {
  kill -TERM "$CL_PID"; wait "$CL_PID" 2>/dev/null || true
  sl_stop "$CP_PID" && sl_stop "$DP_PID"
}

stage "data plane starts" sl_dp_start
stage "control plane attaches" sl_cp_start
stage "client connects" connects
stage "pushed tun-mtu 1400 on the client's tun" tun_mtu_pushed
stage "the client got its fixed address 10.10.0.77" fixed_address
stage "1500-byte ping from the LAN (DF clear) fragmented in the tunnel" big_ping_fragmented
stage "1500-byte ping with DF: fragmentation needed, mtu 1400" df_ping_gets_frag_needed
stage "TCP through the tunnel (MSS clamped)" tcp_through_tunnel
stage "clean stop" clean_stop
sl_finish
