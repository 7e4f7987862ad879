#!/bin/bash
# Registry pull benchmark (issue 7): a ~200 MB multi-layer image (random-data layers and one layer
# of small text files, gzip-compressed, written as an OCI layout by this script) is pushed with
# skopeo to docker-registry on loopback; then, in the same hyperfine run, `berth image pull` into
# an empty state root (download + verify + unpack) versus `skopeo copy docker://... dir:...`
# (download + verify, no unpacking). Each run starts from an empty target (deleted untimed).
# usage: bench/pull/run.sh [BERTH] [RUNS]   (root; everything in a temp dir under $BENCH_DIR,
# default /var/tmp; BENCH_DIR=/dev/shm measures without the disk)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/../.." && pwd)
BERTH=$(realpath "${1:-$SRC/build/berth}")
RUNS=${2:-5}
W=$(mktemp -d "${BENCH_DIR:-/var/tmp}/berth-bench-pull.XXXXXX")
REG_PID=
cleanup() {
  if [ -n "$REG_PID" ]; then kill "$REG_PID" 2>/dev/null || true; wait "$REG_PID" 2>/dev/null || true; fi
  rm -rf "$W"
}
trap cleanup EXIT

# ---- the image: an OCI layout written by hand ------------------------------------------------
L=$W/layout
mkdir -p "$L/blobs/sha256"
echo '{"imageLayoutVersion":"1.0.0"}' > "$L/oci-layout"
diff_ids=() layers=()
add_layer() {  # directory -> one gzip layer blob
  local dir=$1 tarf=$W/layer.tar
  tar --numeric-owner --owner=0 --group=0 -C "$dir" -cf "$tarf" .
  diff_ids+=("sha256:$(sha256sum "$tarf" | cut -d' ' -f1)")
  gzip -1 -n -f "$tarf"
  local d; d=$(sha256sum "$tarf.gz" | cut -d' ' -f1)
  mv "$tarf.gz" "$L/blobs/sha256/$d"
  layers+=("{\"mediaType\":\"application/vnd.oci.image.layer.v1.tar+gzip\",\"digest\":\"sha256:$d\",\"size\":$(stat -c %s "$L/blobs/sha256/$d")}")
  rm -rf "$dir"
}
echo "generating the image in $W" >&2
# layer 1: 3000 small text files (1-8 KB of base64), compressible like code and config
mkdir -p "$W/l/usr/share/doc"
head -c 6000000 /dev/urandom | base64 -w 76 > "$W/text"
for i in $(seq 1 3000); do
  d=$W/l/usr/share/doc/p$((i % 60)); mkdir -p "$d"
  dd if="$W/text" of="$d/f$i" bs=1024 skip=$(( (i * 1999) % 5000 )) count=$(( i % 8 + 1 )) status=none
done
add_layer "$W/l"
# layers 2-6: 4 x 10 MB random files each (200 MB that does not compress)
for n in 2 3 4 5 6; do
  mkdir -p "$W/l/opt/data$n"
  for f in 1 2 3 4; do head -c 10000000 /dev/urandom > "$W/l/opt/data$n/blob$f"; done
  add_layer "$W/l"
done
rm -f "$W/text"
ids=$(printf '"%s",' "${diff_ids[@]}")
config="{\"architecture\":\"amd64\",\"os\":\"linux\",\"config\":{\"Cmd\":[\"/bin/sh\"]},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[${ids%,}]}}"
cd_=$(printf %s "$config" | sha256sum | cut -d' ' -f1)
printf %s "$config" > "$L/blobs/sha256/$cd_"
ls_=$(printf '%s,' "${layers[@]}")
manifest="{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":{\"mediaType\":\"application/vnd.oci.image.config.v1+json\",\"digest\":\"sha256:$cd_\",\"size\":${#config}},\"layers\":[${ls_%,}]}"
md=$(printf %s "$manifest" | sha256sum | cut -d' ' -f1)
printf %s "$manifest" > "$L/blobs/sha256/$md"
echo "{\"schemaVersion\":2,\"manifests\":[{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"sha256:$md\",\"size\":${#manifest},\"annotations\":{\"org.opencontainers.image.ref.name\":\"big\"}}]}" > "$L/index.json"
COMPRESSED=$(du -cb "$L"/blobs/sha256/* | tail -1 | cut -f1)

# ---- the registry on loopback ---------------------------------------------------------------
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
HOST=127.0.0.1:$PORT
cat > "$W/registry.yml" <<EOF
version: 0.1
log:
  level: error
storage:
  filesystem:
    rootdirectory: $W/registry
http:
  addr: $HOST
EOF
/usr/bin/docker-registry serve "$W/registry.yml" > "$W/registry.log" 2>&1 &
REG_PID=$!
for _ in $(seq 1 100); do curl -sf "http://$HOST/v2/" >/dev/null && break; sleep 0.1; done
REF=$HOST/bench/big:1
skopeo copy -q --dest-tls-verify=false "oci:$L:big" "docker://$REF"
rm -rf "$L"
echo "image: 6 layers, $((COMPRESSED / 1000000)) MB compressed; berth $("$BERTH" version 2>/dev/null | head -1 || true)" >&2

# ---- the race -------------------------------------------------------------------------------
# Every run pulls into a new, empty target ($W/root-N, $W/dir-N), deleted only after the race:
# on a journal-less ext4 (this machine's) the kernel will not reuse an inode for a minute after
# its deletion and scans past every recently deleted one, so deleting the previous run's 3 000
# files just before a run made berth's next pull pay that scan (a third of its CPU time) for
# the benchmark's own clean-up. `sync` between runs: each run starts with nothing to write back.
echo 0 > "$W/n"
hyperfine --style basic --warmup 1 --runs "$RUNS" --export-markdown "$W/result.md" \
  --prepare "echo \$((\$(cat $W/n) + 1)) > $W/n; sync; sleep 0.5" \
  -n "berth image pull (with unpack)" "$BERTH --root $W/root-\$(cat $W/n) image pull -q $REF" \
  -n "skopeo copy to dir:" "skopeo copy -q --src-tls-verify=false docker://$REF dir:$W/dir-\$(cat $W/n)"
cat "$W/result.md"
# what berth stored: the unpacked layers
root=$W/root-$(cat "$W/n")
"$BERTH" --root "$root" image pull "$REF" | tail -1
echo "unpacked: $(du -sb "$root/images/layers" | cut -f1) bytes in $(find "$root/images/layers" -type f | wc -l) files"
