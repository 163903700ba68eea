#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# hw-queues: agent/hw drives L1's emulated NVMe through VFIO. Bad input is refused with the device
# left as found; then virt-nvmepool-hwtest adopts it, creates 63 hardware I/O queue pairs, writes
# distinct patterns through 8 queues concurrently, reads them back through 8 other queues (0
# mismatches), reads through every queue, deletes all and releases; the kernel nvme driver
# rebinds and Linux reads the patterns back intact. A second adoption resets the controller and
# checks every queue pair is reported lost and a new one works.
# nvp-testbed: --ssd serial=nvp-hw0,size=1G,max_ioqpairs=64 --timeout 1500
. /nvp/src/tests/testbed/lib.sh

[[ -x $NVP_HWTEST && ${NVP_BUILD_OK:-0} == 1 ]] ||
    tap_bail "virt-nvmepool-hwtest was not built inside the testbed root (run: tests/testbed/nvp-testbed build)"

bdf=$(find_nvme_bdf nvp-hw0) || tap_bail "no emulated NVMe with serial nvp-hw0 in L1"
tap_is "L1 sees the emulated NVMe at $bdf, bound to the nvme driver" "$(pci_driver "$bdf")" nvme
modprobe vfio-pci 2>/dev/null

# ns_dev: the kernel block device of namespace 1 of $bdf (waits up to 15 s for it).
ns_dev() {
    local i n
    for ((i = 0; i < 150; i++)); do
        for n in /sys/bus/pci/devices/$bdf/nvme/nvme*/nvme*n1; do
            [[ -e $n && -e /dev/$(basename "$n") ]] && { basename "$n"; return 0; }
        done
        sleep 0.1
    done
    return 1
}

# expect_refusal DESC PATTERN CMD...: CMD must fail with an error matching PATTERN.
expect_refusal() {
    local desc=$1 pat=$2 out rc=0
    shift 2
    out=$("$@" 2>&1) || rc=$?
    if ((rc != 0)) && grep -Eq -- "$pat" <<<"$out"; then
        tap_ok "$desc"
        tap_diag "$out"
    else
        tap_fail "$desc" "exit status $rc, want non-zero and /$pat/" "$out"
    fi
}

ns=$(ns_dev) || tap_bail "no namespace block device under $bdf"
tap_ok "namespace 1 of $bdf is /dev/$ns"

# ---- bad input: precise errors, device left as found
host_bridge=0000:00:00.0
expect_refusal "a PCI function that is not NVMe ($host_bridge) is refused" \
    "$host_bridge: not an NVMe controller" "$NVP_HWTEST" "$host_bridge"
expect_refusal "a PCI address that does not exist is refused" "no such PCI device" "$NVP_HWTEST" 0000:00:1f.7
exec 3<"/dev/$ns"
expect_refusal "a controller whose namespace is open is refused" "$bdf: .*in use: open by process [0-9]+" \
    "$NVP_HWTEST" "$bdf"
exec 3<&-
mkfs=()
if command -v mkfs.ext4 >/dev/null; then
    mkfs=(mkfs.ext4 -q -F "/dev/$ns" 64M)
elif busybox mke2fs --help >/dev/null 2>&1; then
    mkfs=(busybox mke2fs -F "/dev/$ns" 65536)
fi
modprobe ext4 2>/dev/null
if ((${#mkfs[@]})) && grep -qw ext4 /proc/filesystems; then
    mkdir -p /tmp/hw-mnt
    if "${mkfs[@]}" >/dev/null 2>&1 && mount -t ext4 "/dev/$ns" /tmp/hw-mnt; then
        expect_refusal "a controller whose namespace is mounted is refused" \
            "$bdf: namespace $ns is in use: mounted at /tmp/hw-mnt" "$NVP_HWTEST" "$bdf"
        umount /tmp/hw-mnt
    else
        tap_fail "a controller whose namespace is mounted is refused" "${mkfs[*]} / mount of /dev/$ns failed"
    fi
else
    tap_skip "a controller whose namespace is mounted is refused" "no mkfs for ext4 or no ext4 in L1"
fi
tap_is "after the refusals $bdf is still driven by nvme" "$(pci_driver "$bdf")" nvme

# ---- 63 queue pairs, 8 writers, 8 other readers, all queues read, release
chunks=256
active=8
expect=/tmp/hw-queues.expect
start=$(date +%s.%N)
out=$("$NVP_HWTEST" "$bdf" --queues 63 --active $active --chunks $chunks --expect "$expect" 2>&1)
rc=$?
end=$(date +%s.%N)
printf '%s\n' "$out" | sed 's/^/# /'
tap_diag "hwtest wall time: $(awk "BEGIN { printf \"%.1f\", $end - $start }") s"
tap_is "hwtest exit status" "$rc" 0
tap_is "63 I/O queue pairs created" \
    "$(grep -Eo '^created [0-9]+ I/O queue pairs' <<<"$out")" "created 63 I/O queue pairs"
tap_is "8 write queues completed $chunks writes each" \
    "$(awk '$3 == "write" && $4 == '"$chunks"' && $7 == 0 { n++ } END { print n + 0 }' <<<"$out")" 8
tap_is "8 other queues read the $chunks chunks of each region back" \
    "$(awk '$3 == "read" && $5 >= '"$chunks"' && $6 == 0 && $7 == 0 { n++ } END { print n + 0 }' <<<"$out")" 8
tap_is "every one of the 63 queues did verified I/O without error" \
    "$(awk '$1 ~ /^[0-9]+$/ && NF >= 9 && ($4 + $5) > 0 && $6 == 0 && $7 == 0 { n++ } END { print n + 0 }' <<<"$out")" 63
tap_is "0 mismatches, 0 errors in total" "$(grep -E '^total:' <<<"$out")" "total: 0 mismatches, 0 errors"
tap_ok_if() { if eval "$2"; then tap_ok "$1"; else tap_fail "$1" "${3:-}"; fi; }
foreign=$(grep -E '^foreign eventfd:' <<<"$out")
n_irq=$(grep -Eo 'signalled [0-9]+ interrupts' <<<"$foreign" | grep -Eo '[0-9]+')
tap_ok_if "an eventfd received from another process (SCM_RIGHTS) is signalled by its hardware vector" \
    '[[ ${n_irq:-0} -gt 0 ]]' "$foreign"
tap_is "all queue pairs deleted" "$(grep -Eo '^deleted [0-9]+ I/O queue pairs' <<<"$out")" "deleted 63 I/O queue pairs"

# ---- adopt again: controller reset reports every queue pair lost, a new one works after it
out=$("$NVP_HWTEST" "$bdf" --queues 4 --active 4 --chunks $chunks --reset 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/# /'
tap_is "second adoption with a controller reset: exit status" "$rc" 0
tap_is "the reset reported all 4 queue pairs lost and freed every qid" \
    "$(grep -Eo '^reset in [0-9.]+ ms: [0-9]+ of [0-9]+ queue pairs reported lost, [0-9]+ free' <<<"$out" | sed 's/in [0-9.]* ms/in T ms/')" \
    "reset in T ms: 4 of 4 queue pairs reported lost, 64 free"
tap_is "a queue pair recreated after the reset reads region 0 back intact" \
    "$(grep -Eo 'read [0-9]+ chunks back, [0-9]+ mismatches, [0-9]+ errors' <<<"$out")" \
    "read $chunks chunks back, 0 mismatches, 0 errors"
tap_is "an admin command that never completes times out (Abort, reset if needed); the controller stays usable" \
    "$(grep -Eo '^(admin timeout after|after the admin timeout: controller healthy)' <<<"$out" | tr '\n' '|')" \
    "admin timeout after|after the admin timeout: controller healthy|"

# ---- back to Linux
tap_is "$bdf is driven by nvme again after release" "$(pci_driver "$bdf")" nvme
if ns2=$(ns_dev); then
    tap_ok "namespace 1 reappeared as /dev/$ns2"
    bytes=$((active * chunks * 4096))
    if dd if="/dev/$ns2" of=/tmp/hw-queues.actual bs=4096 count=$((active * chunks)) iflag=direct status=none &&
        cmp "$expect" /tmp/hw-queues.actual; then
        tap_ok "Linux reads the $bytes bytes written through hardware queues intact (dd + cmp)"
        tap_diag "$(od -A d -t x8 -N 32 /tmp/hw-queues.actual)"
    else
        tap_fail "Linux reads the $bytes bytes written through hardware queues intact (dd + cmp)" \
            "$(cmp "$expect" /tmp/hw-queues.actual 2>&1 | head -n 3)"
    fi
else
    tap_fail "namespace 1 reappeared after release"
fi
tap_done
