#!/usr/bin/env bash
# Proves a flopbench build on a machine with an NVIDIA GPU, in one command (docs/PERFORMANCE.md,
# "How the GPU table is made"). The build comes from another machine, since a freshly
# provisioned GPU machine has none of our build's packages: the `package` preset's tarball, and
# the gpu-labelled test executables of that same build with gpu-tests.txt, which lists them
# (build/package/tests/).
#
#   scripts/gpu-validate.sh --bundle TARBALL|DIR --tests DIR [--out DIR] [--allow-missing]
#                           [--part validate|stress|all] [--time-scale F] [--burn-duration 2m]
#
# The steps, in order, each inside its own time box so that a slow one cannot starve the rest
# (--part validate, the default: the boxes add up to 7 minutes 55 s with one test executable;
# --part stress: memtest and burn, 3 minutes 15 s with the 2-minute burn; --part all: both;
# --time-scale multiplies them):
#   bundle           unpack the tarball; find cuBLAS (the CUDA installation's, else PyTorch's)
#   info             flopbench info
#   test NAME        each gpu-labelled test executable
#   run, check       flopbench run of every GPU implementation at the default sizes, and
#                    flopbench check --spec auto of that run
#   run-gemm, run-fp32, run-fp64
#                    flopbench run at the cross-check's sizes (GEMM 4096 and 8192, 1 GiB vectors)
#   run-lt           cuBLASLt's GEMM at TF32, BF16, FP16, FP8 E4M3 and INT8, at 4096 and 8192:
#                    each verified, with its % of the tensor-core peak
#   sweep            flopbench run --sweep of SGEMM (CPU and GPU, 16^3 to 2048^3; the GPU on
#                    device time and end to end): the crossover sizes, where the GPU starts to
#                    beat the CPU, go into the summary
#   pytorch          the same problems through PyTorch on the same GPU (gpu_validate.py), and
#                    BF16 (torch.matmul) and FP8 (torch._scaled_mm) GEMMs beside cuBLASLt's
#   figures          every figure beside PyTorch's; cuBLAS GEMM and CUB sum must agree within
#                    3 %, cuBLASLt's BF16 and FP8 GEMM within 5 %
#   memcheck-*, racecheck-*
#                    compute-sanitizer on the hand-written kernels at ragged sizes
#   sass             the hand-written GEMM's 16-byte loads (LDG.E.128) in the binary
#   memtest          flopbench memtest of 20 GiB per GPU (walking ones, random, own address),
#                    15 s at most: bad words and their offsets
#   burn             flopbench burn of every GPU at once for 2 minutes (--burn-duration): half
#                    at FP64 (the cuda kernel), half at FP16 (cuBLASLt): the verdicts, median
#                    throughput, drop, clock, temperature and power range
# memtest and burn come last: they heat the GPU, which would lower the figures measured after.
# They are their own part, so that each part fits a machine that allows 10 minutes per command:
# run --part validate, then --part stress into another --out. bundle and info run in both.
# Every step's output goes to OUT/<step>.log, and OUT/summary.md has every step's status and
# every figure. Exit status: 0 when every step passed; 1 when any failed, timed out, or did not
# run for a missing tool (compute-sanitizer, cuobjdump, python3, PyTorch; --allow-missing lets
# those pass); 2 for bad arguments.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
helper=$here/gpu_validate.py

# The cross-check's problems, given to flopbench and to PyTorch alike.
gemm_sizes=4096,8192
fp32_elements=$((1 << 28)) # 1 GiB
fp64_elements=$((1 << 27)) # 1 GiB
tolerance=0.03
lt_tolerance=0.05 # cuBLASLt's BF16 and FP8 GEMM (gpu_validate.py, LOOSER_TOLERANCE)

usage() {
  echo "usage: $0 --bundle TARBALL|DIR --tests DIR [--out DIR] [--allow-missing]" \
    "[--part validate|stress|all] [--time-scale F] [--burn-duration 2m]" \
    "(see the comment at the top of the script)" >&2
  exit 2
}

command_line="$0 $*"
bundle="" tests="" out="" allow_missing=0 time_scale=1 burn_duration=2m part=validate
while [ $# -gt 0 ]; do
  case $1 in
    --bundle | --tests | --out | --time-scale | --burn-duration | --part)
      [ $# -ge 2 ] || { echo "gpu-validate: $1 needs a value" >&2; usage; }
      case $1 in
        --bundle) bundle=$2 ;;
        --tests) tests=$2 ;;
        --out) out=$2 ;;
        --time-scale) time_scale=$2 ;;
        --burn-duration) burn_duration=$2 ;;
        --part) part=$2 ;;
      esac
      shift 2
      ;;
    --allow-missing)
      allow_missing=1
      shift
      ;;
    -h | --help) usage ;;
    *) echo "gpu-validate: unknown argument '$1'" >&2 && usage ;;
  esac
done
[ -n "$bundle" ] || { echo "gpu-validate: --bundle is required" >&2 && usage; }
[ -n "$tests" ] || { echo "gpu-validate: --tests is required" >&2 && usage; }
[ -e "$bundle" ] || { echo "gpu-validate: no bundle '$bundle'" >&2 && exit 2; }
[ -f "$tests/gpu-tests.txt" ] || {
  echo "gpu-validate: '$tests' has no gpu-tests.txt (give the build's tests/ directory)" >&2
  exit 2
}
awk -v f="$time_scale" 'BEGIN { exit !(f > 0) }' || {
  echo "gpu-validate: --time-scale must be a positive number, not '$time_scale'" >&2
  exit 2
}
burn_s=$(echo "$burn_duration" | awk '/^[0-9]+(\.[0-9]+)?[smh]?$/ {
  n = $0 + 0; u = substr($0, length($0)); print int(n * (u == "m" ? 60 : u == "h" ? 3600 : 1) + 0.5) }')
if [ -z "$burn_s" ] || [ "$burn_s" -le 0 ]; then
  echo "gpu-validate: --burn-duration must be seconds, or with s, m or h, not '$burn_duration'" >&2
  exit 2
fi
case $part in
  validate) run_validate=1 run_stress=0 ;;
  stress) run_validate=0 run_stress=1 ;;
  all) run_validate=1 run_stress=1 ;;
  *) echo "gpu-validate: --part must be validate, stress or all, not '$part'" >&2 && exit 2 ;;
esac
bundle=$(realpath "$bundle")
tests=$(realpath "$tests")
out=${out:-gpu-validate-$(uname -n)-$(date -u +%Y%m%dT%H%M%SZ)}
if [ -e "$out" ] && { [ ! -d "$out" ] || [ -n "$(ls -A "$out")" ]; }; then
  echo "gpu-validate: '$out' is not an empty directory; give a new --out" >&2
  exit 2
fi
mkdir -p "$out"
out=$(realpath "$out")

# ---- steps ---------------------------------------------------------------------------------

steps=()  # one row per step: name, status, seconds, detail, log (tab-separated)
failed=0

# record NAME STATUS SECONDS DETAIL LOG
record() {
  local detail=${4//|/\\|}
  steps+=("$1"$'\t'"$2"$'\t'"$3"$'\t'"${detail//$'\t'/ }"$'\t'"$5")
  if [ "$2" != passed ] && { [ "$2" != "not run" ] || [ "$allow_missing" = 0 ]; }; then
    failed=$((failed + 1))
  fi
  echo "   $2 (${3}s)${4:+: $4}"
}

not_run() { # NAME WHY
  echo "== $1"
  record "$1" "not run" 0 "$2" ""
}

# timed NAME BOX LOG COMMAND...: COMMAND inside BOX seconds (times --time-scale), its output in
# LOG. Sets rc (124 or 137 when the box ran out) and took.
timed() {
  local name=$1 log=$3 box
  box=$(awk -v b="$2" -v f="$time_scale" 'BEGIN { printf "%d", b * f + 0.5 }')
  shift 3
  echo "== $name (time box ${box}s)"
  local start=$SECONDS
  rc=0
  timeout --kill-after=10 "$box" "$@" >"$log" 2>&1 || rc=$?
  took=$((SECONDS - start))
}

# The last non-empty line of OUT/LOG.
last_line() { grep -v '^[[:space:]]*$' "$out/$1" | tail -n 1 | cut -c 1-300 || true; }

# Records a step by its exit status; DETAIL (optional) replaces the log's last line on success.
# LOG is relative to OUT, as the summary links it.
finish() { # NAME LOG [DETAIL]
  case $rc in
    0) record "$1" passed "$took" "${3:-}" "$2" ;;
    124 | 137) record "$1" "timed out" "$took" "the time box ran out" "$2" ;;
    *) record "$1" failed "$took" "exit $rc: $(last_line "$2")" "$2" ;;
  esac
}

have_python=0
if command -v python3 >/dev/null; then have_python=1; fi

# A helper step: exit 3 is "not run" (a missing prerequisite), with the reason last in its log.
finish_helper() { # NAME LOG
  if [ "$rc" = 3 ]; then
    record "$1" "not run" "$took" "$(last_line "$2" | sed 's/^not run: //')" "$2"
  else
    finish "$1" "$2" "$(last_line "$2")"
  fi
}

# The dispositions of a flopbench run that exited: every measurement must have passed. NOTE
# (optional) goes before the detail.
finish_run() { # NAME LOG RESULTS_DIR [NOTE]
  local name=$1 log=$2 results=$3/results.json note=${4:+$4; }
  if [ "$rc" = 124 ] || [ "$rc" = 137 ] || [ ! -f "$results" ]; then
    finish "$name" "$log"
  elif [ "$have_python" = 0 ]; then
    record "$name" failed "$took" "python3 is missing: the dispositions cannot be read" "$log"
  elif python3 "$helper" dispositions "$results" >>"$out/$log" 2>&1; then
    finish "$name" "$log" "$note$(last_line "$log")"
  else
    record "$name" failed "$took" "$note$(last_line "$log" | sed 's/^failed: //')" "$log"
  fi
}

echo "gpu-validate: writing to $out"

# ---- bundle: unpack, and find what the executables load ------------------------------------
echo "== bundle"
start=$SECONDS
bundle_problem=""
if [ -d "$bundle" ]; then
  root=$bundle
else
  mkdir "$out/bundle"
  tar -xzf "$bundle" -C "$out/bundle" 2>"$out/bundle.log" || bundle_problem="cannot unpack $bundle"
  root=$(find "$out/bundle" -mindepth 1 -maxdepth 1 -type d | head -n 1)
fi
flopbench_bin=$root/bin/flopbench
# The test executables have no RPATH into the bundle: they find its lib/ through this.
lib_path=$root/lib
cublas_from="the system (the CUDA installation)"
[ -x "$flopbench_bin" ] || bundle_problem="${bundle_problem:-no bin/flopbench in $bundle}"
if [ -z "$bundle_problem" ]; then
  # flopbench names the cuBLAS or cuBLASLt it could not load; PyTorch's wheels carry a copy of
  # both, in one directory.
  soname=$("$flopbench_bin" list 2>&1 | grep -o 'libcublas\(Lt\)\?\.so\.[0-9]*' | head -n 1 ||
    true)
  if [ -n "$soname" ]; then
    site=""
    if [ "$have_python" = 1 ]; then
      site=$(python3 -c 'import importlib.util as u, os; s = u.find_spec("torch")
print(os.path.dirname(os.path.dirname(s.origin)) if s and s.origin else "")' 2>/dev/null || true)
    fi
    found=""
    if [ -n "$site" ]; then
      found=$(find "$site/nvidia" "$site/torch/lib" -name "$soname" -print -quit 2>/dev/null || true)
    fi
    if [ -n "$found" ]; then
      lib_path=$lib_path:$(dirname "$found")
      cublas_from="PyTorch's copy, $(dirname "$found")"
    else
      bundle_problem="$soname is neither installed nor in PyTorch's packages: cuBLAS work cannot run"
      cublas_from="nowhere: $soname not found"
    fi
  fi
fi
run_env=(env "LD_LIBRARY_PATH=$lib_path${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
flopbench=("${run_env[@]}" "$flopbench_bin")
mapfile -t gpu_tests < <(grep -v '^[[:space:]]*$' "$tests/gpu-tests.txt")
for t in "${gpu_tests[@]}"; do
  if [ ! -x "$tests/$t" ]; then
    bundle_problem="${bundle_problem:+$bundle_problem; }no test executable $tests/$t"
  elif missing=$("${run_env[@]}" ldd "$tests/$t" | grep 'not found'); then
    bundle_problem="${bundle_problem:+$bundle_problem; }$t: $(echo "$missing" | head -n 1 | sed "s/^[[:space:]]*//")"
  fi
done
{
  echo "bundle: $root"
  echo "cuBLAS: $cublas_from"
  echo "LD_LIBRARY_PATH for the executables: $lib_path"
  if command -v nvidia-smi >/dev/null; then nvidia-smi || true; else echo "nvidia-smi: not found"; fi
} >>"$out/bundle.log" 2>&1
took=$((SECONDS - start))
if [ -n "$bundle_problem" ]; then
  record bundle failed "$took" "$bundle_problem" bundle.log
else
  record bundle passed "$took" "cuBLAS from $cublas_from" bundle.log
fi
[ -x "$flopbench_bin" ] || flopbench=(false "no flopbench executable")

# ---- flopbench info --------------------------------------------------------------------------
timed info 15 "$out/info.log" "${flopbench[@]}" info
no_device=$(grep -m 1 '^no CUDA device' "$out/info.log" || true)
if [ "$rc" = 0 ] && [ -n "$no_device" ]; then
  record info failed "$took" "$no_device" info.log
else
  finish info info.log "$(grep -m 1 '^Build:' "$out/info.log" | tr -s ' ' || true)"
fi

if [ "$run_validate" = 1 ]; then
# ---- the gpu-labelled tests ----------------------------------------------------------------
for t in "${gpu_tests[@]}"; do
  timed "test $t" 75 "$out/test-$t.log" "${run_env[@]}" "$tests/$t" --gtest_color=no
  # A test skipped for want of a second GPU is no fault of a one-GPU machine; one skipped for
  # want of any GPU is.
  skips=$(grep -A 1 ': Skipped$' "$out/test-$t.log" | grep -v -e ': Skipped$' -e '^--$' | sort |
    uniq -c | sed 's/^ *\([0-9]*\) /\1 skipped: /' | paste -sd / - || true)
  if [ "$rc" = 0 ] && [[ "$skips" == *"skipped: no CUDA device"* ]]; then
    record "test $t" failed "$took" "$skips" "test-$t.log"
  else
    passed=$(grep -m 1 '^\[  PASSED  \]' "$out/test-$t.log" || true)
    finish "test $t" "test-$t.log" "$passed${skips:+; $skips}"
  fi
done

# ---- flopbench run and check ---------------------------------------------------------------
gpu_implementations=$("${flopbench[@]}" list 2>/dev/null | awk '$3 == "gpu" { print $2 }' |
  sort -u | paste -sd , - || true)
# The GPU implementations with FP32, for the steps that name FP32 or FP64: the others
# (cuBLASLt's matrix precisions) would record that they lack them, which the
# every-measurement-passed check counts against the step.
gpu_fp_implementations=$("${flopbench[@]}" list 2>/dev/null |
  awk '$3 == "gpu" && $4 ~ /(^|,)fp32(,|$)/ { print $2 }' | sort -u | paste -sd , - || true)
results=()
flopbench_run() { # NAME BOX IMPLEMENTATIONS RUN-OPTIONS...
  local name=$1 box=$2 implementations=$3
  shift 3
  if [ -z "$implementations" ]; then
    echo "== $name"
    record "$name" failed 0 "flopbench list names no such GPU implementation (a CPU-only build?)" ""
    return
  fi
  timed "$name" "$box" "$out/$name.log" "${flopbench[@]}" run \
    --implementations "$implementations" --out "$out/$name" "$@"
  finish_run "$name" "$name.log" "$out/$name"
  if [ -f "$out/$name/results.json" ]; then results+=("$out/$name/results.json"); fi
}

# Every GPU workload at the quick profile's GPU sizes (2048³ GEMM, 8 × L2 vectors); the steps
# below measure the cross-checked sizes.
flopbench_run run 55 "$gpu_implementations" --profile quick
if [ -f "$out/run/results.json" ]; then
  timed check 10 "$out/check.log" "${flopbench[@]}" check --spec auto \
    --results "$out/run/results.json" --junit "$out/check-junit.xml"
  verdict=$(grep -E '^[A-Z]+: [0-9]+ criteri' "$out/check.log" | tail -n 1 || true)
  if [ "$rc" = 1 ] && [ -n "$verdict" ]; then
    record check failed "$took" "$verdict" check.log
  else
    finish check check.log "$verdict"
  fi
else
  echo "== check"
  record check failed 0 "the run step wrote no results.json" ""
fi

flopbench_run run-gemm 35 "$gpu_fp_implementations" --workloads gemm --precision fp32,fp64 \
  --sizes "$gemm_sizes"
# cuBLASLt alone at its five precisions: the matrix-precision figures, and PyTorch's BF16 and
# FP8 beside them.
lt_implementation=$(echo ",$gpu_implementations," | grep -o ',cublaslt,' | tr -d , || true)
flopbench_run run-lt 40 "$lt_implementation" --workloads gemm \
  --precision tf32,bf16,fp16,fp8_e4m3,int8 --sizes "$gemm_sizes"
flopbench_run run-fp32 30 "$gpu_fp_implementations" --workloads sum,dot,stream,transfer \
  --precision fp32 --sizes "$fp32_elements"
flopbench_run run-fp64 20 "$gpu_fp_implementations" --workloads sum,dot,stream --precision fp64 \
  --sizes "$fp64_elements"

# ---- the sweep: SGEMM from 16^3 to 2048^3 on the CPU and the GPU ---------------------------
# Without a GPU there is no crossover to find, and the CPU half would only spend the time box.
if [ -n "$no_device" ]; then
  echo "== sweep"
  record sweep failed 0 "$no_device" ""
else
  # The FP32 implementations only: the others would record that they lack FP32 (oneDNN's GEMM
  # is BF16, FP16 and INT8), which the every-measurement-passed check counts against the step.
  timed sweep 40 "$out/sweep.log" "${flopbench[@]}" run --sweep --workloads sgemm \
    --implementations "omp,eigen,openblas,$gpu_fp_implementations" --out "$out/sweep"
  crossover=""
  if [ "$have_python" = 1 ] && [ -f "$out/sweep/results.json" ]; then
    crossover=$(python3 "$helper" crossovers "$out/sweep/results.json" 2>>"$out/sweep.log" || true)
  fi
  finish_run sweep sweep.log "$out/sweep" "$crossover"
fi

# ---- the PyTorch cross-check ---------------------------------------------------------------
if [ "$have_python" = 0 ]; then
  not_run pytorch "python3 is missing"
  not_run figures "python3 is missing"
else
  timed pytorch 70 "$out/pytorch.log" python3 "$helper" pytorch --out "$out/pytorch.json" \
    --gemm-sizes "$gemm_sizes" --lt-sizes "$gemm_sizes" --fp32-elements "$fp32_elements" \
    --fp64-elements "$fp64_elements"
  finish_helper pytorch pytorch.log
  if [ ${#results[@]} -gt 0 ]; then
    timed figures 10 "$out/figures.log" python3 "$helper" figures --results "${results[@]}" \
      --pytorch "$out/pytorch.json" --tolerance "$tolerance" --lt-tolerance "$lt_tolerance" \
      --out "$out/figures.md"
    finish_helper figures figures.log
  else
    echo "== figures"
    record figures failed 0 "no run wrote a results.json" ""
  fi
fi

# ---- compute-sanitizer on the hand-written kernels -----------------------------------------
cuda_bin=${CUDA_HOME:-/usr/local/cuda}/bin
find_tool() { command -v "$1" || { [ -x "$cuda_bin/$1" ] && echo "$cuda_bin/$1"; } || true; }
sanitizer=$(find_tool compute-sanitizer)
# Ragged sizes: GEMMs whose leading dimensions do and do not allow 16-byte loads (the two
# kernels), vectors that fill no block evenly. racecheck's GEMMs are smaller: it is slower.
sanitize() { # NAME BOX TOOL WORKLOADS SIZES
  local name=$1 box=$2 tool=$3 workloads=$4 sizes=$5
  if [ -z "$sanitizer" ]; then
    not_run "$name" "compute-sanitizer is not installed (CUDA toolkit's bin/)"
    return
  fi
  timed "$name" "$box" "$out/$name.log" "${run_env[@]}" "$sanitizer" --tool "$tool" \
    --error-exitcode 99 "$flopbench_bin" run --profile quick --implementations cuda \
    --workloads "$workloads" --sizes "$sizes" --out "$out/$name"
  local summary
  summary=$(grep -E '(ERROR|RACECHECK) SUMMARY' "$out/$name.log" | tail -n 1 | sed 's/^=* *//' ||
    true)
  if [ "$rc" = 99 ]; then
    record "$name" failed "$took" "${summary:-the sanitizer found errors}" "$name.log"
  else
    finish_run "$name" "$name.log" "$out/$name" "$summary"
  fi
}
sanitize memcheck-gemm 20 memcheck gemm 257x129x65,260x37x100
sanitize memcheck-vectors 10 memcheck sum,dot,stream,peak 100003
sanitize racecheck-gemm 25 racecheck gemm 129x65x17,132x36x20
sanitize racecheck-vectors 10 racecheck sum,dot,stream,peak 100003

# ---- SASS: the aligned GEMM kernels' global loads are 16 bytes wide ------------------------
cuobjdump=$(find_tool cuobjdump)
if [ -z "$cuobjdump" ]; then
  not_run sass "cuobjdump is not installed (CUDA toolkit's bin/)"
else
  timed sass 10 "$out/sass.log" "$cuobjdump" -sass "$flopbench_bin"
  if [ "$rc" = 0 ]; then
    # Per architecture, the kernels for aligned leading dimensions (gemm_kernel<T, true>): each
    # global load of A and B is one LDG.E.128 (fp32 4 sites, fp64 8, as in the PTX).
    rc=0
    verdict=$(awk '
      /arch = sm_/ { arch = $3 }
      /Function : / { fn = $3; kind = "" }
      /Function : .*gemm_kernelIfLb1E/ { kind = "fp32"; want[arch " " kind] = 4; n[arch " " kind] += 0 }
      /Function : .*gemm_kernelIdLb1E/ { kind = "fp64"; want[arch " " kind] = 8; n[arch " " kind] += 0 }
      kind != "" && /LDG\.E\.128/ { n[arch " " kind]++ }
      END {
        bad = 0; text = ""
        for (k in n) {
          text = text sprintf("%s%s %d", text == "" ? "" : ", ", k, n[k])
          if (n[k] < want[k]) bad = 1
        }
        if (text == "") { print "no aligned gemm kernel found"; exit 1 }
        print "LDG.E.128 per aligned gemm kernel: " text
        exit bad
      }' "$out/sass.log") || rc=$?
    echo "$verdict" >>"$out/sass.log"
    finish sass sass.log "$verdict"
  else
    finish sass sass.log
  fi
fi

fi # run_validate

if [ "$run_stress" = 1 ]; then
# ---- memtest and burn: last, since they heat the GPU -------------------------------------
# Their verdicts, one line each, from their results.json (gpu_validate.py stress).
finish_stress() { # NAME LOG RESULTS_DIR
  local name=$1 log=$2 file=$3/results.json line
  if [ "$rc" = 124 ] || [ "$rc" = 137 ] || [ ! -f "$file" ] || [ "$have_python" = 0 ]; then
    finish "$name" "$log"
  elif line=$(python3 "$helper" stress "$file" 2>&1) && [ "$rc" = 0 ]; then
    echo "$line" >>"$out/$log"
    record "$name" passed "$took" "$line" "$log"
  else
    echo "$line" >>"$out/$log"
    record "$name" failed "$took" "exit $rc: ${line#failed: }" "$log"
  fi
}
if [ -n "$no_device" ]; then
  # Without a GPU the burn would burn the CPU and the memory test has nothing to test.
  echo "== memtest"
  record memtest failed 0 "$no_device" ""
  echo "== burn"
  record burn failed 0 "$no_device" ""
else
  timed memtest 30 "$out/memtest.log" "${flopbench[@]}" memtest --size-gib 20 --duration 15s \
    --out "$out/memtest"
  finish_stress memtest memtest.log "$out/memtest"
  # Half the time at FP64 on the hand-written kernel, half at FP16 on cuBLASLt's tensor cores
  # (FP16 rather than BF16: compute capability 7.5 has FP16 tensor cores but no BF16).
  timed burn $((burn_s + 30)) "$out/burn.log" "${flopbench[@]}" burn --precision fp64,fp16 \
    --duration "$(((burn_s + 1) / 2))s" --out "$out/burn"
  finish_stress burn burn.log "$out/burn"
fi
fi # run_stress

# ---- summary -------------------------------------------------------------------------------
{
  echo "# flopbench GPU validation"
  echo
  if [ "$failed" = 0 ]; then
    echo "Result: **PASSED**: every one of ${#steps[@]} steps passed."
  else
    echo "Result: **FAILED**: $failed of ${#steps[@]} steps did not pass."
  fi
  echo
  echo "- host: $(uname -n); finished $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "- command: \`$command_line\`"
  echo "- bundle: $bundle; tests: $tests; cuBLAS from $cublas_from"
  echo
  echo '```'
  sed -n '/^== GPU ==/,/^$/p; /^Build:/p' "$out/info.log" 2>/dev/null || true
  echo '```'
  echo
  echo "| step | status | seconds | detail | log |"
  echo "|---|---|---:|---|---|"
  for row in "${steps[@]}"; do
    IFS=$'\t' read -r name status seconds detail log <<<"$row"
    echo "| $name | $status | $seconds | $detail | ${log:+[$log]($log)} |"
  done
  echo
  if [ -f "$out/figures.md" ]; then cat "$out/figures.md"; else echo "No figures: see the figures step."; fi
} >"$out/summary.md"

echo "gpu-validate: $([ "$failed" = 0 ] && echo PASSED || echo "FAILED ($failed of ${#steps[@]} steps)"); summary in $out/summary.md"
[ "$failed" = 0 ]
