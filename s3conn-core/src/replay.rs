//! Replay: local files and directories through the production pipeline (a [`MemoryQueue`] of
//! "object created" notifications and a [`LocalObjectStore`]), the library side of
//! `s3conn replay`.
//!
//! ```
//! # async fn demo() -> Result<(), s3conn_core::ReplayError> {
//! use std::sync::Arc;
//! use s3conn_core::sink::{MemoryDeadLetterSink, MemorySink};
//! use s3conn_core::source::{Event, LogSource, SourceInfo};
//! use s3conn_core::{Normalized, Replay};
//! # #[derive(Debug)] struct Mine(Arc<SourceInfo>);
//! # impl LogSource for Mine {
//! #     fn info(&self) -> &Arc<SourceInfo> { &self.0 }
//! #     fn normalize(&self, _: &Event<'_>) -> Normalized { Normalized::default() }
//! # }
//! # let source: Arc<dyn LogSource> =
//! #     Arc::new(Mine(Arc::new(SourceInfo::new("mine", "Mine", "Syslog", "mine", "me"))));
//! let dir = std::env::temp_dir().join("s3conn-replay-doc");
//! std::fs::create_dir_all(&dir).ok();
//! std::fs::write(dir.join("a.json"), r#"{"time":"2026-11-26T08:00:00Z"}"#).ok();
//! let sink = Arc::new(MemorySink::new());
//! let outcome = Replay::from_paths(&[&dir])?
//!     .run(source, sink.clone(), Arc::new(MemoryDeadLetterSink::new()), Replay::config(None))
//!     .await?;
//! assert!(outcome.is_complete());
//! assert_eq!(sink.len(), 1);
//! # Ok(()) }
//! # tokio::runtime::Runtime::new().unwrap().block_on(demo()).unwrap();
//! ```

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use tokio_util::sync::CancellationToken;

use crate::concurrency::{default_objects_in_flight, messages_in_flight};
use crate::filter::RecordFilters;
use crate::local::LocalObjectStore;
use crate::memory::MemoryQueue;
use crate::notification::s3_event_body;
use crate::pipeline::{Pipeline, PipelineConfig, PipelineError, RunStatus};
use crate::route::Router;
use crate::sink::{DeadLetterSink, Sink};
use crate::source::LogSource;
use crate::stats::{Stats, StatsSnapshot};

/// Why a replay could not run.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// A path given to replay cannot be read.
    #[error("{path}: {source}")]
    Path {
        /// The path.
        path: PathBuf,
        /// What reading it failed with.
        source: std::io::Error,
    },
    /// A path given to replay names no file (e.g. `..`).
    #[error("{0}: not a file name")]
    NotAFile(PathBuf),
    /// The pipeline stopped with an error.
    #[error(transparent)]
    Pipeline(#[from] PipelineError),
}

/// One object to replay: a file under one of the replayed paths.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReplayObject {
    /// The bucket standing for the path it was found under (`replay-0`, `replay-1`…).
    pub bucket: String,
    /// The file's path relative to that path, `/`-separated.
    pub key: String,
    /// The file's size in bytes.
    pub size: u64,
}

/// The files to replay and the store serving them.
#[derive(Debug, Clone)]
pub struct Replay {
    store: LocalObjectStore,
    objects: Vec<ReplayObject>,
}

/// What a replay did: how many objects it was given, the pipeline's counters, and how many
/// objects could not be processed (their notifications were kept).
#[derive(Debug, Clone)]
pub struct ReplayOutcome {
    /// Objects found under the paths.
    pub objects: u64,
    /// The pipeline's counters when the run ended.
    pub stats: StatsSnapshot,
    /// Whether everything was delivered or accounted for, or what was kept and why.
    pub status: RunStatus,
    /// Objects whose notification was kept un-acknowledged after a failure (nothing was written
    /// for them). Objects left alone on purpose (no route matches, `unmatched = "keep"`) are
    /// not among them: `stats.objects_unmatched_kept` counts those.
    pub unprocessed: usize,
}

impl ReplayOutcome {
    /// Whether every object was processed or accounted for (delivered, dead-lettered, skipped).
    pub fn is_complete(&self) -> bool {
        self.unprocessed == 0 && self.status == RunStatus::Complete
    }
}

/// A replay ready to run: the pipeline over the queued notifications.
#[derive(Debug)]
pub struct ReplayRun {
    pipeline: Pipeline,
    queue: Arc<MemoryQueue>,
    objects: u64,
}

fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        let kind = entry.file_type()?;
        if kind.is_dir() {
            walk(&path, root, out)?;
        } else if kind.is_file() {
            if let Ok(rel) = path.strip_prefix(root) {
                out.push(rel.to_string_lossy().replace('\\', "/"));
            }
        }
    }
    Ok(())
}

impl Replay {
    /// Every file under `paths` (directories are read recursively, in name order).
    pub fn from_paths<P: AsRef<Path>>(paths: &[P]) -> Result<Self, ReplayError> {
        let mut store = LocalObjectStore::new();
        let mut objects = Vec::new();
        for (i, path) in paths.iter().enumerate() {
            let path = path.as_ref();
            let io = |source| ReplayError::Path {
                path: path.to_path_buf(),
                source,
            };
            let bucket = format!("replay-{i}");
            let md = std::fs::metadata(path).map_err(io)?;
            let (root, keys) = if md.is_dir() {
                let mut keys = Vec::new();
                walk(path, path, &mut keys).map_err(io)?;
                (path.to_path_buf(), keys)
            } else {
                let root = path
                    .parent()
                    .map(Path::to_path_buf)
                    .filter(|p| !p.as_os_str().is_empty())
                    .unwrap_or_else(|| PathBuf::from("."));
                let name = path
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .ok_or_else(|| ReplayError::NotAFile(path.to_path_buf()))?;
                (root, vec![name])
            };
            for key in keys {
                let size = std::fs::metadata(root.join(&key))
                    .map(|m| m.len())
                    .unwrap_or(0);
                objects.push(ReplayObject {
                    bucket: bucket.clone(),
                    key,
                    size,
                });
            }
            store = store.with_bucket(bucket, root);
        }
        Ok(Replay { store, objects })
    }

    /// The objects to replay, in order.
    pub fn objects(&self) -> &[ReplayObject] {
        &self.objects
    }

    /// Replay's pipeline settings: drain, no waiting on the in-memory queue, a bad object
    /// dead-lettered at its first failure, `objects_in_flight` objects at once (default: one
    /// per core plus one) and messages by [`messages_in_flight`].
    pub fn config(objects_in_flight: Option<usize>) -> PipelineConfig {
        let objects = objects_in_flight
            .unwrap_or_else(default_objects_in_flight)
            .max(1);
        PipelineConfig {
            max_objects_in_flight: objects,
            max_messages_in_flight: messages_in_flight(objects),
            receive_wait: Duration::from_millis(20),
            visibility_timeout: Duration::from_secs(300),
            max_receive_count: Some(1),
            drain: true,
            ..PipelineConfig::default()
        }
    }

    /// The pipeline from these objects to `sink` (one notification queued per object).
    pub fn pipeline(
        self,
        source: Arc<dyn LogSource>,
        sink: Arc<dyn Sink>,
        dead_letter: Arc<dyn DeadLetterSink>,
        config: PipelineConfig,
    ) -> ReplayRun {
        self.routed(
            Router::single(source),
            RecordFilters::default(),
            sink,
            dead_letter,
            config,
        )
    }

    /// The pipeline from these objects to `sink`, routed by key (each file's path relative to
    /// the directory it was found under) and with record filters: what `replay --config` runs.
    pub fn routed(
        self,
        router: Router,
        filters: RecordFilters,
        sink: Arc<dyn Sink>,
        dead_letter: Arc<dyn DeadLetterSink>,
        config: PipelineConfig,
    ) -> ReplayRun {
        let queue = Arc::new(MemoryQueue::new());
        for o in &self.objects {
            queue.send(s3_event_body(&o.bucket, &o.key, o.size, None));
        }
        let pipeline = Pipeline::routed_builder(queue.clone(), Arc::new(self.store), router, sink)
            .filters(filters)
            .dead_letter(dead_letter)
            .config(config)
            .build();
        ReplayRun {
            pipeline,
            queue,
            objects: self.objects.len() as u64,
        }
    }

    /// Replays every object into `sink` and returns the outcome (one call for
    /// [`Replay::pipeline`] and [`ReplayRun::run`]).
    pub async fn run(
        self,
        source: Arc<dyn LogSource>,
        sink: Arc<dyn Sink>,
        dead_letter: Arc<dyn DeadLetterSink>,
        config: PipelineConfig,
    ) -> Result<ReplayOutcome, ReplayError> {
        self.pipeline(source, sink, dead_letter, config)
            .run(CancellationToken::new())
            .await
    }
}

impl ReplayRun {
    /// The live counters (for a progress display while [`ReplayRun::run`] works).
    pub fn stats(&self) -> Arc<Stats> {
        self.pipeline.stats()
    }

    /// How many objects are replayed.
    pub fn objects(&self) -> u64 {
        self.objects
    }

    /// Runs until every notification is handled (or `shutdown` is cancelled). Objects that had
    /// to be kept are an `Ok` outcome that is not [complete](ReplayOutcome::is_complete) and says
    /// why; a pipeline that could not run at all (a closed output, say) is an error.
    pub async fn run(self, shutdown: CancellationToken) -> Result<ReplayOutcome, ReplayError> {
        let report = match self.pipeline.run(shutdown).await {
            Ok(report) => report,
            Err(PipelineError::Incomplete(report)) => *report,
            Err(e) => return Err(e.into()),
        };
        Ok(ReplayOutcome {
            objects: self.objects,
            stats: report.stats,
            status: report.status,
            unprocessed: self
                .queue
                .len()
                .saturating_sub(report.stats.messages_left_for_others as usize),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_files_and_directories() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::create_dir_all(dir.path().join("sub")).expect("mkdir");
        std::fs::write(dir.path().join("sub/b.json"), b"{}").expect("write");
        std::fs::write(dir.path().join("a.json"), b"{}\n").expect("write");
        let file = dir.path().join("a.json");
        let replay = Replay::from_paths(&[dir.path(), file.as_path()]).expect("plan");
        let keys: Vec<_> = replay
            .objects()
            .iter()
            .map(|o| (o.bucket.as_str(), o.key.as_str(), o.size))
            .collect();
        assert_eq!(
            keys,
            [
                ("replay-0", "a.json", 3),
                ("replay-0", "sub/b.json", 2),
                ("replay-1", "a.json", 3)
            ]
        );
        assert!(matches!(
            Replay::from_paths(&[dir.path().join("missing")]),
            Err(ReplayError::Path { .. })
        ));
    }

    #[test]
    fn config_follows_the_concurrency_rule() {
        let c = Replay::config(Some(3));
        assert_eq!(c.max_objects_in_flight, 3);
        assert_eq!(c.max_messages_in_flight, messages_in_flight(3));
        assert!(c.drain);
        assert_eq!(Replay::config(Some(0)).max_objects_in_flight, 1);
    }
}
