#!/bin/sh
# What berth can leave on a host, listed one object per line: its bridges and veths, nftables
# tables, mounts, container cgroups, monitor and DNS processes, and the tests' temporary folders.
# ctest takes a snapshot before the first test and compares after the last (tests/CMakeLists.txt):
# whatever a test made and did not remove, or removed and did not make, fails the suite.
#   host_state.sh snapshot FILE | check FILE
set -eu
list() {
  ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' | grep -E '^(brt-|vb-)' | sed 's/^/link /' || true
  nft list tables 2>/dev/null | grep -E ' berth-' | sed 's/^/nft /' || true
  awk '$5 ~ /berth/ { print "mount " $5 }' /proc/self/mountinfo
  for d in /sys/fs/cgroup/berth /sys/fs/cgroup/*/berth; do
    [ -d "$d" ] && find "$d" -mindepth 1 -maxdepth 1 -type d | sed 's/^/cgroup /'
  done
  ps -eo pid=,comm= | awk '$2 == "berth-monitor" || $2 == "berth-dns" { print "process " $2 " " $1 }'
  # (not the fuzz targets' scratch folders: a fuzzing run may come and go beside the suite)
  find /tmp -mindepth 1 -maxdepth 1 -name 'berth-*' ! -name 'berth-fuzz-*' | sed 's/^/tmp /'
}
case "${1:-}" in
  snapshot) list | sort > "$2" ;;
  check)
    list | sort > "$2.after"
    left=$(comm -13 "$2" "$2.after" | sed 's/^/left behind: /')
    gone=$(comm -23 "$2" "$2.after" | sed 's/^/removed (not made by the tests): /')
    rm -f "$2.after"
    if [ -n "$left$gone" ]; then
      printf '%s\n' "$left" "$gone" | sed '/^$/d'
      exit 1
    fi
    echo "the host is as the tests found it"
    ;;
  *) echo "usage: $0 snapshot FILE | check FILE" >&2; exit 2 ;;
esac
