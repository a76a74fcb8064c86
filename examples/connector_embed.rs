//! A connector embedded in a program of your own: the configuration file names the queue, the
//! credentials and the log source; records go to stdout as NDJSON, dead-lettered items to a
//! directory, and the run stops once the queue is drained. Only the `s3conn` facade is used, so
//! this file compiles unchanged in a crate that depends on `s3conn`.
//!
//! `cargo run --example connector_embed -- connector.toml` (see the README for a local moto).

use std::sync::Arc;

use s3conn::prelude::*;

#[s3conn::tokio::main(crate = "s3conn::tokio")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let config = std::env::args()
        .nth(1)
        .ok_or("usage: connector_embed CONFIG")?;
    let job = ConnectorJob::from_config_file(&config).await?.drain(true);
    eprintln!("{}", job.connector().test().await);
    // A drain that had to keep messages (or could not reach the queue) is an error.
    let report = job
        .run(
            Arc::new(NdjsonSink::stdout()),
            &DeadLetterDestination::Directory("dead-letters".into()),
            CancellationToken::new(),
        )
        .await?;
    eprintln!(
        "{} messages, {} records delivered: {}",
        report.stats.messages_received, report.stats.records_delivered, report.status
    );
    Ok(())
}
