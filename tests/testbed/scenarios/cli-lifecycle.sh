#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# cli-lifecycle: virt-nvmepoold runs as a daemon in L1 and the virt-nvmepool CLI drives it over
# the control API: ctrl-adopt of the emulated NVMe (real VFIO), three vol-create, vol-list --json,
# vol-delete, an agent restart (controller re-adopted, extents unchanged), ctrl-release refused
# with an explanation while volumes exist; then clean-up hands the controller back to Linux.
# nvp-testbed: --ssd serial=nvp-cli0,size=1G,max_ioqpairs=16 --timeout 900
. /nvp/src/tests/testbed/lib.sh
need_build

bdf=$(find_nvme_bdf nvp-cli0) || tap_bail "no emulated NVMe with serial nvp-cli0 in L1"
tap_is "L1 sees the emulated NVMe at $bdf, bound to the nvme driver" "$(pci_driver "$bdf")" nvme
modprobe vfio-pci 2>/dev/null
IFS=':.' read -r dom bus slot fn <<<"$bdf"
ctrl="pci_${dom}_${bus}_${slot}_${fn}"

work=$(mktemp -d /tmp/nvp-cli.XXXXXX)
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
    for _ in $(seq 200); do
        [[ -S $sock ]] && return 0
        kill -0 "$agent_pid" 2>/dev/null || return 1
        sleep 0.05
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

expect "vol-delete db01" 0 "Volume 'db01' deleted." cli vol-delete db01
expect "vol-delete db03" 0 "Volume 'db03' deleted." cli vol-delete db03
expect "ctrl-release with no volumes" 0 "Controller $ctrl released" cli ctrl-release "$ctrl"
for _ in $(seq 100); do [[ $(pci_driver "$bdf") == nvme ]] && break; sleep 0.1; done
tap_is "$bdf is back with the kernel nvme driver" "$(pci_driver "$bdf")" nvme
rc=0
stop_agent || rc=$?
tap_is "the agent stops cleanly" "$rc" 0
((rc == 0)) || tap_diag "$(tail -30 "$log")"
tap_done
