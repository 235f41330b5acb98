#!/usr/bin/env bash
# The first session: the real Debian openvpn 2.6 client in its namespace
# connects through the data plane's public port with tls-crypt and the
# default data-ciphers, gets the pushed address on its tun device, pings a
# LAN host through the data plane, shows up in `sluicectl sessions`, can
# be killed by name, reconnects to the same (sticky) address, and its
# explicit exit ends the session; a flood of forged resets costs no TLS
# work while a real client still connects; a clean stop leaves nothing
# behind.
source "$(dirname "$0")/lib.sh"
sl_require_root
sl_topology
sl_pki client1
SL_CONF=$(sl_config)
# The LAN host answers pings to VPN addresses through the concentrator.
ip -n "${P}l" route add 10.10.0.0/24 via 10.20.0.1

client_connects() {
  sl_client_start client1 --explicit-exit-notify 1
  sl_client_up client1
}

pushed_address_on_tun() {
  local a; a=$(ip -n "${P}c" -4 -o addr show dev tun0)
  sl_log "client tun0: $(awk '{print $4}' <<<"$a")"
  grep -q "inet 10\.10\.0\.2/24" <<<"$a"
}

ping_through_data_plane() {
  sl_nsc ping -c 5 -i 0.2 -W 2 10.20.0.2 >"$SL_TMP/ping.log" 2>&1 ||
    { cat "$SL_TMP/ping.log"; sl_ctl status | grep "^drop" | grep -v " 0 "; return 1; }
  grep -q " 0% packet loss" "$SL_TMP/ping.log"
}

session_listed() {
  local s; s=$(sl_ctl sessions)
  sl_log "$(grep '^user' <<<"$s")"
  grep -q "^user client1 cn client1 real 192\.0\.2\.2:[0-9]* vpn 10\.10\.0\.2 transport udp cipher AES-256-GCM auth - framing none .*key-id 0 peer-id 0$" <<<"$s" &&
  grep -Eq "bytes-in [1-9][0-9]* bytes-out [1-9]" <<<"$s"
}

log_lines() {
  grep -q "auth: user client1 cn client1 from 192.0.2.2:[0-9]*: ok" "$SL_TMP/cp.log" &&
  grep -q "connect: user client1 cn client1 from .* vpn 10.10.0.2 peer-id 0 cipher AES-256-GCM" "$SL_TMP/cp.log"
}

kill_by_name() {
  sl_ctl kill client1 >/dev/null &&
  wait_for 10 grep -q "process exiting" "$SL_TMP/client1.log" &&
  { wait "$CL_PID" || true; } &&
  grep -q "Halt command was pushed by server" "$SL_TMP/client1.log" &&
  wait_for 5 grep -q "disconnect: user client1 .*: killed by the administrator" "$SL_TMP/cp.log" &&
  wait_for 5 bash -c "\"$SL_BUILD/ctl/sluicectl\" -s \"$SL_TMP/ctl.sock\" sessions | grep -q '^sessions 0 '"
}

kill_unknown_refused() {
  local rc=0 out
  out=$(sl_ctl kill nobody 2>&1) || rc=$?
  [ "$rc" -eq 1 ] && grep -q 'no session matches "nobody"' <<<"$out"
}

reconnect_sticky() {
  mv "$SL_TMP/client1.log" "$SL_TMP/client1-first.log"
  client_connects && pushed_address_on_tun && ping_through_data_plane
}

exit_ends_session() {
  sl_stop "$CL_PID" 20 || true
  wait_for 10 grep -q "disconnect: user client1 .*: client exit" "$SL_TMP/cp.log" &&
  grep -q "^sessions 0 " <<<"$(sl_ctl sessions)"
}

# 3000 forged hard resets (random bytes, no tls-crypt key) while a real
# client connects: all refused, no session, no TLS work. They come from the
# client's own address, so each is refused by the first limit it meets: the
# data plane's per-source control-packet rate (control.rx_rate, drop
# cp-rate), the control plane's per-source unwrap budget (drop-rate), or the
# wrap check (drop-wrap). The client gets through once the flood is over (its
# reset is retransmitted).
flood_refused() {
  sl_nsc python3 -c 'import os, socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3000):
    s.sendto(b"\x38" + os.urandom(53), ("192.0.2.1", 1194))' &
  local flood=$!
  sl_client_start client1 --explicit-exit-notify 1
  wait "$flood"
  sl_client_up client1 || return 1
  local st c wrap budget rate
  st=$(sl_ctl status); c=$(grep "^control " <<<"$st")
  wrap=$(grep -o " drop-wrap [0-9]*" <<<"$c" | awk '{print $2}')
  budget=$(grep -o " drop-rate [0-9]*" <<<"$c" | awk '{print $2}')
  rate=$(awk '$1 == "drop" && $2 == "cp-rate" {print $3}' <<<"$st")
  sl_log "cp-rate ${rate:-?}, drop-rate $budget, drop-wrap $wrap, $(grep -o "sessions-created [0-9]*" <<<"$c")"
  [ "$((wrap + budget + ${rate:-0}))" -ge 1000 ] && grep -q " tls-failures 0 " <<<"$c" &&
  sl_stop "$CL_PID" 20 && wait_for 10 grep -q "disconnect: user client1 .*: client exit" "$SL_TMP/cp.log"
}

no_wrap_failures() {
  local c; c=$(sl_ctl status | grep "^control ")
  sl_log "$c"
  grep -q " drop-wrap 0 " <<<"$c" && grep -q " tls-failures 0 " <<<"$c"
}

clean_stop() {
  sl_stop "$CP_PID" && sl_stop "$DP_PID" && grep -q "stopped" "$SL_TMP/dp.log"
}

nothing_left() {
  [ -z "$(sl_hugepage_files)" ] && [ ! -e "/var/run/dpdk/$P" ] &&
  for pid in "${SL_PIDS[@]}"; do ! kill -0 "$pid" 2>/dev/null || return 1; done
}

stage "data plane starts" sl_dp_start
stage "control plane attaches" sl_cp_start
stage "openvpn client: Initialization Sequence Completed" client_connects
stage "pushed address 10.10.0.2/24 on the client's tun0" pushed_address_on_tun
stage "ping client -> LAN host 10.20.0.2 through the data plane" ping_through_data_plane
stage "sluicectl sessions lists the session with traffic" session_listed
stage "auth and connect log lines" log_lines
stage "sluicectl kill of an unknown name is refused" kill_unknown_refused
stage "sluicectl kill client1: HALT, client exits, session gone" kill_by_name
stage "reconnect gets the same address and pings again" reconnect_sticky
stage "explicit exit (cc-exit EXIT) ends the session" exit_ends_session
stage "no wrap or TLS failures counted" no_wrap_failures
stage "a flood of forged resets is refused at the wrap check while a client connects" flood_refused
stage "SIGTERM stops both cleanly" clean_stop
stage "no process, hugepage file or runtime dir left" nothing_left
sl_cleanup
sl_finish
