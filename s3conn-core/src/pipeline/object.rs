//! One object: fetch → decode (on a blocking thread) → deliver, with retries that resume after
//! the last delivered record.

use std::ops::ControlFlow;
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;
use tokio::sync::{mpsc, OwnedSemaphorePermit};
use tokio_util::sync::CancellationToken;
use tracing::{debug, warn};

use crate::backoff::equal_jitter;
use crate::decode::DecodeError;
use crate::error::{Classify, ErrorClass};
use crate::process::{Batch, ObjectJob};
use crate::queue::Message;
use crate::record::{ObjectContext, Record};
use crate::route::RouteTarget;
use crate::sink::{DeadLetter, DeadLetterKind, Rejection, SinkError};
use crate::stats::Stats;
use crate::store::{ObjectRef, StoreError};
use crate::telemetry::{seconds_since_ms, InFlight, Stage};

use super::channel_reader::ChannelReader;
use super::report::KeepReason;
use super::Inner;

/// Why work on one object stopped.
#[derive(Debug)]
pub(super) enum Stop {
    Store(StoreError),
    Decode(DecodeError),
    Sink(SinkError),
    DeadLetter(SinkError),
    NoDeadLetterDestination,
    LeaseLost,
    Crashed(String),
}

impl Stop {
    pub(super) fn class(&self) -> ErrorClass {
        match self {
            Stop::Store(e) => e.class(),
            Stop::Decode(e) => e.class(),
            Stop::Sink(e) | Stop::DeadLetter(e) => e.class(),
            Stop::NoDeadLetterDestination => ErrorClass::Configuration,
            Stop::LeaseLost => ErrorClass::Permanent,
            Stop::Crashed(_) => ErrorClass::Permanent,
        }
    }

    /// Why the message is kept when this stops one of its objects.
    pub(super) fn keep_reason(&self) -> KeepReason {
        match self {
            Stop::Store(e) => match e.class() {
                ErrorClass::Retryable => KeepReason::BackendUnreachable,
                ErrorClass::Configuration => KeepReason::PermissionDenied,
                ErrorClass::Permanent => KeepReason::ObjectUnreadable,
            },
            Stop::Decode(e) if e.class() == ErrorClass::Retryable => KeepReason::BackendUnreachable,
            Stop::Decode(_) | Stop::Crashed(_) => KeepReason::Undecodable,
            Stop::Sink(SinkError::Closed(_) | SinkError::Configuration(_)) => {
                KeepReason::OutputClosed
            }
            Stop::Sink(SinkError::Retryable(_)) => KeepReason::SinkUnavailable,
            Stop::Sink(_) => KeepReason::SinkRejected,
            Stop::DeadLetter(_) => KeepReason::DeadLetterFailed,
            Stop::NoDeadLetterDestination => KeepReason::NoDeadLetterDestination,
            Stop::LeaseLost => KeepReason::LeaseLost,
        }
    }
}

impl std::fmt::Display for Stop {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Stop::Store(e) => e.fmt(f),
            Stop::Decode(e) => e.fmt(f),
            Stop::Sink(e) => e.fmt(f),
            Stop::DeadLetter(e) => write!(f, "dead-letter destination: {e}"),
            Stop::NoDeadLetterDestination => {
                f.write_str("something must be dead-lettered and no dead-letter destination is set")
            }
            Stop::LeaseLost => f.write_str("lease lost"),
            Stop::Crashed(m) => write!(f, "decoder crashed: {m}"),
        }
    }
}

/// Reads one object to the end, retrying retryable failures while the lease holds.
pub(super) async fn process_object(
    inner: &Arc<Inner>,
    msg: &Message,
    mut object: ObjectRef,
    route: &RouteTarget,
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
        let in_flight = InFlight::new(&inner.metrics.objects_in_flight, 1.0);
        let result = object_once(inner, &mut object, route, &mut resume_at, lease).await;
        drop(in_flight);
        drop(permit);
        match result {
            Ok(()) => {
                Stats::add(&inner.stats.objects_processed, 1);
                return Ok(());
            }
            Err(stop) => {
                // Gone or overwritten since the notification: acknowledged by design, no failure
                // (counted as `objects_gone` / `objects_changed`).
                let normal = matches!(
                    stop,
                    Stop::LeaseLost
                        | Stop::Store(StoreError::NotFound(_) | StoreError::PreconditionFailed(_))
                );
                if !normal {
                    inner.stats.failure(stop.class());
                }
                // A sink's failures are counted per attempt by `with_retries`.
                if !normal && !matches!(stop, Stop::Sink(_) | Stop::DeadLetter(_)) {
                    inner.metrics.failure(Stage::Object, stop.class());
                }
                let retry = stop.class() == ErrorClass::Retryable && attempt < cfg.object_retries;
                if !retry {
                    return Err(stop);
                }
                attempt += 1;
                Stats::add(&inner.stats.retries, 1);
                inner.metrics.retry(Stage::Object);
                let wait = equal_jitter(cfg.retry_base, cfg.retry_max, attempt);
                debug!(message_id = %msg.id, %object, error = %stop, ?wait, resume_at, "retrying object");
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = lease.cancelled() => return Err(Stop::LeaseLost),
                }
            }
        }
    }
}

/// One attempt: fetch the pinned version, decode on a blocking thread, deliver batch by batch.
async fn object_once(
    inner: &Arc<Inner>,
    object: &mut ObjectRef,
    route: &RouteTarget,
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
    let last_modified_ms = got.meta.last_modified_ms;
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
    let (batch_tx, mut batch_rx) = mpsc::channel::<(Batch, OwnedSemaphorePermit, InFlight)>(2);
    let budget = inner.bytes_budget.clone();
    let in_flight_bytes = inner.metrics.in_flight_bytes.clone();
    let handle = tokio::runtime::Handle::current();
    let job = ObjectJob {
        source: route.source.clone(),
        decoder: route.decoder.clone(),
        filters: inner.filters.clone(),
        context,
        batch: inner.config.batch,
        resume_at: *resume_at,
        now_ms: now_ms(),
    };
    let decode = tokio::task::spawn_blocking(move || {
        let reader = ChannelReader::new(chunk_rx, expected);
        job.run(Box::new(reader), &mut |batch| {
            // Wait for room in the global byte budget before handing the batch on.
            let units = budget.units_for(batch.bytes());
            let Ok(permit) = handle.block_on(budget.semaphore().clone().acquire_many_owned(units))
            else {
                return ControlFlow::Break(());
            };
            let counted = InFlight::new(&in_flight_bytes, f64::from(units) * 1024.0);
            match batch_tx.blocking_send((batch, permit, counted)) {
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
        while let Some((batch, permit, counted)) = batch_rx.recv().await {
            deliver_batch(inner, &batch, &route.source.info().id, lease).await?;
            *resume_at = batch.end_ordinal;
            drop(counted);
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
    let by_source = inner.metrics.source(&route.source.info().id);
    by_source.read_bytes.increment(summary.compressed_bytes);
    by_source
        .decoded_bytes
        .increment(summary.decompressed_bytes);
    if let Some(modified) = last_modified_ms {
        inner.metrics.object_lag.record(seconds_since_ms(modified));
    }
    if summary.mismatch {
        Stats::add(&stats.compression_mismatches, 1);
        warn!(%object, detected = ?summary.detected, "object bytes contradict the configured file type; decoded as detected");
    }
    Ok(())
}

/// Hands one batch to the dead-letter destination (its bad records) and the sink (the rest).
/// A closed output stops the whole run at once.
async fn deliver_batch(
    inner: &Arc<Inner>,
    batch: &Batch,
    source_id: &str,
    lease: &CancellationToken,
) -> Result<(), Stop> {
    let stats = &inner.stats;
    if !batch.dead_letters.is_empty() {
        let Some(dead) = &inner.dead else {
            return Err(Stop::NoDeadLetterDestination);
        };
        with_retries(inner, lease, Stage::DeadLetter, || {
            dead.dead_letter(&batch.dead_letters)
        })
        .await
        .map_err(|e| e.map_sink(Stop::DeadLetter))?;
        Stats::add(
            &stats.records_dead_lettered,
            batch.dead_letters.len() as u64,
        );
        for reason in &batch.bad_reasons {
            inner
                .metrics
                .dead_letters(DeadLetterKind::Record, reason, 1);
        }
    }
    if !batch.records.is_empty() {
        match with_retries(inner, lease, Stage::Sink, || {
            inner.sink.deliver(&batch.records)
        })
        .await
        {
            Ok(()) => {
                Stats::add(&stats.records_delivered, batch.records.len() as u64);
                let by_source = inner.metrics.source(source_id);
                by_source
                    .records_delivered
                    .increment(batch.records.len() as u64);
                by_source
                    .delivered_bytes
                    .increment(batch.record_bytes as u64);
                inner.metrics.delivered_now();
            }
            Err(Stop::Sink(SinkError::PartlyRejected(rejected))) => {
                dead_letter_rejected(inner, &batch.records, &rejected, source_id, lease).await?;
            }
            Err(e) => return Err(e.map_sink(|e| inner.sink_failed(e))),
        }
    }
    Stats::add(&stats.records_filtered, batch.filtered);
    if batch.filtered > 0 {
        let by_source = inner.metrics.source(source_id);
        by_source.records_filtered.increment(batch.filtered);
    }
    Stats::add(&stats.records_timestamp_fallback, batch.fallbacks);
    Ok(())
}

/// The destination accepted `records` but for `rejected`: dead-letter those with its reasons,
/// count the rest as delivered.
async fn dead_letter_rejected(
    inner: &Arc<Inner>,
    records: &[Record],
    rejected: &[Rejection],
    source_id: &str,
    lease: &CancellationToken,
) -> Result<(), Stop> {
    let stats = &inner.stats;
    let mut items: Vec<DeadLetter> = rejected
        .iter()
        .filter_map(|r| records.get(r.index).map(|record| (r, record)))
        .map(|(r, record)| DeadLetter {
            kind: DeadLetterKind::Record,
            reason: format!("rejected by the sink: {}", r.reason),
            object: Some(record.context.object.clone()),
            message_id: None,
            line: None,
            offset: None,
            ordinal: Some(record.ordinal),
            raw: record.to_json().into_bytes(),
        })
        .collect();
    items.dedup_by_key(|d| d.ordinal);
    let Some(dead) = &inner.dead else {
        return Err(Stop::NoDeadLetterDestination);
    };
    with_retries(inner, lease, Stage::DeadLetter, || dead.dead_letter(&items))
        .await
        .map_err(|e| e.map_sink(Stop::DeadLetter))?;
    let n = items.len() as u64;
    warn!(records = n, example = %rejected.first().map(|r| r.reason.as_str()).unwrap_or(""), "the sink rejected records: dead-lettered");
    Stats::add(&stats.records_dead_lettered, n);
    Stats::add(&stats.records_rejected_by_sink, n);
    let delivered = (records.len() as u64).saturating_sub(n);
    Stats::add(&stats.records_delivered, delivered);
    let m = &inner.metrics;
    m.dead_letters(DeadLetterKind::Record, "rejected_by_sink", n);
    m.source(source_id).records_delivered.increment(delivered);
    m.delivered_now();
    Ok(())
}

/// What a stage of [`with_retries`] delivers to, for the log lines of its repeated failures.
fn stage_subject(stage: Stage) -> &'static str {
    match stage {
        Stage::DeadLetter => "the dead-letter destination",
        _ => "the sink",
    }
}

impl Stop {
    /// Turns the sink error of [`with_retries`] into the stop of its caller.
    fn map_sink(self, f: impl FnOnce(SinkError) -> Stop) -> Stop {
        match self {
            Stop::Sink(e) => f(e),
            other => other,
        }
    }
}

impl Inner {
    /// The stop for a sink failure; a closed output also stops the run.
    fn sink_failed(&self, e: SinkError) -> Stop {
        if matches!(e, SinkError::Closed(_) | SinkError::Configuration(_)) {
            self.close_output(&e);
        }
        Stop::Sink(e)
    }
}

/// Calls `f` until it succeeds, fails for good, or `sink_retries` are spent (backing off).
async fn with_retries<'a, F, Fut>(
    inner: &'a Arc<Inner>,
    lease: &CancellationToken,
    stage: Stage,
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
            Ok(()) => {
                inner.sink_failures.succeeded(stage_subject(stage));
                if stage == Stage::Sink {
                    inner.health.delivery_succeeded();
                }
                return Ok(());
            }
            Err(e) => {
                Stats::add(&inner.stats.sink_failures, 1);
                inner.metrics.failure(stage, e.class());
                if stage == Stage::Sink {
                    inner.health.delivery_failed(e.class(), &e);
                }
                if !e.is_retryable() || attempt >= cfg.sink_retries {
                    return Err(Stop::Sink(e));
                }
                attempt += 1;
                Stats::add(&inner.stats.retries, 1);
                inner.metrics.retry(stage);
                let wait = equal_jitter(cfg.retry_base, cfg.retry_max, attempt);
                inner
                    .sink_failures
                    .failed(stage_subject(stage), &e, cfg.failure_report_interval);
                tokio::select! {
                    _ = tokio::time::sleep(wait) => {}
                    _ = lease.cancelled() => return Err(Stop::LeaseLost),
                }
            }
        }
    }
}

/// Wall-clock time in epoch milliseconds.
fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}
