#!/bin/bash
# usage: live.sh name mode keyfile secs -- openvpn wrap options...
set -e
name=$1; mode=$2; key=$3; secs=$4; shift 5
ns=ctrllive$$
ip netns add $ns
trap 'kill $RP $OP 2>/dev/null || true; ip netns del $ns' EXIT
ip -n $ns link set lo up
ip netns exec $ns ./responder $mode $key $name.txt $secs & RP=$!
sleep 0.3
ip netns exec $ns timeout $secs openvpn --client --dev null --proto udp4 --remote 127.0.0.1 1194 --nobind \
  --ca ca.crt --auth-user-pass creds --verb 4 "$@" > $name.log 2>&1 & OP=$!
wait $RP || true
kill $OP 2>/dev/null || true
wait $OP || true
