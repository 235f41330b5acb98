#!/usr/bin/env bash
# Capacity, Sluice against OpenVPN 2.6 on the same machine and in the same
# run, driven by sluice-loadgen (emulated OpenVPN clients: real handshakes,
# real P_DATA_V2) with sluice-sink counting on the LAN side (run as root):
#
#   ns ${P}c: sluice-loadgen  <-veth->  ns ${P}x: server  <-veth->  ns ${P}l: sluice-sink
#   192.0.2.2                            192.0.2.1 / 10.20.0.1       10.20.0.2
#
#   [LG_PORT=af_packet|af_xdp] bench/vs_openvpn_load.sh [--quick] [--time S]
#
# LG_PORT (bench/loadgen/lg_lib.sh): the DPDK port type of Sluice's two
# ports on the veth pairs, and of the I/O floor's; printed in the header,
# the floor's line and the last line.
#
# Cores: the generator and the sink on core 0; the server's packet work
# on core 1 (OpenVPN pinned there; Sluice's data-plane worker is lcore 1,
# its main lcore and EAL threads on 0; the control plane unpinned for the
# handshakes, then pinned to core 0 for the packet trials, so nothing this
# script starts shares core 1 with the worker). The threads' CPUs are
# printed, and each trial prints the share of core 1 that other tasks
# (other users of the machine) took meanwhile. Measured per server:
#   handshakes/s   ECDSA P-256 certificates, tls-crypt; the better of 1 and
#                  64 handshakes in flight; Sluice's TLS workers on both
#                  cores and its idle worker sleeping (LG_SHARE_CORES in
#                  bench/loadgen/lg_lib.sh), restarted polling nonstop for
#                  the packet trials
#   pps            the highest delivered rate with <= 1 % loss: rates double
#                  from a start while loss <= 1 % (or halve until it is; at most
#                  6 steps), then one step between; 64 and 1400 bytes; 1 session (and 1000 with
#                  the full run); decrypt direction (sink counts), and with
#                  the full run both directions (sink echoes, generator counts)
#   cycles/pkt     server CPU per delivered packet at the best 64-byte rate:
#                  OpenVPN: process CPU time (/proc/PID/stat) x TSC rate;
#                  Sluice: the worker's busy_cycles (sluicectl status: from
#                  each poll that returned packets to the end of the work
#                  they led to; empty polls are idle, and an interval the
#                  worker was preempted in (over 1 ms) is lost_cycles, not
#                  busy; dataplane/dp_cycles.h);
#                  beside it the I/O floor (bench/iofwd.c: Sluice's EAL
#                  arguments and port setup on the same LG_PORT veth
#                  ports and core, forwarding without crypto, its cycles
#                  counted the same way) and the crypto floor
#                  (bench_crypto's bare EVP AES-256-GCM open, 64 B)
# --quick (under 3 minutes) ends with exactly one line
#   load: hs_ratio=A pps64_ratio=B pps1400_ratio=C cyc_ratio=D port=TYPE
# (Sluice / OpenVPN; for cycles Sluice's over OpenVPN's; TYPE is LG_PORT).
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
lg_port_check || exit 2
HS=$([ $QUICK = 1 ] && echo 200 || echo 1000)
MHZ=$(awk -F: '/cpu MHz/ { print $2 + 0; exit }' /proc/cpuinfo)
sl_pki client1

echo "# vs_openvpn_load: $(nproc) cpus \"$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')\" ${MHZ} MHz, kernel $(uname -r), $(openvpn --version | head -1 | cut -d' ' -f1-2), $(date -u +%FT%TZ)"
echo "# cores: generator + sink on cpu $LG_GEN_CPU; server packet work on cpu $LG_SRV_CPU (openvpn pinned; sluice worker lcore 1, main lcore 0, control plane unpinned for handshakes, on cpu $LG_GEN_CPU for packet trials); load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "# ports: LG_PORT=$LG_PORT (Sluice's and the I/O floor's, net_$LG_PORT vdevs on the veth pairs$([ "$LG_PORT" = af_xdp ] && echo ", options $LG_XDP_OPTS"))"

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

# "COMM=CPUS ..." for every thread of PID: where a server's threads may run.
thread_cpus() {
  local t
  for t in /proc/"$1"/task/*; do
    printf '%s=%s ' "$(cat "$t/comm")" "$(taskset -c -p "${t##*/}" 2>/dev/null | awk '{ print $NF }')"
  done
  echo
}

# What other tasks took of the server's core, as "OTHERS WALL" (ns, ns) so
# far: for Sluice the worker thread's run-queue wait (/proc/.../schedstat;
# it never sleeps, so every ns it waited another task ran on its core); for
# OpenVPN the core's task time (/proc/stat user + nice + system) minus
# OpenVPN's own CPU time.
core_others() {
  if [ "$1" = sluice ]; then
    thread_wait "$DP_PID" "$WORKER_TID"
  else
    awk -v now="$(date +%s%N)" -v cpu="cpu$LG_SRV_CPU" -v hz="$(getconf CLK_TCK)" -v own="$(awk '{ print $14 + $15 }' "/proc/$OVPN_PID/stat")" \
      '$1 == cpu { printf "%.0f %s\n", ($2 + $3 + $4 - own) * 1e9 / hz, now }' /proc/stat
  fi
}

# thread_wait PID TID: "WAIT NOW" (ns): the thread's run-queue wait so far.
thread_wait() { awk -v now="$(date +%s%N)" '{ print $2, now }' "/proc/$1/task/$2/schedstat" 2>/dev/null; }

# worker_tid PID: the thread id of PID's first DPDK worker lcore.
worker_tid() { grep -lE '^(rte|lcore)-worker' /proc/"$1"/task/*/comm | head -1 | cut -d/ -f5; }

# others_pct "OTHERS0 WALL0" "OTHERS1 WALL1": the share in between, in %
# ("?" if a reading is missing: the thread was gone).
others_pct() { echo "$1 $2" | awk 'NF == 4 && $4 > $2 { printf "%.1f", 100 * ($3 - $1) / ($4 - $2); next } { printf "?" }'; }

# sluice_pin: the control plane (all its threads) onto the generator's
# core, so the worker is alone on the server's core among this script's
# processes; prints where every thread of both processes may run.
sluice_pin() {
  local t
  for t in /proc/"$CP_PID"/task/*; do taskset -c -p "$LG_GEN_CPU" "${t##*/}" >/dev/null; done
  WORKER_TID=$(worker_tid "$DP_PID")
  echo "# sluice threads (name=cpus): data plane $(thread_cpus "$DP_PID")"
  echo "#                              control plane $(thread_cpus "$CP_PID")"
}

# trial SERVER SESSIONS SIZE RATE MODE: one generator run; sets
# DELIVERED (per second), LOSS (percent), CYC (server cycles per delivered
# packet), OK (loss <= 1 % and the generator offered what was asked), GL
# (loss <= 1 % but the generator offered less than 95 % of the rate: the
# delivered rate is a valid <= 1 % loss figure, and the generator's limit).
trial() {
  local srv=$1 n=$2 size=$3 rate=$4 mode=$5 c0 c1 o0 o1 sent got others
  LG_SINK_SESSIONS=0 lg_sink_start $([ "$mode" = both ] && echo --echo) || return 1
  c0=$(server_cycles "$srv")
  o0=$(core_others "$srv")
  lg_run --sessions "$n" --parallel 64 --rate "$rate" --time "$T" --size "$size"
  o1=$(core_others "$srv")
  c1=$(server_cycles "$srv")
  lg_sink_stop
  others=$(others_pct "$o0" "$o1")
  sent=$(lg_val "$SL_TMP/lg.out" sent); sent=${sent:-0}
  if [ "$mode" = both ]; then got=$(lg_val "$SL_TMP/lg.out" echoed); else got=$(lg_val "$SL_TMP/sink.out" sink_total); fi
  got=${got:-0}
  read -r DELIVERED LOSS CYC OK GL < <(awk -v s="$sent" -v g="$got" -v t="$T" -v r="$rate" -v c="$((c1 - c0))" -v m="$mode" 'BEGIN {
    loss = s > 0 ? 100 * (s - g) / s : 100; if (loss < 0) loss = 0
    pk = m == "both" ? 2 * g : g
    ok = loss <= 1 && s >= 0.95 * r * t
    gl = loss <= 1 && !ok
    cyc = pk > 0 ? c / pk : 0
    printf "%.0f %.2f %.0f %d %d\n", g / t, loss, cyc, ok, gl }')
  printf "#   %-7s sessions %-4s %-4s B %-6s rate %8s  sent %9s delivered/s %8s loss %6s%%  cycles/pkt %-7s cpu%s taken by others %s%%\n" \
    "$srv" "$n" "$size" "$mode" "$rate" "$sent" "$DELIVERED" "$LOSS" "$CYC" "$LG_SRV_CPU" "$others"
}

# search SERVER SESSIONS SIZE MODE START: BEST (pps) and BEST_CYC. From
# START the rate doubles while loss stays <= 1 % (or halves until it does),
# at most 6 steps, then one step halfway between the last pass and fail.
# A trial the generator could not feed at the asked rate fails the step,
# but what it delivered at <= 1 % loss still counts for BEST. The line
# ends with what stopped the search: limit=loss (a trial lost more than
# 1 %: the server's limit), limit=generator (no trial lost more than 1 %,
# the generator could not offer more: the server's figure is a lower
# bound) or limit=steps.
search() {
  local srv=$1 n=$2 size=$3 mode=$4 rate=$5 lo=0 hi=0 steps=0 lossy=0 short=0
  BEST=0; BEST_CYC=0
  keep_gl() {
    [ "$OK" = 0 ] && [ "$GL" = 0 ] && lossy=1
    [ "$GL" = 1 ] && short=1
    [ "$GL" = 1 ] && [ "$DELIVERED" -gt "$BEST" ] && { BEST=$DELIVERED; BEST_CYC=$CYC; }
    return 0
  }
  while [ $steps -lt 6 ] && [ "$rate" -ge 500 ]; do
    steps=$((steps + 1))
    trial "$srv" "$n" "$size" "$rate" "$mode" || break
    keep_gl
    if [ "$OK" = 1 ]; then
      [ "$DELIVERED" -gt "$BEST" ] && { BEST=$DELIVERED; BEST_CYC=$CYC; }
      lo=$rate
      [ $hi -gt 0 ] && break
      rate=$((rate * 2))
    else
      hi=$rate
      [ $lo -gt 0 ] && break
      rate=$((rate / 2))
    fi
  done
  if [ $lo -gt 0 ] && [ $hi -gt 0 ]; then
    if trial "$srv" "$n" "$size" "$(((lo + hi) / 2))" "$mode"; then
      keep_gl
      [ "$OK" = 1 ] && [ "$DELIVERED" -gt "$BEST" ] && { BEST=$DELIVERED; BEST_CYC=$CYC; }
    fi
  fi
  local limit=steps
  [ $short = 1 ] && limit=generator
  [ $lossy = 1 ] && limit=loss
  echo "$srv sessions=$n size=$size mode=$mode best_pps=$BEST cycles_per_pkt=$BEST_CYC limit=$limit"
}

# The reference floors, measured in this run on the server's core.
# I/O floor: bench/iofwd.c on Sluice's own configuration (its EAL
# arguments: --no-pci, the same LG_PORT vdevs with their options on
# the same veth pair, the same lcores, so its worker is on the server's
# core; its packet pool and port setup), forwarding public -> private (and
# back) with no crypto, its cycles counted as the worker counts them (an
# empty poll is idle). Fed RATE 64-byte UDP datagrams per second from the
# generator's namespace (a paced Python sender: the frames need no
# session, so sluice-loadgen cannot feed it), addressed to the public
# port's MAC; frames leave the private port for the LAN host's MAC.
# Sets IO_CYC (busy cycles per received frame, or n/a); its lost_cycles
# (busy intervals it was preempted in) are printed, not counted.
# Not dpdk-testpmd: its ports receive nothing once it forwards, because
# DPDK 22.11's af_packet PMD closes its packet sockets in dev_stop and
# dev_start does not open them again, and testpmd's start-up stops the
# ports once (while it forwards, /proc/net/packet in the namespace lists
# no socket; with iofwd, which starts each port once as Sluice does, it
# lists both).
io_floor() {
  local rate=$1 pubmac lanmac pid tid sent lan0 lan1 out w0 w1
  IO_CYC=n/a
  [ -x "$SL_BUILD/bench/iofwd" ] || { echo "# io floor: $SL_BUILD/bench/iofwd not built"; return; }
  sl_topology
  SL_CONF=$(sl_config)
  lg_port_conf || return
  pubmac=$(ip -n "${P}x" -o link show "${P}pub" | grep -o 'link/ether [^ ]*' | cut -d' ' -f2)
  lanmac=$(ip -n "${P}l" -o link show "${P}lv" | grep -o 'link/ether [^ ]*' | cut -d' ' -f2)
  # The forwarder answers no ARP: the sender's namespace is told the MAC.
  # It is stopped once the sender is done; --time only bounds it (a
  # sender starved on a loaded machine can take many seconds to start).
  ip -n "${P}c" neigh replace 192.0.2.1 lladdr "$pubmac" dev "${P}cv"
  ip netns exec "${P}x" "$SL_BUILD/bench/iofwd" -c "$SL_CONF" --time $((T + 60)) \
    --dst "$lanmac" >"$SL_TMP/iofwd.out" 2>&1 &
  pid=$!
  SL_PIDS+=("$pid")
  wait_for 20 grep -q "forwarding for" "$SL_TMP/iofwd.out" || { echo "# io floor: iofwd did not start"; sed 's/^/#   /' "$SL_TMP/iofwd.out"; sl_stop "$pid" 5; return; }
  echo "# io floor setup: $(grep '^# iofwd workers' "$SL_TMP/iofwd.out" | cut -c3-); $(grep '^# iofwd EAL' "$SL_TMP/iofwd.out" | cut -c3-)"
  echo "# io floor threads (name=cpus): $(thread_cpus "$pid")"
  lan0=$(ip netns exec "${P}l" cat "/sys/class/net/${P}lv/statistics/rx_packets")
  tid=$(worker_tid "$pid")
  w0=$(thread_wait "$pid" "$tid")
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
  sleep 0.3
  w1=$(thread_wait "$pid" "$tid")
  sl_stop "$pid" 20
  lan1=$(ip netns exec "${P}l" cat "/sys/class/net/${P}lv/statistics/rx_packets")
  out=$(grep '^iofwd rx_public=' "$SL_TMP/iofwd.out")
  local rx fwd
  rx=$(lg_val "$SL_TMP/iofwd.out" rx_public); fwd=$(lg_val "$SL_TMP/iofwd.out" tx_private)
  IO_CYC=$(lg_val "$SL_TMP/iofwd.out" cycles_per_pkt)
  # A floor only counts if the forwarder received (nearly) all that was
  # sent: cycles of a stalled port would be a figure of nothing.
  awk -v r="${rx:-0}" -v s="${sent:-0}" 'BEGIN { exit !(s > 0 && r >= 0.9 * s) }' || IO_CYC=n/a
  echo "# io floor: iofwd (bench/iofwd.c), Sluice's net_$LG_PORT ports on the veth pair, worker on cpu $LG_SRV_CPU, asked $rate pps x ${T}s, sent ${sent:-?}, received ${rx:-?}, forwarded ${fwd:-?}, LAN veth got $((lan1 - lan0)), cycles/pkt ${IO_CYC:-n/a}, cpu$LG_SRV_CPU taken by others $(others_pct "$w0" "$w1")%"
  echo "#   ${out:-iofwd printed no counters: $(tail -2 "$SL_TMP/iofwd.out" | tr '\n' ' ')}"
  for ns in c x l; do ip netns del "${P}$ns" 2>/dev/null; done
  rm -f /dev/hugepages/"${P}"map_*
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
  # Sluice's handshakes: its TLS workers on both cores (control.tls_cpus)
  # and its idle data-plane worker sleeping between polls
  # (dataplane.idle_sleep_us), as OpenVPN has the server core to itself;
  # its packet trials: a fresh start with the worker polling nonstop.
  export LG_SHARE_CORES=$([ "$srv" = sluice ] && echo 1 || echo 0)
  server_up "$srv" || { echo "$srv: server did not start"; tail -5 "$SL_TMP/cp.log"; server_down; continue; }
  [ "$srv" = sluice ] && echo "# sluice handshakes: control.tls_cpus \"$LG_GEN_CPU,$LG_SRV_CPU\", dataplane.idle_sleep_us ${LG_IDLE_SLEEP_US:-50}"
  # Each server at its best: one handshake at a time (latency-bound) and
  # 64 in flight (OpenVPN 2.6 gets slower with many in flight).
  R[$srv.hs]=0
  for par in 1 64; do
    lg_run --sessions "$([ $par = 1 ] && echo $((HS / 4)) || echo "$HS")" --parallel $par --rate 0
    hs=$(lg_val "$SL_TMP/lg.out" hs_per_s)
    echo "$srv handshakes, $par in flight: $(head -1 "$SL_TMP/lg.out")"
    R[$srv.hs]=$(awk -v a="${hs:-0}" -v b="${R[$srv.hs]}" 'BEGIN { print (a > b ? a : b) }')
  done
  if [ "$srv" = sluice ]; then
    server_down
    export LG_SHARE_CORES=0
    server_up sluice || { echo "sluice: server did not start"; tail -5 "$SL_TMP/cp.log"; server_down; continue; }
    echo "# sluice packet trials: a fresh start, dataplane.idle_sleep_us 0 (the worker polls nonstop)"
    sluice_pin
  fi
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
echo "load: hs_ratio=$(ratio "${R[sluice.hs]:-0}" "${R[openvpn.hs]:-0}") pps64_ratio=$(ratio "${R[sluice.pps64]:-0}" "${R[openvpn.pps64]:-0}") pps1400_ratio=$(ratio "${R[sluice.pps1400]:-0}" "${R[openvpn.pps1400]:-0}") cyc_ratio=$(ratio "${R[sluice.cyc]:-0}" "${R[openvpn.cyc]:-0}") port=$LG_PORT"
