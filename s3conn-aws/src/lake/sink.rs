//! [`LakeSink`]: the `Sink` that buffers records by partition and writes them as whole objects,
//! answering each `deliver` only once every object holding its records is written (see the
//! module docs of [`crate::lake`] for the rules of rolling).

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};

use async_trait::async_trait;
use futures::StreamExt;
use s3conn_core::{Record, Sink, SinkError};
use tokio::sync::{watch, Notify};
use tokio::time::Instant;

use super::encoding::{encode, finish, Chunk};
use super::partition::{partition, unique_name};
use super::settings::{LakeConfigError, LakeSettings};
use super::upload::Uploader;

/// Objects of one generation written at once.
const CONCURRENT_OBJECTS: usize = 4;

/// Per partition of a generation: the key written, or why it was not.
type Outcome = BTreeMap<String, Result<String, SinkError>>;

/// The S3 data-lake sink: records become Parquet (or gzip NDJSON) objects under
/// `PREFIX/index=…/msg_class=…/dt=YYYY-MM-DD/hour=HH/<unique>.<ext>`.
///
/// ```no_run
/// # async fn demo(client: aws_sdk_s3::Client) -> Result<(), Box<dyn std::error::Error>> {
/// use s3conn_aws::lake::{LakeFormat, LakeSettings, LakeSink};
///
/// let mut settings = LakeSettings::new("security-lake");
/// settings.prefix = "s3conn".into();
/// settings.format = LakeFormat::NdjsonGz;
/// let sink = LakeSink::new(client, settings)?;
/// // Hand `sink` to the pipeline (`PipelineBuilder::sink`, `Connector::with_sink`, …).
/// # let _ = sink;
/// # Ok(())
/// # }
/// ```
pub struct LakeSink {
    inner: Arc<Inner>,
}

struct Inner {
    settings: LakeSettings,
    prefix: String,
    uploader: Uploader,
    state: Mutex<State>,
    /// Signalled whenever a generation's upload ends (memory was released).
    room: Notify,
}

struct State {
    current: Generation,
    next_id: u64,
    /// Record bytes of generations being encoded and uploaded.
    uploading_bytes: usize,
}

/// The records buffered until the next roll, and how their writers hear the outcome.
struct Generation {
    id: u64,
    parts: BTreeMap<String, Vec<Chunk>>,
    bytes: usize,
    started: Option<Instant>,
    last_arrival: Instant,
    waiters: usize,
    done: watch::Sender<Option<Arc<Outcome>>>,
}

impl Generation {
    fn new(id: u64) -> Self {
        Generation {
            id,
            parts: BTreeMap::new(),
            bytes: 0,
            started: None,
            last_arrival: Instant::now(),
            waiters: 0,
            done: watch::channel(None).0,
        }
    }

    /// When it is written at the latest: `roll_age` after its first record, or `linger` after
    /// its last batch.
    fn deadline(&self, settings: &LakeSettings) -> Instant {
        let aged = self.started.unwrap_or(self.last_arrival) + settings.roll_age;
        aged.min(self.last_arrival + settings.linger)
    }
}

impl State {
    /// Takes the current generation for writing and starts a new one.
    fn take_current(&mut self) -> Generation {
        let next = Generation::new(self.next_id);
        self.next_id += 1;
        let gen = std::mem::replace(&mut self.current, next);
        self.uploading_bytes += gen.bytes;
        gen
    }
}

impl fmt::Debug for LakeSink {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LakeSink")
            .field("bucket", &self.inner.settings.bucket)
            .field("prefix", &self.inner.prefix)
            .field("format", &self.inner.settings.format)
            .finish()
    }
}

impl LakeSink {
    /// A sink writing into `settings.bucket` with `client`; fails on unusable settings.
    pub fn new(
        client: aws_sdk_s3::Client,
        settings: LakeSettings,
    ) -> Result<Self, LakeConfigError> {
        settings.validate()?;
        let uploader = Uploader::new(
            client,
            settings.bucket.clone(),
            settings.retry,
            settings.part_bytes,
        );
        Ok(LakeSink {
            inner: Arc::new(Inner {
                prefix: settings.key_prefix(),
                settings,
                uploader,
                state: Mutex::new(State {
                    current: Generation::new(0),
                    next_id: 1,
                    uploading_bytes: 0,
                }),
                room: Notify::new(),
            }),
        })
    }

    /// The settings in use.
    pub fn settings(&self) -> &LakeSettings {
        &self.inner.settings
    }

    /// Objects completely written so far.
    pub fn objects_written(&self) -> u64 {
        self.inner.uploader.counts.objects.load(Ordering::Relaxed)
    }

    /// Of those, objects written by a multipart upload.
    pub fn multipart_uploads(&self) -> u64 {
        self.inner.uploader.counts.multipart.load(Ordering::Relaxed)
    }

    /// Bytes of objects written so far (after encoding and compression).
    pub fn bytes_written(&self) -> u64 {
        self.inner.uploader.counts.bytes.load(Ordering::Relaxed)
    }

    /// S3 requests retried so far.
    pub fn retries(&self) -> u64 {
        self.inner.uploader.stats.retries()
    }
}

#[async_trait]
impl Sink for LakeSink {
    async fn deliver(&self, batch: &[Record]) -> Result<(), SinkError> {
        if batch.is_empty() {
            return Ok(());
        }
        let format = self.inner.settings.format;
        let chunks: Vec<(String, Chunk)> = blocking(|| {
            partition(batch)
                .into_iter()
                .map(|g| (g.path, encode(format, &g.records)))
                .collect()
        });
        let partitions: Vec<String> = chunks.iter().map(|(p, _)| p.clone()).collect();
        let (id, mut outcome) = self.inner.admit(chunks).await;
        self.inner.wait(id, &mut outcome, &partitions).await
    }
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, State> {
        // The state is counters and buffers that every step leaves consistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Adds a batch's chunks to the current generation once memory allows (at most two rolls of
    /// records buffered or uploading, or any single batch when nothing is); writes the generation
    /// at once when it is full or every expected writer waits on it.
    async fn admit(
        self: &Arc<Self>,
        chunks: Vec<(String, Chunk)>,
    ) -> (u64, watch::Receiver<Option<Arc<Outcome>>>) {
        let bytes: usize = chunks.iter().map(|(_, c)| c.bytes()).sum();
        let roll = self.settings.roll_bytes;
        let mut chunks = Some(chunks);
        loop {
            let room = self.room.notified();
            let mut flush = None;
            {
                let mut st = self.lock();
                let held = st.uploading_bytes + st.current.bytes;
                if held == 0 || held + bytes <= roll.saturating_mul(2) {
                    let now = Instant::now();
                    let g = &mut st.current;
                    g.started.get_or_insert(now);
                    g.last_arrival = now;
                    g.bytes += bytes;
                    g.waiters += 1;
                    for (path, chunk) in chunks.take().into_iter().flatten() {
                        g.parts.entry(path).or_default().push(chunk);
                    }
                    let admitted = (g.id, g.done.subscribe());
                    if g.bytes >= roll || g.waiters >= self.settings.flush_waiters {
                        flush = Some(st.take_current());
                    }
                    drop(st);
                    if let Some(gen) = flush {
                        self.spawn_flush(gen);
                    }
                    return admitted;
                }
                // No room: what is buffered will not grow much more, so write it now.
                if st.current.bytes > 0 {
                    flush = Some(st.take_current());
                }
            }
            if let Some(gen) = flush {
                self.spawn_flush(gen);
            }
            room.await;
        }
    }

    /// Waits until generation `id` is written, writing it itself once its deadline passes.
    async fn wait(
        self: &Arc<Self>,
        id: u64,
        outcome: &mut watch::Receiver<Option<Arc<Outcome>>>,
        partitions: &[String],
    ) -> Result<(), SinkError> {
        loop {
            if let Some(done) = outcome.borrow_and_update().clone() {
                return verdict(&done, partitions);
            }
            let deadline = {
                let st = self.lock();
                (st.current.id == id).then(|| st.current.deadline(&self.settings))
            };
            let changed = match deadline {
                Some(deadline) => {
                    tokio::select! {
                        r = outcome.changed() => r,
                        () = tokio::time::sleep_until(deadline) => {
                            let gen = {
                                let mut st = self.lock();
                                let due = st.current.id == id
                                    && Instant::now() >= st.current.deadline(&self.settings);
                                due.then(|| st.take_current())
                            };
                            if let Some(gen) = gen {
                                self.spawn_flush(gen);
                            }
                            Ok(())
                        }
                    }
                }
                None => outcome.changed().await,
            };
            if changed.is_err() {
                // The writer is gone: its last word, if it said one, else a lost write.
                return match outcome.borrow().clone() {
                    Some(done) => verdict(&done, partitions),
                    None => Err(SinkError::Retryable(format!(
                        "s3://{}/{}: the write of the buffered records was interrupted",
                        self.settings.bucket, self.prefix
                    ))),
                };
            }
        }
    }

    fn spawn_flush(self: &Arc<Self>, gen: Generation) {
        let inner = Arc::clone(self);
        tokio::spawn(async move { inner.flush(gen).await });
    }

    /// Writes one object per partition of `gen`, then tells its writers how each went.
    async fn flush(self: Arc<Self>, gen: Generation) {
        let Generation {
            parts, bytes, done, ..
        } = gen;
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        let writes = parts.into_iter().map(|(path, chunks)| {
            let inner = Arc::clone(&self);
            async move {
                let r = inner.write_object(&path, chunks, now_ms).await;
                (path, r)
            }
        });
        let results: Outcome = futures::stream::iter(writes)
            .buffer_unordered(CONCURRENT_OBJECTS)
            .collect()
            .await;
        for (path, r) in &results {
            match r {
                Ok(key) => {
                    tracing::debug!(bucket = %self.settings.bucket, key, "lake object written")
                }
                Err(e) => tracing::warn!(partition = path, error = %e, "lake object not written"),
            }
        }
        {
            let mut st = self.lock();
            st.uploading_bytes = st.uploading_bytes.saturating_sub(bytes);
        }
        self.room.notify_waiters();
        done.send_replace(Some(Arc::new(results)));
    }

    /// Encodes (off the async threads) and uploads the object of one partition.
    async fn write_object(
        &self,
        path: &str,
        chunks: Vec<Chunk>,
        now_ms: i64,
    ) -> Result<String, SinkError> {
        let format = self.settings.format;
        let key = format!(
            "{}{path}/{}",
            self.prefix,
            unique_name(now_ms, format.extension())
        );
        let body = tokio::task::spawn_blocking(move || finish(format, chunks))
            .await
            .map_err(|e| SinkError::Retryable(format!("encoding task failed: {e}")))?
            .map_err(|e| {
                SinkError::Rejected(format!("s3://{}/{key}: {e}", self.settings.bucket))
            })?;
        self.uploader.put(&key, body, format.content_type()).await?;
        Ok(key)
    }
}

/// `Ok` when every partition a batch touched was written.
fn verdict(outcome: &Outcome, partitions: &[String]) -> Result<(), SinkError> {
    for p in partitions {
        match outcome.get(p) {
            Some(Ok(_)) => {}
            Some(Err(e)) => return Err(e.clone()),
            None => {
                return Err(SinkError::Retryable(format!(
                    "partition {p} has no write result"
                )))
            }
        }
    }
    Ok(())
}

/// Runs CPU work without stalling the other tasks of a multi-threaded runtime.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}
