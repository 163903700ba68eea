#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# vfio-baseline: the VFIO reference. L1's emulated NVMe is bound to vfio-pci and passed whole to
# an L2 guest (-device vfio-pci); the guest identifies it and runs the reference fio job on it.
# nvp-testbed: --ssd serial=nvp-vfio0,size=1G,max_ioqpairs=8 --timeout 3000
. /nvp/src/tests/testbed/lib.sh

bdf=$(find_nvme_bdf nvp-vfio0) || tap_bail "no emulated NVMe with serial nvp-vfio0 in L1"
tap_is "L1 sees the emulated NVMe at $bdf, bound to the nvme driver" "$(pci_driver "$bdf")" nvme
if group=$(bind_vfio "$bdf" 2>&1); then
    tap_ok "$bdf bound to vfio-pci ($group)"
else
    tap_fail "$bdf bound to vfio-pci" "$group"
    tap_done
fi
tap_is "$bdf is now driven by vfio-pci" "$(pci_driver "$bdf")" vfio-pci

guest_tap "L2 guest with $bdf passed through ran to completion" --vfio-pci "$bdf" -- "
ctrl=\$(nvme_ctrl nvp-vfio0)
ns=\$(nvme_ns nvp-vfio0)
step 'L2 finds the passed-through controller' test -n \"\$ns\"
step 'nvme id-ctrl over vfio-pci' nvme id-ctrl \"\$ctrl\"
step 'fio 64 MiB 4 KiB randrw, crc32c verify, over vfio-pci' $(fio_verify_cmd '$ns' 64M)
"

tap_check "$bdf back to the nvme driver" bind_nvme "$bdf"
tap_done
