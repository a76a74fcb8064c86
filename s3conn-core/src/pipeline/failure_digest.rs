//! A failure that repeats across many attempts (a sink that keeps refusing batches from every
//! object worked on): logged once when it starts, then once per `failure_report_interval` with
//! the count since, and once when it stops — not once per attempt.

use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;
use tracing::{info, warn};

/// The state of one kind of repeated failure.
#[derive(Debug, Default)]
pub(super) struct FailureDigest {
    state: Mutex<DigestState>,
}

#[derive(Debug, Default)]
struct DigestState {
    /// Failures since the last success.
    failing: u64,
    /// Failures not yet reported.
    unreported: u64,
    reported_at: Option<Instant>,
}

impl FailureDigest {
    /// Notes one failure of `what`; warns now if it is the first since a success or the last
    /// report is `interval` old.
    pub(super) fn failed(&self, what: &str, error: &dyn std::fmt::Display, interval: Duration) {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        s.failing += 1;
        s.unreported += 1;
        let now = Instant::now();
        let due = s
            .reported_at
            .is_none_or(|at| now.duration_since(at) >= interval);
        if due {
            warn!(error = %error, failures = s.unreported, failing_for_attempts = s.failing, "{what} failing; retrying (reported once per interval)");
            s.unreported = 0;
            s.reported_at = Some(now);
        }
    }

    /// Notes a success: if failures were going on, says they stopped.
    pub(super) fn succeeded(&self, what: &str) {
        let mut s = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        if s.failing > 0 {
            info!(failures = s.failing, "{what} works again");
            *s = DigestState::default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn one_warning_per_interval_and_reset_on_success() {
        let digest = FailureDigest::default();
        let interval = Duration::from_secs(60);
        digest.failed("sink", &"boom", interval);
        assert_eq!(
            digest.state.lock().unwrap().unreported,
            0,
            "the first is reported"
        );
        for _ in 0..10 {
            digest.failed("sink", &"boom", interval);
        }
        assert_eq!(
            digest.state.lock().unwrap().unreported,
            10,
            "then held back"
        );
        tokio::time::advance(interval).await;
        digest.failed("sink", &"boom", interval);
        assert_eq!(
            digest.state.lock().unwrap().unreported,
            0,
            "reported after the interval"
        );
        assert_eq!(digest.state.lock().unwrap().failing, 12);
        digest.succeeded("sink");
        assert_eq!(digest.state.lock().unwrap().failing, 0);
        assert!(digest.state.lock().unwrap().reported_at.is_none());
    }
}
