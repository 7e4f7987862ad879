#!/usr/bin/env bash
# Whole wall time of `berth test -- true` on a 5-service busybox stack (two services with
# healthchecks, the others depending on them as docker compose stacks do), side by side with the
# script users write today: `berth up -d --wait && true; berth down -v`. Alternating, median of
# ROUNDS, each in a temporary state root. (docker compose cannot run here: no Docker.)
# usage: bench/harness/run.sh [BERTH] [ROUNDS]     (root)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BERTH=$(realpath "${1:-$here/../../build/berth}")
ROUNDS=${2:-5}
work=$(mktemp -d /tmp/berth-bench-harness-XXXXXX)
root=$work/root
export BERTH_RUNTIME_DIR=$(mktemp -d /dev/shm/berth-bench-run-XXXXXX)
b() { "$BERTH" --progress quiet --root "$root" --project-directory "$work" "$@"; }
trap 'b -p bench down -v -t 1 >/dev/null 2>&1 || true; rm -rf "$work" "$BERTH_RUNTIME_DIR"' EXIT
BERTH_ROOT=$root "$here/../../scripts/make-busybox-image.sh" "$BERTH" berth-examples/busybox:latest >/dev/null

cat > "$work/compose.yaml" <<'YAML'
services:
  db:
    image: berth-examples/busybox:latest
    init: true
    command: ["sh", "-c", "touch /tmp/ready && exec sleep 3600"]
    healthcheck: {test: ["CMD", "test", "-f", "/tmp/ready"], interval: 5s, start_interval: 50ms, start_period: 10s}
  web:
    image: berth-examples/busybox:latest
    init: true
    command: ["sh", "-c", "mkdir -p /www && echo ok > /www/index.html && exec httpd -f -p 80 -h /www"]
    ports: ["127.0.0.1:18480:80"]
    healthcheck: {test: ["CMD", "wget", "-q", "-O", "/dev/null", "http://127.0.0.1/"], interval: 5s, start_interval: 50ms, start_period: 10s}
    depends_on: {db: {condition: service_healthy}}
  worker:
    image: berth-examples/busybox:latest
    init: true
    command: ["sleep", "3600"]
    depends_on: {db: {condition: service_healthy}}
  cache:
    image: berth-examples/busybox:latest
    init: true
    command: ["sleep", "3600"]
  client:
    image: berth-examples/busybox:latest
    init: true
    command: ["sleep", "3600"]
    depends_on: {web: {condition: service_healthy}}
YAML

now() { date +%s.%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
harness=() script=()
for r in $(seq 1 "$ROUNDS"); do
  for which in $( [ $((r % 2)) -eq 1 ] && echo "harness script" || echo "script harness"); do
    if [ "$which" = harness ]; then
      t0=$(now); b test -- true; t1=$(now)
      harness+=("$(echo "$t1 $t0" | awk '{ print $1 - $2 }')")
    else
      t0=$(now); b -p bench up -d --wait && true; b -p bench down -v; t1=$(now)
      script+=("$(echo "$t1 $t0" | awk '{ print $1 - $2 }')")
    fi
  done
done
left=$(b container ls -a -q | wc -l)
[ "$left" -eq 0 ] || { echo "$left containers left" >&2; exit 1; }
h=$(printf '%s\n' "${harness[@]}" | median)
s=$(printf '%s\n' "${script[@]}" | median)
printf '%-44s %s\n' "berth test -- true" "$(awk -v v="$h" 'BEGIN { printf "%.3f s", v }')"
printf '%-44s %s\n' "berth up -d --wait && true; berth down -v" "$(awk -v v="$s" 'BEGIN { printf "%.3f s", v }')"
awk -v h="$h" -v s="$s" 'BEGIN { printf "ratio (script / harness): %.2f\n", s / h }'
