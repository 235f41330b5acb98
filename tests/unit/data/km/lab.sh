#!/bin/bash
# Capture PUSH_REPLY / peer-info / OCC strings from real openvpn 2.6.14
# server <-> client in two private namespaces. Usage: lab.sh <outdir>
set -eu
OUT=$(realpath -m "${1:-./km-lab-out}")
ID=$$
NS_S=km${ID}s
NS_C=km${ID}c
W=$(mktemp -d /tmp/km-lab.XXXXXX)
mkdir -p "$OUT" "$W"
PIDS=()
cleanup() {
	for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
	sleep 0.5
	ip netns del "$NS_S" 2>/dev/null || true
	ip netns del "$NS_C" 2>/dev/null || true
	rm -rf "$W"
}
trap cleanup EXIT

stage() { echo "== $*"; }

stage pki
cd "$W"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
	-out ca.crt -days 2 -subj /CN=km-lab-ca 2>/dev/null
for n in server client1; do
	eku=serverAuth; [ $n = client1 ] && eku=clientAuth
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout $n.key \
		-out $n.csr -subj /CN=$n 2>/dev/null
	printf "extendedKeyUsage=%s\nkeyUsage=digitalSignature\n" $eku > $n.ext
	openssl x509 -req -in $n.csr -CA ca.crt -CAkey ca.key -CAcreateserial \
		-out $n.crt -days 2 -extfile $n.ext 2>/dev/null
done
openvpn --genkey secret tc.key >/dev/null
printf "user1\npass1\n" > up.txt

stage netns
ip netns add "$NS_S"; ip netns add "$NS_C"
ip link add km${ID}a netns "$NS_S" type veth peer name km${ID}b netns "$NS_C"
ip -n "$NS_S" addr add 10.99.0.1/24 dev km${ID}a
ip -n "$NS_C" addr add 10.99.0.2/24 dev km${ID}b
ip -n "$NS_S" link set km${ID}a up; ip -n "$NS_S" link set lo up
ip -n "$NS_C" link set km${ID}b up; ip -n "$NS_C" link set lo up

common_srv="dev tun
proto udp
port 1194
local 10.99.0.1
ca $W/ca.crt
cert $W/server.crt
key $W/server.key
dh none
tls-crypt $W/tc.key
verb 7"
common_cli="client
dev tun
proto udp
remote 10.99.0.1 1194
nobind
ca $W/ca.crt
cert $W/client1.crt
key $W/client1.key
tls-crypt $W/tc.key
verb 7"

# run <name> <server extra> <client extra>
run() {
	local name=$1
	stage "run $name"
	printf "%s\n%s\n" "$common_srv" "$2" > $W/$name-srv.conf
	printf "%s\n%s\n" "$common_cli" "$3" > $W/$name-cli.conf
	ip netns exec "$NS_S" timeout 40 openvpn --config $W/$name-srv.conf > $OUT/$name-server.log 2>&1 &
	local sp=$!; PIDS+=($sp)
	sleep 1
	ip netns exec "$NS_C" timeout 35 openvpn --config $W/$name-cli.conf > $OUT/$name-client.log 2>&1 &
	local cp=$!; PIDS+=($cp)
	for i in $(seq 1 60); do
		grep -q 'Initialization Sequence Completed\|AUTH_FAILED' $OUT/$name-client.log 2>/dev/null && break
		sleep 0.5
	done
	sleep 1
	kill $cp 2>/dev/null || true; sleep 0.5; kill $sp 2>/dev/null || true
	wait $cp 2>/dev/null || true; wait $sp 2>/dev/null || true
	grep -c 'Initialization Sequence Completed' $OUT/$name-client.log || true
}

base_srv="topology subnet
server 10.8.0.0 255.255.255.0
keepalive 10 60
push \"route 192.168.77.0 255.255.255.0\"
push \"route 192.168.78.0 255.255.255.0\"
push \"dhcp-option DNS 10.8.0.1\""

run default "$base_srv" ""
run migrate "$base_srv
compress migrate" "comp-lzo"
run compnopush "$base_srv
comp-lzo no
push \"comp-lzo no\"" "comp-lzo no"
run aes128 "$base_srv
data-ciphers AES-128-GCM" ""
routes=""
for i in $(seq 1 70); do routes="$routes
push \"route 172.16.$i.0 255.255.255.0\""; done
run routes70 "topology subnet
server 10.8.0.0 255.255.255.0
keepalive 10 60$routes" ""
run authfail "$base_srv
auth-user-pass-verify /bin/false via-env
script-security 2" "auth-user-pass $W/up.txt"
