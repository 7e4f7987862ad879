#!/bin/bash
# Runtime benchmark (issue 4): time from create+start to the container's process running (median
# over N containers, kept running), the monitor's Pss per running container, and the same start
# through the CLI (`berth container run -d`, and `run --rm ... true` end to end); podman's
# `podman run --rm` of the same busybox rootfs in the same run when podman is installed.
# usage: bench/runtime/run.sh [BUILD_DIR] [N]   (root; everything under a temp state root)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(realpath "${1:-$SRC/build}")
N=${2:-100}
CLI_N=${CLI_N:-30}
W=$(mktemp -d /tmp/berth-bench-runtime.XXXXXX)
ROOT=$W/root
# The default layout: state on disk (/var/lib/berth), the runtime directory on a tmpfs (/run/berth).
export BERTH_RUNTIME_DIR=$(mktemp -d /dev/shm/berth-bench-run.XXXXXX)
IMAGE=berth-bench/busybox:latest
BERTH="$BUILD/berth"
b() { "$BERTH" --root "$ROOT" "$@"; }
cleanup() {
  for id in $(b container ls -a --format json 2>/dev/null | sed -n 's/.*"ID":"\([0-9a-f]*\)".*/\1/p'); do
    b container rm -f "$id" >/dev/null 2>&1 || true
  done
  rm -rf "$W" "$BERTH_RUNTIME_DIR"
}
trap cleanup EXIT

echo "building runtime_bench against $BUILD" >&2
cmake --build "$BUILD" --target berth berth-monitor berth_engine >/dev/null
cmake --build "$BUILD" --target berth-init >/dev/null 2>&1 || true  # the small init program, when the tree has it
g++ -std=c++20 -O2 -I"$SRC" "$SRC/bench/runtime/runtime_bench.cpp" -o "$W/runtime_bench" \
  "$BUILD/libberth_engine.a" "$BUILD/libberth_base.a" \
  $(pkg-config --libs libarchive libseccomp libcap) -lssl -lcrypto -lspdlog -lfmt -lpthread
BERTH_ROOT=$ROOT "$SRC/scripts/make-busybox-image.sh" "$BERTH" "$IMAGE" >/dev/null

echo "machine: $(nproc) CPUs, load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "== library: Runtime::create + start, $N containers kept running"
"$W/runtime_bench" "$ROOT" "$BUILD" "$IMAGE" "$N"

median() { sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]}'; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000 )) | awk '{printf "%.1f\n", $1 / 1000}'; }

echo "== CLI: berth container run -d (sleep), $CLI_N containers"
: > "$W/cli_run"
for i in $(seq 1 "$CLI_N"); do
  t0=$(date +%s%N); b container run -d "$IMAGE" sleep 3600 >/dev/null; ms_since "$t0" >> "$W/cli_run"
done
echo "median $(median < "$W/cli_run") ms"
ids() { b container ls -a --format json | sed -n 's/.*"ID":"\([0-9a-f]*\)".*/\1/p'; }
for id in $(ids); do b container rm -f "$id" >/dev/null; done

echo "== CLI: berth container run --rm IMAGE true (start, exit, remove), $CLI_N times"
: > "$W/cli_rm"
for i in $(seq 1 "$CLI_N"); do
  t0=$(date +%s%N); b container run --rm "$IMAGE" true >/dev/null; ms_since "$t0" >> "$W/cli_rm"
done
echo "median $(median < "$W/cli_rm") ms"

echo "load average after the berth runs: $(cut -d' ' -f1-3 /proc/loadavg)"
if command -v podman >/dev/null 2>&1; then
  echo "== podman run --rm (same busybox), $CLI_N times"
  r=$W/podman-rootfs
  mkdir -p "$r/bin"
  cp /bin/busybox "$r/bin/busybox"
  for a in sh true sleep; do ln -s busybox "$r/bin/$a"; done
  tar -C "$r" -cf "$W/podman.tar" .
  podman import -q "$W/podman.tar" localhost/berth-bench-busybox >/dev/null
  # --network none: berth's containers here have a namespace with loopback only. The ulimits:
  # podman's defaults exceed the hard limits of a root without CAP_SYS_RESOURCE.
  prun() { podman run --rm --network none --ulimit nofile=1024:20000 --ulimit nproc=4096:4096 localhost/berth-bench-busybox /bin/true; }
  if ! err=$(prun 2>&1 >/dev/null); then
    echo "podman run --rm fails on this machine: $err"
  else
    : > "$W/podman_rm"
    for i in $(seq 1 "$CLI_N"); do
      t0=$(date +%s%N); prun >/dev/null; ms_since "$t0" >> "$W/podman_rm"
    done
    echo "median $(median < "$W/podman_rm") ms"
  fi
  podman rmi localhost/berth-bench-busybox >/dev/null || true
else
  echo "== podman: not installed on this machine, no comparison in this run"
fi
