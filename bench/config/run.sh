#!/bin/sh
# Times `berth config` (load + interpolate + merge keys + validate + normalize + render) on
# generated project files of 10, 100 and 1000 services with hyperfine.
#   bench/config/run.sh [BUILD_DIR]      (default: build; the berth binary must be built)
# Target: under 20 ms wall for 100 services.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../../build}
berth=$(cd "$build" && pwd)/berth
[ -x "$berth" ] || { echo "bench/config: $berth not built" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM

for n in 10 100 1000; do
  mkdir -p "$work/p$n"
  python3 "$here/gen.py" "$n" > "$work/p$n/compose.yaml"
  # Sanity: it loads and has every service.
  got=$("$berth" -f "$work/p$n/compose.yaml" config --services | wc -l)
  [ "$got" -eq "$n" ] || { echo "bench/config: expected $n services, got $got" >&2; exit 1; }
done

hyperfine -N --warmup 5 --min-runs 30 --export-markdown "$work/results.md" \
  -n "config 10 services"   "$berth -f $work/p10/compose.yaml config --format json" \
  -n "config 100 services"  "$berth -f $work/p100/compose.yaml config --format json" \
  -n "config 1000 services" "$berth -f $work/p1000/compose.yaml config --format json" \
  -n "config -q 100 services" "$berth -f $work/p100/compose.yaml config -q" \
  -n "version (process start)" "$berth version"
cat "$work/results.md"
