#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# guest-io: a stock Linux L2 guest does verified I/O on a slice (128 MiB extent of L1's emulated
# NVMe, 2 queue pairs) served by the agent over vfio-user: nvme id-ctrl/id-ns/smart-log, fio
# 4 KiB randrw crc32c verify over the whole device and a 1 MiB sequential verify job. Then L1
# checks the namespace holds the guest's data exactly at the extent and nothing else changed, and
# the agent's counters show it did no work per completion. Strict mode first (extent at 64 MiB),
# then trusted (at LBA 0: the SSD executes a trusted guest's commands untranslated).
# nvp-testbed: --ssd serial=nvp-io0,size=512M,max_ioqpairs=64 --timeout 3000
. /nvp/src/tests/testbed/lib.sh
. /nvp/src/tests/testbed/slice-lib.sh
need_build

EXT_MIB=128
NS_MIB=512
FIO_SIZE=${NVP_TB_FIO_SIZE:-${EXT_MIB}M}
# randrw I/O in all, at random offsets over the whole device (48 K I/Os for all 128 MiB would take
# ~10 minutes per mode at the ~80 IOPS a nested TCG guest manages; the 1 MiB job covers every block)
FIO_IO=${NVP_TB_FIO_IO:-32M}
MODES=${NVP_TB_MODES:-strict trusted}

bdf=$(find_nvme_bdf nvp-io0) || tap_bail "no emulated NVMe with serial nvp-io0 in L1"
dev=$(ns_block_dev "$bdf") || tap_bail "no namespace block device under $bdf"
lba=$(cat "/sys/block/$dev/queue/logical_block_size")
tap_ok "L1 namespace /dev/$dev of $bdf, $lba-byte blocks"
tap_check "fill the whole $NS_MIB MiB namespace with random data" fill_random "$dev" 0 "$NS_MIB"
lba_count=$((EXT_MIB * 1024 * 1024 / lba))

for mode in $MODES; do
    sock=/run/nvp/io-$mode.sock
    serial=nvp-slice-$mode
    EXT_OFF_MIB=64
    [[ $mode == trusted ]] && EXT_OFF_MIB=0
    lba_start=$((EXT_OFF_MIB * 1024 * 1024 / lba))
    dev=$(ns_block_dev "$bdf") || { tap_fail "$mode: $bdf has its namespace block device"; continue; }
    lo=$(ns_hash "$dev" 0 "$EXT_OFF_MIB")
    hi=$(ns_hash "$dev" $((EXT_OFF_MIB + EXT_MIB)) $((NS_MIB - EXT_OFF_MIB - EXT_MIB)))
    if ! agent_start "agent-$mode" \
        "ctrl=$bdf,nsid=1,lba-start=$lba_start,lba-count=$lba_count,queues=2,mode=$mode,socket=$sock,name=io-$mode,serial=$serial"; then
        tap_fail "$mode: agent serves the slice on $sock" "$(tail -n 20 "$NVP_RUN/agent-$mode.log")"
        continue
    fi
    tap_ok "$mode: agent serves the slice on $sock ($bdf adopted, extent $lba_start+$lba_count)"

    guest_tap "$mode: L2 guest on the slice ran to completion" --vfio-user "$sock" --timeout 2400 ${NVP_TB_GUEST_VERBOSE:+--verbose} -- "
ctrl=\$(nvme_ctrl $serial)
ns=\$(nvme_ns $serial)
step '$mode: L2 sees the slice (\$ns)' test -n \"\$ns\"
step '$mode: the slice is $EXT_MIB MiB' test \"\$(blockdev --getsize64 \$ns)\" = $((EXT_MIB << 20))
step '$mode: nvme id-ctrl' nvme id-ctrl \$ctrl
step '$mode: nvme id-ns' nvme id-ns \$ns
step '$mode: nvme smart-log' nvme smart-log \$ctrl
if [ -n \"${NVP_TB_PROBE:-}\" ]; then
    step '$mode: probe: 4 sync 4 KiB reads' timeout 120 fio --name=pr --filename=\$ns --rw=read --bs=4k --size=16k --direct=1 --ioengine=psync
    cat /proc/interrupts
    step '$mode: probe: 4 sync 4 KiB writes' timeout 120 fio --name=pw --filename=\$ns --rw=write --bs=4k --size=16k --direct=1 --ioengine=psync
    cat /proc/interrupts
fi
step '$mode: fio 4 KiB randrw crc32c verify, $FIO_IO at random offsets over $FIO_SIZE' $(fio_verify_cmd '$ns' "$FIO_SIZE" "$FIO_IO")
step '$mode: fio 1 MiB sequential write + crc32c verify over $FIO_SIZE' fio --name=seq --filename=\$ns \
    --size=$FIO_SIZE --rw=write --bs=1M --direct=1 --ioengine=libaio --iodepth=4 --verify=crc32c \
    --do_verify=1 --verify_fatal=1 --output-format=normal
$(guest_sha_cmd '$ns')
"
    gsha=$(guest_sha "$GUEST_LOG")
    tap_diag "L1 interrupts of $bdf: $(grep -E 'vfio|nvme' /proc/interrupts | tr -s ' ' | head -n 8)"
    kill -USR1 "$AGENT_PID" 2>/dev/null
    sleep 1
    # not under tap_check: its $(...) subshell is not the agent's parent, so wait fails there
    stop_rc=0
    agent_stop || stop_rc=$?
    tap_is "$mode: agent stops cleanly and releases $bdf" "$stop_rc" 0
    stats=$NVP_RUN/agent-$mode.stats
    tap_diag "$(cat "$stats" 2>/dev/null)"
    if [[ $mode == strict ]]; then
        sub=$(stats_value "$stats" io-submitted)
        rej=$(stats_value "$stats" io-rejected)
        if ((sub > 0)); then tap_ok "$mode: the agent validated $sub guest I/O commands"; else tap_fail "$mode: the agent validated guest I/O commands" "io-submitted $sub"; fi
        tap_is "$mode: no command of the stock guest was rejected" "$rej" 0
    else
        db=$(stats_value "$stats" io-sq-doorbells)
        sub=$(stats_value "$stats" io-submitted)
        if ((db > 0 && sub == 0)); then
            tap_ok "$mode: the agent forwarded $db SQ tail doorbells and translated no command"
        else
            tap_fail "$mode: the agent forwards doorbells only" "io-sq-doorbells $db io-submitted $sub"
        fi
    fi
    tap_is "$mode: I/O completions handled by the agent" "$(stats_value "$stats" io-completions-handled-by-agent)" 0

    dev=$(ns_block_dev "$bdf") || { tap_fail "$mode: $bdf back with the nvme driver"; continue; }
    tap_is "$mode: the extent of the physical namespace holds the guest's data" \
        "$(ns_hash "$dev" "$EXT_OFF_MIB" "$EXT_MIB")" "${gsha:-no hash from the guest}"
    if ((EXT_OFF_MIB > 0)); then
        tap_is "$mode: the $EXT_OFF_MIB MiB before the extent are unchanged" "$(ns_hash "$dev" 0 "$EXT_OFF_MIB")" "$lo"
    fi
    tap_is "$mode: the $((NS_MIB - EXT_OFF_MIB - EXT_MIB)) MiB after the extent are unchanged" \
        "$(ns_hash "$dev" $((EXT_OFF_MIB + EXT_MIB)) $((NS_MIB - EXT_OFF_MIB - EXT_MIB)))" "$hi"
done
agent_stop
tap_done
