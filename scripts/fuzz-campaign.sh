#!/usr/bin/env bash
# Long fuzzing campaign (not run in CI): builds the libFuzzer targets
# (clang, ASan + UBSan, data plane included), runs each one for MINUTES
# minutes on a corpus kept outside the repository, one target after the
# other, and prints per target: executions, coverage (cov / ft from
# libFuzzer's final line) and crashes.
#
#   bash scripts/fuzz-campaign.sh [MINUTES] [TARGET...]
#
# MINUTES defaults to 10; targets default to every tests/fuzz/fuzz_*.c.
# Environment:
#   SLUICE_FUZZ_DIR  corpora, crashes and logs: DIR/<target>/{corpus,crashes,log}
#                    (default /var/tmp/sluice-fuzz); the corpus grows run after run
#   SLUICE_BUILD     build tree (default build/fuzz-campaign)
# Seeds come from tests/fuzz/corpus/<target>/, read only. A crash stops that
# target's run; its input is in DIR/<target>/crashes/. Exit status 1 if any
# target crashed. Reproduce one: build/fuzz-campaign/tests/fuzz/fuzz_<target> FILE
set -euo pipefail
cd "$(dirname "$0")/.."
minutes=${1:-10}
shift || true
out=${SLUICE_FUZZ_DIR:-/var/tmp/sluice-fuzz}
build=${SLUICE_BUILD:-build/fuzz-campaign}

if [[ ! $minutes =~ ^[0-9]+$ ]] || [ "$minutes" -eq 0 ]; then
  echo "usage: $0 [MINUTES] [TARGET...]" >&2
  exit 2
fi
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for f in tests/fuzz/fuzz_*.c; do
    t=${f#tests/fuzz/fuzz_}
    targets+=("${t%.c}")
  done
fi

if [ -d "$build" ]; then
  CC=clang meson setup --reconfigure "$build" -Dfuzz=libfuzzer -Ddataplane=enabled >/dev/null
else
  CC=clang meson setup "$build" -Dfuzz=libfuzzer -Ddataplane=enabled >/dev/null
fi
ninja -C "$build" "${targets[@]/#/tests/fuzz/fuzz_}"

crashed=0
rows=()
for t in "${targets[@]}"; do
  dir=$out/$t
  mkdir -p "$dir/corpus" "$dir/crashes"
  echo "== fuzz_$t: $minutes min, corpus $dir/corpus"
  rc=0
  LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan.supp \
    "$build/tests/fuzz/fuzz_$t" -max_total_time=$((minutes * 60)) -max_len=4096 \
    -timeout=10 -print_final_stats=1 -artifact_prefix="$dir/crashes/" \
    "$dir/corpus" "tests/fuzz/corpus/$t" >"$dir/log" 2>&1 || rc=$?
  execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$dir/log" | tail -1)
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$dir/log" | tail -1 || true)
  n_crash=$(find "$dir/crashes" -type f | wc -l)
  if [ "$rc" -ne 0 ] || [ "$n_crash" -gt 0 ]; then
    crashed=1
    tail -n 30 "$dir/log"
  fi
  rows+=("$(printf '%-14s %12s  %-22s %3s  (exit %s)' "$t" "${execs:-?}" "${cov:-?}" \
           "$n_crash" "$rc")")
done

echo
echo "fuzz campaign: $minutes min per target, $(date -u +%Y-%m-%d), $(nproc) cpus, $(uname -m)"
printf '%-14s %12s  %-22s %3s\n' target executions coverage crashes
printf '%s\n' "${rows[@]}"
exit $crashed
