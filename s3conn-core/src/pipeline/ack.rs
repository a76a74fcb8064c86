//! Batched acknowledgement: finished messages are deleted ten at a time.

use std::sync::Arc;

use tokio::sync::mpsc;
use tracing::warn;

use crate::backoff::equal_jitter;
use crate::error::Classify;
use crate::queue::AckHandle;
use crate::stats::Stats;
use crate::telemetry::Stage;

use super::report::KeepReason;
use super::Inner;

/// Deletes acknowledged messages in batches of up to 10, lingering to fill a batch (at most
/// `ack_linger`, and at most a quarter of the lease, which is no longer renewed). Returns once
/// every sender is gone and the last batch is sent.
pub(super) async fn acknowledge_batches(inner: Arc<Inner>, mut rx: mpsc::Receiver<AckHandle>) {
    let linger_for = inner
        .config
        .ack_linger
        .min(inner.config.visibility_timeout / 4);
    while let Some(first) = rx.recv().await {
        let mut handles = vec![first];
        let linger = tokio::time::sleep(linger_for);
        tokio::pin!(linger);
        while handles.len() < 10 {
            tokio::select! {
                more = rx.recv() => match more { Some(m) => handles.push(m), None => break },
                _ = &mut linger => break,
            }
        }
        let mut pending: Vec<usize> = (0..handles.len()).collect();
        // Backends retry their own transient failures; one more round here covers a failure
        // that outlasted those retries. What still fails is redelivered (at-least-once).
        for attempt in 0..2 {
            let todo: Vec<AckHandle> = pending.iter().map(|&i| handles[i].clone()).collect();
            let results = inner.queue.acknowledge(&todo).await;
            let mut failed = Vec::new();
            for (&i, r) in pending.iter().zip(results) {
                match r {
                    Ok(()) => {
                        Stats::add(&inner.stats.messages_acknowledged, 1);
                        inner.metrics.messages_acknowledged.increment(1);
                    }
                    Err(e) if e.is_retryable() && attempt == 0 => failed.push(i),
                    Err(e) => {
                        inner.stats.failure(e.class());
                        inner.metrics.failure(Stage::Acknowledge, e.class());
                        inner.metrics.kept(KeepReason::AcknowledgeFailed);
                        warn!(error = %e, "acknowledge failed; the message will be redelivered");
                        inner.keep(KeepReason::AcknowledgeFailed, &e.to_string());
                    }
                }
            }
            pending = failed;
            if pending.is_empty() {
                break;
            }
            Stats::add(&inner.stats.retries, 1);
            inner.metrics.retry(Stage::Acknowledge);
            tokio::time::sleep(equal_jitter(
                inner.config.retry_base,
                inner.config.retry_max,
                attempt,
            ))
            .await;
        }
    }
}
