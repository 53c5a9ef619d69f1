#!/usr/bin/env python3
"""Checks that the clock measured under vector FMA load has its FMAs (harness/machine/clock.hpp).

The FMA chains beside the add chain compute values nobody reads but a final sink, from a start
that is their own fixed point: a compiler that can see through them folds them away, and the
"vector clock" is then the scalar clock, measured beside no FMA at all (GCC 12 did, at every
optimisation level above -O0, until the chains started from a volatile). On x86 with FMA the
load is inline assembly, which no compiler folds: there this guards the load's shape (a rewrite
in C++ or a lost block) rather than the compiler. The C++ fallback, which CPUs without x86 FMA
run, is what a compiler can fold: the build compiles it once more, with
FLOPBENCH_CLOCK_LOOP_CXX_FALLBACK, into an object linked into nothing, for this check
(tests/CMakeLists.txt). This reads the disassembly of each clock_loop object file given, one per
vector pass and that one, and fails unless each holds at least the 32 packed multiplies (FMAs,
or multiplies beside adds where the pass has no FMA) of one block of the load.

Usage: clock_fma_load.py --objdump PATH OBJECT...   (objects not of clock_loop are ignored)
"""
import argparse
import re
import subprocess
import sys

# Register or memory source: a sanitizer's build may keep an operand in memory.
PACKED_MULTIPLY = re.compile(
    r"\t(v?fn?m(add|sub)\d*pd|v?mulpd|fmla|fmul)\s+(%[xyz]mm|v\d+\.2d|-?(0x)?[0-9a-f]*\(%)")
BLOCK = 32


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--objdump", default="objdump")
    parser.add_argument("objects", nargs="+")
    args = parser.parse_args()
    objects = [o for o in args.objects if "clock_loop" in o]
    if not objects:
        sys.exit("clock_fma_load: no clock_loop object among the files given")
    failed = False
    for path in objects:
        text = subprocess.run([args.objdump, "-d", "--no-show-raw-insn", path], check=True,
                              capture_output=True, text=True).stdout
        count = len(PACKED_MULTIPLY.findall(text))
        verdict = "ok" if count >= BLOCK else "FAIL"
        print("{}: {} packed multiplies (at least {}): {}".format(path, count, BLOCK, verdict))
        failed = failed or count < BLOCK
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
