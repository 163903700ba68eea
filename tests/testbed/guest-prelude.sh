# SPDX-License-Identifier: LGPL-2.1-or-later
# Prepended to every L2 guest command by `nvp-testbed guest` (runs under busybox sh in the guest).

_nvp_step_failed=

# step DESC CMD [ARGS...]: run CMD and print a step marker that lib.sh's guest_tap turns into a
# TAP line in L1 ('@@nvp-step ok DESC@@' or '@@nvp-step fail STATUS DESC@@').
step() {
    _nvp_d=$1
    shift
    echo "@@nvp-step begin $_nvp_d@@"
    if "$@"; then
        echo "@@nvp-step ok $_nvp_d@@"
    else
        _nvp_r=$?
        echo "@@nvp-step fail $_nvp_r $_nvp_d@@"
        _nvp_step_failed=1
    fi
}

# nvme_ctrl SERIAL: /dev/nvmeN of the controller with that serial number.
nvme_ctrl() {
    for _nvp_c in /sys/class/nvme/nvme*; do
        if [ "$(tr -d ' ' <"$_nvp_c/serial")" = "$1" ]; then
            echo "/dev/${_nvp_c##*/}"
            return 0
        fi
    done
    echo "nvme_ctrl: no controller with serial $1" >&2
    return 1
}

# nvme_ns SERIAL [NSID]: /dev/nvmeNnM of that controller's namespace NSID (default 1).
nvme_ns() {
    _nvp_c=$(nvme_ctrl "$1") || return 1
    for _nvp_n in /sys/class/nvme/"${_nvp_c##*/}"/nvme*n"${2:-1}"; do
        [ -e "$_nvp_n" ] || continue
        echo "/dev/$(echo "${_nvp_n##*/}" | sed 's/c[0-9]*n/n/')"
        return 0
    done
    echo "nvme_ns: controller $_nvp_c has no namespace ${2:-1}" >&2
    return 1
}

# end of prelude
