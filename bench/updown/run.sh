#!/usr/bin/env bash
# Times `berth up -d` and `berth down` of N small services (busybox sleep), in a temporary state root.
# usage: bench/updown/run.sh [BERTH] [N] [ROUNDS]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BERTH=$(realpath "${1:-$here/../../build/berth}")
N=${2:-50}
ROUNDS=${3:-3}
work=$(mktemp -d /tmp/berth-bench-updown-XXXXXX)
root=$work/root
trap '"$BERTH" --root "$root" --project-directory "$work" down -t 1 >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
BERTH_ROOT=$root "$here/../../scripts/make-busybox-image.sh" "$BERTH" berth-examples/busybox:latest >/dev/null
{
  echo "name: bench"
  echo "services:"
  for i in $(seq 1 "$N"); do
    printf '  s%d:\n    image: berth-examples/busybox:latest\n    init: true\n    command: ["sleep", "3600"]\n' "$i"
  done
} > "$work/compose.yaml"
b() { "$BERTH" --root "$root" --project-directory "$work" "$@"; }
for r in $(seq 1 "$ROUNDS"); do
  t0=$(date +%s.%N); b up -d >/dev/null 2>&1; t1=$(date +%s.%N)
  running=$(b ps -q | wc -l)
  t2=$(date +%s.%N); b down >/dev/null 2>&1; t3=$(date +%s.%N)
  awk -v r="$r" -v n="$N" -v run="$running" -v up="$(echo "$t1 - $t0" | awk '{print $1-$3}')" \
      -v down="$(echo "$t3 - $t2" | awk '{print $1-$3}')" \
      'BEGIN { printf "round %d: %d services (%d running): up -d %.3f s, down %.3f s\n", r, n, run, up, down }'
done
