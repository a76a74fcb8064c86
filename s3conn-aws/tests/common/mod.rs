//! Test support lives in the crate (feature `testing`) so other crates' tests can use it too.
#![allow(unused_imports)]

pub use s3conn_aws::testing::*;

pub mod fake {
    pub use s3conn_aws::testing::fake::*;
}

/// What one drain left: its counters, and the records and dead letters it wrote.
#[allow(dead_code)]
pub struct Drained {
    /// The run's counters.
    pub stats: s3conn_core::StatsSnapshot,
    /// The records delivered.
    pub sink: std::sync::Arc<s3conn_core::sink::MemorySink>,
    /// The dead letters written.
    pub dead: std::sync::Arc<s3conn_core::sink::MemoryDeadLetterSink>,
}

/// Drains the connector's queue once with source `source_id` into memory (at most 2 minutes).
#[allow(dead_code)]
pub async fn drain(
    connector: &s3conn_aws::Connector,
    source_id: &str,
    receive_wait: std::time::Duration,
) -> Drained {
    let sink = std::sync::Arc::new(s3conn_core::sink::MemorySink::new());
    let dead = std::sync::Arc::new(s3conn_core::sink::MemoryDeadLetterSink::new());
    let source = s3conn_sources::builtin_registry()
        .get(source_id)
        .expect("a built-in source");
    let mut settings = connector.pipeline_config();
    settings.drain = true;
    settings.receive_wait = receive_wait;
    let pipeline = connector
        .pipeline(source, sink.clone())
        .dead_letter(dead.clone())
        .config(settings)
        .build();
    let stats = match tokio::time::timeout(
        std::time::Duration::from_secs(120),
        pipeline.run(tokio_util::sync::CancellationToken::new()),
    )
    .await
    .expect("drains within 2 minutes")
    {
        Ok(report) => report.stats,
        // A drain that had to keep messages says so; the suites assert on the counters.
        Err(s3conn_core::PipelineError::Incomplete(report)) => report.stats,
        Err(e) => panic!("the pipeline runs: {e}"),
    };
    Drained { stats, sink, dead }
}
