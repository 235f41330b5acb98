#!/usr/bin/env bash
# Throughput through a VPN concentrator, Sluice against OpenVPN 2.6 on the
# same machine, same client, same traffic (run as root):
#
#   ns client                ns server                         ns lan
#   openvpn client  <-veth->  openvpn 2.6 server (tun+kernel)  <-veth->  iperf3 -s
#   192.0.2.2                 or sluice (DPDK af_packet)                 10.20.0.2
#
#   bench/vs_openvpn.sh [--time S] [--cipher C] [--server openvpn|sluice|both]
#                       [--proto udp|tcp]
#
# --proto tcp: the OpenVPN transport is TCP (client proto tcp-client,
# OpenVPN's server proto tcp-server, Sluice's vpn.tcp_port through its
# exception path, docs/architecture.md "TCP transport").
#
# The client is a stock `openvpn` 2.6 process, single-threaded, so on a
# 2-core machine it can be the bottleneck for both servers: the figure is
# "what one real client gets", printed with the configuration and with
# each run's CPU use (for Sluice: the control-plane process, plus the data
# plane worker's busy share and cycles per packet from sluicectl status).
# iperf3 runs TCP for --time seconds.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${SL_BUILD:-$SRC/build/gcc}
TIME=10
CIPHER=AES-256-GCM
WHICH=both
PROTO=udp
while [ $# -gt 0 ]; do
  case $1 in
    --time) TIME=$2; shift 2 ;;
    --cipher) CIPHER=$2; shift 2 ;;
    --server) WHICH=$2; shift 2 ;;
    --proto) PROTO=$2; shift 2 ;;
    *) echo "usage: $0 [--time S] [--cipher C] [--server openvpn|sluice|both] [--proto udp|tcp]"; exit 2 ;;
  esac
done
[ "$TIME" -ge 1 ] && [ "$TIME" -le 120 ] || { echo "--time 1..120"; exit 2; }
case $PROTO in
  udp) SRV_PROTO=udp; CLI_PROTO=udp ;;
  tcp) SRV_PROTO=tcp-server; CLI_PROTO=tcp-client ;;
  *) echo "--proto udp|tcp"; exit 2 ;;
esac

P="bv$$"
TMP=$(mktemp -d "/tmp/$P.XXXXXX")
PIDS=()
cleanup() {
  set +e
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  sleep 1
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  for ns in c s l; do ip netns del "$P$ns" 2>/dev/null; done
  rm -f /dev/hugepages/"$P"map_*; rm -rf "/var/run/dpdk/$P" "$TMP"
}
trap cleanup EXIT

wait_for() { local n=$1; shift; for _ in $(seq $((n * 10))); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done; return 1; }

topology() {
  for ns in c s l; do ip netns add "$P$ns"; ip -n "$P$ns" link set lo up; done
  ip link add "${P}sp" netns "${P}s" type veth peer name "${P}cv" netns "${P}c"
  ip link add "${P}sl" netns "${P}s" type veth peer name "${P}lv" netns "${P}l"
  ip -n "${P}c" addr add 192.0.2.2/24 dev "${P}cv"; ip -n "${P}c" link set "${P}cv" up
  ip -n "${P}l" addr add 10.20.0.2/24 dev "${P}lv"; ip -n "${P}l" link set "${P}lv" up
  ip -n "${P}l" route add 10.10.0.0/24 via 10.20.0.1
  # veth leaves TCP checksums to "hardware"; an af_packet port would carry
  # them unfinished into the tunnel, so the LAN host computes them itself.
  ip netns exec "${P}l" ethtool -K "${P}lv" tx off >/dev/null
  ip -n "${P}s" link set "${P}sp" up; ip -n "${P}s" link set "${P}sl" up
}

start_openvpn_server() {
  ip -n "${P}s" addr add 192.0.2.1/24 dev "${P}sp"
  ip -n "${P}s" addr add 10.20.0.1/24 dev "${P}sl"
  ip netns exec "${P}s" sysctl -q -w net.ipv4.ip_forward=1
  ip netns exec "${P}s" openvpn --dev tun --proto "$SRV_PROTO" --local 192.0.2.1 --port 1194 \
    --topology subnet --server 10.10.0.0 255.255.255.0 --ca "$TMP/pki/ca.crt" \
    --cert "$TMP/pki/server.crt" --key "$TMP/pki/server.key" --dh none \
    --tls-crypt "$TMP/pki/tls-crypt.key" --data-ciphers "$CIPHER" \
    --push "route 10.20.0.0 255.255.255.0" --keepalive 10 60 --verb 3 \
    >"$TMP/server.log" 2>&1 &
  SERVER_PID=$!; PIDS+=("$SERVER_PID")
  wait_for 20 grep -q "Initialization Sequence Completed" "$TMP/server.log"
}

start_sluice_server() {
  sed -e "s/iface=sl-pub/iface=${P}sp/" -e "s/iface=sl-prv/iface=${P}sl/" \
      -e "s/file_prefix = \"sluice-demo\"/file_prefix = \"$P\"/" \
      -e "s#/run/sluice/demo.sock#$TMP/ctl.sock#" \
      -e "s#/var/lib/sluice-demo/pki#$TMP/pki#" \
      -e "s#/var/lib/sluice-demo/users#$TMP/users#" \
      -e 's/^rules_default = "deny";/rules_default = "allow";/' \
      "$SRC/config/demo.conf" > "$TMP/sluice.conf"
  if [ "$PROTO" = tcp ]; then
    sed -i 's/^vpn: {$/&\n  tcp_port = 1194;/' "$TMP/sluice.conf"
    # As tests/integration/test_tcp.sh: whole checksums from the client,
    # the namespace's kernel off the af_packet port.
    ip netns exec "${P}c" ethtool -K "${P}cv" tx off >/dev/null
    ip netns exec "${P}s" sysctl -q -w net.ipv4.conf.all.rp_filter=1 \
      "net.ipv4.conf.${P}sp.rp_filter=1" "net.ipv4.conf.${P}sp.arp_ignore=8"
  fi
  ip netns exec "${P}s" "$BUILD/dataplane/sluice-dataplane" -c "$TMP/sluice.conf" >"$TMP/dp.log" 2>&1 &
  PIDS+=($!)
  wait_for 20 grep -q "running:" "$TMP/dp.log"
  if [ "$PROTO" = tcp ]; then
    ip -n "${P}s" rule add from 192.0.2.1 lookup 100
    ip -n "${P}s" route add default dev sluice-tcp table 100
  fi
  ip netns exec "${P}s" "$BUILD/controlplane/sluice-controlplane" -c "$TMP/sluice.conf" >"$TMP/cp.log" 2>&1 &
  SERVER_PID=$!; PIDS+=("$SERVER_PID")
  wait_for 20 test -S "$TMP/ctl.sock"
}

start_client() {
  ip netns exec "${P}c" openvpn --client --dev tun --proto "$CLI_PROTO" --remote 192.0.2.1 1194 \
    --nobind --remote-cert-tls server --ca "$TMP/pki/ca.crt" --cert "$TMP/pki/client.crt" \
    --key "$TMP/pki/client.key" --tls-crypt "$TMP/pki/tls-crypt.key" \
    --data-ciphers "$CIPHER" --verb 3 >"$TMP/client.log" 2>&1 &
  CLIENT_PID=$!; PIDS+=("$CLIENT_PID")
  wait_for 30 grep -q "Initialization Sequence Completed" "$TMP/client.log"
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null || echo 0; }

# iperf3 TCP for TIME seconds; prints "Mbit/s server-cpu% client-cpu%".
measure() {
  local s0 c0 s1 c1 hz json mbps
  hz=$(getconf CLK_TCK)
  ip netns exec "${P}l" iperf3 -s -1 -B 10.20.0.2 >/dev/null 2>&1 &
  PIDS+=($!)
  sleep 0.5
  s0=$(cpu_ticks "$SERVER_PID"); c0=$(cpu_ticks "$CLIENT_PID")
  json=$(ip netns exec "${P}c" timeout $((TIME + 20)) iperf3 -c 10.20.0.2 -t "$TIME" -J)
  s1=$(cpu_ticks "$SERVER_PID"); c1=$(cpu_ticks "$CLIENT_PID")
  mbps=$(python3 -c 'import json,sys; print("%.0f" % (json.loads(sys.stdin.read())["end"]["sum_received"]["bits_per_second"] / 1e6))' <<<"$json")
  echo "$mbps $(( (s1 - s0) * 100 / hz / TIME )) $(( (c1 - c0) * 100 / hz / TIME ))"
}

run() {
  local which=$1 r
  topology
  if ! "start_${which}_server"; then echo "$which: server did not start"; tail -n 3 "$TMP"/*.log; return 1; fi
  if ! start_client; then echo "$which: client did not connect (see $TMP/client.log)"; tail -5 "$TMP/client.log"; return 1; fi
  r=$(measure)
  printf "%-8s %-14s over %s, iperf3 tcp %3ss  %6s Mbit/s  server-process-cpu %s%%  client-cpu %s%%\n" \
    "$which" "$CIPHER" "$PROTO" "$TIME" $r
  if [ "$which" = sluice ]; then
    # The data plane's worker polls (100% of a core by design): its own
    # busy share and cycles per packet say what the traffic cost.
    "$BUILD/ctl/sluicectl" -s "$TMP/ctl.sock" status | grep '^lcore' | sed 's/^/#   /'
  fi
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  sleep 1
  for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  PIDS=()
  for ns in c s l; do ip netns del "$P$ns" 2>/dev/null; done
  rm -f /dev/hugepages/"$P"map_*
}

bash "$SRC/scripts/pki.sh" "$TMP/pki" >/dev/null
# demo.conf names a CRL (pki.crl): an empty one, as tests/integration/lib.sh makes.
( cd "$TMP/pki"
  : > index.txt; echo 1000 > crlnumber
  printf '[ca]\ndefault_ca=c\n[c]\ndatabase=index.txt\ncrlnumber=crlnumber\ndefault_md=sha256\ndefault_crl_days=30\n' > ca.cnf
  openssl ca -config ca.cnf -gencrl -keyfile ca.key -cert ca.crt -out crl.pem 2>/dev/null )
echo "# vs_openvpn: $(nproc) cpus \"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')\", $(openvpn --version | head -1 | cut -d' ' -f1-2), client: openvpn 2.6 --client, 1 TCP stream"
case $WHICH in
  openvpn) run openvpn ;;
  sluice) run sluice ;;
  both) run openvpn; run sluice || true ;;
esac
