//! [`Supervisor`]: several connectors in one process — one HTTP client, one budget of in-flight
//! bytes, one shutdown — where a connector that fails does not stop the others.
//!
//! Each connector keeps its own name, source, sink and dead-letter destination. A connector
//! whose run ends with an error (its queue gone, credentials refused) is restarted with backoff
//! while the process runs; with `drain`, the supervisor ends once every connector has drained (or
//! failed), and the report says which did what.
//!
//! ```no_run
//! # async fn run() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use s3conn::{DeadLetterDestination, NdjsonSink, Supervisor};
//! use s3conn::CancellationToken;
//!
//! let mut supervisor = Supervisor::new(256 << 20);
//! for path in ["cloudtrail.toml", "crowdstrike.toml"] {
//!     let job = supervisor.load(path).await?;
//!     let dead = DeadLetterDestination::Directory(format!("dead/{}", job.connector().config().name).into());
//!     supervisor.add(job, Arc::new(NdjsonSink::stdout()), dead)?;
//! }
//! let report = supervisor.run(CancellationToken::new()).await;
//! for outcome in &report.connectors {
//!     println!("{}: {}", outcome.name, if outcome.result.is_ok() { "ok" } else { "failed" });
//! }
//! # Ok(()) }
//! ```

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use s3conn_aws::{shared_http_client, SharedHttpClient};
use s3conn_core::backoff::equal_jitter;
use s3conn_core::health::Health;
use s3conn_core::{ByteBudget, PipelineError, RunReport, Sink, Stats};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;
use tracing::{warn, Instrument};

use crate::connector_job::{ConnectorJob, ConnectorJobError, DeadLetterDestination};

/// First delay before a failed connector is started again; doubles up to [`RESTART_MAX`].
pub const RESTART_BASE: Duration = Duration::from_secs(5);
/// Longest delay between restarts of a failing connector.
pub const RESTART_MAX: Duration = Duration::from_secs(300);

/// What a supervised connector is doing now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConnectorState {
    /// Added, not started yet.
    Starting,
    /// Its pipeline is running.
    Running,
    /// Its last run failed; it starts again after a delay.
    Restarting {
        /// Why the last run failed.
        error: String,
        /// Failed runs so far.
        failures: u32,
    },
    /// It ended (drained, or stopped by the shutdown).
    Finished,
    /// It ended with an error and is not restarted (drain mode, or a closed output).
    Failed {
        /// Why.
        error: String,
    },
}

impl ConnectorState {
    /// Whether the connector is working (running, or not started yet).
    pub fn is_healthy(&self) -> bool {
        matches!(
            self,
            ConnectorState::Starting | ConnectorState::Running | ConnectorState::Finished
        )
    }
}

/// The live state of every supervised connector, by name (for health endpoints and status lines).
#[derive(Debug, Clone, Default)]
pub struct ConnectorStates {
    states: Arc<Mutex<BTreeMap<String, ConnectorState>>>,
    stats: Arc<Mutex<BTreeMap<String, Arc<Stats>>>>,
}

impl ConnectorStates {
    /// A snapshot, sorted by connector name.
    pub fn snapshot(&self) -> BTreeMap<String, ConnectorState> {
        self.states
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The live counters of a connector's current run (a restart starts new ones).
    pub fn stats(&self, name: &str) -> Option<Arc<Stats>> {
        self.stats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .cloned()
    }

    fn set_stats(&self, name: &str, stats: Arc<Stats>) {
        self.stats
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_owned(), stats);
    }

    fn set(&self, name: &str, state: ConnectorState) {
        self.states
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_owned(), state);
    }
}

/// How one connector's supervised run ended.
#[derive(Debug)]
pub struct ConnectorOutcome {
    /// The connector's name.
    pub name: String,
    /// The last run's report, or the error that ended the connector.
    pub result: Result<RunReport, ConnectorJobError>,
    /// Runs that failed and were restarted.
    pub restarts: u32,
}

/// How every connector's run ended, in the order they were added.
#[derive(Debug)]
pub struct SupervisorReport {
    /// One outcome per connector.
    pub connectors: Vec<ConnectorOutcome>,
}

impl SupervisorReport {
    /// Whether every connector ended without error and with everything it received delivered
    /// or accounted for.
    pub fn all_complete(&self) -> bool {
        self.connectors.iter().all(|c| {
            matches!(&c.result, Ok(report) if !matches!(report.status, s3conn_core::RunStatus::Kept(_)))
        })
    }
}

/// Why a connector cannot be added.
#[derive(Debug, thiserror::Error)]
pub enum SupervisorError {
    /// Two connectors have the same name (their metrics, logs and dead letters would mix).
    #[error("two connectors are named '{0}': connector names must be unique in one process")]
    DuplicateName(String),
    /// A connector could not be loaded.
    #[error(transparent)]
    Job(#[from] ConnectorJobError),
}

struct Supervised {
    job: ConnectorJob,
    sink: Arc<dyn Sink>,
    dead_letter: DeadLetterDestination,
}

/// Runs and supervises several connectors in one process.
pub struct Supervisor {
    connectors: Vec<Supervised>,
    http: SharedHttpClient,
    budget: ByteBudget,
    states: ConnectorStates,
    health: Health,
    restart_base: Duration,
    restart_max: Duration,
}

impl std::fmt::Debug for Supervisor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Supervisor")
            .field("connectors", &self.names())
            .field("budget_bytes", &self.budget.bytes())
            .finish()
    }
}

impl Supervisor {
    /// A supervisor whose connectors share one HTTP client and `max_in_flight_bytes` of decoded
    /// records waiting for their sinks.
    pub fn new(max_in_flight_bytes: usize) -> Self {
        Supervisor {
            connectors: Vec::new(),
            http: shared_http_client(),
            budget: ByteBudget::new(max_in_flight_bytes),
            states: ConnectorStates::default(),
            health: Health::new(),
            restart_base: RESTART_BASE,
            restart_max: RESTART_MAX,
        }
    }

    /// Delays between restarts of a failing connector (tests shorten them).
    pub fn restart_delays(mut self, base: Duration, max: Duration) -> Self {
        self.restart_base = base;
        self.restart_max = max.max(base);
        self
    }

    /// Loads a connector configuration file on the supervisor's shared HTTP client.
    pub async fn load(&self, path: impl AsRef<Path>) -> Result<ConnectorJob, ConnectorJobError> {
        ConnectorJob::from_config_file_on(path, Some(self.http.clone())).await
    }

    /// Adds a connector with its sink and dead-letter destination; it draws from the shared
    /// byte budget. Names must be unique.
    pub fn add(
        &mut self,
        job: ConnectorJob,
        sink: Arc<dyn Sink>,
        dead_letter: DeadLetterDestination,
    ) -> Result<(), SupervisorError> {
        let name = job.connector().config().name.clone();
        if self.names().contains(&name) {
            return Err(SupervisorError::DuplicateName(name));
        }
        self.states.set(&name, ConnectorState::Starting);
        self.connectors.push(Supervised {
            job: job.byte_budget(self.budget.clone()),
            sink,
            dead_letter,
        });
        Ok(())
    }

    /// The connectors' names, in the order they were added.
    pub fn names(&self) -> Vec<String> {
        self.connectors
            .iter()
            .map(|c| c.job.connector().config().name.clone())
            .collect()
    }

    /// The connectors' jobs, in the order they were added.
    pub fn jobs(&self) -> impl Iterator<Item = &ConnectorJob> {
        self.connectors.iter().map(|c| &c.job)
    }

    /// The live state of every connector (it changes while [`Self::run`] runs).
    pub fn states(&self) -> ConnectorStates {
        self.states.clone()
    }

    /// The readiness of every connector (`/readyz`): each run's pipeline registers its health
    /// here, a restarted connector replacing its earlier entry.
    pub fn health(&self) -> Health {
        self.health.clone()
    }

    /// Runs every connector until `shutdown` is cancelled (or, for connectors in drain mode,
    /// until each has drained). A connector failing does not stop the others: it is restarted
    /// with backoff unless it drains or its output is closed.
    pub async fn run(self, shutdown: CancellationToken) -> SupervisorReport {
        let mut tasks = JoinSet::new();
        let names = self.names();
        for (index, c) in self.connectors.into_iter().enumerate() {
            let name = names[index].clone();
            let states = self.states.clone();
            let health = self.health.clone();
            let shutdown = shutdown.clone();
            let delays = (self.restart_base, self.restart_max);
            let span = tracing::error_span!("connector", connector = %name);
            tasks.spawn(
                async move {
                    let outcome = supervise(name, c, states, health, shutdown, delays).await;
                    (index, outcome)
                }
                .instrument(span),
            );
        }
        let mut outcomes: Vec<Option<ConnectorOutcome>> = names.iter().map(|_| None).collect();
        while let Some(joined) = tasks.join_next().await {
            match joined {
                Ok((index, outcome)) => outcomes[index] = Some(outcome),
                Err(e) => warn!(error = %e, "a connector task panicked"),
            }
        }
        let connectors = outcomes
            .into_iter()
            .zip(names)
            .map(|(outcome, name)| {
                outcome.unwrap_or_else(|| ConnectorOutcome {
                    name: name.clone(),
                    result: Err(ConnectorJobError::Pipeline(PipelineError::LeaseKeeper(
                        format!("the task of connector '{name}' panicked"),
                    ))),
                    restarts: 0,
                })
            })
            .collect();
        SupervisorReport { connectors }
    }
}

/// Runs one connector, restarting it after failures while the process runs.
async fn supervise(
    name: String,
    c: Supervised,
    states: ConnectorStates,
    health: Health,
    shutdown: CancellationToken,
    (base, max): (Duration, Duration),
) -> ConnectorOutcome {
    let mut failures = 0u32;
    loop {
        let result = match c.job.pipeline(c.sink.clone(), &c.dead_letter) {
            Ok(pipeline) => {
                states.set_stats(&name, pipeline.stats());
                health.register(pipeline.health());
                states.set(&name, ConnectorState::Running);
                pipeline
                    .run(shutdown.clone())
                    .await
                    .map_err(ConnectorJobError::from)
            }
            Err(e) => Err(e),
        };
        let error = match result {
            Ok(report) => {
                states.set(&name, ConnectorState::Finished);
                return ConnectorOutcome {
                    name,
                    result: Ok(report),
                    restarts: failures,
                };
            }
            Err(e) => e,
        };
        let for_good = shutdown.is_cancelled()
            || c.job.pipeline_config().drain
            || matches!(
                error,
                ConnectorJobError::Pipeline(PipelineError::OutputClosed(_))
            );
        if for_good {
            states.set(
                &name,
                ConnectorState::Failed {
                    error: error.to_string(),
                },
            );
            return ConnectorOutcome {
                name,
                result: Err(error),
                restarts: failures,
            };
        }
        failures = failures.saturating_add(1);
        let delay = equal_jitter(base, max, failures - 1);
        warn!(error = %error, failures, ?delay, "connector failed; the others go on, restarting it after a delay");
        states.set(
            &name,
            ConnectorState::Restarting {
                error: error.to_string(),
                failures,
            },
        );
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = shutdown.cancelled() => {
                states.set(&name, ConnectorState::Failed { error: error.to_string() });
                return ConnectorOutcome { name, result: Err(error), restarts: failures };
            }
        }
    }
}
