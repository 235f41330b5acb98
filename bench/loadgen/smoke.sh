#!/usr/bin/env bash
# Smoke of sluice-loadgen and sluice-sink against Sluice in namespaces
# (tests/integration/lib.sh's topology): a handful of sessions do real
# handshakes, then a second of traffic at a rate nothing drops, echoed by
# the sink. Checks only that it ran and counted consistently, per
# session: offered = sent + send_drop, sink rx <= sent, echoes <= rx,
# and every session delivered something (none stopped silently).
# LG_SERVER=openvpn runs the same against a stock openvpn 2.6 server.
source "$(dirname "$0")/../../tests/integration/lib.sh"
sl_require_root
N=${LG_SESSIONS:-4}
LG=$SL_BUILD/bench/loadgen
sl_topology
sl_pki client1
ip -n "${P}l" route add 10.10.0.0/16 via 10.20.0.1

start_sluice() {
  SL_CONF=$(sl_config)
  sl_conf_set 'control: {' 'connect_rate = 100000; max_half_open = 4096; rx_rate = 1000000; rx_burst = 1000000;'
  sl_conf_set 'vpn: {' 'max_clients = 4096;'
  sed -i 's#pool = "10.10.0.0/24";#pool = "10.10.0.0/20";#' "$SL_CONF"
  sl_dp_start && sl_cp_start
}

# The stock server the way bench/vs_openvpn.sh starts it, every client on
# one certificate (duplicate-cn) and without DCO (no ovpn module here).
start_openvpn() {
  local d=$SL_TMP/pki
  ip -n "${P}x" addr add 192.0.2.1/24 dev "${P}pub"
  ip -n "${P}x" addr add 10.20.0.1/24 dev "${P}prv"
  ip netns exec "${P}x" sysctl -q -w net.ipv4.ip_forward=1
  ip netns exec "${P}x" openvpn --dev tun --proto udp --local 192.0.2.1 --port 1194 \
    --topology subnet --server 10.10.0.0 255.255.240.0 --ca "$d/ca.crt" \
    --cert "$d/server.crt" --key "$d/server.key" --dh none --tls-crypt "$d/tls-crypt.key" \
    --duplicate-cn --disable-dco --max-clients 4096 --connect-freq 100000 1 \
    --push "route 10.20.0.0 255.255.255.0" --keepalive 10 60 --verb 3 \
    >"$SL_TMP/cp.log" 2>&1 &
  SL_PIDS+=($!)
  wait_for 20 grep -q "Initialization Sequence Completed" "$SL_TMP/cp.log"
}

run_load() {
  local d=$SL_TMP/pki
  ip netns exec "${P}l" "$LG/sluice-sink" --listen 10.20.0.2 --echo --sessions "$N" --time 60 \
    >"$SL_TMP/sink.out" 2>&1 &
  SINK_PID=$!
  SL_PIDS+=("$SINK_PID")
  wait_for 5 grep -q "sink=ready" "$SL_TMP/sink.out" || return 1
  ip netns exec "${P}c" timeout 60 "$LG/sluice-loadgen" --server 192.0.2.1 --sink 10.20.0.2 \
    --ca "$d/ca.crt" --cert "$d/client1.crt" --key "$d/client1.key" \
    --tls-crypt "$d/tls-crypt.key" --sessions "$N" --rate 200 --time 1 --size imix \
    --per-session >"$SL_TMP/lg.out" 2>"$SL_TMP/lg.err"
  local rc=$?
  sl_stop "$SINK_PID" 5 || true
  cat "$SL_TMP/lg.out" "$SL_TMP/sink.out" | sed 's/^/#   /'
  [ $rc -eq 0 ] || { cat "$SL_TMP/lg.err"; tail -20 "$SL_TMP/cp.log"; return 1; }
}

# Per session: offered = sent + send_drop, 0 < sink rx <= sent, echoed <= rx.
consistent() {
  awk -v n="$N" '
    /^session=/ { for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
                  s = v["session"]; off[s] = v["offered"]; snt[s] = v["sent"];
                  drp[s] = v["send_drop"]; ech[s] = v["echoed"]; up[s] = v["state"] }
    /^sink_session=/ { split($1, a, "="); split($2, b, "="); rx[a[2]] = b[2] }
    END { bad = 0
          for (s = 0; s < n; s++) {
            if (up[s] != 3 || off[s] != snt[s] + drp[s] || rx[s] + 0 > snt[s] + 0 ||
                rx[s] + 0 == 0 || ech[s] + 0 > rx[s] + 0) {
              print "# session " s ": state " up[s] " offered " off[s] " sent " snt[s] \
                    " send_drop " drp[s] " sink " rx[s] " echoed " ech[s]; bad = 1 }
          }
          exit bad }' "$SL_TMP/lg.out" "$SL_TMP/sink.out"
}

if [ "${LG_SERVER:-sluice}" = openvpn ]; then
  stage "openvpn 2.6 server up" start_openvpn
else
  stage "sluice up" start_sluice
fi
stage "$N sessions: handshakes and a second of echoed traffic" run_load
stage "per-session counts consistent" consistent
sl_finish
