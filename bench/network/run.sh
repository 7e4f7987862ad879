#!/bin/bash
# Network benchmark (issue 5), through the real CLI under a temp state root:
#  - TCP throughput from the host to a container's iperf3 server, through its published port
#    (127.0.0.1:PORT, nftables DNAT) versus straight to the container's address, in the same run,
#    rounds alternating, medians and the median per-round ratio (target: published >= 0.9 of direct);
#  - DNS lookup latency of a service name from another container to the embedded DNS server
#    (bench/network/dns_bench.cpp, sequential UDP queries; target: median < 1 ms).
# The iperf3 server is the host's binary run inside the container's network namespace (nsenter):
# the network path is the container's, the busybox image needs no iperf3.
# usage: bench/network/run.sh [BUILD_DIR] [ROUNDS] [SECONDS]   (root; needs iperf3, see scripts/install-deps.sh)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=$(realpath "${1:-$SRC/build}")
ROUNDS=${2:-9}
SECS=${3:-3}
QUERIES=${QUERIES:-2000}
command -v iperf3 >/dev/null || { echo "iperf3 missing: bash scripts/install-deps.sh" >&2; exit 1; }
W=$(mktemp -d /tmp/berth-bench-network.XXXXXX)
ROOT=$W/root
P=$W/project
IMAGE=berth-bench/busybox:latest
BERTH="$BUILD/berth"
b() { "$BERTH" --root "$ROOT" -p benchnet --project-directory "$P" "$@"; }
IPERF_PID=""
cleanup() {
  [ -n "$IPERF_PID" ] && kill "$IPERF_PID" 2>/dev/null || true
  b down -t 1 >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap cleanup EXIT

echo "building berth and dns_bench against $BUILD" >&2
cmake --build "$BUILD" --target berth berth-monitor berth-dns >/dev/null
cmake --build "$BUILD" --target berth-init >/dev/null 2>&1 || true
g++ -std=c++20 -O2 "$SRC/bench/network/dns_bench.cpp" -o "$W/dns_bench"
BERTH_ROOT=$ROOT "$SRC/scripts/make-busybox-image.sh" "$BERTH" "$IMAGE" >/dev/null

mkdir -p "$P"
cat > "$P/compose.yaml" <<EOF
services:
  web:
    image: $IMAGE
    init: true
    command: [sleep, "3600"]
    ports: ["127.0.0.1::5201"]
  client:
    image: $IMAGE
    init: true
    command: [sleep, "3600"]
EOF
b up -d >/dev/null 2>&1
netns_of() { "$BERTH" --root "$ROOT" container inspect "$(b ps -q "$1")" | sed -n 's/.*"NetnsPath": "\(.*\)".*/\1/p'; }
WEB_NS=$(netns_of web)
CLIENT_NS=$(netns_of client)
WEB_IP=$(nsenter --net="$WEB_NS" ip -4 -o addr show eth0 | awk '{split($4, a, "/"); print a[1]}')
PUBLISHED=$(b port web 5201)
DNS_SERVER=$(b exec -T client cat /etc/resolv.conf | awk '/^nameserver/ {print $2; exit}')
echo "web $WEB_IP (netns $WEB_NS), published $PUBLISHED, DNS $DNS_SERVER" >&2

nsenter --net="$WEB_NS" iperf3 -s -p 5201 -D --pidfile "$W/iperf.pid" >/dev/null
for _ in $(seq 50); do [ -s "$W/iperf.pid" ] && break; sleep 0.1; done
IPERF_PID=$(cat "$W/iperf.pid")
sleep 0.3

# Receiver-side throughput in Mbit/s of one iperf3 run to HOST PORT.
mbits() {
  iperf3 -c "$1" -p "$2" -t "$SECS" -f m 2>&1 | awk '/receiver/ {print $(NF-2)}'
}
median() { sort -n | awk '{a[NR]=$1} END {printf "%.0f", a[int((NR+1)/2)]}'; }
: > "$W/direct"
: > "$W/published"
echo "== load average before: $(cut -d' ' -f1-3 /proc/loadavg) ($(nproc) CPUs)"
echo "== TCP throughput, $ROUNDS rounds of ${SECS}s each way, alternating"
for i in $(seq 1 "$ROUNDS"); do
  if [ $((i % 2)) -eq 1 ]; then
    mbits "$WEB_IP" 5201 >> "$W/direct"; mbits "${PUBLISHED%:*}" "${PUBLISHED##*:}" >> "$W/published"
  else
    mbits "${PUBLISHED%:*}" "${PUBLISHED##*:}" >> "$W/published"; mbits "$WEB_IP" 5201 >> "$W/direct"
  fi
done
D=$(median < "$W/direct")
PUB=$(median < "$W/published")
echo "direct    $WEB_IP:5201  rounds: $(tr '\n' ' ' < "$W/direct") median $D Mbit/s"
echo "published $PUBLISHED  rounds: $(tr '\n' ' ' < "$W/published") median $PUB Mbit/s"
# Each round's two runs are back to back: the median of the per-round ratios is less sensitive to
# the load of a shared machine drifting between rounds than the ratio of the medians.
RATIO=$(paste "$W/published" "$W/direct" | awk '{printf "%.3f\n", $1 / $2}' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
awk -v p="$PUB" -v d="$D" -v r="$RATIO" 'BEGIN {printf "published / direct: ratio of medians %.3f, median of per-round ratios %.3f (target >= 0.9): %s\n", p / d, r, (r >= 0.9 ? "ok" : "BELOW TARGET")}'

echo "== DNS: $QUERIES sequential A queries for the service name \"web\" from the client container"
nsenter --net="$CLIENT_NS" "$W/dns_bench" "$DNS_SERVER" web 200 >/dev/null  # warm-up
OUT=$(nsenter --net="$CLIENT_NS" "$W/dns_bench" "$DNS_SERVER" web "$QUERIES")
echo "$OUT"
echo "$OUT" | awk '{for (i = 1; i < NF; i++) if ($i == "median_us") m = $(i + 1)} END {printf "median %.3f ms (target < 1 ms): %s\n", m / 1000, (m < 1000 ? "ok" : "ABOVE TARGET")}'
