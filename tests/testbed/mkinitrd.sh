#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds the L1 and L2 boot images of the testbed root. Runs INSIDE the root (chroot), called by
# mkroot.sh; writes /var/lib/nvp-testbed/{l1,l2}-initrd.img.
#   L1: busybox + the modules to mount a 9p root with an overlay (init: l1-init).
#   L2: busybox + nvme-cli + fio + their libraries + the nvme modules (init: l2-init; the command
#       to run is appended per boot by `nvp-testbed guest` as a second cpio archive).
set -euo pipefail

out=/var/lib/nvp-testbed
mk=$out/mk
kver=$(ls /lib/modules | sort -V | tail -n 1)
vmlinuz=$(ls /boot/vmlinuz-* | sort -V | tail -n 1)
ln -sf "$vmlinuz" "$out/vmlinuz"

# The uncompressed kernel, booted through its PVH entry point: QEMU loads it directly and the
# guest skips decompressing and relocating itself (-45% boot time under TCG, more when nested).
off=$(python3 -c 'import sys; print(open(sys.argv[1], "rb").read().find(b"\x28\xb5\x2f\xfd"))' "$vmlinuz")
if ((off > 0)) && tail -c +$((off + 1)) "$vmlinuz" | zstd -dcq >"$out/vmlinux" 2>/dev/null; [[ -s $out/vmlinux ]]; then
    :
else
    rm -f "$out/vmlinux"
    echo "mkinitrd: no zstd payload in $vmlinuz; guests boot the compressed kernel" >&2
fi

# Copies modules and their dependencies, decompressed, into $1/lib/modules; writes the load order.
add_modules() {
    local dir=$1 m line f base
    shift
    mkdir -p "$dir/lib/modules"
    : >"$dir/lib/modules/order"
    for m in "$@"; do
        modprobe -S "$kver" --show-depends "$m" | while read -r line; do
            [[ $line == insmod* ]] || continue
            f=$(awk '{print $2}' <<<"$line")
            base=$(basename "$f")
            base=${base%.xz}
            base=${base%.zst}
            grep -qx "$base" "$dir/lib/modules/order" && continue
            case $f in
            *.xz) xz -dc "$f" >"$dir/lib/modules/$base" ;;
            *.zst) zstd -dcq "$f" >"$dir/lib/modules/$base" ;;
            *) cp "$f" "$dir/lib/modules/$base" ;;
            esac
            echo "$base" >>"$dir/lib/modules/order"
        done
    done
}

# Copies binaries and every library ldd lists for them, at the same paths.
add_binaries() {
    local dir=$1 b lib
    shift
    for b in "$@"; do
        install -D -m 755 "$b" "$dir$b"
        for lib in $(ldd "$b" | grep -o '/[^ ]*'); do
            [[ -e $dir$lib ]] || install -D -m 755 "$(readlink -f "$lib")" "$dir$lib"
        done
    done
}

skeleton() {
    local dir=$1
    mkdir -p "$dir"/{bin,dev,proc,sys,tmp,run,etc,root}
    cp /bin/busybox "$dir/bin/busybox"
    ln -s busybox "$dir/bin/sh"
}

# pack DIR OUT [COMPRESSOR]: a newc cpio of DIR (compressed by COMPRESSOR when given).
pack() {
    (cd "$1" && find . | LC_ALL=C sort | cpio -o -H newc --quiet) | ${3:-cat} >"$2"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# L1 stage 1.
skeleton "$work/l1"
add_modules "$work/l1" virtio_pci 9pnet_virtio 9p overlay
install -m 755 "$mk/l1-init" "$work/l1/init"
pack "$work/l1" "$out/l1-initrd.img" "gzip -6"

# L2 base.
skeleton "$work/l2"
add_modules "$work/l2" nvme
add_binaries "$work/l2" /usr/sbin/nvme /usr/bin/fio /usr/bin/lspci
install -m 755 "$mk/l2-init" "$work/l2/init"
# Uncompressed: gunzip of ~60 MB under nested TCG costs the L2 guest tens of seconds per boot.
pack "$work/l2" "$out/l2-initrd.img"

echo "kernel $kver; L1 image $(du -h "$out/l1-initrd.img" | cut -f1), L2 image $(du -h "$out/l2-initrd.img" | cut -f1)"
