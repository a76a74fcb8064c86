//! [`S3ObjectStore`]: the [`ObjectStore`] of s3conn on Amazon S3 (aws-sdk-s3).
//!
//! `get` streams `GetObject` of exactly the version a notification names: with `VersionId` when
//! the notification has one, otherwise with `If-Match` on its eTag, so an object overwritten since
//! the notification fails with [`StoreError::PreconditionFailed`] instead of yielding the newer
//! content (which has its own notification). The body is a stream of `Bytes`; a transfer that
//! breaks off, or ends before `Content-Length` bytes arrived, ends the stream with
//! [`StoreError::Transient`].
//!
//! Each bucket is read through [`BucketClients`]: with its own role when it has one, in its region
//! (configured, from the notification's `awsRegion`, or discovered). A request that S3 answers
//! with a redirect to another region (301 `PermanentRedirect`, `AuthorizationHeaderMalformed`) is
//! sent again, once, in the region S3 names; the region is remembered for the bucket.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use async_trait::async_trait;
use aws_smithy_types::byte_stream::ByteStream;
use bytes::Bytes;
use futures::StreamExt;
use s3conn_core::{GetResult, ObjectMeta, ObjectRef, ObjectStore, StoreError};

use crate::bucket_clients::BucketClients;
use crate::error::{chain, AwsError};
use crate::requests::{Api, RequestCounter, RequestCounts};
use crate::retry::{RetryPolicy, RetryStats};

/// An S3 (or S3-compatible) object store accessed through an aws-sdk-s3 client.
#[derive(Clone)]
pub struct S3ObjectStore {
    clients: BucketClients,
    retry: RetryPolicy,
    stats: Arc<RetryStats>,
    requests: Arc<RequestCounter>,
    allowed_buckets: Option<Arc<BTreeSet<String>>>,
}

impl fmt::Debug for S3ObjectStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3ObjectStore")
            .field("retry", &self.retry)
            .field("clients", &self.clients)
            .field("allowed_buckets", &self.allowed_buckets)
            .finish_non_exhaustive()
    }
}

impl S3ObjectStore {
    /// A store reading through `client`, any bucket, with the default `GetObject` retry policy.
    pub fn new(client: aws_sdk_s3::Client) -> Self {
        Self::with_bucket_clients(BucketClients::new(client))
    }

    /// A store reading each bucket with the client `clients` gives for it (its role and region).
    pub fn with_bucket_clients(clients: BucketClients) -> Self {
        S3ObjectStore {
            clients,
            retry: crate::retry::RetryPolicies::default().get_object,
            stats: Arc::new(RetryStats::default()),
            requests: Arc::new(RequestCounter::default()),
            allowed_buckets: None,
        }
    }

    /// Labels this store's request and retry metrics with `connector` (a fresh set of counters;
    /// call it before cloning or sharing the store).
    pub fn with_connector(mut self, connector: &str) -> Self {
        self.stats = Arc::new(RetryStats::labelled(connector));
        self.requests = Arc::new(RequestCounter::labelled(connector));
        self
    }

    /// Restricts reads to these buckets; any other is refused with `StoreError::Configuration`
    /// without a request (a queue others can write to must not make us read other buckets).
    pub fn with_allowed_buckets<I, S>(mut self, buckets: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        let set: BTreeSet<String> = buckets.into_iter().map(Into::into).collect();
        self.allowed_buckets = Some(Arc::new(set));
        self
    }

    /// Replaces the retry policy of `GetObject`.
    pub fn with_retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The SDK client of the store's own credentials and region.
    pub fn client(&self) -> &aws_sdk_s3::Client {
        self.clients.base()
    }

    /// The per-bucket clients and what is known of each bucket's region.
    pub fn bucket_clients(&self) -> &BucketClients {
        &self.clients
    }

    /// Retries made so far by this store.
    pub fn retries(&self) -> u64 {
        self.stats.retries()
    }

    /// Requests sent so far by this store (and its clones); every attempt counts.
    pub fn requests(&self) -> RequestCounts {
        self.requests.snapshot()
    }
}

/// The eTag as `If-Match` wants it: in double quotes.
pub(crate) fn quote_etag(etag: &str) -> String {
    let t = etag.trim();
    if t.len() >= 2 && t.starts_with('"') && t.ends_with('"') {
        t.to_string()
    } else {
        format!("\"{}\"", t.trim_matches('"'))
    }
}

/// The eTag without its double quotes (and without a weak-validator prefix).
pub(crate) fn unquote_etag(etag: &str) -> String {
    let t = etag.trim();
    let t = t.strip_prefix("W/").unwrap_or(t);
    t.trim_matches('"').to_string()
}

#[async_trait]
impl ObjectStore for S3ObjectStore {
    async fn get(&self, location: &ObjectRef) -> Result<GetResult, StoreError> {
        if location.bucket.is_empty() || location.key.is_empty() {
            return Err(StoreError::InvalidKey(format!(
                "{location}: bucket and key must not be empty"
            )));
        }
        if let Some(allowed) = &self.allowed_buckets {
            if !allowed.contains(&location.bucket) {
                return Err(StoreError::Configuration(format!(
                    "{location}: bucket {:?} is not on the allow-list",
                    location.bucket
                )));
            }
        }
        let located = |mut e: AwsError| {
            e.message = format!("{location}: {}", e.message);
            e.into_store_error()
        };
        let bucket = location.bucket.as_str();
        let (mut region, _) = self.clients.region_for(bucket, location.region.as_deref());
        let mut redirected = false;
        let out = loop {
            let client = self
                .clients
                .client(bucket, &region)
                .await
                .map_err(located)?;
            let result = self
                .retry
                .run(&self.stats, || async {
                    self.requests.record(Api::GetObject);
                    let mut req = client.get_object().bucket(bucket).key(&location.key);
                    if let Some(version) = &location.version_id {
                        req = req.version_id(version);
                    } else if let Some(etag) = &location.etag {
                        req = req.if_match(quote_etag(etag));
                    }
                    let r = req
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk("s3:GetObject", &e));
                    self.requests.answered(Api::GetObject, r.as_ref().err());
                    r
                })
                .await;
            match result {
                Ok(out) => break out,
                Err(e) if !redirected && e.is_wrong_region() => {
                    match self.clients.discover_region(bucket, &region, &e).await {
                        Some(actual) => {
                            region = actual;
                            redirected = true;
                        }
                        None => return Err(located(e)),
                    }
                }
                Err(e) => return Err(located(e)),
            }
        };

        let expected = out.content_length().and_then(|n| u64::try_from(n).ok());
        let meta = ObjectMeta {
            size: expected.or(location.size).unwrap_or(0),
            etag: out.e_tag().map(unquote_etag),
            version_id: out.version_id().map(str::to_string),
            content_type: out.content_type().map(str::to_string),
            content_encoding: out.content_encoding().map(str::to_string),
            last_modified_ms: out.last_modified().and_then(|t| t.to_millis().ok()),
        };
        let body = body_stream(out.body, expected, location.to_string());
        Ok(GetResult { meta, body })
    }
}

struct BodyState {
    body: ByteStream,
    seen: u64,
    expected: Option<u64>,
    done: bool,
    location: String,
}

/// The SDK's body as a stream of chunks that ends with an error on any short or broken read.
fn body_stream(
    body: ByteStream,
    expected: Option<u64>,
    location: String,
) -> futures::stream::BoxStream<'static, Result<Bytes, StoreError>> {
    let state = BodyState {
        body,
        seen: 0,
        expected,
        done: false,
        location,
    };
    futures::stream::unfold(state, |mut st| async move {
        if st.done {
            return None;
        }
        match st.body.try_next().await {
            Ok(Some(chunk)) => {
                st.seen += chunk.len() as u64;
                if let Some(n) = st.expected.filter(|&n| st.seen > n) {
                    st.done = true;
                    let e = StoreError::Transient(format!(
                        "{}: body longer than Content-Length {n}",
                        st.location
                    ));
                    return Some((Err(e), st));
                }
                Some((Ok(chunk), st))
            }
            Ok(None) => {
                st.done = true;
                match st.expected {
                    Some(n) if n != st.seen => {
                        let e = StoreError::Transient(format!(
                            "{}: truncated download: {} of {n} bytes",
                            st.location, st.seen
                        ));
                        Some((Err(e), st))
                    }
                    _ => None,
                }
            }
            Err(e) => {
                st.done = true;
                let e = StoreError::Transient(format!(
                    "{}: download broke off after {} bytes: {}",
                    st.location,
                    st.seen,
                    chain(&e)
                ));
                Some((Err(e), st))
            }
        }
    })
    .boxed()
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures::TryStreamExt;
    use s3conn_core::Classify;

    #[test]
    fn etags_are_quoted_and_unquoted() {
        assert_eq!(quote_etag("abc"), "\"abc\"");
        assert_eq!(quote_etag("\"abc\""), "\"abc\"");
        assert_eq!(quote_etag("abc-3"), "\"abc-3\"");
        assert_eq!(unquote_etag("\"abc\""), "abc");
        assert_eq!(unquote_etag("W/\"abc\""), "abc");
        assert_eq!(unquote_etag("abc"), "abc");
    }

    #[tokio::test]
    async fn complete_body_streams_every_byte() {
        let s = body_stream(
            ByteStream::from_static(b"hello world"),
            Some(11),
            "s3://b/k".into(),
        );
        let chunks: Vec<Bytes> = s.try_collect().await.expect("complete");
        assert_eq!(chunks.concat(), b"hello world");
    }

    #[tokio::test]
    async fn short_body_ends_with_a_retryable_error() {
        let s = body_stream(
            ByteStream::from_static(b"hello"),
            Some(11),
            "s3://b/k".into(),
        );
        let r: Result<Vec<Bytes>, _> = s.try_collect().await;
        let e = r.expect_err("truncated");
        assert!(e.is_retryable());
        assert!(e.to_string().contains("truncated download: 5 of 11"), "{e}");
    }

    #[tokio::test]
    async fn long_body_ends_with_a_retryable_error() {
        let s = body_stream(
            ByteStream::from_static(b"hello world"),
            Some(3),
            "s3://b/k".into(),
        );
        let r: Result<Vec<Bytes>, _> = s.try_collect().await;
        assert!(r.expect_err("too long").is_retryable());
    }

    #[tokio::test]
    async fn unknown_length_is_accepted() {
        let s = body_stream(ByteStream::from_static(b"abc"), None, "s3://b/k".into());
        let chunks: Vec<Bytes> = s.try_collect().await.expect("complete");
        assert_eq!(chunks.concat(), b"abc");
    }
}
