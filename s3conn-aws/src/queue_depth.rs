//! The optional queue-depth gauge: `GetQueueAttributes` polled every [`QUEUE_DEPTH_INTERVAL`]
//! into `s3conn_queue_messages{connector, state}` with `state` = `visible`
//! (`ApproximateNumberOfMessages`), `in_flight` (`…NotVisible`) and `delayed` (`…Delayed`).
//!
//! Off by default (`queue_depth_metrics = true` in the configuration, or
//! `collect --queue-depth-metrics`): it needs the extra permission `sqs:GetQueueAttributes`, and
//! costs one request per interval (about 86,000 a month at 30 s). The same numbers drive
//! autoscalers such as KEDA's SQS scaler. A failed poll leaves the gauge as it was, is counted in
//! `s3conn_aws_requests_total{api="sqs:GetQueueAttributes"}` and logged once per failure streak.

use std::time::Duration;

use aws_sdk_sqs::types::QueueAttributeName;
use s3conn_core::telemetry::names;
use tokio_util::sync::CancellationToken;

use crate::error::AwsError;
use crate::sqs::SqsQueue;

/// How often the queue depth is polled: 30 s.
pub const QUEUE_DEPTH_INTERVAL: Duration = Duration::from_secs(30);

/// The approximate message counts of a queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct QueueDepth {
    /// Messages available for retrieval.
    pub visible: u64,
    /// Messages received and not yet deleted (in flight).
    pub in_flight: u64,
    /// Messages delayed, not yet available.
    pub delayed: u64,
}

/// One `GetQueueAttributes` call for the three counts.
pub async fn queue_depth(queue: &SqsQueue) -> Result<QueueDepth, AwsError> {
    let out = queue
        .client()
        .get_queue_attributes()
        .queue_url(queue.queue_url())
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessages)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesNotVisible)
        .attribute_names(QueueAttributeName::ApproximateNumberOfMessagesDelayed)
        .send()
        .await
        .map_err(|e| AwsError::from_sdk("sqs:GetQueueAttributes", &e))?;
    let attrs = out.attributes();
    let count = |name: QueueAttributeName| -> u64 {
        attrs
            .and_then(|a| a.get(&name))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    Ok(QueueDepth {
        visible: count(QueueAttributeName::ApproximateNumberOfMessages),
        in_flight: count(QueueAttributeName::ApproximateNumberOfMessagesNotVisible),
        delayed: count(QueueAttributeName::ApproximateNumberOfMessagesDelayed),
    })
}

/// Polls the depth of `queue` every `every` into the gauge labelled `connector`, until `stop`.
pub async fn watch_queue_depth(
    queue: SqsQueue,
    connector: String,
    every: Duration,
    stop: CancellationToken,
) {
    let gauge = |state: &'static str| metrics::gauge!(names::QUEUE_MESSAGES, "connector" => connector.clone(), "state" => state);
    let (visible, in_flight, delayed) = (gauge("visible"), gauge("in_flight"), gauge("delayed"));
    let mut failing = false;
    loop {
        let result = tokio::select! {
            r = queue_depth(&queue) => r,
            _ = stop.cancelled() => return,
        };
        let outcome = match &result {
            Ok(_) => "ok",
            Err(e) => e.kind.label(),
        };
        metrics::counter!(
            names::AWS_REQUESTS,
            "connector" => connector.clone(),
            "api" => "sqs:GetQueueAttributes",
            "outcome" => outcome
        )
        .increment(1);
        match result {
            Ok(depth) => {
                failing = false;
                visible.set(depth.visible as f64);
                in_flight.set(depth.in_flight as f64);
                delayed.set(depth.delayed as f64);
            }
            Err(e) if !failing => {
                failing = true;
                tracing::warn!(%connector, error = %e, "cannot read the queue depth (is sqs:GetQueueAttributes allowed?)");
            }
            Err(e) => tracing::debug!(%connector, error = %e, "cannot read the queue depth"),
        }
        tokio::select! {
            _ = tokio::time::sleep(every) => {}
            _ = stop.cancelled() => return,
        }
    }
}
