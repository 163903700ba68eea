#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# virt-nvmepool's controller/volume verbs end to end against nvp-fake-agent (the real pool and
# control API over the hardware double): exit codes, messages, --json, restart. TAP output.
set -u
AGENT=$1
CLI=$2
TMP=$(mktemp -d /tmp/nvp-cli-XXXXXX)
SOCK=$TMP/run/agent.sock
AGENT_PID=
n=0
failed=0

cleanup() {
    [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() { n=$((n + 1)); failed=1; echo "not ok $n - $1"; shift; for l in "$@"; do echo "# $l"; done; }

# run EXPECTED_RC DESCRIPTION [grep pattern for stdout+stderr] -- ARGS...
run() {
    local want=$1 desc=$2 pattern=$3
    shift 4
    out=$("$CLI" --connect "$SOCK" "$@" 2>&1)
    rc=$?
    if [ "$rc" != "$want" ]; then
        not_ok "$desc" "exit $rc, expected $want" "$out"
    elif [ -n "$pattern" ] && ! grep -qF -- "$pattern" <<<"$out"; then
        not_ok "$desc" "output lacks: $pattern" "$out"
    else
        ok "$desc"
    fi
}

start_agent() {
    "$AGENT" --state-dir "$TMP/state" --run-dir "$TMP/run" --api-socket "$SOCK" \
        --device 0000:00:04.0,SERIAL4,40G/512 --device 0000:00:05.0,SERIAL5,8G/4096 \
        2>>"$TMP/agent.log" &
    AGENT_PID=$!
    for _ in $(seq 100); do
        [ -S "$SOCK" ] && return 0
        sleep 0.05
    done
    return 1
}

stop_agent() {
    kill "$AGENT_PID" && wait "$AGENT_PID"
    AGENT_PID=
}

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }

echo "1..39"

run 1 "no agent: precise message" \
    "cannot connect to the agent at $SOCK: is virt-nvmepoold running?" -- vol-list

start_agent && ok "fake agent listens" || not_ok "fake agent listens" "$(cat "$TMP/agent.log")"

run 0 "ctrl-adopt" "Controller pci_0000_00_04_0 adopted: 1 namespace(s), 40 GiB free" -- \
    ctrl-adopt pci_0000_00_04_0
run 1 "ctrl-adopt twice is refused" "controller pci_0000_00_04_0 is already adopted" -- \
    ctrl-adopt 0000:00:04.0
run 1 "ctrl-adopt of a missing device" "no PCI device 0000:00:09.0" -- ctrl-adopt pci_0000_00_09_0
run 0 "vol-create from options" "Volume 'db01' created: 10 GiB on pci_0000_00_04_0 namespace 1 at LBA 0." -- \
    vol-create --name db01 --ctrl pci_0000_00_04_0 --capacity 10G
run 0 "vol-create with MiB units, rounded" "Volume 'db02' created: 5 GiB" -- \
    vol-create --name db02 --ctrl pci_0000_00_04_0 --capacity 5120MiB --queues 2
cat >"$TMP/db03.xml" <<'XML'
<volume>
  <name>db03</name>
  <controller>pci_0000_00_04_0</controller>
  <capacity unit='G'>1</capacity>
  <isolation>strict</isolation>
</volume>
XML
run 0 "vol-create from XML" "Volume 'db03' created: 1 GiB on pci_0000_00_04_0 namespace 1 at LBA 31457280." -- \
    vol-create "$TMP/db03.xml"
run 1 "duplicate name refused" "volume 'db01' already exists (on controller pci_0000_00_04_0)" -- \
    vol-create --name db01 --ctrl pci_0000_00_04_0 --capacity 1G
run 1 "capacity beyond free space" \
    "volume 'big' needs 100 GiB but controller pci_0000_00_04_0 has 24 GiB free" -- \
    vol-create --name big --ctrl pci_0000_00_04_0 --capacity 100G
run 1 "unknown controller" "controller pci_0000_00_05_0 is not adopted" -- \
    vol-create --name x --ctrl pci_0000_00_05_0 --capacity 1G
printf '<volume>\n  <name>bad</name>\n  <controller>pci_0000_00_04_0\n</volume>\n' >"$TMP/bad.xml"
run 1 "malformed XML: file and line" "$TMP/bad.xml:4" -- vol-create "$TMP/bad.xml"
printf '<volume>\n  <name>bad</name>\n  <controller>pci_0000_00_04_0</controller>\n  <capacity>1</capacity>\n  <size>3</size>\n</volume>\n' >"$TMP/invalid.xml"
run 1 "schema-invalid XML: file and line" "$TMP/invalid.xml:" -- vol-create "$TMP/invalid.xml"
run 2 "bad size is a usage error" "invalid size '12XB'" -- \
    vol-create --name y --ctrl pci_0000_00_04_0 --capacity 12XB
run 2 "vol-create without input is a usage error" "give either an XML file" -- vol-create

before=$("$CLI" --connect "$SOCK" vol-list --json)
count=$(json 'len(d)' <<<"$before")
[ "$count" = 3 ] && ok "vol-list --json lists 3 volumes" || not_ok "vol-list --json lists 3 volumes" "$before"
extents=$(json '" ".join("%s:%d+%d" % (v["name"], v["extent"]["lba"], v["extent"]["blocks"]) for v in d)' <<<"$before")
[ "$extents" = "db01:0+20971520 db02:20971520+10485760 db03:31457280+2097152" ] &&
    ok "extents are first-fit, aligned, disjoint" || not_ok "extents are first-fit, aligned, disjoint" "$extents"

run 0 "vol-delete" "Volume 'db02' deleted." -- vol-delete db02
run 1 "vol-delete of an unknown volume" "volume 'db02' does not exist" -- vol-delete db02
run 1 "ctrl-release refused while volumes exist" \
    "cannot release controller pci_0000_00_04_0: it holds 2 volume(s)" -- ctrl-release pci_0000_00_04_0

listed=$("$CLI" --connect "$SOCK" vol-list --json)
stop_agent
start_agent || not_ok "agent restarts" "$(cat "$TMP/agent.log")"
after=$("$CLI" --connect "$SOCK" vol-list --json)
[ -n "$after" ] && [ "$listed" = "$after" ] && ok "restart restores volumes and extents exactly" ||
    not_ok "restart restores volumes and extents exactly" "$listed" "$after"

run 0 "vol-resize grows in place" "Volume 'db03' resized to 3 GiB." -- vol-resize db03 +2G
run 1 "vol-resize cannot grow into a neighbour" "volume 'db01' cannot grow by 10 GiB: only 5 GiB is free right after its extent" -- vol-resize db01 20G
run 0 "vol-dumpxml" '<extent lba="31457280" blocks="6291456"/>' -- vol-dumpxml db03
run 0 "ctrl-info --json" '"free" : 28991029248' -- ctrl-info --json pci_0000_00_04_0
run 0 "stats --json" '"volumes" : 2' -- stats --json
run 0 "slice-list with no slices" "Volume" -- slice-list

# Slices (activated by the libvirt hook in real life).
UUID=c7a5fdbd-edaf-9455-926a-d65c16db1809
run 0 "slice-activate" "Slice of volume 'db01' active: 3 queue pairs, endpoint $TMP/run/slices/db01.sock." -- \
    slice-activate db01 --domain-uuid $UUID --domain-name vm1 --queues 3 --owner 64055:64055
run 0 "slice-list shows it" "db01                 vm1" -- slice-list
run 0 "slice-info --json" '"socket" : "'"$TMP"'/run/slices/db01.sock"' -- slice-info --json db01
run 0 "vol-list shows who uses it" "vm1" -- vol-list
run 0 "ctrl-info counts its queue pairs" "Queue pairs:     60 / 64" -- ctrl-info pci_0000_00_04_0
run 1 "vol-delete of a volume in use is refused" \
    "volume 'db01' is in use by domain 'vm1' ($UUID); stop the domain first" -- vol-delete db01
run 1 "ctrl-release refused while a slice is active" "1 slice(s) are active on it" -- \
    ctrl-release pci_0000_00_04_0
run 1 "a second activation is refused" "volume 'db01' is already in use by domain 'vm1'" -- \
    slice-activate db01 --domain-uuid 4dea22b3-1d52-d8f3-2516-782e98ab3fa0
run 1 "an endpoint outside the run directory is refused" "invalid endpoint path '/tmp/x.sock'" -- \
    slice-activate db03 --domain-uuid $UUID --socket /tmp/x.sock
run 0 "slice-deactivate" "Slice of volume 'db01' deactivated." -- slice-deactivate db01
run 1 "slice-info after deactivation" "volume 'db01' has no active slice" -- slice-info db01

# Peer credentials: with the socket opened up, another user still gets no answer.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
    chmod 0755 "$TMP" "$TMP/run" && chmod 0666 "$SOCK"
    out=$(setpriv --reuid=65534 --regid=65534 --clear-groups "$CLI" --connect "$SOCK" vol-list 2>&1)
    rc=$?
    if [ $rc = 1 ] && grep -qF "refused uid 65534" <<<"$out"; then
        ok "an unprivileged user is refused by the agent"
    else
        not_ok "an unprivileged user is refused by the agent" "exit $rc" "$out"
    fi
else
    n=$((n + 1)); echo "ok $n - # SKIP needs root and setpriv"
fi

exit $failed
