#!/usr/bin/env python3
"""Checks that the AVX-512 code of a build's wide vector pass stays where only it runs.

A portable build for AVX2 compiles its vector files once more for AVX-512 and picks the pass at
run time (harness/machine/vector_shape.hpp). That is safe only if AVX-512 code runs nowhere but
in the wide pass's own functions, which only its registered kernels and the clock's dispatch
call. This reads the disassembly (with relocations) of the executable and of the wide pass's
object files, and fails if
- a function holds AVX-512 code but is not named in the wide pass's namespaces (bytes64): an
  inline function or template instantiation compiled in the pass that another file may share,
  of which the linker keeps one copy for every caller (in an object file it is seen whichever
  copy the executable kept);
- a static initialiser, which runs on every CPU, reaches AVX-512 code through the functions it
  calls or jumps to, directly or not;
- the wide pass holds no AVX-512 code, or a kernel's narrow copy does.
The executable must link its BLAS libraries dynamically: their own AVX-512 code is not ours.

Usage: vector_pass_containment.py [--objdump PATH] EXECUTABLE WIDE_PASS_OBJECT...
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
FUNCTION = re.compile(r"^([0-9a-f]+) <(.+)>:$")
INSTRUCTION = re.compile(r"^\s*[0-9a-f]+:\t((?:[0-9a-f]{2} )+)\s*\t?(.*)$")
# A call or jump to another function (a jump inside one reads <name+0x..>) ...
BRANCH = re.compile(r"^(?:call|jmp)q?\s+([0-9a-f]+) <([^>+]+)>")
# ... and, in an object file, the relocation that names the real target.
RELOCATION = re.compile(r"^\s*[0-9a-f]+: R_X86_64_(?:PLT32|PC32)\s+([^+\-\s]+)")

# The wide pass's names all carry its namespace: flopbench::bytes64 (its kernels, the lambdas and
# templates they instantiate) and flopbench::simd::bytes64 (the clock loop).
WIDE_PASS = "7bytes64"
# Kernels' parallel regions, compiled in both passes: the wide copy must hold AVX-512 code, the
# narrow one none.
TWO_PASS_KERNELS = ["OmpGemmIfE3runEv._omp_fn.0", "OmpPeakIdE3runEv._omp_fn.0"]
STATIC_INITIALISER = re.compile(r"_GLOBAL__sub_I|static_initialization")


def is_avx512(raw_bytes, text):
    head = raw_bytes.split()
    while head and head[0] in LEGACY_PREFIXES:
        head = head[1:]
    return bool(head and head[0] == "62") or AVX512_OPERANDS.search(text) is not None


class Function:
    def __init__(self, address, name):
        self.address = address
        self.name = name
        self.avx512 = False
        self.targets = set()  # what it calls or jumps to: addresses in an executable, else names


def disassemble(objdump, path, linked):
    """Every function copy in `path`, in order. In a linked executable a branch names its target
    by address (local functions of many files share names: every file has its own static
    initialiser); in an object file by the relocation's symbol, since each section starts at 0."""
    dump = subprocess.run([objdump, "-d", "-r", "-w", path], check=True, capture_output=True,
                          text=True).stdout
    functions = []
    for line in dump.splitlines():
        m = FUNCTION.match(line)
        if m:
            functions.append(Function(int(m.group(1), 16), m.group(2)))
            continue
        if not functions:
            continue
        f = functions[-1]
        m = INSTRUCTION.match(line)
        if m:
            f.avx512 = f.avx512 or is_avx512(m.group(1), m.group(2))
            branch = BRANCH.match(m.group(2))
            if branch:
                f.targets.add(int(branch.group(1), 16) if linked else branch.group(2))
            continue
        m = RELOCATION.match(line)
        if m and not linked:
            f.targets.add(m.group(1))
    return functions


def problems_in(objdump, path, linked):
    functions = disassemble(objdump, path, linked)
    by_target = defaultdict(list)
    for f in functions:
        by_target[f.address if linked else f.name].append(f)
    problems = []
    for f in functions:
        if f.avx512 and WIDE_PASS not in f.name:
            problems.append(f"{path}: {f.name}: AVX-512 code outside the wide pass's names")
    for start in [f for f in functions if STATIC_INITIALISER.search(f.name)]:
        seen, todo = set(), [start]
        while todo:
            f = todo.pop()
            if f.avx512:
                problems.append(f"{path}: {start.name} reaches AVX-512 code in {f.name}")
                break
            for target in f.targets - seen:
                seen.add(target)
                todo.extend(by_target.get(target, []))
    return functions, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objdump", default="objdump")
    parser.add_argument("executable")
    parser.add_argument("objects", nargs="+")
    args = parser.parse_args()
    functions, problems = problems_in(args.objdump, args.executable, linked=True)
    for path in args.objects:
        problems += problems_in(args.objdump, path, linked=False)[1]
    wide = [f for f in functions if f.avx512]
    if not any(WIDE_PASS in f.name for f in wide):
        problems.append("no function of the wide pass holds AVX-512 code")
    for kernel in TWO_PASS_KERNELS:
        found = sorted((WIDE_PASS in f.name, f.avx512) for f in functions
                       if f.name.endswith(kernel))
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
