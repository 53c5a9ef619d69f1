#!/usr/bin/env python3
"""How far the medians of repeated runs of one command drift apart on this machine.

Runs `flopbench run --repeat K --out DIR RUN_ARGS...` (or reads an earlier DIR with --from) and,
for every measurement that passed in every run, takes the ratio of each run's median time to every
other run's. It prints each measurement's largest ratio and the distribution over all of them, with
and without the contended measurements, and the largest never-contended drift of each of
compare's machine classes with a `compare --noise-floor` of twice those. compare's default floors
for one run on each side (reports/compare.hpp) were set from this: docs/methodology.md,
"Comparing runs".

  scripts/noise-floor.py --flopbench build/cpu-only/flopbench --runs 8 --out /tmp/nf -- \
      --profile quick --threads 2
"""

import argparse
import itertools
import json
import math
import pathlib
import subprocess
import sys


def key(m):
    """compare's pairing of a measurement across runs (same_measurement in harness/core/results.cpp):
    a sweep times a GPU problem three ways, each its own measurement."""
    return (m["workload"], m["implementation"], m["device"], m["precision"],
            json.dumps(m["problem"], sort_keys=True), m.get("timing", ""), m.get("threads"))


def partly_cache(m):
    """A CPU bandwidth figure partly of a cache (the note harness/core/catalog.cpp writes), which
    compare of one run a side calls inconclusive rather than judging against the floor."""
    return not m["device"].startswith("gpu") and any(
        "partly cache bandwidth" in note for note in m.get("notes", []))


def run_number(path):
    return int(path.parent.name.removeprefix("run-"))


def label(m):
    return (f'{m["display_name"]} {m["precision"]} {m["implementation"]} {m["device"]} '
            f'{m["problem_label"]}')


def floor_class(m):
    """compare's machine class of a measurement (CompareRule::noise_floor in reports/compare.hpp):
    GPU work timed by CUDA events, except copies from or to pageable memory, is `gpu`; the rest
    has the CPU's floor of its workload's bound."""
    pageable_copy = m["workload"] == "transfer" and "pageable" in m["implementation"]
    if m["device"].startswith("gpu") and m["timing"] == "device_events" and not pageable_copy:
        return "gpu"
    return "cpu-memory" if m["bound"] == "bandwidth" else "cpu-compute"


def percentile(values, q):
    s = sorted(values)
    return s[min(len(s) - 1, int(math.ceil(q * len(s))) - 1)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--flopbench", default="build/flopbench")
    parser.add_argument("--runs", type=int, default=8)
    parser.add_argument("--out", help="results directory for the runs (must not exist)")
    parser.add_argument("--from", dest="source", help="analyse the run-*/ of an earlier --out")
    parser.add_argument("run_args", nargs="*", help="after --: options of flopbench run")
    args = parser.parse_args()

    if args.source:
        top = pathlib.Path(args.source)
    else:
        if not args.out:
            parser.error("give --out DIR to run, or --from DIR to analyse")
        top = pathlib.Path(args.out)
        subprocess.run([args.flopbench, "run", "--repeat", str(args.runs), "--out", str(top)] +
                       args.run_args, check=True, stdout=subprocess.DEVNULL)
    runs = [json.loads(p.read_text())
            for p in sorted(top.glob("run-*/results.json"), key=run_number)]
    if len(runs) < 2:
        sys.exit(f"{top}: fewer than two run-*/results.json")

    by_key = {}
    for run in runs:
        for m in run["measurements"]:
            by_key.setdefault(key(m), []).append(m)
    all_drift, quiet_drift, rows = [], [], []
    largest_quiet = {}  # compare's machine class -> largest never-contended drift
    left_out = {"not passed, or not in every run": 0, "partly cache bandwidth": 0}
    for ms in by_key.values():
        if len(ms) != len(runs) or any(m["disposition"] != "passed" for m in ms):
            left_out["not passed, or not in every run"] += 1
            continue
        if any(partly_cache(m) for m in ms):
            left_out["partly cache bandwidth"] += 1
            continue
        medians = [m["statistics"]["median_s"] for m in ms]
        contended = sum(bool((m.get("load") or {}).get("contended")) for m in ms)
        # |ratio - 1| of every pair, the larger median over the smaller.
        drift = [max(a, b) / min(a, b) - 1 for a, b in itertools.combinations(medians, 2)]
        all_drift += drift
        if "bound" not in ms[0]:
            sys.exit(f"{top}: results.json without the `bound` field: written by a flopbench older "
                     "than this script; run the runs again")
        if contended == 0:
            quiet_drift += drift
            cls = floor_class(ms[0])
            largest_quiet[cls] = max(largest_quiet.get(cls, 0), max(drift))
        rows.append((max(drift), label(ms[0]), contended))

    print(f"{len(runs)} runs of: {' '.join(runs[0]['run']['command_line'])}")
    print(f"host {runs[0]['environment']['host']}, {runs[0]['environment']['cpu']['model']}, "
          f"{runs[0]['run']['started_utc']} to {runs[-1]['run']['finished_utc']}")
    for why, count in left_out.items():
        if count:
            print(f"left out: {count} measurement(s), {why}")
    print(f"\n{'largest drift':>13}  contended  measurement")
    for worst, name, contended in sorted(rows, reverse=True):
        print(f"{100 * worst:12.1f}%  {contended:>4} of {len(runs)}  {name}")
    for title, drift in (("every measurement", all_drift), ("never contended", quiet_drift)):
        if not drift:
            print(f"\n{title}: none")
            continue
        print(f"\n{title}: {len(drift)} pairs of runs; drift of the median time "
              f"p50 {100 * percentile(drift, 0.5):.1f}%, p90 {100 * percentile(drift, 0.9):.1f}%, "
              f"p95 {100 * percentile(drift, 0.95):.1f}%, max {100 * max(drift):.1f}%")
    if largest_quiet:
        # Twice what these runs showed: on a 2-vCPU cloud VM, 8 runs' largest compute-bound drift
        # was 27.4 %, and later pairs of runs drifted by up to 55.8 %.
        classes = sorted(largest_quiet)
        print("\nlargest never-contended drift by compare's machine class: " +
              ", ".join(f"{c} {100 * largest_quiet[c]:.1f}%" for c in classes))
        # compare takes floors from 0.1 to 1000 %.
        print("compare with twice that: --noise-floor " +
              ",".join(f"{c}={min(1000, max(1, math.ceil(200 * largest_quiet[c])))}"
                       for c in classes))
    else:
        sys.exit("no floor to suggest: no measurement passed uncontended in every run")


if __name__ == "__main__":
    main()
