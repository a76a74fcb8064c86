//! The HTTP batch sink: records of concurrent `deliver` calls share requests closed by record
//! count, body size or linger; a bounded number of requests are in flight (a full batch waits
//! for a free slot, so backpressure reaches the pipeline); every `deliver` returns once the
//! destination has settled each of its records.
//!
//! A batch is also sent before its linger when every caller is waiting on it: the pipeline calls
//! `deliver` from a fixed number of objects in flight, so once as many calls are parked as were
//! ever seen at once (the peak), no more records can come until the batch is answered; waiting
//! out the linger then would only stall the pipeline (a `batch_records` larger than what the
//! objects in flight hold would otherwise cost a linger per batch). When every caller in progress
//! is parked but fewer than the peak (a caller is done for good, or between objects), they wait a
//! short settle time for another to start, then their batch is sent and the peak lowered to them.

use std::io::Write;
use std::ops::Range;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use bytes::Bytes;
use http::Method;
use s3conn_core::{Record, Rejection, Sink, SinkError};
use tokio::sync::{oneshot, OwnedSemaphorePermit, Semaphore};
use tracing::{debug, warn};

use crate::client::HttpClient;
use crate::encoder::{Answer, Encoder, Verdict};
use crate::error::BuildError;
use crate::probe::Check;
use crate::settings::HttpSettings;

/// What one `deliver` chunk learns: its rejected records, or why it failed.
type PartResult = Result<Vec<Rejection>, SinkError>;

/// Consecutive records of one `deliver` call, encoded, waiting for their request's answer.
#[derive(Debug)]
struct Part {
    data: Bytes,
    /// Index of each record in its `deliver` call, and its bytes in `data`.
    items: Vec<(usize, Range<usize>)>,
    done: oneshot::Sender<PartResult>,
}

/// The request being filled.
#[derive(Debug, Default)]
struct Pending {
    parts: Vec<Part>,
    records: usize,
    bytes: usize,
    /// Bumped on every flush, so a linger timer flushes only the batch it was started for.
    generation: u64,
}

#[derive(Debug)]
struct Shared {
    client: HttpClient,
    encoder: Arc<dyn Encoder>,
    settings: HttpSettings,
    headers: Vec<(String, String)>,
    pending: Mutex<Pending>,
    requests: Arc<Semaphore>,
    /// Set once `Encoder::prepare` succeeded.
    prepared: tokio::sync::OnceCell<()>,
    /// The `deliver` calls in progress, for sending a batch every caller waits on.
    callers: Mutex<Callers>,
}

/// Counts of `deliver` calls.
#[derive(Debug, Default)]
struct Callers {
    /// Calls in progress.
    active: usize,
    /// Calls whose records are all queued, waiting for answers.
    parked: usize,
    /// The most calls in progress at once (lowered when callers went away for good).
    peak: usize,
    /// Calls started so far: a settle timer acts only if none started meanwhile.
    entries: u64,
}

/// How long the parked callers wait, after another caller ended, for a new one to come before
/// their batch is sent (the pipeline's objects in flight are drained, or one is being fetched).
const SETTLE: Duration = Duration::from_millis(20);

/// One `deliver` call's place in [`Callers`], given back when the call ends (or is dropped).
struct CallerGuard {
    shared: Arc<Shared>,
    parked: bool,
}

impl CallerGuard {
    fn enter(shared: &Arc<Shared>) -> Self {
        let mut c = shared.callers();
        c.active += 1;
        c.peak = c.peak.max(c.active);
        c.entries += 1;
        CallerGuard {
            shared: shared.clone(),
            parked: false,
        }
    }

    /// The call queued all its records: whether every caller (up to the peak) is now parked.
    /// When only every caller in progress is, a settle timer starts.
    fn park(&mut self) -> bool {
        let entries = {
            let mut c = self.shared.callers();
            c.parked += 1;
            self.parked = true;
            if c.parked >= c.peak {
                return true;
            }
            if c.parked < c.active {
                return false;
            }
            c.entries
        };
        settle_later(&self.shared, entries);
        false
    }
}

/// After [`SETTLE`]: when no call started meanwhile and every call in progress is still parked,
/// sends their batch and lowers the peak to them (the missing callers are done or slow).
fn settle_later(shared: &Arc<Shared>, entries: u64) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        return;
    };
    let shared = shared.clone();
    runtime.spawn(async move {
        tokio::time::sleep(SETTLE.min(shared.settings.linger)).await;
        let go = {
            let mut c = shared.callers();
            let settled = c.entries == entries && c.parked > 0 && c.parked >= c.active;
            if settled {
                c.peak = c.active;
            }
            settled
        };
        if go {
            Shared::flush(&shared, None).await;
        }
    });
}

impl Drop for CallerGuard {
    fn drop(&mut self) {
        let entries = {
            let mut c = self.shared.callers();
            c.active -= 1;
            if self.parked {
                c.parked -= 1;
            }
            if c.parked == 0 || c.parked < c.active {
                return;
            }
            c.entries
        };
        // Everyone left is parked: if no caller comes within the settle time, this one went
        // away for good: send their batch and expect fewer callers.
        settle_later(&self.shared, entries);
    }
}

/// An HTTP batch sink with one [`Encoder`] (a preset).
#[derive(Debug, Clone)]
pub struct HttpSink {
    shared: Arc<Shared>,
}

impl HttpSink {
    /// A sink sending to `settings.url` in `encoder`'s format.
    pub fn new(settings: HttpSettings, encoder: Arc<dyn Encoder>) -> Result<Self, BuildError> {
        if settings.max_records == 0 || settings.max_bytes == 0 {
            return Err(crate::error::invalid(
                "batch",
                "max_records and max_bytes must be at least 1",
            ));
        }
        let client = HttpClient::new(&settings)?;
        let mut headers = vec![("content-type".to_owned(), encoder.content_type().to_owned())];
        if settings.gzip {
            headers.push(("content-encoding".to_owned(), "gzip".to_owned()));
        }
        headers.extend(encoder.headers());
        Ok(HttpSink {
            shared: Arc::new(Shared {
                client,
                requests: Arc::new(Semaphore::new(settings.max_concurrent_requests.max(1))),
                encoder,
                settings,
                headers,
                pending: Mutex::new(Pending::default()),
                prepared: tokio::sync::OnceCell::new(),
                callers: Mutex::new(Callers::default()),
            }),
        })
    }

    /// The preset's name.
    pub fn preset(&self) -> &'static str {
        self.shared.encoder.name()
    }

    /// Checks the destination (reachable, credentials, writable) for `s3conn test`.
    pub async fn probe(&self) -> Vec<Check> {
        self.shared.encoder.probe(&self.shared.client).await
    }

    /// Queues one chunk, flushing first when it would not fit and after when it fills the batch.
    async fn enqueue(&self, part: Part) {
        let s = &self.shared;
        let (records, bytes) = (part.items.len(), part.data.len());
        let mut part = Some(part);
        while let Some(p) = part.take() {
            // Decided under the lock, acted on after it (no guard across an await).
            let step = {
                let mut pending = s.lock();
                let overflow = !pending.parts.is_empty()
                    && (pending.records + records > s.settings.max_records
                        || pending.bytes + bytes > s.settings.max_bytes);
                if overflow {
                    part = Some(p);
                    Step::FlushFirst
                } else {
                    let first = pending.parts.is_empty();
                    pending.parts.push(p);
                    pending.records += records;
                    pending.bytes += bytes;
                    if pending.records >= s.settings.max_records
                        || pending.bytes >= s.settings.max_bytes
                    {
                        Step::FlushFull
                    } else if first {
                        Step::StartLinger(pending.generation)
                    } else {
                        Step::Wait
                    }
                }
            };
            match step {
                Step::FlushFirst | Step::FlushFull => Shared::flush(s, None).await,
                Step::StartLinger(generation) => {
                    let shared = s.clone();
                    tokio::spawn(async move {
                        tokio::time::sleep(shared.settings.linger).await;
                        Shared::flush(&shared, Some(generation)).await;
                    });
                }
                Step::Wait => {}
            }
        }
    }
}

/// What `enqueue` does after queueing (or not) a chunk.
enum Step {
    /// The chunk does not fit: send the pending batch, then queue it.
    FlushFirst,
    /// The chunk filled the batch: send it.
    FlushFull,
    /// The chunk started a batch: send it after the linger.
    StartLinger(u64),
    /// Queued; the batch's linger timer runs.
    Wait,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn callers(&self) -> std::sync::MutexGuard<'_, Callers> {
        self.callers.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Whether every caller (as many as were ever in progress at once) is waiting for answers.
    fn all_parked(&self) -> bool {
        let c = self.callers();
        c.parked > 0 && c.parked >= c.peak
    }

    /// Waits for a request slot, then sends what is pending (only `generation`'s batch if set).
    async fn flush(self: &Arc<Self>, generation: Option<u64>) {
        let Ok(permit) = self.requests.clone().acquire_owned().await else {
            return;
        };
        let parts = {
            let mut pending = self.lock();
            if generation.is_some_and(|g| g != pending.generation) || pending.parts.is_empty() {
                return;
            }
            pending.generation += 1;
            pending.records = 0;
            pending.bytes = 0;
            std::mem::take(&mut pending.parts)
        };
        tokio::spawn(self.clone().request(parts, permit));
    }

    /// Sends one request until every item is settled or retries run out, then answers the parts.
    async fn request(self: Arc<Self>, parts: Vec<Part>, _permit: OwnedSemaphorePermit) {
        let mut rejected: Vec<Vec<Rejection>> = parts.iter().map(|_| Vec::new()).collect();
        // (part, item) of every item not yet settled.
        let mut todo: Vec<(usize, usize)> = parts
            .iter()
            .enumerate()
            .flat_map(|(p, part)| (0..part.items.len()).map(move |i| (p, i)))
            .collect();
        let failure = self.settle(&parts, &mut todo, &mut rejected).await;
        for (p, (part, rejected)) in parts.into_iter().zip(rejected).enumerate() {
            let result = match &failure {
                Some(e) if todo.iter().any(|&(q, _)| q == p) => Err(e.clone()),
                _ => Ok(rejected),
            };
            let _ = part.done.send(result);
        }
    }

    /// Sends `todo` until settled; returns the failure that stopped it with items left in `todo`.
    async fn settle(
        &self,
        parts: &[Part],
        todo: &mut Vec<(usize, usize)>,
        rejected: &mut [Vec<Rejection>],
    ) -> Option<SinkError> {
        // Halves of requests the destination found too large (413), sent one after another.
        let mut later: Vec<Vec<(usize, usize)>> = Vec::new();
        loop {
            if let Some(e) = self.settle_request(parts, todo, rejected, &mut later).await {
                todo.extend(later.drain(..).flatten());
                return Some(e);
            }
            match later.pop() {
                Some(next) => *todo = next,
                None => return None,
            }
        }
    }

    /// Sends `todo` as one request until settled. An answer 413 (too large) halves the request:
    /// the second half goes to `later`, the first is sent at once; a single record too large is
    /// rejected.
    async fn settle_request(
        &self,
        parts: &[Part],
        todo: &mut Vec<(usize, usize)>,
        rejected: &mut [Vec<Rejection>],
        later: &mut Vec<Vec<(usize, usize)>>,
    ) -> Option<SinkError> {
        let mut attempt = 0u32;
        loop {
            if let Err(answer) = self
                .prepared
                .get_or_try_init(|| self.encoder.prepare(&self.client))
                .await
            {
                match answer {
                    Answer::Configuration(r) => return Some(SinkError::Configuration(r)),
                    other => {
                        let reason = format!("preparing the destination: {other:?}");
                        match self.backoff(&mut attempt, &reason, None).await {
                            Some(e) => return Some(e),
                            None => continue,
                        }
                    }
                }
            }
            let body = match self.body(parts, todo).await {
                Ok(b) => b,
                Err(e) => return Some(e),
            };
            let headers: Vec<(&str, &str)> = self
                .headers
                .iter()
                .map(|(n, v)| (n.as_str(), v.as_str()))
                .collect();
            let sent = self
                .client
                .send(Method::POST, self.encoder.path(), &headers, body)
                .await;
            if matches!(&sent, Ok(resp) if resp.status == 413) {
                if todo.len() > 1 {
                    let second = todo.split_off(todo.len() / 2);
                    debug!(
                        sink = self.encoder.name(),
                        records = todo.len() + second.len(),
                        "HTTP 413: sending the request in halves"
                    );
                    later.push(second);
                    continue;
                }
                for &(p, i) in todo.iter() {
                    rejected[p].push(Rejection {
                        index: parts[p].items[i].0,
                        reason: "HTTP 413 Payload Too Large for a request of this record alone: \
                                 larger than the destination accepts"
                            .to_owned(),
                    });
                }
                todo.clear();
                return None;
            }
            let (answer, retry_after) = match sent {
                Ok(resp) => {
                    let mut answer = self.encoder.answer(&resp, todo.len());
                    if answer == Answer::All(Verdict::Accepted) {
                        answer = Answer::All(self.encoder.confirm(&self.client, &resp).await);
                    }
                    (answer, resp.retry_after)
                }
                Err(e) => (Answer::All(Verdict::Retry(e.to_string())), None),
            };
            let verdicts = match answer {
                Answer::Configuration(r) => return Some(SinkError::Configuration(r)),
                Answer::All(v) => vec![v; todo.len()],
                Answer::Items(v) if v.len() == todo.len() => v,
                Answer::Items(v) => vec![
                    Verdict::Retry(format!(
                        "the answer lists {} items for {} sent",
                        v.len(),
                        todo.len()
                    ));
                    todo.len()
                ],
            };
            let mut retry = Vec::new();
            let mut retry_reason = None;
            for (&(p, i), verdict) in todo.iter().zip(verdicts) {
                match verdict {
                    Verdict::Accepted => {}
                    Verdict::Rejected(reason) => rejected[p].push(Rejection {
                        index: parts[p].items[i].0,
                        reason,
                    }),
                    Verdict::Retry(reason) => {
                        retry.push((p, i));
                        retry_reason.get_or_insert(reason);
                    }
                }
            }
            *todo = retry;
            // Everything settled: no failure to report.
            let reason = retry_reason?;
            if let Some(e) = self.backoff(&mut attempt, &reason, retry_after).await {
                return Some(e);
            }
        }
    }

    /// Waits before the next attempt, or gives up (a retryable error) once retries are spent.
    async fn backoff(
        &self,
        attempt: &mut u32,
        reason: &str,
        retry_after: Option<std::time::Duration>,
    ) -> Option<SinkError> {
        let s = &self.settings;
        if *attempt >= s.max_retries {
            warn!(sink = self.encoder.name(), %reason, "giving up after {attempt} retries", attempt = *attempt);
            return Some(SinkError::Retryable(reason.to_owned()));
        }
        *attempt += 1;
        let exp = s
            .retry_base
            .saturating_mul(1u32 << (*attempt - 1).min(16))
            .min(s.retry_max);
        let jittered = exp / 2 + exp.mul_f64(fastrand::f64() / 2.0);
        let wait = retry_after.map_or(jittered, |r| r.min(s.retry_max));
        debug!(sink = self.encoder.name(), %reason, ?wait, attempt = *attempt, "retrying");
        tokio::time::sleep(wait).await;
        None
    }

    /// The body of the items in `todo`, gzipped (on a blocking thread) when configured.
    async fn body(&self, parts: &[Part], todo: &[(usize, usize)]) -> Result<Bytes, SinkError> {
        let whole = todo.len() == parts.iter().map(|p| p.items.len()).sum::<usize>();
        let chunks: Vec<Bytes> = if whole {
            parts.iter().map(|p| p.data.clone()).collect()
        } else {
            todo.iter()
                .map(|&(p, i)| parts[p].data.slice(parts[p].items[i].1.clone()))
                .collect()
        };
        let gzip = self.settings.gzip;
        let join = move || -> std::io::Result<Bytes> {
            let len = chunks.iter().map(Bytes::len).sum();
            if !gzip {
                if let [one] = chunks.as_slice() {
                    return Ok(one.clone());
                }
                let mut out = Vec::with_capacity(len);
                chunks.iter().for_each(|c| out.extend_from_slice(c));
                return Ok(out.into());
            }
            let mut enc = flate2::write::GzEncoder::new(
                Vec::with_capacity(len / 4),
                flate2::Compression::fast(),
            );
            for c in &chunks {
                enc.write_all(c)?;
            }
            Ok(enc.finish()?.into())
        };
        if gzip {
            tokio::task::spawn_blocking(join)
                .await
                .map_err(|e| SinkError::Retryable(format!("compressing: {e}")))?
        } else {
            join()
        }
        .map_err(|e| SinkError::Retryable(format!("compressing: {e}")))
    }
}

#[async_trait]
impl Sink for HttpSink {
    async fn deliver(&self, batch: &[Record]) -> Result<(), SinkError> {
        let s = &self.shared;
        let mut caller = CallerGuard::enter(s);
        let mut waiting = Vec::new();
        let mut start = 0;
        while start < batch.len() {
            let mut data =
                Vec::with_capacity((batch.len() - start).min(s.settings.max_records) * 1024);
            let mut items = Vec::new();
            while start < batch.len()
                && items.len() < s.settings.max_records
                && (items.is_empty() || data.len() < s.settings.max_bytes)
            {
                let from = data.len();
                s.encoder.encode(&batch[start], &mut data);
                items.push((start, from..data.len()));
                start += 1;
            }
            let (done, wait) = oneshot::channel();
            waiting.push(wait);
            self.enqueue(Part {
                data: data.into(),
                items,
                done,
            })
            .await;
        }
        if caller.park() {
            // Every caller waits on the pending batch: nothing more can come, send it (after
            // letting callers that are about to enter do so: the peak is learned, not told).
            let shared = s.clone();
            tokio::spawn(async move {
                tokio::task::yield_now().await;
                if shared.all_parked() {
                    Shared::flush(&shared, None).await;
                }
            });
        }
        let mut rejected = Vec::new();
        let mut failure = None;
        for wait in waiting {
            match wait.await {
                Ok(Ok(r)) => rejected.extend(r),
                Ok(Err(e)) => {
                    // A configuration error outranks a retryable one.
                    if !matches!(failure, Some(SinkError::Configuration(_))) {
                        failure = Some(e);
                    }
                }
                Err(_) => {
                    failure.get_or_insert(SinkError::Retryable("the request was dropped".into()));
                }
            }
        }
        match failure {
            Some(e) => Err(e),
            None if rejected.is_empty() => Ok(()),
            None => {
                rejected.sort_by_key(|r| r.index);
                Err(SinkError::PartlyRejected(rejected))
            }
        }
    }
}
