//! The batch requests of [`SqsQueue`] (`DeleteMessageBatch`, `ChangeMessageVisibilityBatch`,
//! `SendMessageBatch`): one request helper for the three, and chunking with per-entry retries.

use std::error::Error as StdError;
use std::future::Future;

use aws_sdk_sqs::error::BuildError;
use aws_sdk_sqs::operation::change_message_visibility_batch::ChangeMessageVisibilityBatchOutput;
use aws_sdk_sqs::operation::delete_message_batch::DeleteMessageBatchOutput;
use aws_sdk_sqs::operation::send_message_batch::SendMessageBatchOutput;
use aws_sdk_sqs::types::BatchResultErrorEntry;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use s3conn_core::queue::BatchResult;
use s3conn_core::{Classify, QueueError};

use super::{SqsQueue, SQS_BATCH_MAX};
use crate::error::{kind_for, normalize_code, AwsError, AwsErrorKind};
use crate::requests::Api;
use crate::retry::RetryPolicy;

/// What one batch entry operation does, for logging and classification.
#[derive(Clone, Copy)]
pub(super) enum BatchOp {
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
pub(super) type BatchAnswer = (Vec<String>, Vec<BatchResultErrorEntry>);

/// The answer of a batch output: ids of the entries that succeeded, and the failed entries.
pub(super) trait BatchOutput {
    /// Ids that succeeded, and failed entries.
    fn answer(&self) -> BatchAnswer;
}

macro_rules! batch_output {
    ($($output:ty),*) => {$(
        impl BatchOutput for $output {
            fn answer(&self) -> BatchAnswer {
                let ok = self.successful().iter().map(|s| s.id().to_string()).collect();
                (ok, self.failed().to_vec())
            }
        }
    )*};
}

batch_output!(
    DeleteMessageBatchOutput,
    ChangeMessageVisibilityBatchOutput,
    SendMessageBatchOutput
);

/// Sends one batch request of `op`: each `(id, item)` becomes an entry through `entry`, `send`
/// sends them, and the answer is read the same way for every operation.
pub(super) async fn batch_request<T, E, O, SE, Fut>(
    op: BatchOp,
    items: Vec<(String, T)>,
    entry: impl Fn(String, T) -> Result<E, BuildError>,
    send: impl FnOnce(Vec<E>) -> Fut,
) -> Result<BatchAnswer, AwsError>
where
    Fut: Future<Output = Result<O, SdkError<SE, HttpResponse>>>,
    O: BatchOutput,
    SE: ProvideErrorMetadata + StdError + 'static,
{
    let entries = items
        .into_iter()
        .map(|(id, item)| entry(id, item))
        .collect::<Result<Vec<E>, _>>()
        .map_err(|e| build_error(op, &e))?;
    let out = send(entries)
        .await
        .map_err(|e| AwsError::from_sdk(op.name(), &e))?;
    Ok(out.answer())
}

impl SqsQueue {
    /// Runs a batch operation over `items` in chunks of 10, retrying what may succeed later.
    pub(super) async fn run_batches<T, F, Fut>(
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
                let answer = call(entries).await;
                self.requests.answered(op.api(), answer.as_ref().err());
                match answer {
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
                self.stats.record_retry(&e);
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sqs::SqsQueue;
    use s3conn_core::AckHandle;
    use std::time::Duration;

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
    fn entry_ids_are_bounded() {
        assert_eq!(index_of("3", 10), Some(3));
        assert_eq!(index_of("10", 10), None);
        assert_eq!(index_of("x", 10), None);
    }
}
