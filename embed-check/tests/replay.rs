//! Replay of a directory with a built-in source into the crate's own `Sink`, through the facade
//! alone (the embedding is the body of `replay_a_directory_into_my_sink`, under fifteen lines).

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use s3conn::prelude::*;

/// Counts records per `event_name`.
#[derive(Debug, Default)]
struct CountByEventName(Mutex<BTreeMap<String, u64>>);

#[async_trait]
impl Sink for CountByEventName {
    async fn deliver(&self, batch: &[Record]) -> Result<(), SinkError> {
        let mut counts = self
            .0
            .lock()
            .map_err(|_| SinkError::Rejected("poisoned".into()))?;
        for record in batch {
            *counts
                .entry(
                    record
                        .fields
                        .event_name
                        .as_deref()
                        .unwrap_or_default()
                        .to_owned(),
                )
                .or_default() += 1;
        }
        Ok(())
    }
}

#[s3conn::tokio::test(crate = "s3conn::tokio")]
async fn replay_a_directory_into_my_sink() -> Result<(), Box<dyn std::error::Error>> {
    let samples = concat!(env!("CARGO_MANIFEST_DIR"), "/../examples/data/cloudtrail");
    let source = resolve_source("aws-cloudtrail", ".".as_ref())?;
    let sink = Arc::new(CountByEventName::default());
    let dead_letter = Arc::new(MemoryDeadLetterSink::new());
    let outcome = Replay::from_paths(&[samples])?
        .run(source, sink.clone(), dead_letter, Replay::config(None))
        .await?;
    assert!(outcome.is_complete());
    let counts = sink.0.lock().map_err(|_| "poisoned")?;
    assert_eq!(counts.values().sum::<u64>(), 60, "{counts:?}");
    assert!(counts.keys().all(|name| !name.is_empty()), "{counts:?}");
    Ok(())
}
