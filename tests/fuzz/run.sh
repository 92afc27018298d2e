#!/usr/bin/env bash
# tests/fuzz/run.sh BUILD LIMIT [NAME...]: runs each libFuzzer harness built in BUILD (all
# of them when no NAME is given; NAME is fuzz_<x>) for LIMIT: SECONDS, or runs:N for N inputs
# from the fixed seed 1 (deterministic, for CI's smoke run), seeded from tests/data
# (corpus.sh) with the harness's dictionary, keeping its corpus in BUILD/corpus/NAME between
# runs. Prints one line per harness (executions, coverage, corpus size) and appends them, with
# the date, to BUILD/fuzz-summary.txt; a crash, leak, timeout or OOM is saved as BUILD/crashes/NAME-* and
# makes the script fail. Found inputs belong in tests/data/bad/fuzz/NAME/ once fixed.
set -euo pipefail
build=$(cd "$1" && pwd)
limit=(-max_total_time="$2")
case "$2" in runs:*) limit=(-runs="${2#runs:}" -seed=1) ;; esac
secs=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
names=("$@")
if [ ${#names[@]} -eq 0 ]; then
  for b in "$build"/fuzz_*; do
    [ -x "$b" ] && names+=("$(basename "$b")")
  done
fi
mkdir -p "$build/crashes" "$build/logs"
status=0
for n in "${names[@]}"; do
  corpus="$build/corpus/$n" seeds="$build/seeds/$n"
  mkdir -p "$corpus" "$seeds"
  sh "$here/corpus.sh" "$n" | while read -r f; do
    cp -f "$f" "$seeds/$(echo "${f#"$here"/../data/}" | tr '/' '_')"
  done
  dict=()
  for d in "$here/${n}.dict" "$here/${n%_nocrc}.dict"; do
    if [ -f "$d" ]; then dict=("-dict=$d"); break; fi
  done
  log="$build/logs/$n.log"
  rc=0
  (cd "$build/crashes" && "$build/$n" "${limit[@]}" -timeout=30 -rss_limit_mb=2048 \
     -print_final_stats=1 "${dict[@]}" -artifact_prefix="$build/crashes/$n-" \
     "$corpus" "$seeds") >"$log" 2>&1 || rc=$?
  execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || true)
  last=$(grep -E '^#[0-9]+' "$log" | tail -1)
  cov=$(echo "$last" | grep -o 'cov: [0-9]*' | grep -o '[0-9]*' || true)
  ft=$(echo "$last" | grep -o 'ft: [0-9]*' | grep -o '[0-9]*' || true)
  corp=$(echo "$last" | grep -o 'corp: [0-9]*' | grep -o '[0-9]*' || true)
  verdict=ok
  if [ $rc -ne 0 ]; then
    verdict="FAILED (exit $rc): $(grep -m1 -E 'ERROR: |SUMMARY: |Test unit written' "$log" || true)"
    status=1
  fi
  line=$(printf '%-24s %6s  execs %-9s cov %-6s ft %-6s corpus %-6s %s' "$n" "$secs" \
    "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" "$verdict")
  echo "$line"
  echo "$(date -u +%FT%TZ) $line" >>"$build/fuzz-summary.txt"
done
exit $status
