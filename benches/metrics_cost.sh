#!/usr/bin/env bash
# The CPU cost of metrics: benches/e2e_moto.sh with `collect` plain (metrics off: no recorder, every
# metric call a no-op) and with `--metrics-addr 127.0.0.1:0` (metrics on: the Prometheus recorder
# installed and served), alternated ROUNDS times in the same run so both see the same machine.
# Prints the CPU-seconds (user+sys) per million records of every run and the median of each mode.
#
# Usage: benches/metrics_cost.sh [ROUNDS] [OBJECTS] [RECORDS]   (default 3 rounds of 200 x 1000)
set -euo pipefail
cd "$(dirname "$0")/.."
rounds="${1:-3}"
objects="${2:-200}"
records="${3:-1000}"
out=$(mktemp -d)
for r in $(seq "$rounds"); do
  for mode in off on; do
    args=""
    if [ "$mode" = on ]; then args="--metrics-addr 127.0.0.1:0"; fi
    S3CONN_E2E_ARGS="$args" benches/e2e_moto.sh "$objects" "$records" "/tmp/s3conn-metrics-$mode" > "$out/$mode-$r.txt"
    cpu=$(awk '/^CPU-s per million records/ {print $NF}' "$out/$mode-$r.txt")
    wall=$(awk '/^wall s/ {print $NF}' "$out/$mode-$r.txt")
    grep -q "every record exactly once: yes" "$out/$mode-$r.txt"
    echo "round $r metrics $mode: CPU-s per million records $cpu, wall s $wall"
    echo "$cpu" >> "$out/$mode.cpu"
  done
done
median() { sort -n "$1" | awk '{a[NR]=$1} END {print (NR % 2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
off=$(median "$out/off.cpu")
on=$(median "$out/on.cpu")
echo "median CPU-s per million records: metrics off $off, on $on ($(awk -v a="$off" -v b="$on" 'BEGIN{printf "%+.1f", (b-a)/a*100}') %)"
