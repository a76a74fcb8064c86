//! End to end against moto: S3 notifications → SQS → `Connector` pipeline → sink, each record once,
//! the queue empty afterwards.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use common::{unique, MotoWorld};
use s3conn_aws::{Connector, SqsQueue};
use s3conn_core::sink::{MemoryDeadLetterSink, MemorySink};
use s3conn_core::testing::gzip;
use s3conn_core::Queue;
use tokio_util::sync::CancellationToken;

/// NDJSON lines `{"marker": "<prefix>-<i>", "time": ...}`.
fn lines(prefix: &str, n: usize) -> Vec<u8> {
    let mut out = String::new();
    for i in 0..n {
        out.push_str(&format!(
            "{{\"marker\":\"{prefix}-{i}\",\"time\":\"2026-11-26T08:00:{:02}Z\"}}\n",
            i % 60
        ));
    }
    out.into_bytes()
}

#[tokio::test]
async fn every_record_arrives_once_and_the_queue_is_drained() {
    let w = MotoWorld::start("events").await;
    let outsider = unique("other");
    w.moto.create_bucket(&w.clients, &outsider).await;
    w.moto.notify(&w.clients, &outsider, &w.queue_name).await;

    // Text and gzip objects, keys with spaces, `+` and unicode; a directory marker; an empty
    // object; an object deleted before the connector reads it; one in a bucket not allowed.
    w.put("app/a b.ndjson", lines("text", 50)).await;
    w.put("app/x+y.ndjson.gz", gzip(&lines("gzip", 120))).await;
    w.put("app/ünï 日本.ndjson", lines("unicode", 7)).await;
    w.put("app/folder/", Vec::new()).await;
    w.put("app/empty.ndjson", Vec::new()).await;
    w.put("app/gone.ndjson", lines("gone", 3)).await;
    w.moto
        .delete(&w.clients, &w.bucket, "app/gone.ndjson")
        .await;
    w.moto
        .put(
            &w.clients,
            &outsider,
            "app/secret.ndjson",
            lines("outsider", 2),
        )
        .await;

    let config = w
        .config()
        .multiple_logs_per_file(true)
        .max_receive_count(1)
        .visibility_timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let connector = Connector::new(config).await.unwrap();
    assert!(connector.test().await.success);

    let common::Drained { stats, sink, dead } =
        common::drain(&connector, "generic", Duration::from_secs(2)).await;

    let mut markers: BTreeMap<String, usize> = BTreeMap::new();
    for r in sink.records() {
        let marker = r.event_value()["marker"].as_str().unwrap().to_string();
        *markers.entry(marker).or_default() += 1;
    }
    assert_eq!(markers.len(), 50 + 120 + 7, "{stats:?}");
    assert!(
        markers.values().all(|&n| n == 1),
        "each record exactly once"
    );
    assert!(markers
        .keys()
        .all(|m| !m.starts_with("outsider") && !m.starts_with("gone")));
    let records = sink.records();
    let keys: std::collections::BTreeSet<String> = records
        .iter()
        .map(|r| r.context.object.key.clone())
        .collect();
    assert!(
        keys.contains("app/a b.ndjson") && keys.contains("app/x+y.ndjson.gz"),
        "{keys:?}"
    );
    assert!(keys.contains("app/ünï 日本.ndjson"), "{keys:?}");

    assert_eq!(stats.records_delivered, 177, "{stats:?}");
    assert_eq!(stats.test_events, 2, "{stats:?}");
    assert_eq!(stats.objects_gone, 1, "{stats:?}");
    assert_eq!(stats.objects_bucket_not_allowed, 1, "{stats:?}");
    assert_eq!(stats.ignored_directory_markers, 1, "{stats:?}");
    assert_eq!(stats.ignored_empty_objects, 1, "{stats:?}");
    // The outsider's notification was given up on (max_receive_count = 1): dead-lettered first.
    assert!(
        dead.items()
            .iter()
            .any(|d| format!("{d:?}").contains(&outsider)),
        "{:?}",
        dead.items()
    );

    // Nothing is left: every message, test events included, was acknowledged.
    let left = connector
        .queue()
        .receive(10, Duration::from_secs(1), Duration::from_secs(30))
        .await
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
    assert_eq!(
        stats.messages_acknowledged, stats.messages_received,
        "{stats:?}"
    );
}

#[tokio::test]
async fn two_connectors_on_one_queue_share_the_work_each_record_once() {
    let w = MotoWorld::start("shared").await;
    for i in 0..24 {
        let body = lines(&format!("obj{i}"), 10);
        let body = if i % 2 == 0 { gzip(&body) } else { body };
        w.put(&format!("part/{i:02}.ndjson"), body).await;
    }

    let mut runs = Vec::new();
    let mut sinks = Vec::new();
    for _ in 0..2 {
        let config = w
            .config()
            .multiple_logs_per_file(true)
            .concurrency(2)
            .build()
            .unwrap();
        let connector = Connector::new(config).await.unwrap();
        let source = s3conn_sources::builtin_registry().get("generic").unwrap();
        let sink = Arc::new(MemorySink::new());
        let mut settings = connector.pipeline_config();
        settings.drain = true;
        settings.receive_wait = Duration::from_secs(2);
        settings.receive_batch = 2;
        let pipeline = connector
            .pipeline(source, sink.clone())
            .dead_letter(Arc::new(MemoryDeadLetterSink::new()))
            .config(settings)
            .build();
        sinks.push(sink);
        runs.push(tokio::spawn(async move {
            pipeline.run(CancellationToken::new()).await
        }));
    }
    let mut received = 0;
    for run in runs {
        let stats = tokio::time::timeout(Duration::from_secs(120), run)
            .await
            .expect("drains within 2 minutes")
            .unwrap()
            .unwrap()
            .stats;
        received += stats.messages_received;
    }
    let mut markers: BTreeMap<String, usize> = BTreeMap::new();
    for sink in &sinks {
        for r in sink.records() {
            let marker = r.event_value()["marker"].as_str().unwrap().to_string();
            *markers.entry(marker).or_default() += 1;
        }
    }
    assert_eq!(markers.len(), 240, "nothing lost");
    // Each message is received by one connector: leases are renewed, so the queue never hands a
    // held message to the other. moto's ReceiveMessage is not atomic across concurrent requests
    // (it scans the queue without its lock), so two racing receivers can, rarely, both get one
    // message; real SQS standard queues are at-least-once as well. Allow two such duplicates.
    let duplicated = markers.values().filter(|&&n| n > 1).count();
    assert!(
        duplicated <= 20,
        "{duplicated} records delivered more than once"
    );
    assert!(
        (25..=27).contains(&received),
        "24 objects and the test event, each received once ({received})"
    );
    let left = SqsQueue::new(w.clients.sqs.clone(), w.queue_url)
        .receive(10, Duration::from_secs(1), Duration::from_secs(30))
        .await
        .unwrap();
    assert!(left.is_empty(), "{left:?}");
}
