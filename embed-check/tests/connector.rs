//! The connector against moto, through the facade alone: the world is set up with the facade's
//! `testing` launcher, then the embedding (a configuration file, a sink, a dead-letter
//! destination, a drained run) takes under fifteen lines.

use std::sync::Arc;

use s3conn::prelude::*;
use s3conn::testing::{unique, Moto, REGION};

#[s3conn::tokio::test(crate = "s3conn::tokio", flavor = "multi_thread", worker_threads = 2)]
async fn connector_against_moto() -> Result<(), Box<dyn std::error::Error>> {
    // The world: a bucket notifying a queue, one object of two events, a configuration file.
    let moto = Moto::start();
    let clients = moto.clients().await;
    let (queue, bucket) = (unique("q"), unique("logs"));
    let queue_url = moto.create_queue(&clients, &queue).await;
    moto.create_bucket(&clients, &bucket).await;
    moto.notify(&clients, &bucket, &queue).await;
    let events = "{\"time\":\"2026-11-26T08:00:00Z\",\"user\":\"a\"}\n{\"time\":\"2026-11-26T08:00:01Z\",\"user\":\"b\"}\n";
    moto.put(&clients, &bucket, "app/1.json", events.into())
        .await;
    let dir = std::env::temp_dir().join(unique("embed-check"));
    std::fs::create_dir_all(&dir)?;
    let config = dir.join("connector.toml");
    std::fs::write(&config, format!(
        "name = \"embed\"\nregion = \"{REGION}\"\nsqs_queue_url = \"{queue_url}\"\naccess_key_id = \"testing\"\nsecret_access_key = \"testing\"\nendpoint_url = \"{}\"\nallow_http = true\nlog_source = \"generic\"\n",
        moto.endpoint
    ))?;

    // The embedding.
    let mut job = ConnectorJob::from_config_file(&config).await?.drain(true);
    job.pipeline_config_mut().receive_wait = std::time::Duration::from_secs(1);
    let sink = Arc::new(MemorySink::new());
    let dead_letter = DeadLetterDestination::Sink(Arc::new(MemoryDeadLetterSink::new()));
    let report = job
        .run(sink.clone(), &dead_letter, CancellationToken::new())
        .await?;
    assert_eq!(sink.len(), 2, "{report:?}");
    assert!(report.is_complete(), "{report:?}");
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}
