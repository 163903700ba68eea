# SPDX-License-Identifier: LGPL-2.1-or-later
# Shell library of testbed scenarios (sourced INSIDE L1): TAP output, PCI/VFIO helpers, L2 guests.
# A scenario starts with:  . /nvp/src/tests/testbed/lib.sh
# and ends with:           tap_done
# See docs/testbed.md.

NVP_SRC=${NVP_SRC:-/nvp/src}
NVP_BUILD=${NVP_BUILD:-/nvp/build}
NVP_RUN=${NVP_RUN:-/nvp/run}
NVP_AGENT=$NVP_BUILD/agent/virt-nvmepoold
NVP_HWTEST=$NVP_BUILD/agent/hw/virt-nvmepool-hwtest
NVP_CLI=$NVP_BUILD/driver/virt-nvmepool

_tap_n=0
_tap_failed=0

# ---------------------------------------------------------------- TAP

# tap_ok DESC: record a passing test.
tap_ok() {
    _tap_n=$((_tap_n + 1))
    echo "ok $_tap_n - $*"
}

# tap_fail DESC [DIAGNOSTIC...]: record a failing test; each further argument is a '#' line.
tap_fail() {
    local desc=$1
    shift
    _tap_n=$((_tap_n + 1))
    _tap_failed=$((_tap_failed + 1))
    echo "not ok $_tap_n - $desc"
    local l
    for l in "$@"; do tap_diag "$l"; done
}

# tap_skip DESC REASON
tap_skip() {
    _tap_n=$((_tap_n + 1))
    echo "ok $_tap_n - $1 # SKIP $2"
}

# tap_diag TEXT...: '#' lines (multi-line text is split).
tap_diag() {
    printf '%s\n' "$*" | sed 's/^/# /'
}

# tap_check DESC CMD [ARGS...]: run CMD; ok when it exits 0. Its output is shown as diagnostics
# (the last 40 lines) when it fails, or always when NVP_VERBOSE=1.
tap_check() {
    local desc=$1 out rc=0
    shift
    out=$("$@" 2>&1) || rc=$?
    if ((rc == 0)); then
        tap_ok "$desc"
        [[ ${NVP_VERBOSE:-0} == 1 ]] && tap_diag "$out"
    else
        tap_fail "$desc" "command: $* (exit status $rc)"
        tap_diag "$(tail -n 40 <<<"$out")"
    fi
    return $rc
}

# tap_is DESC GOT WANT
tap_is() {
    if [[ $2 == "$3" ]]; then tap_ok "$1"; else tap_fail "$1" "got:  $2" "want: $3"; fi
}

# tap_bail REASON: abort the whole scenario (meson reports it as an error).
tap_bail() {
    echo "Bail out! $*"
    exit 1
}

# tap_done: print the plan and exit non-zero if anything failed. Call it last.
tap_done() {
    echo "1..$_tap_n"
    ((_tap_failed == 0))
    exit $?
}

# ---------------------------------------------------------------- the project build

# need_build: bail out unless /nvp/build holds a successful build of the tree.
need_build() {
    [[ ${NVP_BUILD_OK:-0} == 1 && -x $NVP_AGENT ]] ||
        tap_bail "the project did not build inside the testbed root (run: tests/testbed/nvp-testbed build)"
}

# ---------------------------------------------------------------- PCI, NVMe, VFIO

# ssd_bdf [I]: PCI address of the I-th --ssd controller (default 0), e.g. 0000:00:10.0.
ssd_bdf() {
    local a
    read -ra a <<<"$NVP_SSD_BDFS"
    echo "${a[${1:-0}]}"
}

# find_nvme_bdf SERIAL: PCI address of the NVMe controller with that serial (kernel-bound ones
# by their serial; otherwise from the --ssd list).
find_nvme_bdf() {
    local c s i
    for c in /sys/class/nvme/nvme*; do
        [[ -e $c/serial ]] || continue
        s=$(tr -d ' ' <"$c/serial")
        if [[ $s == "$1" ]]; then
            basename "$(readlink -f "$c/device")"
            return 0
        fi
    done
    local bdfs serials
    read -ra bdfs <<<"$NVP_SSD_BDFS"
    read -ra serials <<<"$NVP_SSD_SERIALS"
    for i in "${!serials[@]}"; do
        [[ ${serials[$i]} == "$1" ]] && { echo "${bdfs[$i]}"; return 0; }
    done
    return 1
}

# pci_driver BDF: name of the driver bound to BDF (empty if none).
pci_driver() {
    local d=/sys/bus/pci/devices/$1/driver
    [[ -e $d ]] && basename "$(readlink -f "$d")"
    return 0
}

# iommu_group BDF: the IOMMU group number of BDF.
iommu_group() {
    basename "$(readlink -f "/sys/bus/pci/devices/$1/iommu_group")"
}

# _rebind BDF DRIVER: bind BDF to DRIVER through driver_override.
_rebind() {
    local bdf=$1 drv=$2 dev=/sys/bus/pci/devices/$1 i
    [[ -e $dev ]] || { echo "no PCI device $bdf" >&2; return 1; }
    [[ $(pci_driver "$bdf") == "$drv" ]] && return 0
    echo "$drv" >"$dev/driver_override"
    if [[ -e $dev/driver ]]; then echo "$bdf" >"$dev/driver/unbind"; fi
    echo "$bdf" >/sys/bus/pci/drivers_probe
    for ((i = 0; i < 100; i++)); do
        [[ $(pci_driver "$bdf") == "$drv" ]] && return 0
        sleep 0.1
    done
    echo "$bdf did not bind to $drv" >&2
    return 1
}

# bind_vfio BDF: hand BDF to vfio-pci; prints the /dev/vfio/GROUP path once it exists.
bind_vfio() {
    local g i
    modprobe vfio-pci || return 1
    _rebind "$1" vfio-pci || return 1
    g=$(iommu_group "$1")
    for ((i = 0; i < 100; i++)); do
        [[ -e /dev/vfio/$g ]] && { echo "/dev/vfio/$g"; return 0; }
        sleep 0.1
    done
    echo "/dev/vfio/$g did not appear" >&2
    return 1
}

# bind_nvme BDF: give BDF back to the kernel's nvme driver.
bind_nvme() {
    _rebind "$1" nvme
}

# unbind BDF: detach BDF from any driver (and clear the override).
unbind() {
    local dev=/sys/bus/pci/devices/$1
    echo "" >"$dev/driver_override"
    if [[ -e $dev/driver ]]; then echo "$1" >"$dev/driver/unbind"; fi
}

# ---------------------------------------------------------------- L2 guests

_guest_n=0

# guest [OPTIONS] -- SCRIPT: boot an L2 guest and run SCRIPT (busybox sh) in it; returns its exit
# status. The output is streamed as TAP diagnostics ('# ' prefix) so it never disturbs the TAP
# stream, and kept in the file named by $GUEST_LOG. In SCRIPT, 'step DESC CMD...' marks a
# checked step and nvme_ctrl SERIAL / nvme_ns SERIAL [NSID] find devices (guest-prelude.sh).
guest() {
    local st rc
    _guest_n=$((_guest_n + 1))
    GUEST_LOG=$NVP_RUN/guest-$$-$_guest_n.log
    st=$(mktemp)
    {
        if nvp-testbed guest "$@" 2>&1; then echo 0 >"$st"; else echo $? >"$st"; fi
    } | tee "$GUEST_LOG" | sed -u 's/^/# /'
    rc=$(cat "$st")
    rm -f "$st"
    return "$rc"
}

# guest_tap DESC [OPTIONS] -- SCRIPT: like guest, then one TAP line per 'step' the guest ran and
# a last one, DESC, for the guest as a whole (booted, ran SCRIPT, exit status 0).
guest_tap() {
    local desc=$1 rc=0 line
    shift
    guest "$@" || rc=$?
    while IFS= read -r line; do
        case $line in
        "@@nvp-step ok "*) tap_ok "${line:14:${#line}-16}" ;;
        "@@nvp-step fail "*)
            line=${line:16:${#line}-18}
            tap_fail "${line#* }" "exit status ${line%% *}"
            ;;
        esac
    done < <(grep -a '^@@nvp-step \(ok\|fail\) ' "$GUEST_LOG")
    if ((rc == 0)); then
        tap_ok "$desc"
    else
        tap_fail "$desc" "L2 guest exit status $rc (124: timeout, 125: crash or no exit marker)"
    fi
    return $rc
}

# fio_verify_cmd DEV [SIZE [IO_SIZE]]: the reference job, 4 KiB randrw QD16 with crc32c verify,
# at random offsets over the first SIZE of DEV, IO_SIZE of I/O in all (default: SIZE).
fio_verify_cmd() {
    echo "fio --name=verify --filename=$1 --size=${2:-64M} --io_size=${3:-${2:-64M}} --rw=randrw" \
        "--bs=4k --direct=1 --ioengine=libaio --iodepth=16 --verify=crc32c --do_verify=1" \
        "--verify_fatal=1 --randrepeat=0 --eta=never"
}
