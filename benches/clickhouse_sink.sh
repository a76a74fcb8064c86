#!/usr/bin/env bash
# Throughput and memory of the HTTP sink into a local ClickHouse (issue 15): `s3conn replay
# --config` of a gzip CloudTrail corpus into the `clickhouse` preset, end to end (decompress,
# parse, normalize, encode, gzip, POST, ClickHouse's insert), timed with /usr/bin/time -v.
# Target: >= 100,000 records/s on 2 cores; peak RSS bounded by the batch size, not the input.
#
# Usage: benches/clickhouse_sink.sh [MEGABYTES] [OBJECTS] [WORKDIR]
#        (default 400 MB of CloudTrail JSON in 200 gzip objects, in /tmp/s3conn-clickhouse)
# Needs /usr/sbin/clickhouse-server (apt-get install clickhouse-server).
set -euo pipefail
cd "$(dirname "$0")/.."
mb="${1:-400}"
objects="${2:-200}"
work="${3:-/tmp/s3conn-clickhouse}"
. benches/timing.sh
row() { printf '%-40s %10s %8s %9s %9s %9s %9s %9s\n' "$@"; }
# CPU seconds (user + sys) a process has used so far, from /proc.
proc_cpu() { awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f", ($14 + $15) / hz}' "/proc/$1/stat"; }

corpus="$work/cloudtrail-$mb-$objects"
if [ ! -d "$corpus" ]; then
  $bin/perf gen cloudtrail "$mb" "$corpus" --gzip --objects "$objects" > "$corpus.records"
fi
records=$(cat "$corpus.records")

# A ClickHouse of its own: free loopback port, temporary data directory, minimal configuration.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
ch="$work/clickhouse"
rm -rf "$ch"; mkdir -p "$ch"
cat > "$ch/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <http_port>$port</http_port><listen_host>127.0.0.1</listen_host>
  <path>$ch/data/</path><tmp_path>$ch/tmp/</tmp_path>
  <user_files_path>$ch/user_files/</user_files_path><format_schema_path>$ch/fs/</format_schema_path>
  <users_config>$ch/users.xml</users_config>
  <default_profile>default</default_profile><default_database>default</default_database>
  <mark_cache_size>268435456</mark_cache_size><uncompressed_cache_size>0</uncompressed_cache_size>
</yandex>
XML
cat > "$ch/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <profiles><default><max_memory_usage>4000000000</max_memory_usage></default></profiles>
  <users><default><password>bench</password><networks><ip>127.0.0.1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default><interval><duration>3600</duration><queries>0</queries><errors>0</errors>
    <result_rows>0</result_rows><read_rows>0</read_rows><execution_time>0</execution_time></interval></default></quotas>
</yandex>
XML
/usr/sbin/clickhouse-server --config-file="$ch/config.xml" > "$ch/server.log" 2>&1 &
ch_pid=$!
trap 'kill $ch_pid 2>/dev/null || true' EXIT
until curl -sf "http://127.0.0.1:$port/ping" > /dev/null; do sleep 0.2; done
q() { curl -sf -u default:bench "http://127.0.0.1:$port/" --data-binary "$1"; }

echo "corpus: $mb MB of CloudTrail JSON, $objects gzip objects, $records records; ClickHouse $(q 'SELECT version()') on port $port; $(nproc) cores"
row "run" "records" "wall s" "records/s" "RSS MiB" "CH rows" "our CPU s" "CH CPU s"
# CH_BATCHES / CH_GZIP pick the settings to run (default: all six).
for batch in ${CH_BATCHES:-1000 5000 20000}; do
  for gzip in ${CH_GZIP:-true false}; do
    table="bench_${batch}_${gzip}"
    cat > "$work/sink.toml" <<TOML
name = "bench-clickhouse"
region = "us-east-1"
# replay --config reads the connector's source and [sink]; its queue is not used.
sqs_queue_url = "https://sqs.us-east-1.amazonaws.com/123456789012/unused"
log_source = "aws-cloudtrail"

[sink]
type = "clickhouse"
url = "http://127.0.0.1:$port"
table = "$table"
user = "default"
password = "bench"
batch_records = $batch
gzip = $gzip
TOML
    ch_before=$(proc_cpu "$ch_pid")
    time_v target/release/s3conn replay --config "$work/sink.toml" --dead-letter "$work/dead" "$corpus"
    grep -q "Exit status: 0" "$work/time.txt" || { cat "$work/time.txt" >&2; exit 1; }
    s=$(secs)
    ch_cpu=$(awk -v a="$ch_before" -v b="$(proc_cpu "$ch_pid")" 'BEGIN{printf "%.2f", b-a}')
    rows=$(q "SELECT count() FROM $table")
    row "batch_records=$batch gzip=$gzip" "$records" "$s" "$(awk -v r="$records" -v s="$s" 'BEGIN{printf "%.0f", r/s}')" "$(rss)" "$rows" "$(cpu)" "$ch_cpu"
    test "$rows" -eq "$records" || { echo "ClickHouse holds $rows rows, expected $records" >&2; exit 1; }
  done
done
