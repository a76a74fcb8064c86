//! Test-only hooks of `s3conn collect`, read from the environment. Unset (always, outside the
//! test suites) they change nothing and cost nothing: the sink is used as it is.
//!
//! - `S3CONN_TEST_ABORT_AFTER_SINK=N`: the process exits (code [`ABORT_EXIT_CODE`], no clean-up,
//!   no shutdown) right after the N-th sink write returned, flushed, and before the pipeline
//!   sees that it did: the crash window "after the sink wrote, before the delete", hit
//!   deterministically by `tests/crash.rs`.
//! - `S3CONN_TEST_SINK_DOWN_WHILE=PATH`: while the file `PATH` exists, every delivery fails with
//!   a retryable error (an output that is down, then recovers: `tests/metrics.rs`).

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use s3conn::async_trait;
use s3conn::{Record, Sink, SinkError};

/// The environment variable of the crash hook.
pub const ABORT_AFTER_SINK: &str = "S3CONN_TEST_ABORT_AFTER_SINK";

/// The exit code of a run stopped by the crash hook.
pub const ABORT_EXIT_CODE: i32 = 86;

/// `sink`, or with `S3CONN_TEST_ABORT_AFTER_SINK=N` set, `sink` wrapped to exit after its N-th
/// write.
pub fn with_test_hooks(sink: Arc<dyn Sink>) -> Result<Arc<dyn Sink>, String> {
    let sink: Arc<dyn Sink> = match std::env::var_os(SINK_DOWN_WHILE) {
        Some(path) => Arc::new(DownWhile {
            inner: sink,
            flag: path.into(),
        }),
        None => sink,
    };
    let Some(value) = std::env::var_os(ABORT_AFTER_SINK) else {
        return Ok(sink);
    };
    let after = value
        .to_str()
        .and_then(|v| v.parse::<u64>().ok())
        .filter(|&n| n > 0)
        .ok_or_else(|| format!("{ABORT_AFTER_SINK} must be a positive integer"))?;
    Ok(Arc::new(ExitAfterWrites {
        inner: sink,
        after,
        writes: AtomicU64::new(0),
    }))
}

/// The environment variable of the failing-sink hook.
pub const SINK_DOWN_WHILE: &str = "S3CONN_TEST_SINK_DOWN_WHILE";

/// Fails every delivery to `inner` while the file `flag` exists.
#[derive(Debug)]
struct DownWhile {
    inner: Arc<dyn Sink>,
    flag: std::path::PathBuf,
}

#[async_trait]
impl Sink for DownWhile {
    async fn deliver(&self, batch: &[Record]) -> Result<(), SinkError> {
        if self.flag.exists() {
            return Err(SinkError::Retryable(format!(
                "{SINK_DOWN_WHILE}: {} exists",
                self.flag.display()
            )));
        }
        self.inner.deliver(batch).await
    }
}

/// Exits the process once `after` writes to `inner` returned successfully.
#[derive(Debug)]
struct ExitAfterWrites {
    inner: Arc<dyn Sink>,
    after: u64,
    writes: AtomicU64,
}

#[async_trait]
impl Sink for ExitAfterWrites {
    async fn deliver(&self, batch: &[Record]) -> Result<(), SinkError> {
        self.inner.deliver(batch).await?;
        if self.writes.fetch_add(1, Ordering::SeqCst) + 1 == self.after {
            eprintln!(
                "s3conn collect: {ABORT_AFTER_SINK}: exiting after sink write {} ({} records), before its acknowledgement",
                self.after,
                batch.len()
            );
            std::process::exit(ABORT_EXIT_CODE);
        }
        Ok(())
    }
}
