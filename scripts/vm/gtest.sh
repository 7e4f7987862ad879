#!/bin/bash
# Runs GoogleTest executables of the build dir in the VM. Args: [--remount-cgroup [--leaf]]
# BINARY[:FILTER]... (BINARY relative to $BERTH_BUILD/tests). Prints each binary's results and
# failures; full logs and XML reports go to $OUT/gtest/. Exit status 0 when every run passed.
set -u
if [ "${1:-}" = --remount-cgroup ]; then
  # In a fresh cgroup + mount namespace (stage2.sh): mount cgroup2 again so that /sys/fs/cgroup is
  # this namespace's root, as a container sees it.
  shift
  umount -l /sys/fs/cgroup && mount -t cgroup2 cgroup2 /sys/fs/cgroup || { echo "gtest.sh: cgroup remount failed"; exit 1; }
  if [ "${1:-}" = --leaf ]; then
    shift
    mkdir -p /sys/fs/cgroup/tests && echo $$ >/sys/fs/cgroup/tests/cgroup.procs
  fi
fi
echo "[vm] tests in cgroup $(cat /proc/self/cgroup) (controllers there: '$(cat /sys/fs/cgroup/cgroup.controllers)')"
mkdir -p "$OUT/gtest"
rc_all=0
for spec in "$@"; do
  bin=${spec%%:*} filter='*'
  [ "$spec" != "$bin" ] && filter=${spec#*:}
  exe=$BERTH_BUILD/tests/$bin
  [ -x "$exe" ] || { echo "gtest.sh: $exe missing"; rc_all=1; continue; }
  tag=$(echo "$bin-$filter" | tr -c 'A-Za-z0-9_.-' '_' | cut -c1-80)
  t0=$(cut -d' ' -f1 /proc/uptime)
  echo "===== $bin --gtest_filter=$filter"
  "$exe" --gtest_filter="$filter" --gtest_color=no --gtest_output="xml:$OUT/gtest/$tag.xml" >"$OUT/gtest/$tag.log" 2>&1
  rc=$?
  t1=$(cut -d' ' -f1 /proc/uptime)
  grep -E '^\[ *(OK|FAILED|PASSED|SKIPPED) *\]|^\[==========\]' "$OUT/gtest/$tag.log"
  awk '/^\[ RUN/ {buf=""} {buf = buf $0 "\n"} /^\[  FAILED  \].*\(/ {print "----- failure -----\n" buf}' "$OUT/gtest/$tag.log" | head -200
  echo "===== $bin: exit $rc, $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.0f", b-a}')s"
  [ $rc = 0 ] || rc_all=1
done
exit $rc_all
