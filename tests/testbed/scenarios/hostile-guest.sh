#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# hostile-guest: a hostile vfio-user guest (tests/hostile/nvp-hostile) attacks a strict slice of a
# real controller (L1's emulated NVMe through VFIO) while a victim slice of the same controller is
# active beside it with a known pattern on its extent and in its guest memory. Every attack case
# (docs/security.md) is one TAP line: the attacker gets the expected error status or is
# disconnected, and afterwards the agent is alive with no fd left over, its stats show no attacker
# queue, the victim's memory and extent read back unchanged, and a new attacker can bind all of
# its queue pairs again (the SSD has exactly as many queue pairs as both slices are granted, so a
# leaked hardware queue pair fails the next case). Finally L1's nvme driver reads the victim
# extent and every gap around the extents back intact.
# nvp-testbed: --ssd serial=nvp-hostile0,size=64M,max_ioqpairs=3 --timeout 1500
. /nvp/src/tests/testbed/lib.sh
. /nvp/src/tests/testbed/slice-lib.sh
need_build

NVP_HOSTILE=$NVP_BUILD/tests/hostile/nvp-hostile
[[ -x $NVP_HOSTILE ]] || tap_bail "nvp-hostile was not built inside the testbed root"

NS_MIB=64
ATT_OFF=1 ATT_MIB=4 # attacker extent [1, 5) MiB
VIC_OFF=6 VIC_MIB=2 # victim extent [6, 8) MiB; a 1 MiB gap between them

bdf=$(find_nvme_bdf nvp-hostile0) || tap_bail "no emulated NVMe with serial nvp-hostile0 in L1"
dev=$(ns_block_dev "$bdf") || tap_bail "no namespace block device under $bdf"
lba=$(cat "/sys/block/$dev/queue/logical_block_size")
tap_check "fill the whole $NS_MIB MiB namespace of $bdf with random data" fill_random "$dev" 0 "$NS_MIB"
before_lo=$(ns_hash "$dev" 0 "$ATT_OFF")
before_gap=$(ns_hash "$dev" $((ATT_OFF + ATT_MIB)) $((VIC_OFF - ATT_OFF - ATT_MIB)))
before_hi=$(ns_hash "$dev" $((VIC_OFF + VIC_MIB)) $((NS_MIB - VIC_OFF - VIC_MIB)))

mib_lbas() { echo $(($1 * 1048576 / lba)); }
att="ctrl=$bdf,nsid=1,lba-start=$(mib_lbas $ATT_OFF),lba-count=$(mib_lbas $ATT_MIB),queues=2,mode=strict,socket=/run/nvp/attacker.sock,name=attacker"
vic="ctrl=$bdf,nsid=1,lba-start=$(mib_lbas $VIC_OFF),lba-count=$(mib_lbas $VIC_MIB),queues=1,mode=strict,socket=/run/nvp/victim.sock,name=victim"
agent_start agent-hostile "$att" "$vic" ||
    tap_bail "the agent did not start: $(tail -n 5 "$NVP_RUN/agent-hostile.log")"
tap_ok "agent serves two strict slices of $bdf: attacker at $ATT_OFF MiB ($ATT_MIB MiB, 2 queue pairs), victim at $VIC_OFF MiB ($VIC_MIB MiB, 1 queue pair)"

# nvp-hostile's TAP lines become ours (renumbered); '#' lines after a case are its diagnostics.
start=$(date +%s)
"$NVP_HOSTILE" --attacker /run/nvp/attacker.sock --victim /run/nvp/victim.sock \
    --agent-pid "$AGENT_PID" --stats-file "$NVP_RUN/agent-hostile.stats" \
    --attacker-name attacker --victim-name victim --attacker-queues 2 \
    --victim-rel-lba "$(mib_lbas $((VIC_OFF - ATT_OFF)))" ${HOSTILE_ONLY:+--only "$HOSTILE_ONLY"} \
    >"$NVP_RUN/hostile.tap" 2>"$NVP_RUN/hostile.err"
rc=$?
end=$(date +%s)
n_ok=0 n_fail=0
while IFS= read -r line; do
    case $line in
    "ok "*) n_ok=$((n_ok + 1)); tap_ok "hostile ${line#ok * - }" ;;
    "not ok "*) n_fail=$((n_fail + 1)); tap_fail "hostile ${line#not ok * - }" ;;
    "Bail out!"*) tap_fail "nvp-hostile: ${line#Bail out! }" ;;
    "#"*) echo "$line" ;;
    esac
done <"$NVP_RUN/hostile.tap"
tap_diag "nvp-hostile: $n_ok cases passed, $n_fail failed in $((end - start)) s (exit status $rc)"
[[ -s $NVP_RUN/hostile.err ]] && tap_diag "$(tail -n 20 "$NVP_RUN/hostile.err")"
tap_is "nvp-hostile ran every case and all passed" "$rc" 0

tap_check "agent still alive after every case" kill -0 "$AGENT_PID"
kill -USR1 "$AGENT_PID" 2>/dev/null
sleep 1
tap_diag "$(cat "$NVP_RUN/agent-hostile.stats" 2>/dev/null)"
tap_diag "agent warnings: $(grep -ci warning "$NVP_RUN/agent-hostile.log") (last: $(grep -i warning "$NVP_RUN/agent-hostile.log" | tail -n 3))"
agent_stop # not under tap_check: wait needs the agent to be a child of this shell
tap_is "agent stops cleanly (SIGTERM) and releases $bdf" "$?" 0
tap_diag "agent log (last lines): $(tail -n 15 "$NVP_RUN/agent-hostile.log")"

dev=$(ns_block_dev "$bdf") || tap_bail "$bdf did not come back to the nvme driver"
want=$("$NVP_HOSTILE" --print-pattern $((VIC_MIB << 20)) | sha256sum | cut -d' ' -f1)
tap_is "L1 kernel driver: the victim extent holds exactly the victim's pattern" \
    "$(ns_hash "$dev" "$VIC_OFF" "$VIC_MIB")" "$want"
tap_is "L1 kernel driver: the $ATT_OFF MiB before the attacker extent are untouched" \
    "$(ns_hash "$dev" 0 "$ATT_OFF")" "$before_lo"
tap_is "L1 kernel driver: the gap between the extents is untouched" \
    "$(ns_hash "$dev" $((ATT_OFF + ATT_MIB)) $((VIC_OFF - ATT_OFF - ATT_MIB)))" "$before_gap"
tap_is "L1 kernel driver: everything after the victim extent is untouched" \
    "$(ns_hash "$dev" $((VIC_OFF + VIC_MIB)) $((NS_MIB - VIC_OFF - VIC_MIB)))" "$before_hi"
tap_done
