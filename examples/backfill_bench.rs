//! The backfill benchmark on moto (run by `benches/backfill_moto.sh`): objects listed per second,
//! objects read through the pipeline per second, SQS requests per object for `--to-queue`, and
//! the ListObjectsV2 requests of a 30-day `--since` over a 365-day CloudTrail layout against a
//! full listing.
//!
//! ```sh
//! moto_server -H 127.0.0.1 -p 5000 &
//! cargo run --release --example backfill_bench --features testing -- http://127.0.0.1:5000 2000
//! ```

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use s3conn::aws::listing::{
    forward_to_queue, CheckpointFile, CheckpointWriter, KeyDateLayout, Lister, ListingQueue,
    Selection, TimeBound,
};
use s3conn::aws::testing::{unique, Moto, REGION};
use s3conn::aws::{AwsClients, S3ObjectStore, SqsQueue};
use s3conn::futures::{self, StreamExt};
use s3conn::tokio;
use s3conn::{CancellationToken, MemorySink, Pipeline, PipelineConfig};

/// Uploads in flight at once.
const UPLOADS: usize = 16;
/// Records per object.
const RECORDS: usize = 5;

async fn upload(moto: &Moto, clients: &AwsClients, bucket: &str, keys: &[String]) {
    futures::stream::iter(keys.iter())
        .map(|k| {
            let body: String = (0..RECORDS)
                .map(|i| {
                    format!(
                        "{{\"key\":\"{k}\",\"i\":{i},\"eventTime\":\"2025-01-01T00:00:00Z\"}}\n"
                    )
                })
                .collect();
            moto.put(clients, bucket, k, body.into_bytes())
        })
        .buffer_unordered(UPLOADS)
        .collect::<Vec<_>>()
        .await;
}

fn rate(n: u64, d: Duration) -> f64 {
    n as f64 / d.as_secs_f64().max(1e-9)
}

fn day_iso(day: i64) -> String {
    use s3conn::aws_sdk_s3::primitives::{DateTime, DateTimeFormat};
    DateTime::from_secs(day * 86_400)
        .fmt(DateTimeFormat::DateTime)
        .map(|t| t[..10].to_owned())
        .unwrap_or_default()
}

async fn count(lister: &mut Lister) -> u64 {
    let mut n = 0;
    while let Some(page) = lister.next_page().await.expect("listing") {
        n += page.iter().filter(|l| l.skip.is_none()).count() as u64;
    }
    n
}

#[tokio::main(flavor = "multi_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(endpoint) = args.first() else {
        eprintln!("usage: backfill_bench ENDPOINT [OBJECTS] [OBJECTS_PER_DAY]");
        return ExitCode::from(2);
    };
    let objects: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(2000);
    let per_day: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(4);
    let moto = Moto::attach(endpoint);
    let clients = moto.clients().await;

    // 1. Listing, pipeline and --to-queue over OBJECTS objects.
    let bucket = unique("bench");
    moto.create_bucket(&clients, &bucket).await;
    let keys: Vec<String> = (0..objects)
        .map(|i| format!("logs/{i:07}.ndjson"))
        .collect();
    let t = Instant::now();
    upload(&moto, &clients, &bucket, &keys).await;
    println!(
        "uploaded {objects} objects of {RECORDS} records in {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let selection = Selection::new(
        &bucket,
        &["logs/".into()],
        None,
        None,
        None,
        KeyDateLayout::AwsLogs,
    )
    .expect("selection");

    let mut lister = Lister::new(clients.s3.clone(), selection.clone(), None);
    let t = Instant::now();
    let listed = count(&mut lister).await;
    let d = t.elapsed();
    println!(
        "listing: {listed} objects in {:.2} s = {:.0} objects/s listed ({} ListObjectsV2 requests)",
        d.as_secs_f64(),
        rate(listed, d),
        lister.requests().list_objects_v2
    );

    let dir = std::env::temp_dir().join(unique("s3conn-backfill-bench"));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let queue_url = moto.create_queue(&clients, &unique("work")).await;
    let target = SqsQueue::new(clients.sqs.clone(), &queue_url);
    let mut lister = Lister::new(clients.s3.clone(), selection.clone(), None);
    let mut checkpoint = CheckpointWriter::open(
        Some(CheckpointFile::new(dir.join("to-queue.ckpt"))),
        &selection,
        false,
    )
    .expect("checkpoint");
    let t = Instant::now();
    let report = forward_to_queue(
        &mut lister,
        &target,
        REGION,
        &mut checkpoint,
        &CancellationToken::new(),
    )
    .await
    .expect("forward");
    let d = t.elapsed();
    let r = target.requests();
    println!(
        "--to-queue: {} messages in {:.2} s = {:.0} objects/s; SQS requests per object {:.3} ({} SendMessageBatch), ListObjectsV2 {}",
        report.sent,
        d.as_secs_f64(),
        rate(report.sent, d),
        r.sqs_total() as f64 / report.sent.max(1) as f64,
        r.send_message_batch,
        report.list_requests
    );

    let lister = Lister::new(clients.s3.clone(), selection.clone(), None);
    let checkpoint = CheckpointWriter::open(
        Some(CheckpointFile::new(dir.join("pipeline.ckpt"))),
        &selection,
        false,
    )
    .expect("checkpoint");
    let queue = Arc::new(ListingQueue::new(lister, REGION, checkpoint));
    let sink = MemorySink::new();
    let source = s3conn::resolve_source("generic", std::path::Path::new(".")).expect("source");
    let store = Arc::new(S3ObjectStore::new(clients.s3.clone()));
    let config = PipelineConfig {
        drain: true,
        receive_wait: Duration::from_secs(1),
        ..PipelineConfig::default()
    };
    let t = Instant::now();
    let run = Pipeline::builder(queue.clone(), store.clone(), source, Arc::new(sink.clone()))
        .config(config)
        .build()
        .run(CancellationToken::new())
        .await
        .expect("pipeline");
    let d = t.elapsed();
    println!(
        "backfill through the pipeline: {} objects, {} records in {:.2} s = {:.0} objects/s, {:.0} records/s; GetObject per object {:.2}, ListObjectsV2 {}; checkpoint complete: {}",
        run.stats.objects_processed,
        sink.len(),
        d.as_secs_f64(),
        rate(run.stats.objects_processed, d),
        rate(sink.len() as u64, d),
        store.requests().get_object as f64 / run.stats.objects_processed.max(1) as f64,
        queue.requests().list_objects_v2,
        queue.flush_checkpoint().complete
    );

    // 2. Pruning: a 365-day CloudTrail layout, PER_DAY objects a day.
    let trail = unique("trail");
    moto.create_bucket(&clients, &trail).await;
    let first = 20_089; // 2025-01-01
    let mut keys = Vec::new();
    for day in first..first + 365 {
        let date = day_iso(day);
        let (y, m, dd) = (&date[0..4], &date[5..7], &date[8..10]);
        for n in 0..per_day {
            keys.push(format!(
                "AWSLogs/111122223333/CloudTrail/us-east-1/{y}/{m}/{dd}/111122223333_CloudTrail_us-east-1_{y}{m}{dd}T{n:04}Z_x.json.gz"
            ));
        }
    }
    let t = Instant::now();
    upload(&moto, &clients, &trail, &keys).await;
    println!(
        "uploaded a 365-day CloudTrail layout: {} objects ({per_day} a day) in {:.1} s",
        keys.len(),
        t.elapsed().as_secs_f64()
    );
    for page in [1000, 2] {
        let all = Selection::new(&trail, &[], None, None, None, KeyDateLayout::AwsLogs)
            .expect("selection")
            .with_page_size(page);
        let mut full = Lister::new(clients.s3.clone(), all, None);
        let n_full = count(&mut full).await;
        let since = Selection::new(
            &trail,
            &[],
            None,
            TimeBound::since("2025-12-02").ok(),
            None,
            KeyDateLayout::AwsLogs,
        )
        .expect("selection")
        .with_page_size(page);
        let mut pruned = Lister::new(clients.s3.clone(), since, None);
        let n_pruned = count(&mut pruned).await;
        let (f, p) = (
            full.requests().list_objects_v2,
            pruned.requests().list_objects_v2,
        );
        println!(
            "pruning, {page} keys a page: full listing {n_full} objects with {f} ListObjectsV2 requests; --since 2025-12-02 (30 days) {n_pruned} objects with {p} requests = {:.1} % of the full listing's",
            p as f64 * 100.0 / f.max(1) as f64
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
    ExitCode::SUCCESS
}
