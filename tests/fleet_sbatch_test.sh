#!/usr/bin/env bash
# scripts/fleet-slurm.sbatch run by bash with stand-ins for Slurm's srun (one task, on this
# machine, with the environment srun gives a task) and scontrol: what needs no cluster. A job
# passes, writing its fleet and JUnit file; the same job id again (Slurm's state reset) is refused
# before anything is measured, leaving the first job's verdict as it was; and a job whose merge
# writes no fleet record ends with merge's status, check not run (an earlier fleet.json must
# never be judged in its place).
#   fleet_sbatch_test.sh FLOPBENCH SOURCE_DIR
set -euo pipefail
flopbench=$1
script=$2/scripts/fleet-slurm.sbatch
fail() {
  echo "FAIL: $*" >&2
  exit 1
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir "$tmp/bin"
cat >"$tmp/bin/srun" <<'EOF'
#!/usr/bin/env bash
SLURM_PROCID=0 SLURM_NTASKS=1 SLURM_LOCALID=0 SLURM_NODEID=0 SLURM_STEP_ID=0 \
  SLURMD_NODENAME=$(hostname) exec "$@"
EOF
cat >"$tmp/bin/scontrol" <<'EOF'
#!/usr/bin/env bash
[ "$1 $2" = "show hostnames" ] && hostname
EOF
chmod +x "$tmp/bin/srun" "$tmp/bin/scontrol"
cat >"$tmp/spec.csv" <<'EOF'
metric,comparator,bound,reference,severity,applies_to,description
cpu.sum_fp32.omp.gbytes_per_s,>=,0.001 GB/s,,fail,any,any working CPU
EOF
job() {  # job ID [VAR=VALUE ...]: runs the script as Slurm would for job ID; its status
  local id=$1
  shift
  env PATH="$tmp/bin:$PATH" SLURM_JOB_ID="$id" SLURM_JOB_NODELIST="$(hostname)" \
    FLOPBENCH="$flopbench" FLOPBENCH_FLEET_DIR="$tmp/jobs" FLOPBENCH_SPEC="$tmp/spec.csv" \
    FLOPBENCH_RUN_OPTIONS="--profile quick --workloads sum --implementations omp --precision fp32 --sizes 1K" \
    "$@" bash "$script" >"$tmp/job-$id.out" 2>&1
}

status=0
job 7 || status=$?
[ "$status" -eq 0 ] || { cat "$tmp/job-7.out"; fail "job 7 exited $status"; }
grep -q "^run: 0, merge: 0, check: 0; in $tmp/jobs/7$" "$tmp/job-7.out" || fail "job 7's last line"
[ -f "$tmp/jobs/7/fleet-junit.xml" ] || fail "job 7 wrote no JUnit file"
cp "$tmp/jobs/7/fleet-junit.xml" "$tmp/junit-7.xml"

status=0
job 7 || status=$?
[ "$status" -eq 2 ] || { cat "$tmp/job-7.out"; fail "job 7 again exited $status, not 2"; }
grep -q "^$tmp/jobs/7 exists: a job id used before?" "$tmp/job-7.out" || fail "job 7 again: no reason"
! grep -q "check:" "$tmp/job-7.out" || fail "job 7 again went on to check"
cmp -s "$tmp/junit-7.xml" "$tmp/jobs/7/fleet-junit.xml" || fail "job 7's JUnit file was rewritten"

status=0
job 8 FLOPBENCH_MERGE_OPTIONS="--threshold 150" || status=$?
[ "$status" -eq 2 ] || { cat "$tmp/job-8.out"; fail "job 8 (merge refused) exited $status, not 2"; }
grep -q "^run: 0, merge: 2, check: not run (no fleet record); in $tmp/jobs/8$" "$tmp/job-8.out" ||
  { cat "$tmp/job-8.out"; fail "job 8's last line"; }
[ ! -e "$tmp/jobs/8/fleet-junit.xml" ] || fail "job 8 wrote a JUnit file"
echo "fleet-slurm.sbatch: a passing job, a job id used again refused, a merge refused unchecked"
