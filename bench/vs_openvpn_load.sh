#!/usr/bin/env bash
# Capacity, Sluice against OpenVPN 2.6 on the same machine and in the same
# run, driven by sluice-loadgen (emulated OpenVPN clients: real handshakes,
# real P_DATA_V2) with sluice-sink counting on the LAN side (run as root):
#
#   ns ${P}c: sluice-loadgen  <-veth->  ns ${P}x: server  <-veth->  ns ${P}l: sluice-sink
#   192.0.2.2                            192.0.2.1 / 10.20.0.1       10.20.0.2
#
#   bench/vs_openvpn_load.sh [--quick] [--time S]
#
# Cores: the generator and the sink on core 0; the server's packet work
# on core 1 (OpenVPN pinned there; Sluice's data-plane worker is lcore 1,
# its main lcore 0). Measured per server:
#   handshakes/s   ECDSA P-256 certificates, tls-crypt; the better of 1 and
#                  64 handshakes in flight
#   pps            the highest delivered rate with <= 1 % loss: rates double
#                  from a start while loss <= 1 % (or halve until it is; at most
#                  6 steps), then one step between; 64 and 1400 bytes; 1 session (and 1000 with
#                  the full run); decrypt direction (sink counts), and with
#                  the full run both directions (sink echoes, generator counts)
#   cycles/pkt     server CPU per delivered packet at the best 64-byte rate:
#                  OpenVPN: process CPU time (/proc/PID/stat) x TSC rate;
#                  Sluice: the worker's busy_cycles (sluicectl status);
#                  beside it the I/O floor (dpdk-testpmd io forwarding on
#                  the same af_packet veth ports, same core) and the crypto
#                  floor (bench_crypto's bare EVP AES-256-GCM open, 64 B)
# --quick (under 3 minutes) ends with exactly one line
#   load: hs_ratio=A pps64_ratio=B pps1400_ratio=C cyc_ratio=D
# (Sluice / OpenVPN; for cycles Sluice's over OpenVPN's).
set -uo pipefail
SL_SRC=$(cd "$(dirname "$0")/.." && pwd)
export SL_SRC
SL_BUILD=${SL_BUILD:-$SL_SRC/build/gcc}
QUICK=0
T=2
while [ $# -gt 0 ]; do
  case $1 in
    --quick) QUICK=1; T=1; shift ;;
    --time) T=$2; shift 2 ;;
    *) echo "usage: $0 [--quick] [--time S]"; exit 2 ;;
  esac
done
[ "$T" -ge 1 ] && [ "$T" -le 30 ] || { echo "--time 1..30"; exit 2; }
source "$SL_SRC/tests/integration/lib.sh"
set +e
sl_require_root
source "$SL_SRC/bench/loadgen/lg_lib.sh"
HS=$([ $QUICK = 1 ] && echo 200 || echo 1000)
MHZ=$(awk -F: '/cpu MHz/ { print $2 + 0; exit }' /proc/cpuinfo)
sl_pki client1

echo "# vs_openvpn_load: $(nproc) cpus \"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')\" ${MHZ} MHz, kernel $(uname -r), $(openvpn --version | head -1 | cut -d' ' -f1-2), $(date -u +%FT%TZ)"
echo "# cores: generator + sink on cpu $LG_GEN_CPU; server packet work on cpu $LG_SRV_CPU (openvpn pinned; sluice worker lcore 1, main lcore 0, control plane unpinned)"

server_up() {
  sl_topology
  ip -n "${P}l" route add 10.10.0.0/16 via 10.20.0.1
  if [ "$1" = sluice ]; then lg_start_sluice; else lg_start_openvpn; fi
}

server_down() {
  local pid
  for pid in "${SL_PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${SL_PIDS[@]}"; do
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
  done
  SL_PIDS=(); CP_PID=""; DP_PID=""
  for ns in c x l; do ip netns del "${P}$ns" 2>/dev/null; done
  rm -f /dev/hugepages/"${P}"map_* "$SL_TMP/ctl.sock"
}

# Server CPU so far, in TSC cycles: Sluice's workers' busy cycles, or
# OpenVPN's user + system time.
server_cycles() {
  if [ "$1" = sluice ]; then
    sl_ctl status | awk '/^lcore/ { for (i = 1; i < NF; i++) if ($i == "busy_cycles") s += $(i + 1) } END { printf "%.0f\n", s }'
  else
    awk -v mhz="$MHZ" -v hz="$(getconf CLK_TCK)" '{ printf "%.0f\n", ($14 + $15) / hz * mhz * 1e6 }' "/proc/$OVPN_PID/stat"
  fi
}

# trial SERVER SESSIONS SIZE RATE MODE: one generator run; sets
# DELIVERED (per second), LOSS (percent), CYC (server cycles per delivered
# packet), OK (loss <= 1 % and the generator offered what was asked).
trial() {
  local srv=$1 n=$2 size=$3 rate=$4 mode=$5 c0 c1 sent got
  LG_SINK_SESSIONS=0 lg_sink_start $([ "$mode" = both ] && echo --echo) || return 1
  c0=$(server_cycles "$srv")
  lg_run --sessions "$n" --parallel 64 --rate "$rate" --time "$T" --size "$size"
  c1=$(server_cycles "$srv")
  lg_sink_stop
  sent=$(lg_val "$SL_TMP/lg.out" sent); sent=${sent:-0}
  if [ "$mode" = both ]; then got=$(lg_val "$SL_TMP/lg.out" echoed); else got=$(lg_val "$SL_TMP/sink.out" sink_total); fi
  got=${got:-0}
  read -r DELIVERED LOSS CYC OK < <(awk -v s="$sent" -v g="$got" -v t="$T" -v r="$rate" -v c="$((c1 - c0))" -v m="$mode" 'BEGIN {
    loss = s > 0 ? 100 * (s - g) / s : 100; if (loss < 0) loss = 0
    pk = m == "both" ? 2 * g : g
    ok = loss <= 1 && s >= 0.95 * r * t
    cyc = pk > 0 ? c / pk : 0
    printf "%.0f %.2f %.0f %d\n", g / t, loss, cyc, ok }')
  printf "#   %-7s sessions %-4s %-4s B %-6s rate %8s  sent %9s delivered/s %8s loss %6s%%  cycles/pkt %s\n" \
    "$srv" "$n" "$size" "$mode" "$rate" "$sent" "$DELIVERED" "$LOSS" "$CYC"
}

# search SERVER SESSIONS SIZE MODE START: BEST (pps) and BEST_CYC. From
# START the rate doubles while loss stays <= 1 % (or halves until it does),
# at most 6 steps, then one step halfway between the last pass and fail.
search() {
  local srv=$1 n=$2 size=$3 mode=$4 rate=$5 lo=0 hi=0 steps=0
  BEST=0; BEST_CYC=0
  while [ $steps -lt 6 ] && [ "$rate" -ge 500 ]; do
    steps=$((steps + 1))
    trial "$srv" "$n" "$size" "$rate" "$mode" || break
    if [ "$OK" = 1 ]; then
      BEST=$DELIVERED; BEST_CYC=$CYC; lo=$rate
      [ $hi -gt 0 ] && break
      rate=$((rate * 2))
    else
      hi=$rate
      [ $lo -gt 0 ] && break
      rate=$((rate / 2))
    fi
  done
  if [ $lo -gt 0 ] && [ $hi -gt 0 ]; then
    trial "$srv" "$n" "$size" "$(((lo + hi) / 2))" "$mode" && [ "$OK" = 1 ] && { BEST=$DELIVERED; BEST_CYC=$CYC; }
  fi
  echo "$srv sessions=$n size=$size mode=$mode best_pps=$BEST cycles_per_pkt=$BEST_CYC"
}

# The reference floors, measured in this run on the server's core.
# I/O floor: dpdk-testpmd forwarding (io mode, no crypto) between
# net_af_packet ports on the same veth pair, fed RATE 64-byte UDP
# datagrams per second from the generator's namespace (a paced Python
# sender: the frames need no session); testpmd's --record-core-cycles
# counts only polls that received, as Sluice's busy_cycles does.
# Sets IO_CYC (cycles per forwarded packet, or n/a).
io_floor() {
  local rate=$1 mac=02:00:00:00:00:01
  IO_CYC=0
  command -v dpdk-testpmd >/dev/null || { echo "# io floor: dpdk-testpmd not installed"; return; }
  sl_topology
  ip -n "${P}x" link set "${P}pub" address $mac
  ip -n "${P}c" neigh replace 192.0.2.1 lladdr $mac dev "${P}cv"
  (sleep $((T + 3)); echo) | ip netns exec "${P}x" dpdk-testpmd -l "0,$LG_SRV_CPU" --no-pci \
    --file-prefix "${P}floor" --in-memory \
    --vdev "net_af_packet0,iface=${P}pub" --vdev "net_af_packet1,iface=${P}prv" -- \
    --forward-mode=io --record-core-cycles --auto-start >"$SL_TMP/testpmd.log" 2>&1 &
  local tp=$!
  for _ in $(seq 100); do grep -q "Press enter to exit" "$SL_TMP/testpmd.log" 2>/dev/null && break; sleep 0.1; done
  sleep 0.2
  local sent
  sent=$(ip netns exec "${P}c" taskset -c "$LG_GEN_CPU" python3 - "$rate" "$T" <<'PY'
import socket, sys, time
rate, secs = int(sys.argv[1]), float(sys.argv[2])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
payload, per_ms = bytes(64), max(1, rate // 1000)
t0 = time.monotonic(); n = 0
while time.monotonic() - t0 < secs:
    for _ in range(per_ms):
        s.sendto(payload, ("192.0.2.1", 1194))
    n += per_ms
    ahead = t0 + n / rate - time.monotonic()
    if ahead > 0:
        time.sleep(ahead)
print(n)
PY
  )
  wait "$tp"
  IO_CYC=$(awk '/CPU cycles\/packet/ { sub(/.*CPU cycles\/packet=/, ""); v = $1 + 0 } END { printf "%.0f\n", v }' "$SL_TMP/testpmd.log")
  local fwd
  fwd=$(awk '/TX-packets:/ { v = $NF } END { print v }' "$SL_TMP/testpmd.log")
  # A floor only counts if testpmd forwarded (nearly) all that was sent:
  # on this machine its af_packet ports stop receiving after start-up
  # (unexplained, see bench/RESULTS.md), so the figure is then "n/a".
  awk -v f="${fwd:-0}" -v s="${sent:-0}" 'BEGIN { exit !(s > 0 && f >= 0.9 * s) }' || IO_CYC=n/a
  echo "# io floor: dpdk-testpmd io forward, net_af_packet on the veth pair, cpu $LG_SRV_CPU, asked $rate pps x ${T}s, sent ${sent:-?}, forwarded ${fwd:-?}, cycles/pkt $IO_CYC"
  for ns in c x l; do ip netns del "${P}$ns" 2>/dev/null; done
}

# Crypto floor: bench_crypto's bare EVP AEAD (AES-256-GCM) seal and open
# of SIZE bytes on the server's core, ns converted to cycles at $MHZ.
# Sets CRYPTO_CYC (seal + open: the both-directions cost of one packet
# pair; the decrypt direction alone is the open).
crypto_floor() {
  local size=$1 out
  CRYPTO_SEAL=0; CRYPTO_OPEN=0
  out=$(taskset -c "$LG_SRV_CPU" "$SL_BUILD/bench/bench_crypto" --cipher AES-256-GCM --size "$size" --iters 200000 2>&1)
  read -r CRYPTO_SEAL CRYPTO_OPEN < <(echo "$out" | awk -v mhz="$MHZ" '
    $1 == "AES-256-GCM" && $5 == "seal" { s = $8 } $1 == "AES-256-GCM" && $5 == "open" { o = $8 }
    END { printf "%.0f %.0f\n", s * mhz / 1000, o * mhz / 1000 }')
  echo "# crypto floor: bench_crypto bare EVP AES-256-GCM $size B on cpu $LG_SRV_CPU: seal $CRYPTO_SEAL cycles, open $CRYPTO_OPEN cycles"
}

declare -A R
for srv in openvpn sluice; do
  server_up "$srv" || { echo "$srv: server did not start"; tail -5 "$SL_TMP/cp.log"; server_down; continue; }
  # Each server at its best: one handshake at a time (latency-bound) and
  # 64 in flight (OpenVPN 2.6 gets slower with many in flight).
  R[$srv.hs]=0
  for par in 1 64; do
    lg_run --sessions "$([ $par = 1 ] && echo $((HS / 4)) || echo "$HS")" --parallel $par --rate 0
    hs=$(lg_val "$SL_TMP/lg.out" hs_per_s)
    echo "$srv handshakes, $par in flight: $(head -1 "$SL_TMP/lg.out")"
    R[$srv.hs]=$(awk -v a="${hs:-0}" -v b="${R[$srv.hs]}" 'BEGIN { print (a > b ? a : b) }')
  done
  search "$srv" 1 64 decrypt 20000; R[$srv.pps64]=$BEST; R[$srv.cyc]=$BEST_CYC
  search "$srv" 1 1400 decrypt 10000; R[$srv.pps1400]=$BEST
  if [ $QUICK = 0 ]; then
    search "$srv" 1 64 both 10000
    search "$srv" 1000 64 decrypt 20000
    search "$srv" 1000 1400 decrypt 10000
    search "$srv" 1000 64 both 10000
  fi
  [ "$srv" = sluice ] && sl_ctl status | grep -E '^lcore|^crypto' | sed 's/^/#   /'
  server_down
done

io_floor "${R[sluice.pps64]:-20000}"
crypto_floor 64
echo "sluice cycles/pkt = ${R[sluice.cyc]:-0}; I/O floor $IO_CYC + crypto floor $CRYPTO_OPEN (64 B, decrypt direction; openvpn ${R[openvpn.cyc]:-0})"
ratio() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }'; }
echo "load: hs_ratio=$(ratio "${R[sluice.hs]:-0}" "${R[openvpn.hs]:-0}") pps64_ratio=$(ratio "${R[sluice.pps64]:-0}" "${R[openvpn.pps64]:-0}") pps1400_ratio=$(ratio "${R[sluice.pps1400]:-0}" "${R[openvpn.pps1400]:-0}") cyc_ratio=$(ratio "${R[sluice.cyc]:-0}" "${R[openvpn.cyc]:-0}")"
