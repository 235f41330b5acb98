#!/usr/bin/env bash
# Install everything Sluice builds, tests and demos with (Debian 12 packages
# only) and prepare hugepages. Idempotent; run as root (no sudo needed).
set -euo pipefail

if [ "$(id -u)" -ne 0 ]; then
  echo "setup: run as root (apt-get, hugepages, network namespaces)" >&2
  exit 1
fi

PKGS=(
  # build: gcc, meson, DPDK 22.11, OpenSSL 3, libconfig
  build-essential pkg-config meson ninja-build libdpdk-dev dpdk-dev dpdk
  libssl-dev openssl libconfig-dev
  # the admin protocol's JSON (controlplane/cp_api.c, ctl/ctl.c)
  libjson-c-dev
  # the durable user store (controlplane/cp_store.c), sqlite3 for backups
  libsqlite3-dev sqlite3
  # the data-channel crypto backend on intel-ipsec-mb (lib/ovpn_imb.c)
  libipsec-mb-dev
  # sanitizer and libFuzzer builds (clang), symbolized stack traces (llvm)
  clang llvm libclang-rt-14-dev
  # tests, demo and benchmarks: the real client, traffic, namespaces, the
  # LAN web page (curl), the handshake flood (python3-cryptography)
  openvpn iperf3 iproute2 iputils-ping ethtool procps psmisc curl
  python3 python3-cryptography
  # the capture recipe in tests/capture
  tshark
  # real services in the LAN namespace of the access-rules test
  # (tests/integration/test_rules.sh): Redis, PostgreSQL 15 (initdb, pg_ctl, psql)
  redis-server redis-tools postgresql postgresql-client
)

missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  # tshark asks whether non-root users may capture; the answer does not matter here.
  echo "wireshark-common wireshark-common/install-setuid boolean false" | debconf-set-selections
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# Hugepages: the data plane is a DPDK primary, the control plane a secondary;
# they share hugepage memory. 512 x 2 MiB = 1 GiB.
want=${SLUICE_HUGEPAGES:-512}
have=$(cat /proc/sys/vm/nr_hugepages)
if [ "$have" -lt "$want" ]; then
  sysctl -q -w vm.nr_hugepages="$want"
fi
mkdir -p /dev/hugepages
if ! mountpoint -q /dev/hugepages; then
  mount -t hugetlbfs nodev /dev/hugepages
fi
echo "setup: ok ($(cat /proc/sys/vm/nr_hugepages) hugepages of $(awk '/Hugepagesize/ {print $2 $3}' /proc/meminfo))"
