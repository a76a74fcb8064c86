#!/usr/bin/env bash
# Figures of the S3 data-lake sink (issue 15), under /usr/bin/time -v:
#   1. Parquet encoding alone, one thread: MB/s of records (their NDJSON bytes), target >= 100;
#   2. through LakeSink into a local moto (4 concurrent writers, as the pipeline's objects in
#      flight): MB/s and peak RSS, with two roll sizes over the same input, and twice the input
#      with the smaller roll (peak RSS must follow the roll size, not the input).
#
# Usage: benches/lake.sh [MB]   (default 256 MB of records for encoding, MB/2 for the upload runs)
set -euo pipefail
cd "$(dirname "$0")/.."
mb="${1:-256}"
work=/tmp/s3conn-lake-bench
mkdir -p "$work"
cargo build --release --quiet -p s3conn-aws --example lake_bench --features parquet,testing
bin=target/release/examples/lake_bench
rss() { awk -F': ' '/Maximum resident set size/ {printf "%.1f", $2/1024}' "$work/time.txt"; }
run() { /usr/bin/time -v "$@" 2> "$work/time.txt"; echo "  peak RSS $(rss) MiB"; }
run $bin encode "$mb" 64
# moto apart, so its memory (it keeps every object) is not counted as ours.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
moto_server -H 127.0.0.1 -p "$port" > "$work/moto.log" 2>&1 &
moto_pid=$!
trap 'kill $moto_pid' EXIT
for _ in $(seq 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1',$port),1)" 2>/dev/null && break; sleep 0.2; done
export MOTO_ENDPOINT="http://127.0.0.1:$port"
up=$((mb / 2))
run $bin upload "$up" 8
run $bin upload "$up" 32
run $bin upload "$((up * 2))" 8
