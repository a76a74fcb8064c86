//! How a pipeline runs ([`PipelineConfig`]), how one is put together ([`PipelineBuilder`]), and
//! what stops a run ([`PipelineError`]).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::sync::Semaphore;

use crate::budget::ByteBudget;
use crate::decode::DecoderConfig;
use crate::filter::{ObjectFilter, RecordFilters};
use crate::health::{ConnectorHealth, HealthRules};
use crate::process::BatchLimits;
use crate::queue::{Queue, QueueError};
use crate::route::{RouteTable, Router};
use crate::sink::{DeadLetterSink, Sink, SinkError};
use crate::stats::Stats;
use crate::store::ObjectStore;
use crate::telemetry::{PipelineMetrics, UNNAMED};

use super::report::RunReport;
use super::{Inner, Pipeline};

/// How the pipeline runs. Every field has a production default.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// Decompression, framing and limits.
    pub decoder: DecoderConfig,
    /// Which objects to read.
    pub objects: ObjectFilter,
    /// Tenant written into every record.
    pub tenant: Option<String>,
    /// Connector name written into every record, and the `connector` label of its metrics and
    /// its health entry (`unnamed` without one).
    pub connector: Option<String>,
    /// Messages being worked on at once (default 20).
    pub max_messages_in_flight: usize,
    /// Objects being fetched and decoded at once (default 4).
    pub max_objects_in_flight: usize,
    /// Messages asked for per receive call (default 10, the SQS maximum).
    pub receive_batch: usize,
    /// Long-poll wait per receive call (default 20 s, the SQS maximum).
    pub receive_wait: Duration,
    /// Pause after an empty receive (default 0: poll continuously; longer saves requests, adds latency).
    pub idle_interval: Duration,
    /// While more messages are in flight than objects can be worked on at once, how long to wait
    /// for room for a full `receive_batch` before receiving fewer (default 500 ms): full batches
    /// halve the receive requests per object, and the waiting messages keep the work going.
    pub receive_linger: Duration,
    /// How long a finished message may wait for others to fill a delete batch of 10 (default
    /// 500 ms, at most a quarter of `visibility_timeout` so the lease still covers it).
    pub ack_linger: Duration,
    /// Lease length set on every receive and renewal; renewed every third of it (default 60 s).
    pub visibility_timeout: Duration,
    /// Records and bytes per sink batch.
    pub batch: BatchLimits,
    /// Bytes of decoded records waiting for the sink across all objects (default 64 MiB).
    pub max_in_flight_bytes: usize,
    /// Retries of an object after a retryable failure, holding the lease (default 4).
    pub object_retries: u32,
    /// Retries of a sink delivery (default 6).
    pub sink_retries: u32,
    /// First backoff delay (default 200 ms); doubles with equal jitter up to `retry_max`.
    pub retry_base: Duration,
    /// Longest backoff delay (default 30 s).
    pub retry_max: Duration,
    /// Once a message failing permanently was delivered this many times, dead-letter it and
    /// acknowledge. `None` (default) keeps it for the queue's own redrive policy.
    pub max_receive_count: Option<u32>,
    /// Stop once the queue is empty and nothing is in flight (batch jobs, replay, tests).
    pub drain: bool,
    /// With `drain`, how long receiving may keep failing (throttled, unreachable) before `run`
    /// gives up with [`PipelineError::QueueUnreachable`] (default 60 s). Continuous runs retry
    /// until they are stopped (and a stop while receiving still fails is that error too).
    pub queue_unreachable_limit: Duration,
    /// How often a failure that keeps repeating (receiving from an unreachable queue) is logged:
    /// one warning with the count since the last, not one per attempt (default 60 s).
    pub failure_report_interval: Duration,
    /// On shutdown, how long in-flight work may finish before the rest is released (default 30 s).
    pub shutdown_grace: Duration,
    /// When sustained failure makes the pipeline's [`ConnectorHealth`] degraded (default `None`:
    /// [`HealthRules::for_receive_wait`] of `receive_wait`).
    pub health: Option<HealthRules>,
}

impl Default for PipelineConfig {
    fn default() -> Self {
        PipelineConfig {
            decoder: DecoderConfig::default(),
            objects: ObjectFilter::default(),
            tenant: None,
            connector: None,
            max_messages_in_flight: 20,
            max_objects_in_flight: 4,
            receive_batch: 10,
            receive_wait: Duration::from_secs(20),
            idle_interval: Duration::ZERO,
            receive_linger: Duration::from_millis(500),
            ack_linger: Duration::from_millis(500),
            visibility_timeout: Duration::from_secs(60),
            batch: BatchLimits::default(),
            max_in_flight_bytes: 64 << 20,
            object_retries: 4,
            sink_retries: 6,
            retry_base: Duration::from_millis(200),
            retry_max: Duration::from_secs(30),
            max_receive_count: None,
            drain: false,
            queue_unreachable_limit: Duration::from_secs(60),
            failure_report_interval: Duration::from_secs(60),
            shutdown_grace: Duration::from_secs(30),
            health: None,
        }
    }
}

/// A failure that stops the whole pipeline. Messages not acknowledged stay in the queue (kept or
/// released), so nothing is lost; [`Pipeline::stats`] still has the counters.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// The queue cannot be read because of configuration or permissions.
    #[error("cannot receive from the queue: {0}")]
    Queue(#[from] QueueError),
    /// Drain mode: receiving kept failing for longer than `queue_unreachable_limit`.
    #[error("the queue could not be reached for {waited:?} ({failures} failed receives): {last}")]
    QueueUnreachable {
        /// How long receiving kept failing.
        waited: Duration,
        /// Receives that failed in that time.
        failures: u64,
        /// The last failure.
        last: QueueError,
    },
    /// The sink's destination is gone for good (a closed pipe, a removed directory): the run
    /// stopped at once; what was not delivered was not acknowledged.
    #[error("the output is closed ({0}); messages not delivered were left in the queue")]
    OutputClosed(SinkError),
    /// The sink's destination refuses its configuration (wrong credentials, no permission): the
    /// run stopped at once instead of retrying; what was not delivered was not acknowledged.
    #[error("the sink's destination refuses its configuration ({0}); messages not delivered were left in the queue")]
    SinkConfiguration(SinkError),
    /// The lease keeper's bookkeeping broke (a poisoned lock): leases could no longer be renewed,
    /// so the run stopped and released its messages.
    #[error("the lease keeper failed: {0}; in-flight messages were released")]
    LeaseKeeper(String),
    /// Drain mode: some messages had to be kept (not acknowledged); the report says which and why.
    #[error("{}", .0.status)]
    Incomplete(Box<RunReport>),
}

/// Builds a [`Pipeline`].
#[derive(Debug)]
pub struct PipelineBuilder {
    queue: Arc<dyn Queue>,
    store: Arc<dyn ObjectStore>,
    router: Router,
    sink: Arc<dyn Sink>,
    dead: Option<Arc<dyn DeadLetterSink>>,
    filters: RecordFilters,
    config: PipelineConfig,
    budget: Option<ByteBudget>,
}

impl PipelineBuilder {
    pub(super) fn new(
        queue: Arc<dyn Queue>,
        store: Arc<dyn ObjectStore>,
        router: Router,
        sink: Arc<dyn Sink>,
    ) -> Self {
        PipelineBuilder {
            queue,
            store,
            router,
            sink,
            dead: None,
            filters: RecordFilters::default(),
            config: PipelineConfig::default(),
            budget: None,
        }
    }

    /// Where dead-lettered items go (bad records, undecodable objects, poison messages).
    ///
    /// There is no default: without one, nothing is ever written anywhere on the pipeline's own
    /// initiative; a message with anything to dead-letter is kept un-acknowledged instead, and
    /// the run's status says so ([`KeepReason::NoDeadLetterDestination`](super::KeepReason)).
    pub fn dead_letter(mut self, dead: Arc<dyn DeadLetterSink>) -> Self {
        self.dead = Some(dead);
        self
    }

    /// Record filters (the connector's `log_filters`).
    pub fn filters(mut self, filters: RecordFilters) -> Self {
        self.filters = filters;
        self
    }

    /// Routes objects by key instead of sending every object to one source (replaces the source
    /// or router given before).
    pub fn router(mut self, router: Router) -> Self {
        self.router = router;
        self
    }

    /// The configuration.
    pub fn config(mut self, config: PipelineConfig) -> Self {
        self.config = config;
        self
    }

    /// A byte budget shared with other pipelines (several connectors in one process), instead of
    /// one of its own sized by `max_in_flight_bytes`.
    pub fn byte_budget(mut self, budget: ByteBudget) -> Self {
        self.budget = Some(budget);
        self
    }

    /// The pipeline.
    pub fn build(self) -> Pipeline {
        let config = self.config;
        let source_ids: Vec<String> = self
            .router
            .routes()
            .iter()
            .map(|r| r.source().info().id.clone())
            .collect();
        let source_ids: Vec<&str> = source_ids.iter().map(String::as_str).collect();
        let metrics = PipelineMetrics::new(config.connector.as_deref(), &source_ids);
        let rules = config
            .health
            .unwrap_or_else(|| HealthRules::for_receive_wait(config.receive_wait));
        let health = Arc::new(ConnectorHealth::new(
            config.connector.as_deref().unwrap_or(UNNAMED),
            rules,
        ));
        Pipeline {
            inner: Arc::new(Inner {
                queue: self.queue,
                store: self.store,
                routes: RouteTable::new(self.router, &config.decoder),
                filters: Arc::new(self.filters),
                sink: self.sink,
                dead: self.dead,
                tenant: config.tenant.as_deref().map(Arc::from),
                connector: config.connector.as_deref().map(Arc::from),
                objects: Arc::new(Semaphore::new(config.max_objects_in_flight.max(1))),
                bytes_budget: self
                    .budget
                    .unwrap_or_else(|| ByteBudget::new(config.max_in_flight_bytes)),
                config,
                stats: Arc::new(Stats::default()),
                metrics,
                health,
                leases: Mutex::new(HashMap::new()),
                sink_failures: Default::default(),
                run: Mutex::default(),
            }),
        }
    }
}
