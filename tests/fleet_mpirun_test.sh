#!/usr/bin/env bash
# A fleet launched by a real engine (docs/fleet.md): Open MPI's mpirun starts four ranks of a
# quick SGEMM run on this machine, each writing results/{job}/{host}-{rank}. Rank 3's figures are
# then set to a twentieth of what it measured: how much slower a really slowed rank runs depends on
# how the ranks' work overlaps on a shared machine (45 to 90% with eight spinning threads on two
# CPUs), and the test is of the fleet's plumbing, not of the machine. The ranks do not wait for
# each other, so one that ran after the others had finished measured about 4.4 times their
# median on a loaded machine (two busy loops and a build beside it): a quarter of that was no
# outlier. `merge` must flag rank 3 as an outlier, and FAIL an expected host that never ran;
# `check` must fail the fleet and write a JUnit testsuite for every rank, the dead host and the
# fleet. Whether the other ranks stay within
# the threshold depends on what else the machine runs, so it is not asserted.
#   fleet_mpirun_test.sh FLOPBENCH
# Exit 77 (skipped) when mpirun is not installed.
set -euo pipefail

flopbench=$1
fail() {
  echo "fleet mpirun test: $*" >&2
  exit 1
}
command -v mpirun >/dev/null || {
  echo "fleet mpirun test: skipped: no mpirun (Debian: apt-get install openmpi-bin)"
  exit 77
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
host=$(hostname)

# Root may run mpirun only when it says so; --oversubscribe: more ranks than cores. The first
# two CPUs this process may use hold the whole job (--bind-to none: Open MPI keeps that mask).
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
unset OMP_NUM_THREADS OMP_THREAD_LIMIT
two_cpus=$(python3 -c 'import os; print(",".join(map(str, sorted(os.sched_getaffinity(0))[:2])))')
[[ $two_cpus == *,* ]] || {
  echo "fleet mpirun test: skipped: needs two CPUs, has $two_cpus"
  exit 77
}
run=(run --profile quick --workloads sgemm --implementations omp --out 'runs/{job}/{host}-{rank}')
timeout 120 taskset -c "$two_cpus" mpirun --oversubscribe --bind-to none \
  -np 4 "$flopbench" "${run[@]}" --threads 1 >mpirun.log 2>&1 ||
  { cat mpirun.log; fail "mpirun failed"; }

dirs=(runs/*/"$host"-*)
[ ${#dirs[@]} -eq 4 ] || fail "expected four results directories, got: ${dirs[*]}"
for rank in 0 1 2 3; do
  dir=$(ls -d runs/*/"$host-$rank")
  grep -q '"launcher": "openmpi"' "$dir/results.json" || fail "$dir: launcher not recorded"
  grep -q "\"rank\": $rank," "$dir/results.json" || fail "$dir: rank $rank not recorded"
done

# Four ranks on two CPUs contend with each other, and merge leaves contended figures out of the
# comparison: every rank's measurements are made uncontended, since what is tested here is the
# plumbing. Rank 3 a twentieth as fast: every time 20 times as long, every rate a twentieth.
python3 - "$(ls -d runs/*/"$host"-3)/results.json" runs/*/"$host"-*/results.json <<'PY'
import json, os, sys
number = lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)
slowed = os.path.realpath(sys.argv[1])
for path in sorted(set(map(os.path.realpath, sys.argv[2:]))):
    with open(path) as f:
        doc = json.load(f)
    for m in doc["measurements"]:
        if m.get("load"):
            m["load"]["contended"] = False
        if path != slowed:
            continue
        for key in ("samples_s", "host_wall_s"):
            if key in m:
                m[key] = [20 * t if number(t) else t for t in m[key]]
        stats = m.get("statistics") or {}
        for key, value in stats.items():
            if key.endswith("_s") and number(value):
                stats[key] = 20 * value
        for key in ("gflops", "gbytes_per_s", "percent_of_peak"):
            if number(m.get(key)):
                m[key] /= 20
    with open(path, "w") as f:
        json.dump(doc, f, indent=2)
PY

printf '%s\nnode-never-ran\n' "$host" >hosts
status=0
"$flopbench" merge runs/*/* --out fleet --expect-hosts hosts --threshold 25 >merge.log 2>&1 ||
  status=$?
cat merge.log
[ $status -eq 1 ] || fail "merge: exit $status, expected 1 (a host never ran)"
grep -q "FAIL node-never-ran: expected, but reported nothing" merge.log || fail "no dead host"
grep -q "^outlier $host rank 3 cpu: cpu.sgemm.omp" merge.log ||
  { cat fleet/fleet.csv; fail "rank 3 not an outlier"; }
for f in fleet.json fleet.csv fleet.md fleet.html; do [ -s "fleet/$f" ] || fail "no fleet/$f"; done

printf 'metric,comparator,bound,reference,severity,applies_to,description\n' >spec.csv
printf 'cpu.sgemm.omp.gflops,>=,0.001 GFLOP/s,,fail,any,\n' >>spec.csv
status=0
"$flopbench" check --spec spec.csv --results fleet --junit junit.xml >check.log 2>&1 || status=$?
cat check.log
[ $status -eq 1 ] || fail "check: exit $status, expected 1"
grep -q "FAIL fleet.outliers == 0" check.log || fail "the outlier did not fail the fleet"
for suite in "$host rank 0" "$host rank 1" "$host rank 2" "$host rank 3" node-never-ran fleet; do
  grep -q "<testsuite name=\"$suite\"" junit.xml || fail "junit.xml has no testsuite '$suite'"
done
echo "fleet mpirun test: passed"
