#!/usr/bin/env bash
# Install everything Sluice builds, tests and demos with (Debian 12 packages
# only) and prepare hugepages. Idempotent; run as root.
set -euo pipefail

PKGS=(
  build-essential pkg-config meson ninja-build clang llvm libclang-rt-14-dev
  libdpdk-dev dpdk-dev dpdk libssl-dev openssl libconfig-dev
  openvpn iperf3 iproute2 iputils-ping ethtool tshark procps psmisc python3
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
