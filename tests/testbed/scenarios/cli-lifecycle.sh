#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# cli-lifecycle: virt-nvmepoold runs as a daemon in L1 and the virt-nvmepool CLI drives it over
# the control API: ctrl-adopt of the emulated NVMe (real VFIO), three vol-create, vol-list --json,
# vol-delete, an agent restart (controller re-adopted, extents unchanged), ctrl-release refused
# with an explanation while volumes exist; an agent killed with SIGKILL restarts with nothing
# lost; a slice gets a vctrl endpoint and blocks deletion/release until deactivated;
# vol-delete --wipe zeroes exactly its extent (Linux reads it back after the release).
# nvp-testbed: --ssd serial=nvp-cli0,size=1G,max_ioqpairs=16 --timeout 900
. /nvp/src/tests/testbed/lib.sh
need_build

bdf=$(find_nvme_bdf nvp-cli0) || tap_bail "no emulated NVMe with serial nvp-cli0 in L1"
tap_is "L1 sees the emulated NVMe at $bdf, bound to the nvme driver" "$(pci_driver "$bdf")" nvme
modprobe vfio-pci 2>/dev/null
IFS=':.' read -r dom bus slot fn <<<"$bdf"
ctrl="pci_${dom}_${bus}_${slot}_${fn}"

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

work=$(mktemp -d /tmp/nvp-cli.XXXXXX)
# A pattern where db01 (LBA 0) and db03 (at 384 MiB) will be: the wipe must zero the first only.
ns=$(ns_dev) || tap_bail "no namespace block device under $bdf"
dd if=/dev/urandom of="$work/pattern" bs=1M count=8 status=none
tap_check "Linux writes a pattern at 0 and at 384 MiB of /dev/$ns" \
    bash -c "dd if=$work/pattern of=/dev/$ns bs=1M oflag=direct conv=notrunc status=none &&
             dd if=$work/pattern of=/dev/$ns bs=1M seek=384 oflag=direct conv=notrunc status=none && sync"
sock=$work/run/agent.sock
log=$NVP_RUN/cli-lifecycle-agent.log
cat >"$work/agent.conf" <<CONF
[agent]
log_level=debug
state_dir=$work/state
run_dir=$work/run
CONF
agent_pid=

start_agent() {
    "$NVP_AGENT" --config "$work/agent.conf" >>"$log" 2>&1 &
    agent_pid=$!
    # Ready when it answers (a socket file left by a killed agent does not count).
    for _ in $(seq 300); do
        "$NVP_CLI" --connect "$sock" stats >/dev/null 2>&1 && return 0
        kill -0 "$agent_pid" 2>/dev/null || return 1
        sleep 0.1
    done
    return 1
}
# Not in a subshell (tap_check): wait needs the agent to be this shell's child.
stop_agent() {
    local rc=0
    kill -TERM "$agent_pid" || rc=$?
    wait "$agent_pid" || rc=$?
    agent_pid=
    return $rc
}
trap '[[ -n $agent_pid ]] && kill "$agent_pid" 2>/dev/null' EXIT

cli() { "$NVP_CLI" --connect "$sock" "$@"; }
# expect DESC RC PATTERN CMD...: CMD exits RC and its output contains PATTERN (fixed string).
expect() {
    local desc=$1 want=$2 pat=$3 out rc=0
    shift 3
    out=$("$@" 2>&1) || rc=$?
    if [[ $rc == "$want" ]] && grep -qF -- "$pat" <<<"$out"; then
        tap_ok "$desc"
        tap_diag "$out"
    else
        tap_fail "$desc" "exit status $rc (want $want), want output containing: $pat" "$out"
    fi
}
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

expect "without the agent the CLI says so" 1 \
    "cannot connect to the agent at $sock: is virt-nvmepoold running?" cli vol-list
start_agent && tap_ok "virt-nvmepoold runs as a daemon, API at $sock" ||
    tap_bail "the agent did not start: $(tail -20 "$log")"

expect "ctrl-adopt $ctrl" 0 "Controller $ctrl adopted: 1 namespace(s), 1 GiB free" cli ctrl-adopt "$ctrl"
tap_is "$bdf is now bound to vfio-pci" "$(pci_driver "$bdf")" vfio-pci
expect "ctrl-list shows it adopted" 0 "adopted" cli ctrl-list
expect "vol-create db01 (256 MiB)" 0 "Volume 'db01' created: 256 MiB on $ctrl namespace 1 at LBA 0." \
    cli vol-create --name db01 --ctrl "$ctrl" --capacity 256M
expect "vol-create db02 (128 MiB, 2 queues)" 0 "Volume 'db02' created: 128 MiB" \
    cli vol-create --name db02 --ctrl "$ctrl" --capacity 128MiB --queues 2
cat >"$work/db03.xml" <<XML
<volume>
  <name>db03</name>
  <controller>$ctrl</controller>
  <capacity unit='M'>64</capacity>
</volume>
XML
expect "vol-create db03 from XML (64 MiB)" 0 "Volume 'db03' created: 64 MiB" cli vol-create "$work/db03.xml"
expect "capacity beyond free space is refused" 1 \
    "volume 'big' needs 2 GiB but controller $ctrl has 576 MiB free" \
    cli vol-create --name big --ctrl "$ctrl" --capacity 2G

listed=$(cli vol-list --json)
tap_is "vol-list --json: three volumes" "$(json 'len(d)' <<<"$listed")" 3
bs=$(json 'd[0]["block_size"]' <<<"$listed")
tap_is "vol-list --json: first-fit extents in LBAs of $bs bytes" \
    "$(json '" ".join("%s:%d+%d" % (v["name"], v["extent"]["lba"], v["extent"]["blocks"]) for v in d)' <<<"$listed")" \
    "db01:0+$((256 * 1048576 / bs)) db02:$((256 * 1048576 / bs))+$((128 * 1048576 / bs)) db03:$((384 * 1048576 / bs))+$((64 * 1048576 / bs))"

expect "vol-delete db02" 0 "Volume 'db02' deleted." cli vol-delete db02
before=$(cli vol-list --json)
tap_is "two volumes left" "$(json 'len(d)' <<<"$before")" 2

rc=0
stop_agent || rc=$?
tap_is "the agent exits 0 on SIGTERM" "$rc" 0
start_agent && tap_ok "the agent restarts" || tap_bail "the agent did not restart: $(tail -20 "$log")"
after=$(cli vol-list --json)
tap_is "after the restart the volumes and their extents are unchanged" "$after" "$before"
expect "after the restart the controller is adopted again" 0 '"state" : "adopted"' cli ctrl-info --json "$ctrl"
tap_is "$bdf is bound to vfio-pci again" "$(pci_driver "$bdf")" vfio-pci

expect "ctrl-release is refused while volumes exist, with the reason" 1 \
    "cannot release controller $ctrl: it holds 2 volume(s); delete them first" cli ctrl-release "$ctrl"
tap_is "the refused release left $bdf with the agent" "$(pci_driver "$bdf")" vfio-pci

# ---- a slice: the pool starts an agent/vctrl endpoint on the adopted controller
uuid=c7a5fdbd-edaf-9455-926a-d65c16db1809
expect "slice-activate db03 (2 queue pairs, endpoint owned by 64055:64055)" 0 \
    "Slice of volume 'db03' active: 2 queue pairs, endpoint $work/run/slices/db03.sock." \
    cli slice-activate db03 --domain-uuid $uuid --domain-name vm1 --queues 2 --owner 64055:64055
tap_is "the endpoint socket exists, owned by 64055:64055" \
    "$(stat -c '%F %u:%g' "$work/run/slices/db03.sock" 2>&1)" "socket 64055:64055"
expect "slice-list shows it" 0 "db03" cli slice-list
expect "ctrl-info: 2 of 15 free queue pairs taken" 0 "Queue pairs:     13 / 16" cli ctrl-info "$ctrl"
expect "vol-delete of the volume in use is refused" 1 \
    "volume 'db03' is in use by domain 'vm1' ($uuid); stop the domain first" cli vol-delete db03
expect "ctrl-release is refused while a slice is active" 1 \
    "cannot release controller $ctrl: 1 slice(s) are active on it" cli ctrl-release "$ctrl"
expect "slice-deactivate db03" 0 "Slice of volume 'db03' deactivated." cli slice-deactivate db03
tap_is "the endpoint socket is gone" "$(test -e "$work/run/slices/db03.sock" && echo present || echo gone)" gone

expect "vol-delete --wipe db01" 0 "Volume 'db01' wiped and deleted." cli vol-delete --wipe db01
expect "vol-delete db03" 0 "Volume 'db03' deleted." cli vol-delete db03
expect "ctrl-release with no volumes" 0 "Controller $ctrl released" cli ctrl-release "$ctrl"
for _ in $(seq 100); do [[ $(pci_driver "$bdf") == nvme ]] && break; sleep 0.1; done
tap_is "$bdf is back with the kernel nvme driver" "$(pci_driver "$bdf")" nvme
ns=$(ns_dev) || tap_bail "no namespace block device under $bdf after the release"
tap_check "Linux reads zeroes where db01 was wiped" \
    cmp -n 8388608 "/dev/$ns" /dev/zero
tap_check "Linux reads the pattern intact where db03 was deleted without --wipe" \
    bash -c "dd if=/dev/$ns bs=1M skip=384 count=8 iflag=direct status=none | cmp - $work/pattern"
# ---- an agent killed with SIGKILL loses nothing
expect "ctrl-adopt again" 0 "Controller $ctrl adopted" cli ctrl-adopt "$ctrl"
expect "vol-create db04" 0 "Volume 'db04' created: 32 MiB on $ctrl namespace 1 at LBA 0." \
    cli vol-create --name db04 --ctrl "$ctrl" --capacity 32M
expect "vol-create db05" 0 "Volume 'db05' created: 16 MiB" \
    cli vol-create --name db05 --ctrl "$ctrl" --capacity 16M
before=$(cli vol-list --json)
kill -KILL "$agent_pid"
wait "$agent_pid" 2>/dev/null
agent_pid=
start_agent && tap_ok "the agent restarts after SIGKILL" ||
    tap_bail "the agent did not restart after SIGKILL: $(tail -20 "$log")"
tap_is "after SIGKILL and restart nothing is lost" "$(cli vol-list --json)" "$before"
expect "after SIGKILL the controller is adopted again" 0 '"state" : "adopted"' \
    cli ctrl-info --json "$ctrl"
expect "vol-delete db04" 0 "Volume 'db04' deleted." cli vol-delete db04
expect "vol-delete db05" 0 "Volume 'db05' deleted." cli vol-delete db05
expect "ctrl-release after the crash" 0 "Controller $ctrl released" cli ctrl-release "$ctrl"
for _ in $(seq 50); do [[ $(pci_driver "$bdf") == nvme ]] && break; sleep 0.1; done
tap_is "after a crash, release still hands $bdf back to nvme" "$(pci_driver "$bdf")" nvme

rc=0
stop_agent || rc=$?
tap_is "the agent stops cleanly" "$rc" 0
((rc == 0)) || tap_diag "$(tail -30 "$log")"
tap_done
