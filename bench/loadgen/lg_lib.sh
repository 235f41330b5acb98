# Shared by bench/loadgen/smoke.sh and bench/vs_openvpn_load.sh, sourced
# after tests/integration/lib.sh (its topology: generator in ${P}c,
# concentrator in ${P}x, sink in ${P}l at 10.20.0.2). Every server and
# sink started here is in SL_PIDS, so lib.sh's EXIT trap ends it by PID.
LG=$SL_BUILD/bench/loadgen
LG_GEN_CPU=${LG_GEN_CPU:-0}	# the generator's core
LG_SRV_CPU=${LG_SRV_CPU:-1}	# the server's packet work
# The control channel's wrapping for servers and generator: tls-crypt (the
# PKI's tls-crypt.key) or tls-crypt-v2 (the PKI's v2-server.key, and one
# client key made from it by lg_v2_client_key for every session: its
# metadata is OpenVPN's default timestamp, which no user store refuses).
LG_WRAP=${LG_WRAP:-tls-crypt}
# LG_SHARE_CORES=1: Sluice's TLS workers on both cores (control.tls_cpus),
# the data-plane worker sleeping LG_IDLE_SLEEP_US when idle
# (dataplane.idle_sleep_us) so it leaves them its core between packets, as
# OpenVPN has the server's core alone in a handshake trial
# (docs/operations.md, small or shared machines). Off: the worker
# busy-polls cpu LG_SRV_CPU and the TLS workers stay off it.
LG_SHARE_CORES=${LG_SHARE_CORES:-0}
LG_IDLE_SLEEP_US=${LG_IDLE_SLEEP_US:-50}
# LG_PORT: the DPDK port type of Sluice's configuration (and of
# bench/iofwd's, which runs on the same file) on the veth pairs:
# af_packet (net_af_packet, tests/integration/lib.sh's demo config) or
# af_xdp (net_af_xdp: the PMD attaches its XDP program to the veth, native
# mode, and binds one AF_XDP socket in copy mode, veth having no zero
# copy, its umem the packet pool itself; LG_XDP_OPTS are the rest of its
# vdev options: one queue, and busy_budget=0: no preferred busy polling,
# whose recvfrom() on every empty poll would run the veth's receive work
# on the worker's core inside polls counted idle; without it that work
# stays on the sender's core, as with af_packet).
LG_PORT=${LG_PORT:-af_packet}
LG_XDP_OPTS=${LG_XDP_OPTS:-queue_count=1,busy_budget=0}

# lg_port_check: LG_PORT is a type lg_port_conf knows.
lg_port_check() {
  case $LG_PORT in
    af_packet|af_xdp) return 0 ;;
    *) echo "LG_PORT: af_packet or af_xdp, not '$LG_PORT'" >&2; return 1 ;;
  esac
}

# lg_port_conf: $SL_CONF's two net_af_packet vdevs as LG_PORT says (same
# index and interface).
lg_port_conf() {
  lg_port_check || return 1
  [ "$LG_PORT" = af_xdp ] || return 0
  sed -i -E "s#vdev = \"net_af_packet([0-9]+),iface=([^,\"]+)[^\"]*\"#vdev = \"net_af_xdp\\1,iface=\\2,$LG_XDP_OPTS\"#" "$SL_CONF"
}

# The tls-crypt-v2 client key every emulated client uses, made by openvpn
# itself (sl_pki made the server key).
lg_v2_client_key() {
  local d=$SL_TMP/pki
  [ -s "$d/v2-client.key" ] ||
    openvpn --tls-crypt-v2 "$d/v2-server.key" --genkey tls-crypt-v2-client "$d/v2-client.key" >/dev/null
}

# Sluice with limits a load test needs: every session comes from one
# source address, 1000 of them need more than a /24.
lg_start_sluice() {
  SL_CONF=$(sl_config)
  sl_conf_set 'control: {' 'connect_rate = 100000; max_half_open = 4096; rx_rate = 1000000; rx_burst = 1000000;'
  sl_conf_set 'vpn: {' 'max_clients = 4096;'
  sed -i 's#pool = "10.10.0.0/24";#pool = "10.10.0.0/20";#' "$SL_CONF"
  if [ "$LG_SHARE_CORES" = 1 ]; then
    sl_conf_set 'dataplane: {' "idle_sleep_us = $LG_IDLE_SLEEP_US;"
    sl_conf_set 'control: {' "tls_cpus = \"$LG_GEN_CPU,$LG_SRV_CPU\";"
  fi
  lg_port_conf || return 1
  lg_sluice_wrap
  sl_dp_start && sl_cp_start
}

# $SL_CONF's wrapping key as LG_WRAP says.
lg_sluice_wrap() {
  if [ "$LG_WRAP" = tls-crypt-v2 ]; then
    lg_v2_client_key || return 1
    sed -i "s#^  tls_crypt = .*#  tls_crypt_v2 = \"$SL_TMP/pki/v2-server.key\";#" "$SL_CONF"
  else
    sed -i "s#^  tls_crypt_v2 = .*#  tls_crypt = \"$SL_TMP/pki/tls-crypt.key\";#" "$SL_CONF"
  fi
}

# Sluice's control plane again with LG_WRAP's key (the data plane stays).
lg_restart_sluice() { lg_sluice_wrap && sl_cp_restart; }

# The stock server as bench/vs_openvpn.sh starts it, every client on one
# certificate (duplicate-cn), without DCO (no ovpn module here), on the
# server's core.
lg_start_openvpn() {
  local d=$SL_TMP/pki
  local wrap=(--tls-crypt "$d/tls-crypt.key")
  if [ "$LG_WRAP" = tls-crypt-v2 ]; then
    lg_v2_client_key || return 1
    wrap=(--tls-crypt-v2 "$d/v2-server.key")
  fi
  ip -n "${P}x" addr replace 192.0.2.1/24 dev "${P}pub"
  ip -n "${P}x" addr replace 10.20.0.1/24 dev "${P}prv"
  ip netns exec "${P}x" sysctl -q -w net.ipv4.ip_forward=1
  ip netns exec "${P}x" taskset -c "$LG_SRV_CPU" openvpn --dev tun --proto udp \
    --local 192.0.2.1 --port 1194 --topology subnet --server 10.10.0.0 255.255.240.0 \
    --ca "$d/ca.crt" --cert "$d/server.crt" --key "$d/server.key" --dh none \
    "${wrap[@]}" --duplicate-cn --disable-dco --max-clients 4096 \
    --connect-freq 1000000 1 --push "route 10.20.0.0 255.255.255.0" --keepalive 10 60 \
    --verb 3 >"$SL_TMP/cp.log" 2>&1 &
  OVPN_PID=$!
  SL_PIDS+=("$OVPN_PID")
  wait_for 20 grep -q "Initialization Sequence Completed" "$SL_TMP/cp.log"
}

# The stock server again with LG_WRAP's key.
lg_restart_openvpn() {
  sl_stop "$OVPN_PID" 10 || true
  : > "$SL_TMP/cp.log"
  lg_start_openvpn
}

# lg_sink_start [--echo]: the sink in the LAN namespace.
lg_sink_start() {
  rm -f "$SL_TMP/sink.out"
  ip netns exec "${P}l" taskset -c "$LG_GEN_CPU" "$LG/sluice-sink" --listen 10.20.0.2 \
    --sessions "${LG_SINK_SESSIONS:-0}" --time 300 "$@" >"$SL_TMP/sink.out" 2>&1 &
  SINK_PID=$!
  SL_PIDS+=("$SINK_PID")
  wait_for 5 grep -q "sink=ready" "$SL_TMP/sink.out"
}

lg_sink_stop() { sl_stop "$SINK_PID" 5 || true; }

# lg_run [loadgen options]: the generator on its core, key=value output in
# $SL_TMP/lg.out; bounded by timeout.
lg_run() {
  local d=$SL_TMP/pki
  local wrap=(--tls-crypt "$d/tls-crypt.key")
  [ "$LG_WRAP" = tls-crypt-v2 ] && wrap=(--tls-crypt-v2 "$d/v2-client.key")
  ip netns exec "${P}c" timeout 120 taskset -c "$LG_GEN_CPU" "$LG/sluice-loadgen" \
    --server 192.0.2.1 --sink 10.20.0.2 --ca "$d/ca.crt" --cert "$d/client1.crt" \
    --key "$d/client1.key" "${wrap[@]}" "$@" >"$SL_TMP/lg.out" 2>"$SL_TMP/lg.err"
}

# lg_val FILE KEY: the value of KEY= in FILE's key=value lines (first one).
lg_val() { grep -o "\b$2=[^ ]*" "$1" | head -1 | cut -d= -f2; }
