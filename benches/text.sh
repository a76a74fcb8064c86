#!/usr/bin/env bash
# Text decoding figures (issue 14), measured in one run on the same files with /usr/bin/time -v:
#   the floor (`gzip -dc`, our decompress-only pass) against `s3conn replay` of VPC Flow Logs and
#   ALB corpora to /dev/null (MB/s of decompressed text, records/s, CPU s, peak RSS), normalized
#   by the minimal sources in benches/specs/; then peak RSS of `replay --concurrency 1` over ONE
#   gzip VPC Flow object of 1 GiB decompressed (target: <= 64 MiB).
# The criterion bench `cargo bench --bench text` gives decode + normalize alone (no output).
#
# Usage: benches/text.sh [MEGABYTES] [WORKDIR]   (default 300 MB in /tmp/s3conn-text; corpora
#        are generated once and kept; never commit them)
set -euo pipefail
cd "$(dirname "$0")/.."
mb="${1:-300}"
work="${2:-/tmp/s3conn-text}"
. benches/timing.sh
one="taskset -c 0"
row() { printf '%-10s %-34s %8s %10s %7s %8s %9s\n' "$@"; }

row corpus step "MB/s" "records/s" "CPU s" "RSS MiB" "vs floor"
for kind in vpcflow alb; do
  file="$work/$kind-$mb.log.gz"
  if [ ! -f "$file" ]; then $bin/perf gen-text "$kind" "$mb" "$file" --gzip > "$file.records"; fi
  records=$(cat "$file.records")
  bytes=$(gzip -dc "$file" | wc -c)
  time_v $one gzip -dc "$file"; s=$(secs)
  row "$kind" "gzip -dc, one core" "$(rate "$bytes" "$s")" - "$(cpu)" "$(rss)" -
  time_v $one $bin/perf gunzip "$file"; floor=$(secs)
  row "$kind" "our decompress-only, one core" "$(rate "$bytes" "$floor")" - "$(cpu)" "$(rss)" "1.00"
  replay=(target/release/s3conn replay --source-spec "benches/specs/$kind.toml" --concurrency 1 --dead-letter "$work/dead" "$file")
  time_v $one "${replay[@]}"; s=$(secs)
  row "$kind" "s3conn replay, one core" "$(rate "$bytes" "$s")" "$(awk -v r="$records" -v s="$s" 'BEGIN{printf "%.0f", r/s}')" "$(cpu)" "$(rss)" "$(ratio "$floor" "$s")"
  time_v "${replay[@]}"; s=$(secs)
  row "$kind" "s3conn replay, 1 object, 2 cores" "$(rate "$bytes" "$s")" "$(awk -v r="$records" -v s="$s" 'BEGIN{printf "%.0f", r/s}')" "$(cpu)" "$(rss)" "$(ratio "$floor" "$s")"
done

# 1 GiB = 1073.74 MB; the generator stops after the record that crosses.
big="$work/vpcflow-1gib.log.gz"
if [ ! -f "$big" ]; then $bin/perf gen-text vpcflow 1074 "$big" --gzip > "$big.records"; fi
bytes=$(gzip -dc "$big" | wc -c)
time_v target/release/s3conn replay --source-spec benches/specs/vpcflow.toml --concurrency 1 --dead-letter "$work/dead" "$big"
row "vpcflow" "1 GiB object, replay --concurrency 1" "$(rate "$bytes" "$(secs)")" "$(cat "$big.records")" "$(cpu)" "$(rss)" -
