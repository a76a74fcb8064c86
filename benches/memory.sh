#!/usr/bin/env bash
# Memory figures of the parse path (issue 6), measured with /usr/bin/time -v:
#   1. peak RSS of `s3conn replay --concurrency 1` over ONE gzip CloudTrail object of 1 GiB
#      decompressed (target: <= 128 MiB);
#   2. no growth over 1,000 objects in a row: peak RSS of `replay` over 100 objects, then over
#      1,000 objects of the same size (target: the same peak), on all cores and with --concurrency 1.
#
# Usage: benches/memory.sh [OBJECT_MB] [WORKDIR]   (default 1 MB per object of the 100/1,000 runs,
#        in /tmp/s3conn-memory; the corpora are generated once and kept)
set -euo pipefail
cd "$(dirname "$0")/.."
object_mb="${1:-1}"
work="${2:-/tmp/s3conn-memory}"
. benches/timing.sh
row() { printf '%-44s %14s %10s %9s %9s\n' "$@"; }

# 1 GiB = 1073.74 MB; the generator counts MB of 10^6 bytes and stops after the record that crosses.
big="$work/cloudtrail-1gib.json.gz"
if [ ! -f "$big" ]; then $bin/perf gen cloudtrail 1074 "$big" --gzip > "$big.records"; fi
for n in 100 1000; do
  dir="$work/objects-$n"
  if [ ! -d "$dir" ]; then
    $bin/perf gen cloudtrail "$(awk -v n="$n" -v m="$object_mb" 'BEGIN{print n*m}')" "$dir" --gzip --objects "$n" > "$dir.records"
  fi
done

row input "decompressed" records "wall s" "RSS MiB"
bytes=$(gzip -dc "$big" | wc -c)
time_v target/release/s3conn replay --source aws-cloudtrail --concurrency 1 --dead-letter "$work/dead" "$big"
row "1 object, replay --concurrency 1" "$(awk -v b="$bytes" 'BEGIN{printf "%.2f GiB", b/2^30}')" "$(cat "$big.records")" "$(secs)" "$(rss)"
# On all cores, then on one object at a time (less noise from how objects overlap).
for concurrency in "" 1; do
  for n in 100 1000; do
    dir="$work/objects-$n"
    time_v target/release/s3conn replay --source aws-cloudtrail ${concurrency:+--concurrency $concurrency} --dead-letter "$work/dead" "$dir"
    row "$n objects of $object_mb MB, replay${concurrency:+ --concurrency $concurrency}" "$(awk -v n="$n" -v m="$object_mb" 'BEGIN{printf "%d MB", n*m}')" "$(cat "$dir.records")" "$(secs)" "$(rss)"
  done
done
