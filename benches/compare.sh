#!/usr/bin/env bash
# Side-by-side figures of the parse path, measured in one run on the same files:
#   the floor (gzip -dc, and our own decompress-only pass) against `s3conn replay` to /dev/null,
#   as MB/s of decompressed input and records/s, the ratio replay / floor, and peak RSS.
# Then `replay` over a directory of objects on one core and on all cores.
#
# Usage: benches/compare.sh [MEGABYTES] [WORKDIR]     (default 300 MB in /tmp/s3conn-compare)
set -euo pipefail
cd "$(dirname "$0")/.."
mb="${1:-300}"
work="${2:-/tmp/s3conn-compare}"
mkdir -p "$work"
cargo build --release --quiet --example s3conn --example perf
bin=target/release/examples
time_v() { /usr/bin/time -v "$@" 2> "$work/time.txt" > /dev/null; }
secs() { awk -F': ' '/Elapsed \(wall clock\)/ {n=split($2,a,":"); s=0; for(i=1;i<=n;i++) s=s*60+a[i]; print s}' "$work/time.txt"; }
rss() { awk -F': ' '/Maximum resident set size/ {printf "%.0f", $2/1024}' "$work/time.txt"; }
rate() { awk -v b="$1" -v s="$2" 'BEGIN { printf "%.0f", b / 1e6 / (s > 0 ? s : 1e-9) }'; }

printf '%-14s %-28s %10s %12s %8s %9s\n' corpus step "MB/s" "records/s" "RSS MiB" "vs floor"
for kind in cloudtrail fdr; do
  file="$work/$kind.json.gz"
  if [ ! -f "$file" ]; then records=$($bin/perf gen "$kind" "$mb" "$file" --gzip); echo "$records" > "$file.records"; fi
  records=$(cat "$file.records")
  bytes=$(gzip -dc "$file" | wc -c)
  source=$([ "$kind" = cloudtrail ] && echo aws-cloudtrail || echo crowdstrike)
  time_v gzip -dc "$file"; s=$(secs)
  printf '%-14s %-28s %10s %12s %8s %9s\n' "$kind" "gzip -dc" "$(rate "$bytes" "$s")" - "$(rss)" -
  time_v $bin/perf gunzip "$file"; floor=$(secs)
  printf '%-14s %-28s %10s %12s %8s %9s\n' "$kind" "our decompress-only" "$(rate "$bytes" "$floor")" - "$(rss)" "1.00"
  time_v $bin/s3conn replay --source "$source" --concurrency 1 --dead-letter "$work/dead" "$file"; s=$(secs)
  ratio=$(awk -v f="$floor" -v s="$s" 'BEGIN { printf "%.2f", f / s }')
  printf '%-14s %-28s %10s %12s %8s %9s\n' "$kind" "s3conn replay (1 object)" "$(rate "$bytes" "$s")" "$(awk -v r="$records" -v s="$s" 'BEGIN{printf "%.0f", r/s}')" "$(rss)" "$ratio"
done

dir="$work/objects"
if [ ! -d "$dir" ]; then $bin/perf gen cloudtrail "$mb" "$dir" --gzip --objects 100 > "$work/objects.records"; fi
bytes=$(cat "$dir"/*.gz | gzip -dc | wc -c)
time_v taskset -c 0 $bin/s3conn replay --source aws-cloudtrail --dead-letter "$work/dead" "$dir"; one=$(secs)
printf '%-14s %-28s %10s %12s %8s\n' "100 objects" "replay, one core" "$(rate "$bytes" "$one")" - "$(rss)"
time_v $bin/s3conn replay --source aws-cloudtrail --dead-letter "$work/dead" "$dir"; all=$(secs)
printf '%-14s %-28s %10s %12s %8s %9s\n' "100 objects" "replay, all cores" "$(rate "$bytes" "$all")" - "$(rss)" "x$(awk -v a="$one" -v b="$all" 'BEGIN{printf "%.2f", a/b}')"
