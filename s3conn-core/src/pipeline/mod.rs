//! The pipeline: receive → parse notification → filter → fetch → decode → normalize → deliver →
//! acknowledge, with leases held and renewed throughout. See `DESIGN.md` for the states.
//!
//! - this module: the run loop; `message`: each message's way to its `Disposition`;
//! - [`config`]: [`PipelineConfig`], [`PipelineBuilder`], [`PipelineError`];
//! - [`report`]: what a run returns ([`RunReport`], [`RunStatus`]);
//! - `lease`: lease keeping and receive permits; `ack`: batched acknowledgement;
//! - `object`: fetch → decode → deliver of one object, with retries; `channel_reader`: the
//!   blocking reader between the fetch and the decoder thread;
//! - `receive_failures`: failed receives backed off, bounded (drain) and reported per interval.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn, Instrument};

use crate::backoff::equal_jitter;
use crate::budget::ByteBudget;
use crate::error::{Classify, ErrorClass};
use crate::filter::{ObjectRejection, RecordFilters};
use crate::health::ConnectorHealth;
use crate::notification::{self, Ignored};
use crate::queue::{AckHandle, Message, Queue};
use crate::route::{RouteTable, Router, Unmatched};
use crate::sink::{DeadLetter, DeadLetterKind, DeadLetterSink, Sink, SinkError};
use crate::source::{KeyVerdict, LogSource};
use crate::stats::Stats;
use crate::store::{ObjectRef, ObjectStore, StoreError};
use crate::telemetry::{InFlight, ObjectOutcome, PipelineMetrics, Stage};

mod ack;
mod channel_reader;
pub mod config;
mod failure_digest;
mod lease;
mod message;
mod object;
mod receive_failures;
pub mod report;

pub use config::{PipelineBuilder, PipelineConfig, PipelineError};
pub use report::{KeepReason, KeptMessages, RunReport, RunStatus};

use failure_digest::FailureDigest;
use lease::Lease;
use message::run_message;
use object::Stop;
use receive_failures::{AfterFailure, ReceiveFailures};
use report::KeptLedger;

/// A pipeline from one queue to one sink.
///
/// Drain one notification over the in-memory backends: the object's two events reach the sink,
/// the bad line goes to the dead-letter destination, and the message is acknowledged.
///
/// ```
/// use std::sync::Arc;
///
/// use s3conn_core::memory::{MemoryObjectStore, MemoryQueue};
/// use s3conn_core::notification::s3_event_body;
/// use s3conn_core::sink::{MemoryDeadLetterSink, MemorySink};
/// use s3conn_core::{Event, LogSource, Normalized, Pipeline, PipelineConfig, SourceInfo};
/// use tokio_util::sync::CancellationToken;
///
/// /// Every event as it is, with the object's time.
/// #[derive(Debug)]
/// struct AsIs(Arc<SourceInfo>);
///
/// impl LogSource for AsIs {
///     fn info(&self) -> &Arc<SourceInfo> {
///         &self.0
///     }
///     fn normalize(&self, _event: &Event<'_>) -> Normalized {
///         Normalized { fallback_reason: Some("no time field".into()), ..Normalized::default() }
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let queue = Arc::new(MemoryQueue::new());
/// let store = Arc::new(MemoryObjectStore::new());
/// let meta = store.put("logs", "app/1.json", "{\"n\":1}\n{\"n\":2}\nnot json\n");
/// queue.send(s3_event_body("logs", "app/1.json", meta.size, meta.etag.as_deref()));
///
/// let source = Arc::new(AsIs(Arc::new(SourceInfo::new("as-is", "As is", "Syslog", "app", "me"))));
/// let sink = MemorySink::new();
/// let dead_letters = MemoryDeadLetterSink::new();
/// // Drain: stop once the queue is empty (in memory, without waiting out a long poll).
/// let config = PipelineConfig { drain: true, ..PipelineConfig::default() };
/// let pipeline = Pipeline::builder(queue.clone(), store, source, Arc::new(sink.clone()))
///     .dead_letter(Arc::new(dead_letters.clone()))
///     .config(config)
///     .build();
///
/// let report = pipeline.run(CancellationToken::new()).await?;
/// assert!(report.is_complete(), "{}", report.status);
/// assert_eq!(report.stats.records_delivered, 2);
/// assert_eq!(report.stats.records_dead_lettered, 1);
/// assert_eq!(sink.len(), 2);
/// assert_eq!(dead_letters.items().len(), 1);
/// assert!(queue.is_empty()); // acknowledged
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct Pipeline {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    queue: Arc<dyn Queue>,
    store: Arc<dyn ObjectStore>,
    /// Which source and decoder each object gets, by its key.
    routes: RouteTable,
    filters: Arc<RecordFilters>,
    sink: Arc<dyn Sink>,
    dead: Option<Arc<dyn DeadLetterSink>>,
    config: PipelineConfig,
    stats: Arc<Stats>,
    /// The metric handles (label `connector`).
    metrics: PipelineMetrics,
    /// Readiness, for the process's [`crate::health::Health`] registry.
    health: Arc<ConnectorHealth>,
    tenant: Option<Arc<str>>,
    connector: Option<Arc<str>>,
    objects: Arc<Semaphore>,
    /// Budget of bytes in decoded batches not yet delivered (possibly shared with other pipelines).
    bytes_budget: ByteBudget,
    leases: Mutex<HashMap<AckHandle, Lease>>,
    /// Sink failures, logged once per interval rather than once per attempt.
    sink_failures: FailureDigest,
    /// What the current run kept and whether it must stop at once.
    run: Mutex<RunState>,
}

/// The state of one run (reset when a run starts).
#[derive(Debug, Default)]
struct RunState {
    /// Cancelled to stop the run at once (closed output, broken lease keeper).
    abort: CancellationToken,
    /// The output was found closed.
    output_closed: Option<SinkError>,
    /// Messages kept, by reason.
    kept: KeptLedger,
}

impl Inner {
    fn run_state(&self) -> MutexGuard<'_, RunState> {
        self.run.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Notes a message kept (not acknowledged) for `reason`.
    fn keep(&self, reason: KeepReason, example: &str) {
        self.run_state().kept.add(reason, example);
    }

    /// The sink's destination is gone: stop the run at once.
    fn close_output(&self, e: &SinkError) {
        let mut run = self.run_state();
        if run.output_closed.is_none() {
            warn!(error = %e, "the output is closed: stopping at once, keeping what was not delivered");
            run.output_closed = Some(e.clone());
        }
        run.abort.cancel();
    }
}

impl Pipeline {
    /// Starts building a pipeline from its parts.
    pub fn builder(
        queue: Arc<dyn Queue>,
        store: Arc<dyn ObjectStore>,
        source: Arc<dyn LogSource>,
        sink: Arc<dyn Sink>,
    ) -> PipelineBuilder {
        PipelineBuilder::new(queue, store, Router::single(source), sink)
    }

    /// Starts building a pipeline whose objects are routed by key: each object gets the source
    /// and decoding of the first route taking its key, and `router`'s [`Unmatched`] policy when
    /// none does.
    pub fn routed_builder(
        queue: Arc<dyn Queue>,
        store: Arc<dyn ObjectStore>,
        router: Router,
        sink: Arc<dyn Sink>,
    ) -> PipelineBuilder {
        PipelineBuilder::new(queue, store, router, sink)
    }

    /// The live counters.
    pub fn stats(&self) -> Arc<Stats> {
        self.inner.stats.clone()
    }

    /// This pipeline's health entry (register it in the process's [`crate::health::Health`]).
    pub fn health(&self) -> Arc<ConnectorHealth> {
        self.inner.health.clone()
    }

    /// Runs until `shutdown` is cancelled (or, with `drain`, until the queue is empty), then
    /// finishes in-flight work within the grace period and releases the rest.
    ///
    /// The report's [`RunStatus`] says whether every message received was acknowledged, or what
    /// was kept and why. In **drain** mode anything short of that is an error: messages kept
    /// after failures give [`PipelineError::Incomplete`] (with the report), a queue failing for
    /// longer than `queue_unreachable_limit` gives [`PipelineError::QueueUnreachable`]; only a
    /// shutdown the caller asked for may end a drain with [`RunStatus::Released`]. A
    /// **continuous** run returns its report whatever the status, unless it is stopped while
    /// receiving still fails: that is [`PipelineError::QueueUnreachable`] too (the failures were
    /// warned about once per `failure_report_interval` meanwhile). In both modes a closed output
    /// ([`SinkError::Closed`]) stops the run at once with [`PipelineError::OutputClosed`], and a
    /// sink refusing its configuration ([`SinkError::Configuration`]) with
    /// [`PipelineError::SinkConfiguration`].
    /// Runs of one pipeline must not overlap.
    pub async fn run(&self, shutdown: CancellationToken) -> Result<RunReport, PipelineError> {
        self.inner.health.started();
        let result = self.run_until_stopped(shutdown).await;
        self.inner.health.stopped(match &result {
            Ok(report) => format!("the run ended: {}", report.status),
            Err(e) => format!("the run failed: {e}"),
        });
        result
    }

    /// The run itself (see [`Pipeline::run`]).
    async fn run_until_stopped(
        &self,
        shutdown: CancellationToken,
    ) -> Result<RunReport, PipelineError> {
        let inner = &self.inner;
        let cfg = &inner.config;
        // The run stops on the caller's shutdown, or at once on an abort (a child token).
        let stop = shutdown.child_token();
        *inner.run_state() = RunState {
            abort: stop.clone(),
            ..RunState::default()
        };
        let released_before = inner.stats.snapshot().messages_released;
        let max_msgs = cfg.max_messages_in_flight.max(1);
        let messages = Arc::new(Semaphore::new(max_msgs));
        let hard_stop = CancellationToken::new();
        let keeper_stop = CancellationToken::new();
        let (ack_tx, ack_rx) = mpsc::channel::<AckHandle>(max_msgs * 2);
        let acker = tokio::spawn(ack::acknowledge_batches(inner.clone(), ack_rx));
        let keeper = tokio::spawn(lease::keep_leases(
            inner.clone(),
            keeper_stop.clone(),
            stop.clone(),
        ));
        let mut tasks = JoinSet::new();
        let mut failure: Option<PipelineError> = None;
        let mut failing: Option<ReceiveFailures> = None;
        loop {
            if stop.is_cancelled() {
                break;
            }
            while tasks.try_join_next().is_some() {}
            // A drain ends when nothing is in flight and the backend knows nothing is left,
            // without waiting out a long poll; while work is in flight, wait for it instead.
            if cfg.drain && inner.queue.known_idle(cfg.receive_wait) {
                if messages.available_permits() == max_msgs {
                    break;
                }
                tokio::select! {
                    _ = tasks.join_next() => {}
                    _ = stop.cancelled() => break,
                }
                continue;
            }
            let first = tokio::select! {
                p = messages.clone().acquire_owned() => p,
                _ = stop.cancelled() => break,
            };
            let Ok(first) = first else { break };
            let Some(permits) =
                lease::receive_permits(cfg, &messages, max_msgs, first, &stop).await
            else {
                break;
            };
            let received = tokio::select! {
                r = inner.queue.receive(permits.len(), cfg.receive_wait, cfg.visibility_timeout) => r,
                _ = stop.cancelled() => break,
            };
            let batch = match received {
                Ok(b) => {
                    inner.health.receive_succeeded();
                    if let Some(f) = failing.take() {
                        info!(failures = f.count(), after = ?f.since().elapsed(), "receiving from the queue works again");
                    }
                    b
                }
                Err(e) => {
                    drop(permits);
                    inner.stats.failure(e.class());
                    inner.metrics.failure(Stage::Receive, e.class());
                    inner.health.receive_failed(e.class(), &e);
                    let wait = match ReceiveFailures::failed(&mut failing, e, cfg) {
                        AfterFailure::RetryAfter(wait) => wait,
                        AfterFailure::Stop(e) => {
                            failure = Some(e);
                            break;
                        }
                    };
                    Stats::add(&inner.stats.retries, 1);
                    inner.metrics.retry(Stage::Receive);
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = stop.cancelled() => break,
                    }
                    continue;
                }
            };
            if batch.is_empty() {
                drop(permits);
                if cfg.drain && messages.available_permits() == max_msgs {
                    break;
                }
                if !cfg.idle_interval.is_zero() {
                    tokio::select! {
                        _ = tokio::time::sleep(cfg.idle_interval) => {}
                        _ = stop.cancelled() => break,
                    }
                }
                continue;
            }
            for (msg, permit) in batch.into_iter().zip(permits) {
                Stats::add(&inner.stats.messages_received, 1);
                inner.metrics.messages_received.increment(1);
                let token = hard_stop.child_token();
                if let Ok(mut leases) = inner.leases.lock() {
                    leases.insert(
                        msg.handle.clone(),
                        Lease {
                            token: token.clone(),
                            held_until: Instant::now() + cfg.visibility_timeout,
                        },
                    );
                }
                let inner = inner.clone();
                let ack_tx = ack_tx.clone();
                let hard = hard_stop.clone();
                // Log lines about this message carry its id and the object being worked on (recorded
                // per object): an error-level span, so the context is there at every log level.
                let span = tracing::error_span!(
                    "message",
                    message_id = %msg.id,
                    bucket = tracing::field::Empty,
                    key = tracing::field::Empty
                );
                let in_flight = InFlight::new(&inner.metrics.messages_in_flight, 1.0);
                tasks.spawn(
                    async move {
                        let _permit = permit;
                        let _in_flight = in_flight;
                        run_message(inner, msg, token, hard, ack_tx).await;
                    }
                    .instrument(span),
                );
            }
        }
        // An abort (closed output, broken lease keeper) stops in-flight work at once; otherwise
        // it may finish within the grace period, then the rest is released.
        let aborted = stop.is_cancelled() && !shutdown.is_cancelled();
        if aborted {
            hard_stop.cancel();
        }
        let grace = tokio::time::sleep(cfg.shutdown_grace);
        tokio::pin!(grace);
        loop {
            tokio::select! {
                next = tasks.join_next() => if next.is_none() { break },
                _ = &mut grace, if !hard_stop.is_cancelled() => {
                    info!("shutdown grace period over: releasing in-flight messages");
                    hard_stop.cancel();
                }
            }
        }
        keeper_stop.cancel();
        let keeper_failure = match keeper.await {
            Ok(Err(e)) => Some(e),
            Ok(Ok(())) => None,
            Err(e) => Some(PipelineError::LeaseKeeper(format!(
                "the lease keeper crashed: {e}"
            ))),
        };
        drop(ack_tx);
        let _ = acker.await;
        let stats = inner.stats.snapshot();
        let (status, closed) = {
            let run = inner.run_state();
            let released = stats.messages_released.saturating_sub(released_before);
            (run.kept.status(released), run.output_closed.clone())
        };
        if let Some(e) = failure {
            return Err(e);
        }
        if let Some(e) = keeper_failure {
            return Err(e);
        }
        if let Some(e) = closed {
            return Err(match e {
                SinkError::Configuration(_) => PipelineError::SinkConfiguration(e),
                e => PipelineError::OutputClosed(e),
            });
        }
        // Stopped while the queue was still failing: a run that never (or no longer) reached its
        // queue must not read as a clean one.
        if let Some(e) = failing.and_then(ReceiveFailures::into_error) {
            return Err(e);
        }
        let report = RunReport { stats, status };
        if cfg.drain && matches!(report.status, RunStatus::Kept(_)) {
            return Err(PipelineError::Incomplete(Box::new(report)));
        }
        Ok(report)
    }
}
