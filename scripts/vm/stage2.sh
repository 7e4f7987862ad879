#!/bin/bash
# Stage 2: PID 1 of the VM's final root (host userland read-only + tmpfs, pure cgroup v2). Puts
# itself where CG_MODE says, runs gtest.sh with its output on the serial console and in
# /vmio/out/test.log, records the status in /vmio/out/rc and powers off. PID 1 (this shell) also
# reaps whatever gets orphaned meanwhile (berth's monitors).
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb LANG=C.UTF-8 LC_ALL=C.UTF-8
B=/.vm/busybox
. /vmio/config.sh
$B hostname berth-vm
$B ip link set lo up
mkdir -p /vmio/out
start=$(cut -d' ' -f1 /proc/uptime)
echo "$start" >/vmio/out/boot_uptime
echo "[vm] stage2 at ${start}s: kernel $(uname -r), $(nproc) cpus, $(($(sed -n 's/MemTotal: *\([0-9]*\).*/\1/p' /proc/meminfo) / 1024)) MiB, cgroup mode $CG_MODE"
export BERTH_BUILD BERTH_SRC CG_MODE OUT=/vmio/out
cd /tmp
cg=/sys/fs/cgroup
case "$CG_MODE" in
  delegated)  # a service on a systemd host: a leaf cgroup, every controller delegated down to it
    mkdir -p $cg/test.slice/gtest.scope
    echo +cpu +memory +pids +io +cpuset >$cg/test.slice/cgroup.subtree_control 2>/dev/null
    run=(/.vm/gtest.sh) ; enter=$cg/test.slice/gtest.scope ;;
  nested)     # berth inside a container: its own cgroup (and mount) namespace whose root holds
              # processes (the tests) and has the controllers available, like Docker's --cgroupns=private
    mkdir -p $cg/ctr
    run=(unshare --cgroup --mount --propagation private /.vm/gtest.sh --remount-cgroup) ; enter=$cg/ctr ;;
  nodeleg)    # no controller reaches the tests' cgroup (the root enables none): a namespace root
              # whose cgroup.controllers is empty, with the tests in a leaf below it
    mkdir -p $cg/noctl
    run=(unshare --cgroup --mount --propagation private /.vm/gtest.sh --remount-cgroup --leaf) ; enter=$cg/noctl ;;
esac
echo "[vm] cgroup: $(stat -f -c %T $cg), root controllers '$(cat $cg/cgroup.controllers)', subtree_control '$(cat $cg/cgroup.subtree_control)'"
echo "[vm] ---- test output ----"
( echo $BASHPID >$enter/cgroup.procs && exec "${run[@]}" $TEST_ARGS </dev/null 2>&1; ) | $B tee /vmio/out/test.log
echo "${PIPESTATUS[0]}" >/vmio/out/rc
end=$(cut -d' ' -f1 /proc/uptime)
echo "$end" >/vmio/out/end_uptime
echo "[vm] ---- end (status $(cat /vmio/out/rc), ${start}s -> ${end}s uptime) ----"
sync
$B poweroff -f
