#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# guest-enumerate: an L2 guest with QEMU's vfio-user-pci attached to the agent's debug endpoint
# (agent/vctrl/pci.c + agent/vfu) boots, lists our PCI function (4e56:5056, class 0108, MSI-X),
# and its nvme driver binds and fails cleanly on the never-ready controller; the agent survives.
# nvp-testbed: --timeout 2300
. /nvp/src/tests/testbed/lib.sh
need_build

sock=/run/nvp/enum0.sock
mkdir -p /run/nvp "$NVP_RUN"
agent_log=$NVP_RUN/agent-enumerate.log
"$NVP_AGENT" --verbose --debug-endpoint "$sock" >"$agent_log" 2>&1 &
agent_pid=$!
for _ in $(seq 50); do
    [[ -S $sock ]] && break
    sleep 0.1
done
if [[ -S $sock ]]; then
    tap_ok "agent serves a debug vfio-user endpoint at $sock"
else
    tap_fail "agent serves a debug vfio-user endpoint at $sock" "$(tail -20 "$agent_log")"
    tap_done
fi

# The L2 kernel waits up to 60 s for the never-ready controller to go live; on a loaded machine an
# L2 boot took longer than the default 900 s, hence the longer guest timeout.
guest_tap "L2 guest with vfio-user-pci on the agent booted and ran to completion" \
    --timeout 1800 --vfio-user "$sock" -- "
echo '--- lspci -nn'; lspci -nn 2>/dev/null
echo '--- lspci -vv -d 4e56:5056'; lspci -vv -d 4e56:5056 2>/dev/null
echo '--- dmesg (nvme)'; dmesg | grep -i nvme
step 'lspci -nn shows 4e56:5056 with class 0108' sh -c 'lspci -nn 2>/dev/null | grep -q \"\\[0108\\].*\\[4e56:5056\\]\"'
step 'lspci -vvnn shows the subsystem 4e56:0001' sh -c 'lspci -vvnn -d 4e56:5056 2>/dev/null | grep -q \"Subsystem: .*4e56:0001\"'
step 'lspci -vv shows an MSI-X capability with 17 vectors' sh -c 'lspci -vv -d 4e56:5056 2>/dev/null | grep -q \"MSI-X: .*Count=17\"'
step 'lspci -vv shows PCI Express and power management capabilities' sh -c 'lspci -vv -d 4e56:5056 2>/dev/null | grep -q \"Express (v2)\" && lspci -vv -d 4e56:5056 2>/dev/null | grep -q \"Power Management version 3\"'
step 'the nvme driver probed the function' sh -c 'dmesg | grep -q \"nvme nvme[0-9]*: \"'
step 'the nvme driver failed cleanly on the never-ready controller (or found it ready)' sh -c 'dmesg | grep -q \"Device not ready\\|Removing after probe failure\" || grep -qx live /sys/class/nvme/nvme*/state'
step 'no oops or BUG in the guest kernel' sh -c '! dmesg | grep -q \"Oops\\|BUG:\\|Call Trace\"'
"

if kill -0 "$agent_pid" 2>/dev/null; then
    tap_ok "agent still running after the guest went away"
else
    tap_fail "agent still running after the guest went away" "$(tail -20 "$agent_log")"
fi
tap_check "agent logged no critical or warning" sh -c "! grep -q 'CRITICAL\\|WARNING' '$agent_log'"
# every request QEMU's client sent got a successful reply (the server counts error replies)
session_clean() {
    local i
    for i in $(seq 100); do
        grep -q "enum0.sock: client gone after [0-9]* messages (0 errors)" "$agent_log" && return 0
        sleep 0.1
    done
    grep "enum0.sock" "$agent_log"
    return 1
}
tap_check "QEMU's vfio-user session ended with 0 error replies" session_clean
kill -TERM "$agent_pid" 2>/dev/null
rc=0
wait "$agent_pid" || rc=$?
tap_is "agent exits cleanly on SIGTERM" "$rc" 0
tap_is "agent removed its endpoint socket" "$([[ -e $sock ]] && echo present || echo gone)" gone
tap_diag "agent log: $agent_log"
tap_done
