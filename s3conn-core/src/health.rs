//! Health of connectors: is each one ready, and if not, why. One [`ConnectorHealth`] per
//! pipeline ([`Pipeline::health`](crate::Pipeline::health)), gathered in a [`Health`] registry
//! that a process serves (`/readyz` of `s3conn collect --metrics-addr`).
//!
//! # The rule
//! A connector is **ready** when all of these hold:
//! 1. it is running (its `run` has started and not returned: otherwise *stopped*);
//! 2. a receive has succeeded since it started — credentials valid and queue reachable (before
//!    that it is *starting*; with SQS the first long poll returns within one receive wait);
//! 3. receiving is not failing for a configuration reason (credentials rejected, permission
//!    denied, queue gone): that is *degraded* at once, as retrying will not help;
//! 4. receiving has not failed continuously for [`HealthRules::receive_failing_for`] (default:
//!    three receive waits, 60 s for SQS's 20-second long poll): the failures since the last
//!    successful receive began at least that long ago;
//! 5. deliveries to the sink have not failed continuously for
//!    [`HealthRules::delivery_failing_for`] (default 3 minutes): every attempt since the first
//!    failure failed, and that first failure is at least that old.
//!
//! One successful receive (or delivery) ends a failure streak, so a single retryable error, or a
//! burst shorter than the window, never makes a connector unready, and recovery is immediate.
//! Liveness is separate: the process is alive while it answers (`/healthz`).

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

use crate::error::ErrorClass;

/// How long failures must last before a connector is degraded (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HealthRules {
    /// Receiving failing continuously for this long makes a connector degraded.
    pub receive_failing_for: Duration,
    /// Every delivery failing for this long makes a connector degraded.
    pub delivery_failing_for: Duration,
}

impl HealthRules {
    /// Default delivery window: 3 minutes.
    pub const DELIVERY_FAILING_FOR: Duration = Duration::from_secs(180);
    /// Receive waits without a successful receive before a connector is degraded.
    pub const RECEIVE_WAITS: u32 = 3;

    /// The default rules for a pipeline long-polling for `receive_wait`: three receive waits (at
    /// least 1 s) for receiving, 3 minutes for deliveries.
    pub fn for_receive_wait(receive_wait: Duration) -> Self {
        HealthRules {
            receive_failing_for: (receive_wait * Self::RECEIVE_WAITS).max(Duration::from_secs(1)),
            delivery_failing_for: Self::DELIVERY_FAILING_FOR,
        }
    }
}

/// Whether a connector is ready, and why not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "state", content = "reason", rename_all = "snake_case")]
pub enum Readiness {
    /// Receiving works and deliveries are not failing for long.
    Ready,
    /// No receive has succeeded yet.
    Starting,
    /// Sustained failure (the reason says which).
    Degraded(String),
    /// The pipeline is not running.
    Stopped(String),
}

impl Readiness {
    /// Whether this is [`Readiness::Ready`].
    pub fn is_ready(&self) -> bool {
        matches!(self, Readiness::Ready)
    }
}

impl fmt::Display for Readiness {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Readiness::Ready => f.write_str("ready"),
            Readiness::Starting => f.write_str("starting: no successful receive yet"),
            Readiness::Degraded(why) => write!(f, "degraded: {why}"),
            Readiness::Stopped(why) => write!(f, "stopped: {why}"),
        }
    }
}

/// A run of failures: since when, and the last one.
#[derive(Debug, Clone)]
struct Streak {
    since: Instant,
    last: String,
    class: ErrorClass,
}

#[derive(Debug)]
struct State {
    running: bool,
    stopped: String,
    received: bool,
    receive_failing: Option<Streak>,
    delivery_failing: Option<Streak>,
}

/// The health of one connector, updated by its pipeline, read by the [`Health`] registry.
#[derive(Debug)]
pub struct ConnectorHealth {
    name: String,
    rules: HealthRules,
    state: Mutex<State>,
}

impl ConnectorHealth {
    /// A connector named `name`, not yet running.
    pub fn new(name: impl Into<String>, rules: HealthRules) -> Self {
        ConnectorHealth {
            name: name.into(),
            rules,
            state: Mutex::new(State {
                running: false,
                stopped: "not started".into(),
                received: false,
                receive_failing: None,
                delivery_failing: None,
            }),
        }
    }

    /// The connector's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The rules applied.
    pub fn rules(&self) -> HealthRules {
        self.rules
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The pipeline started a run: starting until a receive succeeds.
    pub fn started(&self) {
        let mut s = self.state();
        s.running = true;
        s.received = false;
        s.receive_failing = None;
        s.delivery_failing = None;
    }

    /// The pipeline's run ended (`why`: how).
    pub fn stopped(&self, why: impl Into<String>) {
        let mut s = self.state();
        s.running = false;
        s.stopped = why.into();
    }

    /// A receive succeeded (with or without messages).
    pub fn receive_succeeded(&self) {
        let mut s = self.state();
        s.received = true;
        s.receive_failing = None;
    }

    /// A receive failed (after the backend's own retries).
    pub fn receive_failed(&self, class: ErrorClass, error: &dyn fmt::Display) {
        Self::failed(&mut self.state().receive_failing, class, error);
    }

    /// A delivery to the sink succeeded.
    pub fn delivery_succeeded(&self) {
        self.state().delivery_failing = None;
    }

    /// A delivery attempt to the sink failed.
    pub fn delivery_failed(&self, class: ErrorClass, error: &dyn fmt::Display) {
        Self::failed(&mut self.state().delivery_failing, class, error);
    }

    fn failed(streak: &mut Option<Streak>, class: ErrorClass, error: &dyn fmt::Display) {
        let last = error.to_string();
        match streak {
            Some(s) => {
                s.last = last;
                s.class = class;
            }
            None => {
                *streak = Some(Streak {
                    since: Instant::now(),
                    last,
                    class,
                })
            }
        }
    }

    /// Whether the connector is ready now, by the rule of the module docs.
    pub fn readiness(&self) -> Readiness {
        let s = self.state();
        if !s.running {
            return Readiness::Stopped(s.stopped.clone());
        }
        let now = Instant::now();
        if let Some(f) = &s.receive_failing {
            let failing = now.saturating_duration_since(f.since);
            if f.class == ErrorClass::Configuration {
                return Readiness::Degraded(format!("receiving fails: {}", f.last));
            }
            if failing >= self.rules.receive_failing_for {
                return Readiness::Degraded(format!(
                    "no successful receive for {}s: {}",
                    failing.as_secs(),
                    f.last
                ));
            }
        }
        if let Some(f) = &s.delivery_failing {
            let failing = now.saturating_duration_since(f.since);
            if failing >= self.rules.delivery_failing_for {
                return Readiness::Degraded(format!(
                    "every delivery failed for {}s: {}",
                    failing.as_secs(),
                    f.last
                ));
            }
        }
        if !s.received {
            return Readiness::Starting;
        }
        Readiness::Ready
    }
}

/// The health of every connector of a process: one entry per connector.
#[derive(Debug, Clone, Default)]
pub struct Health {
    entries: Arc<Mutex<Vec<Arc<ConnectorHealth>>>>,
}

/// One connector's line of a [`HealthReport`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConnectorStatus {
    /// The connector's name.
    pub connector: String,
    /// Its readiness.
    pub readiness: Readiness,
}

/// The readiness of every connector: ready only when there is one and all are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HealthReport {
    /// Whether every connector is ready (and there is at least one).
    pub ready: bool,
    /// Each connector, in the order registered.
    pub connectors: Vec<ConnectorStatus>,
}

impl fmt::Display for HealthReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.connectors.is_empty() {
            return f.write_str("no connector\n");
        }
        for c in &self.connectors {
            writeln!(f, "{}: {}", c.connector, c.readiness)?;
        }
        Ok(())
    }
}

impl Health {
    /// An empty registry.
    pub fn new() -> Self {
        Health::default()
    }

    /// Adds a connector's entry (from [`Pipeline::health`](crate::Pipeline::health)).
    pub fn register(&self, connector: Arc<ConnectorHealth>) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(connector);
    }

    /// The readiness of every connector now.
    pub fn report(&self) -> HealthReport {
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let connectors: Vec<ConnectorStatus> = entries
            .iter()
            .map(|c| ConnectorStatus {
                connector: c.name().to_string(),
                readiness: c.readiness(),
            })
            .collect();
        HealthReport {
            ready: !connectors.is_empty() && connectors.iter().all(|c| c.readiness.is_ready()),
            connectors,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::time::advance;

    fn rules() -> HealthRules {
        HealthRules {
            receive_failing_for: Duration::from_secs(60),
            delivery_failing_for: Duration::from_secs(180),
        }
    }

    fn running() -> ConnectorHealth {
        let h = ConnectorHealth::new("trail", rules());
        h.started();
        h
    }

    #[tokio::test(start_paused = true)]
    async fn starting_until_the_first_receive_then_ready() {
        let h = ConnectorHealth::new("trail", rules());
        assert!(matches!(h.readiness(), Readiness::Stopped(_)));
        h.started();
        assert_eq!(h.readiness(), Readiness::Starting);
        h.receive_succeeded();
        assert_eq!(h.readiness(), Readiness::Ready);
        h.stopped("drained");
        assert_eq!(h.readiness(), Readiness::Stopped("drained".into()));
    }

    #[tokio::test(start_paused = true)]
    async fn one_retryable_receive_failure_is_not_degraded() {
        let h = running();
        h.receive_succeeded();
        h.receive_failed(ErrorClass::Retryable, &"connection refused");
        assert!(h.readiness().is_ready());
        advance(Duration::from_secs(59)).await;
        h.receive_failed(ErrorClass::Retryable, &"connection refused");
        assert!(h.readiness().is_ready(), "{}", h.readiness());
        // A success ends the streak: a later failure starts a new window.
        h.receive_succeeded();
        advance(Duration::from_secs(30)).await;
        h.receive_failed(ErrorClass::Retryable, &"connection refused");
        advance(Duration::from_secs(59)).await;
        assert!(h.readiness().is_ready(), "{}", h.readiness());
    }

    #[tokio::test(start_paused = true)]
    async fn sustained_receive_failure_degrades_and_recovers_at_once() {
        let h = running();
        h.receive_succeeded();
        h.receive_failed(ErrorClass::Retryable, &"connection refused");
        advance(Duration::from_secs(60)).await;
        let r = h.readiness();
        assert!(
            matches!(&r, Readiness::Degraded(why) if why.contains("no successful receive for 60s: connection refused")),
            "{r}"
        );
        h.receive_succeeded();
        assert_eq!(h.readiness(), Readiness::Ready);
    }

    #[tokio::test(start_paused = true)]
    async fn a_configuration_failure_degrades_at_once() {
        let h = running();
        h.receive_failed(ErrorClass::Configuration, &"queue not found");
        assert_eq!(
            h.readiness(),
            Readiness::Degraded("receiving fails: queue not found".into())
        );
        h.receive_succeeded();
        assert!(h.readiness().is_ready());
    }

    #[tokio::test(start_paused = true)]
    async fn deliveries_failing_for_minutes_degrade_and_one_success_recovers() {
        let h = running();
        h.receive_succeeded();
        h.delivery_failed(ErrorClass::Retryable, &"sink down");
        advance(Duration::from_secs(179)).await;
        h.delivery_failed(ErrorClass::Retryable, &"sink still down");
        assert!(h.readiness().is_ready(), "{}", h.readiness());
        advance(Duration::from_secs(1)).await;
        assert_eq!(
            h.readiness(),
            Readiness::Degraded("every delivery failed for 180s: sink still down".into())
        );
        h.delivery_succeeded();
        assert!(h.readiness().is_ready());
    }

    #[tokio::test(start_paused = true)]
    async fn the_registry_is_ready_only_when_every_connector_is() {
        let health = Health::new();
        assert!(!health.report().ready);
        let a = Arc::new(running());
        let b = Arc::new(ConnectorHealth::new("proofpoint", rules()));
        health.register(a.clone());
        health.register(b.clone());
        a.receive_succeeded();
        b.started();
        let report = health.report();
        assert!(!report.ready);
        assert_eq!(
            report.to_string(),
            "trail: ready\nproofpoint: starting: no successful receive yet\n"
        );
        b.receive_succeeded();
        assert!(health.report().ready);
    }

    #[test]
    fn default_windows_follow_the_receive_wait() {
        let r = HealthRules::for_receive_wait(Duration::from_secs(20));
        assert_eq!(r.receive_failing_for, Duration::from_secs(60));
        assert_eq!(r.delivery_failing_for, Duration::from_secs(180));
        let r = HealthRules::for_receive_wait(Duration::ZERO);
        assert_eq!(r.receive_failing_for, Duration::from_secs(1));
    }
}
