#!/usr/bin/env bash
# The rest of the control plane against the real openvpn 2.6 client:
#   old compression profiles (comp-lzo, compress, compress stub-v2): the
#   server pushes compatible framing ("compress migrate") and the data plane
#   frames the tunnel traffic accordingly;
#   server-driven renegotiation by vpn.reneg_bytes and vpn.reneg_pkts under
#   traffic, with no loss;
#   admission under a handshake flood: the per-source rate limit
#   (control.connect_rate) and the half-open cap (control.max_half_open)
#   are hit and counted while sluicectl keeps answering, and a legitimate
#   client from another source connects;
#   one log line per connect, auth result, rekey and disconnect, with user,
#   address and reason (also for a revoked certificate);
#   the admin socket: mode 0600, root only (SO_PEERCRED), a slow client
#   cut off without stalling the event loop, a folder others can write to
#   refused at start.
source "$(dirname "$0")/lib.sh"
sl_require_root
sl_topology
sl_pki client1 client2
ip -n "${P}l" route add 10.10.0.0/24 via 10.20.0.1
PKI=$SL_TMP/pki

# comp_profile WANT [openvpn options]: an old compression profile connects,
# gets WANT pushed, and passes pings of every size class both ways.
comp_profile() {
  local want=$1; shift
  sl_connect client1 "$@" || return 1
  local pushed; pushed=$(grep -o "PUSH: Received control message: .*" "$SL_TMP/client1.log")
  sl_log "client $*: $(grep -o "compress[^,]*\|comp-lzo[^,]*" <<<"$pushed" | tr '\n' ' ')"
  grep -q ",$want," <<<"$pushed" &&
  grep "connect: user client1 " "$SL_TMP/cp.log" | tail -1 | grep -q " cipher AES-256-GCM $want$" &&
  sl_nsc ping -c 5 -i 0.2 -W 2 -s 1200 10.20.0.2 >/dev/null &&
  sl_nsl ping -c 3 -i 0.2 -W 2 10.10.0.2 >/dev/null &&
  ! grep -qi "decompression\|Bad LZO" "$SL_TMP/client1.log" &&
  sl_client_stop
}

# reneg_traffic WANT COUNT [ping options]: COUNT pings of 1200 bytes every
# 50 ms; at least WANT key switches since the mark, every ping answered,
# and the session's current key-id moved on.
reneg_traffic() {
  local want=$1 count=$2; shift 2
  local mark; mark=$(wc -l < "$SL_TMP/cp.log")
  sl_connect client1 || return 1
  sl_nsc ping -c "$count" -i 0.05 -s 1200 -W 2 10.20.0.2 > "$SL_TMP/reneg-ping.log" 2>&1
  local got; got=$(tail -n +"$mark" "$SL_TMP/cp.log" | grep -c "now sending on key-id")
  local why; why=$(tail -n +"$mark" "$SL_TMP/cp.log" | grep -o "started by the server ([a-z-]*" |
    sed 's/.*(//' | sort | uniq -c | awk '{printf "%s%s x%s", (NR > 1 ? ", " : ""), $2, $1}')
  local kid; kid=$(sl_ctl sessions | grep -o "key-id [0-9]*")
  sl_log "$(grep "packet loss" "$SL_TMP/reneg-ping.log"); $got key switches ($why), now $kid"
  sl_client_stop
  grep -q " 0% packet loss" "$SL_TMP/reneg-ping.log" && [ "$got" -ge "$want" ] &&
  [ "$kid" != "key-id 0" ]
}

ctl_counter() { grep -o " $1 [0-9]*" <<<"$2" | awk '{print $2}'; }

# status_probe SECS: sluicectl status every 0.2 s for SECS; prints the
# slowest answer in ms, fails if one did not come within 2 s.
status_probe() {
  local until=$((SECONDS + $1)) worst=0 t0 t1
  while [ $SECONDS -lt $until ]; do
    t0=$(date +%s%N)
    timeout 2 "$SL_BUILD/ctl/sluicectl" -s "$SL_TMP/ctl.sock" status >/dev/null || return 1
    t1=$(( ($(date +%s%N) - t0) / 1000000 ))
    [ $t1 -gt $worst ] && worst=$t1
    sleep 0.2
  done
  echo "$worst"
}

# Six flood sources, 60 handshakes each over 8 s, sessions held 2 s; with
# connect_rate 2 and max_half_open 6 both limits are hit. Meanwhile
# sluicectl status keeps answering, and client1 from 192.0.2.2 connects
# (during the flood, or with its retransmit backoff just after it).
FLOOD_SRC=192.0.2.21,192.0.2.22,192.0.2.23,192.0.2.24,192.0.2.25,192.0.2.26
admission_flood() {
  local a
  for a in ${FLOOD_SRC//,/ }; do ip -n "${P}c" addr add "$a/24" dev "${P}cv"; done
  local before; before=$(sl_ctl status | grep "^control ")
  sl_nsc python3 "$SL_SRC/tests/integration/cpflood.py" "$PKI/tls-crypt.key" 192.0.2.1 \
    "$FLOOD_SRC" 60 8 2 > "$SL_TMP/flood.log" 2>&1 &
  local flood=$!
  SL_PIDS+=("$flood")
  sleep 0.5
  status_probe 6 > "$SL_TMP/probe.log" &
  local probe=$!
  rm -f "$SL_TMP/client1.log"
  sl_client_start client1 --explicit-exit-notify 1
  local up=0 during=0
  # The flood may hold the half-open cap when the client's reset arrives; the
  # client retransmits with backoff, so allow it past the flood's end.
  sl_client_up client1 30 && up=1
  kill -0 "$flood" 2>/dev/null && during=1
  local ok_probe=0; wait "$probe" && ok_probe=1
  wait "$flood" || true
  local c; c=$(sl_ctl status | grep "^control ")
  sl_log "$(cat "$SL_TMP/flood.log")"
  sl_log "client up $up (flood still running: $during), slowest sluicectl status $(cat "$SL_TMP/probe.log") ms"
  sl_log "$(grep -o "cookie-replies [0-9]*\|sessions-created [0-9]*\|drop-rate [0-9]*\|drop-half-open [0-9]*\|tls-failures [0-9]*" <<<"$c" | tr '\n' ' ')"
  local rate=$(( $(ctl_counter drop-rate "$c") - $(ctl_counter drop-rate "$before") ))
  local half=$(( $(ctl_counter drop-half-open "$c") - $(ctl_counter drop-half-open "$before") ))
  [ "$up" = 1 ] && [ "$ok_probe" = 1 ] &&
  [ "$rate" -ge 100 ] && [ "$half" -ge 1 ] &&
  sl_nsc ping -c 3 -i 0.2 -W 2 10.20.0.2 >/dev/null &&
  wait_for 10 bash -c "\"$SL_BUILD/ctl/sluicectl\" -s \"$SL_TMP/ctl.sock\" status | grep -q 'sessions 1 half-open 0$'" &&
  sl_client_stop
}

# The log lines of client1's last session (from the reneg_bytes stage):
# one auth, one connect, one disconnect, rekeys, all with user and address.
session_log_lines() {
  local addr; addr=$(grep -o "connect: user client1 cn client1 from [0-9.:]*" "$SL_TMP/cp.log" |
    tail -1 | awk '{print $NF}' | sed 's/:$//')
  local l; l=$(grep " from $addr: " "$SL_TMP/cp.log" | sed 's/^.*info: //')
  sl_log "$(grep -c . <<<"$l") lines for $addr: $(cut -d: -f1 <<<"$l" | sort | uniq -c | tr -s ' \n' ' ')"
  [ -n "$addr" ] &&
  [ "$(grep -c "^auth: user client1 cn client1 from $addr: ok (2\.6" <<<"$l")" = 1 ] &&
  [ "$(grep -c "^connect: user client1 cn client1 from $addr: vpn 10\.10\.0\.2 peer-id [0-9]* cipher AES-256-GCM$" <<<"$l")" = 1 ] &&
  [ "$(grep -c "^rekey: user client1 cn client1 from $addr: key-id [1-7] started by the server (reneg-bytes: [0-9]* bytes on key-id [0-7])$" <<<"$l")" -ge 2 ] &&
  [ "$(grep -c "^rekey: user client1 cn client1 from $addr: now sending on key-id [1-7]$" <<<"$l")" -ge 2 ] &&
  [ "$(grep -c "^disconnect: user client1 cn client1 from $addr: client exit ([0-9]*s, in [1-9][0-9]* out [1-9][0-9]* bytes)$" <<<"$l")" = 1 ] &&
  [ "$(grep -cv "^\(auth\|connect\|rekey\|disconnect\): " <<<"$l")" = 0 ]
}

# The admin socket: mode 0600; a client trickling a byte a second does not
# hold up sluicectl (the event loop never waits for a client; it is cut off
# at 2 s); another uid is refused even if the socket's mode were opened up.
admin_socket() {
  local sock=$SL_TMP/ctl.sock
  [ "$(stat -c %a "$sock")" = 600 ] || return 1
  python3 -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); t = time.time()
for i in range(8):
    try:
        s.send(b"s")
    except OSError:
        print("trickling client cut off after %.1f s" % (time.time() - t))
        sys.exit(0)
    time.sleep(1)
print("trickling client never cut off")' "$sock" > "$SL_TMP/trickle.log" 2>&1 &
  local slow=$!
  SL_PIDS+=("$slow")
  sleep 0.3
  local worst; worst=$(status_probe 4) || { sl_log "sluicectl status stalled"; return 1; }
  wait "$slow" || true
  sl_log "$(cat "$SL_TMP/trickle.log"); slowest sluicectl status meanwhile ${worst} ms"
  chmod 0666 "$sock"; chmod 0755 "$SL_TMP"
  local out rc=0
  out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$SL_BUILD/ctl/sluicectl" -s "$sock" status 2>&1) || rc=$?
  chmod 0600 "$sock"; chmod 0700 "$SL_TMP"
  sl_log "uid 65534: exit $rc: $out"
  grep -q "cut off after" "$SL_TMP/trickle.log" &&
  grep -q "admin: connection closed: no .* within" "$SL_TMP/cp.log" && [ "$rc" = 1 ] &&
  grep -q "permission denied" <<<"$out" && grep -q "refused a connection from uid 65534" "$SL_TMP/cp.log"
}

# A socket folder others can write to: the control plane refuses to start.
admin_folder_refused() {
  sl_stop "$CP_PID" || true
  mkdir -m 0777 "$SL_TMP/open"
  local conf=$SL_TMP/open.conf rc=0
  sed "s#$SL_TMP/ctl.sock#$SL_TMP/open/ctl.sock#" "$SL_CONF" > "$conf"
  sl_nsx timeout 30 "$SL_BUILD/controlplane/sluice-controlplane" -c "$conf" > "$SL_TMP/open.log" 2>&1 || rc=$?
  sl_log "exit $rc: $(grep -o "control.socket .*" "$SL_TMP/open.log")"
  [ "$rc" = 1 ] && grep -q "writable by group or others (mode 0777): refusing to start" "$SL_TMP/open.log" &&
  [ ! -e "$SL_TMP/open/ctl.sock" ] && sl_cp_restart
}

# A revoked certificate: its CN, address and reason in the auth and
# disconnect lines.
revoked_log_lines() {
  local mark; mark=$(wc -l < "$SL_TMP/cp.log")
  sl_pki_revoke client2
  # A reload after the revocation (the log may hold earlier ones: the
  # control plane renews its CRL at start when it is near its nextUpdate).
  wait_for 5 bash -c "tail -n +$((mark + 1)) '$SL_TMP/cp.log' | grep -q 'pki.crl .* changed: reloaded'" ||
    return 1
  rm -f "$SL_TMP/client2.log"
  sl_client_start client2
  wait_for 20 grep -q "auth: cn client2 from 192\.0\.2\.2:[0-9]*: certificate refused: certificate revoked" "$SL_TMP/cp.log"
  local rc=$?
  sl_stop "$CL_PID" 20 || true
  local addr; addr=$(grep -o "auth: cn client2 from [0-9.:]*" "$SL_TMP/cp.log" | tail -1 |
    awk '{print $NF}' | sed 's/:$//')
  sl_log "$(grep " from $addr: " "$SL_TMP/cp.log" | sed 's/^.*info: //' | tr '\n' '|')"
  [ $rc -eq 0 ] && ! grep -q "Initialization Sequence Completed" "$SL_TMP/client2.log" &&
  wait_for 5 grep -q "disconnect: user client2 cn client2 from $addr: TLS handshake failed" "$SL_TMP/cp.log"
}

sl_server_conf
stage "data plane starts" sl_dp_start
stage "control plane attaches" sl_cp_start
stage "admin socket: 0600, a trickling client does not stall sluicectl, other uids refused" \
  admin_socket
stage "admin socket folder writable by others: the control plane refuses to start" \
  admin_folder_refused
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
sl_server_conf "s#^vpn: {#vpn: {\n  reneg_bytes = 200000;#"
sl_cp_restart
stage "server reneg_bytes 200000: key switches under 1200-byte pings, no loss" \
  reneg_traffic 2 300
stage "log lines of that session: auth, connect, rekeys, disconnect with user, address, reason" \
  session_log_lines
sl_server_conf "s#^vpn: {#vpn: {\n  reneg_pkts = 150;#"
sl_cp_restart
stage "server reneg_pkts 150: key switches under pings, no loss" reneg_traffic 2 300
sl_server_conf
sl_conf_set 'control: {' 'connect_rate = 2; max_half_open = 6;'
sl_cp_restart
stage "handshake flood from 6 sources: rate limit and half-open cap counted, client1 connects, sluicectl answers" \
  admission_flood
stage "revoked certificate: auth and disconnect lines name cn, address and reason" \
  revoked_log_lines
sl_cleanup
sl_finish
