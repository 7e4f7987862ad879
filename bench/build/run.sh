#!/usr/bin/env bash
# `berth image build` timings on a 10-step Dockerfile (FROM the busybox test image, ARG, ENV,
# WORKDIR, COPY, three RUNs, a second COPY, CMD), in a temporary state root:
#   cold       --no-cache build of it
#   no-change  the same again with the cache (every step a hit)            target < 50 ms
#   one file   the file the first COPY copies changed: that COPY and all after it run again
#   per RUN    (cold build of 10 `RUN true` steps - cold build of none) / 10  target < 15 ms
#   (berth's builds use --network none, as buildah's below; the per-RUN cost on the default build
#   bridge, which joins each step to it, is reported on a line of its own)
# Median of ROUNDS each. Where buildah and runc are installed (Debian packages; docker.io may not
# be installed on these machines: it changes the host's firewall), the same Dockerfiles are built
# with `buildah bud --layers --isolation oci --runtime runc --network none` in the same run, on a
# storage root of its own holding the same busybox image.
# usage: bench/build/run.sh [BERTH] [ROUNDS]     (root)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
BERTH=$(realpath "${1:-$here/../../build/berth}")
ROUNDS=${2:-5}
work=$(mktemp -d /tmp/berth-bench-build-XXXXXX)
root=$work/root
export BERTH_RUNTIME_DIR=$(mktemp -d /dev/shm/berth-bench-run-XXXXXX)
bh_root=$work/buildah
had_runc_dir=$([ -d /run/runc ] && echo yes || echo no)
cleanup() {
  if command -v buildah >/dev/null && [ -d "$bh_root" ]; then
    buildah --root "$bh_root/root" --runroot "$bh_root/run" rm --all >/dev/null 2>&1 || true
    umount -R "$bh_root/root/overlay" 2>/dev/null || true
  fi
  [ "$had_runc_dir" = yes ] || rmdir /run/runc 2>/dev/null || true  # runc's state dir, if runc made it
  rm -rf "$work" "$BERTH_RUNTIME_DIR"
}
trap cleanup EXIT
b() { "$BERTH" --root "$root" "$@"; }
BERTH_ROOT=$root "$here/../../scripts/make-busybox-image.sh" "$BERTH" bench/busybox:latest >/dev/null

ctx=$work/ctx
mkdir -p "$ctx/src"
for i in $(seq 1 20); do head -c 4096 /dev/urandom >"$ctx/src/f$i.bin"; done
echo one >"$ctx/config.txt"
cat >"$ctx/Dockerfile" <<'DOCKERFILE'
FROM bench/busybox:latest
ARG VERSION=1
ENV APP_HOME=/app
WORKDIR /app
COPY config.txt /app/config.txt
RUN cp /app/config.txt /app/config.copy
RUN mkdir -p /app/data && echo "$VERSION" > /app/data/version
RUN ls -l /app > /app/listing
COPY src/ /app/src/
CMD ["sh", "-c", "cat /app/config.txt"]
DOCKERFILE
{ echo "FROM bench/busybox:latest"; for _ in $(seq 1 10); do echo "RUN true"; done; } >"$ctx/Dockerfile.runs"
echo "FROM bench/busybox:latest" >"$ctx/Dockerfile.none"

now() { date +%s%N; }
median() { sort -n | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
build() { b image build -q --network "${NET:-none}" "$@" "$ctx" >/dev/null; }

cold=() nochange=() onefile=() runs=() none=() bridged=()
build -t bench/app  # warm the page cache and the binary
for r in $(seq 1 "$ROUNDS"); do
  t0=$(now); build --no-cache -t bench/app; t1=$(now); cold+=("$(ms "$t0" "$t1")")
  t0=$(now); build -t bench/app; t1=$(now); nochange+=("$(ms "$t0" "$t1")")
  echo "round $r" >"$ctx/config.txt"
  t0=$(now); build -t bench/app; t1=$(now); onefile+=("$(ms "$t0" "$t1")")
  t0=$(now); build --no-cache -f "$ctx/Dockerfile.runs" -t bench/runs; t1=$(now); runs+=("$(ms "$t0" "$t1")")
  t0=$(now); build --no-cache -f "$ctx/Dockerfile.none" -t bench/none; t1=$(now); none+=("$(ms "$t0" "$t1")")
  t0=$(now); NET=default build --no-cache -f "$ctx/Dockerfile.runs" -t bench/runs; t1=$(now); bridged+=("$(ms "$t0" "$t1")")
done
# the built image runs and shows the last change
out=$(b container run --rm bench/app)
[ "$out" = "round $ROUNDS" ] || { echo "bench/build: the image printed \"$out\"" >&2; exit 1; }

m() { printf '%s\n' "$@" | median; }
report() {  # NAME cold nochange onefile runs none
  printf '%s, 10-step Dockerfile, median of %s (ms):\n' "$1" "$ROUNDS"
  printf '  cold build (no cache)          %6s\n' "$2"
  printf '  no-change rebuild              %6s   (target < 50)\n' "$3"
  printf '  one copied file changed        %6s\n' "$4"
  printf '  per RUN step (10 RUN true)     %6s   (target < 15; %s ms for 10, %s ms for none)\n' \
    "$(awk -v a="$5" -v b="$6" 'BEGIN { printf "%.0f", (a - b) / 10 }')" "$5" "$6"
}
report berth "$(m "${cold[@]}")" "$(m "${nochange[@]}")" "$(m "${onefile[@]}")" "$(m "${runs[@]}")" "$(m "${none[@]}")"
printf '  per RUN step on the build bridge %4s   (10 RUN true with --network default, less none, / 10)\n' \
  "$(awk -v a="$(m "${bridged[@]}")" -v b="$(m "${none[@]}")" 'BEGIN { printf "%.0f", (a - b) / 10 }')"

if command -v buildah >/dev/null && command -v runc >/dev/null; then
  bh() { buildah --root "$bh_root/root" --runroot "$bh_root/run" --storage-driver overlay "$@"; }
  b image save -o "$work/busybox.tar" bench/busybox:latest
  bh pull -q docker-archive:"$work/busybox.tar" >/dev/null
  for f in Dockerfile Dockerfile.runs Dockerfile.none; do
    sed 's|^FROM bench/busybox:latest|FROM localhost/bench/busybox:latest|' "$ctx/$f" >"$ctx/$f.buildah"
  done
  bbuild() { bh bud --layers --isolation oci --runtime runc --network none --pull=false -q "$@" "$ctx" >/dev/null; }
  cold=() nochange=() onefile=() runs=() none=()
  bbuild -f "$ctx/Dockerfile.buildah" -t bench/app
  for r in $(seq 1 "$ROUNDS"); do
    t0=$(now); bbuild --no-cache -f "$ctx/Dockerfile.buildah" -t bench/app; t1=$(now); cold+=("$(ms "$t0" "$t1")")
    t0=$(now); bbuild -f "$ctx/Dockerfile.buildah" -t bench/app; t1=$(now); nochange+=("$(ms "$t0" "$t1")")
    echo "buildah round $r" >"$ctx/config.txt"
    t0=$(now); bbuild -f "$ctx/Dockerfile.buildah" -t bench/app; t1=$(now); onefile+=("$(ms "$t0" "$t1")")
    t0=$(now); bbuild --no-cache -f "$ctx/Dockerfile.runs.buildah" -t bench/runs; t1=$(now); runs+=("$(ms "$t0" "$t1")")
    t0=$(now); bbuild --no-cache -f "$ctx/Dockerfile.none.buildah" -t bench/none; t1=$(now); none+=("$(ms "$t0" "$t1")")
  done
  report "buildah $(buildah --version | awk '{ print $3 }') (runc)" "$(m "${cold[@]}")" "$(m "${nochange[@]}")" \
    "$(m "${onefile[@]}")" "$(m "${runs[@]}")" "$(m "${none[@]}")"
else
  echo "buildah or runc not installed: no peer in this run (apt-get install buildah runc)"
fi
