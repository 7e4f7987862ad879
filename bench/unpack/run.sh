#!/bin/bash
# Layer unpacking benchmark (issue 3): berth's openat2-based unpacker vs GNU `tar -x` on the same
# generated ~200 MB layer, in the same run, plus "import of an image whose layers are all stored
# does no unpacking". usage: bench/unpack/run.sh [BUILD_DIR] [ROUNDS]   (root; uses a temp dir)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${1:-$SRC/build}
ROUNDS=${2:-5}
W=$(mktemp -d /var/tmp/berth-bench-unpack.XXXXXX)
trap 'rm -rf "$W"' EXIT

echo "building unpack_bench against $BUILD" >&2
cmake --build "$BUILD" --target berth berth_engine >/dev/null
g++ -std=c++20 -O2 -I"$SRC" "$SRC/bench/unpack/unpack_bench.cpp" -o "$W/unpack_bench" \
  "$BUILD/libberth_engine.a" "$BUILD/libberth_base.a" $(pkg-config --libs libarchive) -lspdlog -lfmt -lcrypto -lpthread

# ~200 MB layer: 40 x 2 MB files, 12000 small files (4-16 KB) in 120 dirs, symlinks, hardlinks.
R=$W/src
mkdir -p "$R/big"
for i in $(seq 1 40); do head -c 2000000 /dev/urandom > "$R/big/blob$i"; done
head -c 16384 /dev/urandom > "$W/chunk"
for d in $(seq 1 120); do
  mkdir -p "$R/lib/d$d"
  for f in $(seq 1 100); do head -c $(( (f % 4 + 1) * 4096 )) "$W/chunk" > "$R/lib/d$d/f$f"; done
  ln -s "f1" "$R/lib/d$d/link"
  ln "$R/lib/d$d/f2" "$R/lib/d$d/hard"
done
tar --numeric-owner -C "$R" -cf "$W/layer.tar" .
rm -rf "$R"
SIZE=$(stat -c %s "$W/layer.tar")
echo "archive: $((SIZE / 1000000)) MB, $(tar -tf "$W/layer.tar" | wc -l) entries"
cat "$W/layer.tar" > /dev/null  # both read it from the page cache

now() { date +%s.%N; }
# One timed extraction into a fresh directory; deletion and a full sync happen before, untimed,
# so neither tool pays for the other's leftovers.
run_one() {  # dir kind
  local d=$1/x.$RANDOM$RANDOM kind=$2 t0 t1
  sync; sleep 0.3
  case $kind in
    tar) mkdir "$d"; t0=$(now); tar --numeric-owner -xpf "$W/layer.tar" -C "$d"; t1=$(now); awk -v a="$t1" -v b="$t0" 'BEGIN { printf "%.3f\n", a - b }' ;;
    tar_sync) mkdir "$d"; t0=$(now); tar --numeric-owner -xpf "$W/layer.tar" -C "$d"; sync -f "$d"; t1=$(now); awk -v a="$t1" -v b="$t0" 'BEGIN { printf "%.3f\n", a - b }' ;;
    berth) "$W/unpack_bench" "$W/layer.tar" "$d" | cut -d' ' -f1 ;;
    berth_digest) "$W/unpack_bench" "$W/layer.tar" "$d" --digest | cut -d' ' -f1 ;;
    berth_sync) "$W/unpack_bench" "$W/layer.tar" "$d" --sync | cut -d' ' -f1 ;;
  esac
  rm -rf "$d"
}
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }
bench_on() {  # dir label
  declare -A res
  for kind in tar berth berth_digest tar_sync berth_sync; do : > "$W/t.$kind"; done
  for r in $(seq 1 "$ROUNDS"); do
    # alternate the order so neither tool always runs on a freshly-deleted filesystem
    if (( r % 2 )); then order="tar berth berth_digest tar_sync berth_sync"; else order="berth_sync tar_sync berth_digest berth tar"; fi
    for kind in $order; do run_one "$1" "$kind" >> "$W/t.$kind"; done
  done
  for kind in tar berth berth_digest tar_sync berth_sync; do res[$kind]=$(median < "$W/t.$kind"); done
  echo "$2 — median of $ROUNDS (seconds):"
  echo "  tar -x                          ${res[tar]}"
  echo "  berth unpack                    ${res[berth]}   speed vs tar: $(ratio "${res[tar]}" "${res[berth]}")x"
  echo "  berth unpack + diff_id sha256   ${res[berth_digest]}   speed vs tar: $(ratio "${res[tar]}" "${res[berth_digest]}")x"
  echo "  tar -x + sync -f                ${res[tar_sync]}"
  echo "  berth unpack + syncfs           ${res[berth_sync]}   speed vs tar+sync: $(ratio "${res[tar_sync]}" "${res[berth_sync]}")x"
}
mkdir -p "$W/disk" "$W/tmpfs"
bench_on "$W/disk" "disk ($(df --output=fstype "$W" | tail -1))"
mount -t tmpfs -o size=1g berth-bench "$W/tmpfs"
trap 'umount "$W/tmpfs" 2>/dev/null || true; rm -rf "$W"' EXIT
bench_on "$W/tmpfs" "tmpfs"
umount "$W/tmpfs"

# Shared layers: the second import stores nothing new and unpacks nothing.
ROOT=$W/root
t0=$(now); "$BUILD/berth" --root "$ROOT" --debug image import "$W/layer.tar" bench/a:1 >/dev/null 2>"$W/debug1.log"; t1=$(now)
first=$(awk -v a="$t1" -v b="$t0" 'BEGIN { printf "%.3f\n", a - b }')
t0=$(now); "$BUILD/berth" --root "$ROOT" --debug image import "$W/layer.tar" bench/b:1 >/dev/null 2>"$W/debug.log"; t1=$(now)
second=$(awk -v a="$t1" -v b="$t0" 'BEGIN { printf "%.3f\n", a - b }')
echo "import (new layer):            ${first}s, 'unpacked layer' log lines: $(grep -c 'unpacked layer' "$W/debug1.log" || true)"
echo "import (all layers stored):    ${second}s, layer dirs: $(ls "$ROOT/images/layers" | wc -l), 'unpacked layer' log lines: $(grep -c 'unpacked layer' "$W/debug.log" || true)"
