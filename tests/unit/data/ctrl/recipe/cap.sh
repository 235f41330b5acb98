#!/bin/bash
# usage: cap.sh name secs -- openvpn wrap options...
set -e
name=$1; secs=$2; shift 3
ns=ctrlcap$$
ip netns add $ns
trap 'kill $LP $OP 2>/dev/null || true; ip netns del $ns' EXIT
ip -n $ns link set lo up
ip netns exec $ns python3 listen.py 1194 $secs $name.txt & LP=$!
sleep 0.5
ip netns exec $ns timeout $secs openvpn --client --dev null --proto udp4 --remote 127.0.0.1 1194 --nobind \
  --ca ca.crt --auth-user-pass creds --verb 4 "$@" > $name.log 2>&1 & OP=$!
wait $LP || true
wait $OP || true
