#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds the testbed's Debian 13 root into DIR (run on L0 as root, by `nvp-testbed setup`):
# debootstrap trixie minbase, the packages of packages.txt, then the L1 and L2 boot images.
# Usage: mkroot.sh DIR MIRROR
set -euo pipefail

dir=$1
mirror=$2
tbdir=$(cd "$(dirname "$0")" && pwd)
root=$dir/root

log() { printf 'nvp-testbed setup: %s\n' "$*" >&2; }

main_pkgs=()
bp_pkgs=()
while read -r line; do
    line=${line%%#*}
    line=${line//[[:space:]]/}
    [[ -n $line ]] || continue
    if [[ $line == backports:* ]]; then
        bp_pkgs+=("${line#backports:}")
    else
        main_pkgs+=("$line")
    fi
done <"$tbdir/packages.txt"

log "debootstrap trixie (minbase) from $mirror"
t0=$SECONDS
debootstrap --variant=minbase trixie "$root" "$mirror" >"$dir/debootstrap.log" 2>&1 || {
    tail -n 30 "$dir/debootstrap.log" >&2
    exit 1
}
log "debootstrap done in $((SECONDS - t0)) s"

cat >"$root/etc/apt/sources.list" <<SRC
deb $mirror trixie main
deb $mirror trixie-updates main
deb $mirror trixie-backports main
SRC
cat >"$root/etc/apt/apt.conf.d/90nvp-testbed" <<'CONF'
APT::Install-Recommends "false";
APT::Install-Suggests "false";
Acquire::Languages "none";
Dpkg::Options { "--force-confdef"; "--force-confold"; };
CONF
# No daemons start inside the chroot while packages install.
printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
chmod 755 "$root/usr/sbin/policy-rc.d"
# The kernel's postinst would build an initramfs-tools image nobody uses.
mkdir -p "$root/etc/initramfs-tools"
printf 'update_initramfs=no\n' >"$root/etc/initramfs-tools/update-initramfs.conf"
mkdir -p "$root/etc/kernel/postinst.d"

# Everything else runs in the chroot, in a private mount namespace so the mounts die with it.
unshare --mount --propagation private -- bash -euo pipefail -c '
root=$1; shift
mount -t proc proc "$root/proc"
mount --rbind /dev "$root/dev"
mount --rbind /sys "$root/sys"
mount -t tmpfs tmpfs "$root/tmp"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
    DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 HOME=/root "$@"
' _ "$root" bash -euo pipefail -c '
n_main=$1; shift
main=("${@:1:$n_main}"); shift "$n_main"
bp=("$@")
apt-get update -qq
apt-get install -y -qq "${main[@]}" >/var/log/nvp-install.log 2>&1 || { tail -n 40 /var/log/nvp-install.log; exit 1; }
if ((${#bp[@]})); then
    apt-get install -y -qq -t trixie-backports "${bp[@]}" >>/var/log/nvp-install.log 2>&1 || { tail -n 40 /var/log/nvp-install.log; exit 1; }
fi
apt-get clean
rm -rf /var/lib/apt/lists/* /boot/initrd.img-*
' _ "${#main_pkgs[@]}" "${main_pkgs[@]}" "${bp_pkgs[@]}"
log "packages installed ($((SECONDS - t0)) s so far)"

# Fixed mount points: /nvp/{src,build,run} are 9p shares in L1 and bind mounts in the chroot;
# /var/lib/nvp-testbed/lower is where L0's chroot re-exports the bare root to L1.
mkdir -p "$root/nvp/src" "$root/nvp/build" "$root/nvp/run" "$root/var/lib/nvp-testbed/lower"
rm -f "$root/etc/resolv.conf"
echo nvp-l1 >"$root/etc/hostname"

# Boot images, built inside the root with its own tools.
mkdir -p "$root/var/lib/nvp-testbed/mk"
cp "$tbdir/mkinitrd.sh" "$tbdir/l1-init" "$tbdir/l2-init" "$root/var/lib/nvp-testbed/mk/"
unshare --mount --propagation private -- bash -euo pipefail -c '
root=$1
mount -t proc proc "$root/proc"
mount -t tmpfs tmpfs "$root/tmp"
exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C.UTF-8 \
    bash /var/lib/nvp-testbed/mk/mkinitrd.sh
' _ "$root"
log "boot images built ($((SECONDS - t0)) s total)"
