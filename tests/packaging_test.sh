#!/usr/bin/env bash
# Checks the packages that `cmake --build <dir> --target package` makes (README, "Installing on
# machines without network"):
#   packaging_test.sh bundle TARBALL SOURCE_DIR BUILD_DIR VERSION SYSTEM_LIBS_REGEX BUNDLE_CUBLAS
#     unpacks the tarball into a temporary directory and runs it from there, with the source
#     and build trees out of reach, and checks that every library it loads that is not the
#     system's (SYSTEM_LIBS_REGEX, the one cmake/Packaging.cmake uses) comes from its lib/.
#   packaging_test.sh deb PACKAGE_DIR SOURCE_DIR VERSION
#     checks the metadata and file list of the .deb of that version in PACKAGE_DIR.
set -euo pipefail

fail() {
  echo "packaging test: $*" >&2
  exit 1
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The spec files the source tree ships, relative to specs/ (none before specs/ exists).
shipped_specs() {
  if [ -d "$1/specs" ]; then (cd "$1/specs" && find . -type f | sort); fi
}

check_bundle() {
  local tarball=$1 source_dir=$2 build_dir=$3 version=$4 system_libs=$5 bundle_cublas=$6
  [ -f "$tarball" ] || fail "no tarball $tarball"
  tar -xzf "$tarball" -C "$tmp"
  local top
  top="$tmp/$(basename "$tarball" .tar.gz)"
  [ -x "$top/bin/flopbench" ] || fail "the tarball has no $(basename "$top")/bin/flopbench"
  [ -f "$top/share/doc/flopbench/README.md" ] || fail "the tarball has no share/doc/flopbench/README.md"
  [ -x "$top/share/flopbench/fleet-slurm.sbatch" ] ||
    fail "the tarball has no executable share/flopbench/fleet-slurm.sbatch"
  local spec
  while read -r spec; do
    [ -z "$spec" ] || [ -f "$top/share/flopbench/specs/$spec" ] ||
      fail "the tarball lacks share/flopbench/specs/$spec"
  done <<<"$(shipped_specs "$source_dir")"

  # lib/ holds real files named by their SONAMEs, the names the loader looks for.
  local lib soname
  for lib in "$top"/lib/*; do
    [ ! -L "$lib" ] || fail "lib/$(basename "$lib") is a symlink"
    soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
    [ "$soname" = "$(basename "$lib")" ] || fail "lib/$(basename "$lib") has SONAME '$soname'"
  done
  if [ "$bundle_cublas" != ON ] && compgen -G "$top/lib/libcublas*" >/dev/null; then
    fail "cuBLAS is in the bundle although FLOPBENCH_BUNDLE_CUBLAS is off"
  fi

  # Nothing may point back into the trees it was built from.
  local rpath
  rpath=$(readelf -d "$top/bin/flopbench" | sed -n 's/.*(RPATH).*\[\(.*\)\]/\1/p')
  [[ "$rpath" == "\$ORIGIN/../lib"* ]] || fail "RPATH is '$rpath', not \$ORIGIN/../lib first"
  [[ "$rpath" != *"$source_dir"* && "$rpath" != *"$build_dir"* ]] ||
    fail "RPATH '$rpath' names the source or build tree"
  ! readelf -d "$top/bin/flopbench" | grep -q '(RUNPATH)' ||
    fail "bin/flopbench has a RUNPATH, which would hide the bundle from its libraries' own dependencies"

  # A bare environment from an unrelated directory: no PATH or LD_LIBRARY_PATH into the trees.
  mkdir "$tmp/elsewhere"
  cd "$tmp/elsewhere"
  local run=(env -i "PATH=/usr/bin:/bin" "HOME=$tmp" "OMP_NUM_THREADS=2")

  # Every library loaded: the system's from anywhere, every other from the bundle's lib/. An ldd
  # that fails, or lists nothing from lib/, checked nothing.
  local line name path libraries bundled=0
  libraries=$("${run[@]}" ldd "$top/bin/flopbench" 2>"$tmp/ldd.err") ||
    fail "ldd bin/flopbench: $(cat "$tmp/ldd.err")"
  while read -r line; do
    [ -n "$line" ] || continue
    name=${line%% *}
    name=${name##*/}
    if [[ "$line" == *"not found"* ]]; then fail "ldd: $line"; fi
    if [[ "$name" =~ $system_libs ]]; then continue; fi
    path=$(realpath -m "$(sed -n 's/.*=> \(.*\) (0x.*/\1/p' <<<"$line")")
    [[ "$path" == "$top/lib/"* ]] || fail "$name is loaded from '$path', not from the bundle's lib/"
    bundled=$((bundled + 1))
  done <<<"$libraries"
  [ "$bundled" -gt 0 ] || fail "ldd lists no library from the bundle's lib/: $libraries"

  "${run[@]}" "$top/bin/flopbench" info >"$tmp/info.txt" || fail "flopbench info failed"
  grep -q "^Build: *flopbench $version " "$tmp/info.txt" || fail "flopbench info does not name version $version"
  "${run[@]}" "$top/bin/flopbench" run --profile quick --sizes 64 --out "$tmp/results" \
    >"$tmp/run.txt" 2>&1 || { cat "$tmp/run.txt"; fail "flopbench run failed"; }
  [ -s "$tmp/results/results.json" ] || fail "flopbench run wrote no results.json"
  echo "packaging test: the bundle runs from $top; $(find "$top/lib" -type f | wc -l) libraries in lib/"
}

check_deb() {
  local package_dir=$1 source_dir=$2 version=$3
  local debs=("$package_dir/flopbench_${version}_"*.deb)
  [ -f "${debs[0]}" ] ||
    fail "no flopbench_${version}_*.deb in $package_dir (install dpkg-dev, whose dpkg-shlibdeps the .deb needs, and configure again)"
  local deb=${debs[0]}
  dpkg-deb --info "$deb" >"$tmp/info.txt"
  field() { sed -n "s/^ $1: //p" "$tmp/info.txt"; }
  [ "$(field Package)" = flopbench ] || fail "Package is '$(field Package)'"
  [ "$(field Version)" = "$version" ] || fail "Version is '$(field Version)', not $version"
  [ "$(field Architecture)" = "$(dpkg --print-architecture)" ] ||
    fail "Architecture is '$(field Architecture)'"
  [ -n "$(field Maintainer)" ] || fail "no Maintainer"
  [ -n "$(field Description)" ] || fail "no Description"
  local depends
  depends=$(field Depends)
  [[ "$depends" =~ libopenblas|libblas ]] || fail "Depends '$depends' lacks OpenBLAS"
  [[ "$depends" != *cublas* ]] || fail "Depends '$depends' names cuBLAS, which CUDA provides"

  dpkg-deb --contents "$deb" | awk '{print $NF}' >"$tmp/contents.txt"
  local expected spec
  for expected in ./usr/bin/flopbench ./usr/share/doc/flopbench/README.md \
    ./usr/share/flopbench/fleet-slurm.sbatch; do
    grep -qxF "$expected" "$tmp/contents.txt" || fail "the .deb lacks $expected"
  done
  while read -r spec; do
    [ -z "$spec" ] || grep -qxF "./usr/share/flopbench/specs/${spec#./}" "$tmp/contents.txt" ||
      fail "the .deb lacks /usr/share/flopbench/specs/${spec#./}"
  done <<<"$(shipped_specs "$source_dir")"
  ! grep -q '^\./usr/lib/' "$tmp/contents.txt" || fail "the .deb carries libraries"
  echo "packaging test: $(basename "$deb"): Depends: $depends"
}

case "${1:-}" in
  bundle) [ $# -eq 7 ] || fail "usage: $0 bundle TARBALL SOURCE_DIR BUILD_DIR VERSION SYSTEM_LIBS_REGEX BUNDLE_CUBLAS"
          check_bundle "${@:2}" ;;
  deb) [ $# -eq 4 ] || fail "usage: $0 deb PACKAGE_DIR SOURCE_DIR VERSION"
       check_deb "${@:2}" ;;
  *) fail "usage: $0 bundle|deb ..." ;;
esac
