#!/usr/bin/env bash
# Smoke of sluice-loadgen and sluice-sink against Sluice in namespaces
# (tests/integration/lib.sh's topology): a handful of sessions do real
# handshakes, then a second of traffic at a rate nothing drops, echoed by
# the sink. Checks only that it ran and counted consistently, per
# session: offered = sent + send_drop, sink rx <= sent, echoes <= rx,
# and every session delivered something (none stopped silently). The
# same with TLS 1.2, then with the server restarted on a tls-crypt-v2
# server key and every session on one client key (P_CONTROL_HARD_RESET_
# CLIENT_V3 and P_CONTROL_WKC_V1, each with WKc).
# LG_SERVER=openvpn runs the same against a stock openvpn 2.6 server.
source "$(dirname "$0")/../../tests/integration/lib.sh"
sl_require_root
N=${LG_SESSIONS:-4}
source "$(dirname "$0")/lg_lib.sh"
sl_topology
sl_pki client1
ip -n "${P}l" route add 10.10.0.0/16 via 10.20.0.1

# run_load TLS-VERSION: every session's handshake used that version (the
# generator reports what its sessions negotiated).
run_load() {
  LG_SINK_SESSIONS=$N lg_sink_start --echo || return 1
  lg_run --sessions "$N" --rate 200 --time 1 --size imix --per-session --tls "$1"
  local rc=$?
  lg_sink_stop
  cat "$SL_TMP/lg.out" "$SL_TMP/sink.out" | sed 's/^/#   /'
  [ $rc -eq 0 ] || { cat "$SL_TMP/lg.err"; tail -20 "$SL_TMP/cp.log"; return 1; }
  [ "$(lg_val "$SL_TMP/lg.out" tls)" = "TLSv$1" ]
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

SRV=${LG_SERVER:-sluice}
if [ "$SRV" = openvpn ]; then
  stage "openvpn 2.6 server up (tls-crypt)" lg_start_openvpn
else
  stage "sluice up (tls-crypt)" lg_start_sluice
fi
stage "$N sessions, TLS 1.3: handshakes and a second of echoed traffic" run_load 1.3
stage "per-session counts consistent" consistent
stage "$N sessions, TLS 1.2 (--tls 1.2): the same" run_load 1.2
stage "per-session counts consistent" consistent
LG_WRAP=tls-crypt-v2
stage "$SRV restarted with a tls-crypt-v2 server key" lg_restart_$SRV
stage "$N sessions on one tls-crypt-v2 client key, TLS 1.3: the same" run_load 1.3
stage "per-session counts consistent" consistent
sl_finish
