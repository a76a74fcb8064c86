//! Replay embedded in a program of your own: local files or directories, a built-in source (or a
//! spec path), and a sink of your own that counts records per `event_name`. Only the `s3conn`
//! facade is used, so this file compiles unchanged in a crate that depends on `s3conn`.
//!
//! `cargo run --example replay_embed -- aws-cloudtrail examples/data/cloudtrail`

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use s3conn::prelude::*;

/// Counts records per `event_name`; accepts every batch at once.
#[derive(Debug, Default)]
struct CountByEventName(Mutex<BTreeMap<String, u64>>);

#[async_trait]
impl Sink for CountByEventName {
    async fn deliver(&self, batch: &[Record]) -> Result<(), SinkError> {
        let mut counts = self
            .0
            .lock()
            .map_err(|_| SinkError::Rejected("counter poisoned".into()))?;
        for record in batch {
            let name = record.fields.event_name.as_deref().unwrap_or("(none)");
            *counts.entry(name.to_owned()).or_default() += 1;
        }
        Ok(())
    }
}

#[s3conn::tokio::main(crate = "s3conn::tokio")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let usage = "usage: replay_embed SOURCE PATH...";
    let source = resolve_source(&args.next().ok_or(usage)?, Path::new("."))?;
    let paths: Vec<String> = args.collect();
    if paths.is_empty() {
        return Err(usage.into());
    }
    let sink = Arc::new(CountByEventName::default());
    let dead_letter = Arc::new(DirectoryDeadLetterSink::new("dead-letters"));
    let outcome = Replay::from_paths(&paths)?
        .run(source, sink.clone(), dead_letter, Replay::config(None))
        .await?;
    let counts = sink.0.lock().map_err(|_| "counter poisoned")?;
    for (name, n) in counts.iter() {
        println!("{n:>8} {name}");
    }
    if !outcome.is_complete() {
        return Err(format!("{} objects could not be processed", outcome.unprocessed).into());
    }
    Ok(())
}
