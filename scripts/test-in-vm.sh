#!/bin/bash
# Runs GoogleTest executables of a berth build dir in a throw-away qemu VM booting one of Debian's
# own kernels on a pure cgroup v2 hierarchy: the kernels and cgroup set-ups users have, which this
# (hybrid cgroup v1) host is not. The VM's userland is this host's root, shared read-only over
# virtio-9p (every tool and library the build uses is there, at the same paths); no network device.
#
# usage: scripts/test-in-vm.sh [options] BUILD_DIR BINARY[:GTEST_FILTER]...
#   --kernel SUITE  Debian suite whose linux-image-amd64 boots: bullseye (5.10), bookworm (6.1,
#                   default), bookworm-backports (6.12), trixie...; fetched once with apt-get
#                   download into $BERTH_VM_CACHE (default /var/cache/berth-vm)
#   --cgroup MODE   delegated (default): the tests in a leaf cgroup, every controller enabled
#                   below the root (a systemd host); nested: in the root of their own cgroup
#                   namespace, which holds processes and has the controllers (berth inside a
#                   container); nodeleg: in a cgroup namespace no controller reaches
#   -m MiB (2048)  -c CPUS (2)  -t SECONDS wall-clock limit (3600)  -o DIR keep the logs/XML there
# e.g. scripts/test-in-vm.sh --kernel bullseye build integration_runtime 'integration_image:ManyLayers.*'
# Output: the serial console (the tests' results and failures), then timings. Exit status: the
# tests' (0 all passed), 124 on timeout, 125 when the VM reported none, 2 on a usage/set-up error.
# Needs root, qemu-system-x86 and busybox-static (scripts/install-deps.sh). Uses KVM when
# /dev/kvm is usable, else TCG (10-30x slower). Leaves nothing behind but the kernel cache.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
MEM=2048 CPUS=2 TIMEOUT=3600 OUTDIR="" CG_MODE=delegated SUITE=bookworm
usage() { sed -n '7,20p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    -m) MEM=$2; shift 2 ;;
    -c) CPUS=$2; shift 2 ;;
    -t) TIMEOUT=$2; shift 2 ;;
    -o) OUTDIR=$2; shift 2 ;;
    --cgroup) CG_MODE=$2; shift 2 ;;
    --kernel) SUITE=$2; shift 2 ;;
    -h|--help) usage ;;
    -*) echo "test-in-vm: unknown option $1" >&2; usage ;;
    *) break ;;
  esac
done
[ $# -ge 2 ] || usage
case "$CG_MODE" in delegated|nested|nodeleg) ;; *) echo "test-in-vm: --cgroup delegated|nested|nodeleg" >&2; exit 2 ;; esac
BUILD=$(cd "$1" && pwd); shift
[ -x "$BUILD/berth" ] || { echo "test-in-vm: $BUILD/berth missing (build first)" >&2; exit 2; }
for spec in "$@"; do [ -x "$BUILD/tests/${spec%%:*}" ] || { echo "test-in-vm: $BUILD/tests/${spec%%:*} missing" >&2; exit 2; }; done
[ "$(id -u)" = 0 ] || { echo "test-in-vm: needs root (qemu's 9p export of / reads every file)" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null || { echo "test-in-vm: apt-get install qemu-system-x86" >&2; exit 2; }
BUSYBOX=${BUSYBOX:-/bin/busybox}
"$BUSYBOX" --list 2>/dev/null | grep -qx switch_root || { echo "test-in-vm: busybox-static needed" >&2; exit 2; }
# The tests have the source and build dirs compiled in: the VM shows both at those paths.
SRC=$(sed -n 's/^CMAKE_HOME_DIRECTORY:INTERNAL=//p' "$BUILD/CMakeCache.txt")
VMBUILD=$(sed -n 's/^CMAKE_CACHEFILE_DIR:INTERNAL=//p' "$BUILD/CMakeCache.txt")
binds="$SRC:$SRC"
[ "$BUILD" = "$VMBUILD" ] && [ "${BUILD#"$SRC"/}" != "$BUILD" ] || binds="$binds $BUILD:$VMBUILD"
# examples/visits' base image is made from Debian's mirror, which the VM cannot reach, and cached
# under /var, a fresh tmpfs there: the VM sees the host's cache (read-only) at the default path.
examples_cache=${BERTH_EXAMPLES_CACHE:-/var/cache/berth-examples}
[ ! -d "$examples_cache" ] || binds="$binds $examples_cache:/var/cache/berth-examples"
ACCEL=tcg
[ -w /dev/kvm ] && ACCEL=kvm

KDIR=$("$here/vm/fetch-kernel.sh" "$SUITE" "${BERTH_VM_CACHE:-/var/cache/berth-vm}")
kver=$(cat "$KDIR/kver")

work=$(mktemp -d /tmp/berth-vm.XXXXXX)
qpid=""
cleanup() {
  # the VM (qemu is this script's child: its pid, never a name), then the temp dir
  if [ -n "$qpid" ] && kill -0 "$qpid" 2>/dev/null; then kill "$qpid" 2>/dev/null; sleep 1; kill -9 "$qpid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# initramfs: static busybox, the modules, stage 1 (init) and the scripts stage 1 installs
ir=$work/initramfs
mkdir -p "$ir/bin" "$ir/lib"
cp "$BUSYBOX" "$ir/bin/busybox"
cp -a "$KDIR/modules/lib/modules" "$ir/lib/"
cp "$here/vm/init.sh" "$ir/init" && cp "$here/vm/stage2.sh" "$here/vm/gtest.sh" "$ir/" && chmod 755 "$ir"/init "$ir"/*.sh
(cd "$ir" && find . | "$BUSYBOX" cpio -o -H newc 2>/dev/null | gzip -1 >"$work/initrd.gz")
# the share the VM writes into: its settings in, out/ (logs, XML, status) back
io=$work/io
mkdir -p "$io/out"
printf 'CG_MODE=%q\nBIND_DIRS=%q\nBERTH_BUILD=%q\nBERTH_SRC=%q\nTEST_ARGS=%q\n' "$CG_MODE" "$binds" "$VMBUILD" "$SRC" "$*" >"$io/config.sh"

echo "[host] qemu $ACCEL, ${MEM} MiB, $CPUS cpus, kernel $kver ($SUITE), cgroup $CG_MODE, build $BUILD: $*" >&2
t0=$(date +%s.%N)
: >"$work/console"
set +e
# Each 9p export gets its own device numbers (multidevs=remap): the host's / spans several file systems.
qemu-system-x86_64 -accel "$ACCEL" -m "$MEM" -smp "$CPUS" -nographic -no-reboot -nic none \
  -serial file:"$work/console" -monitor none -display none \
  -kernel "$KDIR/vmlinuz" -initrd "$work/initrd.gz" -append "console=ttyS0 loglevel=3 panic=-1 rw" \
  -virtfs local,path=/,mount_tag=hostroot,security_model=none,readonly=on,multidevs=remap \
  -virtfs local,path="$io",mount_tag=vmio,security_model=none,multidevs=remap </dev/null >"$work/qemu.log" 2>&1 &
qpid=$!
# the console as it comes (tail ends with qemu)
tail --pid="$qpid" -n +1 -f "$work/console" 2>/dev/null | sed -u -e 's/\r//g' -e 's/\x1b\[[0-9;?]*[a-zA-Z]//g' &
timed_out=0
for ((s = 0; ; s++)); do
  kill -0 "$qpid" 2>/dev/null || break
  [ "$s" -lt "$TIMEOUT" ] || { timed_out=1; break; }
  sleep 1
done
[ $timed_out = 1 ] && { echo "[host] VM timed out after ${TIMEOUT}s" >&2; kill "$qpid" 2>/dev/null; }
wait "$qpid" 2>/dev/null
qpid=""
wait
set -e
t1=$(date +%s.%N)
rc=$(cat "$io/out/rc" 2>/dev/null || echo 125)
[ $timed_out = 1 ] && rc=124
[ "$rc" = 125 ] && { echo "[host] the VM reported no status; qemu said:" >&2; cat "$work/qemu.log" >&2; }
awk -v a="$t0" -v b="$t1" -v s="$(cat "$io/out/boot_uptime" 2>/dev/null)" -v e="$(cat "$io/out/end_uptime" 2>/dev/null)" 'BEGIN {
  printf "[host] wall %.0fs (boot to tests %ss of guest uptime, tests %s s)\n", b - a, s, (s != "" && e != "") ? sprintf("%.0f", e - s) : "?" }' >&2
if [ -n "$OUTDIR" ]; then mkdir -p "$OUTDIR" && cp -a "$io/out/." "$OUTDIR/" && echo "[host] logs in $OUTDIR" >&2; fi
echo "[host] status $rc" >&2
exit "$rc"
