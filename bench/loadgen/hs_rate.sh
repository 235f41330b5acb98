#!/usr/bin/env bash
# Handshakes per second of Sluice and of a stock OpenVPN 2.6 server, as
# bench/vs_openvpn_load.sh measures them (sluice-loadgen, 1 and 64
# handshakes in flight, ECDSA P-256, LG_WRAP's wrapping), in the topology
# of lg_lib.sh, and where the time went: sluice-loadgen's hs_* line (time
# per handshake and per step, retransmissions, the generator's CPU per
# handshake) and the server's own CPU time per handshake (all of its
# threads, /proc/PID/task/*/stat). Run as root:
#
#   bench/loadgen/hs_rate.sh [--rounds N] [--servers "sluice openvpn"] [--share-cores]
#
# --share-cores: LG_SHARE_CORES=1 (lg_lib.sh): Sluice's TLS workers on both
# cores and its data-plane worker sleeping when idle (LG_IDLE_SLEEP_US,
# default 50), as OpenVPN has the server's core to itself.
#
# Each round starts every server afresh, the servers taking turns, so a
# machine shared with other work weighs on both alike. Ends with one line
# of the medians over the rounds:
#   hs: sluice_1=A sluice_64=B openvpn_1=C openvpn_64=D ratio=E
# (ratio: the better of Sluice's two over the better of OpenVPN's).
set -uo pipefail
SL_SRC=$(cd "$(dirname "$0")/../.." && pwd)
export SL_SRC
SL_BUILD=${SL_BUILD:-$SL_SRC/build/gcc}
export SL_BUILD
ROUNDS=3
SERVERS="sluice openvpn"
[ "${1:-}" = --one ] && ONE=1 || ONE=0
while [ $ONE = 0 ] && [ $# -gt 0 ]; do
  case $1 in
    --rounds) ROUNDS=$2; shift 2 ;;
    --servers) SERVERS=$2; shift 2 ;;
    --share-cores) export LG_SHARE_CORES=1; shift ;;
    *) echo "usage: $0 [--rounds N] [--servers \"sluice openvpn\"] [--share-cores]"; exit 2 ;;
  esac
done
[ "$ROUNDS" -ge 1 ] && [ "$ROUNDS" -le 20 ] || { echo "--rounds 1..20"; exit 2; }

# One server, one round, in a process of its own: lib.sh's EXIT trap ends
# what it started and removes its namespaces.
one() {
  local srv=$1 round=$2 pid par c0 c1 up
  source "$SL_SRC/tests/integration/lib.sh"
  set +e
  sl_require_root
  source "$SL_SRC/bench/loadgen/lg_lib.sh"
  sl_pki client1
  sl_topology
  if [ "$srv" = sluice ]; then lg_start_sluice; else lg_start_openvpn; fi ||
    { echo "$srv: server did not start"; tail -5 "$SL_TMP/cp.log"; return 1; }
  pid=$([ "$srv" = sluice ] && echo "$CP_PID" || echo "$OVPN_PID")
  for par in 1 64; do
    c0=$(cpu_ticks "$pid")
    lg_run --sessions "$([ $par = 1 ] && echo 50 || echo 200)" --parallel $par --rate 0
    c1=$(cpu_ticks "$pid")
    up=$(lg_val "$SL_TMP/lg.out" up)
    echo "$srv round $round, $par in flight: $(head -1 "$SL_TMP/lg.out")" \
      "srv_cpu_ms_per_hs=$(awk -v a="$c0" -v b="$c1" -v n="${up:-0}" -v hz="$(getconf CLK_TCK)" \
        'BEGIN { if (n > 0) printf "%.2f", (b - a) * 1000 / hz / n; else print "nan" }')"
    grep '^hs_ms' "$SL_TMP/lg.out" | sed 's/^/#   /'
  done
}

# CPU time (clock ticks) of every thread of PID so far.
cpu_ticks() { cat /proc/"$1"/task/*/stat 2>/dev/null | awk '{ t += $14 + $15 } END { print t + 0 }'; }

if [ $ONE = 1 ]; then one "$2" "$3"; exit; fi
[ "$(id -u)" = 0 ] || { echo "run as root"; exit 1; }
OUT=$(mktemp)
trap 'rm -f "$OUT"' EXIT
echo "# hs_rate: $(nproc) cpus, kernel $(uname -r), $(openvpn --version | head -1 | cut -d' ' -f1-2), ${LG_WRAP:-tls-crypt}, $(date -u +%FT%TZ), load average $(cut -d' ' -f1-3 /proc/loadavg), share cores ${LG_SHARE_CORES:-0}$([ "${LG_SHARE_CORES:-0}" = 1 ] && echo " (idle sleep ${LG_IDLE_SLEEP_US:-50} us)")"
for round in $(seq "$ROUNDS"); do
  for srv in $SERVERS; do
    bash "$0" --one "$srv" "$round" | grep -v '^ok \|^not ok \|passed, ' | tee -a "$OUT"
  done
done
# The median over the rounds of SRV's hs_per_s with PAR in flight.
med() {
  grep "^$1 round [0-9]*, $2 in flight" "$OUT" | grep -o 'hs_per_s=[0-9.]*' | cut -d= -f2 |
    sort -g | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : 0 }'
}
best() { awk -v a="$1" -v b="$2" 'BEGIN { print (a > b ? a : b) }'; }
s1=$(med sluice 1); s64=$(med sluice 64); o1=$(med openvpn 1); o64=$(med openvpn 64)
echo "hs: sluice_1=$s1 sluice_64=$s64 openvpn_1=$o1 openvpn_64=$o64" \
  "ratio=$(awk -v s="$(best "$s1" "$s64")" -v o="$(best "$o1" "$o64")" 'BEGIN { if (o > 0) printf "%.2f", s / o; else print "nan" }')"
