//! Real S3 event notifications delivered to SQS (moto), configured through the SDK.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_s3::primitives::ByteStream;
use common::MotoWorld;
use s3conn_aws::{S3ObjectStore, SqsQueue};
use s3conn_core::{AckHandle, ObjectRef, ObjectStoreExt, Queue};
use serde_json::Value;

/// How S3 notifications encode keys: form-urlencoded, `+` for a space.
fn decode_key(k: &str) -> String {
    let spaced = k.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8()
        .unwrap()
        .into_owned()
}

#[tokio::test]
async fn bucket_notifications_arrive_with_test_event_first_and_encoded_keys() {
    let w = MotoWorld::start("events").await;

    let queue = SqsQueue::new(w.clients.sqs.clone(), w.queue_url);
    let first = queue
        .receive(10, Duration::from_secs(5), Duration::from_secs(60))
        .await
        .unwrap();
    assert_eq!(
        first.len(),
        1,
        "only the test event before any upload: {first:?}"
    );
    let test_event: Value = serde_json::from_str(&first[0].body).unwrap();
    assert_eq!(test_event["Event"], "s3:TestEvent", "{test_event}");
    assert_eq!(test_event["Bucket"], w.bucket.as_str());
    let mut handles: Vec<AckHandle> = vec![first[0].handle.clone()];

    let keys = ["plain.log", "a b.log", "x+y.log", "dir/ünï 日本.json.gz"];
    for key in keys {
        w.clients
            .s3
            .put_object()
            .bucket(&w.bucket)
            .key(key)
            .body(ByteStream::from(format!("content of {key}\n").into_bytes()))
            .send()
            .await
            .unwrap();
    }

    let mut seen: BTreeMap<String, Value> = BTreeMap::new();
    for _ in 0..10 {
        if seen.len() == keys.len() {
            break;
        }
        for m in queue
            .receive(10, Duration::from_secs(2), Duration::from_secs(60))
            .await
            .unwrap()
        {
            handles.push(m.handle.clone());
            let v: Value = serde_json::from_str(&m.body).unwrap();
            for r in v["Records"].as_array().unwrap() {
                assert!(
                    r["eventName"]
                        .as_str()
                        .unwrap()
                        .starts_with("ObjectCreated:"),
                    "{r}"
                );
                assert_eq!(r["s3"]["bucket"]["name"], w.bucket.as_str());
                let raw = r["s3"]["object"]["key"].as_str().unwrap().to_string();
                seen.insert(raw, r.clone());
            }
        }
    }
    let raw_keys: Vec<&String> = seen.keys().collect();
    assert_eq!(seen.len(), keys.len(), "{raw_keys:?}");
    // Keys are URL-encoded: a space as `+`, a literal plus as `%2B`; moto also encodes `/`.
    assert!(seen.contains_key("a+b.log"), "{raw_keys:?}");
    assert!(seen.contains_key("x%2By.log"), "{raw_keys:?}");
    assert!(!seen.contains_key("dir/ünï 日本.json.gz"), "{raw_keys:?}");
    let decoded: Vec<String> = seen.keys().map(|k| decode_key(k)).collect();
    for key in keys {
        assert!(
            decoded.contains(&key.to_string()),
            "{key} not in {decoded:?}"
        );
    }

    // Every notification names an object the store reads, pinned by its eTag.
    let store = S3ObjectStore::new(w.clients.s3.clone()).with_allowed_buckets([w.bucket.clone()]);
    for (raw, record) in &seen {
        let key = decode_key(raw);
        let mut loc = ObjectRef::new(&w.bucket, &key);
        loc.etag = record["s3"]["object"]["eTag"].as_str().map(str::to_string);
        loc.size = record["s3"]["object"]["size"].as_u64();
        assert!(loc.etag.is_some(), "{record}");
        let (meta, bytes) = store.get_bytes(&loc).await.unwrap();
        assert_eq!(bytes, format!("content of {key}\n").as_bytes());
        assert_eq!(Some(meta.size), loc.size);
        assert!(record["eventTime"].as_str().is_some());
    }

    let acked = queue.acknowledge(&handles).await;
    assert!(acked.iter().all(Result::is_ok), "{acked:?}");
    assert!(
        queue
            .receive(10, Duration::from_secs(1), Duration::from_secs(60))
            .await
            .unwrap()
            .is_empty(),
        "queue drained"
    );
}
