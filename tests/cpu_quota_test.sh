#!/usr/bin/env bash
# A run inside a cgroup with a CPU quota of 1.5 CPUs (a container's `--cpus 1.5`): by default it
# uses one thread and says why; the quota is in results.json; asked for two threads, it warns
# that they will be throttled, its peak is 1.5 CPUs' and its waits for the quota are taken
# neither for contention nor for threads left idle.
#   cpu_quota_test.sh FLOPBENCH
# Exit 77 (skipped) on a machine with fewer than two CPUs or without python3, or where this
# process cannot make a cgroup with a CPU quota (not root, cgroups read-only or without the cpu
# controller).
set -euo pipefail

flopbench=$1
# The default thread count is under test, and nproc obeys these too.
unset OMP_NUM_THREADS OMP_THREAD_LIMIT
fail() {
  echo "cpu quota test: $*" >&2
  exit 1
}
skip() {
  echo "cpu quota test: skipped: $*"
  exit 77
}
[ "$(nproc)" -ge 2 ] || skip "one CPU: a quota of 1.5 CPUs would not bind"
[ "$(id -u)" -eq 0 ] || skip "making a cgroup needs root"
command -v python3 >/dev/null || skip "no python3 to read results.json"

# shellcheck source=tests/cgroup_test.sh
source "$(dirname "$0")/cgroup_test.sh"
make_cgroup cpu
if [ "$cg_v1" = 1 ]; then
  { echo 100000 >"$cg/cpu.cfs_period_us" && echo 150000 >"$cg/cpu.cfs_quota_us"; } 2>/dev/null ||
    skip "cannot set a CPU quota in $cg"
else
  echo "150000 100000" 2>/dev/null >"$cg/cpu.max" || skip "cannot set cpu.max in $cg"
fi
tmp=$(mktemp -d)

field() { # field FILE PYTHON-EXPRESSION-OVER-d
  python3 -c "import json, sys; d = json.load(open(sys.argv[1])); print($2)" "$1"
}

in_cgroup "$flopbench" run --profile quick --workloads peak --implementations omp \
  --precision fp64 --out "$tmp/default" >"$tmp/default.log" 2>&1 ||
  fail "the default run failed: $(cat "$tmp/default.log")"
grep -q "a cgroup CPU quota of 1.5 CPUs (.*) holds the default to 1 thread" "$tmp/default.log" ||
  fail "no line on the quota: $(cat "$tmp/default.log")"
[ "$(field "$tmp/default/results.json" "d['run']['threads']")" = 1 ] ||
  fail "the default run did not use one thread"
[ "$(field "$tmp/default/results.json" "d['environment']['cpu']['cpu_quota']['cpus']")" = 1.5 ] ||
  fail "results.json does not record the quota"

in_cgroup "$flopbench" run --profile quick --workloads peak --implementations omp \
  --precision fp64 --threads 2 --out "$tmp/two" >"$tmp/two.log" 2>&1 ||
  fail "the two-thread run failed: $(cat "$tmp/two.log")"
grep -q "warning: a cgroup CPU quota of 1.5 CPUs (.*) is below the 2 threads" "$tmp/two.log" ||
  fail "no warning of the quota: $(cat "$tmp/two.log")"
results="$tmp/two/results.json"
m="d['measurements'][0]"
# Two threads on two cores of a CPU the peak table knows: the quota bounds the peak. (Two logical
# CPUs of one core, or a CPU with no peak, leave that unseen.)
if [ "$(field "$results" "d['environment']['cpu']['cores'] >= 2 and $m['peak']['gflops'] is not None")" = True ]; then
  field "$results" "$m['peak']['basis']" | grep -q "^1.5 CPUs of cgroup quota (on 2 cores) x" ||
    fail "the peak is not the quota's: $(field "$results" "$m['peak']['basis']")"
fi
# Half a CPU's worth of waiting is the quota's, not another process's; unless other processes or
# steal took CPU time meanwhile, the measurement is not contended.
if [ "$(field "$results" "$m['load']['other_cpus']['median'] + $m['load']['steal_cpus']['median'] < 0.2")" = True ]; then
  [ "$(field "$results" "$m['load']['contended']")" = False ] ||
    fail "the quota's waits were taken for contention: $(field "$results" "$m['load']")"
fi
# Two threads that keep the quota's 1.5 CPUs busy did not run on fewer threads than given (judged:
# the samples' CPU time, waits and a reading of /proc/stat are known).
[ "$(field "$results" "$m['load'] is not None and $m['load'].get('fewer_threads')")" = False ] ||
  fail "the quota's throttling was taken for fewer threads, or not judged: $(field "$results" "$m['load']")"
echo "cpu quota test: passed"
