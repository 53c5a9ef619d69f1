#!/usr/bin/env bash
# Proves a flopbench build on a machine with an NVIDIA GPU, in one command (docs/PERFORMANCE.md,
# "How the GPU table is made"). The build comes from another machine, since a freshly
# provisioned GPU machine has none of our build's packages: the `package` preset's tarball, and
# the gpu-labelled test executables of that same build with gpu-tests.txt, which lists them
# (build/package/tests/).
#
#   scripts/gpu-validate.sh --bundle TARBALL|DIR --tests DIR [--out DIR] [--allow-missing]
#                           [--part validate|stress|all] [--time-scale F] [--burn-duration 2m]
#                           [--python PATH] [--deadline S]
#
# The steps, in order, each inside its own time box so that a slow one cannot starve the rest
# (--part validate, the default: the boxes add up to 8 minutes 5 s with one test executable;
# --part stress: memtest and burn, 3 minutes 15 s with the 2-minute burn; --part all: both;
# --time-scale multiplies them):
#   bundle           unpack the tarball; find cuBLAS (the CUDA installation's, else the Python
#                    environment's: PyTorch's pip packages or a conda prefix's lib/), the
#                    sanitizer and cuobjdump; log nvidia-smi and the persistence mode (unchanged);
#                    touch 16 GiB of host memory once where less is available and there is a
#                    GPU (validate part)
#   info             flopbench info
#   sass             the hand-written GEMM's 16-byte loads (LDG.E.128 and its variants) in the
#                    binary
#   test NAME        each gpu-labelled test executable
#   run, check       flopbench run of every GPU implementation at the quick profile's sizes,
#                    and flopbench check --spec auto of that run (on a machine with one GPU,
#                    without the specs' NVLink rows, which are for the SKU's 8-GPU boards; where
#                    the run could not read the kernel log, without the XID rows)
#   run-gemm         flopbench run at the cross-check's GEMM sizes (4096 and 8192)
#   run-lt           cuBLASLt's GEMM at TF32, BF16, FP16, FP8 E4M3 and INT8, at 4096 and 8192:
#                    each verified, with its % of the tensor-core peak
#   run-fp32, run-fp64
#                    flopbench run of sum, dot and stream (and transfer at FP32) at the
#                    cross-check's vector size (1 GiB)
#   sweep            flopbench run --sweep of SGEMM (CPU and GPU, 16^3 to 2048^3; the GPU on
#                    device time and end to end): the crossover sizes, where the GPU starts to
#                    beat the CPU, go into the summary
#   pytorch          the same problems through PyTorch on the same GPU (gpu_validate.py), and
#                    BF16 (torch.addmm into FP32) and FP8 (torch._scaled_mm) GEMMs beside
#                    cuBLASLt's
#   figures          every figure beside PyTorch's; cuBLAS GEMM and CUB sum must agree within
#                    3 %, cuBLASLt's BF16 GEMM within 5 %; a PyTorch figure of another problem
#                    (FP8: _scaled_mm reads no C) is shown and not judged
#   memcheck-*, racecheck-*
#                    compute-sanitizer on the hand-written kernels at ragged sizes (GEMM; sum,
#                    dot and stream, racecheck sum and dot)
#   memtest          flopbench memtest of 20 GiB per GPU (walking ones, random, own address),
#                    a 15 s time box: bad words and their offsets
#   burn             flopbench burn of every GPU at once for 2 minutes (--burn-duration): half
#                    at FP64 (the cuda kernel), half at FP16 (cuBLASLt, 8192³ by default): the
#                    sizes, verdicts, median throughput, drop, clock, temperature and power range
# On a machine with more than one GPU (nvidia-smi -L), the validate part's flopbench runs measure
# GPU 0 (--gpus 0), the one PyTorch's cross-check uses: it proves the build, and every GPU and
# their aggregate would take nine times its time boxes on a board of eight. Its check step then
# judges the GPU rows and health facts on GPU 0 alone; a node's acceptance of every GPU is
# `flopbench check --spec auto` run on it (docs/acceptance.md). memtest and burn run every GPU
# at once.
# memtest and burn come last: they heat the GPU, which would lower the figures measured after.
# They are their own part, so that each part fits a machine that allows 10 minutes per command:
# run --part validate, then --part stress into another --out. bundle and info run in both.
#
# Time: the whole run also has a deadline, counted from its start: 470 s for the validate part
# (under 8 minutes, though its boxes add up to 485 s), the burn + 90 s for the stress part, their
# sum for --part all, each times --time-scale; --deadline S sets it in seconds instead. Each box
# is cut to what is left of the deadline less 5 s (a box that runs out has 3 s between TERM and
# KILL), and a step with under 10 s to the deadline is not started: "timed out", with the
# reason. The short commands outside the steps (flopbench list, nvidia-smi, ldd, the JSON
# helpers) have 30 s each.
# Steps run with CUDA_MODULE_LOADING=LAZY, CUDA_DEVICE_ORDER=PCI_BUS_ID and CUBLASLT_LOG_LEVEL=1 (cuBLASLt's errors, into
# OUT/cublaslt-<pid>.log) unless they are set. The executables' LD_LIBRARY_PATH is
# the bundle's lib/, the CUDA toolkit's lib64/ and targets/x86_64-linux/lib/ (of CUDA_HOME, else
# /usr/local/cuda, and of CUDA_PATH), the Python environment's cuBLAS when flopbench cannot load
# the toolkit's, then the caller's LD_LIBRARY_PATH. compute-sanitizer and cuobjdump come from
# CUDA_HOME/bin, CUDA_PATH/bin or /usr/local/cuda/bin before PATH.
#
# Python: --python PATH (default $PYTHON, else python3) runs the PyTorch cross-check, finds
# PyTorch's cuBLAS, and runs the JSON helpers (gpu_validate.py). With no python3 the steps that
# need it are "not run"; an interpreter given by --python or PYTHON that is not there fails them.
#
# Every step's output goes to OUT/<step>.log, and OUT/summary.md has every step's status and
# every figure; it is rewritten after every step, so that a run killed from outside still has
# one. SIGTERM or SIGINT stops the running step (its whole process group), records it as
# "interrupted" and writes the summary. Exit status: 0 when every step passed; 1 when any failed,
# timed out, was interrupted, or did not run for a missing tool (compute-sanitizer, cuobjdump,
# python3, PyTorch) or a compute-sanitizer that cannot use the GPU (gVisor); --allow-missing lets
# those pass; 2 for bad arguments.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
helper=$here/gpu_validate.py

# The cross-check's problems, given to flopbench and to PyTorch alike.
gemm_sizes=4096,8192
fp32_elements=$((1 << 28)) # 1 GiB
fp64_elements=$((1 << 27)) # 1 GiB
tolerance=0.03
lt_tolerance=0.05 # cuBLASLt's BF16 and FP8 GEMM (gpu_validate.py, LOOSER_TOLERANCE)

# Time: the deadline of each part (seconds, before --time-scale), the seconds between a box's
# TERM and its KILL, what a box keeps back from the deadline, the least a step is started with,
# and the box of each short command outside the steps.
validate_deadline=470
stress_deadline_over_burn=90
kill_after=3
margin=$((kill_after + 2))
min_box=5
quick_box=30
# The host memory the validate part's runs are sure to find free (the bundle step).
host_memory_gib=16

usage() {
  echo "usage: $0 --bundle TARBALL|DIR --tests DIR [--out DIR] [--allow-missing]" \
    "[--part validate|stress|all] [--time-scale F] [--burn-duration 2m] [--python PATH]" \
    "[--deadline S] (see the comment at the top of the script)" >&2
  exit 2
}

command_line="$0 $*"
bundle="" tests="" out="" allow_missing=0 time_scale=1 burn_duration=2m part=validate deadline=""
python=${PYTHON:-python3} python_given=${PYTHON:+PYTHON}
while [ $# -gt 0 ]; do
  case $1 in
    --bundle | --tests | --out | --time-scale | --burn-duration | --part | --python | --deadline)
      [ $# -ge 2 ] || { echo "gpu-validate: $1 needs a value" >&2; usage; }
      case $1 in
        --bundle) bundle=$2 ;;
        --tests) tests=$2 ;;
        --out) out=$2 ;;
        --time-scale) time_scale=$2 ;;
        --burn-duration) burn_duration=$2 ;;
        --part) part=$2 ;;
        --python) python=$2 python_given=--python ;;
        --deadline) deadline=$2 ;;
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
[[ $time_scale =~ ^([0-9]+\.?[0-9]*|\.[0-9]+)$ ]] && awk -v f="$time_scale" 'BEGIN { exit !(f > 0) }' || {
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
if [ -z "$deadline" ]; then
  deadline=$(awk -v v="$run_validate" -v s="$run_stress" -v d="$validate_deadline" \
    -v b="$((burn_s + stress_deadline_over_burn))" -v f="$time_scale" \
    'BEGIN { printf "%d", (v * d + s * b) * f + 0.5 }')
elif ! [[ $deadline =~ ^[1-9][0-9]*$ ]]; then  # no leading 0: bash would read it as octal
  echo "gpu-validate: --deadline must be a positive number of seconds, not '$deadline'" >&2
  exit 2
fi
if [ "$deadline" -gt 600 ]; then
  # Machines lent for a while often allow 10 minutes a command: run the parts one by one there.
  echo "gpu-validate: warning: the deadline is ${deadline}s, over 10 minutes; where commands" \
    "are limited to 10 minutes, run --part validate and --part stress one after the other" >&2
fi
bundle=$(realpath "$bundle")
tests=$(realpath "$tests")
out=${out:-gpu-validate-$(uname -n)-$(date -u +%Y%m%dT%H%M%SZ)}
if [ -e "$out" ] && { [ ! -d "$out" ] || [ -n "$(ls -A "$out")" ]; }; then
  echo "gpu-validate: '$out' is not an empty directory; give a new --out" >&2
  exit 2
fi
mkdir -p "$out"
out=$(realpath "$out")

# The interpreter of the PyTorch cross-check and of the JSON helpers. None at all is a missing
# tool ("not run"); one that was named but is not there is a mistake (the steps fail).
python_missing="" python_missing_status="not run"
if ! command -v "$python" >/dev/null 2>&1; then
  if [ -n "$python_given" ]; then
    python_missing="no Python interpreter '$python' (from $python_given)"
    python_missing_status=failed
    echo "gpu-validate: $python_missing: the steps that need Python fail" >&2
  else
    python_missing="python3 is missing"
  fi
fi
export CUDA_MODULE_LOADING=${CUDA_MODULE_LOADING:-LAZY}
# GPU numbers as flopbench sets them (PCI bus order, nvidia-smi's), so that PyTorch's device 0 in
# the cross-check is flopbench's gpu0 on a machine of mixed GPUs too.
export CUDA_DEVICE_ORDER=${CUDA_DEVICE_ORDER:-PCI_BUS_ID}
# cuBLASLt's errors (why it refused a description or a shape), one file per process; its higher
# levels trace every call and would slow the timed runs.
export CUBLASLT_LOG_LEVEL=${CUBLASLT_LOG_LEVEL:-1}
export CUBLASLT_LOG_FILE=${CUBLASLT_LOG_FILE:-$out/cublaslt-%i.log}

# ---- steps ---------------------------------------------------------------------------------

sep=$'\x1f' # between a step's fields: not whitespace, so that an empty field stays a field
steps=()    # one row per step: name, status, seconds, detail, log (sep-separated)
failed=0
last_status=""
current_step="" current_log="" step_start=0 # the step under way, for the signal trap
measured_gpus=()                              # --gpus 0 where nvidia-smi lists several
child=""                                      # the pid of its timeout, the leader of its group
launched_after=""                             # the last background job before it
interrupted="" finished=0
cublas_from="not yet known" persistence="unknown"

# cell VAR TEXT: TEXT as one Markdown table cell in VAR: newlines become "; ", | is escaped.
cell() {
  local s=${2//$'\r'/}
  while [[ $s == *$'\n' ]]; do s=${s%$'\n'}; done
  s=${s//$'\n'/; }
  s=${s//$'\t'/ }
  s=${s//$sep/ }
  printf -v "$1" '%s' "${s//|/\\|}"
}

# Rewrites OUT/summary.md from the steps recorded so far: after every step, and on a signal.
write_summary() {
  local row name status seconds detail log result when=finished
  if [ -n "$interrupted" ]; then
    result="**FAILED**: stopped by SIG$interrupted; $failed of the ${#steps[@]} steps recorded did not pass, and the steps after the last did not run."
  elif [ "$finished" = 0 ]; then
    result="**INCOMPLETE** (still running, or stopped from outside): $failed of the ${#steps[@]} steps so far did not pass."
    when="last written"
  elif [ "$failed" = 0 ]; then
    result="**PASSED**: every one of ${#steps[@]} steps passed."
  else
    result="**FAILED**: $failed of ${#steps[@]} steps did not pass."
  fi
  {
    echo "# flopbench GPU validation"
    echo
    echo "Result: $result"
    echo
    echo "- host: $(uname -n); $when $(date -u +%Y-%m-%dT%H:%M:%SZ); deadline ${deadline}s"
    echo "- command: \`$command_line\`"
    echo "- bundle: $bundle; tests: $tests; cuBLAS from $cublas_from"
    echo "- persistence mode: $persistence; CUDA_MODULE_LOADING=$CUDA_MODULE_LOADING;" \
      "CUBLASLT_LOG_LEVEL=$CUBLASLT_LOG_LEVEL"
    if [ ${#measured_gpus[@]} -gt 0 ]; then
      echo "- GPUs: nvidia-smi lists $gpus_listed GPUs; the validate part's runs measure GPU 0" \
        "(CUDA's numbering, PCI bus order), and check judges the GPU rows on it alone"
    fi
    echo
    echo '```'
    sed -n '/^== GPU ==/,/^$/p; /^Build:/p' "$out/info.log" 2>/dev/null || true
    echo '```'
    echo
    echo "| step | status | seconds | detail | log |"
    echo "|---|---|---:|---|---|"
    for row in ${steps[@]+"${steps[@]}"}; do
      IFS=$sep read -r name status seconds detail log <<<"$row"
      echo "| $name | $status | $seconds | $detail | ${log:+[$log]($log)} |"
    done
    echo
    if [ -f "$out/figures.md" ]; then cat "$out/figures.md"; else echo "No figures: see the figures step."; fi
  } >"$out/summary.md.new"
  mv -f "$out/summary.md.new" "$out/summary.md"
}

# record NAME STATUS SECONDS DETAIL LOG
record() {
  local name detail
  cell name "$1"
  cell detail "$4"
  steps+=("$name$sep$2$sep$3$sep$detail$sep$5")
  last_status=$2 current_step=""
  if [ "$2" != passed ] && { [ "$2" != "not run" ] || [ "$allow_missing" = 0 ]; }; then
    failed=$((failed + 1))
  fi
  echo "   $2 (${3}s)${detail:+: $detail}"
  write_summary
}

not_run() { # NAME WHY
  echo "== $1"
  record "$1" "not run" 0 "$2" ""
}

# A step that needs Python, without it: "not run", or failed for an interpreter named but absent.
no_python() { # NAME
  echo "== $1"
  record "$1" "$python_missing_status" 0 "$python_missing" ""
}

step_started() { # NAME LOG (relative to OUT)
  current_step=$1 current_log=$2 step_start=$SECONDS
}

# SIGTERM or SIGINT: stop the running step's process group (timeout's: it is in a group of its
# own, which a signal to ours does not reach), record the step, write the summary.
on_signal() { # SIGNAL
  trap '' TERM INT HUP QUIT
  interrupted=$1
  if [ "$child" = launching ]; then
    child=${!:-}
    [ "$child" != "$launched_after" ] || child=""
  fi
  if [ -n "$child" ]; then
    kill -TERM -- "-$child" 2>/dev/null || kill -TERM "$child" 2>/dev/null || true
  fi
  echo
  if [ -n "$current_step" ]; then
    [ -e "$out/$current_log" ] || current_log=""
    record "$current_step" interrupted "$((SECONDS - step_start))" \
      "stopped by SIG$1; no step after it ran" "$current_log"
  else
    write_summary
  fi
  echo "gpu-validate: FAILED (stopped by SIG$1); summary in $out/summary.md"
  exit 1
}
trap 'on_signal TERM' TERM
trap 'on_signal INT' INT
# A closed ssh session (HUP) or a quit (QUIT) stops the running step too: left alone, it would
# load the GPU beside a validation started again at once.
trap 'on_signal HUP' HUP
trap 'on_signal QUIT' QUIT

# A short command outside the steps (flopbench list, nvidia-smi, ldd, a JSON helper), boxed.
boxed() { timeout --kill-after="$kill_after" "$quick_box" "$@"; }

# timed NAME BOX LOG COMMAND...: COMMAND inside BOX seconds (times --time-scale), cut to what is
# left of the deadline, its output in LOG. Sets rc (124 or 137 when the box ran out), took, and
# cut_why (why the box was short, for finish). With under min_box seconds left, COMMAND is not
# started and rc is 124. It runs in the background, so that a signal reaches on_signal at once.
timed() {
  local name=$1 log=$3 box left start
  box=$(awk -v b="$2" -v f="$time_scale" 'BEGIN { b = int(b * f + 0.5); print b < 1 ? 1 : b }')
  shift 3
  step_started "$name" "${log#"$out"/}"
  rc=0 took=0 cut_why=""
  left=$((deadline - SECONDS - margin))
  if [ "$left" -lt "$box" ]; then
    if [ "$left" -lt "$min_box" ]; then
      left=$((deadline - SECONDS))
      cut_why="not started: $((left > 0 ? left : 0))s left of the ${deadline}s deadline, under"
      cut_why="$cut_why the $((min_box + margin))s a step needs"
      echo "== $name ($cut_why)"
      echo "$cut_why" >"$log"
      rc=124
      return
    fi
    box=$left
    cut_why="the deadline ran out (time box cut to ${box}s)"
  fi
  echo "== $name (time box ${box}s)"
  start=$SECONDS
  # A signal trapped between the fork and the assignment finds "launching", and the child in $!
  # where it differs from the last background job before it (one trapped before the fork).
  launched_after=${!:-} child=launching
  timeout --kill-after="$kill_after" "$box" "$@" >"$log" 2>&1 &
  child=$!
  wait "$child" || rc=$?
  child=""
  took=$((SECONDS - start))
}

# The last non-empty line of OUT/LOG.
last_line() { grep -v '^[[:space:]]*$' "$out/$1" | tail -n 1 | cut -c 1-300 || true; }

# Records a step by its exit status; DETAIL (optional) replaces the log's last line on success.
# LOG is relative to OUT, as the summary links it.
finish() { # NAME LOG [DETAIL]
  case $rc in
    0) record "$1" passed "$took" "${3:-}" "$2" ;;
    124 | 137) record "$1" "timed out" "$took" "${cut_why:-the time box ran out}" "$2" ;;
    *) record "$1" failed "$took" "exit $rc: $(last_line "$2")" "$2" ;;
  esac
}

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
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
    finish "$name" "$log"
  elif [ ! -f "$results" ]; then
    if [ "$rc" = 0 ]; then
      record "$name" failed "$took" "exit 0, but it wrote no results.json" "$log"
    else
      finish "$name" "$log"
    fi
  elif [ -n "$python_missing" ]; then
    if [ "$rc" = 0 ]; then
      record "$name" "$python_missing_status" "$took" \
        "$note$python_missing: the dispositions were not read" "$log"
    else
      finish "$name" "$log"
    fi
  elif boxed "$python" "$helper" dispositions "$results" >>"$out/$log" 2>&1; then
    finish "$name" "$log" "$note$(last_line "$log")"
  else
    record "$name" failed "$took" "$note$(last_line "$log" | sed 's/^failed: //')" "$log"
  fi
}

# A CUDA tool: the toolkit's (CUDA_HOME, CUDA_PATH, /usr/local/cuda) before PATH's.
find_tool() { # NAME
  local d
  local nvcc_dir=""
  if command -v nvcc >/dev/null; then nvcc_dir=$(dirname "$(command -v nvcc)"); fi
  for d in ${CUDA_HOME:+"$CUDA_HOME/bin"} ${CUDA_PATH:+"$CUDA_PATH/bin"} /usr/local/cuda/bin \
    ${nvcc_dir:+"$nvcc_dir"}; do
    if [ -x "$d/$1" ]; then
      echo "$d/$1"
      return
    fi
  done
  command -v "$1" || true
}

echo "gpu-validate: writing to $out (deadline ${deadline}s)"
write_summary

# ---- bundle: unpack, and find what the executables load ------------------------------------
echo "== bundle"
step_started bundle bundle.log
start=$SECONDS
bundle_problem=""
if [ -d "$bundle" ]; then
  root=$bundle
else
  mkdir "$out/bundle"
  tar -xzf "$bundle" -C "$out/bundle" 2>"$out/bundle.log" || bundle_problem="cannot unpack $bundle"
  root=$(find "$out/bundle" -mindepth 1 -maxdepth 1 -type d | head -n 1)
  # Nothing unpacked: a root inside the output, where no flopbench is, so that the later steps
  # fail for the want of it rather than run /bin/flopbench (an installed .deb's).
  root=${root:-$out/bundle}
fi
flopbench_bin=$root/bin/flopbench
# The test executables have no RPATH into the bundle nor the CUDA toolkit: they find both
# through this. /usr/local/cuda as well: a CUDA_HOME without cuBLAS (a toolkit of headers and
# nvcc only) must not leave them to the build machine's cuBLAS path.
lib_path=$root/lib
for cuda in ${CUDA_HOME:+"$CUDA_HOME"} ${CUDA_PATH:+"$CUDA_PATH"} /usr/local/cuda; do
  for dir in "$cuda/lib64" "$cuda/targets/x86_64-linux/lib"; do
    if [ -d "$dir" ] && [[ ":$lib_path:" != *":$dir:"* ]]; then lib_path=$lib_path:$dir; fi
  done
done
set_run_env() {
  run_env=(env "LD_LIBRARY_PATH=$lib_path${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}")
}
set_run_env
cublas_from="the system (the CUDA installation)"
[ -x "$flopbench_bin" ] || bundle_problem="${bundle_problem:-no bin/flopbench in $bundle}"
if [ -z "$bundle_problem" ]; then
  # flopbench names the cuBLAS or cuBLASLt it could not load; PyTorch's wheels carry a copy of
  # both, in one directory, and a conda environment may have them in its lib/.
  soname=$(boxed "${run_env[@]}" "$flopbench_bin" list 2>&1 |
    grep -o 'libcublas\(Lt\)\?\.so\.[0-9]*' | head -n 1 || true)
  if [ -n "$soname" ]; then
    where=""
    if [ -z "$python_missing" ]; then
      # Two lines: PyTorch's site-packages (empty without PyTorch), the environment's lib/.
      where=$(boxed "$python" -c 'import importlib.util as u, os, sys; s = u.find_spec("torch")
print(os.path.dirname(os.path.dirname(s.origin)) if s and s.origin else "")
print(os.path.join(sys.prefix, "lib"))' 2>/dev/null || true)
    fi
    site=$(sed -n 1p <<<"$where") prefix_lib=$(sed -n 2p <<<"$where")
    found=""
    if [ -n "$site" ]; then
      found=$(find "$site/nvidia" "$site/torch/lib" -name "$soname" -print -quit 2>/dev/null || true)
    fi
    if [ -z "$found" ] && [ -n "$prefix_lib" ]; then
      found=$(find "$prefix_lib" -maxdepth 1 -name "$soname" -print -quit 2>/dev/null || true)
    fi
    if [ -n "$found" ]; then
      lib_path=$lib_path:$(dirname "$found")
      set_run_env
      cublas_from="the Python environment's copy, $(dirname "$found")"
    else
      bundle_problem="$soname is neither installed nor in the Python environment (PyTorch's packages, $python's lib/): cuBLAS work cannot run"
      cublas_from="nowhere: $soname not found"
    fi
  fi
fi
flopbench=("${run_env[@]}" "$flopbench_bin")
mapfile -t gpu_tests < <(grep -v '^[[:space:]]*$' "$tests/gpu-tests.txt")
if [ -x "$flopbench_bin" ] &&
  missing=$(boxed "${run_env[@]}" ldd "$flopbench_bin" 2>&1 | grep 'not found'); then
  bundle_problem="${bundle_problem:+$bundle_problem; }flopbench: $(echo "$missing" | head -n 1 | sed "s/^[[:space:]]*//")"
fi
for t in ${gpu_tests[@]+"${gpu_tests[@]}"}; do
  if [ ! -x "$tests/$t" ]; then
    bundle_problem="${bundle_problem:+$bundle_problem; }no test executable $tests/$t"
  elif missing=$(boxed "${run_env[@]}" ldd "$tests/$t" 2>&1 | grep 'not found'); then
    bundle_problem="${bundle_problem:+$bundle_problem; }$t: $(echo "$missing" | head -n 1 | sed "s/^[[:space:]]*//")"
  fi
done
sanitizer=$(find_tool compute-sanitizer)
cuobjdump=$(find_tool cuobjdump)
{
  echo "bundle: $root"
  echo "cuBLAS: $cublas_from"
  echo "LD_LIBRARY_PATH for the executables: $lib_path${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
  echo "CUDA_MODULE_LOADING=$CUDA_MODULE_LOADING"
  echo "CUBLASLT_LOG_LEVEL=$CUBLASLT_LOG_LEVEL CUBLASLT_LOG_FILE=$CUBLASLT_LOG_FILE"
  echo "python: ${python_missing:-$(command -v "$python")}"
  echo "compute-sanitizer: ${sanitizer:-not found}"
  echo "cuobjdump: ${cuobjdump:-not found}"
  echo "deadline: ${deadline}s from the start"
  # The runs at the cross-check's sizes need several GiB of host memory, and flopbench refuses
  # a size beyond what MemAvailable says is free (or a cgroup memory limit leaves, which no
  # touch raises). A VM whose memory grows as it is used (a balloon, virtio-mem) starts with
  # little: touching the memory once lets it grow.
  grep -E '^(MemTotal|MemAvailable):' /proc/meminfo || true
  # Only before the validate part's runs, and only where there is a GPU to run them on.
  available_kib=$(awk '/^MemAvailable:/ { print $2 }' /proc/meminfo || true)
  # No more than MemTotal less 2 GiB: each GiB is written, and on a 16 GiB host (a T4's) 16 would
  # call the OOM killer.
  total_gib=$(awk '/^MemTotal:/ { print int($2 / 1048576) }' /proc/meminfo || true)
  touch_gib=$((${total_gib:-0} - 2 < host_memory_gib ? ${total_gib:-0} - 2 : host_memory_gib))
  # The GPUs nvidia-smi lists (0 without it), for the check step and the runs' --gpus.
  gpus_listed=$(boxed nvidia-smi -L 2>/dev/null | grep -c '^GPU ' || true)
  if [ "$run_validate" = 1 ] && [ "${gpus_listed:-0}" -gt 1 ]; then
    measured_gpus=(--gpus 0)
    echo "nvidia-smi lists ${gpus_listed} GPUs: the validate part's runs measure GPU 0 (--gpus 0)"
  fi
  if [ "$run_validate" = 1 ] && [ "${gpus_listed:-0}" -gt 0 ] && [ -z "$python_missing" ] &&
    [ "${available_kib:-0}" -lt $((host_memory_gib << 20)) ] && [ "$touch_gib" -gt 0 ]; then
    echo "MemAvailable is under ${host_memory_gib} GiB: touching ${touch_gib} GiB once"
    # A GiB at a time: one allocation beyond MemTotal would be refused before it touched a page.
    boxed "$python" -c 'import sys
held = []
for _ in range(int(sys.argv[1])):
    try:
        chunk = bytearray(1 << 30)
    except MemoryError:
        break
    chunk[::4096] = b"\1" * (1 << 18)
    held.append(chunk)
print("touched {} GiB".format(len(held)))' "$touch_gib" || echo "(the touch failed)"
    grep -E '^(MemTotal|MemAvailable):' /proc/meminfo || true
  fi
  if command -v nvidia-smi >/dev/null; then
    persistence=$(boxed nvidia-smi --query-gpu=persistence_mode --format=csv,noheader 2>&1 |
      paste -sd , - || true)
    echo "persistence mode: $persistence (left as it is)"
    boxed nvidia-smi || true
  else
    persistence="unknown (no nvidia-smi)"
    echo "nvidia-smi: not found"
  fi
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
  # The first GPU's NUMA node CPUs, read from sysfs with CUDA's PCI bus id: where the thread that
  # drives it runs (docs/methodology.md, "Host memory near the GPU").
  near=$(grep -m 1 -o 'near CPUs [0-9,-]*' "$out/info.log" || true)
  finish info info.log "$(grep -m 1 '^Build:' "$out/info.log" | tr -s ' ' || true); gpu0 ${near:-NUMA node CPUs not read}"
fi

if [ "$run_validate" = 1 ]; then
# ---- SASS: the aligned GEMM kernels' global loads are 16 bytes wide ------------------------
# First: a static check of seconds, which needs no GPU but the CUDA toolkit's cuobjdump, which
# the build machine may lack; a deadline cuts the last steps. sass.log keeps the GEMM kernels
# only: the whole fat binary's SASS runs to tens of MB.
if [ -z "$cuobjdump" ]; then
  not_run sass "cuobjdump is not installed (CUDA toolkit's bin/)"
else
  timed sass 10 "$out/sass.log" "$cuobjdump" -sass "$flopbench_bin"
  awk 'BEGIN { keep = 1 } /arch = sm_|Function : / { keep = /gemm_kernel/ || !/Function : / }
    keep' "$out/sass.log" >"$out/sass.log.tmp" && mv "$out/sass.log.tmp" "$out/sass.log"
  if [ "$rc" = 0 ]; then
    # Per architecture, the kernels for aligned leading dimensions (gemm_kernel<T, true>): each
    # global load of A and B is one 16-byte LDG, LDG.E.128 or a variant with more qualifiers
    # (fp32 4 sites, fp64 8, as in the PTX).
    rc=0
    verdict=$(awk '
      /arch = sm_/ { arch = $3 }
      /Function : / { fn = $3; kind = "" }
      /Function : .*gemm_kernelIfLb1E/ { kind = "fp32"; want[arch " " kind] = 4; n[arch " " kind] += 0 }
      /Function : .*gemm_kernelIdLb1E/ { kind = "fp64"; want[arch " " kind] = 8; n[arch " " kind] += 0 }
      kind != "" && /LDG(\.[A-Z0-9_]+)*\.128/ { n[arch " " kind]++ }
      END {
        bad = 0; text = ""
        for (k in n) {
          text = text sprintf("%s%s %d", text == "" ? "" : ", ", k, n[k])
          if (n[k] < want[k]) bad = 1
        }
        if (text == "") { print "no aligned gemm kernel found"; exit 1 }
        print "16-byte LDG per aligned gemm kernel: " text
        exit bad
      }' "$out/sass.log") || rc=$?
    echo "$verdict" >>"$out/sass.log"
    finish sass sass.log "$verdict"
  else
    finish sass sass.log
  fi
fi

# ---- the gpu-labelled tests ----------------------------------------------------------------
for t in ${gpu_tests[@]+"${gpu_tests[@]}"}; do
  timed "test $t" 75 "$out/test-$t.log" "${run_env[@]}" "$tests/$t" --gtest_color=no
  # A test skipped for want of a second GPU is no fault of a one-GPU machine; one skipped for
  # want of any GPU is, and so is a run of which every test skipped (exit 77).
  skips=$(grep -A 1 ': Skipped$' "$out/test-$t.log" | grep -v -e ': Skipped$' -e '^--$' | sort |
    uniq -c | sed 's/^ *\([0-9]*\) /\1 skipped: /' | paste -sd / - || true)
  if [ "$rc" = 77 ] || { [ "$rc" = 0 ] && [[ "$skips" == *"skipped: no CUDA device"* ]]; }; then
    record "test $t" failed "$took" "$skips" "test-$t.log"
  else
    passed=$(grep -m 1 '^\[  PASSED  \]' "$out/test-$t.log" || true)
    finish "test $t" "test-$t.log" "$passed${skips:+; $skips}"
  fi
done

# ---- flopbench run and check ---------------------------------------------------------------
listing=$(boxed "${flopbench[@]}" list 2>/dev/null || true)
gpu_implementations=$(awk '$3 == "gpu" { print $2 }' <<<"$listing" | sort -u | paste -sd , - ||
  true)
# The GPU implementations with FP32, for the steps that name FP32 or FP64: the others
# (cuBLASLt's matrix precisions) would record that they lack them, which the
# every-measurement-passed check counts against the step.
gpu_fp_implementations=$(awk '$3 == "gpu" && $4 ~ /(^|,)fp32(,|$)/ { print $2 }' <<<"$listing" |
  sort -u | paste -sd , - || true)
cross_results=()  # the runs at the cross-check's sizes, which the figures step compares
flopbench_run() { # NAME BOX IMPLEMENTATIONS RUN-OPTIONS...
  local name=$1 box=$2 implementations=$3
  shift 3
  if [ -z "$implementations" ]; then
    echo "== $name"
    record "$name" failed 0 "flopbench list names no such GPU implementation (a CPU-only build?)" ""
    return
  fi
  timed "$name" "$box" "$out/$name.log" "${flopbench[@]}" run \
    --implementations "$implementations" ${measured_gpus[@]+"${measured_gpus[@]}"} \
    --out "$out/$name" "$@"
  finish_run "$name" "$name.log" "$out/$name"
  if [ "$name" != run ] && [ -f "$out/$name/results.json" ]; then
    cross_results+=("$out/$name/results.json")
  fi
}

# Every GPU workload at the quick profile's GPU sizes (4096³ GEMM on 100 SMs or more, 8 × L2
# vectors); the steps below measure the cross-checked sizes.
flopbench_run run 55 "$gpu_implementations" --profile quick
if [ -f "$out/run/results.json" ]; then
  # A machine with one GPU has no NVSwitch fabric: the shipped specs' NVLink rows (all links
  # active) are for the SKU's 8-GPU boards, so that machine is judged without them. Where the
  # run could not read the kernel log (a container, no CAP_SYSLOG), its XID count is unknown,
  # which fails the row (docs/acceptance.md): a fact of the environment, not of the build, so
  # those rows are left out too, with the run's reason.
  check_env=() check_note="" left_out="" rows="" why=""
  leave_out() { # GROUP WHY: the specs' gpu.GROUP.* rows are left out of the check, for WHY
    left_out="${left_out:+$left_out|}$1" rows="${rows:+$rows and }gpu.$1.*" why="${why:+$why; }$2"
  }
  if [ "$gpus_listed" = 1 ]; then leave_out nvlink "one GPU"; fi
  xid_unknown=""
  if [ -z "$python_missing" ]; then
    xid_unknown=$(boxed "$python" "$helper" unknown-fact "$out/run/results.json" xid.count \
      2>>"$out/check.log" || true)
  fi
  if [ -n "$xid_unknown" ]; then leave_out xid "$xid_unknown"; fi
  if [ -n "$left_out" ] && [ -d "$root/share/flopbench/specs" ]; then
    mkdir -p "$out/specs"
    for spec in "$root"/share/flopbench/specs/*.csv; do
      grep -v -E "^gpu\.($left_out)\." "$spec" >"$out/specs/$(basename "$spec")" || true
    done
    check_env=(env "FLOPBENCH_SPEC_DIR=$out/specs")
    check_note="$why: judged without the specs' $rows rows ($out/specs)"
  fi
  timed check 10 "$out/check.log" ${check_env[@]+"${check_env[@]}"} "${flopbench[@]}" check \
    --spec auto --results "$out/run/results.json" --junit "$out/check-junit.xml"
  if [ -n "$check_note" ]; then echo "$check_note" >>"$out/check.log"; fi
  verdict=$(grep -E '^[A-Z]+: [0-9]+ criteri' "$out/check.log" | tail -n 1 || true)
  failing=$(awk '$1 == "FAIL" { print $2 }' "$out/check.log" | paste -sd , - || true)
  verdict="$verdict${failing:+ (failed: $failing)}${check_note:+ ($check_note)}"
  if [ ${#measured_gpus[@]} -gt 0 ]; then
    verdict="$verdict (GPU 0 of the $gpus_listed listed: the GPU rows judged on it alone)"
  fi
  if [ "$rc" = 1 ] && [ -n "$verdict" ]; then
    record check failed "$took" "$verdict" check.log
  else
    finish check check.log "$verdict"
  fi
else
  echo "== check"
  record check failed 0 "the run step wrote no results.json" ""
fi

# The quick profile's stopping rule (at most 2 s a measurement) keeps these within their boxes;
# its medians are what the cross-check compares.
flopbench_run run-gemm 35 "$gpu_fp_implementations" --profile quick --workloads gemm \
  --precision fp32,fp64 --sizes "$gemm_sizes"
# cuBLASLt alone at its five precisions: the matrix-precision figures, and PyTorch's BF16 and
# FP8 beside them.
lt_implementation=$(echo ",$gpu_implementations," | grep -o ',cublaslt,' | tr -d , || true)
flopbench_run run-lt 40 "$lt_implementation" --profile quick --workloads gemm \
  --precision tf32,bf16,fp16,fp8_e4m3,int8 --sizes "$gemm_sizes"
flopbench_run run-fp32 30 "$gpu_fp_implementations" --profile quick \
  --workloads sum,dot,stream,transfer --precision fp32 --sizes "$fp32_elements"
flopbench_run run-fp64 20 "$gpu_fp_implementations" --profile quick --workloads sum,dot,stream \
  --precision fp64 --sizes "$fp64_elements"

# ---- the sweep: SGEMM from 16^3 to 2048^3 on the CPU and the GPU ---------------------------
# Without a GPU there is no crossover to find, and the CPU half would only spend the time box.
if [ -n "$no_device" ]; then
  echo "== sweep"
  record sweep failed 0 "$no_device" ""
else
  # The FP32 implementations only: the others would record that they lack FP32 (oneDNN's GEMM
  # is BF16, FP16 and INT8), which the every-measurement-passed check counts against the step.
  timed sweep 40 "$out/sweep.log" "${flopbench[@]}" run --sweep --workloads sgemm --implementations \
    "omp,eigen,openblas${gpu_fp_implementations:+,$gpu_fp_implementations}" \
    ${measured_gpus[@]+"${measured_gpus[@]}"} --out "$out/sweep"
  crossover=""
  if [ -z "$python_missing" ] && [ "$rc" != 124 ] && [ "$rc" != 137 ] &&
    [ -f "$out/sweep/results.json" ]; then
    crossover=$(boxed "$python" "$helper" crossovers "$out/sweep/results.json" \
      2>>"$out/sweep.log" || true)
  fi
  finish_run sweep sweep.log "$out/sweep" "$crossover"
fi

# ---- the PyTorch cross-check ---------------------------------------------------------------
if [ -n "$python_missing" ]; then
  no_python pytorch
  no_python figures
else
  timed pytorch 70 "$out/pytorch.log" "$python" "$helper" pytorch --out "$out/pytorch.json" \
    --gemm-sizes "$gemm_sizes" --lt-sizes "$gemm_sizes" --fp32-elements "$fp32_elements" \
    --fp64-elements "$fp64_elements"
  finish_helper pytorch pytorch.log
  pytorch_status=$last_status
  if [ ${#cross_results[@]} -gt 0 ]; then
    timed figures 10 "$out/figures.log" "$python" "$helper" figures \
      --results "${cross_results[@]}" \
      --pytorch "$out/pytorch.json" --tolerance "$tolerance" --lt-tolerance "$lt_tolerance" \
      --out "$out/figures.md"
    # No PyTorch figures is a missing tool only when PyTorch is: not when its step failed.
    if [ "$rc" = 3 ] && [ "$pytorch_status" != passed ] && [ "$pytorch_status" != "not run" ]; then
      record figures failed "$took" \
        "$(last_line figures.log | sed 's/^not run: //'), as the pytorch step $pytorch_status" \
        figures.log
    else
      finish_helper figures figures.log
    fi
  else
    echo "== figures"
    record figures failed 0 "no run wrote a results.json" ""
  fi
fi

# ---- compute-sanitizer on the hand-written kernels -----------------------------------------
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
    ${measured_gpus[@]+"${measured_gpus[@]}"} --workloads "$workloads" --sizes "$sizes" \
    --out "$out/$name"
  local summary refused
  summary=$(grep -E '(ERROR|RACECHECK) SUMMARY' "$out/$name.log" | tail -n 1 | sed 's/^=* *//' ||
    true)
  # Some runtimes (gVisor) give the sanitizer no access to the GPU: it says so and the run then
  # fails at its first allocation, which it may count as an error (exit 99); having checked no
  # kernel, it found nothing about them. Where a measurement passed, a kernel ran under it (on
  # another GPU), and its errors stand. A time box that ran out is reported as such.
  refused=$(grep -m 1 'Device not supported' "$out/$name.log" | sed 's/^=* *//' || true)
  if [ -n "$refused" ] && grep -q '"disposition": "passed"' "$out/$name/results.json" 2>/dev/null; then
    refused=""
  fi
  if [ -n "$refused" ] && [ "$rc" != 124 ] && [ "$rc" != 137 ]; then
    record "$name" "not run" "$took" "compute-sanitizer cannot use this GPU here: $refused" \
      "$name.log"
  elif [ "$rc" = 99 ]; then
    record "$name" failed "$took" "${summary:-the sanitizer found errors}" "$name.log"
  else
    finish_run "$name" "$name.log" "$out/$name" "$summary"
  fi
}
# The vectors are large (2^24 + 43 elements): each cold run is preceded by an L2 flush, itself
# instrumented, and a short vector would take hundreds of runs, and flushes, per sample. peak is
# left out: it touches memory once per chain, and its chains' values are checked exactly.
# racecheck looks at shared memory: the reductions' block sums (stream has none).
sanitize memcheck-gemm 20 memcheck gemm 257x129x65,260x37x100
sanitize memcheck-vectors 15 memcheck sum,dot,stream 16777259
sanitize racecheck-gemm 25 racecheck gemm 129x65x17,132x36x20
sanitize racecheck-vectors 15 racecheck sum,dot 16777259

fi # run_validate

if [ "$run_stress" = 1 ]; then
# ---- memtest and burn: last, since they heat the GPU -------------------------------------
# Their verdicts, one line each, from their results.json (gpu_validate.py stress).
finish_stress() { # NAME LOG RESULTS_DIR
  local name=$1 log=$2 file=$3/results.json line
  if [ "$rc" = 0 ] && [ ! -f "$file" ]; then
    record "$name" failed "$took" "exit 0, but it wrote no $file" "$log"
  elif [ "$rc" = 124 ] || [ "$rc" = 137 ] || [ ! -f "$file" ] || [ -n "$python_missing" ]; then
    finish "$name" "$log"
  elif line=$(boxed "$python" "$helper" stress "$file" 2>&1) && [ "$rc" = 0 ]; then
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
  # 20 GiB a GPU, of which the time box sees a pass of every pattern, or 90% of the free memory
  # of a GPU with less (a 16 GB T4): more than a GPU holds fails the test.
  memtest_gib=20
  free_mib=$(boxed nvidia-smi --query-gpu=memory.free --format=csv,noheader,nounits 2>/dev/null |
    sort -n | head -n 1 || true)
  if [[ "$free_mib" =~ ^[0-9]+$ ]] && [ $((free_mib * 9 / 10)) -lt $((memtest_gib * 1024)) ]; then
    memtest_gib=$(awk -v mib="$free_mib" 'BEGIN { printf "%.2f", mib * 0.9 / 1024 }')
  fi
  timed memtest 30 "$out/memtest.log" "${flopbench[@]}" memtest --size-gib "$memtest_gib" \
    --duration 15s --out "$out/memtest"
  finish_stress memtest memtest.log "$out/memtest"
  # Half the time at FP64 on the hand-written kernel, half at FP16 on cuBLASLt's tensor cores
  # (FP16 rather than BF16: compute capability 7.5 has FP16 tensor cores but no BF16).
  timed burn $((burn_s + 30)) "$out/burn.log" "${flopbench[@]}" burn --precision fp64,fp16 \
    --duration "$(((burn_s + 1) / 2))s" --out "$out/burn"
  finish_stress burn burn.log "$out/burn"
fi
fi # run_stress

# ---- summary -------------------------------------------------------------------------------
finished=1
write_summary
echo "gpu-validate: $([ "$failed" = 0 ] && echo PASSED || echo "FAILED ($failed of ${#steps[@]} steps)"); summary in $out/summary.md"
[ "$failed" = 0 ]
