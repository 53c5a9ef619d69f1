#!/usr/bin/env bash
# Checks scripts/gpu-validate.sh and scripts/gpu_validate.py where there is no GPU:
#   gpu_validate_test.sh TARBALL TESTS_DIR SOURCE_DIR
# - the whole script against a real package tarball and test executables: every step runs or
#   says why not, "no CUDA device" is recorded, the summary lists every step, and the exit status
#   is 1. On a machine with a GPU this part is skipped (exit 77): there the script is the real,
#   minutes-long validation, run by hand. Where nvidia-smi lists eight GPUs, the runs measure
#   GPU 0 alone. Then, with stand-in test executables in a directory
#   whose name has a newline and a |: a multi-line detail stays one row, an empty one keeps its
#   log link, the CUDA toolkit's lib/ and bin/ (CUDA_HOME, CUDA_PATH) are found before PATH's,
#   and SIGTERM midway stops the running step's processes and leaves a summary of the steps so
#   far; a small --deadline records the later steps as timed out, not started; an --python that
#   is not there fails the steps that need Python, saying which.
# - the helper's parts that need no PyTorch: the figures and their agreement verdicts on the
#   golden results with made-up PyTorch times, the dispositions, a sweep's crossovers, argument
#   errors, that a missing PyTorch is "not run" (exit 3), not a crash, and the cross-check itself
#   against a stand-in PyTorch (tests/data/fake_torch): its holds, a failing section, a cut-short
#   run.
set -euo pipefail

tarball=$1 tests=$2 source_dir=$3
script=$source_dir/scripts/gpu-validate.sh
helper=$source_dir/scripts/gpu_validate.py
golden=$source_dir/tests/data/golden/reports/results.json

fail() {
  echo "gpu-validate test: $*" >&2
  exit 1
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# ---- the helper's pure parts ---------------------------------------------------------------
if command -v python3 >/dev/null; then
  # PyTorch's time for the golden cuBLAS SGEMM 2 % longer than ours (agrees), for the CUB sum
  # 5 % shorter (differs by more than 3 %).
  python3 - "$golden" "$tmp/pytorch.json" <<'EOF'
import json, sys
measurements = json.load(open(sys.argv[1]))["measurements"]
def figure(workload, implementation, scale):
    m = next(m for m in measurements if m["workload"] == workload and
             m["implementation"] == implementation and m["device"] == "gpu0")
    t = m["statistics"]["median_s"] * scale
    return {"workload": workload, "precision": m["precision"], "problem": m["problem"],
            "implementations": [implementation], "op": "-", "cold": False,
            "samples_s": [t], "median_s": t}
json.dump({"torch_version": "test", "cuda_version": "13.0",
           "device": {"index": 0, "name": "test", "l2_bytes": 1},
           "matmul_allow_tf32": False, "float32_matmul_precision": "highest",
           "figures": [figure("gemm", "cublas", 1.02), figure("sum", "cub", 0.95)]},
          open(sys.argv[2], "w"))
EOF
  rc=0
  python3 "$helper" figures --results "$golden" --pytorch "$tmp/pytorch.json" --tolerance 0.03 \
    --out "$tmp/figures.md" >"$tmp/figures.log" 2>&1 || rc=$?
  [ "$rc" = 1 ] || fail "figures with a 5 % gap exited $rc, not 1: $(cat "$tmp/figures.log")"
  grep -q '| gemm | fp32 | 256x256x256 | cublas | gpu0 | passed | 1,678 GFLOP/s | .* | 1,645 GFLOP/s | 1.020 | agrees (+2.0%) |' \
    "$tmp/figures.md" || fail "no agreeing cuBLAS row in $(cat "$tmp/figures.md")"
  grep -q '| 0.950 | \*\*differs by -5.0%\*\* |' "$tmp/figures.md" ||
    fail "no differing CUB row in $(cat "$tmp/figures.md")"
  grep -q '1 of 2 agree' "$tmp/figures.md" || fail "no agreement count in $(cat "$tmp/figures.md")"
  python3 "$helper" figures --results "$golden" --pytorch "$tmp/pytorch.json" --tolerance 0.06 \
    --out "$tmp/figures.md" >"$tmp/figures.log" 2>&1 ||
    fail "figures within a 6 % tolerance failed: $(cat "$tmp/figures.log")"
  # The same run given twice: each PyTorch figure is judged once, not counted twice.
  python3 "$helper" figures --results "$golden" "$golden" --pytorch "$tmp/pytorch.json" \
    --tolerance 0.06 --out "$tmp/figures.md" >"$tmp/figures.log" 2>&1 ||
    fail "figures of a run given twice failed: $(cat "$tmp/figures.log")"
  grep -q '2 of 2 agree' "$tmp/figures.md" || fail "duplicates counted: $(cat "$tmp/figures.md")"
  [ "$(grep -c 'judged in an earlier run' "$tmp/figures.md")" = 2 ] ||
    fail "the second run's rows were judged again: $(cat "$tmp/figures.md")"
  # A PyTorch figure with no measurement of ours to stand beside fails, named.
  python3 - "$tmp/pytorch.json" "$tmp/unmatched.json" <<'EOF2'
import json, sys
doc = json.load(open(sys.argv[1]))
extra = dict(doc["figures"][0], problem={"m": 999, "n": 999, "k": 999})
doc["figures"].append(extra)
json.dump(doc, open(sys.argv[2], "w"))
EOF2
  rc=0
  python3 "$helper" figures --results "$golden" --pytorch "$tmp/unmatched.json" --tolerance 0.06 \
    --out "$tmp/figures.md" >"$tmp/figures.log" 2>&1 || rc=$?
  [ "$rc" = 1 ] && grep -q '1 of 3 PyTorch figures that must agree have no measurement of ours: cublas gemm fp32 999x999x999' \
    "$tmp/figures.md" "$tmp/figures.log" ||
    fail "an unmatched PyTorch figure exited $rc: $(cat "$tmp/figures.md" "$tmp/figures.log")"
  # cuBLASLt's BF16 GEMM beside PyTorch's: held to --lt-tolerance (5 % unless given), not to
  # --tolerance. A made-up cuBLASLt record (the golden cuBLAS SGEMM's, renamed), PyTorch 4 %
  # slower: agrees within 5 % though not within 3 %; 7 % slower: differs.
  # A PyTorch figure of another problem (FP8 through torch._scaled_mm, which reads no C) is
  # shown, 20 % off, and not judged. Ours having chosen an algorithm 13.6 % faster than the
  # heuristic's first in its search (its note), PyTorch 13.6 % slower agrees at that algorithm.
  for scale in 1.04 1.07 other-1.20 first-1.136; do
    python3 - "$golden" "$tmp/lt.json" "$tmp/lt-pytorch.json" "$scale" <<'EOF2'
import json, sys
doc = json.load(open(sys.argv[1]))
m = next(m for m in doc["measurements"] if m["workload"] == "gemm" and
         m["implementation"] == "cublas" and m["device"] == "gpu0")
m = dict(m, implementation="cublaslt", precision="bf16")
kind, _, factor = sys.argv[4].rpartition("-")
if kind == "first":
    m["notes"] = ["algorithm chosen by timing 8 of cublasLtMatmulAlgoGetHeuristic's 8 candidates "
                  "(3 runs each, twice, after one untimed; CUDA events), outside the timed "
                  "samples: heuristic rank 4; rank 1 took 1.136 times as long"]
doc["measurements"] = [m]
json.dump(doc, open(sys.argv[2], "w"))
other = kind == "other"
t = m["statistics"]["median_s"] * float(factor)
figure = {"workload": "gemm", "precision": "bf16", "problem": m["problem"],
          "implementations": ["cublaslt"], "op": "-", "cold": False, "samples_s": [t],
          "median_s": t}
if other:
    figure["other_problem"] = "reads no C"
json.dump({"torch_version": "test", "cuda_version": "13.0",
           "device": {"index": 0, "name": "test", "l2_bytes": 1},
           "matmul_allow_tf32": False, "float32_matmul_precision": "highest",
           "figures": [figure]},
          open(sys.argv[3], "w"))
EOF2
    rc=0
    python3 "$helper" figures --results "$tmp/lt.json" --pytorch "$tmp/lt-pytorch.json" \
      --tolerance 0.03 --out "$tmp/figures.md" >"$tmp/figures.log" 2>&1 || rc=$?
    if [ "$scale" = 1.04 ]; then
      [ "$rc" = 0 ] || fail "cuBLASLt 4 % from PyTorch exited $rc, not 0: $(cat "$tmp/figures.log")"
      grep -q '| gemm | bf16 | 256x256x256 | cublaslt | gpu0 | passed | .* | agrees (+4.0%) |' \
        "$tmp/figures.md" || fail "no agreeing cuBLASLt row in $(cat "$tmp/figures.md")"
      grep -q 'gemm cublaslt within 5%): 1 of 1 agree' "$tmp/figures.md" ||
        fail "no cuBLASLt agreement count in $(cat "$tmp/figures.md")"
    elif [ "$scale" = 1.07 ]; then
      [ "$rc" = 1 ] || fail "cuBLASLt 7 % from PyTorch exited $rc, not 1: $(cat "$tmp/figures.log")"
      grep -q '| \*\*differs by +7.0%\*\* |' "$tmp/figures.md" ||
        fail "no differing cuBLASLt row in $(cat "$tmp/figures.md")"
    elif [ "$scale" = first-1.136 ]; then
      [ "$rc" = 0 ] || fail "cuBLASLt at the heuristic's first exited $rc: $(cat "$tmp/figures.log")"
      grep -q "| 1.136 | agrees (+0.0% at the heuristic's first algorithm (ours runs another, 13.6% faster in its search)) |" \
        "$tmp/figures.md" || fail "not judged at the heuristic's first: $(cat "$tmp/figures.md")"
    else
      [ "$rc" = 0 ] || fail "another problem 20 % off exited $rc, not 0: $(cat "$tmp/figures.log")"
      grep -q '| 1.200 | not judged: reads no C |' "$tmp/figures.md" &&
        grep -q '0 of 0 agree' "$tmp/figures.md" ||
        fail "another problem was judged: $(cat "$tmp/figures.md")"
    fi
  done
  rc=0
  python3 "$helper" figures --results "$golden" --pytorch "$tmp/none.json" --tolerance 0.03 \
    --out "$tmp/figures.md" >/dev/null 2>"$tmp/err" || rc=$?
  if [ "$rc" != 3 ] || ! grep -q '^not run: no PyTorch figures' "$tmp/err"; then
    fail "figures without PyTorch's exited $rc: $(cat "$tmp/err")"
  fi
  rc=0
  python3 "$helper" dispositions "$golden" >/dev/null 2>"$tmp/err" || rc=$?
  if [ "$rc" != 1 ] || ! grep -q '^failed: 13 of 17 measurements passed' "$tmp/err"; then
    fail "dispositions of the golden run exited $rc: $(cat "$tmp/err")"
  fi
  # A precision the GPU's hardware lacks is said, not failed (FP8 on an A100).
  python3 - "$golden" "$tmp/older-gpu.json" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
passed = [m for m in doc["measurements"] if m["disposition"] == "passed"]
lacking = dict(passed[0], disposition="unsupported", precision="fp8_e4m3",
               reason="FP8 E4M3 tensor-core matmul needs compute capability 8.9 or newer; gpu0 is 8.0")
doc["measurements"] = passed + [lacking]
json.dump(doc, open(sys.argv[2], "w"))
EOF
  rc=0
  python3 "$helper" dispositions "$tmp/older-gpu.json" >"$tmp/out" 2>"$tmp/err" || rc=$?
  if [ "$rc" != 0 ] || ! grep -q 'not on this GPU: FP8 E4M3 tensor-core matmul needs' "$tmp/out"; then
    fail "dispositions with a precision the GPU lacks exited $rc: $(cat "$tmp/out" "$tmp/err")"
  fi
  # A GPU health fact the run could not read, with its GPU and why (the check step leaves the
  # specs' XID rows out where the kernel log was unreadable); none where every GPU's was read.
  python3 - "$golden" "$tmp/no-kmsg.json" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
facts = doc["environment"]["health"]["gpus"][1]["facts"]
facts["xid.count"] = "unknown: permission (reading /dev/kmsg)"
json.dump(doc, open(sys.argv[2], "w"))
EOF
  line=$(python3 "$helper" unknown-fact "$tmp/no-kmsg.json" xid.count)
  [ "$line" = "gpu1 xid.count unknown: permission (reading /dev/kmsg)" ] ||
    fail "unknown-fact of an unread XID count gave: $line"
  line=$(python3 "$helper" unknown-fact "$golden" xid.count)
  [ -z "$line" ] || fail "unknown-fact of XID counts that were read gave: $line"
  # A sweep's crossovers on one line; a run that is not a sweep has none.
  python3 - "$golden" "$tmp/sweep.json" <<'EOF'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["crossovers"] = [
    {"workload": "gemm", "precision": "fp32", "gpu_timing": "device_events", "size": 90.51},
    {"workload": "gemm", "precision": "fp32", "gpu_timing": "end_to_end_pinned", "size": 300.2},
    {"workload": "gemm", "precision": "fp64", "gpu_timing": "", "size": None},
    {"workload": "dot", "precision": "fp32", "gpu_timing": "device_events", "size": 3000000}]
json.dump(doc, open(sys.argv[2], "w"))
EOF
  line=$(python3 "$helper" crossovers "$tmp/sweep.json")
  expected="crossover SGEMM (device time): n = 91; SGEMM (end to end, pinned): n = 300; DGEMM (no"
  expected="$expected GPU): not reached; dot fp32 (device time): 3000000 elements"
  [ "$line" = "$expected" ] || fail "crossovers of a sweep gave: $line"
  rc=0
  python3 "$helper" crossovers "$golden" >/dev/null 2>"$tmp/err" || rc=$?
  if [ "$rc" != 1 ] || ! grep -q 'no crossovers (not a sweep?)' "$tmp/err"; then
    fail "crossovers of a run that is not a sweep exited $rc: $(cat "$tmp/err")"
  fi
  rc=0
  python3 "$helper" pytorch --out "$tmp/p.json" --gemm-sizes 0 --fp32-elements 1 \
    --fp64-elements 1 2>"$tmp/err" || rc=$?
  [ "$rc" = 2 ] || fail "a zero GEMM size exited $rc, not 2"
  rc=0
  python3 "$helper" pytorch --out "$tmp/p.json" --gemm-sizes 64 --lt-sizes 0 --fp32-elements 1 \
    --fp64-elements 1 2>"$tmp/err" || rc=$?
  [ "$rc" = 2 ] || fail "a zero cuBLASLt GEMM size exited $rc, not 2"
  if ! python3 -c 'import torch' 2>/dev/null; then
    rc=0
    python3 "$helper" pytorch --out "$tmp/p.json" --gemm-sizes 64 --fp32-elements 1 \
      --fp64-elements 1 2>"$tmp/err" || rc=$?
    if [ "$rc" != 3 ] || ! grep -q '^not run: torch is missing' "$tmp/err"; then
      fail "without PyTorch the cross-check exited $rc: $(cat "$tmp/err")"
    fi
  fi
  # The cross-check itself, against a stand-in PyTorch (tests/data/fake_torch): every section
  # runs, each timed run has a hold queued ahead of its start event, and the JSON is complete.
  fake_torch=$source_dir/tests/data/fake_torch
  cross_check() { # OUT, then the environment's FAKE_TORCH_* settings
    PYTHONPATH=$fake_torch python3 "$helper" pytorch --out "$1" --gemm-sizes 64,128 \
      --lt-sizes 64 --fp32-elements 1000 --fp64-elements 500 >"$tmp/pytorch.log" 2>&1
  }
  FAKE_TORCH_LOG=$tmp/holds cross_check "$tmp/fake.json" ||
    fail "the cross-check with a stand-in PyTorch failed: $(cat "$tmp/pytorch.log")"
  # 2 sizes x 2 precisions of GEMM and BF16 + FP8 at one size, 10 runs each; sum, dot and
  # triad at 2 precisions, 30 runs each, and CUB's sum through the stand-in CuPy at 2 precisions,
  # 30 runs each; 4 copies, 10 runs each: 18 figures.
  [ "$(cat "$tmp/holds")" = "holds 340 records 680" ] ||
    fail "not one hold per timed run: $(cat "$tmp/holds")"
  python3 - "$tmp/fake.json" <<'EOF3' || fail "the stand-in cross-check's JSON is wrong"
import json, sys
doc = json.load(open(sys.argv[1]))
assert len(doc["figures"]) == 18 and doc["errors"] == [] and doc["complete"], doc
cub = [f for f in doc["figures"] if f["workload"] == "sum" and f["implementations"] == ["cub"]]
assert len(cub) == 2 and all("cupy.sum" in f["op"] and "other_problem" not in f
                             for f in cub), cub
assert doc["held_before_start"] and not doc["matmul_allow_tf32"], doc
assert all(f["median_s"] == 0.001 for f in doc["figures"]), doc
EOF3
  # Without CuPy, or with one that fails, the sum's CUB figure is torch.sum's, not judged (no
  # second timing), and the section's other figures are still measured.
  for cupy_state in missing broken; do
    FAKE_CUPY=$cupy_state FAKE_TORCH_LOG=$tmp/holds cross_check "$tmp/fake-$cupy_state.json" ||
      fail "the cross-check with CuPy $cupy_state failed: $(cat "$tmp/pytorch.log")"
    [ "$(cat "$tmp/holds")" = "holds 280 records 560" ] ||
      fail "CuPy $cupy_state: not one hold per timed run: $(cat "$tmp/holds")"
    python3 - "$tmp/fake-$cupy_state.json" "$cupy_state" <<'EOF3' || fail "CuPy $cupy_state: wrong JSON"
import json, sys
doc = json.load(open(sys.argv[1]))
assert len(doc["figures"]) == 18 and doc["errors"] == [] and doc["complete"], doc
cub = [f for f in doc["figures"] if f["workload"] == "sum" and f["implementations"] == ["cub"]]
why = {"missing": "ImportError: No module named 'cupy'",
       "broken": "CuPy failed: RuntimeError: fake cupy"}[sys.argv[2]]
assert len(cub) == 2 and all(f["op"] == "torch.sum(x)" and why in f["other_problem"]
                             for f in cub), cub
EOF3
  done
  # A section that raises (a PyTorch without _scaled_mm for FP8) is recorded, the others still
  # run, the exit status is 1, and the figures step counts it against the cross-check.
  rc=0
  FAKE_TORCH_RAISE=_scaled_mm cross_check "$tmp/fake-fp8.json" || rc=$?
  [ "$rc" = 1 ] || fail "a failing FP8 section exited $rc, not 1: $(cat "$tmp/pytorch.log")"
  python3 - "$tmp/fake-fp8.json" <<'EOF3' || fail "a failed section lost figures or its error"
import json, sys
doc = json.load(open(sys.argv[1]))
assert len(doc["figures"]) == 17 and doc["complete"], doc
assert doc["errors"] == ["gemm fp8_e4m3 64: RuntimeError: fake torch: _scaled_mm failed"], doc
EOF3
  # A PyTorch before 2.10, whose addmm cannot add an FP32 C to BF16 operands: BF16 through
  # torch.matmul, marked as another problem than ours, and no error.
  FAKE_TORCH_VERSION=2.9.1+cu128 cross_check "$tmp/fake-bf16.json" ||
    fail "a PyTorch 2.9 failed: $(cat "$tmp/pytorch.log")"
  python3 - "$tmp/fake.json" "$tmp/fake-bf16.json" <<'EOF3' || fail "BF16's problem is misstated"
import json, sys
def bf16(path):
    doc = json.load(open(path))
    assert doc["errors"] == [] and len(doc["figures"]) == 18, doc
    return next(f for f in doc["figures"] if f["precision"] == "bf16")
same, other = bf16(sys.argv[1]), bf16(sys.argv[2])
assert "addmm" in same["op"] and "other_problem" not in same, same
assert "matmul" in other["op"] and "PyTorch 2.9.1+cu128 is older" in other["other_problem"], other
EOF3
  # Any other addmm failure is the section's error, not a quiet fallback.
  rc=0
  FAKE_TORCH_RAISE=addmm cross_check "$tmp/fake-addmm.json" || rc=$?
  [ "$rc" = 1 ] && grep -q '"gemm bf16 64: RuntimeError: fake torch: addmm failed"' \
    "$tmp/fake-addmm.json" || fail "a failing addmm exited $rc: $(cat "$tmp/fake-addmm.json")"
  # figures_fail PYTORCH_JSON TOLERANCE MESSAGE WHAT: the figures of the golden run beside
  # PYTORCH_JSON fail (exit 1) with MESSAGE.
  figures_fail() {
    rc=0
    python3 "$helper" figures --results "$golden" --pytorch "$1" --tolerance "$2" \
      --out "$tmp/figures.md" >/dev/null 2>"$tmp/err" || rc=$?
    if [ "$rc" != 1 ] || ! grep -q "$3" "$tmp/err"; then
      fail "figures beside $4 exited $rc: $(cat "$tmp/err")"
    fi
  }
  figures_fail "$tmp/fake-fp8.json" 0.03 "PyTorch's gemm fp8_e4m3 64: RuntimeError" \
    "a cross-check with an error"
  # A cross-check cut short (its time box ran out) is not taken for a whole one.
  python3 - "$tmp/pytorch.json" "$tmp/cut.json" <<'EOF3'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["complete"] = False
json.dump(doc, open(sys.argv[2], "w"))
EOF3
  figures_fail "$tmp/cut.json" 0.06 "PyTorch's cross-check stopped before its end" \
    "a cut-short cross-check"
  # A sweep times each GPU problem on device time and end to end: a kernel is held against the
  # library on the same timing, and only device time stands beside PyTorch's.
  python3 - "$golden" "$tmp/timings.json" <<'EOF3'
import json, sys
doc = json.load(open(sys.argv[1]))
gpu_gemm = [m for m in doc["measurements"] if m["workload"] == "gemm" and m["device"] == "gpu0"]
doc["measurements"] = []
for timing, scale in (("device_events", 1), ("end_to_end_pageable", 10)):
    for m in gpu_gemm:
        slower = 2 if m["implementation"] == "cuda" else 1
        stats = dict(m["statistics"] or {}, median_s=2e-05 * scale * slower)
        doc["measurements"].append(dict(m, timing=timing, disposition="passed", statistics=stats))
json.dump(doc, open(sys.argv[2], "w"))
EOF3
  rm -f "$tmp/figures.md"
  python3 "$helper" figures --results "$tmp/timings.json" --pytorch "$tmp/pytorch.json" \
    --tolerance 0.03 --out "$tmp/figures.md" >/dev/null 2>&1 || true
  [ -f "$tmp/figures.md" ] || fail "figures of the timed runs wrote no figures.md"
  [ "$(grep -c '| 256x256x256 | cuda | gpu0 | passed | .* | 0.50 × cublas |' "$tmp/figures.md")" = 1 ] ||
    fail "cuda's device time not held against cublas's: $(cat "$tmp/figures.md")"
  grep -q '| 256x256x256 (end to end, pageable) | cuda | gpu0 | passed | .* | 0.50 × cublas | *| *| *|' \
    "$tmp/figures.md" || fail "no end-to-end row without PyTorch: $(cat "$tmp/figures.md")"
  [ "$(grep -c 'agrees (+2.0%)' "$tmp/figures.md")" = 1 ] ||
    fail "PyTorch stood beside an end-to-end figure: $(cat "$tmp/figures.md")"
  # A burn's and a memory test's verdicts on one line; a bad one fails.
  python3 - "$tmp/stress.json" "$tmp/stress-bad.json" "$tmp/stress-ecc.json" \
    "$tmp/stress-merged.json" "$tmp/stress-stopped.json" "$tmp/stress-small.json" \
    "$tmp/stress-sized.json" "$tmp/stress-incomplete.json" <<'EOF'
import json, sys
reading = lambda clock, temp, throttled: {"sm_clock_mhz": clock, "temperature_c": temp,
                                          "power_w": 600, "throttled": throttled}
doc = {"burn": {"devices": [{"device": "gpu0", "precision": "fp64", "verdict": "OK", "why": "",
                             "problem": {"m": 2048, "n": 2048, "k": 2048},
                             "median_gflops": 51234.5, "throughput_drop": 0.012,
                             "busy_share": 0.934,
                             "telemetry": [{"at_s": 1, "reading": reading(1980, 60, False)},
                                           {"at_s": 2, "reading": reading(1755, 71, False)}]}]},
       "memtest": {"devices": [{"device": "gpu0", "passed": True, "verdict": "PASS",
                                "bytes_tested": 20 * 2**30,
                                "passes": 12, "seconds": 15.2, "bad_words": 0, "failure": ""}]}}
json.dump(doc, open(sys.argv[1], "w"))
doc["memtest"]["devices"][0].update(passed=False, verdict="FAIL", bad_words=3)
json.dump(doc, open(sys.argv[2], "w"))
doc["memtest"]["devices"][0].update(bad_words=0, memory_error_rises=[
    {"fact": "ecc.corrected_volatile", "before": 0, "after": 3}])
json.dump(doc, open(sys.argv[3], "w"))
# A long burn's points merge readings, and count the throttled ones among them.
doc["memtest"]["devices"][0].update(passed=True, verdict="PASS", memory_error_rises=[])
doc["burn"]["devices"][0]["telemetry"] = [
    {"at_s": 4, "reading": reading(1900, 65, True), "readings": 4, "throttled_readings": 1},
    {"at_s": 6, "reading": reading(1950, 66, False), "readings": 2, "throttled_readings": 0}]
json.dump(doc, open(sys.argv[4], "w"))
# Telemetry that stopped answering fails the burn; a device interrupted before its first
# throughput point has no median.
doc["burn"]["telemetry_stopped"] = "nvml stopped answering 12.0 s into the FP64 burn"
doc["burn"]["devices"][0].update(median_gflops=None)
json.dump(doc, open(sys.argv[5], "w"))
# An FP16 burn of a Turing GPU at 2048³ without --size did not size itself by the GPU: it fails.
# With --size it ran what it was asked.
del doc["burn"]["telemetry_stopped"]
doc["burn"]["devices"][0].update(precision="fp16", median_gflops=90000.0)
doc["environment"] = {"gpu": {"devices": [{"index": 0, "cc_major": 7, "cc_minor": 5}]}}
doc["run"] = {"command_line": ["flopbench", "burn", "--precision", "fp16"]}
json.dump(doc, open(sys.argv[6], "w"))
doc["run"]["command_line"] += ["--size", "2048"]
json.dump(doc, open(sys.argv[7], "w"))
# A GPU that found nothing wrong but completed no pass is INCOMPLETE, and no pass.
doc["memtest"]["devices"][0].update(passed=False, verdict="INCOMPLETE", passes=0)
json.dump(doc, open(sys.argv[8], "w"))
EOF
  line=$(python3 "$helper" stress "$tmp/stress.json")
  expected="gpu0 FP64 2048³ OK: median 51234.5 GFLOP/s, drop 1.2%, busy 93%, 1755-1980 MHz, 60-71 C,"
  expected="$expected 600-600 W,"
  expected="$expected 0 of 2 readings throttled; gpu0 memtest PASS: 20.0 GiB, 12 passes in 15 s,"
  expected="$expected 0 bad words"
  [ "$line" = "$expected" ] || fail "stress gave: $line"
  python3 "$helper" stress "$tmp/stress-merged.json" | grep -q ', 1 of 6 readings throttled;' ||
    fail "merged burn points counted as: $(python3 "$helper" stress "$tmp/stress-merged.json")"
  rc=0
  python3 "$helper" stress "$tmp/stress-bad.json" >/dev/null 2>"$tmp/err" || rc=$?
  if [ "$rc" != 1 ] || ! grep -q 'gpu0 memtest FAIL: .* 3 bad words' "$tmp/err"; then
    fail "stress with bad words exited $rc: $(cat "$tmp/err")"
  fi
  rc=0
  python3 "$helper" stress "$tmp/stress-incomplete.json" >/dev/null 2>"$tmp/err" || rc=$?
  if [ "$rc" != 1 ] ||
    ! grep -q 'gpu0 memtest INCOMPLETE: .* 0 passes in 15 s, 0 bad words (no complete pass of every pattern)' "$tmp/err"; then
    fail "stress with a GPU without a complete pass exited $rc: $(cat "$tmp/err")"
  fi
  rc=0
  python3 "$helper" stress "$tmp/stress-ecc.json" >/dev/null 2>"$tmp/err" || rc=$?
  if [ "$rc" != 1 ] ||
    ! grep -q 'gpu0 memtest FAIL: .* 0 bad words, ecc.corrected_volatile 0 to 3 rose' "$tmp/err"; then
    fail "stress with an ECC count risen exited $rc: $(cat "$tmp/err")"
  fi
  rc=0
  python3 "$helper" stress "$tmp/stress-stopped.json" >/dev/null 2>"$tmp/err" || rc=$?
  if [ "$rc" != 1 ] || ! grep -q 'gpu0 FP64 2048³ OK: median - GFLOP/s, drop .*; GPU telemetry stopped: nvml stopped answering 12.0 s into the FP64 burn;' "$tmp/err"; then
    fail "stress with a telemetry stop exited $rc: $(cat "$tmp/err")"
  fi
  rc=0
  python3 "$helper" stress "$tmp/stress-small.json" >/dev/null 2>"$tmp/err" || rc=$?
  if [ "$rc" != 1 ] ||
    ! grep -q 'gpu0 FP16 burned 2048³, not the default 8192³ of a GPU with FP16 tensor cores' "$tmp/err"; then
    fail "an FP16 burn at 2048³ by default exited $rc: $(cat "$tmp/err")"
  fi
  python3 "$helper" stress "$tmp/stress-sized.json" | grep -q '^gpu0 FP16 2048³ OK: median 90000.0 GFLOP/s' ||
    fail "an FP16 burn at the --size asked did not pass: $(python3 "$helper" stress "$tmp/stress-sized.json" 2>&1)"
  echo "gpu-validate test: the helper's figures, dispositions, crossovers, stress and errors are right"
else
  echo "gpu-validate test: no python3, the helper is not checked"
fi

# ---- the whole script, without a GPU -------------------------------------------------------
tar -xzf "$tarball" -C "$tmp"
# Skipped only where the bundle's own info ran and found a GPU: a bundle that fails to start is
# a failure here, not a skip.
rc=0
"$tmp/$(basename "$tarball" .tar.gz)/bin/flopbench" info >"$tmp/info.log" 2>&1 || rc=$?
[ "$rc" = 0 ] || fail "the bundle's flopbench info exited $rc: $(cat "$tmp/info.log")"
if ! grep -q '^no CUDA device' "$tmp/info.log"; then
  echo "gpu-validate test: this machine has a GPU; run scripts/gpu-validate.sh by hand"
  exit 77
fi
# A compute-sanitizer that refuses the GPU, as under gVisor: its steps are "not run", saying so.
mkdir -p "$tmp/refusing/bin"
# (It exits 99, --error-exitcode's, as one that counts the failed allocation as an error would.)
printf '#!/bin/sh\necho "========= Error: Device not supported. See Supported Devices."\nexit 99\n' \
  >"$tmp/refusing/bin/compute-sanitizer"
chmod +x "$tmp/refusing/bin/compute-sanitizer"
rc=0
CUDA_PATH=$tmp/refusing "$script" --bundle "$tarball" --tests "$tests" --out "$tmp/validation" \
  >"$tmp/script.log" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "exit $rc without a GPU, not 1: $(cat "$tmp/script.log")"
summary=$tmp/validation/summary.md
[ -f "$summary" ] || fail "no summary.md"
grep -q '^Result: \*\*FAILED\*\*' "$summary" || fail "the summary does not say FAILED"
grep -q '^| info | failed | [0-9]* | no CUDA device: ' "$summary" ||
  fail "the summary does not record 'no CUDA device': $(cat "$summary")"
for step in bundle info "test test_gpu" run check run-gemm run-lt run-fp32 run-fp64 sweep pytorch \
  figures memcheck-gemm memcheck-vectors racecheck-gemm racecheck-vectors sass; do
  grep -q "^| $step | \(passed\|failed\|timed out\|not run\) |" "$summary" ||
    fail "no row for step '$step' in the summary"
done
while read -r log; do
  [ -f "$tmp/validation/$log" ] || fail "the summary links $log, which is not there"
done < <(sed -n 's/.*\[\([^]]*\.log\)\].*/\1/p' "$summary")
grep -q '^| \(memtest\|burn\) |' "$summary" && fail "the validate part ran the stress steps"
for step in memcheck-gemm memcheck-vectors racecheck-gemm racecheck-vectors; do
  grep -q "^| $step | not run | [0-9]* | compute-sanitizer cannot use this GPU here: Error: Device not supported. See Supported Devices. | \[$step.log\]($step.log) |\$" \
    "$summary" || fail "the refused sanitizer's '$step' is not 'not run': $(grep "^| $step" "$summary")"
done
grep -q '^| sweep | failed | 0 | no CUDA device: .* |  |$' "$summary" ||
  fail "the sweep row without a log is not five cells: $(grep '^| sweep' "$summary")"
grep -q '^- persistence mode: .*; CUDA_MODULE_LOADING=' "$summary" ||
  fail "the summary has no persistence mode"
# --part stress: the memory test and the burn (after bundle and info), each failing for want of
# a GPU, and nothing of the validate part.
rc=0
"$script" --bundle "$tarball" --tests "$tests" --out "$tmp/stress" --part stress \
  >"$tmp/stress.log" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "--part stress without a GPU exited $rc, not 1: $(cat "$tmp/stress.log")"
for step in bundle info memtest burn; do
  grep -q "^| $step | \(passed\|failed\) |" "$tmp/stress/summary.md" ||
    fail "no row for step '$step' in the stress summary"
done
grep -q '^| memtest | failed | 0 | no CUDA device: ' "$tmp/stress/summary.md" ||
  fail "the stress summary does not fail memtest for want of a GPU: $(cat "$tmp/stress/summary.md")"
grep -q '^| \(run\|sweep\|sass\) |' "$tmp/stress/summary.md" && fail "--part stress ran validate steps"
rc=0
"$script" --bundle "$tarball" --tests "$tests" --part nonsense >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "--part nonsense exited $rc, not 2"
# --allow-missing: the steps that did not run for a missing tool pass; no GPU still fails.
rc=0
"$script" --bundle "$tarball" --tests "$tests" --out "$tmp/validation-allow-missing" --allow-missing \
  >"$tmp/script.log" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "--allow-missing without a GPU exited $rc, not 1"
rc=0
"$script" --bundle "$tarball" --tests "$tmp" >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "a tests directory without gpu-tests.txt exited $rc, not 2"
rc=0
"$script" --bundle "$tarball" --tests "$tests" --deadline 0 >/dev/null 2>&1 || rc=$?
[ "$rc" = 2 ] || fail "--deadline 0 exited $rc, not 2"

# A board of eight GPUs (a stand-in nvidia-smi): the runs measure GPU 0 alone, which here fails
# each of them for want of a CUDA device, naming --gpus 0; the summary says so.
mkdir -p "$tmp/eight/bin" "$tmp/eight/tests"
cat >"$tmp/eight/bin/nvidia-smi" <<'SMI'
#!/bin/sh
[ "$1" = -L ] || exit 9
for i in 0 1 2 3 4 5 6 7; do echo "GPU $i: NVIDIA H100 80GB HBM3 (UUID: GPU-$i)"; done
SMI
printf 'quiet\n' >"$tmp/eight/tests/gpu-tests.txt"
printf '#!/bin/sh\nexit 0\n' >"$tmp/eight/tests/quiet"
chmod +x "$tmp/eight/bin/nvidia-smi" "$tmp/eight/tests/quiet"
rc=0
CUDA_PATH=$tmp/refusing PATH=$tmp/eight/bin:$PATH "$script" --bundle "$tarball" \
  --tests "$tmp/eight/tests" --out "$tmp/eight/out" --python "$tmp/no-python" \
  >"$tmp/eight.log" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "eight GPUs listed, no CUDA device: exit $rc, not 1: $(cat "$tmp/eight.log")"
# (A CPU-only bundle has no GPU implementation, and its run steps start no flopbench.)
if "$tmp/$(basename "$tarball" .tar.gz)/bin/flopbench" list | awk '$3 == "gpu"' | grep -q .; then
  for step in run run-gemm run-lt run-fp32 run-fp64; do
    grep -q -- "--gpus 0: no CUDA device" "$tmp/eight/out/$step.log" ||
      fail "eight GPUs listed: '$step' did not measure GPU 0 alone: $(cat "$tmp/eight/out/$step.log")"
    grep -q -- "--gpus" "$tmp/validation/$step.log" && fail "one GPU or none: '$step' named --gpus"
  done
fi
grep -q "^- GPUs: nvidia-smi lists 8 GPUs; the validate part's runs measure GPU 0 " \
  "$tmp/eight/out/summary.md" || fail "the summary does not say GPU 0: $(cat "$tmp/eight/out/summary.md")"

# Stand-ins: test executables that pass silently, are missing, or sleep until stopped, in a
# directory whose name makes the bundle step's detail two lines with a |; a CUDA toolkit (in
# CUDA_HOME, and CUDA_PATH) whose compute-sanitizer and cuobjdump must win over PATH's.
fake=$tmp/fake$'|tests\n'dir
mkdir -p "$fake" "$tmp/cuda/bin" "$tmp/cuda/lib64" "$tmp/cuda/targets/x86_64-linux/lib" \
  "$tmp/cuda-path/lib64" "$tmp/path"
printf 'quiet\nmissing\nslow\n' >"$fake/gpu-tests.txt"
printf '#!/bin/sh\nexit 0\n' >"$fake/quiet"
# shellcheck disable=SC2016 # the stand-in expands them
printf '#!/bin/sh\necho $$ >"$SLOW_PID"\nexec sleep 60\n' >"$fake/slow"
for tool in compute-sanitizer cuobjdump; do
  printf '#!/bin/sh\nexit 1\n' >"$tmp/cuda/bin/$tool"
  cp "$tmp/cuda/bin/$tool" "$tmp/path/$tool"
done
chmod +x "$fake/quiet" "$fake/slow" "$tmp"/cuda/bin/* "$tmp"/path/*
SLOW_PID=$tmp/slow.pid CUDA_HOME=$tmp/cuda CUDA_PATH=$tmp/cuda-path PATH=$tmp/path:$PATH \
  "$script" --bundle "$tarball" --tests "$fake" --out "$tmp/term" >"$tmp/term.log" 2>&1 &
pid=$!
for _ in $(seq 300); do
  [ -s "$tmp/slow.pid" ] && break
  sleep 0.2
done
[ -s "$tmp/slow.pid" ] || { kill "$pid"; fail "the slow stand-in never started: $(cat "$tmp/term.log")"; }
kill -TERM "$pid"
rc=0
wait "$pid" || rc=$?
[ "$rc" = 1 ] || fail "stopped by SIGTERM, the script exited $rc, not 1: $(cat "$tmp/term.log")"
for _ in $(seq 25); do
  kill -0 "$(cat "$tmp/slow.pid")" 2>/dev/null || break
  sleep 0.2
done
kill -0 "$(cat "$tmp/slow.pid")" 2>/dev/null && fail "SIGTERM left the running step's process alive"
summary=$tmp/term/summary.md
[ -f "$summary" ] || fail "stopped by SIGTERM, the script left no summary.md: $(cat "$tmp/term.log")"
grep -q '^Result: \*\*FAILED\*\*: stopped by SIGTERM' "$summary" ||
  fail "the summary does not say it was stopped: $(cat "$summary")"
grep -q '^| test slow | interrupted | [0-9]* | stopped by SIGTERM.* | \[test-slow.log\](test-slow.log) |$' \
  "$summary" || fail "the summary does not record the interrupted step: $(cat "$summary")"
for step in bundle info "test quiet" "test missing"; do
  grep -q "^| $step | \(passed\|failed\) |" "$summary" || fail "no row for '$step' after SIGTERM"
done
grep -q '^| run |' "$summary" && fail "a step after SIGTERM has a row: $(cat "$summary")"
# The two-line detail with a |: one row, the | escaped, the log in the last cell.
grep -q '^| bundle | failed | [0-9]* | no test executable .*/fake\\|tests; dir/missing | \[bundle.log\](bundle.log) |$' \
  "$summary" || fail "the bundle's two-line detail is not one row: $(cat "$summary")"
grep -q '^dir/missing' "$summary" && fail "a detail's newline split its row"
# An empty detail keeps its log in the log column.
grep -q '^| test quiet | passed | [0-9]* |  | \[test-quiet.log\](test-quiet.log) |$' "$summary" ||
  fail "the empty detail lost its log link: $(grep '^| test quiet' "$summary")"
grep -q "^LD_LIBRARY_PATH for the executables: .*/lib:$tmp/cuda/lib64:$tmp/cuda/targets/x86_64-linux/lib:$tmp/cuda-path/lib64\\(:\\|$\\)" \
  "$tmp/term/bundle.log" || fail "the CUDA toolkit's lib/ is not on the path: $(cat "$tmp/term/bundle.log")"
grep -q "^compute-sanitizer: $tmp/cuda/bin/compute-sanitizer$" "$tmp/term/bundle.log" ||
  fail "PATH's compute-sanitizer won over CUDA_HOME's: $(cat "$tmp/term/bundle.log")"
grep -q '^CUDA_MODULE_LOADING=LAZY$' "$tmp/term/bundle.log" || fail "CUDA_MODULE_LOADING is not LAZY"
# cuBLASLt's errors, and only those, into the output directory.
grep -q "^CUBLASLT_LOG_LEVEL=1 CUBLASLT_LOG_FILE=$tmp/term/cublaslt-%i.log\$" "$tmp/term/bundle.log" ||
  fail "cuBLASLt's log is not its errors in OUT: $(grep CUBLASLT "$tmp/term/bundle.log")"

# A 6-second deadline: no step after the bundle is started (each needs 10 s), and each is
# recorded as timed out with the reason; an --python that is not there fails the PyTorch steps,
# naming it. A deadline with a leading 0 (octal to bash) is refused.
rc=0
PATH=$tmp/path:$PATH "$script" --bundle "$tarball" --tests "$tests" --out "$tmp/deadline" \
  --deadline 6 --python "$tmp/no-python" >"$tmp/deadline.log" 2>&1 || rc=$?
[ "$rc" = 1 ] || fail "--deadline 6 exited $rc, not 1: $(cat "$tmp/deadline.log")"
summary=$tmp/deadline/summary.md
# (The run steps need the build's GPU implementations first: a CPU-only build fails them sooner.)
for step in info sweep memcheck-gemm racecheck-vectors sass; do
  grep -q "^| $step | timed out | 0 | not started: [0-9-]*s left of the 6s deadline" "$summary" ||
    fail "'$step' is not timed out for the deadline: $(cat "$summary")"
done
for step in pytorch figures; do
  grep -q "^| $step | failed | 0 | no Python interpreter '$tmp/no-python' (from --python) |" \
    "$summary" || fail "'$step' does not fail for the missing --python: $(cat "$summary")"
done
grep -q "no Python interpreter '$tmp/no-python'" "$tmp/deadline.log" ||
  fail "the missing --python is not reported: $(cat "$tmp/deadline.log")"
for bad in "--deadline 09" "--time-scale abc"; do
  rc=0
  # shellcheck disable=SC2086 # the option and its value, split on purpose
  "$script" --bundle "$tarball" --tests "$tests" $bad >/dev/null 2>&1 || rc=$?
  [ "$rc" = 2 ] || fail "$bad exited $rc, not 2"
done
echo "gpu-validate test: without a GPU, every step is recorded and the exit status is 1;" \
  "SIGTERM, the deadline and a missing --python are recorded"
