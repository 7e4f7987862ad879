#!/usr/bin/env bash
# Builds berth and runs the whole test suite (unit + privileged integration) with ctest.
# Under CI=true a skipped test is a failure: privileged tests must really run there.
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
werror=OFF
[ "${CI:-}" = "true" ] && werror=ON
# The build type and flags are CMakeLists.txt's defaults, as the README's first command configures
# them: the build it made is reused, not redone.
cmake -S . -B "$build" -G Ninja -DBERTH_WERROR=$werror >/dev/null
cmake --build "$build" -j"$(nproc)"
log=$(mktemp)
# Tests named OnV2* need a pure cgroup v2 host; elsewhere (a hybrid host like CI's) they run in the
# VM runs below instead of skipping here.
exclude=()
[ "$(stat -fc %T /sys/fs/cgroup)" = cgroup2fs ] || exclude=(-E '\.OnV2')
set +e
(cd "$build" && ctest --output-on-failure -j"$(nproc)" "${exclude[@]}" "$@") 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
set -e
# The kernels and cgroup set-ups users have, in VMs (scripts/test-in-vm.sh; ~25 minutes under TCG):
# Debian 11's 5.10 on a systemd-like delegated v2 tree (the runtime's tests and the escape suite)
# and with berth inside a container (the cgroup namespace root holds processes); Debian 12's 6.1
# delegated (the runtime's tests and the busybox examples' up/down) and with no controller delegated (a
# limit is one clear error, containers without limits run); bookworm-backports' 6.12 delegated
# (every example, the built one too; limits, stats and the cgroup tree).
# BERTH_VM_TESTS=0 leaves the VM runs out (not under CI).
if [ "$rc" -eq 0 ] && [ $# -eq 0 ] && { [ "${CI:-}" = "true" ] || [ "${BERTH_VM_TESTS:-1}" != 0 ]; }; then
  for run in "--kernel bullseye --cgroup delegated integration_runtime integration_security" \
             "--kernel bullseye --cgroup nested integration_runtime" \
             "--kernel bookworm --cgroup delegated integration_runtime integration_examples:-*Visits*" \
             "--kernel bookworm --cgroup nodeleg integration_runtime:RuntimeLimits.OnV2ALimit*:RuntimeLifecycle.*:RuntimeInfo.*" \
             "--kernel bookworm-backports --cgroup delegated integration_examples integration_runtime:RuntimeLimits.*:RuntimeStats.*:RuntimeInfo.*:CgroupTree.*"; do
    set -f  # the filters' '*' are gtest's, not the shell's
    set -- $run
    set +f
    echo "== VM: $run" | tee -a "$log"
    if ! scripts/test-in-vm.sh "$1" "$2" "$3" "$4" "$build" "${@:5}" 2>&1 | tee -a "$log"; then
      echo "test.sh: VM tests failed: $run" >&2
      rc=1
      break
    fi
  done
fi
if [ "$rc" -eq 0 ] && [ "${CI:-}" = "true" ] && grep -qE '\*\*\*Skipped|Not Run' "$log"; then
  echo "test.sh: tests were skipped under CI; privileged tests must run here" >&2
  rc=1
fi
rm -f "$log"
exit "$rc"
