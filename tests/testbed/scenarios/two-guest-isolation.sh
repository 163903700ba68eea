#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# two-guest-isolation: two L2 guests at once, each on its own strict slice of one L1 controller
# (disjoint extents with a gap), each writes its own pattern over its whole device and reads it
# back; L1 then finds both extents holding their guest's pattern and the gap and the rest of the
# namespace untouched. guest-b's slice may use one hardware MSI-X vector only (max-vectors=1) and
# its guest two interrupt-driven queues (nvme.write_queues=1), so the agent demultiplexes its
# interrupts, while guest-a's completions never involve the agent. scripts/demo runs this logic
# too (NVP_TB_DEMO=1 prints a summary).
# nvp-testbed: --ssd serial=nvp-iso0,size=256M,max_ioqpairs=64 --timeout 3000
. /nvp/src/tests/testbed/lib.sh
. /nvp/src/tests/testbed/slice-lib.sh
need_build

NS_MIB=256
EXT_MIB=${NVP_TB_EXT_MIB:-32}
A_OFF=16                        # extent A: [16, 16+EXT) MiB
B_OFF=$((A_OFF + EXT_MIB + 32)) # extent B after a 32 MiB gap
GAP_OFF=$((A_OFF + EXT_MIB))
A_PAT=a5
B_PAT=5a

bdf=$(find_nvme_bdf nvp-iso0) || tap_bail "no emulated NVMe with serial nvp-iso0 in L1"
dev=$(ns_block_dev "$bdf") || tap_bail "no namespace block device under $bdf"
lba=$(cat "/sys/block/$dev/queue/logical_block_size")
tap_check "fill the whole $NS_MIB MiB namespace with random data" fill_random "$dev" 0 "$NS_MIB"
before_lo=$(ns_hash "$dev" 0 "$A_OFF")
before_gap=$(ns_hash "$dev" "$GAP_OFF" 32)
before_hi=$(ns_hash "$dev" $((B_OFF + EXT_MIB)) $((NS_MIB - B_OFF - EXT_MIB)))
spec() { # NAME OFF_MIB [EXTRA]
    echo "ctrl=$bdf,nsid=1,lba-start=$(($2 * 1048576 / lba)),lba-count=$((EXT_MIB * 1048576 / lba)),queues=2,mode=strict,socket=/run/nvp/$1.sock,name=$1,serial=nvp-$1${3:+,$3}"
}
NVP_TB_STATS_POLL=${NVP_TB_STATS_POLL:-20} # snapshots while the guests run: vectors in use
agent_start agent-iso "$(spec guest-a $A_OFF)" "$(spec guest-b $B_OFF max-vectors=1)" ||
    tap_bail "the agent did not start: $(tail -n 5 "$NVP_RUN/agent-iso.log")"
tap_ok "agent serves two strict slices of $bdf: guest-a at $A_OFF MiB, guest-b at $B_OFF MiB ($EXT_MIB MiB each)"

guest_script() { # NAME PATTERN
    cat <<EOS
ns=\$(nvme_ns nvp-$1)
step '$1: sees its slice (\$ns, $EXT_MIB MiB)' test "\$(blockdev --getsize64 \$ns)" = $((EXT_MIB << 20))
step '$1: writes pattern 0x$2 over its whole device and reads it back' fio --name=$1 --filename=\$ns \
    --rw=write --bs=128k --direct=1 --ioengine=libaio --iodepth=8 --size=${EXT_MIB}M \
    --verify=pattern --verify_pattern=0x$2 --do_verify=1 --verify_fatal=1 --output-format=terse --terse-version=3
sleep 5
step '$1: reads only its own pattern back (second pass)' fio --name=$1-check --filename=\$ns \
    --rw=read --bs=128k --direct=1 --ioengine=libaio --iodepth=8 --size=${EXT_MIB}M \
    --verify=pattern --verify_pattern=0x$2 --verify_only=1 --verify_fatal=1 --output-format=terse --terse-version=3
$(guest_sha_cmd '$ns')
EOS
}

start=$(date +%s)
nvp-testbed guest --vfio-user /run/nvp/guest-a.sock --timeout 2400 -- "$(guest_script guest-a $A_PAT)" \
    >"$NVP_RUN/guest-a.log" 2>&1 &
pa=$!
nvp-testbed guest --vfio-user /run/nvp/guest-b.sock --kernel-arg nvme.write_queues=1 --timeout 2400 -- "$(guest_script guest-b $B_PAT)" \
    >"$NVP_RUN/guest-b.log" 2>&1 &
pb=$!
wait $pa; ra=$?
wait $pb; rb=$?
end=$(date +%s)
for g in guest-a guest-b; do
    sed 's/^/# /' "$NVP_RUN/$g.log" | grep -av '^# *$' | tail -n 40
    while IFS= read -r line; do
        case $line in
        "@@nvp-step ok "*) tap_ok "${line:14:${#line}-16}" ;;
        "@@nvp-step fail "*) line=${line:16:${#line}-18}; tap_fail "${line#* }" "exit status ${line%% *}" ;;
        esac
    done < <(grep -a '^@@nvp-step \(ok\|fail\) ' "$NVP_RUN/$g.log")
done
tap_is "guest-a ran to completion" "$ra" 0
tap_is "guest-b ran to completion" "$rb" 0
tap_diag "both guests ran concurrently for $((end - start)) s"

pattern_hash() { head -c "$((EXT_MIB << 20))" /dev/zero | tr '\0' "\\$(printf '%03o' "0x$1")" | sha256sum | cut -d' ' -f1; }
want_a=$(pattern_hash $A_PAT)
want_b=$(pattern_hash $B_PAT)
tap_is "guest-a's device holds only guest-a's pattern" "$(guest_sha "$NVP_RUN/guest-a.log")" "$want_a"
tap_is "guest-b's device holds only guest-b's pattern" "$(guest_sha "$NVP_RUN/guest-b.log")" "$want_b"

kill -USR1 "$AGENT_PID" 2>/dev/null
sleep 1
# not under tap_check: its $(...) subshell is not the agent's parent, so wait fails there
stop_rc=0
agent_stop || stop_rc=$?
tap_is "agent stops cleanly and releases $bdf" "$stop_rc" 0
stats=$NVP_RUN/agent-iso.stats
tap_diag "$(cat "$stats" 2>/dev/null)"
tap_is "no command of either guest was rejected" "$(stats_value "$stats" io-rejected)" 0
tap_is "guest-a (dedicated vectors): I/O completions handled by the agent" \
    "$(slice_stats_value "$stats" guest-a io-completions-handled-by-agent)" 0
tap_is "guest-a: no shared vector" "$(slice_stats_value "$stats" guest-a shared-vectors)" 0
# the most of guest-b's I/O queues seen sharing a vector in a snapshot taken while it ran
most=0
for f in "$NVP_RUN"/agent-iso.poll.*; do
    [[ -e $f ]] || continue
    n=$(slice_stats_value "$f" guest-b shared)
    ((n > most)) && most=$n
done
tap_is "guest-b (max-vectors=1): two I/O queues on one shared hardware vector while it ran" "$most" 2
fwd=$(slice_stats_value "$stats" guest-b io-completions-handled-by-agent)
wk=$(slice_stats_value "$stats" guest-b shared-vector-wakeups)
if ((fwd > 0 && wk > 0)); then
    tap_ok "guest-b: the agent demultiplexed $wk shared-vector interrupts into $fwd guest interrupts"
else
    tap_fail "guest-b: the agent demultiplexed the shared vector" "forwarded $fwd wake-ups $wk"
fi

dev=$(ns_block_dev "$bdf") || tap_bail "$bdf did not come back to the nvme driver"
tap_is "physical extent A holds guest-a's pattern" "$(ns_hash "$dev" "$A_OFF" "$EXT_MIB")" "$want_a"
tap_is "physical extent B holds guest-b's pattern" "$(ns_hash "$dev" "$B_OFF" "$EXT_MIB")" "$want_b"
tap_is "the 32 MiB gap between the extents is untouched" "$(ns_hash "$dev" "$GAP_OFF" 32)" "$before_gap"
tap_is "the $A_OFF MiB before extent A are untouched" "$(ns_hash "$dev" 0 "$A_OFF")" "$before_lo"
tap_is "the rest after extent B is untouched" \
    "$(ns_hash "$dev" $((B_OFF + EXT_MIB)) $((NS_MIB - B_OFF - EXT_MIB)))" "$before_hi"

if [[ -n ${NVP_TB_DEMO:-} ]]; then
    # fio terse v3: field 7 = read KiB/s, 48 = write KiB/s (of the job that ran)
    for g in guest-a guest-b; do
        w=$(grep -a '^3;' "$NVP_RUN/$g.log" | sed -n 1p | cut -d';' -f48)
        r=$(grep -a '^3;' "$NVP_RUN/$g.log" | sed -n 2p | cut -d';' -f7)
        echo "DEMO $g: wrote $EXT_MIB MiB at ${w:-?} KiB/s, read it back at ${r:-?} KiB/s (fio, 128 KiB, QD8)"
    done
fi
tap_done
