//! The request counters of `SqsQueue`, `S3ObjectStore` and `Connector` against moto: one count per
//! request sent, by API, and what draining a queue of notifications costs.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use common::{unique, Moto, MotoWorld};
use s3conn_aws::{Connector, RequestCounts, SqsQueue};
use s3conn_core::{AckHandle, Queue};

#[tokio::test]
async fn every_queue_request_is_counted_once_by_api() {
    let moto = Moto::start();
    let clients = moto.clients().await;
    let url = moto.create_queue(&clients, &unique("q")).await;
    let q = SqsQueue::new(clients.sqs.clone(), url);
    assert_eq!(q.requests(), RequestCounts::default());

    let bodies: Vec<String> = (0..25).map(|i| format!("{{\"n\":{i}}}")).collect();
    assert!(q.send_batch(&bodies).await.iter().all(Result::is_ok));
    q.send("one more").await.unwrap();
    let mut got = Vec::new();
    let mut receives = 0;
    while got.len() < 26 {
        let batch = q
            .receive(10, Duration::from_secs(1), Duration::from_secs(60))
            .await
            .unwrap();
        receives += 1;
        assert!(!batch.is_empty(), "26 messages are in the queue");
        got.extend(batch);
    }
    let handles: Vec<AckHandle> = got.iter().map(|m| m.handle.clone()).collect();
    assert!(q
        .extend(&handles, Duration::from_secs(60))
        .await
        .iter()
        .all(Result::is_ok));
    q.release(&handles[25]).await.unwrap();
    assert!(q
        .acknowledge(&handles[..25])
        .await
        .iter()
        .all(Result::is_ok));

    let counts = q.requests();
    assert_eq!(
        counts,
        RequestCounts {
            receive_message: receives,
            delete_message_batch: 3,
            change_message_visibility_batch: 3,
            change_message_visibility: 1,
            send_message: 1,
            send_message_batch: 3,
            get_object: 0,
            list_objects_v2: 0,
        }
    );
    assert!(receives >= 3);
    // Clones share the counters.
    assert_eq!(q.clone().requests(), counts);
}

#[tokio::test]
async fn draining_twenty_objects_is_counted_and_batched() {
    let w = MotoWorld::start("events").await;
    for i in 0..20 {
        let body = format!("{{\"marker\":\"m-{i}\",\"time\":\"2026-11-26T08:00:00Z\"}}\n");
        w.clients
            .s3
            .put_object()
            .bucket(&w.bucket)
            .key(format!("app/{i}.ndjson"))
            .body(ByteStream::from(body.into_bytes()))
            .send()
            .await
            .unwrap();
    }
    // Every notification (and moto's s3:TestEvent) is in the queue before the run starts.
    let expected_messages = w.moto.queue_counts(&w.clients, &w.queue_url).await.0;
    assert!(expected_messages >= 20, "{expected_messages}");

    let config = w
        .config()
        .log_source("generic")
        .visibility_timeout(Duration::from_secs(60))
        .build()
        .unwrap();
    let connector = Connector::new(config).await.unwrap();
    let common::Drained { stats, sink, .. } =
        common::drain(&connector, "generic", Duration::from_secs(1)).await;
    assert_eq!(sink.records().len(), 20, "{stats:?}");
    assert_eq!(stats.messages_acknowledged, expected_messages, "{stats:?}");

    let r = connector.requests();
    eprintln!("{expected_messages} messages: {r}");
    assert_eq!(r.get_object, 20, "one GetObject per object: {r}");
    // Deletes go in batches: never fewer calls than ⌈messages / 10⌉, never one per message.
    let min_batches = expected_messages.div_ceil(10);
    assert!(r.delete_message_batch >= min_batches, "{r}");
    assert!(r.delete_message_batch < expected_messages, "{r}");
    // At least ⌈messages / 10⌉ receives with messages, plus the empty one that ends the drain.
    assert!(r.receive_message > min_batches, "{r}");
    assert!(r.receive_message <= expected_messages + 1, "{r}");
    // Nothing was held for a third of the 60 s lease, kept or released.
    assert_eq!(r.change_message_visibility_batch, 0, "{r}");
    assert_eq!(r.change_message_visibility, 0, "{r}");
    assert_eq!(r.send_message + r.send_message_batch, 0, "{r}");
}
