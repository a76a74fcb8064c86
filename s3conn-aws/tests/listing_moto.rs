//! Backfill listings against moto: selection and pruning (ListObjectsV2 requests counted),
//! checkpoints (resume, finish, corrupt, foreign) through the real pipeline, 403/404 messages.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use futures::StreamExt;
use s3conn_aws::listing::{
    CheckpointFile, CheckpointWriter, KeyDateLayout, Lister, ListingQueue, Selection, TimeBound,
};
use s3conn_aws::testing::{unique, Moto, REGION};
use s3conn_aws::{AwsClients, S3ObjectStore};
use s3conn_core::sink::MemorySink;
use s3conn_core::{Pipeline, PipelineConfig, Queue};
use tokio_util::sync::CancellationToken;

const ACCOUNT: &str = "111122223333";

async fn put_all(moto: &Moto, clients: &AwsClients, bucket: &str, keys: &[String]) {
    futures::stream::iter(keys.iter())
        .map(|k| {
            let body = format!("{{\"key\":\"{k}\",\"n\":1}}\n{{\"key\":\"{k}\",\"n\":2}}\n");
            moto.put(clients, bucket, k, body.into_bytes())
        })
        .buffer_unordered(24)
        .collect::<Vec<_>>()
        .await;
}

/// Everything a lister selects, and the ListObjectsV2 requests it took.
async fn drain(mut lister: Lister) -> (Vec<String>, Lister) {
    let mut keys = Vec::new();
    while let Some(page) = lister.next_page().await.unwrap() {
        keys.extend(page.into_iter().filter(|l| l.skip.is_none()).map(|l| l.key));
    }
    (keys, lister)
}

fn selection(
    bucket: &str,
    prefixes: &[&str],
    since: Option<&str>,
    until: Option<&str>,
) -> Selection {
    let prefixes: Vec<String> = prefixes.iter().map(|p| p.to_string()).collect();
    Selection::new(
        bucket,
        &prefixes,
        None,
        since.map(|s| TimeBound::since(s).unwrap()),
        until.map(|u| TimeBound::until(u).unwrap()),
        KeyDateLayout::AwsLogs,
    )
    .unwrap()
}

fn day_key(account_path: &str, day: i64, n: usize) -> String {
    let date = civil_iso(day);
    let (y, m, dd) = (&date[0..4], &date[5..7], &date[8..10]);
    format!(
        "AWSLogs/{account_path}/CloudTrail/us-east-1/{y}/{m}/{dd}/{ACCOUNT}_CloudTrail_us-east-1_{y}{m}{dd}T0000Z_{n}.json.gz"
    )
}

fn civil_iso(day: i64) -> String {
    // Via the SDK's formatter: days since the epoch → YYYY-MM-DD.
    aws_smithy_types::DateTime::from_secs(day * 86_400)
        .fmt(aws_smithy_types::date_time::Format::DateTime)
        .unwrap()[..10]
        .to_owned()
}

/// A 365-day CloudTrail layout (4 objects a day), keys outside it, and an organization trail:
/// a 30-day `--since` selects exactly its days and makes at most 10 % of the ListObjectsV2
/// requests of a full listing (same page size: 2 keys a page, modelling a dense bucket).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_30_day_since_over_365_days_lists_only_its_days() {
    let moto = Moto::start();
    let clients = moto.clients().await;
    let bucket = unique("trail");
    moto.create_bucket(&clients, &bucket).await;
    // 2025-01-01 is day 20089.
    let first = 20_089;
    let mut keys = Vec::new();
    for day in first..first + 365 {
        for n in 0..4 {
            keys.push(day_key(ACCOUNT, day, n));
        }
    }
    put_all(&moto, &clients, &bucket, &keys).await;

    let page = 2;
    let full = Lister::new(
        clients.s3.clone(),
        selection(&bucket, &[], None, None).with_page_size(page),
        None,
    );
    let (all, full) = drain(full).await;
    assert_eq!(all.len(), keys.len());
    let full_requests = full.requests().list_objects_v2;

    // The last 30 days: 2025-12-02 .. 2025-12-31.
    let pruned = Lister::new(
        clients.s3.clone(),
        selection(&bucket, &[], Some("2025-12-02"), Some("2025-12-31")).with_page_size(page),
        None,
    );
    let (got, pruned) = drain(pruned).await;
    let expected: Vec<String> = (first + 335..first + 365)
        .flat_map(|d| (0..4).map(move |n| day_key(ACCOUNT, d, n)))
        .collect();
    assert_eq!(got, expected, "exactly the 30 days, in key order");
    let pruned_requests = pruned.requests().list_objects_v2;
    let ratio = pruned_requests as f64 / full_requests as f64;
    eprintln!(
        "pruning: full listing {full_requests} ListObjectsV2 requests, 30-day --since {pruned_requests} ({:.1} %)",
        ratio * 100.0
    );
    assert!(ratio <= 0.10, "{pruned_requests} / {full_requests}");
    assert!(pruned.counts().skipped.is_empty(), "{:?}", pruned.counts());

    // Objects outside the layout are selected by LastModified (now: after this --until) and
    // counted; an organization trail's days are pruned the same way.
    let org = [
        day_key(&format!("o-abc123/{ACCOUNT}"), first + 340, 0),
        day_key(&format!("o-abc123/{ACCOUNT}"), first + 10, 0),
    ];
    let odd = [
        "AWSLogs/README.txt".to_string(),
        "zz/other.json".to_string(),
        "aa.json".to_string(),
    ];
    put_all(&moto, &clients, &bucket, &org).await;
    put_all(&moto, &clients, &bucket, &odd).await;
    let lister = Lister::new(
        clients.s3.clone(),
        selection(&bucket, &[], Some("2025-12-02"), Some("2025-12-31")),
        None,
    );
    let (got, lister) = drain(lister).await;
    let mut want: Vec<String> = expected.clone();
    want.push(org[0].clone());
    want.sort();
    assert_eq!(got, want);
    assert_eq!(
        lister.counts().skipped.get("last_modified_after_until"),
        Some(&3),
        "{:?}",
        lister.counts()
    );
    // Since today: the layout's days are all before; the odd keys (written now) are selected.
    let lister = Lister::new(
        clients.s3.clone(),
        Selection::new(
            &bucket,
            &[],
            None,
            TimeBound::since("2026-01-01").ok(),
            None,
            KeyDateLayout::AwsLogs,
        )
        .unwrap(),
        None,
    );
    let (got, _) = drain(lister).await;
    let mut odd_sorted = odd.to_vec();
    odd_sorted.sort();
    assert_eq!(got, odd_sorted);

    // A prefix inside the layout, and a start key.
    let prefix = format!("AWSLogs/{ACCOUNT}/CloudTrail/us-east-1/2025/12/");
    let mut s = selection(&bucket, &[&prefix], Some("2025-12-30"), None);
    s.start_after = Some(day_key(ACCOUNT, first + 363, 1));
    let (got, _) = drain(Lister::new(clients.s3.clone(), s, None)).await;
    let mut want: Vec<String> = vec![
        day_key(ACCOUNT, first + 363, 2),
        day_key(ACCOUNT, first + 363, 3),
    ];
    want.extend((0..4).map(|n| day_key(ACCOUNT, first + 364, n)));
    assert_eq!(got, want);
}

fn small_keys() -> Vec<String> {
    (0..30).map(|i| format!("logs/{i:03}.ndjson")).collect()
}

async fn run_pipeline(
    queue: Arc<ListingQueue>,
    clients: &AwsClients,
) -> (MemorySink, s3conn_core::RunReport) {
    let sink = MemorySink::new();
    let source = s3conn_sources::resolve("generic", std::path::Path::new(".")).unwrap();
    let config = PipelineConfig {
        drain: true,
        receive_wait: Duration::from_millis(200),
        ..PipelineConfig::default()
    };
    let report = Pipeline::builder(
        queue,
        Arc::new(S3ObjectStore::new(clients.s3.clone())),
        source,
        Arc::new(sink.clone()),
    )
    .config(config)
    .build()
    .run(CancellationToken::new())
    .await
    .unwrap();
    (sink, report)
}

/// The position moves only over the contiguous acknowledged prefix; a resumed queue starts
/// after it; a finished run leaves a checkpoint that makes a rerun deliver (and list) nothing;
/// a corrupt or foreign checkpoint is refused, `restart` starts over.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn checkpoints_resume_finish_and_refuse_corrupt_or_foreign_files() {
    let moto = Moto::start();
    let clients = moto.clients().await;
    let bucket = unique("ckpt");
    moto.create_bucket(&clients, &bucket).await;
    let keys = small_keys();
    put_all(&moto, &clients, &bucket, &keys).await;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("backfill.checkpoint");
    let sel = Selection::new(
        &bucket,
        &["logs/".into()],
        None,
        None,
        None,
        KeyDateLayout::AwsLogs,
    )
    .unwrap();
    let open =
        |restart: bool| CheckpointWriter::open(Some(CheckpointFile::new(&path)), &sel, restart);

    // Run 1, by hand: receive 10, acknowledge 0..=4 and 6..=9 (5 is still "in flight").
    let writer = open(false).unwrap();
    let lister = Lister::new(clients.s3.clone(), sel.clone(), None);
    let q = ListingQueue::new(lister, REGION, writer);
    let got = q
        .receive(10, Duration::from_millis(100), Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(got.len(), 10);
    let key_of = |body: &str| {
        s3conn_core::notification::parse(body).unwrap().objects[0]
            .key
            .clone()
    };
    assert_eq!(key_of(&got[0].body), keys[0]);
    let acked: Vec<_> = got
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 5)
        .map(|(_, m)| m.handle.clone())
        .collect();
    assert!(q.acknowledge(&acked).await.iter().all(Result::is_ok));
    let c = q.flush_checkpoint();
    assert_eq!(
        c.position.as_deref(),
        Some(keys[4].as_str()),
        "stops before the unacknowledged object"
    );
    assert_eq!(c.objects_done, 5);
    assert!(!c.complete);
    drop(q); // "killed"

    // Run 2 resumes after keys[4]: objects 5..30 are delivered (6..=9 again: at least once).
    let writer = open(false).unwrap();
    assert_eq!(writer.current().position.as_deref(), Some(keys[4].as_str()));
    let lister = Lister::new(
        clients.s3.clone(),
        sel.clone(),
        writer.current().position.clone(),
    );
    let q = Arc::new(ListingQueue::new(lister, REGION, writer));
    let (sink, report) = run_pipeline(q.clone(), &clients).await;
    assert!(report.is_complete(), "{}", report.status);
    let delivered: BTreeSet<String> = sink
        .records()
        .iter()
        .map(|r| r.context.object.key.clone())
        .collect();
    assert_eq!(delivered, keys[5..].iter().cloned().collect());
    assert_eq!(sink.len(), 2 * 25);
    let c = q.flush_checkpoint();
    assert!(c.complete);
    assert_eq!(c.position.as_deref(), Some(keys[29].as_str()));
    assert_eq!(c.objects_done, 30);

    // Run 3: complete: nothing listed, nothing delivered.
    let writer = open(false).unwrap();
    assert!(writer.current().complete);
    let lister = Lister::new(
        clients.s3.clone(),
        sel.clone(),
        writer.current().position.clone(),
    );
    let q = Arc::new(ListingQueue::new(lister, REGION, writer));
    let (sink, report) = run_pipeline(q.clone(), &clients).await;
    assert!(report.is_complete());
    assert_eq!(sink.len(), 0);
    assert_eq!(q.requests().list_objects_v2, 0);

    // Foreign: another prefix. Corrupt: not JSON. Both refused; restart starts over.
    let other = Selection::new(
        &bucket,
        &["other/".into()],
        None,
        None,
        None,
        KeyDateLayout::AwsLogs,
    )
    .unwrap();
    let e = CheckpointWriter::open(Some(CheckpointFile::new(&path)), &other, false).unwrap_err();
    assert!(
        e.to_string().contains("another backfill") && e.to_string().contains("prefixes"),
        "{e}"
    );
    std::fs::write(
        &path,
        "{\"format\": \"s3conn-backfill-checkpoint/1\", \"posi",
    )
    .unwrap();
    let e = open(false).unwrap_err().to_string();
    assert!(
        e.contains("not a backfill checkpoint") && e.contains("--restart"),
        "{e}"
    );
    let writer = open(true).unwrap();
    assert_eq!(writer.current().position, None);
    let lister = Lister::new(clients.s3.clone(), sel.clone(), None);
    let q = Arc::new(ListingQueue::new(lister, REGION, writer).with_window(7));
    let (sink, _) = run_pipeline(q.clone(), &clients).await;
    assert_eq!(sink.len(), 60, "restarted: everything again");
    assert!(q.flush_checkpoint().complete);
}

/// A bucket that does not exist, and one the credentials may not list: the message names the
/// bucket (and the permission to grant).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlistable_buckets_name_the_bucket_and_the_permission() {
    let moto = Moto::start();
    let clients = moto.clients().await;
    let missing = unique("missing");
    let lister = Lister::new(
        clients.s3.clone(),
        selection(&missing, &[], None, None),
        None,
    );
    let e = lister.probe().await.unwrap_err().to_string();
    assert!(
        e.contains(&format!("bucket '{missing}'")) && e.contains("no such bucket"),
        "{e}"
    );

    let bucket = unique("locked");
    moto.create_bucket(&clients, &bucket).await;
    let policy = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject"],"Resource":"*"}]}"#;
    let (key, secret) = moto.create_user_with_key("s3conn-backfill", policy).await;
    moto.enforce_auth().await;
    let url = format!("{}/123456789012/unused", moto.endpoint);
    let limited = moto
        .config_with_keys(&url, &key, &secret)
        .build()
        .unwrap()
        .clients()
        .await;
    let lister = Lister::new(
        limited.s3.clone(),
        selection(&bucket, &[], None, None),
        None,
    );
    let e = lister.probe().await.unwrap_err();
    let text = e.to_string();
    assert!(
        text.contains(&format!("bucket '{bucket}'"))
            && text.contains("s3:ListBucket")
            && text.contains("access denied"),
        "{text}"
    );
    assert!(matches!(
        e.into_queue_error(),
        s3conn_core::QueueError::PermissionDenied(_)
    ));
}
