//! Conformance of `S3ObjectStore` with the `ObjectStore` contract, against a real S3 API (moto).
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use common::{unique, Moto};
use futures::StreamExt;
use s3conn_aws::{AwsClients, S3ObjectStore};
use s3conn_core::{Classify, ObjectRef, ObjectStore, ObjectStoreExt, StoreError};

async fn setup(moto: &Moto) -> (AwsClients, String, S3ObjectStore) {
    let clients = moto.clients().await;
    let bucket = unique("bucket");
    moto.create_bucket(&clients, &bucket).await;
    let store = S3ObjectStore::new(clients.s3.clone());
    (clients, bucket, store)
}

#[tokio::test]
async fn streamed_get_returns_every_byte_and_the_metadata() {
    let moto = Moto::start();
    let (clients, bucket, store) = setup(&moto).await;
    let body: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    clients
        .s3
        .put_object()
        .bucket(&bucket)
        .key("logs/big.json.gz")
        .content_type("application/json")
        .content_encoding("gzip")
        .body(ByteStream::from(body.clone()))
        .send()
        .await
        .unwrap();
    let head = clients
        .s3
        .head_object()
        .bucket(&bucket)
        .key("logs/big.json.gz")
        .send()
        .await
        .unwrap();
    let etag = head.e_tag().unwrap().trim_matches('"').to_string();

    let got = store
        .get(&ObjectRef::new(&bucket, "logs/big.json.gz"))
        .await
        .unwrap();
    assert_eq!(got.meta.size, body.len() as u64);
    assert_eq!(got.meta.etag.as_deref(), Some(etag.as_str()));
    assert!(!etag.contains('"'));
    assert_eq!(got.meta.content_type.as_deref(), Some("application/json"));
    assert_eq!(got.meta.content_encoding.as_deref(), Some("gzip"));
    assert!(got.meta.last_modified_ms.unwrap() > 1_600_000_000_000);
    let mut stream = got.body;
    let mut read = Vec::new();
    let mut chunks = 0;
    while let Some(chunk) = stream.next().await {
        read.extend_from_slice(&chunk.unwrap());
        chunks += 1;
    }
    assert_eq!(read.len(), body.len());
    assert!(read == body, "content differs");
    assert!(chunks >= 1);
}

#[tokio::test]
async fn exact_version_of_a_versioned_bucket() {
    let moto = Moto::start();
    let (clients, bucket, store) = setup(&moto).await;
    clients
        .s3
        .put_bucket_versioning()
        .bucket(&bucket)
        .versioning_configuration(
            VersioningConfiguration::builder()
                .status(BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let (_, v1) = moto
        .put(&clients, &bucket, "k.log", b"first\n".to_vec())
        .await;
    let (_, v2) = moto
        .put(&clients, &bucket, "k.log", b"second\n".to_vec())
        .await;
    let (v1, v2) = (v1.unwrap(), v2.unwrap());
    assert_ne!(v1, v2);

    let mut loc = ObjectRef::new(&bucket, "k.log");
    loc.version_id = Some(v1.clone());
    // A stale eTag is ignored when the version is named: the version pins the content.
    loc.etag = Some("0123456789abcdef".into());
    let (meta, bytes) = store.get_bytes(&loc).await.unwrap();
    assert_eq!(&bytes[..], b"first\n");
    assert_eq!(meta.version_id.as_deref(), Some(v1.as_str()));

    let (meta, bytes) = store
        .get_bytes(&ObjectRef::new(&bucket, "k.log"))
        .await
        .unwrap();
    assert_eq!(&bytes[..], b"second\n");
    assert_eq!(meta.version_id.as_deref(), Some(v2.as_str()));

    // A version deleted since the notification is gone.
    clients
        .s3
        .delete_object()
        .bucket(&bucket)
        .key("k.log")
        .version_id(&v1)
        .send()
        .await
        .unwrap();
    let e = store.get_bytes(&loc).await.expect_err("version deleted");
    assert!(matches!(e, StoreError::NotFound(_)), "{e}");
}

#[tokio::test]
async fn overwritten_object_fails_the_etag_precondition() {
    let moto = Moto::start();
    let (clients, bucket, store) = setup(&moto).await;
    let (e1, _) = moto.put(&clients, &bucket, "k", b"one".to_vec()).await;
    let mut loc = ObjectRef::new(&bucket, "k");
    loc.etag = Some(e1.clone());
    assert_eq!(&store.get_bytes(&loc).await.unwrap().1[..], b"one");
    // A quoted eTag works the same.
    loc.etag = Some(format!("\"{e1}\""));
    assert_eq!(&store.get_bytes(&loc).await.unwrap().1[..], b"one");

    let (e2, _) = moto.put(&clients, &bucket, "k", b"two".to_vec()).await;
    assert_ne!(e1, e2);
    let e = store.get(&loc).await.expect_err("overwritten");
    assert!(matches!(e, StoreError::PreconditionFailed(_)), "{e}");
    assert!(!e.is_retryable());
    assert!(e.to_string().contains(&format!("s3://{bucket}/k")), "{e}");
    loc.etag = Some(e2);
    assert_eq!(&store.get_bytes(&loc).await.unwrap().1[..], b"two");
}

#[tokio::test]
async fn deleted_object_and_missing_bucket_are_not_found() {
    let moto = Moto::start();
    let (clients, bucket, store) = setup(&moto).await;
    moto.put(&clients, &bucket, "gone", b"x".to_vec()).await;
    clients
        .s3
        .delete_object()
        .bucket(&bucket)
        .key("gone")
        .send()
        .await
        .unwrap();
    let e = store
        .get(&ObjectRef::new(&bucket, "gone"))
        .await
        .expect_err("deleted");
    assert!(matches!(e, StoreError::NotFound(_)), "{e}");
    let e = store
        .get(&ObjectRef::new("no-such-bucket-s3conn", "k"))
        .await
        .expect_err("no bucket");
    assert!(matches!(e, StoreError::NotFound(_)), "{e}");
    let e = store
        .get(&ObjectRef::new(&bucket, ""))
        .await
        .expect_err("empty key");
    assert!(matches!(e, StoreError::InvalidKey(_)), "{e}");
}

#[tokio::test]
async fn keys_with_spaces_plus_and_unicode() {
    let moto = Moto::start();
    let (clients, bucket, store) = setup(&moto).await;
    let keys = [
        "a b/c d.log",
        "x+y=z.log",
        "dir/ünïcödé 日本語.json",
        "pct%2Fnot-a-slash.txt",
        "sym!$&'()*,;:@~.txt",
        "deep/ly/nested/key.gz",
    ];
    for (i, key) in keys.iter().enumerate() {
        moto.put(&clients, &bucket, key, format!("body {i}").into_bytes())
            .await;
    }
    for (i, key) in keys.iter().enumerate() {
        let (meta, bytes) = store
            .get_bytes(&ObjectRef::new(&bucket, *key))
            .await
            .unwrap();
        assert_eq!(bytes, format!("body {i}").as_bytes(), "{key}");
        assert_eq!(meta.size, bytes.len() as u64);
    }
}

#[tokio::test]
async fn bucket_outside_the_allow_list_is_refused_without_a_request() {
    let moto = Moto::start();
    let (clients, bucket, _) = setup(&moto).await;
    moto.put(&clients, &bucket, "k", b"x".to_vec()).await;
    let store = S3ObjectStore::new(clients.s3.clone()).with_allowed_buckets(["other-bucket"]);
    let e = store
        .get(&ObjectRef::new(&bucket, "k"))
        .await
        .expect_err("not allowed");
    assert!(matches!(e, StoreError::Configuration(_)), "{e}");
    let store = S3ObjectStore::new(clients.s3.clone()).with_allowed_buckets([bucket.clone()]);
    assert_eq!(
        &store
            .get_bytes(&ObjectRef::new(&bucket, "k"))
            .await
            .unwrap()
            .1[..],
        b"x"
    );
}

#[tokio::test]
async fn unreachable_endpoint_is_a_retryable_connection_failure() {
    // A port nothing listens on (bound and released at once).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let config = s3conn_aws::ConnectorConfig::builder()
        .name("t")
        .log_source("x")
        .region(common::REGION)
        .sqs_queue_url(format!("http://127.0.0.1:{port}/{}/q", common::ACCOUNT))
        .allow_http(true)
        .static_credentials("testing", "testing")
        .build()
        .unwrap();
    let clients = config.clients().await;
    let store = S3ObjectStore::new(clients.s3.clone()).with_retry(s3conn_aws::RetryPolicy::new(
        2,
        std::time::Duration::from_millis(10),
        std::time::Duration::from_millis(20),
    ));
    let e = store
        .get(&ObjectRef::new("b", "k"))
        .await
        .expect_err("refused");
    assert!(matches!(e, StoreError::Transient(_)), "{e}");
    assert!(e.to_string().contains("connection failed"), "{e}");
    assert_eq!(store.retries(), 1);
}
