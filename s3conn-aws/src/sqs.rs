//! [`SqsQueue`]: the [`Queue`] of s3conn on Amazon SQS (aws-sdk-sqs).
//!
//! - `receive`: `ReceiveMessage` long poll (at most 20 s, at most 10 messages), with the message's
//!   `ApproximateReceiveCount` as its delivery attempt, its `SentTimestamp` (the start of the
//!   message lag), and the visibility timeout each receive names.
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
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use aws_sdk_sqs::types::{
    ChangeMessageVisibilityBatchRequestEntry, DeleteMessageBatchRequestEntry,
    MessageSystemAttributeName, SendMessageBatchRequestEntry,
};
use s3conn_core::queue::BatchResult;
use s3conn_core::{AckHandle, Message, Queue, QueueError};

use crate::error::AwsError;
use crate::requests::{Api, RequestCounter, RequestCounts};
use crate::retry::{RetryPolicies, RetryStats};

mod batch;

use batch::{batch_request, BatchOp};

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

    /// Labels this queue's request and retry metrics with `connector` (a fresh set of counters;
    /// call it before cloning or sharing the queue).
    pub fn with_connector(mut self, connector: &str) -> Self {
        self.stats = Arc::new(RetryStats::labelled(connector));
        self.requests = Arc::new(RequestCounter::labelled(connector));
        self
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
                let r = self
                    .client
                    .send_message()
                    .queue_url(&self.queue_url)
                    .message_body(body.clone())
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("sqs:SendMessage", &e));
                self.requests.answered(Api::SendMessage, r.as_ref().err());
                r
            })
            .await?;
        Ok(out.message_id().unwrap_or_default().to_string())
    }

    /// Sends messages in batches of 10; one result per body, in order.
    pub async fn send_batch(&self, bodies: &[String]) -> BatchResult {
        let (client, url) = (&self.client, &self.queue_url);
        self.run_batches(BatchOp::Send, self.retry.send, bodies, |items| {
            batch_request(
                BatchOp::Send,
                items,
                |id, body| {
                    SendMessageBatchRequestEntry::builder()
                        .id(id)
                        .message_body(body)
                        .build()
                },
                |entries| {
                    let req = client.send_message_batch().queue_url(url);
                    req.set_entries(Some(entries)).send()
                },
            )
        })
        .await
    }
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
                let r = self
                    .client
                    .receive_message()
                    .queue_url(&self.queue_url)
                    .max_number_of_messages(max)
                    .wait_time_seconds(wait)
                    .visibility_timeout(visibility)
                    .message_system_attribute_names(
                        MessageSystemAttributeName::ApproximateReceiveCount,
                    )
                    // The start of the message lag (`s3conn_message_lag_seconds`).
                    .message_system_attribute_names(MessageSystemAttributeName::SentTimestamp)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("sqs:ReceiveMessage", &e));
                self.requests
                    .answered(Api::ReceiveMessage, r.as_ref().err());
                r
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
            let sent_at_ms = m
                .attributes()
                .and_then(|a| a.get(&MessageSystemAttributeName::SentTimestamp))
                .and_then(|v| v.parse::<i64>().ok());
            messages.push(Message {
                sent_at_ms,
                handle: AckHandle(handle.to_string()),
                id: m.message_id().unwrap_or_default().to_string(),
                attempt,
                body: m.body().unwrap_or_default().to_string(),
            });
        }
        Ok(messages)
    }

    async fn acknowledge(&self, handles: &[AckHandle]) -> BatchResult {
        let (client, url) = (&self.client, &self.queue_url);
        self.run_batches(BatchOp::Delete, self.retry.acknowledge, handles, |items| {
            batch_request(
                BatchOp::Delete,
                items,
                |id, handle: AckHandle| {
                    DeleteMessageBatchRequestEntry::builder()
                        .id(id)
                        .receipt_handle(handle.0)
                        .build()
                },
                |entries| {
                    let req = client.delete_message_batch().queue_url(url);
                    req.set_entries(Some(entries)).send()
                },
            )
        })
        .await
    }

    async fn extend(&self, handles: &[AckHandle], visibility: Duration) -> BatchResult {
        let (client, url) = (&self.client, &self.queue_url);
        let secs = secs_ceil(visibility.min(SQS_MAX_VISIBILITY));
        let op = BatchOp::ChangeVisibility;
        self.run_batches(op, self.retry.extend, handles, |items| {
            batch_request(
                op,
                items,
                |id, handle: AckHandle| {
                    ChangeMessageVisibilityBatchRequestEntry::builder()
                        .id(id)
                        .receipt_handle(handle.0)
                        .visibility_timeout(secs)
                        .build()
                },
                |entries| {
                    let req = client.change_message_visibility_batch().queue_url(url);
                    req.set_entries(Some(entries)).send()
                },
            )
        })
        .await
    }

    async fn release(&self, handle: &AckHandle) -> Result<(), QueueError> {
        self.retry
            .release
            .run(&self.stats, || async {
                self.requests.record(Api::ChangeMessageVisibility);
                let r = self
                    .client
                    .change_message_visibility()
                    .queue_url(&self.queue_url)
                    .receipt_handle(handle.as_str())
                    .visibility_timeout(0)
                    .send()
                    .await
                    .map_err(|e| AwsError::from_sdk("sqs:ChangeMessageVisibility", &e));
                self.requests
                    .answered(Api::ChangeMessageVisibility, r.as_ref().err());
                r
            })
            .await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_round_up_and_saturate() {
        assert_eq!(secs_ceil(Duration::ZERO), 0);
        assert_eq!(secs_ceil(Duration::from_millis(1)), 1);
        assert_eq!(secs_ceil(Duration::from_secs(20)), 20);
        assert_eq!(secs_ceil(Duration::from_millis(20_001)), 21);
        assert_eq!(secs_ceil(Duration::MAX), i32::MAX);
    }
}
