#!/usr/bin/env bash
# The user lifecycle through sluicectl (docs/operations.md, "Users"),
# against the real openvpn client:
#   `sluicectl pki init` makes the CA; `user add --vpn` issues the user's
#   certificate; `user profile` prints a .ovpn the client connects with,
#   alone (no other file or option), and reaches the LAN;
#   `user vpn off` during a running ping: traffic stops within a second,
#   the client's log shows the server's HALT and why ("VPN access
#   disabled"), and its reconnect is
#   refused at the tls-crypt-v2 check (the control plane's log names the
#   user and the reason); `user vpn on` and a new profile: it connects
#   again with the same VPN address;
#   the same with `user profile --split DIR` files;
#   `user del` ends a live session the same way;
#   20 sluicectl calls at once: every one answered, none lost;
#   with passwords on, a user added with --password logs in with the
#   profile and that password; `user passwd` ends the session (HALT 'user
#   changed') and the old password is refused (AUTH_FAILED).
source "$(dirname "$0")/lib.sh"
sl_require_root
sl_topology
ip -n "${P}l" route add 10.10.0.0/24 via 10.20.0.1
U=alice@example.com

# The demo config with the built-in CA's lines (pki init prints them) and
# the user store in $SL_TMP.
pki_init() {
  sl_ctl pki init "$SL_TMP/pki" > "$SL_TMP/pki-init.txt" || return 1
  SL_CONF=$(sl_config)
  python3 - "$SL_CONF" "$SL_TMP/pki-init.txt" "$SL_TMP/users.db" <<'EOF' || return 1
import re, sys
conf, init, store = sys.argv[1:]
text = open(conf).read()
block = re.search(r"^pki: \{.*?^\};", open(init).read(), re.S | re.M).group(0)
text = re.sub(r"^pki: \{.*?^\};", lambda m: block, text, flags=re.S | re.M)
text = re.sub(r'^(users: \{\n  store = )"[^"]*"', r'\1"%s"' % store, text, flags=re.M)
open(conf, "w").write(text)
EOF
  sl_log "pki: $(grep -c '^  [a-z_0-9]* = ' "$SL_TMP/pki-init.txt") settings; $(ls "$SL_TMP/pki" | tr '\n' ' ')"
  [ -s "$SL_TMP/pki/ca.key" ] && grep -q "ca_key = \"$SL_TMP/pki/ca.key\"" "$SL_CONF"
}

user_added() {
  sl_ctl user add "$U" --vpn > "$SL_TMP/add.txt" || return 1
  sl_log "$(tr '\n' ' ' < "$SL_TMP/add.txt")"
  grep -q "^vpn on$" "$SL_TMP/add.txt" && grep -q "^certificate [0-9a-fA-F]\{16,\}$" "$SL_TMP/add.txt"
}

# client_start NAME DIR FILE [OPTIONS]: openvpn with the profile alone
# (DIR is its working folder, where --split files are; OPTIONS only for a
# password file); CL_PID, log $SL_TMP/NAME.log.
client_start() {
  local name=$1 dir=$2 file=$3
  shift 3
  rm -f "$SL_TMP/$name.log"
  ( cd "$dir" && exec ip netns exec "${P}c" openvpn --config "$file" --log "$SL_TMP/$name.log" "$@" ) &
  CL_PID=$!
  SL_PIDS+=("$CL_PID")
}

# The address the session of $U has, from `sluicectl sessions`.
vpn_addr() {
  sl_ctl sessions | sed -n "s/^user $U .* vpn \([0-9.]*\) .*/\1/p;s/^user - cn $U .* vpn \([0-9.]*\) .*/\1/p"
}

# profile_connects NAME DIR FILE [OPTIONS]: up, a ping to the LAN host through it.
profile_connects() {
  client_start "$@"
  sl_client_up "$1" && sl_nsc ping -c 3 -i 0.2 -W 2 10.20.0.2 >/dev/null || return 1
  ADDR=$(vpn_addr)
  sl_log "$1: connected, VPN address $ADDR"
  [ -n "$ADDR" ]
}

inline_profile() {
  sl_ctl user profile "$U" > "$SL_TMP/alice.ovpn" || return 1
  sl_log "profile: $(grep -c . "$SL_TMP/alice.ovpn") lines: $(grep -o '^<[a-z0-9-]*>' "$SL_TMP/alice.ovpn" | tr '\n' ' ')"
  grep -q "^remote 192.0.2.1 1194" "$SL_TMP/alice.ovpn" &&
  grep -q "^<tls-crypt-v2>" "$SL_TMP/alice.ovpn" && grep -q "^<key>" "$SL_TMP/alice.ovpn" &&
  ! grep -q "auth-user-pass" "$SL_TMP/alice.ovpn" &&
  profile_connects alice "$SL_TMP" alice.ovpn
}

# `user vpn off` in the middle of a 0.1 s ping: no reply more than a
# second after the command; the client was told (HALT) and exits.
vpn_off_cuts() {
  local name=$1 pid=$CL_PID t_off last gap
  sl_nsc ping -D -i 0.1 -c 60 -W 1 10.20.0.2 > "$SL_TMP/ping.log" 2>&1 &
  local ping=$!
  SL_PIDS+=("$ping")
  wait_for 5 grep -q "icmp_seq=5 " "$SL_TMP/ping.log" || return 1
  t_off=$(date +%s.%N)
  sl_ctl user vpn "$U" off > "$SL_TMP/off.txt" || return 1
  wait "$ping" || true
  last=$(sed -n 's/^\[\([0-9.]*\)\] .*bytes from.*/\1/p' "$SL_TMP/ping.log" | tail -1)
  gap=$(python3 -c "print('%.3f' % ($last - $t_off))")
  sl_log "vpn off -> last reply ${gap} s after the command; ping: $(grep -o '[0-9]* received' "$SL_TMP/ping.log"); $(tr '\n' ' ' < "$SL_TMP/off.txt")"
  python3 -c "import sys; sys.exit(0 if $gap < 1.0 else 1)" || return 1
  grep -q "^vpn off$" "$SL_TMP/off.txt" && grep -q "^sessions-ended 1$" "$SL_TMP/off.txt" &&
  wait_for 10 bash -c "! kill -0 $pid" || { tail -20 "$SL_TMP/$name.log"; return 1; }
  sl_log "client: $(grep -o "Halt command was pushed by server.*" "$SL_TMP/$name.log")"
  grep -q "Halt command was pushed by server ('VPN access disabled')" "$SL_TMP/$name.log" &&
  grep -q "SIGTERM.* received" "$SL_TMP/$name.log" &&
  grep -q "disconnect: user $U cn $U from [0-9.:]*: VPN access disabled" "$SL_TMP/cp.log" &&
  wait_for 5 bash -c "\"$SL_BUILD/ctl/sluicectl\" -s \"$SL_TMP/ctl.sock\" sessions | grep -q '^sessions 0 '"
}

# The same profile again: refused before TLS, the log names user and reason.
reconnect_refused() {
  local name=$1 dir=$2 file=$3 before
  before=$(grep -c "auth: user $U from .* refused at the tls-crypt-v2 check: VPN access off" \
    "$SL_TMP/cp.log" || true)
  client_start "$name-again" "$dir" "$file"
  wait_for 20 bash -c "[ \$(grep -c 'auth: user $U from .* refused at the tls-crypt-v2 check: VPN access off' \
    '$SL_TMP/cp.log') -gt $before ]"
  local rc=$?
  sleep 2
  ! grep -q "Initialization Sequence Completed" "$SL_TMP/$name-again.log" || rc=1
  sl_stop "$CL_PID" 20 || true
  sl_log "$(grep -o "auth: user $U from .* refused at the tls-crypt-v2 check: .*" "$SL_TMP/cp.log" | tail -1)"
  return $rc
}

# vpn on, a new profile (the old certificate was revoked), same address.
vpn_on_same_address() {
  local name=$1 dir=$2 file=$3 old=$ADDR out
  shift 3
  out=$dir/$file
  [ $# -gt 0 ] && out=$SL_TMP/profile.out	# --split DIR: files, a line on stdout
  sl_ctl user vpn "$U" on >/dev/null && sl_ctl user profile "$U" "$@" > "$out" &&
  profile_connects "$name-on" "$dir" "$file" || return 1
  sl_log "address before $old, after $ADDR"
  [ "$ADDR" = "$old" ]
}

split_profile() {
  sl_stop "$CL_PID" 20 || true
  wait_for 5 bash -c "\"$SL_BUILD/ctl/sluicectl\" -s \"$SL_TMP/ctl.sock\" sessions | grep -q '^sessions 0 '"
  sl_ctl user profile "$U" --split "$SL_TMP/split" || return 1
  sl_log "split: $(ls "$SL_TMP/split" | tr '\n' ' ')"
  [ -s "$SL_TMP/split/client.ovpn" ] && ! grep -q "^<key>" "$SL_TMP/split/client.ovpn" &&
  profile_connects split "$SL_TMP/split" client.ovpn
}

# user del during a session: the same cut, "user removed"; show refused.
user_deleted() {
  local pid=$CL_PID
  sl_ctl user del "$U" > "$SL_TMP/del.txt" || return 1
  sl_log "$(tr '\n' ' ' < "$SL_TMP/del.txt")"
  wait_for 10 bash -c "! kill -0 $pid" &&
  grep -q "Halt command was pushed by server ('user removed')" "$SL_TMP/split-on.log" &&
  ! sl_ctl user show "$U" 2>/dev/null
}

# 20 calls at once (more than the 8 connections served together: sluicectl
# retries a busy refusal): all succeed and all 20 users are there.
concurrent_adds() {
  local pids=() rc=0 i n
  for i in $(seq 1 20); do
    sl_ctl user add "u$i@example.com" --vpn > "$SL_TMP/c$i.out" 2>&1 &
    pids+=("$!")
  done
  for i in "${pids[@]}"; do wait "$i" || rc=1; done
  n=$(sl_ctl --json user list | python3 -c 'import json, sys
print(sum(1 for u in json.load(sys.stdin)["users"] if u["email"].startswith("u")))')
  sl_log "20 concurrent adds: exit codes all 0: $([ $rc = 0 ] && echo yes || echo no), users now $n"
  [ $rc = 0 ] && [ "$n" = 20 ]
}

# With passwords on (pki.auth_user_pass): a user added with --password
# (read from stdin) gets auth-user-pass in the profile and logs in with
# it; `user passwd` ends the session that proved the old one and the old
# password no longer works.
password_user() {
  local B=bob@example.com U=bob@example.com	# vpn_addr reads U
  sed -i "s#^pki: {#pki: {\n  auth_user_pass = true;#" "$SL_CONF"
  sl_cp_restart || return 1
  printf 'pw bob\n' | sl_ctl user add "$B" --vpn --password > "$SL_TMP/bob-add.txt" &&
  grep -q "^password yes$" "$SL_TMP/bob-add.txt" &&
  sl_ctl user profile "$B" > "$SL_TMP/bob.ovpn" && grep -q "^auth-user-pass" "$SL_TMP/bob.ovpn" || return 1
  printf '%s\npw bob\n' "$B" > "$SL_TMP/bob.pass"
  profile_connects bob "$SL_TMP" bob.ovpn --auth-user-pass "$SL_TMP/bob.pass" || return 1
  local pid=$CL_PID
  printf 'new pw\n' | sl_ctl user passwd "$B" >/dev/null || return 1
  wait_for 10 bash -c "! kill -0 $pid" || { tail -20 "$SL_TMP/bob.log"; return 1; }
  sl_log "bob: $(grep -o "Halt command was pushed by server.*" "$SL_TMP/bob.log")"
  grep -q "Halt command was pushed by server ('user changed')" "$SL_TMP/bob.log" || return 1
  client_start bob-old "$SL_TMP" bob.ovpn --auth-user-pass "$SL_TMP/bob.pass"
  wait_for 30 grep -q "AUTH_FAILED" "$SL_TMP/bob-old.log"
  local rc=$?
  sl_stop "$CL_PID" 20 || true
  [ $rc = 0 ] && ! grep -q "Initialization Sequence Completed" "$SL_TMP/bob-old.log"
}

stage "sluicectl pki init: CA, server certificate, tls-crypt-v2 key; config uses them" pki_init
stage "data plane starts" sl_dp_start
stage "control plane attaches" sl_cp_start
stage "user add --vpn: the certificate issued, its serial in the store" user_added
stage "user profile: the client connects with the .ovpn alone and reaches the LAN" inline_profile
stage "user vpn off during a ping: traffic stops within 1 s, HALT in the client's log" \
  vpn_off_cuts alice
stage "its reconnect is refused at the tls-crypt-v2 check, the user and reason logged" \
  reconnect_refused alice "$SL_TMP" alice.ovpn
stage "user vpn on and a new profile: connects again with the same address" \
  vpn_on_same_address alice "$SL_TMP" alice.ovpn
stage "user profile --split DIR: the client connects with the files" split_profile
stage "split: user vpn off cuts within 1 s" vpn_off_cuts split
stage "split: reconnect refused" reconnect_refused split "$SL_TMP/split" client.ovpn
stage "split: vpn on, new files, same address" \
  vpn_on_same_address split "$SL_TMP/split" client.ovpn --split "$SL_TMP/split"
stage "user del during a session: HALT, the user gone" user_deleted
stage "20 sluicectl user add at once: all answered, no update lost" concurrent_adds
stage "passwords on: user add --password, auth-user-pass in the profile, passwd ends the session, the old password refused" \
  password_user
sl_finish
