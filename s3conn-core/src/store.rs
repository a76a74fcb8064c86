//! The `ObjectStore` trait: where objects are read from (S3 in production).

use std::fmt::{self, Debug};

use async_trait::async_trait;
use bytes::{Bytes, BytesMut};
use futures::stream::BoxStream;
use futures::StreamExt;
use serde::Serialize;

use crate::error::{Classify, ErrorClass};

/// The object a notification names: bucket, key and, when known, the exact version.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ObjectRef {
    /// Bucket name.
    pub bucket: String,
    /// Object key, already URL-decoded.
    pub key: String,
    /// Version id, when the bucket is versioned and the notification names one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version_id: Option<String>,
    /// Entity tag the notification names (without quotes), used to pin the content.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
    /// Size the notification announces, when it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<u64>,
    /// AWS region of the bucket, when the notification names it (`awsRegion`, EventBridge
    /// `region`); a store may use it to address the bucket without a redirect.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub region: Option<String>,
}

impl ObjectRef {
    /// An object by bucket and key, with no version or eTag.
    pub fn new(bucket: impl Into<String>, key: impl Into<String>) -> Self {
        ObjectRef {
            bucket: bucket.into(),
            key: key.into(),
            version_id: None,
            etag: None,
            size: None,
            region: None,
        }
    }

    /// The same object, in the bucket region `region`.
    pub fn in_region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }
}

impl fmt::Display for ObjectRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)?;
        if let Some(v) = &self.version_id {
            write!(f, "?versionId={v}")?;
        }
        Ok(())
    }
}

/// What the store says about an object it returns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ObjectMeta {
    /// Size in bytes, as stored.
    pub size: u64,
    /// Entity tag, without quotes.
    pub etag: Option<String>,
    /// Version id, when the store has versions.
    pub version_id: Option<String>,
    /// `Content-Type`, when set.
    pub content_type: Option<String>,
    /// `Content-Encoding`, when set.
    pub content_encoding: Option<String>,
    /// Last modification time in epoch milliseconds UTC.
    pub last_modified_ms: Option<i64>,
}

/// An object being read: its metadata and its body as a stream of chunks.
pub struct GetResult {
    /// Metadata of the version being read.
    pub meta: ObjectMeta,
    /// The body, in order; an `Err` ends the stream (for example a truncated download).
    pub body: BoxStream<'static, Result<Bytes, StoreError>>,
}

impl Debug for GetResult {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GetResult")
            .field("meta", &self.meta)
            .finish_non_exhaustive()
    }
}

/// A failure to read an object.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The object (or bucket) does not exist, for example deleted since the notification.
    #[error("object not found: {0}")]
    NotFound(String),
    /// The object was overwritten since the notification: the version or eTag it names is gone.
    #[error("object changed since the notification: {0}")]
    PreconditionFailed(String),
    /// The credentials lack permission for this object.
    #[error("access denied: {0}")]
    PermissionDenied(String),
    /// The credentials were rejected.
    #[error("credentials rejected: {0}")]
    Unauthenticated(String),
    /// The store asked us to slow down.
    #[error("throttled: {0}")]
    Throttled(String),
    /// A transient failure: 5xx, reset connection, truncated download, timeout.
    #[error("transient failure: {0}")]
    Transient(String),
    /// The key is not acceptable to this store (for example it escapes the root directory).
    #[error("invalid key: {0}")]
    InvalidKey(String),
    /// Wrong configuration (bucket not served, bad endpoint).
    #[error("configuration error: {0}")]
    Configuration(String),
}

impl Classify for StoreError {
    fn class(&self) -> ErrorClass {
        match self {
            StoreError::Throttled(_) | StoreError::Transient(_) => ErrorClass::Retryable,
            StoreError::NotFound(_)
            | StoreError::PreconditionFailed(_)
            | StoreError::InvalidKey(_) => ErrorClass::Permanent,
            StoreError::PermissionDenied(_)
            | StoreError::Unauthenticated(_)
            | StoreError::Configuration(_) => ErrorClass::Configuration,
        }
    }
}

/// A place objects are read from.
///
/// # Contract
/// - `get` reads the object `location` names. When `version_id` is set, exactly that version is
///   read; otherwise, when `etag` is set, the read fails with `StoreError::PreconditionFailed` if the
///   current content has another eTag.
/// - A missing object or bucket is `StoreError::NotFound`; the body stream ends with an `Err` when the
///   read breaks off, never with silently missing bytes.
/// - Implementations are cheap to share (`Arc<dyn ObjectStore>`) and safe to call concurrently.
///
/// `s3conn_core::testing::store_conformance` (feature `testing`) checks this contract; every
/// store of s3conn runs it, and your own implementation can too.
#[async_trait]
pub trait ObjectStore: Send + Sync + Debug {
    /// Starts reading an object: metadata plus a stream of its bytes.
    async fn get(&self, location: &ObjectRef) -> Result<GetResult, StoreError>;
}

const _: Option<&dyn ObjectStore> = None;

/// Conveniences for callers of any [`ObjectStore`].
#[async_trait]
pub trait ObjectStoreExt: ObjectStore {
    /// Reads a whole object into memory (tests and small objects only).
    async fn get_bytes(&self, location: &ObjectRef) -> Result<(ObjectMeta, Bytes), StoreError> {
        let GetResult { meta, mut body } = self.get(location).await?;
        let mut buf = BytesMut::with_capacity(usize::try_from(meta.size).unwrap_or(0).min(1 << 26));
        while let Some(chunk) = body.next().await {
            buf.extend_from_slice(&chunk?);
        }
        Ok((meta, buf.freeze()))
    }
}

impl<T: ObjectStore + ?Sized> ObjectStoreExt for T {}
