#!/usr/bin/env bash
# scripts/noise-floor.py on two runs of one command (docs/methodology.md, "Comparing runs"): it
# gives the largest drift of each of compare's machine classes, and a --noise-floor that compare
# takes. The runs are marked uncontended first, so that every measurement counts whatever else
# the machine runs; the drifts themselves are the machine's, and are not asserted. The stream's
# 64 elements are within the cache: its note is dropped, so that it counts, and the dot's kept,
# which leaves it out, as compare calls such a figure inconclusive.
#   noise_floor_test.sh FLOPBENCH SOURCE_DIR
set -euo pipefail

flopbench=$1
script=$2/scripts/noise-floor.py
fail() {
  echo "noise floor test: $*" >&2
  exit 1
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

"$flopbench" run --repeat 2 --out "$tmp/runs" --workloads gemm,stream,dot --implementations omp \
  --precision fp32 --profile quick --sizes 64 --threads 1 >/dev/null
python3 - "$tmp"/runs/run-*/results.json <<'PY'
import json, sys
for path in sys.argv[1:]:
    doc = json.load(open(path))
    for m in doc["measurements"]:
        if m.get("load"):
            m["load"]["contended"] = False
        if m["workload"] == "stream":
            m["notes"] = [n for n in m.get("notes", []) if "partly cache bandwidth" not in n]
    json.dump(doc, open(path, "w"))
PY

python3 "$script" --from "$tmp/runs" >"$tmp/out.txt" || fail "exit $?: $(cat "$tmp/out.txt")"
grep -qx "left out: 1 measurement(s), partly cache bandwidth" "$tmp/out.txt" ||
  fail "the dot within the cache counted: $(cat "$tmp/out.txt")"
grep -qE "^largest never-contended drift by compare's machine class: cpu-compute [0-9.]+%, cpu-memory [0-9.]+%$" "$tmp/out.txt" ||
  fail "no drift by class: $(cat "$tmp/out.txt")"
floor=$(sed -n 's/^compare with twice that: --noise-floor //p' "$tmp/out.txt")
[[ $floor =~ ^cpu-compute=[0-9]+,cpu-memory=[0-9]+$ ]] || fail "suggested floor '$floor'"
"$flopbench" compare "$tmp/runs/run-1" "$tmp/runs/run-2" --noise-floor "$floor" >"$tmp/compare.txt" ||
  fail "compare --noise-floor $floor: exit $?"
grep -q "3 matched:" "$tmp/compare.txt" || fail "compare: $(cat "$tmp/compare.txt")"
# The floors applied are the ones suggested.
compute=${floor#cpu-compute=}
compute=${compute%%,*}
grep -q "the floor between runs (${compute}% CPU compute-bound, ${floor##*=}% CPU memory-bound" \
  "$tmp/compare.txt" || fail "compare did not apply $floor: $(tail -n 2 "$tmp/compare.txt")"

# A file written before the `bound` field: the script says so rather than guess the class.
python3 - "$tmp/runs/run-1/results.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for m in doc["measurements"]:
    del m["bound"]
json.dump(doc, open(sys.argv[1], "w"))
PY
if python3 "$script" --from "$tmp/runs" >"$tmp/old.txt" 2>&1; then fail "a file without bound was read"; fi
grep -q "without the \`bound\` field" "$tmp/old.txt" || fail "old file: $(cat "$tmp/old.txt")"
echo "noise floor test: $(grep '^compare with' "$tmp/out.txt")"
