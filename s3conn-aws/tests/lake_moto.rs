//! The S3 data-lake sink against moto's S3, read back by DuckDB (Python `duckdb`) and by the
//! `parquet` crate: records through the whole pipeline land once in the right partitions and
//! every message is acknowledged; gzip NDJSON reads back too; the `Sink` contract suite passes
//! for both formats; large objects go up by multipart upload; buffered batches are written
//! together; retryable S3 failures are retried and permanent ones name the bucket and key.
#![allow(missing_docs, clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::io::Read;
use std::path::Path;
use std::process::Command;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use common::{unique, Fault, FaultProxy, Moto, MotoWorld, REGION};
use parquet::file::reader::{FileReader, SerializedFileReader};
use parquet::record::{Field, Row};
use s3conn_aws::lake::{LakeFormat, LakeSettings, LakeSink};
use s3conn_aws::{AwsClients, ConnectorConfig, RetryPolicy};
use s3conn_core::testing::{sample_records, sink_conformance, SinkFixture};
use s3conn_core::{Record, Sink, SinkError};
use serde_json::{json, Map, Value};

const HOUR_MS: i64 = 3_600_000;

fn settings(bucket: &str, format: LakeFormat) -> LakeSettings {
    let mut s = LakeSettings::new(bucket);
    s.prefix = "lake/".into();
    s.format = format;
    s.linger = Duration::from_millis(50);
    s.retry = RetryPolicy::new(4, Duration::from_millis(10), Duration::from_millis(50));
    s
}

/// Every object under `prefix`: key and body.
async fn objects(clients: &AwsClients, bucket: &str, prefix: &str) -> Vec<(String, Bytes)> {
    let mut out = Vec::new();
    let mut pages = clients
        .s3
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        for o in page.unwrap().contents() {
            let key = o.key().unwrap().to_owned();
            let got = clients
                .s3
                .get_object()
                .bucket(bucket)
                .key(&key)
                .send()
                .await
                .unwrap();
            let body = got.body.collect().await.unwrap().into_bytes();
            out.push((key, body));
        }
    }
    out.sort();
    out
}

/// Downloads every object under `prefix` into `dir`, keeping the keys as paths.
async fn download(clients: &AwsClients, bucket: &str, prefix: &str, dir: &Path) -> usize {
    let all = objects(clients, bucket, prefix).await;
    for (key, body) in &all {
        let path = dir.join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    }
    all.len()
}

/// Runs `sql` in DuckDB (Python) with `$DIR` replaced by `dir`; the rows as JSON arrays.
/// Fails (does not skip) when DuckDB is missing: `.ci/run` installs it.
fn duckdb(dir: &Path, sql: &str) -> Vec<Value> {
    let sql = sql.replace("$DIR", &dir.display().to_string());
    let script = "import duckdb, json, sys\n\
                  rows = duckdb.sql(sys.argv[1]).fetchall()\n\
                  print(json.dumps([list(r) for r in rows], default=str))\n";
    let out = Command::new("python3")
        .args(["-c", script, &sql])
        .output()
        .expect("python3 runs");
    assert!(
        out.status.success(),
        "DuckDB query failed (pip install duckdb): {sql}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let rows: Value = serde_json::from_slice(&out.stdout).unwrap();
    rows.as_array().unwrap().clone()
}

/// A Parquet row as the record's JSON (the form `Record::write_json` writes).
fn row_to_record_json(row: &Row) -> Value {
    fn to_json(field: &Field) -> Option<Value> {
        match field {
            Field::Null => None,
            Field::Str(s) => Some(json!(s)),
            Field::Bool(b) => Some(json!(b)),
            Field::Long(n) | Field::TimestampMillis(n) => Some(json!(n)),
            Field::Group(g) => Some(Value::Object(
                g.get_column_iter()
                    .filter_map(|(k, v)| Some((k.clone(), to_json(v)?)))
                    .collect(),
            )),
            other => panic!("unexpected field {other:?}"),
        }
    }
    let mut out = Map::new();
    for (name, field) in row.get_column_iter() {
        let Some(v) = to_json(field) else { continue };
        match name.as_str() {
            "timestamp_fallback" if v == json!(false) => {}
            "event" => {
                out.insert(
                    "event".into(),
                    serde_json::from_str(v.as_str().unwrap()).unwrap(),
                );
            }
            _ => {
                out.insert(name.clone(), v);
            }
        }
    }
    Value::Object(out)
}

/// Every record stored under `prefix`, as JSON, whatever the format.
async fn stored(clients: &AwsClients, bucket: &str, prefix: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for (key, body) in objects(clients, bucket, prefix).await {
        if key.ends_with(".parquet") {
            let reader = SerializedFileReader::new(body).unwrap();
            for row in reader.get_row_iter(None).unwrap() {
                out.push(row_to_record_json(&row.unwrap()));
            }
        } else if key.ends_with(".ndjson.gz") {
            let mut text = String::new();
            flate2::read::GzDecoder::new(&body[..])
                .read_to_string(&mut text)
                .unwrap();
            out.extend(
                text.lines()
                    .map(|l| serde_json::from_str::<Value>(l).unwrap()),
            );
        } else {
            panic!("unexpected object {key}");
        }
    }
    out
}

struct Fixture {
    _moto: Moto,
    clients: AwsClients,
    bucket: String,
    sink: LakeSink,
}

#[async_trait]
impl SinkFixture for Fixture {
    fn sink(&self) -> &dyn Sink {
        &self.sink
    }

    async fn delivered(&self) -> Vec<Value> {
        stored(&self.clients, &self.bucket, "lake/").await
    }
}

async fn fixture(format: LakeFormat) -> Fixture {
    let moto = Moto::start();
    let clients = moto.clients().await;
    let bucket = unique("lake");
    moto.create_bucket(&clients, &bucket).await;
    let sink = LakeSink::new(clients.s3.clone(), settings(&bucket, format)).unwrap();
    Fixture {
        _moto: moto,
        clients,
        bucket,
        sink,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parquet_sink_meets_the_sink_contract() {
    let f = fixture(LakeFormat::Parquet).await;
    sink_conformance(&f).await;
    assert!(f.sink.objects_written() > 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ndjson_gz_sink_meets_the_sink_contract() {
    let f = fixture(LakeFormat::NdjsonGz).await;
    sink_conformance(&f).await;
}

/// NDJSON lines `{"marker": "<prefix>-<i>", "time": ...}`, alternating two hours of one day.
fn lines(prefix: &str, n: usize) -> Vec<u8> {
    let mut out = String::new();
    for i in 0..n {
        let hour = if i % 3 == 0 { 8 } else { 9 };
        out.push_str(&format!(
            "{{\"marker\":\"{prefix}-{i}\",\"time\":\"2026-11-26T{hour:02}:00:{:02}Z\",\"note\":\"ü \\\"q\\\"\"}}\n",
            i % 60
        ));
    }
    out.into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipeline_into_parquet_reads_back_in_duckdb_by_partition() {
    let w = MotoWorld::start("lake").await;
    let lake_bucket = unique("lake");
    w.moto.create_bucket(&w.clients, &lake_bucket).await;
    for (n, size) in [(0, 300), (1, 1700), (2, 5), (3, 999)] {
        w.put(&format!("app/{n}.ndjson"), lines(&format!("o{n}"), size))
            .await;
    }
    let total = 300 + 1700 + 5 + 999;
    let config = w.config().multiple_logs_per_file(true).build().unwrap();
    let connector = s3conn_aws::Connector::new(config).await.unwrap();
    let sink = Arc::new(
        LakeSink::new(
            w.clients.s3.clone(),
            settings(&lake_bucket, LakeFormat::Parquet),
        )
        .unwrap(),
    );
    let source = s3conn_sources::builtin_registry().get("generic").unwrap();
    let mut pipeline_config = connector.pipeline_config();
    pipeline_config.drain = true;
    pipeline_config.receive_wait = Duration::from_secs(1);
    let report = connector
        .pipeline(source, sink.clone())
        .config(pipeline_config)
        .build()
        .run(tokio_util::sync::CancellationToken::new())
        .await
        .expect("the pipeline drains");
    let stats = report.stats;
    assert_eq!(stats.records_delivered, total, "{stats:?}");
    assert_eq!(stats.messages_acknowledged, stats.messages_received);
    let (visible, in_flight) = w.moto.queue_counts(&w.clients, &w.queue_url).await;
    assert_eq!((visible, in_flight), (0, 0), "every message acknowledged");

    let dir = tempfile::tempdir().unwrap();
    let n = download(&w.clients, &lake_bucket, "lake/", dir.path()).await;
    assert_eq!(n as u64, sink.objects_written());
    let per_partition = duckdb(
        dir.path(),
        "SELECT regexp_extract(filename, 'lake/(index=[^/]+/msg_class=[^/]+/dt=[0-9-]+/hour=[0-9]+)/', 1) AS p, \
         count(*), count(DISTINCT id), min(hour(timestamp AT TIME ZONE 'UTC')), max(hour(timestamp AT TIME ZONE 'UTC')) \
         FROM read_parquet('$DIR/lake/**/*.parquet', filename = true, hive_partitioning = false) \
         GROUP BY p ORDER BY p",
    );
    let index = sanitised(&report_index(
        &stored(&w.clients, &lake_bucket, "lake/").await,
    ));
    let want_8 = [300u64, 1700, 5, 999]
        .iter()
        .map(|n| n.div_ceil(3))
        .sum::<u64>();
    assert_eq!(
        per_partition,
        vec![
            json!([
                format!("{index}/dt=2026-11-26/hour=08"),
                want_8,
                want_8,
                8,
                8
            ]),
            json!([
                format!("{index}/dt=2026-11-26/hour=09"),
                total - want_8,
                total - want_8,
                9,
                9
            ]),
        ]
    );
    // Every marker once, ids unique and of the record's form, the event a JSON column.
    let rows = duckdb(
        dir.path(),
        "SELECT json_extract_string(event, '$.marker'), id, s3.key, typeof(event), typeof(timestamp) \
         FROM read_parquet('$DIR/lake/**/*.parquet', hive_partitioning = false)",
    );
    let markers: BTreeSet<String> = rows
        .iter()
        .map(|r| r[0].as_str().unwrap().to_owned())
        .collect();
    let ids: BTreeSet<String> = rows
        .iter()
        .map(|r| r[1].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(markers.len() as u64, total);
    assert_eq!(ids.len() as u64, total);
    assert!(markers.contains("o1-1699") && markers.contains("o2-0"));
    for r in &rows {
        let (prefix, ordinal) = r[1].as_str().unwrap().split_once('-').unwrap();
        assert_eq!(prefix.len(), 32);
        let marker_ordinal = r[0].as_str().unwrap().rsplit('-').next().unwrap();
        assert_eq!(ordinal, marker_ordinal, "{r:?}");
        assert!(r[2].as_str().unwrap().starts_with("app/"));
        assert_eq!(r[3], "JSON");
        assert_eq!(r[4], "TIMESTAMP WITH TIME ZONE");
    }
}

/// `index=…/msg_class=…` of the records (one source).
fn report_index(records: &[Value]) -> (String, String) {
    let r = &records[0];
    (
        r["index"].as_str().unwrap().to_owned(),
        r["msg_class"].as_str().unwrap().to_owned(),
    )
}

fn sanitised((index, class): &(String, String)) -> String {
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    format!("index={}/msg_class={}", clean(index), clean(class))
}

/// Sample records spread over three hours.
fn spread(tag: &str, n: usize) -> Vec<Record> {
    let mut records = sample_records(tag, n);
    for (i, r) in records.iter_mut().enumerate() {
        r.timestamp_ms += (i % 3) as i64 * HOUR_MS;
    }
    records
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ndjson_gz_reads_back_in_duckdb_by_partition() {
    let f = fixture(LakeFormat::NdjsonGz).await;
    let records = spread("gz", 300);
    f.sink.deliver(&records).await.unwrap();
    assert_eq!(f.sink.objects_written(), 3, "one object per partition");
    let dir = tempfile::tempdir().unwrap();
    download(&f.clients, &f.bucket, "lake/", dir.path()).await;
    let rows = duckdb(
        dir.path(),
        "SELECT regexp_extract(filename, 'hour=([0-9]+)/', 1) AS h, count(*), count(DISTINCT id), \
         min(\"index\"), min(msg_class) \
         FROM read_json('$DIR/lake/**/*.ndjson.gz', format = 'newline_delimited', filename = true, hive_partitioning = false) \
         GROUP BY h ORDER BY h",
    );
    // sample_records start at 2023-11-14T22:13:20Z.
    assert_eq!(
        rows,
        vec![
            json!(["00", 100, 100, "Syslog", "test_log"]),
            json!(["22", 100, 100, "Syslog", "test_log"]),
            json!(["23", 100, 100, "Syslog", "test_log"]),
        ]
    );
    let keys: Vec<String> = objects(&f.clients, &f.bucket, "lake/")
        .await
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert!(keys
        .iter()
        .any(|k| k.starts_with("lake/index=Syslog/msg_class=test_log/dt=2023-11-15/hour=00/")));
    assert!(keys.iter().all(|k| k.ends_with(".ndjson.gz")), "{keys:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_batches_share_one_object_and_each_waits_for_it() {
    let moto = Moto::start();
    let clients = moto.clients().await;
    let bucket = unique("lake");
    moto.create_bucket(&clients, &bucket).await;
    let mut s = settings(&bucket, LakeFormat::Parquet);
    s.flush_waiters = 3;
    s.linger = Duration::from_secs(30);
    let sink = LakeSink::new(clients.s3.clone(), s).unwrap();
    let batches: Vec<Vec<Record>> = (0..3)
        .map(|b| sample_records(&format!("b{b}"), 50))
        .collect();
    let results = futures::future::join_all(batches.iter().map(|b| sink.deliver(b))).await;
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    // Three deliveries waited on one buffer: written as one object, once the third arrived.
    assert_eq!(sink.objects_written(), 1);
    assert_eq!(stored(&clients, &bucket, "lake/").await.len(), 150);

    // A lone batch is written after `linger` (here: `roll_age`, the shorter).
    let mut s = settings(&bucket, LakeFormat::Parquet);
    s.flush_waiters = 100;
    s.linger = Duration::from_secs(600);
    s.roll_age = Duration::from_millis(100);
    s.prefix = "aged".into();
    let aged = LakeSink::new(clients.s3.clone(), s).unwrap();
    aged.deliver(&sample_records("aged", 5)).await.unwrap();
    assert_eq!(stored(&clients, &bucket, "aged/").await.len(), 5);

    // A batch over `roll_bytes` is written at once, whatever the waiters.
    let mut s = settings(&bucket, LakeFormat::NdjsonGz);
    s.flush_waiters = 100;
    s.linger = Duration::from_secs(600);
    s.roll_age = Duration::from_secs(600);
    s.roll_bytes = 1024;
    s.prefix = "sized".into();
    let sized = LakeSink::new(clients.s3.clone(), s).unwrap();
    sized.deliver(&sample_records("sized", 40)).await.unwrap();
    assert_eq!(stored(&clients, &bucket, "sized/").await.len(), 40);
}

/// Records whose events do not compress: objects of a known size.
fn incompressible(n: usize, event_bytes: usize) -> Vec<Record> {
    let mut rng = fastrand::Rng::with_seed(7);
    let mut records = sample_records("big", n);
    for r in &mut records {
        let noise: String = (0..event_bytes).map(|_| rng.alphanumeric()).collect();
        r.event = s3conn_core::json::RawJson::new(&format!("{{\"noise\":\"{noise}\"}}")).unwrap();
    }
    records
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn large_objects_go_up_as_completed_multipart_uploads() {
    // moto's minimum part size lowered so the test stays small. (moto answers
    // CompleteMultipartUpload with a root element the SDK does not expect; the uploader then
    // finds the completed object by HeadObject, as it would after a lost answer.)
    let moto = Moto::start_with_env(&[("S3_UPLOAD_PART_MIN_SIZE", "1024")]);
    let clients = moto.clients().await;
    let bucket = unique("lake");
    moto.create_bucket(&clients, &bucket).await;
    let mut s = settings(&bucket, LakeFormat::Parquet);
    s.part_bytes = 64 << 10;
    let sink = LakeSink::new(clients.s3.clone(), s).unwrap();
    let records = incompressible(200, 2000);
    sink.deliver(&records).await.unwrap();
    assert_eq!(sink.multipart_uploads(), 1);
    assert!(sink.bytes_written() > 3 * (64 << 10), "several parts");
    let got = stored(&clients, &bucket, "lake/").await;
    assert_eq!(got.len(), 200);
    // No multipart upload is left open.
    let open = clients
        .s3
        .list_multipart_uploads()
        .bucket(&bucket)
        .send()
        .await
        .unwrap();
    assert!(open.uploads().is_empty(), "{open:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retryable_s3_failures_are_retried() {
    let moto = Moto::start();
    let direct = moto.clients().await;
    let bucket = unique("lake");
    moto.create_bucket(&direct, &bucket).await;
    let proxy = FaultProxy::scripted(
        moto.port,
        vec![
            Some(Fault::SlowDown),
            Some(Fault::ServerError),
            Some(Fault::Reset),
            None,
        ],
    )
    .await;
    let config = ConnectorConfig::builder()
        .name("lake-faults")
        .region(REGION)
        .sqs_queue_url(format!("{}/123456789012/unused", proxy.endpoint))
        .endpoint_url(proxy.endpoint.clone())
        .allow_http(true)
        .static_credentials("testing", "testing")
        .log_source("test")
        .build()
        .unwrap();
    let clients = config.clients().await;
    let sink = LakeSink::new(clients.s3.clone(), settings(&bucket, LakeFormat::Parquet)).unwrap();
    sink.deliver(&sample_records("retried", 10)).await.unwrap();
    assert_eq!(sink.retries(), 3, "SlowDown, 500 and reset retried");
    assert_eq!(proxy.stats().by_operation.values().sum::<u64>(), 4);
    assert_eq!(stored(&direct, &bucket, "lake/").await.len(), 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_bucket_rejects_the_batch_naming_bucket_and_key() {
    let moto = Moto::start();
    let clients = moto.clients().await;
    let bucket = unique("absent");
    let sink = LakeSink::new(clients.s3.clone(), settings(&bucket, LakeFormat::NdjsonGz)).unwrap();
    let err = sink.deliver(&sample_records("lost", 3)).await.unwrap_err();
    let SinkError::Rejected(text) = &err else {
        panic!("a permanent failure: {err:?}");
    };
    assert!(
        text.contains(&format!(
            "s3://{bucket}/lake/index=Syslog/msg_class=test_log/dt=2023-11-14/hour=22/"
        )),
        "{text}"
    );
    assert!(text.contains(".ndjson.gz"), "{text}");
    assert_eq!(sink.retries(), 0, "not retried");
    assert_eq!(sink.objects_written(), 0);
}

#[test]
fn unusable_settings_are_configuration_errors() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let client = rt.block_on(async {
        let moto = Moto::attach("http://127.0.0.1:9");
        moto.clients().await.s3
    });
    let mut s = LakeSettings::new("");
    assert!(LakeSink::new(client.clone(), s.clone()).is_err());
    s.bucket = "b".into();
    s.roll_bytes = 0;
    assert!(LakeSink::new(client, s).is_err());
}
