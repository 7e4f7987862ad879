#!/bin/bash
# Fetches Debian's linux-image-amd64 of a suite (once) and keeps what the test VM boots:
# vmlinuz and the modules a container host needs, decompressed, with a busybox depmod index.
# usage: fetch-kernel.sh SUITE CACHE_DIR   (SUITE: bullseye, bookworm, bookworm-backports, trixie...)
# Prints CACHE_DIR/SUITE. Uses a private apt state in a temp dir (the host's apt sources, lists and
# caches stay as they are), with the archive URI of the host's own Debian source.
set -euo pipefail
suite=$1 cache=$2/$1
[ -f "$cache/ready" ] && { echo "$cache"; exit 0; }
BUSYBOX=${BUSYBOX:-/bin/busybox}
mkdir -p "$cache"
tmp=$(mktemp -d /tmp/berth-vm-kernel.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
t=$(date +%s)
# The first Debian archive URI of the enabled sources (.list and deb822 .sources; files renamed to
# *.disabled* are not read by apt and not here), security mirrors excepted.
uri=$(cat /etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources 2>/dev/null \
      | grep -oE '^(URIs: *|deb +(\[[^]]*\] +)?)https?://[^ ]+' | grep -oE 'https?://[^ ]+' | grep -v -- '-security' \
      | grep -m1 debian || true)
uri=${uri:-http://deb.debian.org/debian}
a=$tmp/apt
mkdir -p "$a/lists/partial" "$a/cache/archives/partial"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $suite main" >"$a/sources.list"
APT=(-o "Dir::Etc::SourceList=$a/sources.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$a/lists"
     -o "Dir::Cache=$a/cache" -o Dir::State::Status=/var/lib/dpkg/status)
apt-get "${APT[@]}" update >"$tmp/apt.log" 2>&1 || { cat "$tmp/apt.log" >&2; echo "fetch-kernel: apt-get update for $suite ($uri) failed" >&2; exit 2; }
pkg=$(apt-cache "${APT[@]}" depends linux-image-amd64 | sed -n 's/^ *Depends: \(linux-image-[0-9].*\)$/\1/p' | head -1)
[ -n "$pkg" ] || { echo "fetch-kernel: no linux-image-amd64 in $suite" >&2; exit 2; }
mkdir -p "$tmp/deb" "$tmp/x"
(cd "$tmp/deb" && apt-get "${APT[@]}" download "$pkg" >"$tmp/apt.log" 2>&1) || { cat "$tmp/apt.log" >&2; echo "fetch-kernel: apt-get download $pkg failed" >&2; exit 2; }
dpkg-deb -x "$tmp"/deb/*.deb "$tmp/x"
kver=$(ls "$tmp/x/lib/modules")
rm -rf "$cache/modules"
cp "$tmp/x/boot/vmlinuz-$kver" "$cache/vmlinuz"
m=$cache/modules/lib/modules/$kver
mkdir -p "$m"
# Only what a container host needs: virtio + 9p, overlay, veth/bridge/dummy/tun, netfilter, loop
# (paths differ between kernel versions: the missing ones are skipped).
(cd "$tmp/x/lib/modules/$kver" && cp -a --parents $(ls -d kernel/net/netfilter kernel/net/ipv4/netfilter \
    kernel/net/ipv6/netfilter kernel/net/bridge kernel/net/802 kernel/net/llc kernel/net/9p kernel/fs/9p \
    kernel/fs/netfs kernel/fs/fscache kernel/fs/overlayfs kernel/drivers/virtio kernel/drivers/net/veth.ko* \
    kernel/drivers/net/dummy.ko* kernel/drivers/net/tun.ko* kernel/drivers/block/loop.ko* kernel/lib \
    kernel/crypto modules.order modules.builtin modules.builtin.modinfo 2>/dev/null) "$m/")
# busybox insmod hands the file to init_module() as is: newer Debian kernels ship .ko.xz
find "$m" -name '*.ko.xz' -exec xz -d {} +
find "$m" -name '*.ko.zst' -exec zstd -q -d --rm {} +
"$BUSYBOX" depmod -b "$cache/modules" "$kver"
echo "$kver" >"$cache/kver"
echo "$pkg from $uri $suite" >"$cache/source"
touch "$cache/ready"
echo "[host] $pkg ($suite) fetched in $(( $(date +%s) - t ))s" >&2
echo "$cache"
