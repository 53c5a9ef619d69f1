#!/usr/bin/env bash
# A fleet launched by Slurm (docs/fleet.md): a one-node cluster of this machine (slurmctld and
# slurmd from a private configuration, on private ports, authentication off: nothing leaves the
# machine) runs `srun -N1 -n2` of a quick SGEMM run, each task writing results/{job}/{host}-{rank}.
# Both tasks must record Slurm as their launcher with their rank, local rank and job; `merge`
# must merge them as one node's two ranks, and `check` must pass the fleet with a JUnit testsuite
# per rank. Then the shipped job script, scripts/fleet-slurm.sbatch, submitted by sbatch with
# the node count and task layout on its command line as a user would: its run, merge and check
# must pass, and the job end with check's status; requeued, it must pass again in a directory of
# its own; rerun (FLOPBENCH_RERUN_OF), its fleet must be the first job's with the rerun's results.
#   fleet_srun_test.sh FLOPBENCH SOURCE_DIR
# Exit 77 (skipped) when Slurm's daemons are not installed or this is not root (slurmd is).
set -euo pipefail

flopbench=$1 source_dir=$2
fail() {
  echo "fleet srun test: $*" >&2
  [ -f "${tmp:-}/slurmctld.log" ] && tail -n 20 "$tmp/slurmctld.log" "$tmp/slurmd.log" >&2
  exit 1
}
for tool in slurmctld slurmd srun sinfo sbatch scontrol; do
  command -v "$tool" >/dev/null || {
    echo "fleet srun test: skipped: no $tool (Debian: apt-get install slurmctld slurmd slurm-client)"
    exit 77
  }
done
[ "$(id -u)" -eq 0 ] || {
  echo "fleet srun test: skipped: slurmd runs jobs as their user only as root"
  exit 77
}

tmp=$(mktemp -d)
stop_cluster() {
  local pids=()
  for file in "$tmp"/slurmd.pid "$tmp"/slurmctld.pid; do
    [ -f "$file" ] && pids+=("$(cat "$file")")
  done
  [ ${#pids[@]} -gt 0 ] && { kill "${pids[@]}" 2>/dev/null || true; }
  # The daemons save their state as they stop: wait for them, up to 10 s, before removing it.
  for _ in $(seq 100); do
    kill -0 "${pids[@]}" 2>/dev/null || break
    sleep 0.1
  done
  rm -rf "$tmp"
}
trap stop_cluster EXIT
cd "$tmp"
host=$(hostname)
mkdir state spool
cat >slurm.conf <<EOF
ClusterName=flopbench-test
SlurmctldHost=$host
SlurmctldPort=16817
SlurmdPort=16818
SlurmUser=root
SlurmdUser=root
AuthType=auth/none
CredType=cred/none
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool
SlurmctldPidFile=$tmp/slurmctld.pid
SlurmdPidFile=$tmp/slurmd.pid
SlurmctldLogFile=$tmp/slurmctld.log
SlurmdLogFile=$tmp/slurmd.log
ProctrackType=proctrack/pgid
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
NodeName=$host CPUs=$(nproc) State=UNKNOWN
PartitionName=test Nodes=ALL Default=YES MaxTime=INFINITE State=UP OverSubscribe=FORCE
EOF
export SLURM_CONF=$tmp/slurm.conf
slurmctld -f "$SLURM_CONF" -i || fail "slurmctld did not start"
slurmd -f "$SLURM_CONF" || fail "slurmd did not start"
for _ in $(seq 60); do
  sinfo -h -o %T 2>/dev/null | grep -q idle && break
  sleep 0.5
done
sinfo -h -o %T | grep -q idle || fail "the node did not come up within 30 s"

timeout 120 srun -N1 -n2 "$flopbench" run --profile quick --workloads sgemm --implementations omp \
  --threads 1 --out 'runs/{job}/{host}-{rank}' >srun.log 2>&1 || { cat srun.log; fail "srun failed"; }

dirs=(runs/*/"$host"-*)
[ ${#dirs[@]} -eq 2 ] || fail "expected two results directories, got: ${dirs[*]}"
job=$(basename "$(dirname "${dirs[0]}")")
for rank in 0 1; do
  results=runs/$job/$host-$rank/results.json
  [ -f "$results" ] || fail "no $results"
  grep -q '"launcher": "slurm"' "$results" || fail "$results: launcher not recorded"
  grep -q "\"rank\": $rank," "$results" || fail "$results: rank $rank not recorded"
  grep -q "\"local_rank\": $rank," "$results" || fail "$results: local rank $rank not recorded"
  grep -q "\"job\": \"$job\"" "$results" || fail "$results: job $job not recorded"
done

# Two ranks sharing two cores may differ by much: only a rank that did not run is an outlier here.
"$flopbench" merge runs/*/* --out fleet --expect-hosts 1 --threshold 99 >merge.log 2>&1 ||
  { cat merge.log; fail "merge failed"; }
cat merge.log
grep -q "^1 of 1 expected nodes reported; 2 results merged, 0 failed" merge.log || fail "merge: wrong summary"

printf 'metric,comparator,bound,reference,severity,applies_to,description\n' >spec.csv
printf 'cpu.sgemm.omp.gflops,>=,0.001 GFLOP/s,,fail,any,\n' >>spec.csv
"$flopbench" check --spec spec.csv --results fleet --junit junit.xml >check.log 2>&1 ||
  { cat check.log; fail "check failed"; }
for suite in "$host rank 0" "$host rank 1" fleet; do
  grep -q "<testsuite name=\"$suite\"" junit.xml || fail "junit.xml has no testsuite '$suite'"
done
# The shipped job script. sbatch's own options override its #SBATCH lines; the settings come
# from the environment, which sbatch passes on.
script=$source_dir/scripts/fleet-slurm.sbatch
FLOPBENCH=$flopbench FLOPBENCH_FLEET_DIR=$tmp/jobs FLOPBENCH_SPEC=$tmp/spec.csv \
  FLOPBENCH_RUN_OPTIONS="--profile quick --workloads sgemm --implementations omp --threads 1" \
  FLOPBENCH_MERGE_OPTIONS="--threshold 99" \
  timeout 150 sbatch --wait --nodes=1 --ntasks-per-node=2 --output="$tmp/job.out" "$script" \
  >sbatch.log 2>&1 || { cat sbatch.log job.out; fail "the job of $script failed"; }
cat job.out
grep -q "^run: 0, merge: 0, check: 0; in $tmp/jobs/" job.out || fail "the job script's summary"
job_dirs=("$tmp"/jobs/*)
[ ${#job_dirs[@]} -eq 1 ] || fail "expected one job directory, got: ${job_dirs[*]}"
[ "$(cat "${job_dirs[0]}/hosts.txt")" = "$host" ] || fail "hosts.txt does not list $host"
for suite in "$host rank 0" "$host rank 1" fleet; do
  grep -q "<testsuite name=\"$suite\"" "${job_dirs[0]}/fleet-junit.xml" ||
    fail "the job's fleet-junit.xml has no testsuite '$suite'"
done
# Requeued (a node failed, or `scontrol requeue`), the job runs the script again under the same
# job id: that attempt writes a directory of its own, and passes as the first did.
job_id=$(basename "${job_dirs[0]}")
scontrol requeue "$job_id" || fail "scontrol requeue $job_id failed"
# Slurm holds a requeued job back until its old credential expires (two minutes): not here.
scontrol update JobId="$job_id" StartTime=now || fail "scontrol update $job_id StartTime=now failed"
for _ in $(seq 200); do
  [ -f "$tmp/jobs/$job_id-restart1/fleet-junit.xml" ] &&
    scontrol show job "$job_id" | grep -q "JobState=COMPLETED" && break
  sleep 0.5
done
cat job.out
grep -q "^run: 0, merge: 0, check: 0; in $tmp/jobs/$job_id-restart1$" job.out ||
  fail "the requeued job's summary"
# A rerun of the requeued job's node (FLOPBENCH_RERUN_OF, naming its last attempt, a trailing "/"
# aside): its fleet is that job's hosts, its two tasks replacing that job's two results of the node.
bad_rerun() {  # FLOPBENCH_RERUN_OF, and what the job must say before measuring anything
  FLOPBENCH_RERUN_OF=$1 FLOPBENCH_FLEET_DIR=$tmp/jobs \
    timeout 60 sbatch --wait --nodes=1 --output="$tmp/bad-rerun.out" "$script" >sbatch.log 2>&1 &&
    fail "FLOPBENCH_RERUN_OF=$1 ran"
  grep -q "FLOPBENCH_RERUN_OF=$1: $2" bad-rerun.out || { cat bad-rerun.out; fail "FLOPBENCH_RERUN_OF=$1: no error"; }
}
bad_rerun "$job_id" "the job was requeued: name its last attempt, $job_id-restart1"
FLOPBENCH=$flopbench FLOPBENCH_FLEET_DIR=$tmp/jobs FLOPBENCH_SPEC=$tmp/spec.csv \
  FLOPBENCH_RUN_OPTIONS="--profile quick --workloads sgemm --implementations omp --threads 1" \
  FLOPBENCH_MERGE_OPTIONS="--threshold 99" FLOPBENCH_RERUN_OF=$job_id-restart1/ \
  timeout 150 sbatch --wait --nodes=1 --ntasks-per-node=2 --output="$tmp/rerun.out" "$script" \
  >sbatch.log 2>&1 || { cat sbatch.log rerun.out; fail "the rerun job of $script failed"; }
cat rerun.out
grep -q "^run: 0, merge: 0, check: 0; in $tmp/jobs/[0-9]*$" rerun.out || fail "the rerun's summary"
rerun_dir=$(sed -n 's/^run: 0, merge: 0, check: 0; in //p' rerun.out)
grep -q "; 2 replaced by a rerun;" "$rerun_dir/fleet/fleet.md" ||
  fail "the rerun's fleet does not replace the first job's two results"
grep -q "^superseded $host rank 1: replaced by the rerun " rerun.out ||
  fail "the rerun's check does not name what it replaced"
bad_rerun no-such-job ".*: not a job this script ran"
bad_rerun "$(basename "$rerun_dir")" "a rerun of job $job_id-restart1: name that job"
echo "fleet srun test: passed"
