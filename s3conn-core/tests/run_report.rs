//! Outcomes that cannot be mistaken: what `Pipeline::run` reports, when a drain fails, a closed
//! output, no implicit dead-letter directory, and drains over the memory queue that end at once.

#![allow(clippy::unwrap_used)]

mod common;

use std::io::{self, Write};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use common::{drain_config, run_report, shutdown_when, RejectingSink, Setup, TestSource};
use s3conn_core::memory::MemoryQueue;
use s3conn_core::pipeline::KeepReason;
use s3conn_core::queue::{AckHandle, BatchResult, Message, Queue, QueueError};
use s3conn_core::sink::{MemorySink, NdjsonSink};
use s3conn_core::{Pipeline, PipelineConfig, PipelineError, RunStatus, Sink, SinkError};
use tokio_util::sync::CancellationToken;

fn ndjson(object: usize, n: usize) -> Vec<u8> {
    (0..n)
        .flat_map(|i| format!("{{\"n\":\"{object}-{i}\"}}\n").into_bytes())
        .collect()
}

/// Asserts that less than `limit` has passed since `started`.
fn assert_took_less(started: Instant, limit: Duration) {
    assert!(started.elapsed() < limit, "{:?}", started.elapsed());
}

/// The production default configuration, draining: a 20 s long poll, 200 ms first backoff.
fn default_drain() -> PipelineConfig {
    PipelineConfig {
        drain: true,
        ..PipelineConfig::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drain_whose_sink_rejects_everything_fails_and_says_why() {
    let s = Setup::with_objects((0..3).map(|o| ndjson(o, 5)));
    let p = s.pipeline(Arc::new(RejectingSink), default_drain());
    let started = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(10), p.run(CancellationToken::new()))
        .await
        .expect("a drain over the memory queue ends without waiting out its long poll");
    let Err(PipelineError::Incomplete(report)) = result else {
        panic!("a drain that kept messages must fail: {result:?}");
    };
    assert_took_less(started, Duration::from_secs(5));
    assert!(!report.is_complete());
    let RunStatus::Kept(kept) = &report.status else {
        panic!("{:?}", report.status);
    };
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0].reason, KeepReason::SinkRejected);
    assert_eq!(kept[0].messages, 3);
    assert!(
        kept[0].example.contains("schema mismatch"),
        "{}",
        kept[0].example
    );
    assert_eq!(report.stats.messages_kept, 3);
    assert_eq!(report.stats.messages_acknowledged, 0);
    assert_eq!(s.queue.len(), 3, "nothing was deleted");
    let text = PipelineError::Incomplete(report).to_string();
    assert!(
        text.contains("3 message(s) kept") && text.contains("rejected by the sink"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drain_that_delivers_everything_is_complete_and_continuous_runs_report_kept_messages() {
    let s = Setup::new();
    s.object("a.json", ndjson(0, 5));
    let report = run_report(&s.pipeline(Arc::new(MemorySink::new()), drain_config())).await;
    assert_eq!(report.status, RunStatus::Complete);
    assert!(report.is_complete());
    assert_eq!(report.stats.records_delivered, 5);

    // Continuous: the same failure is a status, not an error.
    s.object("b.json", ndjson(1, 5));
    let config = PipelineConfig {
        drain: false,
        ..drain_config()
    };
    let p = s.pipeline(Arc::new(RejectingSink), config);
    let stop = shutdown_when(&p, |s| s.messages_kept > 0);
    let report = tokio::time::timeout(Duration::from_secs(10), p.run(stop))
        .await
        .unwrap()
        .expect("a continuous run returns its report");
    assert!(
        matches!(&report.status, RunStatus::Kept(k) if k[0].reason == KeepReason::SinkRejected),
        "{:?}",
        report.status
    );
}

/// A writer whose reader went away: every write is `BrokenPipe`.
#[derive(Debug, Clone, Default)]
struct ClosedPipe {
    writes: Arc<AtomicUsize>,
}

impl Write for ClosedPipe {
    fn write(&mut self, _buf: &[u8]) -> io::Result<usize> {
        self.writes.fetch_add(1, Ordering::SeqCst);
        Err(io::Error::from(io::ErrorKind::BrokenPipe))
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broken_pipe_is_not_retried_stops_the_run_at_once_and_keeps_the_messages() {
    let s = Setup::with_objects((0..5).map(|o| ndjson(o, 50)));
    let pipe = ClosedPipe::default();
    let sink = Arc::new(NdjsonSink::new(pipe.clone()));
    // Default backoff (200 ms doubling, 6 sink retries): retrying would take seconds.
    let p = s.pipeline(sink, default_drain());
    let started = Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(10), p.run(CancellationToken::new()))
        .await
        .expect("stops at once");
    assert!(
        matches!(
            &result,
            Err(PipelineError::OutputClosed(SinkError::Closed(_)))
        ),
        "{result:?}"
    );
    assert_took_less(started, Duration::from_secs(2));
    let stats = p.stats().snapshot();
    assert_eq!(stats.retries, 0, "a closed output is never retried");
    assert_eq!(stats.messages_acknowledged, 0);
    assert_eq!(stats.records_delivered, 0);
    assert!(
        pipe.writes.load(Ordering::SeqCst) <= 5,
        "one write per object at most"
    );
    assert_eq!(s.queue.len(), 5, "nothing undelivered was acknowledged");
    let text = result.unwrap_err().to_string();
    assert!(text.contains("output is closed"), "{text}");
}

#[test]
fn ndjson_sink_maps_broken_pipe_to_closed_and_other_failures_to_retryable() {
    #[derive(Debug)]
    struct Failing(io::ErrorKind);
    impl Write for Failing {
        fn write(&mut self, _buf: &[u8]) -> io::Result<usize> {
            Err(io::Error::from(self.0))
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let record = {
        let s = Setup::new();
        s.object("a.json", ndjson(0, 1));
        let sink = MemorySink::new();
        rt.block_on(async {
            let _ = run_report(&s.pipeline(Arc::new(sink.clone()), drain_config())).await;
        });
        sink.records()
    };
    assert_eq!(record.len(), 1);
    let closed = rt.block_on(NdjsonSink::new(Failing(io::ErrorKind::BrokenPipe)).deliver(&record));
    assert!(matches!(closed, Err(SinkError::Closed(_))), "{closed:?}");
    let full = rt.block_on(NdjsonSink::new(Failing(io::ErrorKind::StorageFull)).deliver(&record));
    assert!(matches!(full, Err(SinkError::Retryable(_))), "{full:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_dead_letter_destination_nothing_is_written_and_the_message_is_kept() {
    let s = Setup::new();
    // A bad line among good ones, and a message that is not a notification, due for dead-letter.
    s.object("bad.json", b"{\"n\":1}\n{not json\n{\"n\":2}\n".to_vec());
    s.queue.send("not a notification");
    let sink = MemorySink::new();
    let config = PipelineConfig {
        max_receive_count: Some(1),
        ..drain_config()
    };
    let p = Pipeline::builder(
        s.queue.clone(),
        s.store.clone(),
        TestSource::shared(),
        Arc::new(sink),
    )
    .config(config)
    .build();
    let result = tokio::time::timeout(Duration::from_secs(10), p.run(CancellationToken::new()))
        .await
        .unwrap();
    let Err(PipelineError::Incomplete(report)) = result else {
        panic!("{result:?}");
    };
    let RunStatus::Kept(kept) = &report.status else {
        panic!("{:?}", report.status);
    };
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(kept[0].reason, KeepReason::NoDeadLetterDestination);
    assert_eq!(kept[0].messages, 2);
    assert_eq!(report.stats.messages_acknowledged, 0);
    assert_eq!(s.queue.len(), 2);
    // The working directory (the package root under `cargo test`) gets no dead-letter folder.
    assert!(!std::path::Path::new("dead-letter").exists());
    assert!(!std::path::Path::new("s3conn-dead-letters").exists());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_drain_over_the_memory_queue_ends_without_waiting_out_a_20_s_long_poll() {
    let s = Setup::with_objects((0..30).map(|o| ndjson(o, 20)));
    let sink = MemorySink::new();
    let config = default_drain();
    assert_eq!(config.receive_wait, Duration::from_secs(20));
    let p = s.pipeline(Arc::new(sink.clone()), config);
    let started = Instant::now();
    let report = tokio::time::timeout(Duration::from_secs(15), p.run(CancellationToken::new()))
        .await
        .expect("the drain did not wait out the long poll")
        .unwrap();
    assert_took_less(started, Duration::from_secs(5));
    assert!(report.is_complete());
    assert_eq!(sink.len(), 30 * 20);
    assert!(s.queue.is_empty());

    // An empty queue drains at once too.
    let started = Instant::now();
    let report = s
        .pipeline(Arc::new(sink.clone()), default_drain())
        .run(CancellationToken::new())
        .await
        .unwrap();
    assert_took_less(started, Duration::from_secs(2));
    assert!(report.is_complete());
    assert_eq!(report.stats.messages_received, 0);
}

#[tokio::test(start_paused = true)]
async fn the_memory_queue_knows_when_a_long_poll_would_be_in_vain_and_still_redelivers() {
    let q = MemoryQueue::new();
    let wait = Duration::from_secs(20);
    assert!(q.known_idle(wait), "empty");
    q.send("a");
    assert!(!q.known_idle(wait), "a message is visible");
    let got = q
        .receive(10, Duration::ZERO, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(got.len(), 1);
    assert!(q.known_idle(wait), "its lease outlasts the wait");
    assert!(
        !q.known_idle(Duration::from_secs(40)),
        "its lease ends within this wait"
    );
    // The message becomes visible again later, and a later receive gets it.
    tokio::time::sleep(Duration::from_secs(31)).await;
    assert!(!q.known_idle(wait));
    let again = q
        .receive(10, Duration::ZERO, Duration::from_secs(30))
        .await
        .unwrap();
    assert_eq!(again[0].attempt, 2);
}

/// A queue that cannot be reached: every receive fails with a transient error.
#[derive(Debug, Default)]
struct UnreachableQueue {
    receives: AtomicU64,
}

#[async_trait]
impl Queue for UnreachableQueue {
    async fn receive(
        &self,
        _: usize,
        _: Duration,
        _: Duration,
    ) -> Result<Vec<Message>, QueueError> {
        self.receives.fetch_add(1, Ordering::SeqCst);
        Err(QueueError::Transient("connection refused".into()))
    }
    async fn acknowledge(&self, handles: &[AckHandle]) -> BatchResult {
        handles.iter().map(|_| Ok(())).collect()
    }
    async fn extend(&self, handles: &[AckHandle], _: Duration) -> BatchResult {
        handles.iter().map(|_| Ok(())).collect()
    }
    async fn release(&self, _: &AckHandle) -> Result<(), QueueError> {
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_queue_unreachable_for_longer_than_the_limit_ends_a_drain_with_an_error() {
    let s = Setup::new();
    let queue = Arc::new(UnreachableQueue::default());
    let p = s.pipeline_on(
        queue.clone(),
        s.store.clone(),
        Arc::new(MemorySink::new()),
        default_drain(),
    );
    let started = tokio::time::Instant::now();
    let result = tokio::time::timeout(Duration::from_secs(600), p.run(CancellationToken::new()))
        .await
        .expect("a drain against an unreachable queue ends");
    let Err(PipelineError::QueueUnreachable {
        waited,
        failures,
        last,
    }) = result
    else {
        panic!("{result:?}");
    };
    let limit = PipelineConfig::default().queue_unreachable_limit;
    assert_eq!(limit, Duration::from_secs(60));
    assert!(waited >= limit, "{waited:?}");
    assert!(
        started.elapsed() < limit + Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert!(matches!(last, QueueError::Transient(_)));
    assert_eq!(failures, queue.receives.load(Ordering::SeqCst));
    assert!(failures >= 3, "retried with backoff meanwhile: {failures}");
}

/// Counts WARN events (a minimal subscriber, to check how often a failure is reported).
#[derive(Default)]
struct WarnCounter {
    warnings: Arc<Mutex<Vec<String>>>,
}

impl tracing::Subscriber for WarnCounter {
    fn enabled(&self, _: &tracing::Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }
    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}
    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}
    fn event(&self, event: &tracing::Event<'_>) {
        if *event.metadata().level() == tracing::Level::WARN {
            self.warnings
                .lock()
                .unwrap()
                .push(event.metadata().name().to_string());
        }
    }
    fn enter(&self, _: &tracing::span::Id) {}
    fn exit(&self, _: &tracing::span::Id) {}
}

#[tokio::test(start_paused = true)]
async fn a_continuous_run_retries_an_unreachable_queue_and_warns_once_per_interval() {
    let warnings = Arc::new(Mutex::new(Vec::new()));
    let _guard = tracing::subscriber::set_default(WarnCounter {
        warnings: warnings.clone(),
    });
    let s = Setup::new();
    let queue = Arc::new(UnreachableQueue::default());
    let config = PipelineConfig {
        drain: false,
        retry_max: Duration::from_secs(2),
        failure_report_interval: Duration::from_secs(60),
        ..PipelineConfig::default()
    };
    let p = s.pipeline_on(
        queue.clone(),
        s.store.clone(),
        Arc::new(MemorySink::new()),
        config,
    );
    let stop = CancellationToken::new();
    let stopper = stop.clone();
    tokio::spawn(async move {
        // Three and a half report intervals.
        tokio::time::sleep(Duration::from_secs(210)).await;
        stopper.cancel();
    });
    let stopped = p.run(stop).await;
    let receives = queue.receives.load(Ordering::SeqCst);
    assert!(receives >= 100, "capped backoff keeps trying: {receives}");
    let warned = warnings.lock().unwrap().len();
    assert!(
        (3..=5).contains(&warned),
        "one warning per 60 s interval, not one per attempt: {warned} warnings for {receives} failures"
    );
    // Stopped while the queue was still unreachable: an error, not a clean report.
    match stopped {
        Err(PipelineError::QueueUnreachable { failures, .. }) => {
            assert_eq!(failures, receives, "every failed receive counted")
        }
        other => panic!("a run stopped while its queue fails must say so: {other:?}"),
    }
}
