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

limit=$((1 << 30))
# shellcheck source=tests/cgroup_test.sh
source "$(dirname "$0")/cgroup_test.sh"
make_cgroup memory
if [ "$cg_v1" = 1 ]; then
  limit_file=$cg/memory.limit_in_bytes
else
  limit_file=$cg/memory.max
fi
echo "$limit" 2>/dev/null >"$limit_file" || skip "cannot set a memory limit in $limit_file"
tmp=$(mktemp -d)

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
