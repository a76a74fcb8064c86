//! `SqsDeadLetterSink` against a real SQS API (moto): every item arrives as one JSON message with its
//! reason, object, position and base64 raw bytes; oversized items are cut to fit; a missing queue
//! is a permanent failure.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use common::{unique, Moto};
use s3conn_aws::{SqsDeadLetterSink, SqsQueue};
use s3conn_core::sink::{DeadLetter, DeadLetterKind, DeadLetterSink, SinkError};
use s3conn_core::store::ObjectRef;
use s3conn_core::Queue;

fn item(n: usize, raw: Vec<u8>) -> DeadLetter {
    DeadLetter {
        kind: DeadLetterKind::Record,
        reason: format!("bad record {n}"),
        object: Some(ObjectRef::new("bucket", format!("key {n}.json"))),
        message_id: Some(format!("m{n}")),
        line: Some(n as u64 + 1),
        offset: Some(n as u64 * 10),
        ordinal: Some(n as u64),
        raw,
    }
}

#[tokio::test]
async fn every_dead_letter_becomes_one_message() {
    let moto = Moto::start();
    let clients = moto.clients().await;
    let url = moto.create_queue(&clients, &unique("dlq")).await;
    let queue = Arc::new(SqsQueue::new(clients.sqs.clone(), url));
    let dead = SqsDeadLetterSink::new(queue.clone());
    // 23 items: three batches; one of 300 KiB that must be cut to fit a message.
    let mut items: Vec<DeadLetter> = (0..22)
        .map(|n| item(n, format!("{{\"broken\":{n}").into_bytes()))
        .collect();
    items.push(item(22, vec![b'z'; 300 * 1024]));
    dead.dead_letter(&items).await.unwrap();

    let mut got: BTreeMap<String, serde_json::Value> = BTreeMap::new();
    loop {
        let batch = queue
            .receive(10, Duration::from_secs(1), Duration::from_secs(30))
            .await
            .unwrap();
        if batch.is_empty() {
            break;
        }
        for m in batch {
            let v: serde_json::Value = serde_json::from_str(&m.body).unwrap();
            got.insert(v["reason"].as_str().unwrap().to_owned(), v);
        }
    }
    assert_eq!(got.len(), 23, "{:?}", got.keys());
    let v = &got["bad record 3"];
    assert_eq!(v["kind"], "record");
    assert_eq!(v["object"]["bucket"], "bucket");
    assert_eq!(v["object"]["key"], "key 3.json");
    assert_eq!(v["message_id"], "m3");
    assert_eq!(v["line"], 4);
    assert_eq!(v["offset"], 30);
    assert_eq!(v["raw"], "eyJicm9rZW4iOjM="); // base64 of {"broken":3
    assert!(v.get("raw_truncated").is_none());
    let big = &got["bad record 22"];
    assert_eq!(big["raw_truncated"], true);
    assert_eq!(big["raw_len"], 300 * 1024 / 3 * 4);
    let raw = big["raw"].as_str().unwrap();
    assert!(raw.len().is_multiple_of(4) && raw.len() > 200 * 1024 && raw.starts_with("enp6"));
}

#[tokio::test]
async fn a_missing_queue_is_a_permanent_failure() {
    let moto = Moto::start();
    let clients = moto.clients().await;
    let url = format!("{}/123456789012/{}", moto.endpoint, unique("absent"));
    let queue = Arc::new(
        SqsQueue::new(clients.sqs.clone(), url).with_retry(s3conn_aws::RetryPolicies::none()),
    );
    let e = SqsDeadLetterSink::new(queue)
        .dead_letter(&[item(0, b"x".to_vec())])
        .await
        .expect_err("no such queue");
    assert!(matches!(e, SinkError::Rejected(_)), "{e}");
}
