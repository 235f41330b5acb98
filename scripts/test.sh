#!/usr/bin/env bash
# Run every Sluice test: installs dependencies (scripts/setup.sh), then
#   1. gcc build:            unit, fuzz (bounded driver), bench smoke, integration
#   2. ASan+UBSan build:     unit
#   3. clang+libFuzzer build: fuzz (short libFuzzer runs under ASan/UBSan)
# Build trees go to build/ (override with SLUICE_BUILD_ROOT).
# Run as root, no sudo needed: bash scripts/test.sh
set -euo pipefail
cd "$(dirname "$0")/.."
root=${SLUICE_BUILD_ROOT:-build}

bash scripts/setup.sh

PASSED=0
FAILED=0

run_suites() {
  local dir=$1 rc=0 out; shift
  local args=()
  for s in "$@"; do args+=(--suite "$s"); done
  meson test -C "$dir" "${args[@]}" --print-errorlogs | tee "$dir/test-summary.txt" || rc=$?
  local ok fail
  out=$(cat "$dir/test-summary.txt")
  ok=$(sed -n 's/^Ok: *\([0-9]*\).*/\1/p' <<<"$out" | tail -1)
  fail=$(sed -n 's/^Fail: *\([0-9]*\).*/\1/p' <<<"$out" | tail -1)
  PASSED=$((PASSED + ${ok:-0}))
  FAILED=$((FAILED + ${fail:-0}))
  if [ "$rc" -ne 0 ]; then
    echo "test.sh: FAILED in $dir ($*); log: $dir/meson-logs/testlog.txt"
    echo "tests: $PASSED passed, $((FAILED > 0 ? FAILED : 1)) failed"
    return 1
  fi
}

setup() {
  local dir=$1; shift
  if [ -d "$dir" ]; then
    meson setup --reconfigure "$dir" "$@" >/dev/null
  else
    meson setup "$dir" "$@" >/dev/null
  fi
  ninja -C "$dir"
}

echo "== gcc build: unit, fuzz, bench, integration"
setup "$root/gcc"
run_suites "$root/gcc" unit fuzz bench integration

echo "== ASan + UBSan build: unit (data-plane stages included)"
setup "$root/asan" -Db_sanitize=address,undefined -Db_lundef=false
ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  run_suites "$root/asan" unit

echo "== clang + libFuzzer build: fuzz (data-plane targets: EAL --no-huge in process)"
CC=clang setup "$root/fuzz" -Dfuzz=libfuzzer -Ddataplane=enabled
run_suites "$root/fuzz" fuzz

echo "test.sh: all suites passed"
echo "tests: $PASSED passed, $FAILED failed"
