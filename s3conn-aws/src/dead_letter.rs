//! [`SqsDeadLetterSink`]: a [`DeadLetterSink`] that sends each dead-lettered item, as JSON, to an SQS
//! queue of its own.
//!
//! Each [`DeadLetter`] becomes one message: its JSON serialization (kind, reason, object, message
//! id, line, offset, ordinal, and the raw bytes base64-encoded). SQS limits a message, and a
//! whole `SendMessageBatch` request, to 256 KiB: an item whose JSON is larger is sent with its
//! `raw` cut to a prefix (still valid base64 of the first bytes) and `"raw_truncated": true`
//! plus `"raw_len"` (the length of the full base64 text), and batches are split by size as well as
//! by count. `dead_letter` returns `Ok` only when SQS accepted every item, so the pipeline
//! acknowledges only what the dead-letter queue holds; a failure is reported as retryable or not
//! by its class, and a retry may send an item twice (at-least-once, like everything else).

use std::sync::Arc;

use async_trait::async_trait;
use s3conn_core::sink::{DeadLetter, DeadLetterSink, SinkError};
use s3conn_core::Classify;

use crate::sqs::SqsQueue;

/// The most SQS accepts in one message, and in one batch request.
pub const SQS_MAX_PAYLOAD: usize = 256 * 1024;

/// Room kept for the JSON around `raw` and the added fields when cutting `raw`.
const MARGIN: usize = 1024;

/// Sends dead-lettered items to an SQS queue (see the module docs).
#[derive(Debug, Clone)]
pub struct SqsDeadLetterSink {
    queue: Arc<SqsQueue>,
}

impl SqsDeadLetterSink {
    /// Dead letters go to `queue` (an [`SqsQueue`] on the dead-letter queue's URL).
    pub fn new(queue: Arc<SqsQueue>) -> Self {
        SqsDeadLetterSink { queue }
    }

    /// The queue.
    pub fn queue(&self) -> &SqsQueue {
        &self.queue
    }

    /// The message body for one item, within the size limit.
    pub fn body(&self, item: &DeadLetter) -> Result<String, SinkError> {
        let json = serde_json::to_string(item)
            .map_err(|e| SinkError::Rejected(format!("cannot serialize a dead letter: {e}")))?;
        if json.len() <= SQS_MAX_PAYLOAD {
            return Ok(json);
        }
        let mut value = serde_json::to_value(item)
            .map_err(|e| SinkError::Rejected(format!("cannot serialize a dead letter: {e}")))?;
        let raw = value["raw"].as_str().unwrap_or_default().to_string();
        let rest = json.len() - raw.len();
        // A multiple of 4 base64 characters decodes to a prefix of the bytes.
        let keep = SQS_MAX_PAYLOAD.saturating_sub(rest + MARGIN) / 4 * 4;
        value["raw"] = serde_json::Value::String(raw[..keep.min(raw.len())].to_string());
        value["raw_truncated"] = serde_json::Value::Bool(true);
        value["raw_len"] = serde_json::Value::from(raw.len());
        let body = value.to_string();
        if body.len() > SQS_MAX_PAYLOAD {
            // The reason or the object key alone are too large: never the case for real items.
            return Err(SinkError::Rejected(format!(
                "a dead letter of {} bytes does not fit in an SQS message even without its raw bytes",
                body.len()
            )));
        }
        Ok(body)
    }
}

#[async_trait]
impl DeadLetterSink for SqsDeadLetterSink {
    async fn dead_letter(&self, items: &[DeadLetter]) -> Result<(), SinkError> {
        let bodies = items
            .iter()
            .map(|i| self.body(i))
            .collect::<Result<Vec<_>, _>>()?;
        // Batches of at most 10 messages and `SQS_MAX_PAYLOAD` bytes in all.
        let mut start = 0;
        while start < bodies.len() {
            let mut end = start;
            let mut size = 0;
            while end < bodies.len() && end - start < 10 {
                if end > start && size + bodies[end].len() > SQS_MAX_PAYLOAD {
                    break;
                }
                size += bodies[end].len();
                end += 1;
            }
            let results = self.queue.send_batch(&bodies[start..end]).await;
            let mut retryable = true;
            let mut failed = Vec::new();
            for r in results {
                if let Err(e) = r {
                    retryable &= e.is_retryable();
                    failed.push(e.to_string());
                }
            }
            if !failed.is_empty() {
                let text = format!(
                    "{} of {} dead letters not accepted by SQS: {}",
                    failed.len(),
                    end - start,
                    failed[0]
                );
                return Err(if retryable {
                    SinkError::Retryable(text)
                } else {
                    SinkError::Rejected(text)
                });
            }
            start = end;
        }
        Ok(())
    }
}
