#!/usr/bin/env bash
# Installs what flopbench needs to build and test, from the distribution's packages (tested on
# Debian 12), and only what is missing. Nothing is downloaded at build time. The CUDA toolkit is
# not installed here: with nvcc on PATH the GPU side builds too.
set -euo pipefail

#
# Usage: scripts/install-deps.sh [--test]   (--test: also what the test suite needs)
packages=(
  g++ cmake ninja-build pkg-config git  # toolchain; git names the commit in every result file
  libeigen3-dev                         # Eigen implementations
  libopenblas-dev                       # OpenBLAS implementations (optional; strongly advised)
  libdnnl-dev                           # oneDNN: BF16, FP16, INT8 GEMM on the CPU (optional; the tests verify it)
  libbenchmark-dev                      # Google Benchmark: the runner's timing loop
  nlohmann-json3-dev libcli11-dev libfmt-dev  # results files, command line, formatting
  dpkg-dev                              # dpkg-shlibdeps: the .deb's Depends (--target package)
  libfccp-dev                           # fast-cpp-csv-parser: acceptance specs (flopbench check)
)
test_packages=(
  libgtest-dev                          # GoogleTest
  libxml2-utils                         # xmllint: JUnit XML is well-formed (acceptance tests)
  chromium fonts-noto-cjk               # render report.html and the sheet (PDF, screenshot test; CJK glyphs)
  libbenchmark-tools python3-scipy      # Google Benchmark's compare.py reads google-benchmark.json
  clang-format                          # the format check (style.clang_format)
  openmpi-bin                           # mpirun: the fleet test launches ranks through it
  slurmctld slurmd slurm-client         # srun: the fleet test's one-node Slurm cluster
)
case "${1:-}" in
  "") ;;
  --test) packages+=("${test_packages[@]}") ;;
  *) echo "usage: $0 [--test]" >&2; exit 2 ;;
esac

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
# Packages the tests can do without: where the distribution has none (Ubuntu ships Chromium only
# as a snap), the tests that render skip. A Chromium already on PATH is the one flopbench runs.
optional=(chromium)
is_optional() { [[ " ${optional[*]} " == *" $1 "* ]]; }
chromium_on_path() { command -v chromium chromium-browser google-chrome google-chrome-stable >/dev/null; }

missing=()
for p in "${packages[@]}"; do
  installed "$p" && continue
  [ "$p" = chromium ] && chromium_on_path && continue
  missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: every package is installed"
  exit 0
fi
sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo=(sudo)
fi
# The fleet test starts its own one-node Slurm cluster (without munge). The daemons Debian enables
# when it installs them would run at every boot, on a Slurm node beside the site's own: those
# this run installs are disabled and stopped again.
daemons=()
for d in slurmctld slurmd munge; do
  installed "$d" || daemons+=("$d")
done
disable_new_daemons() { # also after an install that failed part-way
  local new=() d
  for d in ${daemons[@]+"${daemons[@]}"}; do
    if installed "$d"; then new+=("$d"); fi
  done
  if [ ${#new[@]} -gt 0 ] && [ -d /run/systemd/system ]; then
    echo "install-deps: disabling the services the tests do not use: ${new[*]}"
    "${sudo[@]}" systemctl disable --now "${new[@]}" ||
      echo "install-deps: warning: could not disable ${new[*]}; they may start at boot" >&2
  fi
}
trap disable_new_daemons EXIT
"${sudo[@]}" apt-get update -qq
# apt's own error for a package it does not know stops the whole install; say which and why.
# (LC_ALL=C: apt translates "Candidate". grep reads all, so that apt-cache gets no SIGPIPE.)
has_candidate() { LC_ALL=C apt-cache policy "$1" 2>/dev/null | grep 'Candidate: [^(]' >/dev/null; }
wanted=() unavailable=()
for p in "${missing[@]}"; do
  if has_candidate "$p"; then
    wanted+=("$p")
  elif is_optional "$p"; then
    echo "install-deps: warning: this distribution has no $p package; the tests that need it" \
      "will skip unless one is on PATH" >&2
  else
    unavailable+=("$p")
  fi
done
if [ ${#unavailable[@]} -gt 0 ]; then
  echo "install-deps: this distribution's package lists have no ${unavailable[*]}; on Ubuntu" \
    "they are in the universe component (add-apt-repository universe)" >&2
  exit 1
fi
[ ${#wanted[@]} -eq 0 ] && exit 0
echo "install-deps: installing ${wanted[*]}"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${wanted[@]}"
