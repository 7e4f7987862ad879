#!/usr/bin/env bash
# Wall time of `berth up -d`, a no-op `up -d` and `down -t 1` for projects of N small services
# (busybox sleeping under init; every tenth links to s1; s1 publishes a port on 127.0.0.1, s2 has
# a named volume), each in a temporary state root. Median of ROUNDS per size.
# usage: bench/updown/run.sh [BERTH] [ROUNDS] [SIZES...]     (root; default sizes 1 10 50 100)
# DEAF=1: no `init: true`, so PID 1 is `sleep` itself, which has no SIGTERM handler (the kernel
# discards the signal), and `down` keeps its default 10 s grace period instead of -t 1.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BERTH=$(realpath "${1:-$here/../../build/berth}")
ROUNDS=${2:-3}
shift $(( $# >= 2 ? 2 : $# ))
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(1 10 50 100)
work=$(mktemp -d /tmp/berth-bench-updown-XXXXXX)
root=$work/root
# The default layout: state on disk (/var/lib/berth), the runtime directory on a tmpfs (/run/berth).
export BERTH_RUNTIME_DIR=$(mktemp -d /dev/shm/berth-bench-run-XXXXXX)
b() { "$BERTH" --root "$root" --project-directory "$work" "$@"; }
trap 'b down -v -t 1 >/dev/null 2>&1 || true; rm -rf "$work" "$BERTH_RUNTIME_DIR"' EXIT
BERTH_ROOT=$root "$here/../../scripts/make-busybox-image.sh" "$BERTH" berth-examples/busybox:latest >/dev/null

project() {
  echo "name: bench"
  echo "services:"
  for i in $(seq 1 "$1"); do
    printf '  s%d:\n    image: berth-examples/busybox:latest\n    command: ["sleep", "3600"]\n' "$i"
    [ "${DEAF:-0}" = 1 ] || printf '    init: true\n'
    [ "$i" -eq 1 ] && printf '    ports: ["127.0.0.1::8080"]\n'
    [ "$i" -eq 2 ] && printf '    volumes: ["data:/data"]\n'
    [ "$i" -gt 1 ] && [ $((i % 10)) -eq 0 ] && printf '    links: ["s1:first"]\n'
  done
  echo "volumes:"
  echo "  data: {}"
}

now() { date +%s.%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

printf '%-9s %-10s %-12s %-10s\n' services "up -d" "no-op up" "down"
for n in "${SIZES[@]}"; do
  project "$n" > "$work/compose.yaml"
  ups=() noops=() downs=()
  for _ in $(seq 1 "$ROUNDS"); do
    t0=$(now); b up -d >/dev/null 2>&1; t1=$(now)
    running=$(b ps -q | wc -l)
    [ "$running" -eq "$n" ] || { echo "only $running of $n services running" >&2; exit 1; }
    t2=$(now); b up -d >/dev/null 2>&1; t3=$(now)
    t4=$(now); b down -v $([ "${DEAF:-0}" = 1 ] || echo -t 1) >/dev/null 2>&1; t5=$(now)
    ups+=("$(echo "$t1 $t0" | awk '{ print $1 - $2 }')")
    noops+=("$(echo "$t3 $t2" | awk '{ print $1 - $2 }')")
    downs+=("$(echo "$t5 $t4" | awk '{ print $1 - $2 }')")
  done
  printf '%-9s %-10s %-12s %-10s\n' "$n" \
    "$(printf '%s\n' "${ups[@]}" | median | awk '{ printf "%.3f s", $1 }')" \
    "$(printf '%s\n' "${noops[@]}" | median | awk '{ printf "%.0f ms", $1 * 1000 }')" \
    "$(printf '%s\n' "${downs[@]}" | median | awk '{ printf "%.3f s", $1 }')"
done
