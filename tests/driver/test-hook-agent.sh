#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
# The qemu.d hook against the real pool and control API (nvp-fake-agent: agent/pool +
# agent/api over the hardware double): a domain's start activates its slice with the queue grant
# and QEMU's user; a second domain on the same volume is refused with one line and does not
# disturb the first; release frees only the domain's own slice and gives its queue pairs back;
# a slice left over by a crashed QEMU does not block the next start. TAP output.
set -u
AGENT=$1
CLI=$2
HOOK=$3
TMP=$(mktemp -d /tmp/nvp-hook-agent-XXXXXX)
RUN=$TMP/run
SOCK=$RUN/agent.sock
AGENT_PID=
n=0
failed=0
UUID1=6e2c4b0e-5b1f-4a55-9a0e-2f1a4c7e9d01
UUID2=6e2c4b0e-5b1f-4a55-9a0e-2f1a4c7e9d02

cleanup() {
    [ -n "$AGENT_PID" ] && kill "$AGENT_PID" 2>/dev/null && wait "$AGENT_PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

ok() { n=$((n + 1)); echo "ok $n - $1"; }
not_ok() {
    n=$((n + 1)); failed=1; echo "not ok $n - $1"; shift
    local l; for l in "$@"; do printf '%s\n' "$l" | sed 's/^/# /'; done
}
is() { if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1" "got:  $2" "want: $3"; fi; }
json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
cli() { "$CLI" --connect "$SOCK" "$@"; }

# domain_xml NAME UUID: a running domain's XML as libvirt hands it to the hook, with volume db01.
domain_xml() {
    cat <<XML
<domain type='kvm' id='7'>
  <name>$1</name>
  <uuid>$2</uuid>
  <metadata>
    <volumes xmlns="http://virt-nvmepool.org/xmlns/domain/1.0" memory-backing-added="yes" memfd-added="yes" shared-added="yes">
      <volume name="db01" queues="2">
        <device id="nvp-db01" port="3" plug="cold"/>
        <socket path="$RUN/vfio-user/$2-db01.sock"/>
      </volume>
    </volumes>
  </metadata>
  <memory unit='KiB'>262144</memory>
  <memoryBacking><source type='memfd'/><access mode='shared'/></memoryBacking>
  <os><type arch='x86_64' machine='pc-q35-10.1'>hvm</type></os>
  <devices>
    <controller type='pci' index='0' model='pcie-root'/>
    <controller type='pci' index='3' model='pcie-root-port'/>
  </devices>
  <seclabel type='dynamic' model='dac' relabel='yes'><label>+107:+108</label></seclabel>
</domain>
XML
}

# hook NAME UUID OP SUBOP: run the hook like libvirtd; sets rc and err.
hook() {
    err=$(domain_xml "$1" "$2" | NVP_AGENT_ADDRESS="unix:path=$SOCK" "$HOOK" "$1" "$3" "$4" - 2>&1 >/dev/null)
    rc=$?
}

queues_free() { cli stats --json | json 'd["queues_free"]'; }
slices() { cli slice-list --json | json '" ".join("%s:%s:%s" % (s["volume"], s["domain_uuid"], s["queues"]) for s in d)'; }

echo "1..17"

mkdir -p "$RUN/vfio-user"
"$AGENT" --state-dir "$TMP/state" --run-dir "$RUN" --api-socket "$SOCK" \
    --device 0000:00:04.0,SERIAL4,4G/512 2>>"$TMP/agent.log" &
AGENT_PID=$!
for _ in $(seq 100); do [ -S "$SOCK" ] && break; sleep 0.05; done
[ -S "$SOCK" ] || { echo "Bail out! nvp-fake-agent did not start: $(cat "$TMP/agent.log")"; exit 1; }

cli ctrl-adopt pci_0000_00_04_0 >/dev/null 2>&1 &&
    cli vol-create --name db01 --ctrl pci_0000_00_04_0 --capacity 1G >/dev/null 2>&1 ||
    { echo "Bail out! cannot set up a volume: $(cli vol-list 2>&1)"; exit 1; }
free0=$(queues_free)

hook vm1 $UUID1 prepare begin
is "prepare begin of vm1 succeeds" "$rc:$err" "0:"
is "vm1 holds one slice of db01 with its 2 queue pairs" "$(slices)" "db01:$UUID1:2"
is "the 2 queue pairs left the pool" "$(queues_free)" "$((free0 - 2))"
sock=$(cli slice-list --json | json 'd[0]["socket"]')
is "the endpoint is the socket recorded in the domain metadata" "$sock" "$RUN/vfio-user/$UUID1-db01.sock"
owner=$(cli slice-info db01 --json | json '"%s:%s" % (d["uid"], d["gid"])')
is "the endpoint belongs to QEMU's user (the DAC label)" "$owner" "107:108"

hook vm2 $UUID2 prepare begin
is "a second domain on the same volume fails to start" "$rc" 1
lines=$(printf '%s\n' "$err" | grep -c .)
is "with exactly one line on stderr" "$lines" 1
case $err in
"virt-nvmepool: cannot start domain 'vm2': cannot activate volume 'db01': "*) ok "the line names the domain and the volume: $err" ;;
*) not_ok "the line names the domain and the volume" "$err" ;;
esac
is "vm1 keeps its slice" "$(slices)" "db01:$UUID1:2"

hook vm2 $UUID2 release end
is "release end of the failed vm2 succeeds" "$rc" 0
is "and leaves vm1's slice alone" "$(slices)" "db01:$UUID1:2"

hook vm1 $UUID1 reconnect begin
is "reconnect of vm1 succeeds and keeps the slice" "$rc:$(slices)" "0:db01:$UUID1:2"

hook vm1 $UUID1 release end
is "release end of vm1 succeeds" "$rc" 0
is "0 active slices after release" "$(slices)" ""
is "the queue pairs are back in the pool" "$(queues_free)" "$free0"

# QEMU died and libvirt never ran release: the next prepare must not trip over the old slice.
hook vm1 $UUID1 prepare begin
hook vm1 $UUID1 prepare begin
is "a start after a lost release succeeds" "$rc:$err" "0:"
is "with exactly one slice of vm1" "$(slices)" "db01:$UUID1:2"

exit $failed
