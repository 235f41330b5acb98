#!/usr/bin/env bash
# Shared helpers for Sluice's network-namespace integration tests.
#
# Topology (names carry the test's PID, so runs never collide):
#
#   ns ${P}c (client)            ns ${P}x (concentrator)            ns ${P}l (LAN)
#   ${P}cv 192.0.2.2/24 <-veth-> ${P}pub [dataplane]  ${P}prv <-veth-> ${P}lv 10.20.0.2/24
#                                 public 192.0.2.1     private 10.20.0.1
#
# The data plane's ports are net_af_packet vdevs on ${P}pub / ${P}prv (no
# kernel address there: DPDK answers ARP itself). Every wait is bounded;
# the EXIT trap kills what we started, by PID, deletes the namespaces and
# any hugepage files of our DPDK file prefix.
set -euo pipefail

SL_BUILD=${SL_BUILD:?set SL_BUILD to the meson build directory}
SL_SRC=${SL_SRC:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
P="sl$$"
SL_TMP=$(mktemp -d "/tmp/${P}.XXXXXX")
SL_PIDS=()
SL_STAGE=0
SL_FAILED=0
DP_PID=""
CP_PID=""
CL_PID=""

sl_log() { echo "# $*"; }

# TAP-style named stages: `stage "name" command...`
stage() {
  local name=$1; shift
  SL_STAGE=$((SL_STAGE + 1))
  if "$@"; then
    echo "ok $SL_STAGE - $name"
  else
    echo "not ok $SL_STAGE - $name"
    SL_FAILED=$((SL_FAILED + 1))
    return 1
  fi
}

sl_require_root() {
  if [ "$(id -u)" != 0 ]; then
    echo "SKIP: integration tests need root (namespaces, hugepages)"
    exit 77
  fi
}

# wait_for SECONDS command...: poll every 0.1 s until the command succeeds.
wait_for() {
  local limit=$1; shift
  local deadline=$((SECONDS + limit))
  while [ $SECONDS -lt $deadline ]; do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  "$@"
}

sl_nsx() { ip netns exec "${P}x" "$@"; }
sl_nsc() { ip netns exec "${P}c" "$@"; }
sl_nsl() { ip netns exec "${P}l" "$@"; }

sl_topology() {
  for ns in c x l; do ip netns add "${P}$ns"; ip -n "${P}$ns" link set lo up; done
  ip link add "${P}pub" netns "${P}x" type veth peer name "${P}cv" netns "${P}c"
  ip link add "${P}prv" netns "${P}x" type veth peer name "${P}lv" netns "${P}l"
  ip -n "${P}x" link set "${P}pub" up
  ip -n "${P}x" link set "${P}prv" up
  ip -n "${P}c" addr add 192.0.2.2/24 dev "${P}cv"
  ip -n "${P}c" link set "${P}cv" up
  ip -n "${P}l" addr add 10.20.0.2/24 dev "${P}lv"
  ip -n "${P}l" link set "${P}lv" up
  # veth leaves TCP/UDP checksums to "hardware"; af_packet would hand DPDK
  # the half-done sum and the tunnel would carry it to the client as is.
  ip netns exec "${P}l" ethtool -K "${P}lv" tx off >/dev/null
  # Keep IPv6 chatter (router solicitations, DAD) off the wire we count.
  for ns in c x l; do ip netns exec "${P}$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1; done
}

# The demo config with this run's interfaces, file prefix and socket; with
# SL_CRYPTO set (the meson test's environment), dataplane.crypto too.
sl_config() {
  local out=$SL_TMP/sluice.conf
  local crypto=""
  [ -n "${SL_CRYPTO:-}" ] && crypto="\\n  crypto = \"$SL_CRYPTO\";"
  sed -e "s/iface=sl-pub/iface=${P}pub/" -e "s/iface=sl-prv/iface=${P}prv/" \
      -e "s/file_prefix = \"sluice-demo\"/file_prefix = \"${P}\"/" \
      -e "s#/run/sluice/demo.sock#$SL_TMP/ctl.sock#" \
      -e "s#/var/lib/sluice-demo/pki#$SL_TMP/pki#" \
      -e "s#/var/lib/sluice-demo/users#$SL_TMP/users#" \
      -e "s/^dataplane: {\$/&$crypto/" \
      "$SL_SRC/config/demo.conf" > "$out"
  # The demo's rules let only SSH, RDP and web through; the stages that
  # test the tunnel itself (pings, iperf) let everything through unless
  # they ask for the shipped rules (SL_SHIPPED_RULES=1).
  [ -n "${SL_SHIPPED_RULES:-}" ] || sed -i 's/^rules_default = "deny";/rules_default = "allow";/' "$out"
  echo "$out"
}

# sl_conf_set 'GROUP: {' 'setting = value;': add a setting at the top of a
# group of $SL_CONF (libconfig takes the first occurrence; we never repeat).
sl_conf_set() {
  awk -v g="$1" -v l="$2" 'index($0, g) == 1 && !done { print; print "  " l; done = 1; next }
    { print }' "$SL_CONF" > "$SL_CONF.new" && mv "$SL_CONF.new" "$SL_CONF"
}

# A throw-away PKI in $SL_TMP/pki (scripts/pki.sh: CA, server cert with
# the serverAuth EKU for `remote-cert-tls server`, client certs named as
# arguments, tls-crypt key) plus what the variants need: a tls-crypt-v2
# server key and a CRL (empty until sl_pki_revoke).
sl_pki() {
  local d=$SL_TMP/pki
  bash "$SL_SRC/scripts/pki.sh" "$d" "$@" >/dev/null
  ( cd "$d"
    openvpn --genkey tls-crypt-v2-server v2-server.key >/dev/null
    : > index.txt; echo 1000 > crlnumber
    printf '[ca]\ndefault_ca=c\n[c]\ndatabase=index.txt\ncrlnumber=crlnumber\ndefault_md=sha256\ndefault_crl_days=30\n' > ca.cnf
    openssl ca -config ca.cnf -gencrl -keyfile ca.key -cert ca.crt -out crl.pem 2>/dev/null )
}

# sl_pki_revoke NAME: put NAME's certificate on the CRL.
sl_pki_revoke() {
  ( cd "$SL_TMP/pki"
    openssl ca -config ca.cnf -keyfile ca.key -cert ca.crt -revoke "$1.crt" 2>/dev/null
    openssl ca -config ca.cnf -gencrl -keyfile ca.key -cert ca.crt -out crl.pem 2>/dev/null )
}

# sl_client_start NAME [openvpn options...]: the real openvpn client in
# ${P}c with NAME's certificate and tls-crypt unless options say otherwise
# (SL_WRAP="--tls-auth ..." etc.); log in $SL_TMP/NAME.log; CL_PID is its
# PID (ip netns exec execs openvpn, so $! is openvpn itself).
sl_client_start() {
  local name=$1; shift
  local d=$SL_TMP/pki
  local wrap=${SL_WRAP:---tls-crypt $d/tls-crypt.key}
  # shellcheck disable=SC2086
  ip netns exec "${P}c" openvpn --client --dev tun --proto udp --remote 192.0.2.1 1194 \
    --nobind --remote-cert-tls server --ca "$d/ca.crt" --cert "$d/$name.crt" \
    --key "$d/$name.key" $wrap --verb 4 \
    --log "$SL_TMP/$name.log" "$@" &
  CL_PID=$!
  SL_PIDS+=("$CL_PID")
}

# sl_client_up NAME [SECONDS]: "Initialization Sequence Completed" in its log.
sl_client_up() {
  wait_for "${2:-30}" grep -q "Initialization Sequence Completed" "$SL_TMP/$1.log" ||
    { tail -30 "$SL_TMP/$1.log"; tail -30 "$SL_TMP/cp.log"; return 1; }
}

sl_dp_start() {
  # Not through sl_nsx: a backgrounded function would leave $! on a subshell.
  ip netns exec "${P}x" "$SL_BUILD/dataplane/sluice-dataplane" -c "$SL_CONF" >"$SL_TMP/dp.log" 2>&1 &
  DP_PID=$!
  SL_PIDS+=("$DP_PID")
  wait_for 20 grep -q "running:" "$SL_TMP/dp.log" || { cat "$SL_TMP/dp.log"; return 1; }
}

sl_cp_start() {
  ip netns exec "${P}x" "$SL_BUILD/controlplane/sluice-controlplane" -c "$SL_CONF" >>"$SL_TMP/cp.log" 2>&1 &
  CP_PID=$!
  SL_PIDS+=("$CP_PID")
  wait_for 20 test -S "$SL_TMP/ctl.sock" || { cat "$SL_TMP/cp.log"; return 1; }
  wait_for 10 sl_ctl status
}

sl_ctl() { "$SL_BUILD/ctl/sluicectl" -s "$SL_TMP/ctl.sock" "$@"; }

# sl_server_conf [sed expressions]: the demo config with the test CRL, edited.
sl_server_conf() {
  SL_CONF=$(sl_config)
  sed -i "s#^\(  tls_crypt = .*\)#\1\n  crl = \"$SL_TMP/pki/crl.pem\";#" "$SL_CONF"
  for e in "$@"; do sed -i "$e" "$SL_CONF"; done
}

# sl_cp_restart: stop the control plane if running, start it on $SL_CONF.
sl_cp_restart() {
  if [ -n "$CP_PID" ]; then sl_stop "$CP_PID" || true; fi
  rm -f "$SL_TMP/ctl.sock"
  sl_cp_start
}

# sl_connect NAME [openvpn options]: up, then 3 pings through the tunnel.
sl_connect() {
  local name=$1; shift
  rm -f "$SL_TMP/$name.log"
  sl_client_start "$name" --explicit-exit-notify 1 "$@"
  sl_client_up "$name" && sl_nsc ping -c 3 -i 0.2 -W 2 10.20.0.2 >/dev/null
}

# sl_client_stop: with explicit-exit-notify the session ends at once (cc-exit EXIT).
sl_client_stop() {
  sl_stop "$CL_PID" 20 || true
  wait_for 5 bash -c "\"$SL_BUILD/ctl/sluicectl\" -s \"$SL_TMP/ctl.sock\" sessions | grep -q '^sessions 0 '"
}

# sl_stop PID [SECONDS]: SIGTERM, wait, SIGKILL if it hangs. Returns its exit code.
sl_stop() {
  local pid=$1 limit=${2:-15} rc=0
  kill -TERM "$pid" 2>/dev/null || return 0
  local deadline=$((SECONDS + limit))
  while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
    sl_log "pid $pid ignored SIGTERM for ${limit}s, killed"
  fi
  wait "$pid" || rc=$?
  return $rc
}

sl_hugepage_files() { ls /dev/hugepages 2>/dev/null | grep "^${P}map_" || true; }

sl_cleanup() {
  set +e
  for pid in "${SL_PIDS[@]}"; do
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  done
  for pid in "${SL_PIDS[@]}"; do wait "$pid" 2>/dev/null; done
  for ns in c x l; do ip netns del "${P}$ns" 2>/dev/null; done
  rm -f /dev/hugepages/"${P}"map_* 2>/dev/null
  # SL_KEEP=DIR keeps the logs of a run for a look afterwards.
  [ -n "${SL_KEEP:-}" ] && mkdir -p "$SL_KEEP" && cp "$SL_TMP"/*.log "$SL_KEEP"/ 2>/dev/null
  rm -rf "/var/run/dpdk/${P}" "$SL_TMP"
}

sl_finish() {
  echo "$((SL_STAGE - SL_FAILED)) passed, $SL_FAILED failed"
  [ "$SL_FAILED" -eq 0 ]
}

trap sl_cleanup EXIT

# ---- iperf3 through the tunnel (the LAN host $LAN serves) ----

SL_IPERF_PID=""
sl_iperf_server() {
  ip netns exec "${P}l" iperf3 -s -B "$LAN" >"$SL_TMP/iperf3-server.log" 2>&1 &
  SL_IPERF_PID=$!
  SL_PIDS+=("$SL_IPERF_PID")
  wait_for 5 sl_nsl bash -c "ss -ltn | grep -q ':5201 '"
}

# sl_iperf NAME [iperf3 options]: 3 s from the client namespace to $LAN;
# bytes received > 0, UDP loss under 10 %; prints Mbit/s.
sl_iperf() {
  local name=$1; shift
  local j=$SL_TMP/iperf-$name.json
  timeout 30 ip netns exec "${P}c" iperf3 -c "$LAN" -t 3 --connect-timeout 3000 -J "$@" >"$j" 2>&1 ||
    { tail -20 "$j"; return 1; }
  python3 - "$j" "$name" <<'EOF_PY'
import json, sys
r = json.load(open(sys.argv[1]))
end = r["end"]
rx = end.get("sum_received", end.get("sum"))
ok = rx["bytes"] > 0
line = f"# {sys.argv[2]}: {rx['bits_per_second'] / 1e6:.1f} Mbit/s received, {rx['bytes']} bytes"
if r["start"]["test_start"]["protocol"] == "UDP":
    lost = end["sum"]["lost_percent"]   # as the receiving side counted it
    ok = ok and lost < 10
    line += f", loss {lost:.2f} %"
print(line)
sys.exit(0 if ok else 1)
EOF_PY
}
