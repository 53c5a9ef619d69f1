#!/usr/bin/env bash
# The format check: every C++ and CUDA source of the tree is as clang-format leaves it, by the
# tree's .clang-format.
#   format_check.sh SOURCE_DIR
# Skipped (exit 77) without clang-format, or with a major version other than the one the tree is
# formatted with (.clang-format's clang-format-version line): versions break lines differently,
# so another one would report changes that are no fault of the tree. With
# FLOPBENCH_REQUIRE_FORMAT_CHECK=1 (CI) a skip is a failure.
set -euo pipefail
source_dir=$1
# Not checked: skipped, or under FLOPBENCH_REQUIRE_FORMAT_CHECK=1 failed.
cannot_check() {
  if [ "${FLOPBENCH_REQUIRE_FORMAT_CHECK:-}" = 1 ]; then
    echo "format check: $1, and FLOPBENCH_REQUIRE_FORMAT_CHECK=1 requires it" >&2
    exit 1
  fi
  echo "skipped: $1"
  exit 77
}
want=$(sed -n 's/^# clang-format-version: *\([0-9]*\).*/\1/p' "$source_dir/.clang-format")
if [ -z "$want" ]; then
  echo "format check: $source_dir/.clang-format names no clang-format-version" >&2
  exit 1
fi
command -v clang-format > /dev/null ||
  cannot_check "clang-format is not installed (scripts/install-deps.sh --test installs it)"
have=$(clang-format --version | sed -n 's/.*version \([0-9]*\)\..*/\1/p')
[ "$have" = "$want" ] ||
  cannot_check "this tree is formatted with clang-format $want, and version ${have:-?} breaks lines differently"
cd "$source_dir"
mapfile -d '' files < <(find app harness kernels cpu_baselines reports tests -path tests/data -prune -o \
  -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' -o -name '*.cu' -o -name '*.cuh' \) \
  -print0 | sort -z)
# A tree moved or a find gone wrong must not pass by checking nothing.
if [ "${#files[@]}" -lt 100 ]; then
  echo "format check: found only ${#files[@]} sources under $source_dir" >&2
  exit 1
fi
clang-format --style=file --dry-run --Werror "${files[@]}"
echo "format check: ${#files[@]} sources as clang-format $have leaves them"
