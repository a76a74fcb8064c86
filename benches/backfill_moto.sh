#!/usr/bin/env bash
# Backfill on moto (not a timed test): objects listed per second, objects read through the
# pipeline per second, SQS requests per object for --to-queue, and pruning: the ListObjectsV2
# requests of a 30-day --since over a 365-day CloudTrail layout against a full listing (at 1000
# keys a page, and at 2 keys a page, which models a dense bucket: 500 times the objects per day).
#
# Usage: benches/backfill_moto.sh [OBJECTS] [OBJECTS_PER_DAY] [PROFILE]
#        (default 2000 objects, 4 a day, release)
# Needs moto_server on PATH (pip install 'moto[server]') and python3.
set -euo pipefail
cd "$(dirname "$0")/.."
objects="${1:-2000}"
per_day="${2:-4}"
profile="${3:-release}"
if [ "$profile" = release ]; then
  cargo build --release --quiet --features testing --example backfill_bench
else
  cargo build --quiet --features testing --example backfill_bench
fi
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
moto_server -H 127.0.0.1 -p "$port" > "$log" 2>&1 &
moto=$!
trap 'kill "$moto" 2> /dev/null || true; wait "$moto" 2> /dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 300); do
  if (exec 3<> "/dev/tcp/127.0.0.1/$port") 2> /dev/null; then break; fi
  sleep 0.2
done
echo "machine: $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), profile $profile"
"target/$profile/examples/backfill_bench" "http://127.0.0.1:$port" "$objects" "$per_day"
