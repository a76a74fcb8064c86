//! The contract suite of [`ObjectStore`]: reads, eTags, versions and missing objects.

use std::future::Future;
use std::pin::Pin;

use async_trait::async_trait;
use futures::StreamExt;

use crate::error::Classify;
use crate::store::{ObjectRef, ObjectStore, ObjectStoreExt, StoreError};

/// The store [`store_conformance`] reads from, and how to write to and delete from it (which the
/// [`ObjectStore`] trait leaves to each backend).
#[async_trait]
pub trait StoreFixture: Send + Sync {
    /// The store under test.
    fn store(&self) -> &dyn ObjectStore;

    /// A bucket of the store the suite may write to (its keys all start with `conformance/`).
    fn bucket(&self) -> &str;

    /// Whether the store keeps every version of an object, each with its version id.
    fn versioned(&self) -> bool;

    /// Writes `data` as the new content (a new version, when versioned) of `key` in the bucket.
    async fn put(&self, key: &str, data: Vec<u8>);

    /// Deletes `key`: the version `version_id`, or the object when `None`.
    async fn delete(&self, key: &str, version_id: Option<&str>);
}

/// Options of [`store_conformance`].
#[derive(Debug, Clone)]
pub struct StoreConformance {
    /// Size of the object read whole and compared byte for byte (default 3,000,000: several
    /// chunks of any streaming backend).
    pub large_object_bytes: usize,
    /// A bucket the store does not have (default `s3conn-conformance-no-such-bucket`).
    pub missing_bucket: String,
}

impl Default for StoreConformance {
    fn default() -> Self {
        StoreConformance {
            large_object_bytes: 3_000_000,
            missing_bucket: "s3conn-conformance-no-such-bucket".to_owned(),
        }
    }
}

/// Checks the `# Contract` of [`ObjectStore`] on `fixture`'s store; panics on the first breach.
///
/// The scenarios run concurrently on distinct keys: a large object streamed back byte for byte
/// with its size and an unquoted eTag; missing keys, missing buckets and deleted objects are
/// `NotFound`; an eTag pins the content (`PreconditionFailed`, not retryable, once overwritten);
/// when versioned, a version id reads exactly that version whatever the eTag, and a deleted
/// version is `NotFound`; keys with spaces, `+`, `%`, punctuation and non-ASCII letters, read
/// concurrently.
pub async fn store_conformance<F: StoreFixture>(fixture: &F, options: &StoreConformance) {
    let mut scenarios: Vec<Pin<Box<dyn Future<Output = ()> + '_>>> = vec![
        Box::pin(streams_every_byte(fixture, options)),
        Box::pin(missing_is_not_found(fixture, options)),
        Box::pin(etag_pins_the_content(fixture)),
        Box::pin(unusual_keys(fixture)),
    ];
    if fixture.versioned() {
        scenarios.push(Box::pin(version_pins_the_content(fixture)));
    }
    futures::future::join_all(scenarios).await;
}

fn at<F: StoreFixture>(f: &F, key: &str) -> ObjectRef {
    ObjectRef::new(f.bucket(), key)
}

async fn read<F: StoreFixture>(f: &F, location: &ObjectRef) -> (crate::store::ObjectMeta, Vec<u8>) {
    let (meta, bytes) = f
        .store()
        .get_bytes(location)
        .await
        .unwrap_or_else(|e| panic!("reading {location}: {e}"));
    (meta, bytes.to_vec())
}

fn assert_not_found(r: Result<impl std::fmt::Debug, StoreError>, what: &str) {
    assert!(
        matches!(r, Err(StoreError::NotFound(_))),
        "{what}: expected NotFound, got {r:?}"
    );
}

/// A large object comes back whole, with its size, an unquoted eTag and a plausible time.
async fn streams_every_byte<F: StoreFixture>(f: &F, o: &StoreConformance) {
    let key = "conformance/large/big.json.gz";
    let body: Vec<u8> = (0..o.large_object_bytes).map(|i| (i % 251) as u8).collect();
    f.put(key, body.clone()).await;
    let got = f
        .store()
        .get(&at(f, key))
        .await
        .unwrap_or_else(|e| panic!("get {key}: {e}"));
    assert_eq!(got.meta.size, body.len() as u64, "size of the object");
    let etag = got.meta.etag.clone().expect("an eTag");
    assert!(!etag.contains('"'), "eTag without quotes: {etag}");
    if let Some(ms) = got.meta.last_modified_ms {
        assert!(ms > 1_600_000_000_000, "last modified after 2020: {ms}");
    }
    let mut stream = got.body;
    let mut read = Vec::with_capacity(body.len());
    let mut chunks = 0;
    while let Some(chunk) = stream.next().await {
        read.extend_from_slice(&chunk.unwrap_or_else(|e| panic!("reading {key}: {e}")));
        chunks += 1;
    }
    assert_eq!(read.len(), body.len(), "every byte read");
    assert!(read == body, "content as written");
    assert!(chunks >= 1);
}

/// Missing keys, missing buckets and deleted objects are `NotFound`.
async fn missing_is_not_found<F: StoreFixture>(f: &F, o: &StoreConformance) {
    let store = f.store();
    assert_not_found(
        store.get(&at(f, "conformance/missing/never-written")).await,
        "missing key",
    );
    assert_not_found(
        store
            .get(&ObjectRef::new(&o.missing_bucket, "conformance/k"))
            .await,
        "missing bucket",
    );
    let key = "conformance/missing/gone";
    f.put(key, b"x".to_vec()).await;
    assert_eq!(read(f, &at(f, key)).await.1, b"x");
    f.delete(key, None).await;
    assert_not_found(store.get(&at(f, key)).await, "deleted object");
}

/// An eTag names one content: it reads while current, and fails `PreconditionFailed` (permanent)
/// once the object is overwritten; the new eTag reads the new content.
async fn etag_pins_the_content<F: StoreFixture>(f: &F) {
    let key = "conformance/etag/k";
    f.put(key, b"first\n".to_vec()).await;
    let (meta, _) = read(f, &at(f, key)).await;
    let e1 = meta.etag.expect("an eTag");
    let mut loc = at(f, key);
    loc.etag = Some(e1.clone());
    assert_eq!(
        read(f, &loc).await.1,
        b"first\n",
        "read with the current eTag"
    );

    f.put(key, b"second version\n".to_vec()).await;
    let (meta, bytes) = read(f, &at(f, key)).await;
    assert_eq!(
        bytes, b"second version\n",
        "the latest content without an eTag"
    );
    let e2 = meta.etag.expect("an eTag");
    assert_ne!(e1, e2, "new content, new eTag");
    let e = f
        .store()
        .get(&loc)
        .await
        .expect_err("an overwritten eTag must not read");
    assert!(
        matches!(e, StoreError::PreconditionFailed(_)),
        "overwritten: expected PreconditionFailed, got {e}"
    );
    assert!(!e.is_retryable(), "PreconditionFailed is permanent");
    loc.etag = Some(e2);
    assert_eq!(
        read(f, &loc).await.1,
        b"second version\n",
        "read with the new eTag"
    );
}

/// A version id reads exactly that version (a stale eTag beside it is ignored); the latest is
/// read without one; a deleted version is `NotFound`.
async fn version_pins_the_content<F: StoreFixture>(f: &F) {
    let key = "conformance/versions/k.log";
    f.put(key, b"first\n".to_vec()).await;
    let v1 = read(f, &at(f, key))
        .await
        .0
        .version_id
        .expect("a version id");
    f.put(key, b"second\n".to_vec()).await;
    let (meta, bytes) = read(f, &at(f, key)).await;
    assert_eq!(
        bytes, b"second\n",
        "the latest version without a version id"
    );
    let v2 = meta.version_id.expect("a version id");
    assert_ne!(v1, v2, "each version has its own id");

    let mut loc = at(f, key);
    loc.version_id = Some(v1.clone());
    // A stale eTag is ignored when the version is named: the version pins the content.
    loc.etag = Some("0123456789abcdef".into());
    let (meta, bytes) = read(f, &loc).await;
    assert_eq!(bytes, b"first\n", "the named version");
    assert_eq!(meta.version_id.as_deref(), Some(v1.as_str()));

    // A version deleted since the notification is gone.
    f.delete(key, Some(&v1)).await;
    assert_not_found(f.store().get(&loc).await, "deleted version");
}

/// Keys as S3 allows them, read back concurrently.
async fn unusual_keys<F: StoreFixture>(f: &F) {
    let keys = [
        "conformance/keys/a b/c d.log",
        "conformance/keys/x+y=z.log",
        "conformance/keys/dir/ünïcödé 日本語.json",
        "conformance/keys/pct%2Fnot-a-slash.txt",
        "conformance/keys/sym!$&'()*,;:@~.txt",
        "conformance/keys/deep/ly/nested/key.gz",
    ];
    for (i, key) in keys.iter().enumerate() {
        f.put(key, format!("body {i}").into_bytes()).await;
    }
    let reads = keys.iter().map(|key| async move {
        let (meta, bytes) = read(f, &at(f, key)).await;
        (key, meta, bytes)
    });
    for (i, (key, meta, bytes)) in futures::future::join_all(reads)
        .await
        .into_iter()
        .enumerate()
    {
        assert_eq!(bytes, format!("body {i}").as_bytes(), "{key}");
        assert_eq!(meta.size, bytes.len() as u64, "{key}");
    }
}
