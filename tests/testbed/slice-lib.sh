# SPDX-License-Identifier: LGPL-2.1-or-later
# Helpers for scenarios that serve slices of an L1 NVMe controller to L2 guests through the agent
# (guest-io, two-guest-isolation, scripts/demo). Sourced inside L1 after lib.sh.

# ns_block_dev BDF: the kernel block device (nvmeXnY) of namespace 1 of BDF, waiting up to 30 s.
ns_block_dev() {
    local i n
    for ((i = 0; i < 300; i++)); do
        for n in /sys/bus/pci/devices/$1/nvme/nvme*/nvme*n1; do
            [[ -e $n && -e /dev/$(basename "$n") ]] && { basename "$n"; return 0; }
        done
        sleep 0.1
    done
    return 1
}

# ns_hash DEV OFFSET_MIB LEN_MIB: sha256 of LEN_MIB MiB of /dev/DEV from OFFSET_MIB MiB.
ns_hash() {
    dd if="/dev/$1" bs=1M skip="$2" count="$3" iflag=direct status=none | sha256sum | cut -d' ' -f1
}

# fill_random DEV OFFSET_MIB LEN_MIB: random bytes over that range of /dev/DEV.
fill_random() {
    head -c "$(($3 << 20))" /dev/urandom |
        dd of="/dev/$1" bs=1M seek="$2" oflag=direct conv=notrunc status=none iflag=fullblock
}

# agent_start NAME SLICE-SPEC...: starts the agent with one --slice per spec, logging to
# $NVP_RUN/NAME.log and dumping counters to $NVP_RUN/NAME.stats; waits until every socket=
# exists. Sets AGENT_PID.
agent_start() {
    local name=$1 spec sock i args=()
    shift
    mkdir -p /tmp/nvp-agent-state /run/nvp
    cat >/tmp/nvp-agent.conf <<EOF
[agent]
state_dir=/tmp/nvp-agent-state
run_dir=/run/nvp
EOF
    for spec in "$@"; do args+=(--slice "$spec"); done
    "$NVP_AGENT" --config /tmp/nvp-agent.conf ${NVP_TB_AGENT_VERBOSE:+--verbose} \
        --stats-file "$NVP_RUN/$name.stats" "${args[@]}" >"$NVP_RUN/$name.log" 2>&1 &
    AGENT_PID=$!
    for spec in "$@"; do
        sock=$(tr , '\n' <<<"$spec" | sed -n 's/^socket=//p')
        for ((i = 0; i < 600; i++)); do
            [[ -S $sock ]] && break
            kill -0 "$AGENT_PID" 2>/dev/null || { tail -n 20 "$NVP_RUN/$name.log"; return 1; }
            sleep 0.1
        done
        [[ -S $sock ]] || { tail -n 20 "$NVP_RUN/$name.log"; return 1; }
    done
    if [[ -n ${NVP_TB_STATS_POLL:-} ]]; then
        # debugging aid: counters and L1 interrupts every NVP_TB_STATS_POLL seconds into $NVP_RUN
        (
            n=0
            while kill -0 "$AGENT_PID" 2>/dev/null; do
                sleep "$NVP_TB_STATS_POLL"
                kill -USR1 "$AGENT_PID" 2>/dev/null
                sleep 1
                n=$((n + 1))
                { date; cat "$NVP_RUN/$name.stats"; grep -E 'vfio|nvme' /proc/interrupts; } >"$NVP_RUN/$name.poll.$n" 2>&1
            done
        ) &
    fi
}

# agent_stop: SIGTERM, wait (the agent writes its stats file and releases the controllers).
agent_stop() {
    local i
    [[ -n ${AGENT_PID:-} ]] || return 0
    kill -TERM "$AGENT_PID" 2>/dev/null
    for ((i = 0; i < 600; i++)); do
        kill -0 "$AGENT_PID" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$AGENT_PID" 2>/dev/null; then
        kill -KILL "$AGENT_PID"
        wait "$AGENT_PID" 2>/dev/null
        AGENT_PID=
        return 1
    fi
    wait "$AGENT_PID"
    local rc=$?
    AGENT_PID=
    return $rc
}

# stats_value FILE KEY: sum of the values following KEY over every slice in a stats dump.
stats_value() {
    awk -v k="$2" '{ for (i = 1; i < NF; i++) if ($i == k) s += $(i + 1) } END { print s + 0 }' "$1"
}

# slice_stats_value FILE SLICE KEY: the value following KEY in SLICE's section of a stats dump
# (summed over its lines, e.g. per-queue keys).
slice_stats_value() {
    awk -v sl="$2" -v k="$3" '$1 == "slice" { in_sl = ($2 == sl); next }
        in_sl { for (i = 1; i < NF; i++) if ($i == k) s += $(i + 1) } END { print s + 0 }' "$1"
}

# guest_sha_cmd DEV: guest-side command printing '@@sha DEV HASH@@' for the whole device.
guest_sha_cmd() {
    echo "echo \"@@sha \$(dd if=$1 bs=1M 2>/dev/null | sha256sum | cut -d' ' -f1)@@\""
}

# guest_sha LOG: the hash a guest printed with guest_sha_cmd.
guest_sha() {
    grep -ao '@@sha [0-9a-f]*@@' "$1" | tail -n 1 | sed 's/@@sha \(.*\)@@/\1/'
}
