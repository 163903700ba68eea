#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# scale (suite 'bench', issue 10): N slices active on one agent over four emulated NVMe
# controllers, activated through the control API in steps; per step the time per activation and
# the agent's memory per slice (VmRSS, RssAnon, Pss); then one idle in-tree vfio-user client on
# every endpoint (negotiated, 64 KiB of guest RAM mapped) and the agent's wake-ups per idle second
# (context switches of all its threads). Figures only: the targets (<= 64 KiB per slice, 0
# wake-ups per idle second) are reported, never asserted. Knobs: NVP_TB_SCALE_STEPS (default
# "16 256 1024 4096"), NVP_TB_SCALE_BUDGET_S (no new step after it, default 1800).
# nvp-testbed: --ssd serial=nvp-scale0,size=1100M,max_ioqpairs=1025,msix_qsize=65
# nvp-testbed: --ssd serial=nvp-scale1,size=1100M,max_ioqpairs=1025,msix_qsize=65
# nvp-testbed: --ssd serial=nvp-scale2,size=1100M,max_ioqpairs=1025,msix_qsize=65
# nvp-testbed: --ssd serial=nvp-scale3,size=1100M,max_ioqpairs=1025,msix_qsize=65
# nvp-testbed: --timeout 3000
# Run from a copy: bash reads a script as it goes, and this one runs for many minutes.
if [[ $0 != /tmp/nvp-scale-run.sh ]]; then
    cp "$0" /tmp/nvp-scale-run.sh && exec bash /tmp/nvp-scale-run.sh "$@"
fi
. /nvp/src/tests/testbed/lib.sh
need_build

NVP_SCALE=$NVP_BUILD/tests/bench/nvp-scale
[[ -x $NVP_SCALE ]] || tap_bail "nvp-scale was not built inside the testbed root"
STEPS=${NVP_TB_SCALE_STEPS:-16 256 1024 4096}
BUDGET_S=${NVP_TB_SCALE_BUDGET_S:-1800} # no new step starts after this many seconds
IDLE_S=10

# fds: 4096 slices hold a listening socket, a connection and a DMA fd each. Only the hard limit
# is raised here (like systemd's 1024:524288 for services): the agent raises its soft limit.
ulimit -Sn 1024
ulimit -Hn 1048576 2>/dev/null
tap_diag "RLIMIT_NOFILE soft $(ulimit -Sn) hard $(ulimit -Hn), fs.nr_open $(cat /proc/sys/fs/nr_open), L1 $(nproc) vCPUs, $(awk '/MemTotal/ { print int($2 / 1024) " MiB" }' /proc/meminfo)"
modprobe vfio-pci 2>/dev/null

ctrls=()
for serial in nvp-scale0 nvp-scale1 nvp-scale2 nvp-scale3; do
    bdf=$(find_nvme_bdf "$serial") || tap_bail "no emulated NVMe with serial $serial in L1"
    IFS=':.' read -r dom bus slot fn <<<"$bdf"
    ctrls+=("pci_${dom}_${bus}_${slot}_${fn}")
done
nctrl=${#ctrls[@]}

work=/tmp/nvp-scale
rm -rf "$work"
mkdir -p "$work/state" "$work/run"
sock=$work/run/agent.sock
log=$NVP_RUN/scale-agent.log
cat >"$work/agent.conf" <<CONF
[agent]
state_dir=$work/state
run_dir=$work/run
[limits]
max_slices_per_controller=1024
CONF
"$NVP_AGENT" --config "$work/agent.conf" >"$log" 2>&1 &
agent_pid=$!
client_pid=
trap '[[ -n $client_pid ]] && kill "$client_pid" 2>/dev/null; [[ -n $agent_pid ]] && kill "$agent_pid" 2>/dev/null' EXIT
cli() { "$NVP_CLI" --connect "$sock" "$@"; }
for _ in $(seq 300); do
    cli stats >/dev/null 2>&1 && break
    kill -0 "$agent_pid" 2>/dev/null || break
    sleep 0.1
done
tap_check "the agent answers on its control API" cli stats
for c in "${ctrls[@]}"; do
    tap_check "ctrl-adopt $c" cli ctrl-adopt "$c"
done
tap_diag "agent $(grep -i 'open files' "/proc/$agent_pid/limits" | tr -s ' ')"

# mem_kib FIELD: a field of /proc/PID/status (VmRSS, RssAnon, RssFile, RssShmem) or Pss from
# smaps_rollup, in KiB.
mem_kib() {
    case $1 in
    Pss*) awk -v k="$1:" '$1 == k { print $2 }' "/proc/$agent_pid/smaps_rollup" ;;
    *) awk -v k="$1:" '$1 == k { print $2 }' "/proc/$agent_pid/status" ;;
    esac
}
# ctxsw PID: voluntary + involuntary context switches summed over every thread of PID.
ctxsw() {
    cat /proc/"$1"/task/*/status 2>/dev/null |
        awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ { s += $2 } END { print s + 0 }'
}
# ctxsw_by_thread PID: "comm switches" per thread, for finding who wakes up.
ctxsw_by_thread() {
    awk '/^Name:/ { c = $2; k[c]++ } /^(voluntary|nonvoluntary)_ctxt_switches:/ { n[c] += $2 }
        END { for (c in n) print c, k[c], n[c] }' /proc/"$1"/task/*/status 2>/dev/null | sort
}
# wakeups PID SECONDS: context switches per second over SECONDS (one decimal).
wakeups() {
    local a b
    a=$(ctxsw "$1")
    sleep "$2"
    b=$(ctxsw "$1")
    awk -v a="$a" -v b="$b" -v s="$2" 'BEGIN { printf "%.1f", (b - a) / s }'
}
snapshot() { # label n: one row of the table
    local rss anon file shm pss thr fds
    rss=$(mem_kib VmRSS) anon=$(mem_kib RssAnon) file=$(mem_kib RssFile) shm=$(mem_kib RssShmem)
    pss=$(mem_kib Pss)
    thr=$(awk '/^Threads:/ { print $2 }' "/proc/$agent_pid/status")
    fds=$(ls "/proc/$agent_pid/fd" | wc -l)
    echo "$1|$2|$rss|$anon|$file|$shm|$pss|$thr|$fds"
}
per_slice() { # value base n -> KiB per slice (one decimal)
    awk -v v="$1" -v b="$2" -v n="$3" 'BEGIN { if (n > 0) printf "%.1f", (v - b) / n; else print "-" }'
}

sleep 1
base=$(snapshot base 0)
IFS='|' read -r _ _ rss0 anon0 _ _ pss0 _ _ <<<"$base"
tap_diag "agent before any slice: VmRSS $rss0 KiB, RssAnon $anon0 KiB, Pss $pss0 KiB"
idle0=$(wakeups "$agent_pid" 5)
tap_diag "agent wake-ups per second with $nctrl controllers adopted, no slice: $idle0"

rows=()
act_rows=()
have=()
for ((k = 0; k < nctrl; k++)); do have[k]=0; done
n=0
start=$(date +%s)
for target in $STEPS; do
    ((target > n)) || continue
    ((target <= nctrl * 1024)) || { tap_diag "step $target skipped: $nctrl controllers x 1024 slices"; continue; }
    if (($(date +%s) - start > BUDGET_S)); then
        tap_diag "step $target skipped: the time budget of $BUDGET_S s is spent"
        break
    fi
    add=$((target - n))
    ok=1
    sum_us=0 sum_create=0 max_us=0
    t0=$(date +%s.%N)
    for ((k = 0; k < nctrl; k++)); do
        # slices n..target-1 go round the controllers in blocks
        cnt=$((add / nctrl + (k < add % nctrl ? 1 : 0)))
        ((cnt > 0)) || continue
        out=$("$NVP_SCALE" activate --address "unix:path=$sock" --ctrl "${ctrls[$k]}" \
            --prefix "c${k}s" --first "${have[$k]}" --count "$cnt" 2>&1) || ok=0
        have[k]=$((have[k] + cnt))
        tap_diag "$out"
        line=$(grep '^nvp-scale-activate' <<<"$out")
        mean=$(sed -n 's/.* activate_mean_us=\([0-9]*\).*/\1/p' <<<"$line")
        cmean=$(sed -n 's/.* create_mean_us=\([0-9]*\).*/\1/p' <<<"$line")
        mx=$(sed -n 's/.* activate_max_us=\([0-9]*\).*/\1/p' <<<"$line")
        done_n=$(sed -n 's/.* count=\([0-9]*\) .*/\1/p' <<<"$line")
        sum_us=$((sum_us + ${mean:-0} * ${done_n:-0}))
        sum_create=$((sum_create + ${cmean:-0} * ${done_n:-0}))
        ((${mx:-0} > max_us)) && max_us=$mx
    done
    t1=$(date +%s.%N)
    if ((ok)); then
        tap_ok "$add more slices activated through the control API ($target active)"
        n=$target
    else
        got=$(cli slice-list 2>/dev/null | grep -c 'c[0-9]s[0-9]')
        tap_fail "$add more slices activated through the control API ($target active)" \
            "only $got slices are active; the figures below are for $got"
        add=$((got - n)) n=$got
        ((add > 0)) || break
    fi
    act_rows+=("$n|$add|$((sum_create / add))|$((sum_us / add))|$max_us|$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')")
    rows+=("$(snapshot "slices" "$n")")
    ((ok)) || break
done
tap_is "slice-list counts $n active slices" "$(cli slice-list 2>/dev/null | grep -c 'c[0-9]s[0-9]')" "$n"
idle_noclient=$(wakeups "$agent_pid" 5)
tap_diag "agent wake-ups per second with $n slices, no client: $idle_noclient"

# one idle client per endpoint
cout=$NVP_RUN/scale-clients.out
"$NVP_SCALE" clients --dir "$work/run/slices" --ram-kib 64 >"$cout" 2>"$NVP_RUN/scale-clients.err" &
client_pid=$!
for ((i = 0; i < 12000; i++)); do
    grep -q '^nvp-scale-clients' "$cout" 2>/dev/null && break
    kill -0 "$client_pid" 2>/dev/null || break
    sleep 0.1
done
cline=$(grep '^nvp-scale-clients' "$cout")
tap_diag "$cline"
tap_diag "(rtt: one BAR0 register read through the agent's main loop, with 1 client connected and with all $n; the loop polls every endpoint's fd on each wake-up)"
[[ -s $NVP_RUN/scale-clients.err ]] && tap_diag "$(head -n 5 "$NVP_RUN/scale-clients.err")"
tap_is "every endpoint holds a connected client with guest RAM mapped" \
    "$(sed -n 's/.*connected=\([0-9]*\) failed=\([0-9]*\).*/\1 \2/p' <<<"$cline")" "$n 0"
sleep 20 # the mapper jobs pin the RAM of every client; GLib's idle shared threads leave after 15 s
rows+=("$(snapshot "slices+clients" "$n")")
tap_diag "agent threads by name (name, threads, context switches so far):"
tap_diag "$(ctxsw_by_thread "$agent_pid")"
before=$(ctxsw_by_thread "$agent_pid")
idle=$(wakeups "$agent_pid" "$IDLE_S")
after=$(ctxsw_by_thread "$agent_pid")
tap_diag "wake-ups during the $IDLE_S idle seconds by thread name: $(join <(echo "$before") <(echo "$after") |
    awk '$5 - $3 > 0 { printf "%s %d; ", $1, $5 - $3 }')"
client_idle=$(wakeups "$client_pid" 2)
tap_diag "agent wake-ups per idle second with $n connected clients: $idle (the clients: $client_idle)"
tap_check "the agent is alive" kill -0 "$agent_pid"

kill -TERM "$client_pid" 2>/dev/null
wait "$client_pid" 2>/dev/null
client_pid=
t0=$(date +%s.%N)
kill -TERM "$agent_pid"
wait "$agent_pid"
rc=$?
t1=$(date +%s.%N)
agent_pid_was=$agent_pid
agent_pid=
tap_is "the agent stops cleanly with $n slices active" "$rc" 0
stop_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }')
tap_diag "agent stop with $n slices: $stop_s s; warnings in its log: $(grep -ci warning "$log")"
grep -i warning "$log" | head -n 5 | sed 's/^/# /'

# ---- the table (TAP comments) and one machine-readable line
tap_diag "activation through the control API (vol-create + slice-activate, one D-Bus call each; TCG L1):"
tap_diag "$(printf '%8s %8s %16s %18s %16s %10s' 'active' 'added' 'vol-create ms' 'slice-activate ms' 'activate max ms' 'step s')"
for r in "${act_rows[@]}"; do
    IFS='|' read -r a b c d e f <<<"$r"
    tap_diag "$(printf '%8s %8s %16s %18s %16s %10s' "$a" "$b" "$(awk -v x="$c" 'BEGIN { printf "%.2f", x / 1000 }')" \
        "$(awk -v x="$d" 'BEGIN { printf "%.2f", x / 1000 }')" "$(awk -v x="$e" 'BEGIN { printf "%.2f", x / 1000 }')" "$f")"
done
tap_diag "agent memory (KiB; per slice = (value - value with no slice) / slices):"
tap_diag "(RSS-guest: VmRSS less RssShmem, the clients' guest RAM the agent maps)"
tap_diag "$(printf '%-15s %6s %8s %8s %8s %8s %8s %8s %6s %10s %14s %11s %10s' state slices VmRSS RssAnon RssFile RssShmem Pss threads fds 'RSS/slice' 'RSS-guest/slice' 'Anon/slice' 'Pss/slice')"
for r in "$base" "${rows[@]}"; do
    IFS='|' read -r l s rss anon file shm pss thr fds <<<"$r"
    tap_diag "$(printf '%-15s %6s %8s %8s %8s %8s %8s %8s %6s %10s %14s %11s %10s' "$l" "$s" "$rss" "$anon" "$file" "$shm" "$pss" "$thr" "$fds" \
        "$(per_slice "$rss" "$rss0" "$s")" "$(per_slice $((rss - shm)) "$rss0" "$s")" \
        "$(per_slice "$anon" "$anon0" "$s")" "$(per_slice "$pss" "$pss0" "$s")")"
done
IFS='|' read -r _ _ rssN anonN _ shmN pssN thrN fdsN <<<"${rows[-1]}"
last_act=${act_rows[-1]}
IFS='|' read -r _ _ cms ams _ _ <<<"$last_act"
own=$(per_slice $((rssN - shmN)) "$rss0" "$n")
tap_diag "targets: RSS <= 64 KiB per slice: $(awk -v r="$(per_slice "$rssN" "$rss0" "$n")" -v o="$own" 'BEGIN { print (o <= 64 ? "met" : "not met") " (" o " KiB without the guest RAM mapped, " r " KiB with it)" }'); 0 wake-ups per idle second: $(awk -v w="$idle" 'BEGIN { print (w == 0 ? "met" : "not met") " (" w "/s)" }')"
echo "# scale-result slices=$n controllers=$nctrl activate_mean_ms_last_step=$(awk -v x="$ams" 'BEGIN { printf "%.2f", x / 1000 }') create_mean_ms_last_step=$(awk -v x="$cms" 'BEGIN { printf "%.2f", x / 1000 }') rss_kib=$rssN rss_per_slice_kib=$(per_slice "$rssN" "$rss0" "$n") rss_noguest_per_slice_kib=$own anon_per_slice_kib=$(per_slice "$anonN" "$anon0" "$n") pss_per_slice_kib=$(per_slice "$pssN" "$pss0" "$n") shmem_kib=$shmN threads=$thrN fds=$fdsN wakeups_idle_per_s=$idle wakeups_no_slice_per_s=$idle0 wakeups_no_client_per_s=$idle_noclient stop_s=$stop_s rtt_one_connected_us=$(sed -n 's/.* rtt_one_connected_us=\(-*[0-9]*\).*/\1/p' <<<"$cline") rtt_all_connected_us=$(sed -n 's/.* rtt_all_connected_us=\(-*[0-9]*\).*/\1/p' <<<"$cline")"
: "$agent_pid_was"
tap_done
