//! Test support lives in the crate (feature `testing`) so other crates' tests can use it too.
#![allow(unused_imports)]

pub use s3conn_aws::testing::*;

pub mod fake {
    pub use s3conn_aws::testing::fake::*;
}

/// Drains the connector's queue once with source `source_id` into `sink` (at most 2 minutes).
#[allow(dead_code)]
pub async fn drain(
    connector: &s3conn_aws::Connector,
    source_id: &str,
    sink: std::sync::Arc<s3conn_core::sink::MemorySink>,
    dead: std::sync::Arc<s3conn_core::sink::MemoryDeadLetterSink>,
    receive_wait: std::time::Duration,
) -> s3conn_core::StatsSnapshot {
    let source = s3conn_sources::builtin_registry()
        .get(source_id)
        .expect("a built-in source");
    let mut settings = connector.pipeline_config();
    settings.drain = true;
    settings.receive_wait = receive_wait;
    let pipeline = connector
        .pipeline(source, sink)
        .dead_letter(dead)
        .config(settings)
        .build();
    match tokio::time::timeout(
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
    }
}
