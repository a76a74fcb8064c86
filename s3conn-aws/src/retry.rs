//! Retry policies: jittered exponential backoff with a bounded number of attempts, one per operation.
//!
//! The SDK's own retries are switched off in the clients this crate builds (see
//! [`crate::config`]), so these policies are the only retry layer: one place to read, tune and count.
//! Only [`AwsError`]s whose kind is retryable (throttling, 5xx, timeouts, DNS and connection
//! failures) are retried; configuration, permission and not-found errors return at once.

use std::future::Future;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use s3conn_core::backoff::equal_jitter;
use s3conn_core::Classify;

use crate::error::{AwsError, AwsErrorKind};

/// How one operation is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all, the first included (1 = no retry).
    pub max_attempts: u32,
    /// Ceiling of the first backoff; it doubles on every further retry.
    pub initial_backoff: Duration,
    /// Upper bound of any single backoff.
    pub max_backoff: Duration,
}

impl RetryPolicy {
    /// A policy of `max_attempts` attempts with backoff from `initial_backoff` up to `max_backoff`.
    pub const fn new(max_attempts: u32, initial_backoff: Duration, max_backoff: Duration) -> Self {
        RetryPolicy {
            max_attempts,
            initial_backoff,
            max_backoff,
        }
    }

    /// A policy that never retries.
    pub const fn none() -> Self {
        RetryPolicy::new(1, Duration::ZERO, Duration::ZERO)
    }

    /// The backoff before retry number `retry` (1 for the first retry).
    ///
    /// Core's [`equal_jitter`]: the ceiling is `initial_backoff * 2^(retry-1)` (doubled again
    /// when the service throttled us), capped at `max_backoff`; the delay is half the ceiling plus
    /// a random part of up to the other half. Never zero unless the ceiling is, so a loop of
    /// failures can never spin, and concurrent workers spread out.
    pub fn backoff(&self, retry: u32, throttled: bool) -> Duration {
        let exponent = retry.saturating_sub(1).min(20) + u32::from(throttled);
        equal_jitter(self.initial_backoff, self.max_backoff, exponent)
    }

    /// Runs `op` until it succeeds, fails with a non-retryable error, or the attempts are spent.
    ///
    /// Every retry is counted in `stats` (the status and done lines show the count) and logged at
    /// `debug`: a failure that outlives the retries reaches the pipeline, which warns once per
    /// interval, so an outage does not print a line per attempt.
    pub(crate) async fn run<T, F, Fut>(&self, stats: &RetryStats, mut op: F) -> Result<T, AwsError>
    where
        F: FnMut() -> Fut,
        Fut: Future<Output = Result<T, AwsError>>,
    {
        let mut attempt = 1u32;
        loop {
            match op().await {
                Ok(v) => return Ok(v),
                Err(e) if e.is_retryable() && attempt < self.max_attempts.max(1) => {
                    let delay = self.backoff(attempt, e.kind == AwsErrorKind::Throttled);
                    stats.record_retry(&e);
                    tracing::debug!(
                        operation = e.operation,
                        attempt,
                        max_attempts = self.max_attempts,
                        delay_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                        error = %e,
                        "retrying AWS request"
                    );
                    tokio::time::sleep(delay).await;
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// One retry policy per operation of the queue and the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicies {
    /// `sqs:ReceiveMessage`; long polls are cheap to repeat, and the caller loops anyway.
    pub receive: RetryPolicy,
    /// `sqs:DeleteMessageBatch`; an acknowledgement that fails means a duplicate later.
    pub acknowledge: RetryPolicy,
    /// `sqs:ChangeMessageVisibilityBatch` for lease renewal: quick retries, the lease is ticking.
    pub extend: RetryPolicy,
    /// `sqs:ChangeMessageVisibility` to 0 when releasing a message.
    pub release: RetryPolicy,
    /// `sqs:SendMessage(Batch)`.
    pub send: RetryPolicy,
    /// `s3:GetObject` up to the response headers (body failures are retried by the caller).
    pub get_object: RetryPolicy,
}

impl Default for RetryPolicies {
    fn default() -> Self {
        let ms = Duration::from_millis;
        let s = Duration::from_secs;
        RetryPolicies {
            receive: RetryPolicy::new(5, ms(200), s(10)),
            acknowledge: RetryPolicy::new(6, ms(100), s(5)),
            extend: RetryPolicy::new(4, ms(100), s(2)),
            release: RetryPolicy::new(3, ms(100), s(2)),
            send: RetryPolicy::new(5, ms(100), s(5)),
            get_object: RetryPolicy::new(5, ms(200), s(10)),
        }
    }
}

impl RetryPolicies {
    /// Policies that never retry (tests, and callers with their own retry loop).
    pub fn none() -> Self {
        let n = RetryPolicy::none();
        RetryPolicies {
            receive: n,
            acknowledge: n,
            extend: n,
            release: n,
            send: n,
            get_object: n,
        }
    }
}

/// Counts retries, for status lines and tests.
#[derive(Debug, Default)]
pub(crate) struct RetryStats {
    retries: AtomicU64,
    /// The `connector` label of the retry metric (`unnamed` when unset).
    connector: Option<metrics::SharedString>,
}

impl RetryStats {
    /// Retry counters whose metric (`s3conn_aws_retries_total`) carries `connector`.
    pub fn labelled(connector: &str) -> Self {
        RetryStats {
            retries: AtomicU64::new(0),
            connector: Some(std::sync::Arc::<str>::from(connector).into()),
        }
    }

    /// Counts one retry after `error`: `s3conn_aws_retries_total{connector, api, class}`.
    pub fn record_retry(&self, error: &AwsError) {
        self.retries.fetch_add(1, Ordering::Relaxed);
        let connector = self
            .connector
            .clone()
            .unwrap_or(metrics::SharedString::const_str(
                s3conn_core::telemetry::UNNAMED,
            ));
        metrics::counter!(
            s3conn_core::telemetry::names::AWS_RETRIES,
            "connector" => connector,
            "api" => error.operation,
            "class" => error.kind.label()
        )
        .increment(1);
    }

    /// Retries so far.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU32;

    fn err(kind: AwsErrorKind) -> AwsError {
        AwsError::new("test:Op", kind, None, None, "boom")
    }

    #[test]
    fn backoff_grows_is_capped_and_never_zero() {
        let p = RetryPolicy::new(10, Duration::from_millis(100), Duration::from_secs(2));
        for _ in 0..200 {
            let d1 = p.backoff(1, false);
            assert!(
                d1 >= Duration::from_millis(50) && d1 <= Duration::from_millis(100),
                "{d1:?}"
            );
            let d3 = p.backoff(3, false);
            assert!(
                d3 >= Duration::from_millis(200) && d3 <= Duration::from_millis(400),
                "{d3:?}"
            );
            let throttled = p.backoff(3, true);
            assert!(throttled >= Duration::from_millis(400), "{throttled:?}");
            let d30 = p.backoff(30, true);
            assert!(
                d30 >= Duration::from_secs(1) && d30 <= Duration::from_secs(2),
                "{d30:?}"
            );
        }
    }

    #[test]
    fn backoff_is_jittered() {
        let p = RetryPolicy::new(10, Duration::from_secs(1), Duration::from_secs(10));
        let samples: std::collections::HashSet<_> = (0..50).map(|_| p.backoff(2, false)).collect();
        assert!(
            samples.len() > 10,
            "jitter should spread delays, got {}",
            samples.len()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn retries_retryable_errors_up_to_the_bound() {
        let p = RetryPolicy::new(4, Duration::from_millis(100), Duration::from_secs(1));
        let stats = RetryStats::default();
        let calls = AtomicU32::new(0);
        let started = tokio::time::Instant::now();
        let r: Result<(), _> = p
            .run(&stats, || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(err(AwsErrorKind::Throttled))
            })
            .await;
        assert_eq!(r.expect_err("fails").kind, AwsErrorKind::Throttled);
        assert_eq!(calls.load(Ordering::SeqCst), 4);
        assert_eq!(stats.retries(), 3);
        // Three backoffs of at least 100, 200, 400 ms (throttled doubles each ceiling; half is fixed).
        assert!(
            started.elapsed() >= Duration::from_millis(350),
            "{:?}",
            started.elapsed()
        );
    }

    #[tokio::test(start_paused = true)]
    async fn stops_at_once_on_permanent_and_configuration_errors() {
        let p = RetryPolicy::new(5, Duration::from_millis(100), Duration::from_secs(1));
        for kind in [
            AwsErrorKind::NotFound,
            AwsErrorKind::PermissionDenied,
            AwsErrorKind::Unauthenticated,
            AwsErrorKind::Configuration,
            AwsErrorKind::PreconditionFailed,
            AwsErrorKind::LeaseLost,
        ] {
            let stats = RetryStats::default();
            let calls = AtomicU32::new(0);
            let r: Result<(), _> = p
                .run(&stats, || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    Err(err(kind))
                })
                .await;
            assert!(r.is_err());
            assert_eq!(calls.load(Ordering::SeqCst), 1, "{kind:?}");
            assert_eq!(stats.retries(), 0);
        }
    }

    #[tokio::test(start_paused = true)]
    async fn succeeds_after_transient_failures() {
        let p = RetryPolicies::default().get_object;
        let stats = RetryStats::default();
        let calls = AtomicU32::new(0);
        let r = p
            .run(&stats, || async {
                let n = calls.fetch_add(1, Ordering::SeqCst);
                if n < 2 {
                    Err(err(if n == 0 {
                        AwsErrorKind::Connection
                    } else {
                        AwsErrorKind::Transient
                    }))
                } else {
                    Ok(n)
                }
            })
            .await;
        assert_eq!(r.expect("succeeds"), 2);
        assert_eq!(stats.retries(), 2);
    }

    #[tokio::test(start_paused = true)]
    async fn policy_none_never_retries() {
        let stats = RetryStats::default();
        let calls = AtomicU32::new(0);
        let r: Result<(), _> = RetryPolicies::none()
            .receive
            .run(&stats, || async {
                calls.fetch_add(1, Ordering::SeqCst);
                Err(err(AwsErrorKind::Transient))
            })
            .await;
        assert!(r.is_err());
        assert_eq!(calls.load(Ordering::SeqCst), 1);
    }
}
