#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# side-by-side (suite bench, issue 10): the same fio jobs in one L2 guest boot against four arms —
# (a) an L1 NVMe passed whole with -device vfio-pci, (b) a strict slice and (c) a trusted slice
# over vfio-user-pci (each on its own identical L1 NVMe, the agent serving both), (d) QEMU's
# emulated NVMe inside L2 — with repetitions interleaved across arms. Prints one '@@bench ...@@'
# line per (repetition, job, arm) with fio's IOPS and mean/p99 completion latency, and the
# agent's CPU time over that run; scripts/bench turns them into the table of docs/performance.md.
# Knobs: NVP_TB_BENCH_RUNTIME (s per run, default 10), NVP_TB_BENCH_REPS (default 2),
# NVP_TB_BENCH_SPAN (bytes of each device the jobs touch, default 64M).
# nvp-testbed: --ssd serial=nvp-ba,size=256M,max_ioqpairs=8 --ssd serial=nvp-bb,size=256M,max_ioqpairs=8
# nvp-testbed: --ssd serial=nvp-bc,size=256M,max_ioqpairs=8 --timeout 5400
. /nvp/src/tests/testbed/lib.sh
. /nvp/src/tests/testbed/slice-lib.sh
need_build

RUNTIME=${NVP_TB_BENCH_RUNTIME:-10}
REPS=${NVP_TB_BENCH_REPS:-2}
SPAN=${NVP_TB_BENCH_SPAN:-64M}
# name:fio arguments — the four jobs of issue 10
JOBS=(
    "randread-4k-qd1:--rw=randread --bs=4k --iodepth=1"
    "randread-4k-qd32:--rw=randread --bs=4k --iodepth=32"
    "randwrite-4k-qd32:--rw=randwrite --bs=4k --iodepth=32"
    "seqread-128k-qd4:--rw=read --bs=128k --iodepth=4"
)

a=$(find_nvme_bdf nvp-ba) || tap_bail "no emulated NVMe nvp-ba in L1"
b=$(find_nvme_bdf nvp-bb) || tap_bail "no emulated NVMe nvp-bb in L1"
c=$(find_nvme_bdf nvp-bc) || tap_bail "no emulated NVMe nvp-bc in L1"
group=$(bind_vfio "$a" 2>&1) || tap_bail "$a to vfio-pci: $group"
tap_ok "arm a: $a bound to vfio-pci ($group)"
dev=$(ns_block_dev "$b") || tap_bail "no namespace under $b"
lba=$(cat "/sys/block/$dev/queue/logical_block_size")
blocks=$((128 * 1048576 / lba))
agent_start agent-bench \
    "ctrl=$b,nsid=1,lba-start=$blocks,lba-count=$blocks,queues=2,mode=strict,socket=/run/nvp/strict.sock,name=strict,serial=nvp-strict" \
    "ctrl=$c,nsid=1,lba-start=0,lba-count=$blocks,queues=2,mode=trusted,socket=/run/nvp/trusted.sock,name=trusted,serial=nvp-trusted" ||
    tap_bail "the agent did not start: $(tail -n 5 "$NVP_RUN/agent-bench.log")"
tap_ok "arms b and c: agent serves a strict slice of $b and a trusted slice of $c (128 MiB each)"

# The guest script: find each arm's namespace, precondition it (written once, so reads hit
# data), then every job on every arm, repetitions outermost. Markers frame each run so L1 can
# sample the agent's CPU time as it starts and ends.
guest_script() {
    local rep job name args arm
    cat <<'EOS'
dev_a=$(nvme_ns nvp-ba); dev_b=$(nvme_ns nvp-strict); dev_c=$(nvme_ns nvp-trusted); dev_d=$(nvme_ns nvp-emu)
step 'L2 sees all four arms' test -n "$dev_a" -a -n "$dev_b" -a -n "$dev_c" -a -n "$dev_d"
echo "@@fio-version $(fio --version)@@"
EOS
    for arm in a b c d; do
        echo "step 'arm $arm: precondition $SPAN' fio --name=pre --filename=\$dev_$arm --rw=write --bs=1M --size=$SPAN --direct=1 --ioengine=libaio --iodepth=4 --output-format=terse"
    done
    for ((rep = 1; rep <= REPS; rep++)); do
        for job in "${JOBS[@]}"; do
            name=${job%%:*}
            args=${job#*:}
            for arm in a b c d; do
                echo "echo '@@bench-begin $rep $name $arm@@'; sleep 1"
                echo "fio --name=$name --filename=\$dev_$arm $args --size=$SPAN --direct=1 --ioengine=libaio --time_based --runtime=$RUNTIME --ramp_time=2 --randrepeat=0 --eta=never --output-format=json --output=/tmp/out.json"
                echo "echo '@@bench-end $rep $name $arm@@'; echo '@@json-begin@@'; cat /tmp/out.json; echo '@@json-end@@'"
            done
        done
    done
}

# Samples the agent's CPU time (utime + stime, clock ticks) at each marker the guest prints.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$AGENT_PID/stat"; }
log=$NVP_RUN/bench-guest.log
: >"$log"
(
    tail -n +1 -F "$log" 2>/dev/null | while IFS= read -r line; do
        case $line in
        *@@bench-begin*@@* | *@@bench-end*@@*) echo "${line//@@/} $(cpu_ticks) $(date +%s.%N)" ;;
        esac
    done >"$NVP_RUN/bench-cpu.txt"
) &
watcher=$!

nvp-testbed guest --vfio-pci "$a" --vfio-user /run/nvp/strict.sock --vfio-user /run/nvp/trusted.sock \
    --nvme-emulated -- "$(guest_script)" >"$log" 2>&1
rc=$?
sleep 1
kill "$watcher" 2>/dev/null
pkill -f "tail -n +1 -F $log" 2>/dev/null
tap_is "the L2 guest ran every job" "$rc" 0
tap_diag "conditions: L1 $(nproc) vCPUs (TCG, intel-iommu), L2 1 vCPU 512 MiB (nested TCG), $(sed -n 's/.*@@fio-version \(.*\)@@.*/\1/p' "$log" | head -n 1), runs of ${RUNTIME} s after 2 s ramp, $REPS repetitions interleaved across arms, jobs over the first $SPAN of each device (written once before)"
grep -a '@@nvp-step' "$log" | sed 's/^/# /'

# Per run: IOPS, mean and p99 completion latency (us) from fio's JSON, agent CPU ms over the run.
rows=$(python3 - "$log" "$NVP_RUN/bench-cpu.txt" "$(getconf CLK_TCK)" <<'EOF'
import json, re, sys
log, cpu, hz = sys.argv[1], sys.argv[2], int(sys.argv[3])
marks = {}
for line in open(cpu, errors="replace"):
    # a marker may follow fio's progress output on the same console line
    m = re.search(r"(bench-begin|bench-end) (\d+) (\S+) (\S) (\d+) ", line)
    if m:
        marks[m.group(1, 2, 3, 4)] = int(m.group(5))
text = open(log, errors="replace").read()
runs = re.findall(r"@@bench-end (\d+) (\S+) (\S)@@.*?@@json-begin@@(.*?)@@json-end@@", text, re.S)
for rep, name, arm, js in runs:
    js = js[js.find("{"):js.rfind("}") + 1]
    try:
        j = json.loads(js)["jobs"][0]
    except (ValueError, KeyError, IndexError):
        print(f"# {rep} {name} {arm}: no fio JSON")
        continue
    side = j["read"] if j["read"]["io_bytes"] > 0 else j["write"]
    clat = side.get("clat_ns", {})
    p99 = clat.get("percentile", {}).get("99.000000", 0) / 1000
    b, e = marks.get(("bench-begin", rep, name, arm)), marks.get(("bench-end", rep, name, arm))
    cpu_ms = (e - b) * 1000 / hz if b is not None and e is not None else -1
    ios = side["total_ios"]
    print(f"@@bench rep={rep} job={name} arm={arm} iops={side['iops']:.1f} "
          f"lat_mean_us={clat.get('mean', 0) / 1000:.0f} lat_p99_us={p99:.0f} ios={ios} "
          f"agent_cpu_ms={cpu_ms:.0f}@@")
EOF
)
printf '%s\n' "$rows"
tap_is "fio figures of every run (reps x jobs x arms)" "$(grep -c '^@@bench rep=' <<<"$rows")" $((REPS * ${#JOBS[@]} * 4))
agent_stop
tap_check "$a back to the nvme driver" bind_nvme "$a"
tap_done
