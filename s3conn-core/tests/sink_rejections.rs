//! The sink's per-record verdicts: records a destination rejects for good are dead-lettered with
//! its reason while the rest count as delivered; a sink refusing its configuration stops the run.

#![allow(clippy::unwrap_used)]

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use s3conn_core::sink::{MemoryDeadLetterSink, MemorySink};
use s3conn_core::source::{Event, LogSource, SourceInfo};
use s3conn_core::{
    Normalized, PipelineError, Record, Rejection, Replay, ReplayError, Sink, SinkError,
};

#[derive(Debug)]
struct Plain(Arc<SourceInfo>);

impl LogSource for Plain {
    fn info(&self) -> &Arc<SourceInfo> {
        &self.0
    }
    fn normalize(&self, _: &Event<'_>) -> Normalized {
        Normalized::default()
    }
}

fn source() -> Arc<dyn LogSource> {
    Arc::new(Plain(Arc::new(SourceInfo::new(
        "p", "P", "Syslog", "p", "me",
    ))))
}

/// Rejects every record whose event has `"bad":true`; keeps the others.
#[derive(Debug, Default)]
struct PickySink {
    kept: MemorySink,
}

#[async_trait]
impl Sink for PickySink {
    async fn deliver(&self, batch: &[Record]) -> Result<(), SinkError> {
        let mut rejected = Vec::new();
        let mut good = Vec::new();
        for (index, r) in batch.iter().enumerate() {
            if r.event.get().contains("\"bad\":true") {
                rejected.push(Rejection {
                    index,
                    reason: "mapper_parsing_exception".into(),
                });
            } else {
                good.push(r.clone());
            }
        }
        self.kept.deliver(&good).await?;
        if rejected.is_empty() {
            Ok(())
        } else {
            Err(SinkError::PartlyRejected(rejected))
        }
    }
}

fn files(lines: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a.json"), lines).unwrap();
    dir
}

#[tokio::test]
async fn rejected_records_are_dead_lettered_and_the_rest_delivered() {
    let dir = files("{\"n\":1}\n{\"n\":2,\"bad\":true}\n{\"n\":3}\n{\"n\":4,\"bad\":true}\n");
    let sink = Arc::new(PickySink::default());
    let dead = Arc::new(MemoryDeadLetterSink::new());
    let outcome = Replay::from_paths(&[dir.path()])
        .unwrap()
        .run(source(), sink.clone(), dead.clone(), Replay::config(None))
        .await
        .unwrap();
    assert!(outcome.is_complete(), "{:?}", outcome.status);
    assert_eq!(sink.kept.len(), 2);
    let items = dead.items();
    assert_eq!(items.len(), 2);
    assert!(items[0].reason.contains("mapper_parsing_exception"));
    assert_eq!(items[0].ordinal, Some(1));
    assert_eq!(items[1].ordinal, Some(3));
    assert!(String::from_utf8_lossy(&items[0].raw).contains("\"bad\":true"));
    assert_eq!(outcome.stats.records_delivered, 2);
    assert_eq!(outcome.stats.records_dead_lettered, 2);
    assert_eq!(outcome.stats.records_rejected_by_sink, 2);
}

/// Refuses every batch with a configuration error, noting the object of each call.
#[derive(Debug, Default)]
struct Unauthorized(Mutex<Vec<String>>);

#[async_trait]
impl Sink for Unauthorized {
    async fn deliver(&self, records: &[Record]) -> Result<(), SinkError> {
        let key = records
            .first()
            .map(|r| r.context.object.key.clone())
            .unwrap_or_default();
        self.0.lock().unwrap().push(key);
        Err(SinkError::Configuration("HTTP 401: bad token".into()))
    }
}

#[tokio::test]
async fn a_configuration_error_stops_the_run_without_retries() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..5 {
        std::fs::write(dir.path().join(format!("{i}.json")), "{\"n\":1}\n").unwrap();
    }
    let sink = Arc::new(Unauthorized::default());
    let err = Replay::from_paths(&[dir.path()])
        .unwrap()
        .run(
            source(),
            sink.clone(),
            Arc::new(MemoryDeadLetterSink::new()),
            Replay::config(Some(1)),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            ReplayError::Pipeline(PipelineError::SinkConfiguration(SinkError::Configuration(
                _
            )))
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains("401"), "{err}");
    // One attempt per object, not a retry loop (objects already read ahead when the first
    // refusal arrived may each have tried once).
    let calls = sink.0.lock().unwrap().clone();
    let mut distinct = calls.clone();
    distinct.sort();
    distinct.dedup();
    assert_eq!(
        distinct.len(),
        calls.len(),
        "an object was retried: {calls:?}"
    );
    assert!(!calls.is_empty());
}
