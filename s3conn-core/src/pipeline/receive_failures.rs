//! Receives that keep failing: backed off, bounded in drain mode, and reported once per interval
//! rather than once per attempt.

use std::time::Duration;

use tokio::time::Instant;
use tracing::{debug, warn};

use crate::backoff::equal_jitter;
use crate::error::{Classify, ErrorClass};
use crate::queue::QueueError;

use super::config::{PipelineConfig, PipelineError};

/// What to do after a failed receive.
pub(super) enum AfterFailure {
    /// Wait this long, then receive again.
    RetryAfter(Duration),
    /// Stop the run with this error.
    Stop(PipelineError),
}

/// A run of failed receives, from the first failure to the next success.
#[derive(Debug)]
pub(super) struct ReceiveFailures {
    since: Instant,
    count: u64,
    unreported: u64,
    reported_at: Option<Instant>,
    last: Option<QueueError>,
}

impl ReceiveFailures {
    /// Counts the failure `e` in `failing` (starting a run of failures if none) and decides:
    /// configuration errors stop at once, a drain stops once the queue stayed unreachable for
    /// `queue_unreachable_limit`, anything else is retried with capped backoff. The first failure
    /// is logged as a warning, then one warning per `failure_report_interval` with the count since.
    pub(super) fn failed(
        failing: &mut Option<ReceiveFailures>,
        e: QueueError,
        cfg: &PipelineConfig,
    ) -> AfterFailure {
        if e.class() == ErrorClass::Configuration {
            warn!(error = %e, "receive failed: check the queue URL, region and permissions");
            return AfterFailure::Stop(PipelineError::Queue(e));
        }
        let now = Instant::now();
        let f = failing.get_or_insert(ReceiveFailures {
            since: now,
            count: 0,
            unreported: 0,
            reported_at: None,
            last: None,
        });
        f.count += 1;
        f.unreported += 1;
        let waited = now - f.since;
        if cfg.drain && waited >= cfg.queue_unreachable_limit {
            warn!(error = %e, failures = f.count, ?waited, "the queue stayed unreachable: giving up the drain");
            return AfterFailure::Stop(PipelineError::QueueUnreachable {
                waited,
                failures: f.count,
                last: e,
            });
        }
        let exponent = u32::try_from(f.count).unwrap_or(u32::MAX);
        let mut wait = equal_jitter(cfg.retry_base, cfg.retry_max, exponent);
        if cfg.drain {
            wait = wait.min(cfg.queue_unreachable_limit - waited);
        }
        let report = f
            .reported_at
            .is_none_or(|at| now - at >= cfg.failure_report_interval);
        if report {
            warn!(error = %e, failures = f.unreported, failing_for = ?waited, next_attempt = ?wait,
                "receiving from the queue failed; retrying with backoff (reported once per {:?})",
                cfg.failure_report_interval);
            f.reported_at = Some(now);
            f.unreported = 0;
        } else {
            debug!(error = %e, ?wait, "receive failed, backing off");
        }
        f.last = Some(e);
        AfterFailure::RetryAfter(wait)
    }

    /// A run that ends while receiving still fails did not reach its queue: the error that says
    /// so (`None` when no failure was recorded).
    pub(super) fn into_error(self) -> Option<PipelineError> {
        let last = self.last?;
        Some(PipelineError::QueueUnreachable {
            waited: self.since.elapsed(),
            failures: self.count,
            last,
        })
    }

    /// Failed receives in this run of failures.
    pub(super) fn count(&self) -> u64 {
        self.count
    }

    /// When the first of them failed.
    pub(super) fn since(&self) -> Instant {
        self.since
    }
}
