#!/usr/bin/env bash
# scripts/install-deps.sh against a stand-in apt: it installs only what is missing, goes on
# without a Chromium the distribution does not package (Ubuntu's is a snap), uses a Chromium
# already on PATH, and names a required package the distribution lacks instead of letting apt
# fail the whole install.
#   install_deps_test.sh SOURCE_DIR
set -euo pipefail

script=$1/scripts/install-deps.sh
fail() {
  echo "install-deps test: $*" >&2
  exit 1
}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# The PATH holds the stand-ins and the few real tools the script needs, so that this machine's
# own Chromium is not found.
mkdir -p "$tmp/bin"
for tool in bash env grep; do ln -s "$(command -v "$tool")" "$tmp/bin/$tool"; done
stand_in() { printf '#!/bin/bash\n%s\n' "$2" >"$tmp/bin/$1" && chmod +x "$tmp/bin/$1"; }
stand_in id 'echo 0'
stand_in systemctl 'exit 0'
# dpkg-query: installed are the names in $tmp/installed; apt-cache: candidates are those in
# $tmp/available; apt-get logs what it is asked.
stand_in dpkg-query "grep -qx \"\${@: -1}\" $tmp/installed && printf 'install ok installed'"
# (In the C locale, as the script asks: a package without one says "Candidate: (none)".)
stand_in apt-cache "[ \"\$LC_ALL\" = C ] || exit 9
if grep -qx \"\$2\" $tmp/available; then c=1.0; else c='(none)'; fi
printf '%s:\n  Installed: (none)\n  Candidate: %s\n' \"\$2\" \"\$c\""
stand_in apt-get "echo \"\$*\" >>$tmp/apt.log"

packages=$(sed -n '/^\(test_\)\?packages=(/,/^)/p' "$script" | sed 's/#.*//; s/^[a-z_]*=(//; s/)//' | tr -s ' \n' '\n' | grep .)
[ "$(wc -l <<<"$packages")" -gt 20 ] || fail "read only these packages from the script: $packages"
run() { # [--test]: exit status, then stdout and stderr in $tmp/out
  rm -f "$tmp/apt.log"
  set +e
  PATH=$tmp/bin "$tmp/bin/bash" "$script" "$@" >"$tmp/out" 2>&1
  local rc=$?
  set -e
  return $rc
}
installs() { grep '^install ' "$tmp/apt.log" 2>/dev/null | sed 's/.*--no-install-recommends //'; }

# Everything installed: apt is not called.
echo "$packages" >"$tmp/installed"
run --test || fail "all installed: exit $?: $(cat "$tmp/out")"
grep -q "every package is installed" "$tmp/out" || fail "all installed: $(cat "$tmp/out")"
[ ! -e "$tmp/apt.log" ] || fail "all installed, apt called: $(cat "$tmp/apt.log")"

# Ubuntu: no chromium package, two test packages missing. The others are installed, without
# Chromium, and the warning says the tests will skip.
grep -vx -e chromium -e libgtest-dev -e libfccp-dev <<<"$packages" >"$tmp/installed"
grep -vx chromium <<<"$packages" >"$tmp/available"
run --test || fail "no chromium package: exit $?: $(cat "$tmp/out")"
[ "$(installs)" = "libfccp-dev libgtest-dev" ] || fail "no chromium package installed '$(installs)'"
grep -q "warning: this distribution has no chromium package; the tests that need it will skip" \
  "$tmp/out" || fail "no chromium package: $(cat "$tmp/out")"

# Without --test, chromium is not asked for at all.
run || fail "without --test: exit $?: $(cat "$tmp/out")"
[ "$(installs)" = "libfccp-dev" ] || fail "without --test installed '$(installs)'"
if grep -q chromium "$tmp/out"; then fail "without --test: $(cat "$tmp/out")"; fi

# A Chromium on PATH (the snap's /snap/bin/chromium) stands for the package.
stand_in chromium 'exit 0'
grep -vx -e chromium -e libgtest-dev <<<"$packages" >"$tmp/installed"
echo "$packages" >"$tmp/available"
run --test || fail "chromium on PATH: exit $?: $(cat "$tmp/out")"
[ "$(installs)" = "libgtest-dev" ] || fail "chromium on PATH installed '$(installs)'"
rm "$tmp/bin/chromium"

# A required package the lists lack (Ubuntu without universe): nothing is installed, exit 1, and
# the message names it.
grep -vx -e libfccp-dev -e libgtest-dev <<<"$packages" >"$tmp/installed"
grep -vx libfccp-dev <<<"$packages" >"$tmp/available"
if run --test; then fail "a package without a candidate: exit 0: $(cat "$tmp/out")"; fi
[ -z "$(installs)" ] || fail "a package without a candidate, installed '$(installs)'"
grep -q "package lists have no libfccp-dev; on Ubuntu they are in the universe component" \
  "$tmp/out" || fail "a package without a candidate: $(cat "$tmp/out")"
echo "install-deps test: passed"
