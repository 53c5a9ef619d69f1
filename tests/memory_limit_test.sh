#!/usr/bin/env bash
# Runs inside a cgroup with a memory limit of 1 GiB (a container's `--memory 1g`, a Slurm job's
# memory): sizes are judged against what the limit leaves, not the host's MemAvailable, so that a
# size beyond it is refused with the limit named instead of ending in the OOM killer; info and
# results.json record the limit.
#   memory_limit_test.sh FLOPBENCH
# Exit 77 (skipped) without python3, or where this process cannot make a cgroup with a memory
# limit (not root, cgroups read-only or without the memory controller).
set -euo pipefail

flopbench=$1
fail() {
  echo "memory limit test: $*" >&2
  exit 1
}
skip() {
  echo "memory limit test: skipped: $*"
  exit 77
}
[ "$(id -u)" -eq 0 ] || skip "making a cgroup needs root"
command -v python3 >/dev/null || skip "no python3 to read results.json"

cg=""
tmp=""
cleanup() {
  [ -n "$tmp" ] && rm -rf "$tmp"
  if [ -n "$cg" ] && [ -d "$cg" ]; then
    for _ in 1 2 3 4 5; do rmdir "$cg" 2>/dev/null && break || sleep 0.2; done
  fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

limit=$((1 << 30))
# The cgroup v1 hierarchy with the memory controller, else the cgroup v2 root if it delegates it.
v1_mount=$(awk '$0 ~ / - cgroup / { n = split($NF, o, ","); for (i = 1; i <= n; ++i)
             if (o[i] == "memory") { print $5; exit } }' /proc/self/mountinfo)
if [ -n "$v1_mount" ]; then
  cg="$v1_mount/flopbench-memory-test-$$"
  mkdir "$cg" 2>/dev/null || { cg=""; skip "cannot make a cgroup under $v1_mount"; }
  echo "$limit" 2>/dev/null >"$cg/memory.limit_in_bytes" || skip "cannot set a memory limit in $cg"
  limit_file=$cg/memory.limit_in_bytes
elif grep -qw memory /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then
  cg="/sys/fs/cgroup/flopbench-memory-test-$$"
  mkdir "$cg" 2>/dev/null || { cg=""; skip "cannot make a cgroup under /sys/fs/cgroup"; }
  echo "$limit" 2>/dev/null >"$cg/memory.max" || skip "cannot set memory.max in $cg"
  limit_file=$cg/memory.max
else
  skip "no cgroup hierarchy with the memory controller to make a cgroup in"
fi
tmp=$(mktemp -d)

in_cgroup() {
  sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" "$@"
}

# info names the limit and its file.
in_cgroup "$flopbench" info >"$tmp/info.log" 2>&1 || fail "info: exit $?: $(cat "$tmp/info.log")"
grep -q "^Memory: .*; cgroup memory limit 1 GiB ($limit_file)$" "$tmp/info.log" ||
  fail "info does not show the limit: $(grep '^Memory' "$tmp/info.log")"

# A run records it in results.json.
in_cgroup "$flopbench" run --profile quick --workloads sum --implementations omp --precision fp32 \
  --sizes 4096 --out "$tmp/small" >"$tmp/small.log" 2>&1 ||
  fail "a small run in the cgroup failed: $(cat "$tmp/small.log")"
python3 - "$tmp/small/results.json" "$limit" "$limit_file" <<'PY' || fail "results.json: see above"
import json, sys
limit = json.load(open(sys.argv[1]))["environment"]["cpu"]["memory_limit"]
assert limit == {"bytes": int(sys.argv[2]), "file": sys.argv[3]}, limit
PY

# STREAM at FP64 over 2^26 elements (2 GiB with its check), which the host holds and the limit
# does not. Refused, exit 2, with the limit named; left to run, it would swap or meet the OOM
# killer.
rc=0
in_cgroup "$flopbench" run --profile quick --workloads stream --implementations omp \
  --precision fp64 --sizes 67108864 --out "$tmp/big" >"$tmp/big.log" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "a run beyond the limit exited $rc, not 2: $(tail -n 3 "$tmp/big.log")"
grep -q "it needs 2.0 GiB of memory and .* GiB is available (what the cgroup memory limit of 1.0 GiB leaves: $limit_file)" \
  "$tmp/big.log" || fail "the refusal does not name the limit: $(cat "$tmp/big.log")"

# A CPU burn at 8192 (FP64: 1.0 GiB of inputs, 3.0 GiB in all) likewise.
rc=0
in_cgroup "$flopbench" burn --cpu --duration 5s --size 8192 --precision fp64 --out "$tmp/burn" \
  >"$tmp/burn.log" 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "a burn beyond the limit exited $rc, not 2: $(tail -n 3 "$tmp/burn.log")"
grep -q "GiB of host memory and .* GiB is available (what the cgroup memory limit of 1.0 GiB" "$tmp/burn.log" ||
  fail "the burn's refusal does not name the limit: $(cat "$tmp/burn.log")"
[ ! -e "$tmp/burn" ] || fail "the refused burn wrote $tmp/burn"
echo "memory limit test: passed"
