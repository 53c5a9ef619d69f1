#!/usr/bin/env python3
"""The parts of scripts/gpu-validate.sh that read JSON or need PyTorch.

  gpu_validate.py pytorch --out FILE --gemm-sizes N,N --fp32-elements N --fp64-elements N
                          [--lt-sizes N,N]
      The independent cross-check: cuBLAS GEMM (TF32 off), sum, dot, triad and host<->device
      copies through PyTorch on the same GPU, and CUB's sum through CuPy where it is
      installed, timed with CUDA events, with the L2 flushed before each run where flopbench's
      own measurement is cold; with --lt-sizes, also BF16 GEMM into
      FP32 (torch.addmm) and FP8 E4M3 GEMM (torch._scaled_mm, scales 1.0), beside cuBLASLt's.
      Writes the samples as JSON after every figure; a section that raises is recorded in its
      "errors" (exit 1) and the others still run; "complete" is true once all have run.
  gpu_validate.py dispositions RESULTS.json...
      Whether every measurement of flopbench runs passed; one line per one that did not.
  gpu_validate.py unknown-fact RESULTS.json FACT
      The first GPU health fact FACT (xid.count, say) of the run that could not be read: its
      GPU, and why ("gpu0 xid.count unknown: permission (...)"); nothing where every GPU's was.
  gpu_validate.py figures --results RESULTS.json... [--pytorch FILE] --tolerance F
                          [--lt-tolerance F] --out FILE
      Every GPU figure of the runs in Markdown, beside PyTorch's and the ratio, and the verdict on
      the comparisons that must agree (cuBLAS GEMM, CUB sum: within the tolerance; cuBLASLt's
      GEMM: within the cuBLASLt tolerance, 5 % unless given, at the rate of the heuristic's first
      algorithm where ours chose another by timing); a PyTorch figure of another
      problem than ours (its "other_problem") is shown and not judged.

Exit status: 0 passed; 1 a check failed; 2 bad arguments; 3 not run, for a missing prerequisite
(PyTorch, or no PyTorch figures to compare with), with the reason on the last line of stderr.
Runs on Python 3.8 and newer, and needs nothing but the standard library outside `pytorch`
(PyTorch, and CuPy if it is there).
"""

import argparse
import json
import math
import os
import re
import statistics
import sys

NOT_RUN = 3

# How each workload is judged: compute-bound ones in GFLOP/s, the others in GB/s.
COMPUTE_BOUND = ("gemm", "peak")
# The comparisons with PyTorch that must agree: flopbench's library calls and PyTorch's are
# the same libraries (cuBLAS, cuBLASLt) or the same memory limit (a sum), so a gap is a timing
# fault. cuBLASLt's are held to a looser tolerance (--lt-tolerance): each side chooses its
# algorithm its own way (flopbench by timing the heuristic's best candidates, PyTorch by the
# heuristic's first). A PyTorch figure of another problem than ours (its "other_problem" says
# how: flopbench's GEMM reads and writes an FP32 C, C = alpha A B + beta C, which
# torch._scaled_mm cannot) is shown beside ours and not judged: at 4096 the C traffic alone can
# be a tenth of an FP8 GEMM's time.
MUST_AGREE = (("gemm", "cublas"), ("sum", "cub"), ("gemm", "cublaslt"))
LOOSER_TOLERANCE = (("gemm", "cublaslt"),)
# Hand-written implementations and the library implementation they are held against.
LIBRARY_OF = {"gemm": "cublas", "sum": "cub", "dot": "cublas"}


class NotRun(Exception):
    """A prerequisite is missing: the step did not run."""


class Failed(Exception):
    """The step ran and found a fault."""


# ---- pytorch -------------------------------------------------------------------------------


# Cycles of torch.cuda._sleep queued ahead of each start event (~0.2 ms at an H200's 1.98 GHz),
# as flopbench queues a hold or its L2 flush: the GPU is still busy when the start event is
# recorded, so the time is the operation's, not PyTorch's launch overhead (tens of µs for
# torch._scaled_mm, against ~0.1 ms for an FP8 GEMM at 4096).
HOLD_CYCLES = 400_000


def torch_at_least(major, minor):
    """Whether the imported PyTorch is major.minor or newer ("2.11.0+cu130" is 2.11); False
    when its version cannot be read."""
    import torch
    try:
        parts = str(torch.__version__).split("+")[0].split(".")
        return (int(parts[0]), int(parts[1])) >= (major, minor)
    except Exception:  # noqa: BLE001 - any version this cannot read is taken for older
        return False


def measure_pytorch(args):
    try:
        import torch
    except ImportError as e:
        raise NotRun("torch is missing ({}): the cross-check needs PyTorch with CUDA".format(e))
    if not torch.cuda.is_available():
        raise Failed("no CUDA device: torch.cuda.is_available() is False (PyTorch {}, CUDA {})"
                     .format(torch.__version__, torch.version.cuda))
    device = torch.device("cuda", args.device)
    torch.cuda.set_device(device)
    # True FP32, as flopbench's cuBLAS SGEMM: no TF32 tensor-core rounding. BF16 products
    # reduced in FP32 throughout, as flopbench's cuBLASLt GEMM (compute type 32F).
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.set_float32_matmul_precision("highest")
    if hasattr(torch.backends.cuda.matmul, "allow_bf16_reduced_precision_reduction"):
        torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction = False
    props = torch.cuda.get_device_properties(device)
    # 2x L2, read (not written, so no dirty lines are written back inside the timing), as
    # flopbench's flush; older PyTorch does not report the L2 size, so 128 MiB is assumed.
    l2_bytes = getattr(props, "L2_cache_size", 0) or (128 << 20)
    scratch = torch.zeros(2 * l2_bytes // 4, dtype=torch.int32, device=device)
    hold = getattr(torch.cuda, "_sleep", None)

    # Written after every figure (atomically), so that a section that fails or a time box that
    # runs out keeps what was measured before it; "complete" only once every section has run.
    document = {
        "torch_version": torch.__version__,
        "cuda_version": torch.version.cuda,
        "device": {"index": args.device, "name": props.name, "l2_bytes": l2_bytes},
        "matmul_allow_tf32": torch.backends.cuda.matmul.allow_tf32,
        "float32_matmul_precision": torch.get_float32_matmul_precision(),
        "held_before_start": hold is not None,
        "figures": [],
        "errors": [],
        "complete": False,
    }

    def save():
        partial = args.out + ".partial"
        with open(partial, "w") as f:
            json.dump(document, f, indent=1)
        os.replace(partial, args.out)

    def timed(op, cold, runs):
        for _ in range(3):  # warm-up: cuBLAS handles, lazy module loading, page faults
            op()
        start = torch.cuda.Event(enable_timing=True)
        stop = torch.cuda.Event(enable_timing=True)
        samples = []
        for _ in range(runs):
            if cold:
                scratch.sum()
            if hold:
                hold(HOLD_CYCLES)
            start.record()
            op()
            stop.record()
            stop.synchronize()
            samples.append(start.elapsed_time(stop) / 1e3)
        return samples

    def record(workload, precision, m, n, k, implementations, op_text, cold, samples,
               other_problem=None):
        figure = {
            "workload": workload, "precision": precision,
            "problem": {"m": m, "n": n, "k": k}, "implementations": implementations,
            "op": op_text, "cold": cold, "samples_s": samples,
            "median_s": statistics.median(samples)}
        if other_problem:
            figure["other_problem"] = other_problem
        document["figures"].append(figure)
        save()
        print("pytorch: {} {} {}, {}: {:.6g} s".format(
            workload, precision, "{}x{}x{}".format(m, n, k) if m else n, op_text,
            figure["median_s"]), flush=True)

    def section(name, body):
        """Runs one section; its failure is recorded and the next section still runs."""
        try:
            body()
            torch.cuda.empty_cache()
        except Exception as e:  # noqa: BLE001 - whatever PyTorch raises, keep the other figures
            document["errors"].append("{}: {}: {}".format(name, type(e).__name__, e))
            print("pytorch: {} failed: {}: {}".format(name, type(e).__name__, e), flush=True)
        save()

    dtypes = {"fp32": torch.float32, "fp64": torch.float64}

    def gemm(size, precision):
        a, b, c = (torch.rand(size, size, dtype=dtypes[precision], device=device)
                   for _ in range(3))
        # flopbench's problem, C = alpha A B + beta C with beta = -1, in place.
        record("gemm", precision, size, size, size, ["cuda", "cublas"],
               "C.addmm_(A, B, beta=-1.0, alpha=1.0)", False,
               timed(lambda: c.addmm_(a, b, beta=-1.0, alpha=1.0), False, 10))

    # cuBLASLt's precisions through PyTorch: BF16 into an FP32 C in place, flopbench's problem
    # (torch.addmm with out_dtype and out=C, which PyTorch takes from 2.10 on: 2.8 and 2.9
    # refuse an FP32 C beside BF16 A and B, and older ones have no out_dtype; with those,
    # torch.matmul into BF16, another problem), and FP8 E4M3 with scales of 1.0 into FP32
    # (torch._scaled_mm, which takes its second operand column-major, as cuBLASLt's FP8 kernels
    # take theirs: "TN"). FP8 needs compute capability 8.9 or newer; older GPUs are said so, not
    # failed. The choice is by version, so that any error of addmm is the section's, not a
    # quiet fallback.
    def bf16_gemm(size):
        a = torch.randn(size, size, device=device).to(torch.bfloat16)
        b = torch.randn(size, size, device=device).to(torch.bfloat16)
        if not torch_at_least(2, 10):
            record("gemm", "bf16", size, size, size, ["cublaslt"], "torch.matmul(A, B), bfloat16",
                   False, timed(lambda: torch.matmul(a, b), False, 10),
                   other_problem="PyTorch {} is older than 2.10, or its version could not be "
                                 "read: no FP32 C added to a BF16 product, so its product writes "
                                 "a BF16 D and reads no C".format(torch.__version__))
            return
        c = torch.rand(size, size, device=device)
        record("gemm", "bf16", size, size, size, ["cublaslt"],
               "torch.addmm(C, A, B, out_dtype=float32, beta=-1.0, out=C), bfloat16 A and B",
               False, timed(lambda: torch.addmm(c, a, b, out_dtype=torch.float32, beta=-1.0,
                                                alpha=1.0, out=c), False, 10))

    fp8_capable = (props.major, props.minor) >= (8, 9) and hasattr(torch, "float8_e4m3fn")
    try:  # CuPy for CUB's sum; both it and PyTorch launch on the legacy default stream
        import cupy
        cupy_missing = ""
    except Exception as e:  # noqa: BLE001 - not installed, or a broken install: no CUB figure
        cupy, cupy_missing = None, "no CuPy ({}: {})".format(type(e).__name__, e)

    def fp8_gemm(size):
        one = torch.ones((), dtype=torch.float32, device=device)
        a = torch.rand(size, size, device=device).to(torch.float8_e4m3fn)
        # Row-major (size x size).t(): the column-major second operand _scaled_mm needs.
        b = torch.rand(size, size, device=device).to(torch.float8_e4m3fn).t()
        record("gemm", "fp8_e4m3", size, size, size, ["cublaslt"],
               "torch._scaled_mm(A, B, scale_a=1.0, scale_b=1.0, out_dtype=float32)", False,
               timed(lambda: torch._scaled_mm(a, b, scale_a=one, scale_b=one,
                                              out_dtype=torch.float32), False, 10),
               other_problem="torch._scaled_mm reads no C")

    def vectors(precision, n):
        x = torch.rand(n, dtype=dtypes[precision], device=device)
        y = torch.rand(n, dtype=dtypes[precision], device=device)
        out = torch.empty_like(x)
        # torch.sum is PyTorch's own reduction kernel, not CUB: beside the hand-written sum. CUB's
        # sum, the one ours must agree with, comes from CuPy, whose sum runs CUB's DeviceReduce
        # with its "cub" accelerators, on the same memory and the same stream. On an H200 the two
        # differ by 2 % (CuPy's CUB 4380 GB/s, torch.sum 4283, at 1 GiB of FP32).
        torch_sum = timed(lambda: torch.sum(x), True, 30)
        record("sum", precision, 0, n, 0, ["cuda"], "torch.sum(x)", True, torch_sum)
        cub_sum(precision, n, x, torch_sum)
        record("dot", precision, 0, n, 0, ["cuda", "cublas"], "torch.dot(x, y)", True,
               timed(lambda: torch.dot(x, y), True, 30))
        record("stream", precision, 0, n, 0, ["cuda"], "torch.add(x, y, alpha=s, out=a)", True,
               timed(lambda: torch.add(x, y, alpha=0.5, out=out), True, 30))

    def cub_sum(precision, n, x, torch_sum):
        """CUB's sum through CuPy, beside flopbench's cub; without CuPy, or where it fails (a wheel
        that does not match the driver), torch.sum's figure there, not judged, and the section's
        other figures still measured."""
        why = cupy_missing
        if cupy is not None:
            try:
                from cupy import _core as cupy_core
                cupy_core.set_routine_accelerators(["cub"])
                cupy_core.set_reduction_accelerators(["cub"])
                xc = cupy.asarray(x)  # the same memory, through __cuda_array_interface__
                samples = timed(lambda: xc.sum(), True, 30)
            except Exception as e:  # noqa: BLE001 - whatever CuPy raises, keep the section
                why = "CuPy failed: {}: {}".format(type(e).__name__, e)
            else:
                record("sum", precision, 0, n, 0, ["cub"],
                       "cupy.sum(x) with CuPy's accelerators ['cub'] (CUB DeviceReduce), CuPy {}"
                       .format(cupy.__version__), True, samples)
                return
        record("sum", precision, 0, n, 0, ["cub"], "torch.sum(x)", True, torch_sum,
               other_problem="torch.sum is PyTorch's own reduction, not CUB's, and CuPy's CUB sum "
                             "could not run: {}".format(why))

    def copies(n):  # flopbench copies one element type, FP32
        x = torch.rand(n, dtype=torch.float32, device=device)
        pinned = torch.ones(n, dtype=torch.float32, pin_memory=True)
        pageable = torch.ones(n, dtype=torch.float32)
        for name, text, op in [
                ("h2d-pinned", "gpu.copy_(pinned, non_blocking=True)",
                 lambda: x.copy_(pinned, non_blocking=True)),
                ("h2d-pageable", "gpu.copy_(pageable)", lambda: x.copy_(pageable)),
                ("d2h-pinned", "pinned.copy_(gpu, non_blocking=True)",
                 lambda: pinned.copy_(x, non_blocking=True)),
                ("d2h-pageable", "pageable.copy_(gpu)", lambda: pageable.copy_(x))]:
            record("transfer", "fp32", 0, n, 0, [name], text, False, timed(op, False, 10))

    save()
    for size in args.gemm_sizes:
        for precision in dtypes:
            section("gemm {} {}".format(precision, size), lambda: gemm(size, precision))
    for size in args.lt_sizes or []:
        section("gemm bf16 {}".format(size), lambda: bf16_gemm(size))
        if fp8_capable:
            section("gemm fp8_e4m3 {}".format(size), lambda: fp8_gemm(size))
        else:
            print("pytorch: no FP8 GEMM: {} is compute capability {}.{} (FP8 needs 8.9)".format(
                props.name, props.major, props.minor), flush=True)
    elements = {"fp32": args.fp32_elements, "fp64": args.fp64_elements}
    for precision in dtypes:
        section("vectors {}".format(precision), lambda: vectors(precision, elements[precision]))
    section("copies", lambda: copies(args.fp32_elements))
    document["complete"] = True
    save()
    print("pytorch: {} figures on {} (PyTorch {}, CUDA {}) in {}".format(
        len(document["figures"]), props.name, torch.__version__, torch.version.cuda, args.out))
    if document["errors"]:
        raise Failed("; ".join(document["errors"]))


# ---- reading flopbench's results -----------------------------------------------------------


def load_json(path):
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, ValueError) as e:
        raise Failed("{}: {}".format(path, e))


def measurements(paths):
    """(results file, measurement) for every measurement of every file."""
    for path in paths:
        for m in load_json(path).get("measurements", []):
            yield path, m


def problem_key(m):
    p = m["problem"]
    return (m["workload"], m["precision"], p["m"], p["n"], p["k"])


def problem_label(m):
    p = m["problem"]
    return "{}x{}x{}".format(p["m"], p["n"], p["k"]) if p["m"] else str(p["n"])


# How a GPU measurement was timed: a sweep measures each GPU problem on device time and end to
# end (from pinned and from pageable memory); only device time is comparable with PyTorch's
# CUDA events or with a library's device time.
DEVICE_TIME = "device_events"
TIMING_NAMES = {DEVICE_TIME: "device time", "end_to_end_pinned": "end to end, pinned",
                "end_to_end_pageable": "end to end, pageable", "": "no GPU"}


# A precision the GPU's hardware lacks (FP8 before compute capability 8.9, TF32 and BF16 on 7.5)
# is no fault of the GPU: said, not failed.
HARDWARE_LACKS = "needs compute capability"


def check_dispositions(args):
    counts, problems, total = {}, [], 0
    for _, m in measurements(args.results):
        d = m["disposition"]
        if d == "unsupported" and HARDWARE_LACKS in m.get("reason", ""):
            print("{} {} {} on {}: not on this GPU: {}".format(
                m["workload"], m["implementation"], m["precision"], m["device"], m["reason"]))
            continue
        total += 1
        counts[d] = counts.get(d, 0) + 1
        if d != "passed":
            problems.append((d, m.get("reason", "")))
            print("{} {} {} {} on {}: {}: {}".format(
                m["workload"], m["implementation"], m["precision"], problem_label(m),
                m["device"], d, m.get("reason", "")))
    passed = counts.get("passed", 0)
    if total and passed == total:
        print("all {} measurements passed".format(total))
        return
    others = ", ".join("{} {}".format(n, d) for d, n in sorted(counts.items()) if d != "passed")
    first = " (first: {}: {})".format(*problems[0]) if problems else ""
    raise Failed("{} of {} measurements passed{}{}".format(
        passed, total, "; " + others if others else "", first))


def print_unknown_fact(args):
    health = load_json(args.results).get("environment", {}).get("health", {})
    for gpu in health.get("gpus", []):
        value = gpu.get("facts", {}).get(args.fact)
        if isinstance(value, str) and value.startswith("unknown"):
            print("gpu{} {} {}".format(gpu.get("index"), args.fact, value))
            return


def print_crossovers(args):
    """The crossovers of a sweep (results.json's "crossovers"), on one line."""
    items = []
    for c in load_json(args.results).get("crossovers", []):
        gemm = c["workload"] == "gemm"
        name = ({"fp32": "SGEMM", "fp64": "DGEMM"}.get(c["precision"], "GEMM " + c["precision"])
                if gemm
                else "{} {}".format(c["workload"], c["precision"]))
        timing = TIMING_NAMES.get(c["gpu_timing"], c["gpu_timing"])
        size = c["size"]
        where = ("not reached" if size is None
                 else ("n = {:.0f}" if gemm else "{:.0f} elements").format(size))
        items.append("{} ({}): {}".format(name, timing, where))
    if not items:
        raise Failed("{}: no crossovers (not a sweep?)".format(args.results))
    print("crossover " + "; ".join(items))


# ---- figures -------------------------------------------------------------------------------


def as_float(x):
    """A results.json number: null is 0, the strings "nan" and "inf" are themselves."""
    return 0.0 if x is None else float(x)


def rate(m, seconds):
    """GFLOP/s or GB/s of measurement m's problem done in `seconds`."""
    amount = m["flops"] if m["workload"] in COMPUTE_BOUND else m["bytes"]
    seconds = as_float(seconds)
    return amount / seconds / 1e9 if seconds > 0 and math.isfinite(seconds) and amount else None


def unit(m):
    return "GFLOP/s" if m["workload"] in COMPUTE_BOUND else "GB/s"


def number(x):
    if x is None:
        return ""
    x = as_float(x)
    if not math.isfinite(x):
        return str(x)
    return "{:,.0f}".format(x) if abs(x) >= 1000 else "{:.3g}".format(x)


FIRST_CHOICE = re.compile(r"heuristic rank \d+; rank 1 took ([0-9.]+) times as long")


def first_choice_slowdown(m):
    """How many times as long the heuristic's first algorithm took as the one a cuBLASLt
    measurement chose, in its search (its notes); None where it chose the first."""
    for note in m.get("notes") or []:
        found = FIRST_CHOICE.search(note)
        if found and float(found.group(1)) > 0:
            return float(found.group(1))
    return None


def build_figures(args):
    ours = [(path, m) for path, m in measurements(args.results)
            if m["device"].startswith("gpu")]
    if not ours:
        raise Failed("no GPU measurement in {}".format(", ".join(args.results)))
    torch_doc = None
    if args.pytorch and os.path.exists(args.pytorch):
        torch_doc = load_json(args.pytorch)
    # PyTorch ran on one GPU: its figures stand beside that GPU's measurements only (not the
    # other GPUs', nor the machine aggregate's).
    torch_device = "gpu{}".format(torch_doc["device"]["index"]) if torch_doc else None
    torch_figures = {}
    for f in (torch_doc or {}).get("figures", []):
        p = f["problem"]
        for impl in f["implementations"]:
            torch_figures[(f["workload"], f["precision"], p["m"], p["n"], p["k"], impl)] = f
    # Each run's library figure on the same timing, for the hand-written implementations'
    # ratio to it.
    library = {(path, problem_key(m), m["implementation"], m["device"],
                m.get("timing", DEVICE_TIME)): m for path, m in ours}

    rows, verdicts, failures = [], [], []
    judged_keys = set()  # each PyTorch figure is judged once, against the first of ours
    for path, m in ours:
        passed = m["disposition"] == "passed"
        own = rate(m, m["statistics"]["median_s"]) if passed and m.get("statistics") else None
        vs_library = ""
        lib_name = LIBRARY_OF.get(m["workload"])
        if own and lib_name and m["implementation"] != lib_name:
            lib = library.get((path, problem_key(m), lib_name, m["device"],
                               m.get("timing", DEVICE_TIME)))
            lib_rate = rate(lib, lib["statistics"]["median_s"]) if (
                lib and lib["disposition"] == "passed") else None
            if lib_rate:
                vs_library = "{:.2f} × {}".format(own / lib_rate, lib_name)
        timing = m.get("timing", DEVICE_TIME)  # older results.json files have no timing
        f = torch_figures.get(problem_key(m) + (m["implementation"],)) if (
            m["device"] == torch_device and timing == DEVICE_TIME) else None
        theirs = rate(m, f["median_s"]) if f else None
        ratio = own / theirs if own and theirs else None
        # cuBLASLt: ours times the heuristic's candidates and may run another algorithm than the
        # heuristic's first, which PyTorch runs; its note gives that one's time in the search,
        # and the agreement is judged at that algorithm.
        first_choice = first_choice_slowdown(m) if m["implementation"] == "cublaslt" else None
        judged_ratio, at_first = ratio, ""
        if ratio and first_choice:
            judged_ratio = ratio / first_choice
            at_first = (" at the heuristic's first algorithm (ours runs another, {:.1%} faster "
                        "in its search)".format(first_choice - 1))
        verdict = ""
        key = problem_key(m) + (m["implementation"],)
        if f and f.get("other_problem"):
            verdict = "not judged: {}".format(f["other_problem"])
        elif (m["workload"], m["implementation"]) in MUST_AGREE and f and key in judged_keys:
            verdict = "judged in an earlier run"
        elif (m["workload"], m["implementation"]) in MUST_AGREE and f:
            judged_keys.add(key)
            what = "{} {} {} {}".format(m["workload"], m["implementation"], m["precision"],
                                        problem_label(m))
            tolerance = (args.lt_tolerance
                         if (m["workload"], m["implementation"]) in LOOSER_TOLERANCE
                         else args.tolerance)
            if judged_ratio is None:
                verdict = "cannot compare: {}".format(m["disposition"])
                failures.append("{}: ours did not pass ({})".format(what, m["disposition"]))
            elif abs(judged_ratio - 1) <= tolerance:
                verdict = "agrees ({:+.1%}{})".format(judged_ratio - 1, at_first)
            else:
                verdict = "**differs by {:+.1%}**{}".format(judged_ratio - 1, at_first)
                failures.append("{}: ours / PyTorch = {:.3f}{}".format(what, judged_ratio,
                                                                      at_first))
            verdicts.append(verdict)
        size = problem_label(m) + ("" if timing == DEVICE_TIME else
                                   " ({})".format(TIMING_NAMES.get(timing, timing)))
        rows.append([
            m["workload"], m["precision"], size, m["implementation"], m["device"],
            m["disposition"], "{} {}".format(number(own), unit(m)) if own else "",
            number(m.get("percent_of_peak")), vs_library,
            "{} {}".format(number(theirs), unit(m)) if theirs else "",
            "{:.3f}".format(ratio) if ratio else "", verdict,
            os.path.basename(os.path.dirname(os.path.abspath(path)))])

    lines = ["## Figures", ""]
    if torch_doc:
        lines.append("PyTorch {} (CUDA {}) on {}: `allow_tf32` = {}, float32 matmul precision "
                     "'{}'. Its rate is flopbench's FLOP or byte count of the same problem over "
                     "PyTorch's median time.".format(
                         torch_doc["torch_version"], torch_doc["cuda_version"],
                         torch_doc["device"]["name"], torch_doc["matmul_allow_tf32"],
                         torch_doc["float32_matmul_precision"]))
    else:
        lines.append("No PyTorch figures: the cross-check did not run.")
    lines += ["", "| workload | precision | size | implementation | device | disposition | ours | "
              "% of peak | ours vs library | PyTorch | ours / PyTorch | agreement | run |",
              "|---|---|---|---|---|---|---:|---:|---:|---:|---:|---|---|"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    lines.append("")
    if torch_doc:
        failures += ["PyTorch's {}".format(e) for e in torch_doc.get("errors", [])]
        if not torch_doc.get("complete", True):
            failures.append("PyTorch's cross-check stopped before its end (its time box?): "
                            "{} figures".format(len(torch_doc["figures"])))
        # Every (figure, implementation) pair that must agree, each with exactly one verdict.
        judged = [(f["workload"], f["precision"], f["problem"]["m"], f["problem"]["n"],
                   f["problem"]["k"], i)
                  for f in torch_doc["figures"] for i in f["implementations"]
                  if (f["workload"], i) in MUST_AGREE and not f.get("other_problem")]
        unmatched = [k for k in judged if k not in judged_keys]
        if unmatched:
            failures.append("{} of {} PyTorch figures that must agree have no measurement of "
                            "ours: {}".format(len(unmatched), len(judged), ", ".join(
                                "{} {} {} {}x{}x{}".format(k[5], k[0], k[1], k[2], k[3], k[4])
                                for k in unmatched)))
        strict = [p for p in MUST_AGREE if p not in LOOSER_TOLERANCE]
        lines.append("Agreement ({} within {:.0%} of PyTorch; {} within {:.0%}): {} of {} "
                     "agree{}.".format(
                         " and ".join("{} {}".format(w, i) for w, i in strict), args.tolerance,
                         " and ".join("{} {}".format(w, i) for w, i in LOOSER_TOLERANCE),
                         args.lt_tolerance, sum(v.startswith("agrees") for v in verdicts),
                         len(judged), "".join("; " + x for x in failures)))
    with open(args.out, "w") as f:
        f.write("\n".join(lines) + "\n")
    print("figures: {} GPU measurements in {}".format(len(rows), args.out))
    if torch_doc is None:
        raise NotRun("no PyTorch figures to compare with ({} is missing)".format(args.pytorch))
    if failures:
        raise Failed("; ".join(failures))


# ---- command line --------------------------------------------------------------------------


def sizes(text):
    try:
        values = [int(s) for s in text.split(",")]
    except ValueError:
        raise argparse.ArgumentTypeError("expected comma-separated integers, got '{}'"
                                         .format(text))
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError("sizes must be positive, got '{}'".format(text))
    return values


def positive(text):
    value = sizes(text)
    if len(value) != 1:
        raise argparse.ArgumentTypeError("expected one positive integer, got '{}'".format(text))
    return value[0]

def summarise_stress(args):
    """A burn's or a memory test's verdicts (results.json's "burn" and "memtest"), on one line."""
    doc = load_json(args.results)
    items, bad = [], 0
    # Without --size, an FP16 burn on a GPU with FP16 tensor cores (compute capability 7.0 on)
    # runs the 8192³ GEMM that keeps them loaded (default_burn_size); 2048³ would say that the
    # burn did not size itself by the GPUs it burns.
    sized = any(a.startswith("--size") for a in doc.get("run", {}).get("command_line", []))
    tensor_fp16 = {"gpu{}".format(g["index"]) for g in
                   doc.get("environment", {}).get("gpu", {}).get("devices", [])
                   if g.get("cc_major", 0) >= 7}
    for d in (doc.get("burn") or {}).get("devices", []):
        n = d["problem"]["n"]
        if (not sized and d["precision"] == "fp16" and d["device"] in tensor_fp16
                and n != 8192):
            items.append("{} FP16 burned {}³, not the default 8192³ of a GPU with FP16 tensor "
                         "cores".format(d["device"], n))
            bad += 1
        points = d.get("telemetry", [])
        readings = [t["reading"] for t in points]
        def spread(key, unit):  # of the points: a long burn's are means of several readings
            values = [r[key] for r in readings if r.get(key) is not None]
            return (", {:.0f}-{:.0f} {}".format(min(values), max(values), unit) if values else "")
        # A point merges "readings" readings (1 in files from before), "throttled_readings" of
        # them throttled (null in such files: the reading's flag).
        read = sum(t.get("readings", 1) for t in points)
        throttled = sum(t["throttled_readings"] if t.get("throttled_readings") is not None
                        else int(bool(t["reading"].get("throttled"))) for t in points)
        if not any(r.get("clock_events_read", True) for r in readings):
            read = 0  # no reading gave the clock event reasons: throttling unknown
        unit = "GOP/s" if d["precision"] == "int8" else "GFLOP/s"
        busy = d.get("busy_share")  # the share of the burn in runs: how loaded the GPU was
        median = d["median_gflops"]  # null: no throughput point (none yet, or interrupted)
        items.append("{} {} {}³ {}: median {} {}, drop {:.1f}%{}{}{}{}{}{}".format(
            d["device"], d["precision"].upper(), n, d["verdict"],
            "-" if median is None else "{:.1f}".format(as_float(median)), unit,
            100 * as_float(d["throughput_drop"]),
            ", busy {:.0f}%".format(100 * busy) if busy is not None else "",
            spread("sm_clock_mhz", "MHz"),
            spread("temperature_c", "C"), spread("power_w", "W"),
            (", {} of {} readings throttled".format(throttled, read) if read
             else ", throttling not read" if readings else ""),
            " ({})".format(d["why"]) if d["why"] else ""))
        bad += d["verdict"] != "OK"
    stopped = (doc.get("burn") or {}).get("telemetry_stopped", "")
    if stopped:  # fails the burn whatever its devices' verdicts
        items.append("GPU telemetry stopped: " + stopped)
        bad += 1
    for d in (doc.get("memtest") or {}).get("devices", []):
        rises = ["{} {:g} to {:g}".format(r["fact"], r["before"], r["after"])
                 for r in d.get("memory_error_rises", [])]
        incomplete = "no complete pass of every pattern" if d["verdict"] == "INCOMPLETE" else ""
        notes = [n for n in [d["failure"], incomplete, d.get("ecc_not_compared", "")] if n]
        items.append("{} memtest {}: {:.1f} GiB, {} passes in {:.0f} s, {} bad words{}{}".format(
            d["device"], d["verdict"], d["bytes_tested"] / 2**30,
            d["passes"], as_float(d["seconds"]), d["bad_words"],
            ", {} rose".format(", ".join(rises)) if rises else "",
            " ({})".format("; ".join(notes)) if notes else ""))
        bad += not d["passed"]
    if not items:
        raise Failed("{}: no burn or memory test".format(args.results))
    line = "; ".join(items)
    if bad:
        raise Failed(line)
    print(line)


def main(argv):
    parser = argparse.ArgumentParser(
        prog="gpu_validate.py", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    p = commands.add_parser("pytorch", help="the PyTorch cross-check")
    p.add_argument("--out", required=True)
    p.add_argument("--gemm-sizes", type=sizes, required=True)
    p.add_argument("--fp32-elements", type=positive, required=True)
    p.add_argument("--fp64-elements", type=positive, required=True)
    p.add_argument("--lt-sizes", type=sizes, help="BF16 and FP8 GEMM sizes beside cuBLASLt's")
    p.add_argument("--device", type=int, default=0)
    p.set_defaults(run=measure_pytorch)
    d = commands.add_parser("dispositions", help="did every measurement pass")
    d.add_argument("results", nargs="+")
    d.set_defaults(run=check_dispositions)
    u = commands.add_parser("unknown-fact", help="a GPU health fact that could not be read")
    u.add_argument("results")
    u.add_argument("fact")
    u.set_defaults(run=print_unknown_fact)
    c = commands.add_parser("crossovers", help="where a sweep's GPU starts to beat the CPU")
    c.add_argument("results")
    c.set_defaults(run=print_crossovers)
    s = commands.add_parser("stress", help="a burn's or memory test's verdicts on one line")
    s.add_argument("results")
    s.set_defaults(run=summarise_stress)
    f = commands.add_parser("figures", help="ours beside PyTorch's, in Markdown")
    f.add_argument("--results", nargs="+", required=True)
    f.add_argument("--pytorch")
    f.add_argument("--tolerance", type=float, required=True)
    f.add_argument("--lt-tolerance", type=float, default=0.05)
    f.add_argument("--out", required=True)
    f.set_defaults(run=build_figures)
    args = parser.parse_args(argv)
    try:
        args.run(args)
    except NotRun as e:
        print("not run: {}".format(e), file=sys.stderr)
        return NOT_RUN
    except Failed as e:
        print("failed: {}".format(e), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
