//! Where records go: the `Sink` trait, the dead-letter destination, and local implementations.

use std::fmt::Debug;
use std::fs::{self, File, OpenOptions};
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use base64::Engine;
use serde::Serialize;

use crate::error::{Classify, ErrorClass};
use crate::record::Record;
use crate::store::ObjectRef;

/// A failure to deliver records.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
#[non_exhaustive]
pub enum SinkError {
    /// The destination is temporarily unable to accept; try again.
    #[error("sink temporarily unavailable: {0}")]
    Retryable(String),
    /// The destination rejects these records for good.
    #[error("sink rejected the records: {0}")]
    Rejected(String),
    /// The destination is gone for good (a closed pipe, a removed output directory): nothing
    /// more can be delivered, so the pipeline stops at once instead of retrying.
    #[error("sink output closed: {0}")]
    Closed(String),
    /// The destination accepted the batch except these records, which it rejects for good: the
    /// pipeline dead-letters them with the destination's reason and treats the rest as delivered.
    #[error("the destination rejected {} record(s){}", .0.len(), first_reason(.0))]
    PartlyRejected(Vec<Rejection>),
    /// The destination refuses the sink's configuration (wrong credentials, no permission): no
    /// batch can succeed until it is fixed, so the pipeline stops the run at once.
    #[error("sink configuration: {0}")]
    Configuration(String),
}

/// One record of a batch that the destination rejected for good.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rejection {
    /// Position of the record in the batch given to [`Sink::deliver`].
    pub index: usize,
    /// The destination's reason (an excerpt of its answer).
    pub reason: String,
}

fn first_reason(rejections: &[Rejection]) -> String {
    rejections
        .first()
        .map(|r| format!(" (e.g. #{}: {})", r.index, r.reason))
        .unwrap_or_default()
}

impl Classify for SinkError {
    fn class(&self) -> ErrorClass {
        match self {
            SinkError::Retryable(_) => ErrorClass::Retryable,
            SinkError::Rejected(_) | SinkError::Closed(_) | SinkError::PartlyRejected(_) => {
                ErrorClass::Permanent
            }
            SinkError::Configuration(_) => ErrorClass::Configuration,
        }
    }
}

/// The destination of normalized records.
///
/// # Contract
/// `deliver` returns `Ok` only once every record of the batch is durably accepted: the pipeline
/// acknowledges queue messages on that promise. It may be called concurrently; a batch that failed
/// may be offered again (records carry a stable `id` for de-duplication).
///
/// A destination that accepts some records and rejects others for good returns
/// [`SinkError::PartlyRejected`] listing the rejected ones (every other record is then durably
/// accepted); the pipeline dead-letters those and counts the rest as delivered. A destination
/// refusing the credentials returns [`SinkError::Configuration`], which stops the run.
///
/// `s3conn_core::testing::sink_conformance` (feature `testing`) checks this contract; every sink
/// of s3conn runs it, and your own implementation can too.
///
/// # Example
/// A sink that counts the records it is given per event name (implement it with
/// [`async_trait`](https://docs.rs/async-trait), re-exported by the `s3conn` facade):
///
/// ```
/// use std::collections::BTreeMap;
/// use std::sync::{Arc, Mutex};
///
/// use async_trait::async_trait;
/// use s3conn_core::json::RawJson;
/// use s3conn_core::{Normalized, ObjectContext, ObjectRef, Record, Sink, SinkError, SourceInfo};
///
/// #[derive(Debug, Default)]
/// struct CountByEventName(Mutex<BTreeMap<String, u64>>);
///
/// #[async_trait]
/// impl Sink for CountByEventName {
///     async fn deliver(&self, batch: &[Record]) -> Result<(), SinkError> {
///         let mut counts = self.0.lock().map_err(|_| SinkError::Rejected("poisoned".into()))?;
///         for record in batch {
///             let name = record.fields.event_name.as_deref().unwrap_or("(none)");
///             *counts.entry(name.to_owned()).or_default() += 1;
///         }
///         Ok(()) // every record is counted: the pipeline may acknowledge them now
///     }
/// }
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // Records as the pipeline would hand them over.
/// let login = Record {
///     source: Arc::new(SourceInfo::new("app", "App", "Syslog", "app", "me")),
///     context: Arc::new(ObjectContext::new(ObjectRef::new("logs", "1.json"), None, None, None)),
///     ordinal: 0,
///     timestamp_ms: 0,
///     fields: Normalized { event_name: Some("Login".into()), ..Normalized::default() },
///     event: RawJson::new(r#"{"n":1}"#)?,
/// };
/// let mut logout = login.clone();
/// logout.fields.event_name = Some("Logout".into());
/// let sink = CountByEventName::default();
/// sink.deliver(&[login.clone(), login, logout]).await?;
/// let counts = sink.0.lock().map_err(|e| e.to_string())?;
/// assert_eq!(counts.get("Login"), Some(&2));
/// assert_eq!(counts.get("Logout"), Some(&1));
/// # Ok(())
/// # }
/// ```
#[async_trait]
pub trait Sink: Send + Sync + Debug {
    /// Delivers a batch of records.
    async fn deliver(&self, batch: &[Record]) -> Result<(), SinkError>;
}

const _: Option<&dyn Sink> = None;

/// What a dead-letter item concerns.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeadLetterKind {
    /// One record of an object (bad JSON, over a limit).
    Record,
    /// A whole object (undecodable, over a limit).
    Object,
    /// A whole queue message (not a notification, bucket not allowed).
    Message,
}

/// Something given up on, with the reason and its raw bytes: accounted for, never silently dropped.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeadLetter {
    /// What it concerns.
    pub kind: DeadLetterKind,
    /// Why it was given up on.
    pub reason: String,
    /// The object, when it concerns one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<ObjectRef>,
    /// The queue message id, when known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message_id: Option<String>,
    /// 1-based line in the decompressed object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u64>,
    /// Byte offset in the decompressed object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// Ordinal of the record in the object.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ordinal: Option<u64>,
    /// The raw bytes (a bounded sample for large items), base64 in serialized form.
    #[serde(serialize_with = "as_base64")]
    pub raw: Vec<u8>,
}

fn as_base64<S: serde::Serializer>(raw: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&base64::engine::general_purpose::STANDARD.encode(raw))
}

/// The destination of dead-lettered items.
///
/// # Contract
/// `dead_letter` returns `Ok` only once the items are durably stored; only then does the pipeline
/// acknowledge what they came from.
///
/// `s3conn_core::testing::dead_letter_conformance` (feature `testing`) checks this contract;
/// every dead-letter destination of s3conn runs it, and your own implementation can too.
#[async_trait]
pub trait DeadLetterSink: Send + Sync + Debug {
    /// Stores dead-lettered items.
    async fn dead_letter(&self, items: &[DeadLetter]) -> Result<(), SinkError>;
}

const _: Option<&dyn DeadLetterSink> = None;

/// Runs blocking work on a multi-threaded runtime without stalling its other tasks.
fn blocking<T>(f: impl FnOnce() -> T) -> T {
    match tokio::runtime::Handle::try_current() {
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// Writes records as NDJSON to any writer (stdout, a file), flushing after every batch.
///
/// A write that fails with `BrokenPipe` (the reader went away, as under `| head`) is
/// [`SinkError::Closed`], and so is a file sink whose file (or its directory) was removed: the
/// batch went to an unlinked file, so it is not reported delivered. Other write failures are
/// retryable.
pub struct NdjsonSink<W: Write + Send> {
    out: Mutex<W>,
    file: Option<OpenedFile>,
}

/// The path a file sink writes to and the identity of the file it opened there.
#[derive(Debug)]
struct OpenedFile {
    path: PathBuf,
    identity: Option<(u64, u64)>,
}

impl OpenedFile {
    fn identity(meta: &fs::Metadata) -> Option<(u64, u64)> {
        #[cfg(unix)]
        {
            use std::os::unix::fs::MetadataExt;
            Some((meta.dev(), meta.ino()))
        }
        #[cfg(not(unix))]
        {
            let _ = meta;
            None
        }
    }

    /// Whether the path still names the file this sink writes to (checked once per batch).
    fn still_there(&self) -> Result<(), SinkError> {
        let gone = |why: &str| SinkError::Closed(format!("{} {why}", self.path.display()));
        match fs::metadata(&self.path) {
            Ok(meta) if Self::identity(&meta) == self.identity => Ok(()),
            Ok(_) => Err(gone("was replaced by another file")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(gone("was removed")),
            Err(e) => Err(SinkError::Retryable(format!(
                "{}: {e}",
                self.path.display()
            ))),
        }
    }
}

impl<W: Write + Send> Debug for NdjsonSink<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("NdjsonSink")
    }
}

impl<W: Write + Send> NdjsonSink<W> {
    /// A sink writing to `out`.
    pub fn new(out: W) -> Self {
        NdjsonSink {
            out: Mutex::new(out),
            file: None,
        }
    }
}

/// Buffer of the standard writers: a batch (serialized whole, then flushed) larger than this is
/// written straight through instead of being copied into the buffer first.
const WRITE_BUFFER: usize = 16 << 10;

impl NdjsonSink<BufWriter<std::io::Stdout>> {
    /// A sink writing to standard output.
    pub fn stdout() -> Self {
        NdjsonSink::new(BufWriter::with_capacity(WRITE_BUFFER, std::io::stdout()))
    }
}

impl NdjsonSink<BufWriter<File>> {
    /// A sink appending to a file (created if missing).
    pub fn file(path: &Path) -> std::io::Result<Self> {
        let f = OpenOptions::new().create(true).append(true).open(path)?;
        let identity = OpenedFile::identity(&f.metadata()?);
        let mut sink = NdjsonSink::new(BufWriter::with_capacity(WRITE_BUFFER, f));
        sink.file = Some(OpenedFile {
            path: path.to_path_buf(),
            identity,
        });
        Ok(sink)
    }
}

#[async_trait]
impl<W: Write + Send> Sink for NdjsonSink<W> {
    async fn deliver(&self, batch: &[Record]) -> Result<(), SinkError> {
        blocking(|| {
            let mut buf = Vec::with_capacity(batch.len() * 512);
            for r in batch {
                r.write_ndjson(&mut buf);
            }
            let mut out = self
                .out
                .lock()
                .map_err(|_| SinkError::Rejected("writer poisoned".into()))?;
            out.write_all(&buf)
                .and_then(|()| out.flush())
                .map_err(|e| match e.kind() {
                    std::io::ErrorKind::BrokenPipe => {
                        SinkError::Closed(format!("write failed: {e}"))
                    }
                    _ => SinkError::Retryable(format!("write failed: {e}")),
                })?;
            // Written and flushed: still into the file the path names?
            self.file.as_ref().map_or(Ok(()), OpenedFile::still_there)
        })
    }
}

/// Keeps records in memory (tests, embedding).
#[derive(Debug, Default, Clone)]
pub struct MemorySink {
    records: Arc<Mutex<Vec<Record>>>,
}

impl MemorySink {
    /// An empty sink.
    pub fn new() -> Self {
        Self::default()
    }

    /// Everything delivered so far.
    pub fn records(&self) -> Vec<Record> {
        self.records.lock().map(|r| r.clone()).unwrap_or_default()
    }

    /// How many records were delivered.
    pub fn len(&self) -> usize {
        self.records.lock().map(|r| r.len()).unwrap_or(0)
    }

    /// Whether nothing was delivered.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[async_trait]
impl Sink for MemorySink {
    async fn deliver(&self, batch: &[Record]) -> Result<(), SinkError> {
        self.records
            .lock()
            .map_err(|_| SinkError::Rejected("poisoned".into()))?
            .extend_from_slice(batch);
        Ok(())
    }
}

/// Keeps dead letters in memory (tests, embedding).
#[derive(Debug, Default, Clone)]
pub struct MemoryDeadLetterSink {
    items: Arc<Mutex<Vec<DeadLetter>>>,
}

impl MemoryDeadLetterSink {
    /// An empty destination.
    pub fn new() -> Self {
        Self::default()
    }

    /// Everything dead-lettered so far.
    pub fn items(&self) -> Vec<DeadLetter> {
        self.items.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

#[async_trait]
impl DeadLetterSink for MemoryDeadLetterSink {
    async fn dead_letter(&self, items: &[DeadLetter]) -> Result<(), SinkError> {
        self.items
            .lock()
            .map_err(|_| SinkError::Rejected("poisoned".into()))?
            .extend_from_slice(items);
        Ok(())
    }
}

/// Writes dead letters as NDJSON into a directory, one file per process, created on first use.
#[derive(Debug)]
pub struct DirectoryDeadLetterSink {
    dir: PathBuf,
    file: Mutex<Option<(PathBuf, File)>>,
}

impl DirectoryDeadLetterSink {
    /// Dead letters go under `dir` (created when the first item arrives).
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        DirectoryDeadLetterSink {
            dir: dir.into(),
            file: Mutex::new(None),
        }
    }

    /// The file written so far, if any.
    pub fn path(&self) -> Option<PathBuf> {
        self.file
            .lock()
            .ok()
            .and_then(|f| f.as_ref().map(|(p, _)| p.clone()))
    }
}

#[async_trait]
impl DeadLetterSink for DirectoryDeadLetterSink {
    async fn dead_letter(&self, items: &[DeadLetter]) -> Result<(), SinkError> {
        if items.is_empty() {
            return Ok(());
        }
        blocking(|| {
            let mut guard = self
                .file
                .lock()
                .map_err(|_| SinkError::Rejected("poisoned".into()))?;
            if guard.is_none() {
                fs::create_dir_all(&self.dir).map_err(|e| {
                    SinkError::Retryable(format!("cannot create {}: {e}", self.dir.display()))
                })?;
                let stamp = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_millis())
                    .unwrap_or(0);
                let path = self
                    .dir
                    .join(format!("dead-letter-{stamp}-{}.ndjson", std::process::id()));
                let f = OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(&path)
                    .map_err(|e| {
                        SinkError::Retryable(format!("cannot open {}: {e}", path.display()))
                    })?;
                *guard = Some((path, f));
            }
            let Some((path, file)) = guard.as_mut() else {
                return Err(SinkError::Retryable("dead-letter file unavailable".into()));
            };
            let mut buf = Vec::new();
            for item in items {
                serde_json::to_writer(&mut buf, item)
                    .map_err(|e| SinkError::Rejected(e.to_string()))?;
                buf.push(b'\n');
            }
            file.write_all(&buf)
                .and_then(|()| file.sync_data())
                .map_err(|e| {
                    SinkError::Retryable(format!("write to {} failed: {e}", path.display()))
                })
        })
    }
}

#[cfg(test)]
mod tests;
