#!/usr/bin/env python3
"""Checks that the AVX-512 code of a build's wide vector pass stays where only it runs.

A build for AVX2 compiles its vector files once more for AVX-512 and picks the pass at run time
(harness/machine/vector_shape.hpp). That is safe only if no AVX-512 instruction reaches code that
runs on every CPU: a static initialiser (or a function it calls), or an inline function or
template instantiation that the linker keeps one copy of for every file (a weak or global symbol,
with the parts GCC splits off it: .cold, .part, .isra, .constprop). This reads the disassembly of
the executable and of the wide pass's object files: of two copies of a shared function the linker
keeps one, the narrow pass's where it comes first, so the executable alone can hide a wide-pass
function that another link order would keep. It also fails if the wide pass holds no AVX-512
code, or a kernel's narrow copy does.

Usage: vector_pass_containment.py [--objdump PATH] [--nm PATH] EXECUTABLE WIDE_PASS_OBJECT...
"""
import argparse
import re
import subprocess
import sys
from collections import defaultdict

# EVEX, AVX-512's encoding, begins with 0x62 (after any legacy prefixes): in 64-bit mode no other
# instruction does. 512-bit registers and mask registers are AVX-512's too.
LEGACY_PREFIXES = {"66", "67", "f2", "f3", "2e", "36", "3e", "26", "64", "65"}
AVX512_OPERANDS = re.compile(r"%zmm|%k[0-7]\b")
FUNCTION = re.compile(r"^[0-9a-f]+ <(.+)>:$")
INSTRUCTION = re.compile(r"^\s*[0-9a-f]+:\t((?:[0-9a-f]{2} )+)\s*\t?(.*)$")
CALL = re.compile(r"\bcall\s+[0-9a-f]+ <([^>+]+)>")

# Names only the wide pass has: its kernels (flopbench::bytes64::...) and the clock loop it
# defines for clock.cpp to call when the CPU runs it.
WIDE_PASS_NAMES = ("_ZN9flopbench7bytes64", "_ZN9flopbench4simd7bytes6415adds_per_second")
# Kernels' parallel regions, compiled in both passes: the wide copy must hold AVX-512 code, the
# narrow one none.
TWO_PASS_KERNELS = ["OmpGemmIfE3runEv._omp_fn.0", "OmpPeakIdE3runEv._omp_fn.0"]
STATIC_INITIALISER = re.compile(r"_GLOBAL__sub_I|static_initialization")


def is_avx512(raw_bytes, text):
    head = raw_bytes.split()
    while head and head[0] in LEGACY_PREFIXES:
        head = head[1:]
    return bool(head and head[0] == "62") or AVX512_OPERANDS.search(text) is not None


def disassemble(objdump, path):
    """Per function name, one (has AVX-512, names it calls) for each copy."""
    dump = subprocess.run([objdump, "-d", "-w", path], check=True, capture_output=True,
                          text=True).stdout
    copies = defaultdict(list)
    current = None
    for line in dump.splitlines():
        m = FUNCTION.match(line)
        if m:
            current = [False, set()]
            copies[m.group(1)].append(current)
            continue
        m = INSTRUCTION.match(line)
        if m and current is not None:
            current[0] = current[0] or is_avx512(m.group(1), m.group(2))
            call = CALL.search(m.group(2))
            if call:
                current[1].add(call.group(1))
    return copies


def bindings(nm, path):
    """Per symbol name, the set of nm's types of its definitions (t: local; T, W, V: shared)."""
    out = subprocess.run([nm, "--defined-only", path], check=True, capture_output=True,
                         text=True).stdout
    kinds = defaultdict(set)
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3:
            kinds[parts[2]].add(parts[1])
    return kinds


def shared(name, kinds):
    """Whether `name`, or the function GCC split it from, is a shared symbol."""
    parent = name.split(".")[0]
    return bool((kinds.get(name, set()) | kinds.get(parent, set())) - {"t", "b", "d", "r"})


def misplaced(objdump, nm, path):
    copies = disassemble(objdump, path)
    kinds = bindings(nm, path)
    has_avx512 = {n for n, cs in copies.items() if any(c[0] for c in cs)}
    problems = []
    for name, cs in copies.items():
        if STATIC_INITIALISER.search(name):
            called = set().union(*(c[1] for c in cs)) & has_avx512
            if name in has_avx512 or called:
                problems.append(f"{path}: {name}: a static initialiser runs AVX-512 code "
                                f"{sorted(called)}")
        elif name in has_avx512 and not name.startswith(WIDE_PASS_NAMES) and shared(name, kinds):
            problems.append(f"{path}: {name}: a shared symbol holds AVX-512 code")
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objdump", default="objdump")
    parser.add_argument("--nm", default="nm")
    parser.add_argument("executable")
    parser.add_argument("objects", nargs="+")
    args = parser.parse_args()
    problems = []
    for path in [args.executable] + args.objects:
        problems += misplaced(args.objdump, args.nm, path)
    copies = disassemble(args.objdump, args.executable)
    wide = [n for n, cs in copies.items() if any(c[0] for c in cs)]
    if not any(n.startswith(WIDE_PASS_NAMES) for n in wide):
        problems.append("no function of the wide pass holds AVX-512 code")
    for kernel in TWO_PASS_KERNELS:
        found = sorted((n.startswith(WIDE_PASS_NAMES), c[0]) for n, cs in copies.items()
                       if n.endswith(kernel) for c in cs)
        # (is the wide pass's, holds AVX-512 code) for each copy
        if found != [(False, False), (True, True)]:
            problems.append(f"*{kernel}: expected a narrow copy without AVX-512 code and a wide "
                            f"one with it; found (wide, AVX-512) = {found}")
    for p in problems:
        print(p)
    print(f"{len(wide)} functions of {args.executable} hold AVX-512 code; "
          f"{len(problems)} problem(s)")
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
