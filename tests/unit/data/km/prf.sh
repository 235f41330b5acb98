#!/bin/bash
# PRF vector: p2p --tls-server (no NCP_P2P from a pull client -> legacy PRF)
set -eu
ID=$$; NS_S=km${ID}s; NS_C=km${ID}c; OUT=$(realpath -m "${1:-./km-lab-out}"); W=$(mktemp -d /tmp/km-prf.XXXXXX)
mkdir -p $OUT; PIDS=()
cleanup() { for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill $p 2>/dev/null || true; done; sleep 0.5; ip netns del $NS_S 2>/dev/null || true; ip netns del $NS_C 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
cd $W
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt -days 2 -subj /CN=ca 2>/dev/null
for n in server client1; do eku=serverAuth; [ $n = client1 ] && eku=clientAuth
 openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $n.key -out $n.csr -subj /CN=$n 2>/dev/null
 printf "extendedKeyUsage=%s\n" $eku > $n.ext
 openssl x509 -req -in $n.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out $n.crt -days 2 -extfile $n.ext 2>/dev/null; done
ip netns add $NS_S; ip netns add $NS_C
ip link add km${ID}a netns $NS_S type veth peer name km${ID}b netns $NS_C
ip -n $NS_S addr add 10.99.0.1/24 dev km${ID}a; ip -n $NS_C addr add 10.99.0.2/24 dev km${ID}b
ip -n $NS_S link set km${ID}a up; ip -n $NS_C link set km${ID}b up
ip netns exec $NS_S timeout 20 openvpn --dev tun --proto udp --local 10.99.0.1 --port 1194 --tls-server --dh none --ca ca.crt --cert server.crt --key server.key --ifconfig 10.9.0.1 10.9.0.2 --verb 9 > $OUT/prf-server.log 2>&1 & PIDS+=($!)
sleep 1
ip netns exec $NS_C timeout 15 openvpn --dev tun --proto udp --remote 10.99.0.1 1194 --nobind --tls-client --pull --ca ca.crt --cert client1.crt --key client1.key --verb 9 > $OUT/prf-client.log 2>&1 & PIDS+=($!)
sleep 10
