#!/usr/bin/env bash
# Runs every fuzz target for a bounded time (default 600 s each), seeded from the fixtures.
# Needs cargo-fuzz (`cargo install cargo-fuzz`); on a stable toolchain RUSTC_BOOTSTRAP=1 lets it
# use the sanitizer flags. Not part of CI. Crashes land in fuzz/artifacts/<target>/.
set -euo pipefail
cd "$(dirname "$0")"
secs="${1:-600}"
shift || true
targets="${*:-notification decode sources validate}"
export RUSTC_BOOTSTRAP=1
mkdir -p corpus/notification corpus/decode corpus/sources corpus/validate
cp ../examples/data/generic/*.ndjson corpus/sources/ 2>/dev/null || true
find ../s3conn-sources/tests/fixtures -type f ! -name '*.golden.ndjson' -exec cp {} corpus/sources/ \; 2>/dev/null || true
for f in ../examples/data/cloudtrail/AWSLogs/*/CloudTrail/*/*/*/*/*.gz; do
  printf '\x04' | cat - "$f" > "corpus/decode/$(basename "$f")"
done
printf '{"Records":[{"eventSource":"aws:s3","eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"b"},"object":{"key":"a+b%%2Bc","size":1}}}]}' > corpus/notification/s3
printf '{"Type":"Notification","Message":"{\\"Event\\":\\"s3:TestEvent\\"}"}' > corpus/notification/sns
printf '{"bucket":"b","pathPrefix":"p","files":[{"path":"p/x.gz","size":3}]}' > corpus/notification/fdr
mkdir -p logs
status=0
printf '{"a":[1,-2.5e+3,"x\\u00e9"],"b":{"c":null},"d":true}' > corpus/validate/object
printf '[[],{},"",0]' > corpus/validate/array
for target in $targets; do
  echo "== $target ($secs s), full output in fuzz/logs/$target.log"
  cargo fuzz run "$target" "corpus/$target" -- -max_total_time="$secs" -rss_limit_mb=2048 \
    > "logs/$target.log" 2>&1 || status=1
  { grep -E "^#[0-9]+ +(DONE|pulse)|^Done|ERROR|panicked|crash-|Test unit written|^error" "logs/$target.log" || true; } | tail -n 4
done
exit $status
