#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Builds the libFuzzer targets with clang (ASan + UBSan, every UB report fatal) straight from the
# sources, then runs each for a bounded time over its seed corpus; prints TAP, one test per
# target. The project compiler may be gcc, hence no meson targets.
#   run-fuzz.sh CLANG SRCDIR BUILDDIR [TARGET...]
# Environment: FUZZ_RUNS (executions per target, default 150000), FUZZ_SEED (libFuzzer seed,
# default fixed; 0: random), FUZZ_TIME (seconds per target at most, default 300),
# FUZZ_KEEP=1 keeps the grown corpora in BUILDDIR/fuzz/.
set -u

CLANG=$1
SRC=$2
BUILD=$3
shift 3
TARGETS=${*:-"sqe admin vfu slice"}
# CI runs must be repeatable: a fixed seed and a fixed number of runs per target (the time limit
# only guards a very slow machine). A campaign that explores: FUZZ_SEED=0 (random), more runs.
TIME=${FUZZ_TIME:-300}
RUNS=${FUZZ_RUNS:-150000}
SEED=${FUZZ_SEED:-20261125}
OUT=$BUILD/fuzz

# Sources each target needs besides its own fuzz-<target>.c (keep in sync with the includes).
sources() {
    case $1 in
    sqe) echo agent/vctrl/sqe.c agent/vfu/dma.c common/enum.c ;;
    admin) echo agent/vctrl/admin.c agent/vctrl/regs.c agent/vfu/dma.c common/enum.c ;;
    vfu) echo agent/vctrl/admin.c agent/vctrl/regs.c agent/vctrl/pci.c agent/vfu/caps.c \
         agent/vfu/conn.c agent/vfu/dma.c agent/vfu/error.c agent/vfu/irq.c agent/vfu/server.c \
         common/enum.c ;;
    slice) echo agent/vctrl/vctrl.c agent/vctrl/admin.c agent/vctrl/gpamap.c agent/vctrl/irqshare.c \
         agent/vctrl/regs.c agent/vctrl/pci.c agent/vctrl/sqe.c agent/vfu/caps.c agent/vfu/conn.c \
         agent/vfu/dma.c agent/vfu/error.c agent/vfu/irq.c agent/vfu/server.c common/enum.c \
         tests/fuzz/fakectrl.c ;;
    esac
}

set -- $TARGETS
# one TAP test per target (fuzzing over the seed-* files) plus one per committed reproducer
# (crash-*: a finding not fixed yet fails until it is, without stopping the fuzzing of the rest)
plan=$#
for t in "$@"; do
    for f in "$SRC/tests/fuzz/corpus/$t"/crash-*; do
        [ -e "$f" ] && plan=$((plan + 1))
    done
done
echo "1..$plan"

mkdir -p "$OUT"
PKGS="glib-2.0 gio-2.0 json-glib-1.0 libnvme"
CFLAGS_PKG=$(pkg-config --cflags $PKGS 2>/dev/null)
LIBS_PKG=$(pkg-config --libs $PKGS 2>/dev/null)

# Probe once: clang with the libFuzzer runtime (libclang-rt-14-dev on Debian).
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { return 0; }\n' > "$OUT/probe.c"
if ! "$CLANG" -fsanitize=fuzzer "$OUT/probe.c" -o "$OUT/probe" > "$OUT/probe.log" 2>&1; then
    n=0
    for t in "$@"; do
        n=$((n + 1))
        echo "ok $n - fuzz-$t # SKIP clang cannot link libFuzzer (install libclang-rt-dev)"
    done
    while [ $n -lt $plan ]; do
        n=$((n + 1))
        echo "ok $n - reproducer # SKIP clang cannot link libFuzzer"
    done
    exit 0
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:allocator_may_return_null=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
export G_DEBUG=gc-friendly
export G_SLICE=always-malloc

# Frames worth showing in TAP comments: ours, not libFuzzer's.
stack() {
    grep -E 'FUZZ_CHECK|ERROR:|runtime error|SUMMARY|Test unit written|#[0-9]+ 0x[0-9a-f]+ in .*/(agent|common|tests)/' "$1" |
        head -${2:-16} | sed 's/^/# /'
}

n=0
fail=0
for t in "$@"; do
    n=$((n + 1))
    exe=$OUT/fuzz-$t
    log=$OUT/fuzz-$t.log
    srcs=
    for f in $(sources "$t"); do srcs="$srcs $SRC/$f"; done
    # shellcheck disable=SC2086
    if ! "$CLANG" -g -O1 -std=gnu11 -D_GNU_SOURCE -fno-omit-frame-pointer \
            -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all \
            -include "$BUILD/config.h" -I"$SRC" $CFLAGS_PKG \
            "$SRC/tests/fuzz/fuzz-$t.c" $srcs $LIBS_PKG -o "$exe" > "$log" 2>&1; then
        echo "not ok $n - fuzz-$t: does not build"
        sed 's/^/# /' "$log" | head -40
        fail=1
        for f in "$SRC/tests/fuzz/corpus/$t"/crash-*; do
            [ -e "$f" ] || continue
            n=$((n + 1))
            echo "not ok $n - fuzz-$t replay $(basename "$f"): target does not build"
        done
        continue
    fi
    case $t in
    admin) maxlen=4096 ;;     # each admin command may move 64 KiB: keep programs short
    sqe) maxlen=8192 ;;
    *) maxlen=16384 ;;
    esac
    work=$OUT/corpus-$t
    rm -rf "$work"
    mkdir -p "$work"
    cp "$SRC/tests/fuzz/corpus/$t"/seed-* "$work/" 2>/dev/null
    "$exe" -seed="$SEED" -max_total_time="$TIME" -runs="$RUNS" -timeout=10 -rss_limit_mb=2048 \
        -max_len=$maxlen -print_final_stats=1 -artifact_prefix="$OUT/$t-" \
        "$work" >> "$log" 2>&1
    rc=$?
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
    cov=$(sed -n 's/.*DONE *cov: \([0-9]*\).*/\1/p' "$log" | tail -1)
    if [ $rc -eq 0 ]; then
        echo "ok $n - fuzz-$t: ${execs:-?} executions in ${secs:-?} s clean (cov ${cov:-?})"
    else
        echo "not ok $n - fuzz-$t: exit $rc after ${execs:-?} executions (log $log)"
        stack "$log" 30
        fail=1
    fi
    [ "${FUZZ_KEEP:-0}" = 1 ] || rm -rf "$work"

    # Committed reproducers of findings: each must run clean once its bug is fixed.
    for f in "$SRC/tests/fuzz/corpus/$t"/crash-*; do
        [ -e "$f" ] || continue
        n=$((n + 1))
        rlog=$OUT/replay-$(basename "$f").log
        if "$exe" -runs=1 "$f" > "$rlog" 2>&1; then
            echo "ok $n - fuzz-$t replay $(basename "$f"): fixed"
        else
            echo "not ok $n - fuzz-$t replay $(basename "$f"): still crashes (finding open, see docs/security.md)"
            stack "$rlog" 12
            fail=1
        fi
    done
done
exit $fail
