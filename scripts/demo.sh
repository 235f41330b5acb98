#!/usr/bin/env bash
# The Sluice demo: installs, builds, and runs the concentrator on an embedded
# topology of three network namespaces (run as root, no sudo needed):
#
#   sl-client                  sl-conc                          sl-lan
#   sl-cv 192.0.2.2/24 <-veth-> sl-pub [sluice-dataplane] sl-prv <-veth-> sl-lv 10.20.0.10/24
#                               public 192.0.2.1    private 10.20.0.1    (web on :80)
#
#   bash scripts/demo.sh          set up and start (config/demo.conf), provision the demo
#                                 user through sluicectl (pki init, user add, user profile),
#                                 connect a real openvpn client in sl-client with that
#                                 profile and fetch http://10.20.0.10/ through the tunnel;
#                                 then open a "VPN port" live: a service on 10.20.0.10:5432
#                                 is closed by the shipped rules, `sluicectl rule add` opens
#                                 it, `rule del` closes it again (no reconnect)
#   bash scripts/demo.sh status   sluicectl status
#   bash scripts/demo.sh stop     stop everything and remove the namespaces
set -euo pipefail
cd "$(dirname "$0")/.."
SRC=$(pwd)
BUILD=${SLUICE_BUILD_ROOT:-build}/gcc
RUN=/run/sluice-demo
PKI=/var/lib/sluice-demo/pki
CONF=$SRC/config/demo.conf
CTL="$BUILD/ctl/sluicectl -c $CONF"
USER_EMAIL=client@demo.example

stop_pid() {
  local f=$RUN/$1.pid pid
  [ -f "$f" ] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid"
    for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
  fi
  rm -f "$f"
}

stop() {
  stop_pid client
  stop_pid web
  stop_pid db
  stop_pid controlplane
  stop_pid dataplane
  for ns in sl-client sl-conc sl-lan; do ip netns del "$ns" 2>/dev/null || true; done
  echo "demo: stopped"
}

# The built-in CA (sluicectl pki init: CA, server certificate, tls-crypt
# and tls-crypt-v2 keys), once; a folder from an older demo is replaced.
make_pki() {
  if [ ! -f "$PKI/tls-crypt-v2-server.key" ]; then
    rm -rf "$PKI"
    mkdir -p "$(dirname "$PKI")"
    "$BUILD/ctl/sluicectl" pki init "$PKI" --tls-crypt --cn sluice-demo >/dev/null
  fi
}

# The demo user and its profile, through the control plane's admin API:
# each start hands out a fresh profile (the previous certificate revoked).
provision() {
  $CTL user show "$USER_EMAIL" >/dev/null 2>&1 || $CTL user add "$USER_EMAIL" --vpn >/dev/null
  ( umask 077; $CTL user profile "$USER_EMAIL" > "$RUN/client.ovpn" )
}

topology() {
  for ns in sl-client sl-conc sl-lan; do ip netns add $ns; ip -n $ns link set lo up; done
  ip link add sl-pub netns sl-conc type veth peer name sl-cv netns sl-client
  ip link add sl-prv netns sl-conc type veth peer name sl-lv netns sl-lan
  ip -n sl-conc link set sl-pub up
  ip -n sl-conc link set sl-prv up
  ip -n sl-client addr add 192.0.2.2/24 dev sl-cv
  ip -n sl-client link set sl-cv up
  ip -n sl-lan addr add 10.20.0.10/24 dev sl-lv
  ip -n sl-lan link set sl-lv up
  ip -n sl-lan route add default via 10.20.0.1
  # veth leaves TCP/UDP checksums to "hardware" (CHECKSUM_PARTIAL); af_packet
  # hands DPDK the half-done sum and the tunnel would carry it as is.
  ip netns exec sl-lan ethtool -K sl-lv tx off >/dev/null
}

start() {
  if ip netns list | grep -q '^sl-conc\b'; then
    echo "demo: already running (bash scripts/demo.sh stop first)"; exit 1
  fi
  bash scripts/setup.sh
  [ -d "$BUILD" ] || meson setup "$BUILD" >/dev/null
  ninja -C "$BUILD" >/dev/null
  "$BUILD/ctl/sluicectl" check "$CONF"
  make_pki
  mkdir -p "$RUN"
  topology
  ip netns exec sl-conc "$BUILD/dataplane/sluice-dataplane" -c "$CONF" >"$RUN/dataplane.log" 2>&1 &
  echo $! > "$RUN/dataplane.pid"
  for _ in $(seq 200); do grep -q "running:" "$RUN/dataplane.log" && break; sleep 0.1; done
  ip netns exec sl-conc "$BUILD/controlplane/sluice-controlplane" -c "$CONF" >"$RUN/controlplane.log" 2>&1 &
  echo $! > "$RUN/controlplane.pid"
  for _ in $(seq 200); do $CTL status >/dev/null 2>&1 && break; sleep 0.1; done
  provision
  ip netns exec sl-lan python3 -m http.server 80 --bind 10.20.0.10 >"$RUN/web.log" 2>&1 &
  echo $! > "$RUN/web.pid"
  # Stands for a database on the LAN: answers one line per connection.
  ip netns exec sl-lan python3 -c '
import socket
s = socket.create_server(("10.20.0.10", 5432))
while True:
    c, _ = s.accept()
    c.sendall(b"db on 10.20.0.10:5432 answers\n")
    c.close()
' >"$RUN/db.log" 2>&1 &
  echo $! > "$RUN/db.pid"
  for _ in $(seq 100); do ip netns exec sl-lan ss -ltn | grep -q "10.20.0.10:80 " && break; sleep 0.1; done

  echo
  echo "== running"
  echo "  sluice-dataplane     pid $(cat $RUN/dataplane.pid)     log $RUN/dataplane.log"
  echo "  sluice-controlplane  pid $(cat $RUN/controlplane.pid)     log $RUN/controlplane.log"
  echo "  LAN web server       pid $(cat $RUN/web.pid)     http://10.20.0.10/ in sl-lan"
  echo "  demo user            $USER_EMAIL, profile $RUN/client.ovpn (sluicectl user profile)"
  echo
  echo "== the client namespace reaches the concentrator's public address (ARP + ping answered by DPDK)"
  ip netns exec sl-client ping -c 2 -i 0.3 192.0.2.1 | sed 's/^/  /'
  echo
  client
  echo
  rules_live
  echo
  echo "== sluicectl status"
  $CTL status | sed 's/^/  /'
  echo
  echo "Try:   $CTL sessions"
  echo "       ip netns exec sl-client curl http://10.20.0.10/"
  echo "       $CTL user list"
  echo "       $CTL rule list; $CTL rule test $USER_EMAIL 10.20.0.10 tcp 5432"
  echo "       $CTL user vpn $USER_EMAIL off      (cut off at once; on, then user profile, to return)"
  echo "Stop:  bash scripts/demo.sh stop"
}

# The real openvpn client: connect, show the tunnel, fetch the LAN web page.
client() {
  rm -f "$RUN/client.log"	# a previous run's "Initialization Sequence Completed"
  ip netns exec sl-client openvpn --config "$RUN/client.ovpn" --log "$RUN/client.log" &
  echo $! > "$RUN/client.pid"
  for _ in $(seq 300); do grep -q "Initialization Sequence Completed" "$RUN/client.log" && break; sleep 0.1; done
  echo
  echo "== openvpn client (pid $(cat $RUN/client.pid), log $RUN/client.log)"
  grep -E "PUSH_REPLY|Initialization Sequence" "$RUN/client.log" | sed 's/^[^ ]* [^ ]* /  /'
  ip -n sl-client -4 -o addr show dev tun0 | awk '{print "  tun0 " $4}'
  echo
  echo "== sluicectl sessions"
  $CTL sessions | sed 's/^/  /'
  echo
  echo "== http://10.20.0.10/ from sl-client, through the tunnel and the data plane"
  ip netns exec sl-client curl -s -m 5 -o /dev/null -w "  HTTP %{http_code}, %{size_download} bytes\n" \
    http://10.20.0.10/ || echo "  (no answer)"
}

# One try at the LAN "database" from the client, through the tunnel: its
# line, or why not (a denied SYN is dropped, so the try times out).
db_try() {
  ip netns exec sl-client timeout 2 bash -c 'exec 3<>/dev/tcp/10.20.0.10/5432 && head -n 1 <&3' 2>/dev/null |
    sed 's/^/  /' | grep . || echo "  no answer (dropped by the access rules: acl-deny)"
}

# A "VPN port" opened and closed live, as an operator does it.
rules_live() {
  echo "== access rules: the shipped set lets SSH, RDP and web through, nothing else"
  $CTL rule list | sed 's/^/  /'
  echo "== 10.20.0.10:5432 from the client"
  $CTL rule test "$USER_EMAIL" 10.20.0.10 tcp 5432 | sed 's/^/  policy: /'
  db_try
  echo "== sluicectl rule add \"VPN Access to DB\" --src vpn --dst 10.20.0.0/24 --proto tcp --dport 5432 --priority 100 --allow"
  $CTL rule add "VPN Access to DB" --src vpn --dst 10.20.0.0/24 --proto tcp --dport 5432 \
    --priority 100 --allow | sed 's/^/  /'
  $CTL rule test "$USER_EMAIL" 10.20.0.10 tcp 5432 | sed 's/^/  policy: /'
  db_try
  echo "== sluicectl rule del \"VPN Access to DB\""
  $CTL rule del "VPN Access to DB" | sed 's/^/  /'
  db_try
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  status) $CTL status; $CTL sessions ;;
  *) echo "usage: bash scripts/demo.sh [start|status|stop]"; exit 2 ;;
esac
