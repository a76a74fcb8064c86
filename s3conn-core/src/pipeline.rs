//! The pipeline: receive → parse notification → filter → fetch → decode → normalize → deliver →
//! acknowledge, with leases held and renewed throughout. See `DESIGN.md` for the states.

use std::collections::HashMap;
use std::io::{self, Read};
use std::ops::ControlFlow;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use futures::StreamExt;
use tokio::sync::{mpsc, OwnedSemaphorePermit, Semaphore};
use tokio::task::JoinSet;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tracing::{debug, info, warn};

use crate::decode::{DecodeError, Decoder, DecoderConfig, JsonDecoder, SourceReadError};
use crate::error::{Classify, ErrorClass};
use crate::filter::{ObjectFilter, ObjectRejection, RecordFilters};
use crate::notification::{self, Ignored};
use crate::process::{Batch, BatchLimits, ObjectJob};
use crate::queue::{AckHandle, Message, Queue, QueueError};
use crate::record::ObjectContext;
use crate::sink::{DeadLetter, DeadLetterKind, DeadLetterSink, Sink, SinkError};
use crate::source::{KeyVerdict, LogSource};
use crate::stats::{Stats, StatsSnapshot};
use crate::store::{ObjectRef, ObjectStore, StoreError};

/// How the pipeline runs. Every field has a production default.
#[derive(Debug, Clone)]
pub struct PipelineConfig {
    /// Decompression, framing and limits.
    pub decoder: DecoderConfig,
    /// Which objects to read.
    pub objects: ObjectFilter,
    /// Tenant written into every record.
    pub tenant: Option<String>,
    /// Connector name written into every record.
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
    /// Lease length set on every renewal; renewed every third of it (default 60 s).
    pub visibility_timeout: Duration,
    /// Records and bytes per sink batch.
    pub batch: BatchLimits,
    /// Bytes of decoded records waiting for the sink across all objects (default 64 MiB).
    pub max_in_flight_bytes: usize,
    /// Retries of an object after a retryable failure, holding the lease (default 4).
    pub object_retries: u32,
    /// Retries of a sink delivery (default 6).
    pub sink_retries: u32,
    /// First backoff delay (default 200 ms); doubles with jitter up to `retry_max`.
    pub retry_base: Duration,
    /// Longest backoff delay (default 30 s).
    pub retry_max: Duration,
    /// Once a message failing permanently was delivered this many times, dead-letter it and
    /// acknowledge. `None` (default) keeps it for the queue's own redrive policy.
    pub max_receive_count: Option<u32>,
    /// Stop once the queue is empty and nothing is in flight (batch jobs, replay, tests).
    pub drain: bool,
    /// On shutdown, how long in-flight work may finish before the rest is released (default 30 s).
    pub shutdown_grace: Duration,
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
            shutdown_grace: Duration::from_secs(30),
        }
    }
}

/// A failure that stops the whole pipeline.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// The queue cannot be read because of configuration or permissions.
    #[error("cannot receive from the queue: {0}")]
    Queue(#[from] QueueError),
}

/// A pipeline from one queue to one sink.
#[derive(Debug, Clone)]
pub struct Pipeline {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    queue: Arc<dyn Queue>,
    store: Arc<dyn ObjectStore>,
    source: Arc<dyn LogSource>,
    decoder: Arc<dyn Decoder>,
    filters: Arc<RecordFilters>,
    sink: Arc<dyn Sink>,
    dead: Arc<dyn DeadLetterSink>,
    config: PipelineConfig,
    stats: Arc<Stats>,
    tenant: Option<Arc<str>>,
    connector: Option<Arc<str>>,
    objects: Arc<Semaphore>,
    /// Budget of bytes in decoded batches not yet delivered, in KiB units.
    bytes_budget: Arc<Semaphore>,
    leases: Mutex<HashMap<AckHandle, Lease>>,
}

#[derive(Debug)]
struct Lease {
    token: CancellationToken,
    held_until: Instant,
}

/// Builds a [`Pipeline`].
#[derive(Debug)]
pub struct PipelineBuilder {
    queue: Arc<dyn Queue>,
    store: Arc<dyn ObjectStore>,
    source: Arc<dyn LogSource>,
    sink: Arc<dyn Sink>,
    dead: Option<Arc<dyn DeadLetterSink>>,
    decoder: Option<Arc<dyn Decoder>>,
    filters: RecordFilters,
    config: PipelineConfig,
}

impl PipelineBuilder {
    /// Where dead-lettered items go (default: a `dead-letter` directory under the working directory).
    pub fn dead_letter(mut self, dead: Arc<dyn DeadLetterSink>) -> Self {
        self.dead = Some(dead);
        self
    }

    /// A custom decoder (default: [`JsonDecoder`] from `config.decoder`).
    pub fn decoder(mut self, decoder: Arc<dyn Decoder>) -> Self {
        self.decoder = Some(decoder);
        self
    }

    /// Record filters (the seed's "Log Filters").
    pub fn filters(mut self, filters: RecordFilters) -> Self {
        self.filters = filters;
        self
    }

    /// The configuration.
    pub fn config(mut self, config: PipelineConfig) -> Self {
        self.config = config;
        self
    }

    /// The pipeline.
    pub fn build(self) -> Pipeline {
        let config = self.config;
        let decoder = self
            .decoder
            .unwrap_or_else(|| Arc::new(JsonDecoder::new(&config.decoder)));
        let dead = self
            .dead
            .unwrap_or_else(|| Arc::new(crate::sink::DirectoryDeadLetter::new("dead-letter")));
        Pipeline {
            inner: Arc::new(Inner {
                queue: self.queue,
                store: self.store,
                source: self.source,
                decoder,
                filters: Arc::new(self.filters),
                sink: self.sink,
                dead,
                tenant: config.tenant.as_deref().map(Arc::from),
                connector: config.connector.as_deref().map(Arc::from),
                objects: Arc::new(Semaphore::new(config.max_objects_in_flight.max(1))),
                bytes_budget: Arc::new(Semaphore::new((config.max_in_flight_bytes / 1024).max(1))),
                config,
                stats: Arc::new(Stats::default()),
                leases: Mutex::new(HashMap::new()),
            }),
        }
    }
}

/// How one message ended.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Outcome {
    /// Everything accounted for: delete it.
    Acknowledge,
    /// Something failed: leave it to reappear after a backoff.
    Keep { class: ErrorClass, reason: String },
    /// The lease was lost: someone else may have it; touch nothing.
    LeaseLost,
    /// Shutting down: make it visible again now.
    Release,
}

/// Why work on one object stopped.
#[derive(Debug)]
enum Stop {
    Store(StoreError),
    Decode(DecodeError),
    Sink(SinkError),
    LeaseLost,
    Crashed(String),
}

impl Stop {
    fn class(&self) -> ErrorClass {
        match self {
            Stop::Store(e) => e.class(),
            Stop::Decode(e) => e.class(),
            Stop::Sink(e) => e.class(),
            Stop::LeaseLost => ErrorClass::Permanent,
            Stop::Crashed(_) => ErrorClass::Permanent,
        }
    }
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Store(e) => e.fmt(f),
            Stop::Decode(e) => e.fmt(f),
            Stop::Sink(e) => e.fmt(f),
            Stop::LeaseLost => f.write_str("lease lost"),
            Stop::Crashed(m) => write!(f, "decoder crashed: {m}"),
        }
    }
}

/// Full-jitter exponential backoff.
pub fn backoff(base: Duration, max: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.min(20)).min(max);
    let half = exp / 2;
    half + Duration::from_nanos(fastrand::u64(
        0..=half.as_nanos().min(u128::from(u64::MAX)) as u64,
    ))
}

/// A blocking `Read` over the chunks the async side fetches.
struct ChannelReader {
    rx: mpsc::Receiver<Result<Bytes, StoreError>>,
    current: Bytes,
    received: u64,
    expected: Option<u64>,
}

impl Read for ChannelReader {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            match self.rx.blocking_recv() {
                Some(Ok(chunk)) => {
                    self.received += chunk.len() as u64;
                    self.current = chunk;
                }
                Some(Err(e)) => return Err(io::Error::other(SourceReadError(e.to_string()))),
                None => {
                    if let Some(expected) = self.expected {
                        if self.received < expected {
                            return Err(io::Error::other(SourceReadError(format!(
                                "download ended after {} of {expected} bytes",
                                self.received
                            ))));
                        }
                    }
                    return Ok(0);
                }
            }
        }
        let n = buf.len().min(self.current.len());
        buf[..n].copy_from_slice(&self.current[..n]);
        let _ = self.current.split_to(n);
        Ok(n)
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
        PipelineBuilder {
            queue,
            store,
            source,
            sink,
            dead: None,
            decoder: None,
            filters: RecordFilters::default(),
            config: PipelineConfig::default(),
        }
    }

    /// The live counters.
    pub fn stats(&self) -> Arc<Stats> {
        self.inner.stats.clone()
    }

    /// Runs until `shutdown` is cancelled (or, with `drain`, until the queue is empty), then
    /// finishes in-flight work within the grace period and releases the rest.
    pub async fn run(&self, shutdown: CancellationToken) -> Result<StatsSnapshot, PipelineError> {
        let inner = &self.inner;
        let cfg = &inner.config;
        let max_msgs = cfg.max_messages_in_flight.max(1);
        let messages = Arc::new(Semaphore::new(max_msgs));
        let hard_stop = CancellationToken::new();
        let keeper_stop = CancellationToken::new();
        let (ack_tx, ack_rx) = mpsc::channel::<AckHandle>(max_msgs * 2);
        let acker = tokio::spawn(Self::acker(inner.clone(), ack_rx));
        let keeper = tokio::spawn(Self::lease_keeper(inner.clone(), keeper_stop.clone()));
        let mut tasks = JoinSet::new();
        let mut failure = None;
        let mut receive_errors = 0u32;
        loop {
            if shutdown.is_cancelled() {
                break;
            }
            while tasks.try_join_next().is_some() {}
            let first = tokio::select! {
                p = messages.clone().acquire_owned() => p,
                _ = shutdown.cancelled() => break,
            };
            let Ok(first) = first else { break };
            let Some(permits) =
                Self::receive_permits(cfg, &messages, max_msgs, first, &shutdown).await
            else {
                break;
            };
            let received = tokio::select! {
                r = inner.queue.receive(permits.len(), cfg.receive_wait, cfg.visibility_timeout) => r,
                _ = shutdown.cancelled() => break,
            };
            let batch = match received {
                Ok(b) => {
                    receive_errors = 0;
                    b
                }
                Err(e) => {
                    inner.stats.failure(e.class());
                    if e.class() == ErrorClass::Configuration {
                        warn!(error = %e, "receive failed: check the queue URL, region and permissions");
                        failure = Some(e);
                        break;
                    }
                    receive_errors += 1;
                    Stats::add(&inner.stats.retries, 1);
                    let wait = backoff(cfg.retry_base, cfg.retry_max, receive_errors);
                    warn!(error = %e, ?wait, "receive failed, backing off");
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = shutdown.cancelled() => break,
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
                        _ = shutdown.cancelled() => break,
                    }
                }
                continue;
            }
            for (msg, permit) in batch.into_iter().zip(permits) {
                Stats::add(&inner.stats.messages_received, 1);
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
                tasks.spawn(async move {
                    let _permit = permit;
                    Self::run_message(inner, msg, token, hard, ack_tx).await;
                });
            }
        }
        // Finish in-flight work within the grace period, then release the rest.
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
        let _ = keeper.await;
        drop(ack_tx);
        let _ = acker.await;
        match failure {
            Some(e) => Err(PipelineError::Queue(e)),
            None => Ok(inner.stats.snapshot()),
        }
    }

    /// Renews every held lease each third of the visibility timeout, in one batch call.
    async fn lease_keeper(inner: Arc<Inner>, stop: CancellationToken) {
        let vis = inner.config.visibility_timeout;
        let every = (vis / 3).max(Duration::from_millis(100));
        loop {
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = stop.cancelled() => return,
            }
            let handles: Vec<AckHandle> = match inner.leases.lock() {
                Ok(l) => l.keys().cloned().collect(),
                Err(_) => return,
            };
            if handles.is_empty() {
                continue;
            }
            Stats::add(&inner.stats.lease_extensions, handles.len() as u64);
            let results = inner.queue.extend(&handles, vis).await;
            let now = Instant::now();
            let Ok(mut leases) = inner.leases.lock() else {
                return;
            };
            for (handle, result) in handles.iter().zip(results) {
                let Some(lease) = leases.get_mut(handle) else {
                    continue;
                };
                match result {
                    Ok(()) => lease.held_until = now + vis,
                    Err(e) => {
                        let lost = matches!(e, QueueError::LeaseLost(_))
                            || now + every >= lease.held_until;
                        if lost {
                            warn!(handle = handle.as_str(), error = %e, "lease lost: stopping work on this message");
                            Stats::add(&inner.stats.leases_lost, 1);
                            lease.token.cancel();
                            leases.remove(handle);
                        } else {
                            debug!(error = %e, "lease renewal failed; retrying next round");
                        }
                    }
                }
            }
        }
    }

    /// Room for one receive call: `first` plus up to a full `receive_batch` of message slots,
    /// waiting up to `receive_linger` for slots that messages in flight will free. `None` on
    /// shutdown.
    async fn receive_permits(
        cfg: &PipelineConfig,
        messages: &Arc<Semaphore>,
        max_msgs: usize,
        first: OwnedSemaphorePermit,
        shutdown: &CancellationToken,
    ) -> Option<Vec<OwnedSemaphorePermit>> {
        let want = cfg.receive_batch.clamp(1, max_msgs);
        let mut permits = vec![first];
        let linger = tokio::time::sleep(cfg.receive_linger);
        tokio::pin!(linger);
        while permits.len() < want {
            if let Ok(p) = messages.clone().try_acquire_owned() {
                permits.push(p);
                continue;
            }
            // Waiting is free only while more messages are in flight than objects can be worked
            // on at once: the waiting ones keep every object slot busy meanwhile.
            let busy = max_msgs - messages.available_permits() - permits.len();
            if busy <= cfg.max_objects_in_flight || cfg.receive_linger.is_zero() {
                break;
            }
            tokio::select! {
                p = messages.clone().acquire_owned() => match p {
                    Ok(p) => permits.push(p),
                    Err(_) => break,
                },
                _ = &mut linger => break,
                _ = shutdown.cancelled() => return None,
            }
        }
        Some(permits)
    }

    /// Deletes acknowledged messages in batches of up to 10, lingering to fill a batch (at most
    /// `ack_linger`, and at most a quarter of the lease, which is no longer renewed).
    async fn acker(inner: Arc<Inner>, mut rx: mpsc::Receiver<AckHandle>) {
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
                        Ok(()) => Stats::add(&inner.stats.messages_acknowledged, 1),
                        Err(e) if e.is_retryable() => failed.push(i),
                        Err(e) => {
                            inner.stats.failure(e.class());
                            warn!(error = %e, "acknowledge failed; the message will be redelivered");
                        }
                    }
                }
                pending = failed;
                if pending.is_empty() {
                    break;
                }
                Stats::add(&inner.stats.retries, 1);
                tokio::time::sleep(backoff(
                    inner.config.retry_base,
                    inner.config.retry_max,
                    attempt,
                ))
                .await;
            }
        }
    }

    async fn run_message(
        inner: Arc<Inner>,
        msg: Message,
        lease: CancellationToken,
        hard: CancellationToken,
        ack_tx: mpsc::Sender<AckHandle>,
    ) {
        let outcome = Self::message_outcome(&inner, &msg, &lease).await;
        let outcome = if lease.is_cancelled() {
            if hard.is_cancelled() {
                Outcome::Release
            } else {
                Outcome::LeaseLost
            }
        } else {
            outcome
        };
        if let Ok(mut leases) = inner.leases.lock() {
            leases.remove(&msg.handle);
        }
        match outcome {
            Outcome::Acknowledge => {
                // The message's slot is freed without waiting for the delete batch to fill: the
                // acknowledger deletes it within `ack_linger`, and `run` waits for it on the way out.
                let _ = ack_tx.send(msg.handle.clone()).await;
            }
            Outcome::Keep { class, reason } => {
                Stats::add(&inner.stats.messages_kept, 1);
                let cfg = &inner.config;
                let delay = backoff(
                    cfg.visibility_timeout,
                    Duration::from_secs(12 * 3600),
                    msg.attempt.saturating_sub(1),
                );
                warn!(message = %msg.id, attempt = msg.attempt, ?class, %reason, ?delay, "message kept for redelivery");
                let _ = inner
                    .queue
                    .extend(std::slice::from_ref(&msg.handle), delay)
                    .await;
            }
            Outcome::Release => {
                Stats::add(&inner.stats.messages_released, 1);
                let _ = inner.queue.release(&msg.handle).await;
            }
            Outcome::LeaseLost => {}
        }
    }

    async fn give_up(
        inner: &Inner,
        msg: &Message,
        kind: DeadLetterKind,
        object: Option<ObjectRef>,
        reason: String,
        class: ErrorClass,
    ) -> Outcome {
        let exhausted = inner
            .config
            .max_receive_count
            .is_some_and(|max| msg.attempt >= max);
        if !exhausted {
            return Outcome::Keep { class, reason };
        }
        let item = DeadLetter {
            kind,
            reason: reason.clone(),
            object,
            message_id: Some(msg.id.clone()),
            line: None,
            offset: None,
            ordinal: None,
            raw: if kind == DeadLetterKind::Message {
                msg.body.clone().into_bytes()
            } else {
                Vec::new()
            },
        };
        match inner.dead.dead_letter(std::slice::from_ref(&item)).await {
            Ok(()) => {
                if kind == DeadLetterKind::Message {
                    Stats::add(&inner.stats.messages_dead_lettered, 1);
                } else {
                    Stats::add(&inner.stats.objects_dead_lettered, 1);
                }
                Outcome::Acknowledge
            }
            Err(e) => Outcome::Keep {
                class,
                reason: format!("{reason}; dead-letter write failed: {e}"),
            },
        }
    }

    async fn message_outcome(
        inner: &Arc<Inner>,
        msg: &Message,
        lease: &CancellationToken,
    ) -> Outcome {
        let stats = &inner.stats;
        let parsed = match notification::parse(&msg.body) {
            Ok(n) => n,
            Err(e) => {
                stats.failure(e.class());
                let reason = format!("message {}: {e}", msg.id);
                return Self::give_up(
                    inner,
                    msg,
                    DeadLetterKind::Message,
                    None,
                    reason,
                    ErrorClass::Permanent,
                )
                .await;
            }
        };
        for (why, _) in &parsed.ignored {
            let c = match why {
                Ignored::TestEvent => &stats.test_events,
                Ignored::NotObjectCreated => &stats.ignored_not_created,
                Ignored::DirectoryMarker => &stats.ignored_directory_markers,
                Ignored::EmptyObject => &stats.ignored_empty_objects,
            };
            Stats::add(c, 1);
        }
        let mut kept: Option<(ErrorClass, String)> = None;
        for object in parsed.objects {
            match inner.config.objects.check(&object.bucket, &object.key) {
                Ok(()) => {}
                Err(ObjectRejection::KeyFiltered) => {
                    Stats::add(&stats.objects_filtered, 1);
                    continue;
                }
                Err(ObjectRejection::BucketNotAllowed) => {
                    Stats::add(&stats.objects_bucket_not_allowed, 1);
                    stats.failure(ErrorClass::Configuration);
                    let reason = format!(
                        "bucket '{}' of {object} is not on the allow-list",
                        object.bucket
                    );
                    match Self::give_up(
                        inner,
                        msg,
                        DeadLetterKind::Message,
                        Some(object),
                        reason,
                        ErrorClass::Configuration,
                    )
                    .await
                    {
                        Outcome::Acknowledge => continue,
                        Outcome::Keep { class, reason } => {
                            kept.get_or_insert((class, reason));
                            continue;
                        }
                        other => return other,
                    }
                }
            }
            if let KeyVerdict::Skip(why) = inner.source.accept_key(&object.key) {
                debug!(%object, why, "skipped by the log source");
                Stats::add(&stats.objects_skipped_by_source, 1);
                continue;
            }
            match Self::object_with_retries(inner, msg, object.clone(), lease).await {
                Ok(()) => {}
                Err(Stop::LeaseLost) => return Outcome::LeaseLost,
                Err(Stop::Store(StoreError::NotFound(what))) => {
                    info!(%what, "object gone before it was read: acknowledged");
                    Stats::add(&stats.objects_gone, 1);
                }
                Err(Stop::Store(StoreError::PreconditionFailed(what))) => {
                    info!(%what, "object overwritten since the notification: acknowledged (the new version has its own)");
                    Stats::add(&stats.objects_changed, 1);
                }
                Err(stop) => {
                    let class = stop.class();
                    let reason = format!("{object}: {stop}");
                    warn!(%reason, ?class, "object failed");
                    let undecodable = matches!(stop, Stop::Decode(_) | Stop::Crashed(_))
                        && class == ErrorClass::Permanent;
                    if undecodable {
                        Stats::add(&stats.objects_undecodable, 1);
                        match Self::give_up(
                            inner,
                            msg,
                            DeadLetterKind::Object,
                            Some(object),
                            reason,
                            class,
                        )
                        .await
                        {
                            Outcome::Acknowledge => continue,
                            Outcome::Keep { class, reason } => {
                                kept.get_or_insert((class, reason));
                            }
                            other => return other,
                        }
                    } else {
                        kept.get_or_insert((class, reason));
                    }
                }
            }
            if lease.is_cancelled() {
                return Outcome::LeaseLost;
            }
        }
        match kept {
            Some((class, reason)) => Outcome::Keep { class, reason },
            None => Outcome::Acknowledge,
        }
    }

    async fn object_with_retries(
        inner: &Arc<Inner>,
        msg: &Message,
        mut object: ObjectRef,
        lease: &CancellationToken,
    ) -> Result<(), Stop> {
        let cfg = &inner.config;
        let mut resume_at = 0u64;
        let mut attempt = 0u32;
        loop {
            let permit = tokio::select! {
                p = inner.objects.clone().acquire_owned() => p.map_err(|_| Stop::LeaseLost)?,
                _ = lease.cancelled() => return Err(Stop::LeaseLost),
            };
            let result = Self::object_once(inner, &mut object, &mut resume_at, lease).await;
            drop(permit);
            match result {
                Ok(()) => {
                    Stats::add(&inner.stats.objects_processed, 1);
                    return Ok(());
                }
                Err(stop) => {
                    if !matches!(stop, Stop::LeaseLost) {
                        inner.stats.failure(stop.class());
                    }
                    let retry =
                        stop.class() == ErrorClass::Retryable && attempt < cfg.object_retries;
                    if !retry {
                        return Err(stop);
                    }
                    attempt += 1;
                    Stats::add(&inner.stats.retries, 1);
                    let wait = backoff(cfg.retry_base, cfg.retry_max, attempt);
                    debug!(message = %msg.id, %object, error = %stop, ?wait, resume_at, "retrying object");
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = lease.cancelled() => return Err(Stop::LeaseLost),
                    }
                }
            }
        }
    }

    async fn object_once(
        inner: &Arc<Inner>,
        object: &mut ObjectRef,
        resume_at: &mut u64,
        lease: &CancellationToken,
    ) -> Result<(), Stop> {
        let got = tokio::select! {
            g = inner.store.get(object) => g.map_err(Stop::Store)?,
            _ = lease.cancelled() => return Err(Stop::LeaseLost),
        };
        // Pin the version read, so a retry resumes on the same bytes.
        if object.version_id.is_none() {
            object.version_id = got.meta.version_id.clone();
        }
        if object.etag.is_none() {
            object.etag = got.meta.etag.clone();
        }
        let expected = Some(got.meta.size).filter(|_| got.meta.size > 0);
        if let Some(modified) = got.meta.last_modified_ms {
            let lag = u64::try_from(now_ms().saturating_sub(modified)).unwrap_or(0);
            inner
                .stats
                .lag_ms
                .store(lag, std::sync::atomic::Ordering::Relaxed);
        }
        let context = Arc::new(ObjectContext::new(
            object.clone(),
            inner.tenant.clone(),
            inner.connector.clone(),
            got.meta.last_modified_ms,
        ));
        let (chunk_tx, chunk_rx) = mpsc::channel::<Result<Bytes, StoreError>>(4);
        let (batch_tx, mut batch_rx) = mpsc::channel::<(Batch, OwnedSemaphorePermit)>(2);
        let budget = inner.bytes_budget.clone();
        let handle = tokio::runtime::Handle::current();
        let job = ObjectJob {
            source: inner.source.clone(),
            decoder: inner.decoder.clone(),
            filters: inner.filters.clone(),
            context,
            batch: inner.config.batch,
            resume_at: *resume_at,
            now_ms: now_ms(),
        };
        let decode = tokio::task::spawn_blocking(move || {
            let reader = ChannelReader {
                rx: chunk_rx,
                current: Bytes::new(),
                received: 0,
                expected,
            };
            let total = budget.available_permits().max(1);
            job.run(Box::new(reader), &mut |batch| {
                // Wait for room in the global byte budget before handing the batch on.
                let units = (batch.bytes() / 1024).clamp(1, total) as u32;
                let Ok(permit) = handle.block_on(budget.clone().acquire_many_owned(units)) else {
                    return ControlFlow::Break(());
                };
                match batch_tx.blocking_send((batch, permit)) {
                    Ok(()) => ControlFlow::Continue(()),
                    Err(_) => ControlFlow::Break(()),
                }
            })
        });
        let mut body = got.body;
        let pump = async move {
            while let Some(chunk) = body.next().await {
                let failed = chunk.is_err();
                if chunk_tx.send(chunk).await.is_err() || failed {
                    break;
                }
            }
        };
        let deliver = async move {
            while let Some((batch, permit)) = batch_rx.recv().await {
                Self::deliver(inner, &batch, lease).await?;
                *resume_at = batch.end_ordinal;
                drop(permit);
            }
            Ok::<(), Stop>(())
        };
        let mut pump = Box::pin(pump);
        let mut deliver = Box::pin(deliver);
        let mut pumping = true;
        let delivered = loop {
            tokio::select! {
                _ = &mut pump, if pumping => pumping = false,
                r = &mut deliver => break r,
            }
        };
        if let Err(stop) = delivered {
            // Closing both channels stops the decoder wherever it waits.
            drop(deliver);
            drop(pump);
            let _ = decode.await;
            return Err(stop);
        }
        let summary = match decode.await {
            Ok(Ok(summary)) => summary,
            Ok(Err(e)) => return Err(Stop::Decode(e)),
            Err(e) => return Err(Stop::Crashed(e.to_string())),
        };
        let stats = &inner.stats;
        Stats::add(&stats.bytes_read, summary.compressed_bytes);
        Stats::add(&stats.bytes_decoded, summary.decompressed_bytes);
        if summary.mismatch {
            Stats::add(&stats.compression_mismatches, 1);
            warn!(%object, detected = ?summary.detected, "object bytes contradict the configured file type; decoded as detected");
        }
        Ok(())
    }

    async fn deliver(
        inner: &Arc<Inner>,
        batch: &Batch,
        lease: &CancellationToken,
    ) -> Result<(), Stop> {
        let stats = &inner.stats;
        if !batch.dead_letters.is_empty() {
            Self::with_retries(inner, lease, || inner.dead.dead_letter(&batch.dead_letters))
                .await?;
            Stats::add(
                &stats.records_dead_lettered,
                batch.dead_letters.len() as u64,
            );
        }
        if !batch.records.is_empty() {
            Self::with_retries(inner, lease, || inner.sink.deliver(&batch.records)).await?;
            Stats::add(&stats.records_delivered, batch.records.len() as u64);
        }
        Stats::add(&stats.records_filtered, batch.filtered);
        Stats::add(&stats.records_timestamp_fallback, batch.fallbacks);
        Ok(())
    }

    async fn with_retries<'a, F, Fut>(
        inner: &'a Arc<Inner>,
        lease: &CancellationToken,
        mut f: F,
    ) -> Result<(), Stop>
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = Result<(), SinkError>> + 'a,
    {
        let cfg = &inner.config;
        let mut attempt = 0;
        loop {
            let r = tokio::select! {
                r = f() => r,
                _ = lease.cancelled() => return Err(Stop::LeaseLost),
            };
            match r {
                Ok(()) => return Ok(()),
                Err(e) => {
                    Stats::add(&inner.stats.sink_failures, 1);
                    if !e.is_retryable() || attempt >= cfg.sink_retries {
                        return Err(Stop::Sink(e));
                    }
                    attempt += 1;
                    Stats::add(&inner.stats.retries, 1);
                    let wait = backoff(cfg.retry_base, cfg.retry_max, attempt);
                    warn!(error = %e, ?wait, "sink failed; retrying");
                    tokio::select! {
                        _ = tokio::time::sleep(wait) => {}
                        _ = lease.cancelled() => return Err(Stop::LeaseLost),
                    }
                }
            }
        }
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
