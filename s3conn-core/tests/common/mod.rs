//! Shared set-up of the pipeline suites: a test log source and a pipeline on the memory backends.

#![allow(dead_code, clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use s3conn_core::memory::{MemoryObjectStore, MemoryQueue};
use s3conn_core::notification::s3_event_body;
use s3conn_core::queue::Queue;
use s3conn_core::sink::MemoryDeadLetterSink;
use s3conn_core::source::{Event, LogSource, SourceInfo};
use s3conn_core::store::ObjectStore;
use s3conn_core::{Normalized, Pipeline, PipelineConfig, PipelineError, RunReport, Sink};
use tokio_util::sync::CancellationToken;

/// A log source for the suites: its envelope, the lists it expands, and the function that
/// normalizes an event.
pub struct FnSource<F> {
    info: Arc<SourceInfo>,
    expand: Vec<String>,
    normalize: F,
}

impl<F> std::fmt::Debug for FnSource<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FnSource")
            .field("info", &self.info)
            .field("expand", &self.expand)
            .finish_non_exhaustive()
    }
}

impl<F: Fn(&Event<'_>) -> Normalized + Send + Sync + 'static> FnSource<F> {
    /// The source with envelope `info`, expanding the lists `expand`, normalizing with `normalize`.
    pub fn shared(info: SourceInfo, expand: &[&str], normalize: F) -> Arc<dyn LogSource> {
        Arc::new(FnSource {
            info: Arc::new(info),
            expand: expand.iter().map(|l| (*l).to_owned()).collect(),
            normalize,
        })
    }
}

impl<F: Fn(&Event<'_>) -> Normalized + Send + Sync + 'static> LogSource for FnSource<F> {
    fn info(&self) -> &Arc<SourceInfo> {
        &self.info
    }
    fn expand_fields(&self) -> &[String] {
        &self.expand
    }
    fn normalize(&self, event: &Event<'_>) -> Normalized {
        (self.normalize)(event)
    }
}

/// Expands `Records`; the event name is the JSON text of the field `n`, the time is `time`.
pub struct TestSource;

impl TestSource {
    pub fn shared() -> Arc<dyn LogSource> {
        FnSource::shared(
            SourceInfo::new("test", "Test", "Syslog", "test_log", "test"),
            &["Records"],
            |event| {
                let v = event.value();
                Normalized {
                    timestamp_ms: v.get("time").and_then(s3conn_core::time::value_to_ms),
                    event_name: v.get("n").map(|n| n.to_string().into()),
                    ..Normalized::default()
                }
            },
        )
    }
}

/// A sink that rejects everything for good.
#[derive(Debug)]
pub struct RejectingSink;

#[async_trait::async_trait]
impl Sink for RejectingSink {
    async fn deliver(&self, _batch: &[s3conn_core::Record]) -> Result<(), s3conn_core::SinkError> {
        Err(s3conn_core::SinkError::Rejected("schema mismatch".into()))
    }
}

/// A queue, a store and a dead-letter destination in memory.
pub struct Setup {
    pub queue: Arc<MemoryQueue>,
    pub store: Arc<MemoryObjectStore>,
    pub dead: MemoryDeadLetterSink,
}

impl Setup {
    pub fn new() -> Self {
        Setup {
            queue: Arc::new(MemoryQueue::new()),
            store: Arc::new(MemoryObjectStore::new()),
            dead: MemoryDeadLetterSink::new(),
        }
    }

    /// A setup holding the objects `o0.json`, `o1.json`, … with these contents, each notified.
    pub fn with_objects(contents: impl IntoIterator<Item = Vec<u8>>) -> Self {
        let s = Self::new();
        for (o, data) in contents.into_iter().enumerate() {
            s.object(&format!("o{o}.json"), data);
        }
        s
    }

    /// Stores an object and queues its "object created" notification.
    pub fn object(&self, key: &str, data: Vec<u8>) {
        let meta = self.store.put("bucket", key, data);
        self.queue.send(s3_event_body(
            "bucket",
            key,
            meta.size,
            meta.etag.as_deref(),
        ));
    }

    pub fn pipeline(&self, sink: Arc<dyn Sink>, config: PipelineConfig) -> Pipeline {
        self.pipeline_on(self.queue.clone(), self.store.clone(), sink, config)
    }

    pub fn pipeline_on(
        &self,
        queue: Arc<dyn Queue>,
        store: Arc<dyn ObjectStore>,
        sink: Arc<dyn Sink>,
        config: PipelineConfig,
    ) -> Pipeline {
        Pipeline::builder(queue, store, TestSource::shared(), sink)
            .dead_letter(Arc::new(self.dead.clone()))
            .config(config)
            .build()
    }
}

/// Stops once the queue is empty; short waits and backoffs.
pub fn drain_config() -> PipelineConfig {
    PipelineConfig {
        drain: true,
        receive_wait: Duration::from_millis(50),
        retry_base: Duration::from_millis(5),
        retry_max: Duration::from_millis(50),
        visibility_timeout: Duration::from_secs(5),
        ..PipelineConfig::default()
    }
}

/// Runs a draining pipeline to its end (at most 60 s): its counters, whether it completed or
/// had to keep messages (a drain that kept messages fails with `PipelineError::Incomplete`).
pub async fn run(p: &Pipeline) -> s3conn_core::StatsSnapshot {
    run_report(p).await.stats
}

/// Like [`run`], with the status: `Incomplete` drains give their report.
pub async fn run_report(p: &Pipeline) -> RunReport {
    match tokio::time::timeout(Duration::from_secs(60), p.run(CancellationToken::new()))
        .await
        .expect("pipeline did not finish")
    {
        Ok(report) => report,
        Err(PipelineError::Incomplete(report)) => *report,
        Err(e) => panic!("pipeline failed: {e}"),
    }
}

/// A shutdown token cancelled as soon as `done` holds for the pipeline's counters.
pub fn shutdown_when(
    p: &Pipeline,
    done: impl Fn(&s3conn_core::StatsSnapshot) -> bool + Send + 'static,
) -> CancellationToken {
    let shutdown = CancellationToken::new();
    let stopper = shutdown.clone();
    let stats = p.stats();
    tokio::spawn(async move {
        while !done(&stats.snapshot()) {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        stopper.cancel();
    });
    shutdown
}
