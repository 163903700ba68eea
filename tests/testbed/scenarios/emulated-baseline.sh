#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# emulated-baseline: the reference fio job against QEMU's emulated NVMe inside an L2 guest (the
# software-emulation ratio every virt-nvmepool figure is compared with, next to vfio-baseline).
# nvp-testbed: --timeout 3000
. /nvp/src/tests/testbed/lib.sh

guest_tap "L2 guest with an emulated NVMe ran to completion" --nvme-emulated -- "
ctrl=\$(nvme_ctrl nvp-emu)
ns=\$(nvme_ns nvp-emu)
step 'L2 finds the emulated controller' test -n \"\$ns\"
step 'nvme id-ctrl on the emulated NVMe' nvme id-ctrl \"\$ctrl\"
step 'fio 64 MiB 4 KiB randrw, crc32c verify, on the emulated NVMe' $(fio_verify_cmd '$ns' 64M)
"
tap_done
