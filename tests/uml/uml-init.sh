#!/bin/sh
# PID 1 of the User-mode Linux guest that tests/uml/uml.sh boots: mount what a Linux
# system has (with the unified cgroup v2 hierarchy and all its controllers), run one TAP
# suite as root, write its output to the raw disk ubdb, power off. The host's root is
# the guest's, read-only (hostfs); HM_WORK_BASE is an ext4 disk (ubda) so that root
# mode's idmapped workspaces work. Everything it needs comes in the kernel command
# line's NAME=VALUE words, which the kernel hands to init as its environment.
export PATH=/usr/sbin:/usr/bin:/sbin:/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t cgroup2 cgroup2 /sys/fs/cgroup
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
mount -t tmpfs tmpfs /dev/shm
for d in /tmp /run /var/tmp; do mount -t tmpfs -o mode=1777 tmpfs "$d"; done
mount -t ext4 /dev/ubda "$HM_WORK_BASE"
chmod 755 "$HM_WORK_BASE"
# The guest kernel's modules (IPv6 is one) are the package's, not the host's.
mount --bind /usr/lib/uml/modules /lib/modules 2>/dev/null && modprobe ipv6 2>/dev/null
export HOME=/root HM_UML=1
cd / || exit 1
{
  echo "# guest: $(uname -sr), cgroup2 controllers: $(cat /sys/fs/cgroup/cgroup.controllers)"
  bash "$HM_SUITE" 2>&1
  echo "# exit $?"
} >/tmp/tap
dd if=/tmp/tap of=/dev/ubdb conv=notrunc status=none
sync
echo o >/proc/sysrq-trigger
sleep 30
