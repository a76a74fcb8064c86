//! Writing one object whole: a `PutObject`, or for a body larger than a part a multipart upload
//! that is completed (or aborted) — a reader never sees a partial object. Each request is retried
//! on retryable failures; what still fails becomes a [`SinkError`] naming the bucket and key.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{CompletedMultipartUpload, CompletedPart};
use bytes::Bytes;
use s3conn_core::{Classify, SinkError};

use crate::error::AwsError;
use crate::retry::{RetryPolicy, RetryStats};

/// What the uploader did, for tests and status lines.
#[derive(Debug, Default)]
pub(crate) struct UploadCounts {
    pub objects: AtomicU64,
    pub multipart: AtomicU64,
    pub parts: AtomicU64,
    pub bytes: AtomicU64,
    pub aborted: AtomicU64,
}

/// Writes whole objects into one bucket.
#[derive(Debug)]
pub(crate) struct Uploader {
    client: aws_sdk_s3::Client,
    bucket: String,
    retry: RetryPolicy,
    part_bytes: usize,
    pub stats: Arc<RetryStats>,
    pub counts: Arc<UploadCounts>,
}

impl Uploader {
    /// An uploader into `bucket`, splitting bodies larger than `part_bytes`.
    pub fn new(
        client: aws_sdk_s3::Client,
        bucket: String,
        retry: RetryPolicy,
        part_bytes: usize,
    ) -> Self {
        Uploader {
            client,
            bucket,
            retry,
            part_bytes: part_bytes.max(1),
            stats: Arc::new(RetryStats::default()),
            counts: Arc::new(UploadCounts::default()),
        }
    }

    /// Writes `body` as the object `key`; `Ok` once it is complete and visible.
    pub async fn put(&self, key: &str, body: Vec<u8>, content_type: &str) -> Result<(), SinkError> {
        let len = body.len() as u64;
        let body = Bytes::from(body);
        if body.len() > self.part_bytes {
            self.multipart(key, body, content_type).await?;
            self.counts.multipart.fetch_add(1, Ordering::Relaxed);
        } else {
            self.retry
                .run(&self.stats, || async {
                    self.client
                        .put_object()
                        .bucket(&self.bucket)
                        .key(key)
                        .content_type(content_type)
                        .body(ByteStream::from(body.clone()))
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk("s3:PutObject", &e))
                })
                .await
                .map_err(|e| self.sink_error(key, e))?;
        }
        self.counts.objects.fetch_add(1, Ordering::Relaxed);
        self.counts.bytes.fetch_add(len, Ordering::Relaxed);
        Ok(())
    }

    async fn multipart(&self, key: &str, body: Bytes, content_type: &str) -> Result<(), SinkError> {
        let created = self
            .retry
            .run(&self.stats, || async {
                self.client
                    .create_multipart_upload()
                    .bucket(&self.bucket)
                    .key(key)
                    .content_type(content_type)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("s3:CreateMultipartUpload", &e))
            })
            .await
            .map_err(|e| self.sink_error(key, e))?;
        let Some(upload_id) = created.upload_id().map(str::to_owned) else {
            return Err(SinkError::Retryable(format!(
                "s3://{}/{key}: CreateMultipartUpload returned no upload id",
                self.bucket
            )));
        };
        match self.upload_parts(key, &upload_id, body).await {
            Ok(()) => Ok(()),
            Err(e) => {
                self.abort(key, &upload_id).await;
                Err(e)
            }
        }
    }

    async fn upload_parts(&self, key: &str, upload_id: &str, body: Bytes) -> Result<(), SinkError> {
        let mut completed = Vec::new();
        let mut start = 0;
        let mut number = 1i32;
        while start < body.len() {
            let end = (start + self.part_bytes).min(body.len());
            let part = body.slice(start..end);
            let out = self
                .retry
                .run(&self.stats, || async {
                    self.client
                        .upload_part()
                        .bucket(&self.bucket)
                        .key(key)
                        .upload_id(upload_id)
                        .part_number(number)
                        .body(ByteStream::from(part.clone()))
                        .send()
                        .await
                        .map_err(|e| AwsError::from_sdk("s3:UploadPart", &e))
                })
                .await
                .map_err(|e| self.sink_error(key, e))?;
            self.counts.parts.fetch_add(1, Ordering::Relaxed);
            completed.push(
                CompletedPart::builder()
                    .set_e_tag(out.e_tag().map(str::to_owned))
                    // The SDK checksums every part; completing must name the same checksums.
                    .set_checksum_crc32(out.checksum_crc32().map(str::to_owned))
                    .set_checksum_crc32_c(out.checksum_crc32_c().map(str::to_owned))
                    .set_checksum_crc64_nvme(out.checksum_crc64_nvme().map(str::to_owned))
                    .set_checksum_sha1(out.checksum_sha1().map(str::to_owned))
                    .set_checksum_sha256(out.checksum_sha256().map(str::to_owned))
                    .part_number(number)
                    .build(),
            );
            start = end;
            number += 1;
        }
        let parts = CompletedMultipartUpload::builder()
            .set_parts(Some(completed))
            .build();
        self.retry
            .run(&self.stats, || async {
                let sent = self
                    .client
                    .complete_multipart_upload()
                    .bucket(&self.bucket)
                    .key(key)
                    .upload_id(upload_id)
                    .multipart_upload(parts.clone())
                    .send()
                    .await;
                match sent {
                    Ok(_) => Ok(()),
                    // A completion whose answer was lost or unreadable may have happened (a retry
                    // then gets `NoSuchUpload`): the key is ours alone, so if it exists, it is done.
                    Err(e) if self.exists(key).await => {
                        tracing::debug!(bucket = %self.bucket, key, error = %AwsError::from_sdk("s3:CompleteMultipartUpload", &e), "multipart upload completed though its answer was not read");
                        Ok(())
                    }
                    Err(e) => Err(AwsError::from_sdk("s3:CompleteMultipartUpload", &e)),
                }
            })
            .await
            .map_err(|e| self.sink_error(key, e))?;
        Ok(())
    }

    /// Whether the object `key` exists (any failure to tell counts as no).
    async fn exists(&self, key: &str) -> bool {
        self.client
            .head_object()
            .bucket(&self.bucket)
            .key(key)
            .send()
            .await
            .is_ok()
    }

    /// Best effort: an upload left open holds storage until a lifecycle rule removes it, but is
    /// never visible as an object.
    async fn abort(&self, key: &str, upload_id: &str) {
        let r = self
            .client
            .abort_multipart_upload()
            .bucket(&self.bucket)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await;
        match r {
            Ok(_) => {
                self.counts.aborted.fetch_add(1, Ordering::Relaxed);
            }
            Err(e) => {
                let e = AwsError::from_sdk("s3:AbortMultipartUpload", &e);
                tracing::warn!(bucket = %self.bucket, key, error = %e, "could not abort a multipart upload; a lifecycle rule for incomplete uploads cleans it up");
            }
        }
    }

    /// The sink's error for a failed request on `key`: retryable stays retryable, the rest
    /// (permissions, a missing bucket, bad credentials) rejects the batch.
    fn sink_error(&self, key: &str, e: AwsError) -> SinkError {
        let text = format!("s3://{}/{key}: {e}", self.bucket);
        if e.is_retryable() {
            SinkError::Retryable(text)
        } else {
            SinkError::Rejected(text)
        }
    }
}
