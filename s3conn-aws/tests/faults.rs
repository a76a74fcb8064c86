//! Real SDK clients against a scripted HTTP server: throttling, server errors, dropped connections
//! and truncated bodies are classified and retried with backoff, permanent errors are not.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use common::fake::{FakeServer, Reply};
use futures::StreamExt;
use s3conn_aws::{
    AwsClients, ConnectorConfig, RetryPolicies, RetryPolicy, S3ObjectStore, SqsQueue,
};
use s3conn_core::{
    AckHandle, Classify, ObjectRef, ObjectStore, ObjectStoreExt, Queue, QueueError, StoreError,
};

fn fast(attempts: u32) -> RetryPolicy {
    RetryPolicy::new(
        attempts,
        Duration::from_millis(20),
        Duration::from_millis(80),
    )
}

async fn clients(server: &FakeServer) -> (ConnectorConfig, AwsClients) {
    let config = ConnectorConfig::builder()
        .name("faults")
        .log_source("x")
        .region("us-east-1")
        .sqs_queue_url(format!("{}/123456789012/q", server.endpoint))
        .allow_http(true)
        .static_credentials("AKIDEXAMPLE", "secret")
        .build()
        .unwrap();
    let clients = config.clients().await;
    (config, clients)
}

#[tokio::test]
async fn get_retries_throttling_errors_and_dropped_connections_then_succeeds() {
    let server = FakeServer::start(vec![
        Reply::s3_error(503, "SlowDown"),
        Reply::s3_error(500, "InternalError"),
        Reply::Drop,
        Reply::object(b"hello"),
    ])
    .await;
    let (_, clients) = clients(&server).await;
    let store = S3ObjectStore::new(clients.s3.clone()).with_retry(fast(5));
    let started = Instant::now();
    let (meta, bytes) = store
        .get_bytes(&ObjectRef::new("bucket", "a key+x"))
        .await
        .unwrap();
    assert_eq!(&bytes[..], b"hello");
    assert_eq!(
        meta.etag.as_deref(),
        Some("0123456789abcdef0123456789abcdef")
    );
    assert_eq!(store.retries(), 3);
    let seen = server.seen();
    assert_eq!(seen.len(), 4, "{seen:?}");
    // Path-style, key percent-encoded.
    assert!(
        seen[0].line.starts_with("GET /bucket/a%20key%2Bx"),
        "{}",
        seen[0].line
    );
    // Three backoffs of at least half their ceiling: no tight loop.
    assert!(
        started.elapsed() >= Duration::from_millis(40),
        "{:?}",
        started.elapsed()
    );
}

#[tokio::test]
async fn retries_are_bounded() {
    let server = FakeServer::start(vec![Reply::s3_error(503, "SlowDown"); 10]).await;
    let (_, clients) = clients(&server).await;
    let store = S3ObjectStore::new(clients.s3.clone()).with_retry(fast(3));
    let e = store
        .get(&ObjectRef::new("bucket", "k"))
        .await
        .expect_err("throttled");
    assert!(matches!(e, StoreError::Throttled(_)), "{e}");
    assert!(e.to_string().contains("SlowDown"), "{e}");
    assert_eq!(server.seen().len(), 3);
    assert_eq!(store.retries(), 2);
}

#[tokio::test]
async fn permanent_errors_are_not_retried() {
    let cases = [
        (403, "AccessDenied"),
        (404, "NoSuchKey"),
        (412, "PreconditionFailed"),
        (403, "InvalidAccessKeyId"),
        (400, "InvalidArgument"),
    ];
    for (status, code) in cases {
        let server =
            FakeServer::start(vec![Reply::s3_error(status, code), Reply::object(b"no")]).await;
        let (_, clients) = clients(&server).await;
        let store = S3ObjectStore::new(clients.s3.clone()).with_retry(fast(5));
        let mut loc = ObjectRef::new("bucket", "k");
        loc.etag = Some("abc".into());
        let e = store.get(&loc).await.expect_err(code);
        let ok = match code {
            "AccessDenied" => matches!(e, StoreError::PermissionDenied(_)),
            "NoSuchKey" => matches!(e, StoreError::NotFound(_)),
            "PreconditionFailed" => matches!(e, StoreError::PreconditionFailed(_)),
            "InvalidAccessKeyId" => matches!(e, StoreError::Unauthenticated(_)),
            _ => matches!(e, StoreError::Configuration(_)),
        };
        assert!(ok, "{code}: {e}");
        assert!(!e.is_retryable());
        assert_eq!(server.seen().len(), 1, "{code} must not be retried");
    }
}

#[tokio::test]
async fn truncated_body_ends_the_stream_with_a_retryable_error() {
    let server = FakeServer::start(vec![Reply::Truncated {
        content_length: 100,
        headers: vec![("ETag".into(), "\"e\"".into())],
        body: vec![b'x'; 40],
    }])
    .await;
    let (_, clients) = clients(&server).await;
    let store = S3ObjectStore::new(clients.s3.clone()).with_retry(fast(1));
    let got = store.get(&ObjectRef::new("bucket", "k")).await.unwrap();
    assert_eq!(got.meta.size, 100);
    let items: Vec<_> = got.body.collect().await;
    let last = items.last().expect("an item");
    let e = last.as_ref().expect_err("truncated");
    assert!(matches!(e, StoreError::Transient(_)), "{e}");
    let bytes: usize = items
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|b| b.len())
        .sum();
    assert!(bytes <= 40);
}

#[tokio::test]
async fn receive_retries_server_errors_and_reads_the_receive_count() {
    let server = FakeServer::start(vec![
        Reply::sqs_error(500, "InternalFailure"),
        Reply::sqs_ok(
            r#"{"Messages":[{"MessageId":"m1","ReceiptHandle":"r1","Body":"{}","Attributes":{"ApproximateReceiveCount":"3"}}]}"#,
        ),
    ])
    .await;
    let (config, clients) = clients(&server).await;
    let retry = RetryPolicies {
        receive: fast(3),
        ..Default::default()
    };
    let q = config.queue(&clients).with_retry(retry);
    let got = q
        .receive(10, Duration::from_secs(1), config.visibility_timeout)
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert_eq!(got[0].attempt, 3);
    assert_eq!(got[0].handle, AckHandle("r1".into()));
    assert_eq!(q.retries(), 1);
    let seen = server.seen();
    assert!(
        seen[1].body.contains("\"VisibilityTimeout\":60"),
        "{}",
        seen[1].body
    );
    assert!(
        seen[1].body.contains("\"WaitTimeSeconds\":1"),
        "{}",
        seen[1].body
    );
}

#[tokio::test]
async fn delete_batch_retries_only_failed_entries() {
    let server = FakeServer::start(vec![
        Reply::sqs_ok(
            r#"{"Successful":[{"Id":"0"}],"Failed":[{"Id":"1","SenderFault":false,"Code":"InternalError"},{"Id":"2","SenderFault":true,"Code":"ReceiptHandleIsInvalid"}]}"#,
        ),
        Reply::sqs_ok(r#"{"Successful":[{"Id":"1"}],"Failed":[]}"#),
    ])
    .await;
    let (config, clients) = clients(&server).await;
    let retry = RetryPolicies {
        acknowledge: fast(3),
        ..Default::default()
    };
    let q: SqsQueue = config.queue(&clients).with_retry(retry);
    let handles = [
        AckHandle("a".into()),
        AckHandle("b".into()),
        AckHandle("c".into()),
    ];
    let r = q.acknowledge(&handles).await;
    assert!(r.iter().all(Result::is_ok), "{r:?}");
    let seen = server.seen();
    assert_eq!(seen.len(), 2);
    assert!(
        seen[1].body.contains("\"b\"") && !seen[1].body.contains("\"a\""),
        "{}",
        seen[1].body
    );
}

#[tokio::test]
async fn throttled_extend_fails_each_entry_after_bounded_retries() {
    let server = FakeServer::start(vec![Reply::sqs_error(400, "RequestThrottled"); 5]).await;
    let (config, clients) = clients(&server).await;
    let retry = RetryPolicies {
        extend: fast(2),
        ..Default::default()
    };
    let q = config.queue(&clients).with_retry(retry);
    let r = q
        .extend(
            &[AckHandle("a".into()), AckHandle("b".into())],
            Duration::from_secs(60),
        )
        .await;
    assert!(
        r.iter().all(|e| matches!(e, Err(QueueError::Throttled(_)))),
        "{r:?}"
    );
    assert_eq!(server.seen().len(), 2);
}

#[tokio::test]
async fn a_slow_reader_is_not_mistaken_for_a_stalled_download() {
    // 16 MiB: more than the socket buffers hold, so the server really waits for the reader.
    let body: Vec<u8> = (0..16 * 1024 * 1024u32).map(|i| (i % 253) as u8).collect();
    let server = FakeServer::start(vec![Reply::object(&body)]).await;
    let (_, clients) = clients(&server).await;
    let store = S3ObjectStore::new(clients.s3.clone()).with_retry(fast(1));
    let got = store.get(&ObjectRef::new("bucket", "k")).await.unwrap();
    let mut stream = got.body;
    let first = stream.next().await.unwrap().unwrap();
    // The consumer (a slow sink) does not poll for longer than the SDK's 5 s stall grace period.
    tokio::time::sleep(Duration::from_secs(7)).await;
    let mut n = first.len();
    while let Some(chunk) = stream.next().await {
        n += chunk.unwrap().len();
    }
    assert_eq!(n, body.len());
}
