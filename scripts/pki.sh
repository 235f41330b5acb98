#!/usr/bin/env bash
# Make a throw-away PKI for demos, tests and benchmarks in DIR:
#   ca.crt ca.key                the CA (EC P-256)
#   server.crt server.key        CN=server, extendedKeyUsage=serverAuth
#   client.crt client.key        CN=client, extendedKeyUsage=clientAuth
#   tls-crypt.key                openvpn --genkey secret
# Usage: scripts/pki.sh DIR [CLIENT_NAME...]   (extra client certs by name)
# Idempotent: an existing DIR/ca.crt is kept.
set -euo pipefail
dir=${1:?usage: pki.sh DIR [CLIENT_NAME...]}
shift
mkdir -p "$dir"
chmod 700 "$dir"
cd "$dir"

ec() { openssl req "$@" -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes 2>/dev/null; }

cert() {
  local name=$1 eku=$2
  [ -f "$name.crt" ] && return 0
  ec -subj "/CN=$name" -keyout "$name.key" -out "$name.csr"
  printf "basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=%s\n" "$eku" > "$name.ext"
  openssl x509 -req -in "$name.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 825 \
    -extfile "$name.ext" -out "$name.crt" 2>/dev/null
  rm -f "$name.csr" "$name.ext"
}

[ -f ca.crt ] || ec -x509 -days 3650 -subj "/CN=Sluice test CA" -keyout ca.key -out ca.crt
cert server serverAuth
cert client clientAuth
for c in "$@"; do cert "$c" clientAuth; done
[ -f tls-crypt.key ] || openvpn --genkey secret tls-crypt.key
