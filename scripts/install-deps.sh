#!/usr/bin/env bash
# Installs every build, test and benchmark dependency of berth from Debian packages.
# Idempotent and non-interactive; run as root (or with sudo).
set -euo pipefail

packages=(
  # build
  cmake ninja-build g++ pkg-config git
  # libraries (see DESIGN.md)
  libfyaml-dev nlohmann-json3-dev libvalijson-dev libnl-3-dev libnl-route-3-dev libarchive-dev
  libspdlog-dev libfmt-dev libcli11-dev libboost-dev libboost-system-dev libssl-dev libseccomp-dev
  libcap-dev libnftables-dev libgtest-dev libgmock-dev
  # archives of what libarchive and libxml2 need: the programs link them statically (CMakeLists.txt)
  nettle-dev libacl1-dev libxml2-dev libicu-dev liblzma-dev libzstd-dev liblz4-dev libbz2-dev zlib1g-dev
  # fuzzing (the loader's libFuzzer target is built when clang is present)
  clang
  # tests: the busybox test image, interoperability with real image tools, a local registry,
  # and the kernel tools tests use to look at what berth made
  busybox-static skopeo umoci docker-registry apache2-utils openssl iproute2 nftables zstd
  procps psmisc curl ca-certificates
  # examples/visits: its base image is a bookworm rootfs made from Debian's packages
  mmdebstrap gpg  # gpg: mmdebstrap finds the signed-by keyring of its default mirrors with it
  # scripts/test-in-vm.sh: a qemu VM booting Debian's kernels (fetched with apt-get download;
  # the initramfs is busybox-static; modules may be xz/zstd compressed; cpio of the initramfs)
  qemu-system-x86 xz-utils zstd cpio
  # benchmarks
  hyperfine iperf3
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all ${#packages[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
