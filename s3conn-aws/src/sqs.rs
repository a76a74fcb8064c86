//! [`SqsQueue`]: the [`Queue`] of s3conn on Amazon SQS (aws-sdk-sqs).
//!
//! - `receive`: `ReceiveMessage` long poll (at most 20 s, at most 10 messages), with the message's
//!   `ApproximateReceiveCount` as its delivery attempt, and the visibility timeout each receive names.
//! - `acknowledge`: `DeleteMessageBatch` in chunks of 10 with per-entry results; a handle whose
//!   message is already gone (`ReceiptHandleIsInvalid`) counts as acknowledged.
//! - `extend`: `ChangeMessageVisibilityBatch` in chunks of 10; an invalid or expired handle, or a
//!   message no longer in flight, is `QueueError::LeaseLost`.
//! - `release`: `ChangeMessageVisibility` to 0.
//! - `send` / `send_batch`: `SendMessage(Batch)`, for tests and a dead-letter queue.
//!
//! Whole calls are retried by the per-operation [`RetryPolicies`]; failed batch entries that are
//! the service's fault (`SenderFault = false`) or throttled are retried too, alone.

use std::fmt;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::types::{
    BatchResultErrorEntry, ChangeMessageVisibilityBatchRequestEntry,
    DeleteMessageBatchRequestEntry, MessageSystemAttributeName, SendMessageBatchRequestEntry,
};
use s3conn_core::queue::BatchResult;
use s3conn_core::{AckHandle, Classify, Message, Queue, QueueError};

use crate::error::{kind_for, normalize_code, AwsError, AwsErrorKind};
use crate::requests::{Api, RequestCounter, RequestCounts};
use crate::retry::{RetryPolicies, RetryPolicy, RetryStats};

/// Most messages SQS returns per receive, and most entries per batch request.
pub const SQS_BATCH_MAX: usize = 10;
/// Longest long poll SQS allows.
pub const SQS_MAX_WAIT: Duration = Duration::from_secs(20);
/// Longest visibility timeout SQS allows (12 hours).
pub const SQS_MAX_VISIBILITY: Duration = Duration::from_secs(43_200);

/// An SQS queue, by URL, accessed through an aws-sdk-sqs client.
#[derive(Clone)]
pub struct SqsQueue {
    client: aws_sdk_sqs::Client,
    queue_url: String,
    retry: RetryPolicies,
    stats: Arc<RetryStats>,
    requests: Arc<RequestCounter>,
}

impl fmt::Debug for SqsQueue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqsQueue")
            .field("queue_url", &self.queue_url)
            .field("retry", &self.retry)
            .finish_non_exhaustive()
    }
}

/// What one batch entry operation does, for logging and classification.
#[derive(Clone, Copy)]
enum BatchOp {
    Delete,
    ChangeVisibility,
    Send,
}

impl BatchOp {
    fn name(self) -> &'static str {
        match self {
            BatchOp::Delete => "sqs:DeleteMessageBatch",
            BatchOp::ChangeVisibility => "sqs:ChangeMessageVisibilityBatch",
            BatchOp::Send => "sqs:SendMessageBatch",
        }
    }

    fn api(self) -> Api {
        match self {
            BatchOp::Delete => Api::DeleteMessageBatch,
            BatchOp::ChangeVisibility => Api::ChangeMessageVisibilityBatch,
            BatchOp::Send => Api::SendMessageBatch,
        }
    }
}

/// The answer of one batch call: ids that succeeded, and failed entries.
type BatchAnswer = (Vec<String>, Vec<BatchResultErrorEntry>);

impl SqsQueue {
    /// A queue at `queue_url` with default retry policies.
    pub fn new(client: aws_sdk_sqs::Client, queue_url: impl Into<String>) -> Self {
        SqsQueue {
            client,
            queue_url: queue_url.into(),
            retry: RetryPolicies::default(),
            stats: Arc::new(RetryStats::default()),
            requests: Arc::new(RequestCounter::default()),
        }
    }

    /// Replaces the retry policies.
    pub fn with_retry(mut self, retry: RetryPolicies) -> Self {
        self.retry = retry;
        self
    }

    /// The queue URL used in requests.
    pub fn queue_url(&self) -> &str {
        &self.queue_url
    }

    /// The SDK client.
    pub fn client(&self) -> &aws_sdk_sqs::Client {
        &self.client
    }

    /// Retries made so far by this queue (all operations).
    pub fn retries(&self) -> u64 {
        self.stats.retries()
    }

    /// Requests sent so far by this queue (and its clones), by API; every attempt counts.
    pub fn requests(&self) -> RequestCounts {
        self.requests.snapshot()
    }

    /// Sends one message; returns its message id.
    pub async fn send(&self, body: impl Into<String>) -> Result<String, QueueError> {
        let body = body.into();
        let out = self
            .retry
            .send
            .run(&self.stats, || async {
                self.requests.record(Api::SendMessage);
                self.client
                    .send_message()
                    .queue_url(&self.queue_url)
                    .message_body(body.clone())
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("sqs:SendMessage", &e))
            })
            .await?;
        Ok(out.message_id().unwrap_or_default().to_string())
    }

    /// Sends messages in batches of 10; one result per body, in order.
    pub async fn send_batch(&self, bodies: &[String]) -> BatchResult {
        let client = &self.client;
        let url = &self.queue_url;
        self.run_batches(
            BatchOp::Send,
            self.retry.send,
            bodies,
            |entries| async move {
                let mut req = client.send_message_batch().queue_url(url);
                for (id, body) in entries {
                    let entry = SendMessageBatchRequestEntry::builder()
                        .id(id)
                        .message_body(body)
                        .build()
                        .map_err(|e| build_error(BatchOp::Send, &e))?;
                    req = req.entries(entry);
                }
                let out = req
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk(BatchOp::Send.name(), &e))?;
                let ok = out
                    .successful()
                    .iter()
                    .map(|s| s.id().to_string())
                    .collect();
                Ok((ok, out.failed().to_vec()))
            },
        )
        .await
    }

    /// Runs a batch operation over `items` in chunks of 10, retrying what may succeed later.
    async fn run_batches<T, F, Fut>(
        &self,
        op: BatchOp,
        policy: RetryPolicy,
        items: &[T],
        call: F,
    ) -> BatchResult
    where
        T: Clone,
        F: Fn(Vec<(String, T)>) -> Fut,
        Fut: Future<Output = Result<BatchAnswer, AwsError>>,
    {
        let mut results: BatchResult = Vec::with_capacity(items.len());
        for chunk in items.chunks(SQS_BATCH_MAX) {
            let mut slots: Vec<Option<Result<(), QueueError>>> =
                (0..chunk.len()).map(|_| None).collect();
            let mut pending: Vec<usize> = (0..chunk.len()).collect();
            let mut attempt = 1u32;
            loop {
                let entries: Vec<(String, T)> = pending
                    .iter()
                    .map(|&i| (i.to_string(), chunk[i].clone()))
                    .collect();
                let mut last_error: Option<AwsError> = None;
                self.requests.record(op.api());
                match call(entries).await {
                    Err(e) => {
                        if !e.is_retryable() {
                            for &i in &pending {
                                slots[i] = Some(Err(e.clone().into_queue_error()));
                            }
                            pending.clear();
                        } else {
                            last_error = Some(e);
                        }
                    }
                    Ok((succeeded, failed)) => {
                        for id in succeeded {
                            if let Some(i) = index_of(&id, chunk.len()) {
                                slots[i] = Some(Ok(()));
                            }
                        }
                        for entry in failed {
                            let Some(i) = index_of(entry.id(), chunk.len()) else {
                                continue;
                            };
                            let e = entry_error(op, &entry);
                            if matches!(op, BatchOp::Delete) && e.kind == AwsErrorKind::LeaseLost {
                                // Already gone: deleted, or its handle expired. Acknowledged.
                                slots[i] = Some(Ok(()));
                            } else if e.is_retryable() {
                                last_error = Some(e);
                            } else {
                                slots[i] = Some(Err(e.into_queue_error()));
                            }
                        }
                        pending.retain(|&i| slots[i].is_none());
                        if !pending.is_empty() && last_error.is_none() {
                            last_error = Some(AwsError::new(
                                op.name(),
                                AwsErrorKind::Transient,
                                None,
                                None,
                                "entries missing from the batch answer",
                            ));
                        }
                    }
                }
                if pending.is_empty() {
                    break;
                }
                let e = last_error.unwrap_or_else(|| {
                    AwsError::new(op.name(), AwsErrorKind::Transient, None, None, "unanswered")
                });
                if attempt >= policy.max_attempts.max(1) {
                    for &i in &pending {
                        slots[i] = Some(Err(e.clone().into_queue_error()));
                    }
                    break;
                }
                let delay = policy.backoff(attempt, e.kind == AwsErrorKind::Throttled);
                self.stats.record_retry();
                tracing::warn!(operation = op.name(), attempt, entries = pending.len(), error = %e, "retrying batch entries");
                tokio::time::sleep(delay).await;
                attempt += 1;
            }
            results.extend(
                slots
                    .into_iter()
                    .map(|s| s.unwrap_or_else(|| Err(QueueError::Transient("unanswered".into())))),
            );
        }
        results
    }
}

/// The chunk index a batch entry id names.
fn index_of(id: &str, len: usize) -> Option<usize> {
    id.parse::<usize>().ok().filter(|&i| i < len)
}

/// Classifies one failed batch entry.
fn entry_error(op: BatchOp, entry: &BatchResultErrorEntry) -> AwsError {
    let code = normalize_code(entry.code());
    let message = entry.message().unwrap_or_default().to_string();
    let lower = message.to_ascii_lowercase();
    let kind = if code == "InvalidParameterValue"
        && (lower.contains("receipt handle") || lower.contains("not available for visibility"))
    {
        AwsErrorKind::LeaseLost
    } else {
        kind_for(if entry.sender_fault() { 400 } else { 500 }, Some(&code))
    };
    AwsError::new(op.name(), kind, None, Some(code), message)
}

fn build_error(op: BatchOp, e: &dyn std::error::Error) -> AwsError {
    AwsError::new(
        op.name(),
        AwsErrorKind::Configuration,
        None,
        None,
        e.to_string(),
    )
}

/// Whole seconds, rounded up, as SQS wants them.
fn secs_ceil(d: Duration) -> i32 {
    let s = d.as_secs().saturating_add(u64::from(d.subsec_nanos() > 0));
    i32::try_from(s).unwrap_or(i32::MAX)
}

#[async_trait]
impl Queue for SqsQueue {
    async fn receive(
        &self,
        max: usize,
        wait: Duration,
        visibility: Duration,
    ) -> Result<Vec<Message>, QueueError> {
        if max == 0 {
            return Ok(Vec::new());
        }
        let max = i32::try_from(max.min(SQS_BATCH_MAX)).unwrap_or(1);
        let wait = secs_ceil(wait.min(SQS_MAX_WAIT));
        let visibility = secs_ceil(visibility.min(SQS_MAX_VISIBILITY));
        let out = self
            .retry
            .receive
            .run(&self.stats, || async {
                self.requests.record(Api::ReceiveMessage);
                self.client
                    .receive_message()
                    .queue_url(&self.queue_url)
                    .max_number_of_messages(max)
                    .wait_time_seconds(wait)
                    .visibility_timeout(visibility)
                    .message_system_attribute_names(
                        MessageSystemAttributeName::ApproximateReceiveCount,
                    )
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("sqs:ReceiveMessage", &e))
            })
            .await?;
        let mut messages = Vec::with_capacity(out.messages().len());
        for m in out.messages() {
            let Some(handle) = m.receipt_handle() else {
                tracing::warn!(message_id = ?m.message_id(), "SQS message without receipt handle skipped");
                continue;
            };
            let attempt = m
                .attributes()
                .and_then(|a| a.get(&MessageSystemAttributeName::ApproximateReceiveCount))
                .and_then(|v| v.parse::<u32>().ok())
                .unwrap_or(1)
                .max(1);
            messages.push(Message {
                handle: AckHandle(handle.to_string()),
                id: m.message_id().unwrap_or_default().to_string(),
                attempt,
                body: m.body().unwrap_or_default().to_string(),
            });
        }
        Ok(messages)
    }

    async fn acknowledge(&self, handles: &[AckHandle]) -> BatchResult {
        let client = &self.client;
        let url = &self.queue_url;
        self.run_batches(
            BatchOp::Delete,
            self.retry.acknowledge,
            handles,
            |entries| async move {
                let mut req = client.delete_message_batch().queue_url(url);
                for (id, handle) in entries {
                    let entry = DeleteMessageBatchRequestEntry::builder()
                        .id(id)
                        .receipt_handle(handle.0)
                        .build()
                        .map_err(|e| build_error(BatchOp::Delete, &e))?;
                    req = req.entries(entry);
                }
                let out = req
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk(BatchOp::Delete.name(), &e))?;
                let ok = out
                    .successful()
                    .iter()
                    .map(|s| s.id().to_string())
                    .collect();
                Ok((ok, out.failed().to_vec()))
            },
        )
        .await
    }

    async fn extend(&self, handles: &[AckHandle], visibility: Duration) -> BatchResult {
        let client = &self.client;
        let url = &self.queue_url;
        let secs = secs_ceil(visibility.min(SQS_MAX_VISIBILITY));
        self.run_batches(
            BatchOp::ChangeVisibility,
            self.retry.extend,
            handles,
            |entries| async move {
                let mut req = client.change_message_visibility_batch().queue_url(url);
                for (id, handle) in entries {
                    let entry = ChangeMessageVisibilityBatchRequestEntry::builder()
                        .id(id)
                        .receipt_handle(handle.0)
                        .visibility_timeout(secs)
                        .build()
                        .map_err(|e| build_error(BatchOp::ChangeVisibility, &e))?;
                    req = req.entries(entry);
                }
                let out = req
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk(BatchOp::ChangeVisibility.name(), &e))?;
                let ok = out
                    .successful()
                    .iter()
                    .map(|s| s.id().to_string())
                    .collect();
                Ok((ok, out.failed().to_vec()))
            },
        )
        .await
    }

    async fn release(&self, handle: &AckHandle) -> Result<(), QueueError> {
        self.retry
            .release
            .run(&self.stats, || async {
                self.requests.record(Api::ChangeMessageVisibility);
                self.client
                    .change_message_visibility()
                    .queue_url(&self.queue_url)
                    .receipt_handle(handle.as_str())
                    .visibility_timeout(0)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("sqs:ChangeMessageVisibility", &e))
            })
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(code: &str, sender_fault: bool, message: &str) -> BatchResultErrorEntry {
        BatchResultErrorEntry::builder()
            .id("0")
            .code(code)
            .sender_fault(sender_fault)
            .message(message)
            .build()
            .expect("valid entry")
    }

    #[test]
    fn batch_entry_classification() {
        let op = BatchOp::ChangeVisibility;
        let k = |c, f, m| entry_error(op, &entry(c, f, m)).kind;
        assert_eq!(
            k("ReceiptHandleIsInvalid", true, "bad"),
            AwsErrorKind::LeaseLost
        );
        assert_eq!(
            k("AWS.SimpleQueueService.MessageNotInflight", true, ""),
            AwsErrorKind::LeaseLost
        );
        assert_eq!(
            k(
                "InvalidParameterValue",
                true,
                "Value x for parameter ReceiptHandle is invalid. Reason: The receipt handle has expired."
            ),
            AwsErrorKind::LeaseLost
        );
        assert_eq!(
            k(
                "InvalidParameterValue",
                true,
                "Total VisibilityTimeout is beyond the limit"
            ),
            AwsErrorKind::Configuration
        );
        assert_eq!(k("InternalError", false, ""), AwsErrorKind::Transient);
        assert_eq!(k("Whatever", false, ""), AwsErrorKind::Transient);
        assert_eq!(k("RequestThrottled", true, ""), AwsErrorKind::Throttled);
        assert_eq!(k("AccessDenied", true, ""), AwsErrorKind::PermissionDenied);
    }

    fn offline_queue() -> SqsQueue {
        let conf = aws_sdk_sqs::Config::builder()
            .behavior_version(aws_sdk_sqs::config::BehaviorVersion::latest())
            .region(aws_sdk_sqs::config::Region::new("us-east-1"))
            .build();
        SqsQueue::new(
            aws_sdk_sqs::Client::from_conf(conf),
            "https://sqs.us-east-1.amazonaws.com/123456789012/q",
        )
    }

    fn failed(id: &str, code: &str, sender_fault: bool) -> BatchResultErrorEntry {
        BatchResultErrorEntry::builder()
            .id(id)
            .code(code)
            .sender_fault(sender_fault)
            .build()
            .expect("valid entry")
    }

    #[tokio::test(start_paused = true)]
    async fn batch_entries_are_retried_alone_and_answered_in_order() {
        use std::sync::Mutex;
        let q = offline_queue();
        let handles: Vec<AckHandle> = (0..12).map(|i| AckHandle(format!("h{i}"))).collect();
        let calls: Mutex<Vec<Vec<String>>> = Mutex::new(Vec::new());
        let results = q
            .run_batches(
                BatchOp::Delete,
                RetryPolicy::new(3, Duration::from_millis(10), Duration::from_millis(50)),
                &handles,
                |entries: Vec<(String, AckHandle)>| {
                    let handles: Vec<String> = entries.iter().map(|(_, h)| h.0.clone()).collect();
                    let n = {
                        let mut c = calls.lock().expect("lock");
                        c.push(handles.clone());
                        c.len()
                    };
                    async move {
                        let mut ok = Vec::new();
                        let mut bad = Vec::new();
                        for (id, h) in entries {
                            match h.0.as_str() {
                                // Service-side failure the first time only: retried alone.
                                "h1" if n == 1 => bad.push(failed(&id, "InternalError", false)),
                                // Already deleted: acknowledged.
                                "h2" => bad.push(failed(&id, "ReceiptHandleIsInvalid", true)),
                                // Permission problem: final, not retried.
                                "h3" => bad.push(failed(&id, "AccessDenied", true)),
                                // Missing from the answer the first time: retried.
                                "h4" if n == 1 => {}
                                _ => ok.push(id),
                            }
                        }
                        Ok((ok, bad))
                    }
                },
            )
            .await;
        assert_eq!(results.len(), 12);
        assert!(results[0].is_ok() && results[1].is_ok() && results[2].is_ok());
        assert!(
            matches!(results[3], Err(QueueError::PermissionDenied(_))),
            "{:?}",
            results[3]
        );
        assert!(results[4..].iter().all(Result::is_ok));
        let calls = calls.into_inner().expect("lock");
        // First chunk of 10, its retry of h1 and h4 only, then the chunk of the last 2.
        assert_eq!(calls.len(), 3, "{calls:?}");
        assert_eq!(calls[0].len(), 10);
        assert_eq!(calls[1], vec!["h1".to_string(), "h4".to_string()]);
        assert_eq!(calls[2], vec!["h10".to_string(), "h11".to_string()]);
        assert_eq!(q.retries(), 1);
    }

    #[tokio::test(start_paused = true)]
    async fn failed_batch_calls_fail_every_entry_after_the_retries() {
        let q = offline_queue();
        let handles: Vec<AckHandle> = (0..3).map(|i| AckHandle(format!("h{i}"))).collect();
        let attempts = std::sync::atomic::AtomicU32::new(0);
        let results = q
            .run_batches(
                BatchOp::ChangeVisibility,
                RetryPolicy::new(4, Duration::from_millis(10), Duration::from_millis(50)),
                &handles,
                |_entries: Vec<(String, AckHandle)>| {
                    attempts.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
                    async {
                        Err(AwsError::new(
                            "sqs:ChangeMessageVisibilityBatch",
                            AwsErrorKind::Throttled,
                            Some(400),
                            Some("RequestThrottled".into()),
                            "slow down",
                        ))
                    }
                },
            )
            .await;
        assert_eq!(attempts.load(std::sync::atomic::Ordering::SeqCst), 4);
        assert_eq!(results.len(), 3);
        assert!(
            results
                .iter()
                .all(|r| matches!(r, Err(QueueError::Throttled(_)))),
            "{results:?}"
        );

        let results = q
            .run_batches(
                BatchOp::Delete,
                RetryPolicy::new(4, Duration::from_millis(10), Duration::from_millis(50)),
                &handles,
                |_entries: Vec<(String, AckHandle)>| async {
                    Err(AwsError::new(
                        "sqs:DeleteMessageBatch",
                        AwsErrorKind::NotFound,
                        Some(400),
                        Some("QueueDoesNotExist".into()),
                        "no queue",
                    ))
                },
            )
            .await;
        assert!(
            results
                .iter()
                .all(|r| matches!(r, Err(QueueError::NotFound(_)))),
            "{results:?}"
        );
    }

    #[test]
    fn seconds_round_up_and_saturate() {
        assert_eq!(secs_ceil(Duration::ZERO), 0);
        assert_eq!(secs_ceil(Duration::from_millis(1)), 1);
        assert_eq!(secs_ceil(Duration::from_secs(20)), 20);
        assert_eq!(secs_ceil(Duration::from_millis(20_001)), 21);
        assert_eq!(secs_ceil(Duration::MAX), i32::MAX);
    }

    #[test]
    fn entry_ids_are_bounded() {
        assert_eq!(index_of("3", 10), Some(3));
        assert_eq!(index_of("10", 10), None);
        assert_eq!(index_of("x", 10), None);
    }
}
