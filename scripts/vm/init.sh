#!/bin/busybox sh
# Stage 1: /init of the initramfs test-in-vm.sh builds. Loads the modules, mounts the host's root
# read-only over virtio-9p, builds a tmpfs root from it (host /usr and /etc, the berth source and
# build dirs bound read-only; fresh tmpfs /tmp /run /var /root), mounts ONLY cgroup2 at
# /sys/fs/cgroup and switch_roots to stage2.sh (a container runtime cannot pivot_root away from an
# initramfs, so the tests must not run in it). Settings: /vmio/config.sh (the read-write 9p share).
/bin/busybox mkdir -p /proc /sys /dev /newroot /vmio /usr/bin /usr/sbin /sbin
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev
echo /bin/modprobe >/proc/sys/kernel/modprobe
echo "[vm] stage1 at $(cut -d' ' -f1 /proc/uptime)s: loading modules" >/dev/console
# 9p first, then what berth uses (overlay, veth, bridge, nf_tables and its expressions, nat), so
# that few request_module() calls are left for the chrooted modprobe set up below.
for m in virtio_pci 9pnet_virtio 9p overlay veth bridge br_netfilter nfnetlink nf_tables \
         nf_conntrack nf_nat nf_defrag_ipv4 nf_defrag_ipv6 nf_reject_ipv4 nf_reject_ipv6 \
         nft_chain_nat nft_nat nft_masq nft_redir nft_ct nft_fib nft_fib_inet nft_fib_ipv4 nft_fib_ipv6 \
         nft_reject nft_reject_inet nft_reject_ipv4 nft_reject_ipv6 nft_limit nft_log nft_compat \
         nft_hash nft_numgen nft_quota nft_socket nft_objref nft_counter nft_meta_bridge nft_reject_bridge \
         nf_conntrack_netlink dummy tun loop; do
  modprobe "$m" 2>/dev/null   # absent or built in on some kernels: fine
done
mkdir -p /host
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=loose,ro hostroot /host || {
  echo "[vm] cannot mount the host root (9p)" >/dev/console; poweroff -f; }
mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000 vmio /vmio || {
  echo "[vm] cannot mount vmio (9p)" >/dev/console; poweroff -f; }
. /vmio/config.sh   # CG_MODE BIND_DIRS ...

R=/newroot
mount -t tmpfs -o mode=0755,size=75% newroot $R
mkdir -p $R/usr $R/etc $R/proc $R/sys $R/dev $R/tmp $R/run $R/var $R/root $R/vmio $R/.vm/host $R/home $R/mnt $R/opt $R/srv
for l in bin sbin lib lib64 lib32 libx32; do
  t=$(readlink /host/$l 2>/dev/null) && ln -s "$t" $R/$l
done
mount --move /host $R/.vm/host
H=$R/.vm/host
for d in usr etc; do mount --bind $H/$d $R/$d && mount -o remount,bind,ro $R/$d; done
mount --move /vmio $R/vmio
mount -t tmpfs -o mode=1777 tmp $R/tmp
mount -t tmpfs -o mode=0755 run $R/run
mount -t tmpfs -o mode=0755 var $R/var
mount -t tmpfs -o mode=0700 root $R/root
# The source and build dirs after the fresh tmpfs dirs: a checkout under /tmp (a CI clone) must
# not be hidden by them.
for pair in $BIND_DIRS; do   # HOSTPATH:VMPATH, read-only
  src=${pair%%:*} dst=${pair#*:}
  mkdir -p "$R$dst" 2>/dev/null
  mount --bind "$H$src" "$R$dst" && mount -o remount,bind,ro "$R$dst" || echo "[vm] cannot bind $src at $dst" >/dev/console
done
mkdir -p $R/var/lib/berth $R/var/tmp $R/var/log $R/run/lock && chmod 1777 $R/var/tmp
mount -t proc proc $R/proc
mount -t sysfs sys $R/sys
mount -t devtmpfs dev $R/dev
mkdir -p $R/dev/pts $R/dev/shm
mount -t devpts -o newinstance,ptmxmode=0666,mode=0620 devpts $R/dev/pts
mount -t tmpfs -o mode=1777 shm $R/dev/shm
# Pure cgroup v2, as systemd mounts it. Controllers enabled below the root as systemd does, except
# in mode nodeleg (stage 2 then puts the tests where none reach).
mount -t cgroup2 -o nsdelegate cgroup2 $R/sys/fs/cgroup
if [ "$CG_MODE" != nodeleg ]; then
  for c in $(cat $R/sys/fs/cgroup/cgroup.controllers); do
    echo "+$c" >$R/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null || echo "[vm] cannot enable $c" >/dev/console
  done
fi
# The kernel's request_module() runs busybox modprobe chrooted into a copy of the modules.
mkdir -p $R/.vm/kmod/bin $R/.vm/kmod/lib
cp /bin/busybox $R/.vm/kmod/bin/busybox && cp /bin/busybox $R/.vm/busybox
cp -a /lib/modules $R/.vm/kmod/lib/
printf '#!/.vm/busybox sh\nexec /.vm/busybox chroot /.vm/kmod /bin/busybox modprobe "$@"\n' >$R/.vm/modprobe
chmod 755 $R/.vm/modprobe
echo /.vm/modprobe >/proc/sys/kernel/modprobe
cp /stage2.sh /gtest.sh $R/.vm/ && chmod 755 $R/.vm/stage2.sh $R/.vm/gtest.sh
echo "[vm] stage1 done at $(cut -d' ' -f1 /proc/uptime)s" >/dev/console
umount /proc /sys /dev 2>/dev/null
exec switch_root $R /.vm/stage2.sh
