#!/usr/bin/env bash
# Full-size load run: OBJECTS objects of RECORDS records (default 10,000 × 100 = 1M records)
# uploaded to a local moto and drained by two `s3conn collect` processes from one queue.
# Prints objects, records, upload and drain wall time, objects/s, records/s, raw duplicates and
# each process's peak RSS (tests/load.rs). Needs moto_server on PATH (pip install 'moto[server]').
#
#   benches/load.sh [OBJECTS [RECORDS]]
#
# Built with --release unless S3CONN_LOAD_PROFILE=dev (moto, not collect, is the bottleneck, so a
# debug build gives the same throughput and skips a release build).
set -euo pipefail
cd "$(dirname "$0")/.."
export S3CONN_LOAD_OBJECTS="${1:-10000}"
export S3CONN_LOAD_RECORDS="${2:-100}"
profile=(--release)
if [ "${S3CONN_LOAD_PROFILE:-release}" = dev ]; then profile=(); fi
# `cargo test --test load` does not build the example the test runs.
cargo build "${profile[@]}" -p s3conn --bin s3conn
exec cargo test "${profile[@]}" -p s3conn --test load -- --nocapture
