//! Pipeline behaviour on the in-memory backends: delivery, redelivery, backpressure, leases,
//! shutdown, poison messages and bad input.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use common::{drain_config, run, shutdown_when, RejectingSink, Setup, TestSource};
use s3conn_core::memory::{Fault, MemoryObjectStore, MemoryQueue};
use s3conn_core::notification::s3_event_body;
use s3conn_core::queue::{AckHandle, BatchResult, Message, Queue, QueueError};
use s3conn_core::sink::{DeadLetterKind, MemorySink};
use s3conn_core::store::{GetResult, ObjectRef, ObjectStore, StoreError};
use s3conn_core::testing::gzip;
use s3conn_core::{Pipeline, Record, Sink, SinkError};

fn ndjson(object: usize, n: usize) -> Vec<u8> {
    (0..n)
        .flat_map(|i| {
            format!("{{\"time\":\"2024-01-01T00:00:00Z\",\"n\":\"{object}-{i}\"}}\n").into_bytes()
        })
        .collect()
}

fn names(records: &[Record]) -> Vec<String> {
    let mut v: Vec<String> = records
        .iter()
        .filter_map(|r| r.fields.event_name.as_deref().map(str::to_owned))
        .collect();
    v.sort();
    v
}

fn expected(objects: usize, per: usize) -> Vec<String> {
    let mut v: Vec<String> = (0..objects)
        .flat_map(|o| (0..per).map(move |i| format!("\"{o}-{i}\"")))
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivers_every_record_and_empties_the_queue() {
    let s = Setup::new();
    s.object("plain.json", ndjson(0, 50));
    s.object("gz.json.gz", gzip(&ndjson(1, 3000)));
    let records: Vec<String> = (0..20)
        .map(|i| format!("{{\"time\":1700000000,\"n\":\"2-{i}\"}}"))
        .collect();
    s.object(
        "trail.json",
        format!("{{\"Records\":[{}]}}", records.join(",")).into_bytes(),
    );
    s.queue
        .send(r#"{"Service":"Amazon S3","Event":"s3:TestEvent","Bucket":"bucket"}"#);
    let sink = MemorySink::new();
    let p = s.pipeline(Arc::new(sink.clone()), drain_config());
    let stats = run(&p).await;
    let got = sink.records();
    let mut want = expected(1, 50);
    want.extend(
        expected(2, 3000)
            .into_iter()
            .filter(|n| n.starts_with("\"1-")),
    );
    want.extend((0..20).map(|i| format!("\"2-{i}\"")));
    want.sort();
    assert_eq!(names(&got), want);
    let ids: HashSet<String> = got.iter().map(Record::id).collect();
    assert_eq!(ids.len(), got.len(), "ids are unique");
    assert!(s.queue.is_empty());
    assert_eq!(stats.messages_acknowledged, 4);
    assert_eq!(stats.test_events, 1);
    assert_eq!(stats.objects_processed, 3);
    assert_eq!(stats.records_delivered, 3070);
    assert!(got
        .iter()
        .all(|r| r.timestamp_ms > 1_600_000_000_000 && !r.timestamp_fallback()));
    let json: serde_json::Value = serde_json::from_str(&got[0].to_json()).unwrap();
    assert_eq!(json["index"], "Syslog");
    assert_eq!(json["msg_origin"]["source"], "s3");
    assert_eq!(json["s3"]["bucket"], "bucket");
}

/// A sink that fails with a retryable error for its first `fail` calls, then accepts.
#[derive(Debug)]
struct FlakySink {
    inner: MemorySink,
    fail: AtomicUsize,
    delay: Duration,
    in_flight: AtomicUsize,
    max_in_flight: AtomicUsize,
}

impl FlakySink {
    fn new(fail: usize, delay: Duration) -> Arc<Self> {
        Arc::new(FlakySink {
            inner: MemorySink::new(),
            fail: AtomicUsize::new(fail),
            delay,
            in_flight: AtomicUsize::new(0),
            max_in_flight: AtomicUsize::new(0),
        })
    }
}

#[async_trait]
impl Sink for FlakySink {
    async fn deliver(&self, batch: &[Record]) -> Result<(), SinkError> {
        let now = self.in_flight.fetch_add(1, Ordering::SeqCst) + 1;
        self.max_in_flight.fetch_max(now, Ordering::SeqCst);
        tokio::time::sleep(self.delay).await;
        self.in_flight.fetch_sub(1, Ordering::SeqCst);
        if self.fail.load(Ordering::SeqCst) > 0 {
            self.fail.fetch_sub(1, Ordering::SeqCst);
            return Err(SinkError::Retryable("down".into()));
        }
        self.inner.deliver(batch).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sink_failure_keeps_the_message_and_redelivery_completes_it() {
    let s = Setup::new();
    s.object("a.json", ndjson(0, 10));
    // (1 + 1 sink retries) x (1 + 1 object retries) = 4 failures exhaust the first delivery.
    let sink = FlakySink::new(4, Duration::ZERO);
    let mut config = drain_config();
    config.sink_retries = 1;
    config.object_retries = 1;
    config.visibility_timeout = Duration::from_millis(300);
    let p = s.pipeline(sink.clone(), config.clone());
    let first = run(&p).await;
    assert_eq!(first.messages_kept, 1);
    assert_eq!(first.records_delivered, 0);
    assert_eq!(s.queue.len(), 1, "the message is kept, not deleted");
    // Kept messages come back after a backoff; a second run picks it up.
    tokio::time::sleep(Duration::from_millis(900)).await;
    let p = s.pipeline(sink.clone(), config);
    let mut stats = run(&p).await;
    while !s.queue.is_empty() {
        tokio::time::sleep(Duration::from_millis(300)).await;
        stats = run(&p).await;
    }
    assert!(stats.records_delivered >= 10);
    assert_eq!(names(&sink.inner.records()), expected(1, 10));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_sink_applies_backpressure_and_nothing_is_dropped() {
    let s = Setup::with_objects((0..40).map(|o| ndjson(o, 200)));
    let sink = FlakySink::new(0, Duration::from_millis(10));
    let mut config = drain_config();
    config.max_objects_in_flight = 2;
    config.max_messages_in_flight = 4;
    config.batch.max_records = 50;
    let p = s.pipeline(sink.clone(), config);
    let stats_handle = p.stats();
    let store = s.store.clone();
    let watcher = tokio::spawn(async move {
        let mut worst = 0i64;
        for _ in 0..400 {
            let st = stats_handle.snapshot();
            // Objects fetched but not finished can never exceed the object limit.
            let open = store.gets() as i64 - st.objects_processed as i64;
            worst = worst.max(open);
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        worst
    });
    let stats = run(&p).await;
    let worst = watcher.await.unwrap();
    assert!(worst <= 2, "at most 2 objects open at once, saw {worst}");
    assert_eq!(stats.records_delivered, 40 * 200);
    assert_eq!(names(&sink.inner.records()), expected(40, 200));
    assert!(s.queue.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_mid_object_releases_the_message() {
    let s = Setup::new();
    s.object("big.json", ndjson(0, 5000));
    let sink = FlakySink::new(0, Duration::from_millis(200));
    let mut config = drain_config();
    config.batch.max_records = 100;
    config.shutdown_grace = Duration::from_millis(100);
    let p = s.pipeline(sink.clone(), config);
    let shutdown = shutdown_when(&p, |s| s.records_delivered > 0);
    let done = tokio::time::timeout(Duration::from_secs(10), p.run(shutdown))
        .await
        .expect("shutdown hung")
        .unwrap()
        .stats;
    assert_eq!(done.messages_released, 1);
    assert_eq!(done.messages_acknowledged, 0);
    assert!(done.records_delivered < 5000);
    // Released, so it is visible again at once.
    let again = s
        .queue
        .receive(10, Duration::ZERO, Duration::from_secs(5))
        .await
        .unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempt, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_object_outliving_the_visibility_timeout_is_processed_exactly_once_by_two_consumers() {
    let s = Setup::with_objects((0..4).map(|o| ndjson(o, 20)));
    let sink = FlakySink::new(0, Duration::from_millis(150));
    let mut config = drain_config();
    config.visibility_timeout = Duration::from_millis(400);
    config.batch.max_records = 2; // ten sink calls per object: 1.5 s, several visibility timeouts
    let a = s.pipeline(sink.clone(), config.clone());
    let b = s.pipeline(sink.clone(), config);
    let (ra, rb) = tokio::join!(run(&a), run(&b));
    assert_eq!(ra.leases_lost + rb.leases_lost, 0);
    assert_eq!(ra.records_delivered + rb.records_delivered, 80);
    let got = sink.inner.records();
    assert_eq!(names(&got), expected(4, 20), "every record exactly once");
    assert!(s.queue.is_empty());
    assert!(ra.lease_extensions + rb.lease_extensions > 0);
}

/// A queue whose lease renewals fail as lost.
#[derive(Debug)]
struct LosingQueue(Arc<MemoryQueue>);

#[async_trait]
impl Queue for LosingQueue {
    async fn receive(
        &self,
        max: usize,
        wait: Duration,
        visibility: Duration,
    ) -> Result<Vec<Message>, QueueError> {
        self.0.receive(max, wait, visibility).await
    }
    async fn acknowledge(&self, handles: &[AckHandle]) -> BatchResult {
        self.0.acknowledge(handles).await
    }
    async fn extend(&self, handles: &[AckHandle], _visibility: Duration) -> BatchResult {
        handles
            .iter()
            .map(|h| Err(QueueError::LeaseLost(h.0.clone())))
            .collect()
    }
    async fn release(&self, handle: &AckHandle) -> Result<(), QueueError> {
        self.0.release(handle).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_lease_stops_work_and_never_acknowledges() {
    let s = Setup::new();
    s.object("a.json", ndjson(0, 1000));
    let sink = FlakySink::new(0, Duration::from_millis(50));
    let mut config = drain_config();
    config.visibility_timeout = Duration::from_millis(300);
    config.batch.max_records = 10;
    let p = s.pipeline_on(
        Arc::new(LosingQueue(s.queue.clone())),
        s.store.clone(),
        sink.clone(),
        config,
    );
    let stats = run(&p).await;
    assert_eq!(stats.leases_lost, 1);
    assert_eq!(stats.messages_acknowledged, 0);
    assert!(stats.records_delivered < 1000, "work stopped");
    assert_eq!(s.queue.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn poison_message_is_kept_then_dead_lettered_at_max_receive_count() {
    let s = Setup::new();
    s.queue.send("this is not a notification");
    let sink = MemorySink::new();
    let mut config = drain_config();
    config.max_receive_count = Some(2);
    // Long enough that a loaded machine finishes the first drain before the kept message is
    // visible again.
    config.visibility_timeout = Duration::from_millis(500);
    let p = s.pipeline(Arc::new(sink.clone()), config);
    let first = run(&p).await;
    assert_eq!(first.messages_kept, 1);
    assert!(s.dead.items().is_empty());
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let second = run(&p).await;
    assert_eq!(second.messages_dead_lettered, 1);
    assert!(s.queue.is_empty());
    let items = s.dead.items();
    assert_eq!(items.len(), 1);
    assert_eq!(items[0].kind, DeadLetterKind::Message);
    assert_eq!(items[0].raw, b"this is not a notification");
    assert!(
        items[0].reason.contains("not valid JSON"),
        "{}",
        items[0].reason
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_records_and_corrupt_objects_are_dead_lettered_and_the_rest_delivered() {
    let s = Setup::new();
    s.object(
        "mixed.json",
        b"{\"n\":\"a\"}\n{broken\n{\"n\":\"b\"}\n".to_vec(),
    );
    let full = gzip(&ndjson(7, 5000));
    s.object("cut.json.gz", full[..full.len() / 2].to_vec());
    let sink = MemorySink::new();
    let mut config = drain_config();
    config.max_receive_count = Some(1);
    let p = s.pipeline(Arc::new(sink.clone()), config);
    let stats = run(&p).await;
    assert!(s.queue.is_empty());
    let items = s.dead.items();
    let record = items
        .iter()
        .find(|i| i.kind == DeadLetterKind::Record)
        .unwrap();
    assert_eq!(record.line, Some(2));
    assert_eq!(record.raw, b"{broken");
    assert_eq!(record.object.as_ref().unwrap().key, "mixed.json");
    let object = items
        .iter()
        .find(|i| i.kind == DeadLetterKind::Object)
        .unwrap();
    assert!(
        object.reason.contains("cut.json.gz") && object.reason.contains("gzip"),
        "{}",
        object.reason
    );
    assert_eq!(stats.objects_undecodable, 1);
    assert_eq!(stats.records_dead_lettered, 1);
    let got = sink.records();
    assert!(got
        .iter()
        .any(|r| r.fields.event_name.as_deref() == Some("\"a\"")));
    assert!(got
        .iter()
        .any(|r| r.fields.event_name.as_deref() == Some("\"b\"")));
    assert!(
        got.iter()
            .filter(|r| r.context.object.key == "cut.json.gz")
            .count()
            > 0,
        "records before the cut are delivered"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_object_is_kept_by_default() {
    let s = Setup::new();
    s.object(
        "junk.gz",
        vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff],
    );
    let p = s.pipeline(Arc::new(MemorySink::new()), drain_config());
    let stats = run(&p).await;
    assert_eq!(stats.messages_kept, 1);
    assert_eq!(
        s.queue.len(),
        1,
        "never deleted without a dead-letter record"
    );
    assert!(s.dead.items().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn gone_objects_are_acknowledged_and_truncated_downloads_resume_exactly_once() {
    let s = Setup::new();
    s.queue
        .send(s3_event_body("bucket", "never-existed.json", 10, None));
    s.object("flaky.json", ndjson(0, 3000));
    s.store
        .inject("bucket", "flaky.json", Fault::TruncateAfter(100_000));
    s.store.inject(
        "bucket",
        "flaky.json",
        Fault::Fail(StoreError::Throttled("SlowDown".into())),
    );
    let sink = MemorySink::new();
    let mut config = drain_config();
    config.batch.max_records = 100;
    let p = s.pipeline(Arc::new(sink.clone()), config);
    let stats = run(&p).await;
    assert_eq!(stats.objects_gone, 1);
    // Gone before it was read: acknowledged by design, not a failure.
    assert_eq!(stats.failures_permanent, 0);
    assert!(stats.retries >= 2);
    assert!(s.queue.is_empty());
    assert_eq!(
        names(&sink.records()),
        expected(1, 3000),
        "resumed without duplicates"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn buckets_outside_the_allow_list_are_never_read() {
    let s = Setup::new();
    s.object("a.json", ndjson(0, 1));
    let mut config = drain_config();
    config.objects.buckets = vec!["other".into()];
    let p = s.pipeline(Arc::new(MemorySink::new()), config.clone());
    let stats = run(&p).await;
    assert_eq!(s.store.gets(), 0);
    assert_eq!(stats.objects_bucket_not_allowed, 1);
    assert_eq!(stats.messages_kept, 1);
    config.max_receive_count = Some(1);
    tokio::time::sleep(Duration::from_millis(100)).await;
    let s2 = Setup::new();
    s2.object("a.json", ndjson(0, 1));
    let p = s2.pipeline(Arc::new(MemorySink::new()), config);
    let stats = run(&p).await;
    assert_eq!(stats.messages_dead_lettered, 1);
    assert!(s2.queue.is_empty());
}

/// Counts store reads, to check that filtered objects are never fetched.
#[derive(Debug)]
struct CountingStore(Arc<MemoryObjectStore>, AtomicU64);

#[async_trait]
impl ObjectStore for CountingStore {
    async fn get(&self, location: &ObjectRef) -> Result<GetResult, StoreError> {
        self.1.fetch_add(1, Ordering::SeqCst);
        self.0.get(location).await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn key_filters_and_record_filters() {
    let s = Setup::new();
    s.object("keep/a.json", ndjson(0, 10));
    s.object("skip/b.json", ndjson(1, 10));
    let mut config = drain_config();
    config.objects.key_prefixes = vec!["keep/".into()];
    let store = Arc::new(CountingStore(s.store.clone(), AtomicU64::new(0)));
    let sink = MemorySink::new();
    let filters = s3conn_core::filter::RecordFilters::new(&[serde_json::from_str(
        r#"{"field":"n","action":"drop","regex":"-[0-4]$"}"#,
    )
    .unwrap()])
    .unwrap();
    let p = Pipeline::builder(
        s.queue.clone(),
        store.clone(),
        TestSource::shared(),
        Arc::new(sink.clone()),
    )
    .dead_letter(Arc::new(s.dead.clone()))
    .filters(filters)
    .config(config)
    .build();
    let stats = run(&p).await;
    assert_eq!(store.1.load(Ordering::SeqCst), 1);
    assert_eq!(stats.objects_filtered, 1);
    assert_eq!(stats.records_filtered, 5);
    assert_eq!(
        names(&sink.records()),
        vec!["\"0-5\"", "\"0-6\"", "\"0-7\"", "\"0-8\"", "\"0-9\""]
    );
    assert!(s.queue.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn overwritten_objects_are_acknowledged_and_access_denied_is_kept() {
    let s = Setup::new();
    // The notification names the first version's eTag; the object was overwritten since.
    let old = s.store.put("bucket", "over.json", ndjson(0, 2));
    s.queue.send(s3_event_body(
        "bucket",
        "over.json",
        old.size,
        old.etag.as_deref(),
    ));
    s.store.put("bucket", "over.json", ndjson(1, 2));
    s.object("denied.json", ndjson(2, 2));
    s.store.inject(
        "bucket",
        "denied.json",
        Fault::Fail(StoreError::PermissionDenied("AccessDenied".into())),
    );
    let sink = MemorySink::new();
    let stats = run(&s.pipeline(Arc::new(sink.clone()), drain_config())).await;
    assert_eq!(stats.objects_changed, 1);
    assert_eq!(
        stats.failures_permanent, 0,
        "an overwritten object is no failure"
    );
    assert_eq!(stats.failures_configuration, 1);
    assert_eq!(stats.messages_kept, 1, "access denied keeps the message");
    assert_eq!(stats.messages_acknowledged, 1);
    assert_eq!(s.queue.len(), 1);
    assert!(
        sink.is_empty(),
        "the overwritten version is not read; the new one has its own notification"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sink_that_rejects_permanently_never_causes_a_delete() {
    let s = Setup::new();
    s.object("a.json", ndjson(0, 5));
    let stats = run(&s.pipeline(Arc::new(RejectingSink), drain_config())).await;
    assert_eq!(stats.messages_kept, 1);
    assert_eq!(stats.messages_acknowledged, 0);
    assert_eq!(stats.retries, 0, "a permanent rejection is not retried");
    assert_eq!(s.queue.len(), 1);
}
