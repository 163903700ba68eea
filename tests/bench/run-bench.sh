#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Runs every L0 benchmark case of nvp-bench: instructions per command with callgrind (counted
# only inside the per-command function, so setup is excluded; repeatable), then commands per
# second from a plain run (wall clock, indicative only). Prints TAP; a case passes when it ran and
# produced its figures. With BENCH_TABLE=FILE also writes "case|shape|instr|what|per_second" lines.
#   run-bench.sh NVP_BENCH [VALGRIND]
set -u
BENCH=$1
VALGRIND=${2:-}
OUT=${BENCH_OUT:-$(dirname "$BENCH")/bench-out}
ITERS_CG=${BENCH_ITERS_CG:-20000}
mkdir -p "$OUT"
: "${BENCH_TABLE:=}"
[ -n "$BENCH_TABLE" ] && : > "$BENCH_TABLE"

# case | function whose instructions are counted | plain-run iterations (0: none) | description
# Plain runs last about a second each: this machine's clock is unreliable over milliseconds.
# The guest-RAM map of the strict cases is vctrl's own (agent/vctrl/gpamap.c); "-dmatable" cases
# use the vfio-user DMA table lookup instead (see bench.c).
CASES="strict-1page|nvp_bench_strict_one|30000000|strict path, 4 KiB read (PRP1 only), 1 command per doorbell
strict-2pages|nvp_bench_strict_one|30000000|strict path, 8 KiB read (PRP1 + PRP2)
strict-list32|nvp_bench_strict_one|3000000|strict path, 132 KiB read (PRP1 + 32-entry PRP list)
strict-list32-unaligned|nvp_bench_strict_one|3000000|strict path, 131.5 KiB read from +512 B in a page (PRP1 + 32-entry list)
strict-1page-batch32|nvp_bench_strict_one|30000000|strict path, 4 KiB read, 32 commands per doorbell
strict-1page|nvp_sqe_translate|0|nvp_sqe_translate() alone, 4 KiB read
strict-list32|nvp_sqe_translate|0|nvp_sqe_translate() alone, 132 KiB read
strict-1page-dmatable|nvp_bench_strict_one|0|strict path, 4 KiB read, map = vfio-user DMA table lookup
strict-list32-dmatable|nvp_bench_strict_one|0|strict path, 132 KiB read, map = vfio-user DMA table lookup
admin-identify|nvp_bench_admin_one|3000000|admin: Identify Controller (4 KiB to guest)
doorbell|conn_ready|200000|doorbell REGION_WRITE, 1 message per wakeup: server dispatch
doorbell|nvp_bench_doorbell_round|0|doorbell REGION_WRITE, 1 per wakeup: + GLib main loop + client send
doorbell-batch32|conn_ready|640000|doorbell REGION_WRITE, 32 per wakeup: server dispatch"

n=$(printf '%s\n' "$CASES" | wc -l)
echo "1..$n"
i=0
fail=0
printf '%s\n' "$CASES" | while IFS='|' read -r case func iters what; do
    i=$((i + 1))
    instr=-
    if [ -n "$VALGRIND" ]; then
        cg=$OUT/callgrind.$case.$func
        rm -f "$cg" "$cg".*
        if "$VALGRIND" --tool=callgrind --callgrind-out-file="$cg" --toggle-collect="$func" \
                "$BENCH" "$case" "$ITERS_CG" > "$OUT/$case.$func.cg.log" 2>&1; then
            # the bench dumps exactly its measured loop to $cg.1 (see MEASURE_END in bench.c)
            [ -f "$cg.1" ] && cg=$cg.1
            total=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$cg" | tail -1)
            [ -n "$total" ] || total=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$cg" | tail -1)
            [ -n "$total" ] && instr=$(awk -v t="$total" -v n="$ITERS_CG" 'BEGIN { printf "%.1f", t / n }')
        fi
    fi
    rate=-
    if [ "$iters" -gt 0 ]; then
        rate=$("$BENCH" "$case" "$iters" 2> "$OUT/$case.log" | sed -n 's/^per_second //p')
        [ -n "$rate" ] || rate=-
    fi
    if [ "$instr" = - ] && [ "$rate" = - ]; then
        echo "not ok $i - $case [$func]: no figures (see $OUT)"
        fail=1
    else
        if [ "$instr" = - ] && [ -z "$VALGRIND" ]; then
            note=" # instructions not counted: valgrind missing"
        else
            note=
        fi
        echo "ok $i - $what: $instr instructions/command [$func], $rate commands/s$note"
    fi
    [ -n "$BENCH_TABLE" ] && echo "$case|$func|$instr|$rate|$what" >> "$BENCH_TABLE"
    # the pipeline's subshell carries the verdict out through the exit status
    [ $fail -eq 0 ] || exit 1
done
