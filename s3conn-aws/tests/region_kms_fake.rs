//! Canned S3 answers moto does not give: a bucket in another region answering 301
//! `PermanentRedirect` (moto serves every region from one endpoint), and an SSE-KMS object whose
//! key the reader may not use (the body shape of AWS's `AccessDenied` for `kms:Decrypt`).
#![allow(missing_docs, clippy::unwrap_used)]

mod common;

use common::fake::{FakeServer, Reply};
use s3conn_aws::connectivity::CheckOutcome;
use s3conn_aws::{check_connectivity, ConnectorConfig, S3ObjectStore};
use s3conn_core::store::ObjectStoreExt;
use s3conn_core::{ObjectRef, StoreError};

fn config(endpoint: &str, bucket: &str) -> ConnectorConfig {
    ConnectorConfig::builder()
        .name("fake")
        .log_source("generic")
        .region("us-east-1")
        .sqs_queue_url(format!("{endpoint}/123456789012/q"))
        .allow_http(true)
        .static_credentials("AKIDFAKE", "secret")
        .buckets([bucket])
        .build()
        .unwrap()
}

async fn store(server: &FakeServer) -> S3ObjectStore {
    let c = config(&server.endpoint, "b");
    let clients = c.clients().await;
    c.store(&clients)
}

/// S3's redirect: status 301, the bucket's region in a header, and an XML body.
fn redirect(region: Option<&str>) -> Reply {
    let mut headers = vec![("Content-Type".to_string(), "application/xml".to_string())];
    if let Some(r) = region {
        headers.push(("x-amz-bucket-region".to_string(), r.to_string()));
    }
    Reply::Full {
        status: 301,
        headers,
        body: b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>PermanentRedirect</Code><Message>The bucket you are attempting to access must be addressed using the specified endpoint. Please send all future requests to this endpoint.</Message><Endpoint>b.s3.amazonaws.com</Endpoint><Bucket>b</Bucket><RequestId>1</RequestId><HostId>h</HostId></Error>".to_vec(),
    }
}

/// The SigV4 signing region of a recorded request.
fn signing_region(head: &str) -> String {
    let scope = head.split("Credential=").nth(1).unwrap();
    scope.split('/').nth(2).unwrap().to_string()
}

#[tokio::test]
async fn a_redirect_is_followed_to_the_region_s3_names_and_remembered() {
    let server = FakeServer::start(vec![
        redirect(Some("eu-west-1")),
        Reply::object(b"first"),
        Reply::object(b"second"),
    ])
    .await;
    let store = store(&server).await;
    let (_, got) = store.get_bytes(&ObjectRef::new("b", "k1")).await.unwrap();
    assert_eq!(&got[..], b"first");
    // The second object of the bucket goes to its region at once.
    let (_, got) = store.get_bytes(&ObjectRef::new("b", "k2")).await.unwrap();
    assert_eq!(&got[..], b"second");

    let seen = server.seen();
    let regions: Vec<String> = seen.iter().map(|s| signing_region(&s.head)).collect();
    assert_eq!(
        regions,
        vec!["us-east-1", "eu-west-1", "eu-west-1"],
        "{seen:?}"
    );
    assert_eq!(
        store.bucket_clients().discovered("b").as_deref(),
        Some("eu-west-1")
    );
}

#[tokio::test]
async fn a_redirect_without_a_region_asks_head_bucket() {
    let server = FakeServer::start(vec![
        redirect(None),
        // HeadBucket answers with the header.
        Reply::Full {
            status: 301,
            headers: vec![("x-amz-bucket-region".into(), "ap-southeast-2".into())],
            body: Vec::new(),
        },
        Reply::object(b"body"),
    ])
    .await;
    let store = store(&server).await;
    let (_, got) = store.get_bytes(&ObjectRef::new("b", "k")).await.unwrap();
    assert_eq!(&got[..], b"body");
    let seen = server.seen();
    assert!(seen[1].line.starts_with("HEAD /b"), "{seen:?}");
    assert_eq!(signing_region(&seen[2].head), "ap-southeast-2");
}

#[tokio::test]
async fn the_notification_region_is_used_without_a_redirect() {
    let server = FakeServer::start(vec![Reply::object(b"body")]).await;
    let store = store(&server).await;
    let at = ObjectRef::new("b", "k").in_region("eu-central-1");
    assert_eq!(&store.get_bytes(&at).await.unwrap().1[..], b"body");
    assert_eq!(signing_region(&server.seen()[0].head), "eu-central-1");
}

#[tokio::test]
async fn a_redirect_to_nowhere_is_a_configuration_error() {
    let server = FakeServer::start(vec![
        redirect(None),
        Reply::Full {
            status: 403,
            headers: Vec::new(),
            body: Vec::new(),
        },
    ])
    .await;
    let store = store(&server).await;
    let err = store
        .get_bytes(&ObjectRef::new("b", "k"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Configuration(_)), "{err}");
    assert!(err.to_string().contains("s3://b/k"), "{err}");
}

/// AWS's answer to a GetObject of an SSE-KMS object whose key the caller may not use.
fn kms_denied() -> Reply {
    Reply::Full {
        status: 403,
        headers: vec![("Content-Type".into(), "application/xml".into())],
        body: b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>AccessDenied</Code><Message>User: arn:aws:sts::111122223333:assumed-role/s3conn-reader/s3conn-trail is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab because no identity-based policy allows the kms:Decrypt action</Message><RequestId>R</RequestId><HostId>H</HostId></Error>".to_vec(),
    }
}

#[tokio::test]
async fn test_recognises_a_kms_denial_and_says_so() {
    let list = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Name>trail</Name><Prefix></Prefix><KeyCount>1</KeyCount><MaxKeys>1</MaxKeys><IsTruncated>false</IsTruncated><Contents><Key>AWSLogs/a.json.gz</Key><LastModified>2026-11-30T00:00:00.000Z</LastModified><ETag>&quot;abc&quot;</ETag><Size>10</Size><StorageClass>STANDARD</StorageClass></Contents></ListBucketResult>";
    let server = FakeServer::start(vec![
        Reply::sqs_ok("{\"Messages\":[]}"),
        Reply::Full {
            status: 200,
            headers: vec![("Content-Type".into(), "application/xml".into())],
            body: list.as_bytes().to_vec(),
        },
        kms_denied(),
    ])
    .await;
    let report = check_connectivity(&config(&server.endpoint, "trail")).await;
    assert!(!report.success, "{report}");
    let failed: Vec<_> = report
        .checks
        .iter()
        .filter_map(|c| match &c.outcome {
            CheckOutcome::Failed(f) => Some((c.permission.as_str(), c.resource.as_str(), f)),
            _ => None,
        })
        .collect();
    assert_eq!(failed.len(), 1, "{report}");
    let (permission, resource, f) = failed[0];
    assert_eq!((permission, resource), ("kms:Decrypt", "s3://trail"));
    assert!(f.kms_denied);
    let text = report.to_string();
    assert!(text.contains("403 KMS key access denied"), "{text}");
    assert!(text.contains("grant kms:Decrypt on the key"), "{text}");
}

#[tokio::test]
async fn a_kms_denial_while_collecting_says_kms() {
    let server = FakeServer::start(vec![kms_denied()]).await;
    let store = store(&server).await;
    let err = store
        .get_bytes(&ObjectRef::new("b", "k"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::PermissionDenied(_)), "{err}");
    assert!(
        err.to_string().contains("SSE-KMS: grant kms:Decrypt"),
        "{err}"
    );
}
