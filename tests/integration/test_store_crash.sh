#!/usr/bin/env bash
# Crash safety of the user store (docs/operations.md, "The user store"):
# `kill -9` of the control plane at random points while sluicectl runs 200
# user adds and deletes, one after the other. After every kill the store
# must hold exactly what the calls that reported success did, plus or
# minus the one call that was running (it may have committed before the
# kill or not, never half); the restarted control plane opens it and
# answers `user list` with the same users. The data plane runs throughout.
source "$(dirname "$0")/lib.sh"
sl_require_root
sl_topology
sl_pki client1

OPS=200
NAMES=24
DB=$SL_TMP/users.db
declare -A MODEL	# name -> 1 while the reported calls say it is there
DONE=0			# calls reported done
ROUNDS=0
INFLIGHT_SEEN=0		# kills that landed inside a call

# No CA key: the store holds users without certificates (an external CA).
sl_server_conf "/^  ca_key = /d"

# batch FROM MODEL...: ops FROM.. one after the other, each "B k name op"
# before the call and "D k" once sluicectl said it was done, to
# $SL_TMP/batch.log; stops at the first call that fails (the kill).
batch() {
  local k=$1 name op; shift
  declare -A have
  for n in "$@"; do have[$n]=1; done
  while [ "$k" -lt $OPS ]; do
    name="u$((k * 7 % NAMES))@example.com"
    if [ -n "${have[$name]:-}" ]; then op=del; else op=add; fi
    echo "B $k $name $op" >> "$SL_TMP/batch.log"
    sl_ctl user "$op" "$name" >/dev/null 2>>"$SL_TMP/batch.err" || return 0
    echo "D $k" >> "$SL_TMP/batch.log"
    if [ $op = add ]; then have[$name]=1; else unset "have[$name]"; fi
    k=$((k + 1))
  done
}

# The reports into MODEL and DONE; INFLIGHT the name of a call begun and
# not reported, or "".
read_reports() {
  local tag k name op
  INFLIGHT=""
  while read -r tag k name op; do
    if [ "$tag" = B ]; then
      [ "$k" -eq "$DONE" ] || { sl_log "report out of order: B $k at $DONE"; return 1; }
      INFLIGHT=$name INFLIGHT_OP=$op
    elif [ "$tag" = D ] && [ "$k" -eq "$DONE" ] && [ -n "$INFLIGHT" ]; then
      if [ "$INFLIGHT_OP" = add ]; then MODEL[$INFLIGHT]=1; else unset "MODEL[$INFLIGHT]"; fi
      INFLIGHT=""
      DONE=$((DONE + 1))
    else
      sl_log "bad report: $tag $k $name $op"; return 1
    fi
  done < "$SL_TMP/batch.log"
}

# The store (read with the sqlite3 shell, the control plane down) against
# MODEL; the call in flight counts as done if the store shows it.
store_matches() {
  local got want name extra
  got=$(sqlite3 "$DB" "SELECT email FROM users ORDER BY email") || return 1
  if [ -n "$INFLIGHT" ]; then
    INFLIGHT_SEEN=$((INFLIGHT_SEEN + 1))
    if grep -qx "$INFLIGHT" <<< "$got"; then extra=1; else extra=""; fi
    if [ "$INFLIGHT_OP" = add ] && [ -n "$extra" ]; then
      MODEL[$INFLIGHT]=1; DONE=$((DONE + 1))
    elif [ "$INFLIGHT_OP" = del ] && [ -z "$extra" ]; then
      unset "MODEL[$INFLIGHT]"; DONE=$((DONE + 1))
    fi
  fi
  want=$(for name in "${!MODEL[@]}"; do echo "$name"; done | sort)
  got=$(sort <<< "$got")
  [ "$got" = "$want" ] || { sl_log "store: $(echo $got) / reported: $(echo $want)"; return 1; }
  # Nothing half written: no roles or iroutes rows without their user.
  [ "$(sqlite3 "$DB" "SELECT count(*) FROM user_roles WHERE email NOT IN (SELECT email FROM users)")" = 0 ] &&
  [ "$(sqlite3 "$DB" "PRAGMA integrity_check")" = ok ]
}

# One round: the control plane up, a batch running, kill -9 after a random
# 0.1 .. 1.5 s, the batch's calls fail from there; then the store checked.
round() {
  ROUNDS=$((ROUNDS + 1))
  sl_cp_start || return 1
  : > "$SL_TMP/batch.log"
  batch "$DONE" "${!MODEL[@]}" &
  local b=$!
  sleep "0.$((RANDOM % 10))$((RANDOM % 10))"
  sleep "$((RANDOM % 2))"
  kill -KILL "$CP_PID" 2>/dev/null
  wait "$CP_PID" 2>/dev/null
  wait "$b"
  rm -f "$SL_TMP/ctl.sock"
  read_reports && store_matches
}

crashes() {
  while [ "$DONE" -lt $OPS ]; do
    round || { tail -5 "$SL_TMP/batch.err" "$SL_TMP/cp.log"; return 1; }
    [ $ROUNDS -lt 200 ] || { sl_log "no progress: $DONE calls after $ROUNDS rounds"; return 1; }
  done
  sl_log "$DONE calls, $ROUNDS kill -9, $INFLIGHT_SEEN of them inside a call"
  [ "$INFLIGHT_SEEN" -gt 0 ]
}

# After the last kill: the control plane opens the store and lists what
# the reports say.
restart_lists() {
  sl_cp_start || return 1
  local got want
  got=$(sl_ctl --json user list | python3 -c 'import json, sys
print("\n".join(sorted(u["email"] for u in json.load(sys.stdin)["users"])))')
  want=$(for name in "${!MODEL[@]}"; do echo "$name"; done | sort)
  [ "$got" = "$want" ] || { sl_log "list: $(echo $got) / reported: $(echo $want)"; return 1; }
}

stage "data plane starts" sl_dp_start
stage "kill -9 of the control plane at random points of $OPS user adds and deletes: the store holds what each call reported" crashes
stage "restarted: the store opens and user list shows the same users" restart_lists
sl_finish
