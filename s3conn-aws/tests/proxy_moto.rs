//! The fault-injecting proxy in front of moto, scripted: each fault reaches the real SDK clients
//! as the failure it imitates (throttled, transient, reset, truncated), is retried, and counted.
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use std::time::{Duration, Instant};

use aws_sdk_s3::primitives::ByteStream;
use common::{unique, Fault, FaultProxy, Moto, REGION};
use futures::StreamExt;
use s3conn_aws::{ConnectorConfig, RetryPolicies, RetryPolicy, S3ObjectStore};
use s3conn_core::{ObjectRef, ObjectStore, ObjectStoreExt, Queue, StoreError};

fn fast(attempts: u32) -> RetryPolicy {
    RetryPolicy::new(
        attempts,
        Duration::from_millis(20),
        Duration::from_millis(80),
    )
}

#[tokio::test]
async fn scripted_faults_reach_the_sdk_as_what_they_imitate() {
    let moto = Moto::start();
    let direct = moto.clients().await;
    let bucket = unique("bucket");
    moto.create_bucket(&direct, &bucket).await;
    let body: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    direct
        .s3
        .put_object()
        .bucket(&bucket)
        .key("k")
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .unwrap();
    let queue_url = moto.create_queue(&direct, &unique("q")).await;

    let proxy = FaultProxy::scripted(
        moto.port,
        vec![
            // S3 GET: throttled, 500, reset, stalled, then served.
            Some(Fault::SlowDown),
            Some(Fault::ServerError),
            Some(Fault::Reset),
            Some(Fault::Stall(Duration::from_millis(300))),
            // S3 GET: truncated body.
            Some(Fault::Truncate),
            // SQS SendMessage: throttled, reset, then sent.
            Some(Fault::Throttle),
            Some(Fault::Reset),
            None,
        ],
    )
    .await;
    let config = ConnectorConfig::builder()
        .name("proxy-test")
        .region(REGION)
        .sqs_queue_url(&queue_url)
        .endpoint_url(proxy.endpoint.clone())
        .allow_http(true)
        .static_credentials("testing", "testing")
        .log_source("test")
        .build()
        .unwrap();
    let clients = config.clients().await;

    let store = S3ObjectStore::new(clients.s3.clone()).with_retry(fast(5));
    let started = Instant::now();
    let (_, got) = store
        .get_bytes(&ObjectRef::new(&bucket, "k"))
        .await
        .unwrap();
    assert_eq!(&got[..], &body[..]);
    assert_eq!(store.retries(), 3, "SlowDown, 500 and reset retried");
    assert!(started.elapsed() >= Duration::from_millis(300), "stalled");

    let truncated = store.get(&ObjectRef::new(&bucket, "k")).await.unwrap();
    let items: Vec<_> = truncated.body.collect().await;
    let e = items.last().unwrap().as_ref().expect_err("truncated body");
    assert!(matches!(e, StoreError::Transient(_)), "{e}");

    let queue = config.queue(&clients).with_retry(RetryPolicies {
        send: fast(5),
        ..RetryPolicies::default()
    });
    queue.send("{\"hello\":1}").await.unwrap();
    assert_eq!(queue.retries(), 2, "throttle and reset retried");
    let received = queue
        .receive(10, Duration::from_secs(1), Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(received.len(), 1);

    let stats = proxy.stats();
    assert_eq!(stats.total_injected(), 7, "{stats:?}");
    assert_eq!(stats.failures(), 6);
    assert_eq!(stats.injected_by_operation["s3:GET/truncate"], 1);
    assert_eq!(stats.injected_by_operation["sqs:SendMessage/throttle"], 1);
    assert_eq!(stats.by_operation["s3:GET"], 5);
    assert_eq!(stats.by_operation["sqs:SendMessage"], 3);
}
