#!/usr/bin/env bash
# Side-by-side figures of the parse path, measured in one run on the same files:
#   the floor (`gzip -dc`, and our own decompress-only pass) against `s3conn replay` writing to
#   /dev/null, as MB/s of decompressed input and records/s, the ratio replay / floor, CPU seconds
#   (user + sys) and peak RSS.
# "One core" rows run under `taskset -c 0`: the whole process (the decoding thread and the thread
# writing the output) shares one core, as the issue's single-object target asks. The unpinned row
# shows what a second core adds for one object (decoding and writing overlap).
# Then `replay` over a directory of 100 objects on one core and on all cores.
#
# Usage: benches/compare.sh [MEGABYTES] [WORKDIR]     (default 300 MB in /tmp/s3conn-compare)
set -euo pipefail
cd "$(dirname "$0")/.."
mb="${1:-300}"
work="${2:-/tmp/s3conn-compare}"
. benches/timing.sh
one="taskset -c 0"

printf '%-14s %-34s %8s %10s %7s %8s %9s\n' corpus step "MB/s" "records/s" "CPU s" "RSS MiB" "vs floor"
for kind in cloudtrail fdr; do
  file="$work/$kind.json.gz"
  if [ ! -f "$file" ]; then records=$($bin/perf gen "$kind" "$mb" "$file" --gzip); echo "$records" > "$file.records"; fi
  records=$(cat "$file.records")
  bytes=$(gzip -dc "$file" | wc -c)
  source=$([ "$kind" = cloudtrail ] && echo aws-cloudtrail || echo crowdstrike)
  time_v $one gzip -dc "$file"; s=$(secs)
  printf '%-14s %-34s %8s %10s %7s %8s %9s\n' "$kind" "gzip -dc, one core" "$(rate "$bytes" "$s")" - "$(cpu)" "$(rss)" -
  time_v $one $bin/perf gunzip "$file"; floor=$(secs)
  printf '%-14s %-34s %8s %10s %7s %8s %9s\n' "$kind" "our decompress-only, one core" "$(rate "$bytes" "$floor")" - "$(cpu)" "$(rss)" "1.00"
  replay=(target/release/s3conn replay --source "$source" --concurrency 1 --dead-letter "$work/dead" "$file")
  time_v $one "${replay[@]}"; s=$(secs)
  printf '%-14s %-34s %8s %10s %7s %8s %9s\n' "$kind" "s3conn replay, one core" "$(rate "$bytes" "$s")" "$(awk -v r="$records" -v s="$s" 'BEGIN{printf "%.0f", r/s}')" "$(cpu)" "$(rss)" "$(ratio "$floor" "$s")"
  time_v "${replay[@]}"; s=$(secs)
  printf '%-14s %-34s %8s %10s %7s %8s %9s\n' "$kind" "s3conn replay, 1 object, 2 cores" "$(rate "$bytes" "$s")" "$(awk -v r="$records" -v s="$s" 'BEGIN{printf "%.0f", r/s}')" "$(cpu)" "$(rss)" "$(ratio "$floor" "$s")"
done

dir="$work/objects"
if [ ! -d "$dir" ]; then $bin/perf gen cloudtrail "$mb" "$dir" --gzip --objects 100 > "$work/objects.records"; fi
bytes=$(cat "$dir"/*.gz | gzip -dc | wc -c)
time_v $one target/release/s3conn replay --source aws-cloudtrail --dead-letter "$work/dead" "$dir"; single=$(secs)
printf '%-14s %-34s %8s %10s %7s %8s\n' "100 objects" "replay, one core" "$(rate "$bytes" "$single")" - "$(cpu)" "$(rss)"
time_v target/release/s3conn replay --source aws-cloudtrail --dead-letter "$work/dead" "$dir"; all=$(secs)
printf '%-14s %-34s %8s %10s %7s %8s %9s\n' "100 objects" "replay, all cores" "$(rate "$bytes" "$all")" - "$(cpu)" "$(rss)" "x$(ratio "$single" "$all")"

# Text formats (issue 14): VPC Flow Logs and ALB, and the 1 GiB VPC Flow memory figure.
benches/text.sh "$mb" "$work"
