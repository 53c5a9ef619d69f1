# Sourced by the tests that run flopbench inside a cgroup of their own (cpu_quota_test.sh,
# memory_limit_test.sh), after they define skip. make_cgroup CONTROLLER makes one in the cgroup
# v1 hierarchy that holds CONTROLLER, else under the cgroup v2 root where it delegates
# CONTROLLER, and sets cg (its directory) and cg_v1 (1 on v1, 0 on v2); it skips where none can
# be made. On exit the cgroup and $tmp are removed. in_cgroup COMMAND... runs COMMAND in it.
cg=""
cg_v1=0
tmp=""
cleanup() {
  [ -n "$tmp" ] && rm -rf "$tmp"
  # The runs have ended (or been killed): the cgroup empties and can go.
  if [ -n "$cg" ] && [ -d "$cg" ]; then
    for _ in 1 2 3 4 5; do rmdir "$cg" 2>/dev/null && break || sleep 0.2; done
  fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM

make_cgroup() { # CONTROLLER
  local controller=$1 v1_mount
  v1_mount=$(awk -v c="$controller" '$0 ~ / - cgroup / { n = split($NF, o, ",")
               for (i = 1; i <= n; ++i) if (o[i] == c) { print $5; exit } }' /proc/self/mountinfo)
  if [ -n "$v1_mount" ]; then
    cg="$v1_mount/flopbench-$controller-test-$$" cg_v1=1
    mkdir "$cg" 2>/dev/null || { cg=""; skip "cannot make a cgroup under $v1_mount"; }
  elif grep -qw "$controller" /sys/fs/cgroup/cgroup.subtree_control 2>/dev/null; then
    cg="/sys/fs/cgroup/flopbench-$controller-test-$$" cg_v1=0
    mkdir "$cg" 2>/dev/null || { cg=""; skip "cannot make a cgroup under /sys/fs/cgroup"; }
  else
    skip "no cgroup hierarchy with the $controller controller to make a cgroup in"
  fi
}

in_cgroup() {
  sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$cg" "$@"
}
