//! `S3ObjectStore` against a real S3 API (moto): the `ObjectStore` contract suite on a plain and
//! a versioned bucket, plus what only S3 does (metadata headers, quoted eTags, key checks, the
//! bucket allow-list, connection failures).
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketVersioningStatus, VersioningConfiguration};
use common::{unique, Moto};
use s3conn_aws::{AwsClients, S3ObjectStore};
use s3conn_core::testing::{store_conformance, StoreConformance, StoreFixture};
use s3conn_core::{ObjectRef, ObjectStore, ObjectStoreExt, StoreError};

async fn setup(moto: &Moto) -> (AwsClients, String, S3ObjectStore) {
    let clients = moto.clients().await;
    let bucket = unique("bucket");
    moto.create_bucket(&clients, &bucket).await;
    let store = S3ObjectStore::new(clients.s3.clone());
    (clients, bucket, store)
}

/// An S3 store on one moto bucket.
struct MotoStore {
    moto: Moto,
    clients: AwsClients,
    bucket: String,
    store: S3ObjectStore,
    versioned: bool,
}

impl MotoStore {
    async fn start(versioned: bool) -> Self {
        let moto = Moto::start();
        let (clients, bucket, store) = setup(&moto).await;
        if versioned {
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
        }
        MotoStore {
            moto,
            clients,
            bucket,
            store,
            versioned,
        }
    }
}

#[async_trait]
impl StoreFixture for MotoStore {
    fn store(&self) -> &dyn ObjectStore {
        &self.store
    }
    fn bucket(&self) -> &str {
        &self.bucket
    }
    fn versioned(&self) -> bool {
        self.versioned
    }
    async fn put(&self, key: &str, data: Vec<u8>) {
        self.moto.put(&self.clients, &self.bucket, key, data).await;
    }
    async fn delete(&self, key: &str, version_id: Option<&str>) {
        self.clients
            .s3
            .delete_object()
            .bucket(&self.bucket)
            .key(key)
            .set_version_id(version_id.map(str::to_owned))
            .send()
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn s3_store_keeps_the_store_contract() {
    let store = MotoStore::start(false).await;
    store_conformance(&store, &StoreConformance::default()).await;
}

#[tokio::test]
async fn s3_store_keeps_the_store_contract_on_a_versioned_bucket() {
    let store = MotoStore::start(true).await;
    store_conformance(&store, &StoreConformance::default()).await;
}

#[tokio::test]
async fn get_reports_the_object_headers() {
    let moto = Moto::start();
    let (clients, bucket, store) = setup(&moto).await;
    clients
        .s3
        .put_object()
        .bucket(&bucket)
        .key("logs/big.json.gz")
        .content_type("application/json")
        .content_encoding("gzip")
        .body(ByteStream::from(b"0123456789".to_vec()))
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

    let (meta, bytes) = store
        .get_bytes(&ObjectRef::new(&bucket, "logs/big.json.gz"))
        .await
        .unwrap();
    assert_eq!(&bytes[..], b"0123456789");
    assert_eq!(meta.etag.as_deref(), Some(etag.as_str()));
    assert_eq!(meta.content_type.as_deref(), Some("application/json"));
    assert_eq!(meta.content_encoding.as_deref(), Some("gzip"));
    assert!(meta.last_modified_ms.unwrap() > 1_600_000_000_000);
}

#[tokio::test]
async fn quoted_etags_pin_too_and_errors_name_the_object() {
    let moto = Moto::start();
    let (clients, bucket, store) = setup(&moto).await;
    let (e1, _) = moto.put(&clients, &bucket, "k", b"one".to_vec()).await;
    let mut loc = ObjectRef::new(&bucket, "k");
    // A quoted eTag works the same.
    loc.etag = Some(format!("\"{e1}\""));
    assert_eq!(&store.get_bytes(&loc).await.unwrap().1[..], b"one");
    moto.put(&clients, &bucket, "k", b"two".to_vec()).await;
    let e = store.get(&loc).await.expect_err("overwritten");
    assert!(matches!(e, StoreError::PreconditionFailed(_)), "{e}");
    assert!(e.to_string().contains(&format!("s3://{bucket}/k")), "{e}");
}

#[tokio::test]
async fn an_empty_key_is_invalid() {
    let moto = Moto::start();
    let (_, bucket, store) = setup(&moto).await;
    let e = store
        .get(&ObjectRef::new(&bucket, ""))
        .await
        .expect_err("empty key");
    assert!(matches!(e, StoreError::InvalidKey(_)), "{e}");
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
