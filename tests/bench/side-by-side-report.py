#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
# Turns the '@@bench rep=.. job=.. arm=.. iops=.. ...@@' lines of the side-by-side testbed
# scenario into the table of docs/performance.md (text or markdown) and, with --png, a bar chart
# of each arm's IOPS as a ratio to whole-device VFIO (drawn by gnuplot).
#   side-by-side-report.py [--markdown] [--png FILE] LOG
import argparse
import re
import statistics
import subprocess
import sys
import tempfile

ARMS = {
    "a": "VFIO (whole device)",
    "b": "strict slice",
    "c": "trusted slice",
    "d": "emulated NVMe",
}
LINE = re.compile(r"@@bench ((?:\w+=\S+ ?)+)@@")


def parse(path):
    runs = {}
    order = []
    for line in open(path, errors="replace"):
        m = LINE.search(line)
        if not m:
            continue
        f = dict(kv.split("=", 1) for kv in m.group(1).split())
        key = (f["job"], f["arm"])
        if f["job"] not in order:
            order.append(f["job"])
        runs.setdefault(key, []).append(f)
    return runs, order


def summarize(runs, jobs):
    rows = []
    for job in jobs:
        base = runs.get((job, "a"))
        base_iops = statistics.mean(float(r["iops"]) for r in base) if base else None
        base_lat = statistics.mean(float(r["lat_mean_us"]) for r in base) if base else None
        for arm in ARMS:
            rs = runs.get((job, arm))
            if not rs:
                continue
            iops = statistics.mean(float(r["iops"]) for r in rs)
            lat = statistics.mean(float(r["lat_mean_us"]) for r in rs)
            p99 = statistics.mean(float(r["lat_p99_us"]) for r in rs)
            ios = sum(int(r["ios"]) for r in rs)
            cpu = [float(r["agent_cpu_ms"]) for r in rs]
            cpu_us = sum(cpu) * 1000 / ios if ios and min(cpu) >= 0 else None
            rows.append({
                "job": job, "arm": arm, "n": len(rs), "iops": iops, "lat": lat, "p99": p99,
                "iops_ratio": iops / base_iops if base_iops else None,
                "lat_ratio": lat / base_lat if base_lat else None,
                "cpu_us_per_io": cpu_us,
                "spread": (max(float(r["iops"]) for r in rs) - min(float(r["iops"]) for r in rs))
                / iops if iops else 0,
            })
    return rows


def fmt(v, spec, none="-"):
    return none if v is None else format(v, spec)


def print_table(rows, markdown):
    head = ["job", "arm", "runs", "IOPS", "vs VFIO", "IOPS spread", "mean lat µs",
            "vs VFIO", "p99 lat µs", "agent CPU µs/IO"]
    cells = [[r["job"], ARMS[r["arm"]], str(r["n"]), fmt(r["iops"], ".1f"),
              fmt(r["iops_ratio"], ".1%"), fmt(r["spread"], ".0%"), fmt(r["lat"], ".0f"),
              fmt(r["lat_ratio"], ".1%"), fmt(r["p99"], ".0f"), fmt(r["cpu_us_per_io"], ".0f")]
             for r in rows]
    if markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "---|" * 2 + "---:|" * (len(head) - 2))
        for c in cells:
            print("| " + " | ".join(c) + " |")
        return
    widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(head)]
    print("  ".join(h.ljust(w) for h, w in zip(head, widths)))
    for c in cells:
        print("  ".join(v.ljust(w) for v, w in zip(c, widths)))


def plot(rows, jobs, png):
    top = max([r["iops_ratio"] or 0 for r in rows] + [1.0]) * 115
    with tempfile.NamedTemporaryFile("w", suffix=".dat", delete=False) as dat:
        dat.write("# job b c d\n")
        for job in jobs:
            vals = {r["arm"]: r["iops_ratio"] for r in rows if r["job"] == job}
            dat.write(job + " " + " ".join(fmt(vals.get(a), ".4f", "NaN") for a in "bcd") + "\n")
    script = f"""
set terminal png size 900,480
set output '{png}'
set title 'IOPS as a ratio to whole-device VFIO (same L2 guest, one run)'
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set yrange [0:{top:.0f}]
set ytics format '%.0f%%'
set key outside right top
set grid ytics
plot '{dat.name}' using ($2*100):xtic(1) title '{ARMS["b"]}', \\
     '' using ($3*100) title '{ARMS["c"]}', '' using ($4*100) title '{ARMS["d"]}', \\
     100 with lines dashtype 2 lc rgb 'black' title 'VFIO = 100%'
"""
    subprocess.run(["gnuplot"], input=script, text=True, check=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--png")
    ap.add_argument("log")
    args = ap.parse_args()
    runs, jobs = parse(args.log)
    if not runs:
        print(f"error: no '@@bench ...@@' lines in {args.log}", file=sys.stderr)
        return 1
    rows = summarize(runs, jobs)
    print_table(rows, args.markdown)
    if args.png:
        plot(rows, jobs, args.png)
    return 0


if __name__ == "__main__":
    sys.exit(main())
