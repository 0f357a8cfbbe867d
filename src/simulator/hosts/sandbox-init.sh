# PID 1 of one simulated machine. Started by sandbox.ts as
#   unshare --mount --pid --fork --net --uts --ipc -- bash -c <this> init ROOTFS DISK HOSTNAME PRIVATE_IP [NODE]
# It builds the machine's private root, pivots into it, reports "ready <host pid>" on stdout and
# then waits on stdin: when the simulator closes the pipe (or dies), PID 1 exits and the kernel
# kills every process of the machine, which also drops its mounts and network namespace.
set -euo pipefail
rootfs=$1 disk=$2 name=$3 private_ip=$4 host_node=${5:-}

# /proc is still the host's here, so this reads the host pid of this very shell.
while read -r key value _; do
  if [ "$key" = NSpid: ]; then host_pid=$value; fi
done </proc/self/status

# unshare(1) already made every mount private: nothing below propagates back to the host.
mount -n -t tmpfs -o mode=755,size=16m rootfs "$rootfs"

# The operating system: the host's, read-only. Merged-/usr symlinks (/bin -> usr/bin) are copied.
for dir in usr etc bin sbin lib lib32 lib64 libx32; do
  if [ -L "/$dir" ]; then
    ln -s "$(readlink "/$dir")" "$rootfs/$dir"
  elif [ -d "/$dir" ]; then
    mkdir "$rootfs/$dir"
    mount -n --bind -o ro "/$dir" "$rootfs/$dir"
  fi
done

# The machine's own disk: the only writable places, kept across reboots.
for dir in root home opt srv var tmp mnt; do
  mkdir -p "$disk/$dir" "$rootfs/$dir"
  mount -n --bind "$disk/$dir" "$rootfs/$dir"
done
chmod 1777 "$disk/tmp"
chmod 700 "$disk/root"

mkdir "$rootfs/proc" "$rootfs/run" "$rootfs/dev" "$rootfs/sys"
mount -n -t proc -o nosuid,nodev,noexec proc "$rootfs/proc"
mount -n -t tmpfs -o mode=755,nosuid,nodev,size=64m run "$rootfs/run"
mount -n -t tmpfs -o mode=755,nosuid,size=1m dev "$rootfs/dev"
for node in null zero full random urandom tty; do
  touch "$rootfs/dev/$node"
  mount -n --bind "/dev/$node" "$rootfs/dev/$node"
done
ln -s /proc/self/fd "$rootfs/dev/fd"
ln -s /proc/self/fd/0 "$rootfs/dev/stdin"
ln -s /proc/self/fd/1 "$rootfs/dev/stdout"
ln -s /proc/self/fd/2 "$rootfs/dev/stderr"
mkdir "$rootfs/dev/shm"
mount -n -t tmpfs -o mode=1777,nosuid,nodev,size=64m shm "$rootfs/dev/shm"

# The simulator's agent runs on the host's Node.js; when that lives outside the system
# directories (nvm, a tarball in /opt), its binary alone is shown read-only as /.kgd-node.
if [ -n "$host_node" ]; then
  touch "$rootfs/.kgd-node"
  mount -n --bind -o ro "$host_node" "$rootfs/.kgd-node"
fi

hostname "$name"
ip link set lo up
# A NIC carrying the private IP, as on the real subnet; its peer stays inside the machine too.
ip link add eth0 type veth peer name veth-peer
ip addr add "$private_ip/24" dev eth0
ip link set veth-peer up
ip link set eth0 up

cd "$rootfs"
mkdir .host
pivot_root . .host
umount -n -l /.host
rmdir /.host
cd /
# The root itself holds only mount points: nothing can be created beside them.
mount -n -o remount,bind,ro /

echo "ready $host_pid"
# Orphans re-parent to this shell, which reaps them while it waits.
while read -r _; do :; done
