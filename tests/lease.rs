//! Leases against a real SQS wire protocol (moto): an object whose processing takes several
//! times the visibility timeout stays with the consumer that received it, because that consumer
//! renews its lease (`ChangeMessageVisibilityBatch`) while it works.
//!
//! Consumer A (an in-process `Pipeline` on `SqsQueue` and `S3ObjectStore` from a `Connector`)
//! receives every message, then spends [`SINK_DELAY`] (3.5 visibility timeouts) in its sink on
//! each object. Consumer B starts only once A holds every message (moto shows none visible) and
//! long-polls the same queue the whole time. Without renewal, each message would be visible again
//! after [`VISIBILITY`] and B would receive it. B starting after A's receives keeps moto's
//! non-atomic `ReceiveMessage` (two requests at the same instant can both get one message) out of
//! the assertion: what is tested is the lease.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use common::{tag, World};
use s3conn::aws::Connector;
use s3conn::{Pipeline, Record, Sink, SinkError, StatsSnapshot};
use tokio_util::sync::CancellationToken;

/// The visibility timeout of both consumers.
const VISIBILITY: Duration = Duration::from_secs(2);
/// Time the sink takes per batch: every object is one batch, so one object takes 3.5× the
/// visibility timeout.
const SINK_DELAY: Duration = Duration::from_millis(7000);
/// Objects, all worked on at once by A.
const OBJECTS: usize = 4;
/// Records per object (one sink batch).
const RECORDS: usize = 50;

/// A sink that takes [`SINK_DELAY`] per batch and keeps `(id, tag)` of every record.
#[derive(Debug, Default)]
struct SlowSink {
    got: Mutex<Vec<(String, String)>>,
}

#[async_trait]
impl Sink for SlowSink {
    async fn deliver(&self, batch: &[Record]) -> Result<(), SinkError> {
        tokio::time::sleep(SINK_DELAY).await;
        let mut got = self.got.lock().unwrap();
        for r in batch {
            let event: serde_json::Value = serde_json::from_str(r.event.get()).unwrap();
            got.push((r.id(), event["tag"].as_str().unwrap().to_owned()));
        }
        Ok(())
    }
}

/// A consumer of the world's queue: a pipeline from a connector with the short visibility
/// timeout, working on every object at once and holding no more messages than that.
async fn consumer(w: &World, sink: Arc<SlowSink>, drain: bool) -> Pipeline {
    let config = w
        .moto
        .config(&w.queue_url)
        .buckets([w.bucket.clone()])
        .visibility_timeout(VISIBILITY)
        .concurrency(OBJECTS)
        .build()
        .unwrap();
    let connector = Connector::with_clients(config, w.moto.clients().await).unwrap();
    let mut settings = connector.pipeline_config();
    settings.drain = drain;
    // Room for exactly the objects: once it holds them, A stops receiving (so that without
    // renewal B, not A, would get them back).
    settings.max_messages_in_flight = OBJECTS;
    settings.receive_wait = Duration::from_secs(1);
    let source = s3conn::sources::builtin_registry().get("generic").unwrap();
    connector.pipeline(source, sink).config(settings).build()
}

/// Waits until moto shows no visible message (A received them all).
async fn wait_until_all_received(w: &World) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while w.queue_counts().await.0 > 0 {
        assert!(Instant::now() < deadline, "A did not receive every message");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_objects_outliving_the_visibility_timeout_are_never_handed_to_a_second_consumer() {
    let started = Instant::now();
    let w = World::new().await;
    w.put_objects(0..OBJECTS, RECORDS).await;
    let (sink_a, sink_b) = (Arc::new(SlowSink::default()), Arc::new(SlowSink::default()));
    let a = consumer(&w, sink_a.clone(), true).await;
    let b = consumer(&w, sink_b.clone(), false).await;
    let a_started = Instant::now();
    let a_run = tokio::spawn(async move { a.run(CancellationToken::new()).await.unwrap().stats });
    wait_until_all_received(&w).await;
    let b_started = Instant::now();
    let stop_b = CancellationToken::new();
    let b_run = {
        let stop = stop_b.clone();
        tokio::spawn(async move { b.run(stop).await.unwrap().stats })
    };
    let ra: StatsSnapshot = tokio::time::timeout(Duration::from_secs(60), a_run)
        .await
        .expect("A finished")
        .unwrap();
    let (a_worked, b_beside_a) = (a_started.elapsed(), b_started.elapsed());
    // One more long poll for B after A acknowledged everything, then stop it.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    stop_b.cancel();
    let rb: StatsSnapshot = b_run.await.unwrap();

    assert!(
        a_worked >= SINK_DELAY && b_beside_a >= 2 * VISIBILITY,
        "A worked {a_worked:?}, B polled beside it for {b_beside_a:?}: several visibility timeouts"
    );
    assert_eq!(rb.messages_received, 0, "B never received a message A held");
    assert_eq!(
        ra.messages_received,
        OBJECTS as u64 + ra.test_events,
        "A received each message once"
    );
    assert!(sink_b.got.lock().unwrap().is_empty());
    assert_eq!(ra.leases_lost, 0);
    assert!(
        ra.lease_extensions >= 3 * OBJECTS as u64,
        "A renewed its leases: {} extensions",
        ra.lease_extensions
    );
    let got = sink_a.got.lock().unwrap().clone();
    let ids: BTreeSet<&String> = got.iter().map(|(id, _)| id).collect();
    assert_eq!(ids.len(), got.len(), "every record exactly once (no dedup)");
    let tags: BTreeSet<String> = got.into_iter().map(|(_, t)| t).collect();
    let expected: BTreeSet<String> = (0..OBJECTS)
        .flat_map(|o| (0..RECORDS).map(move |i| tag(o, i)))
        .collect();
    assert_eq!(tags, expected);
    assert_eq!(ra.records_delivered, (OBJECTS * RECORDS) as u64);
    assert_eq!(w.queue_counts().await, (0, 0), "the queue is empty");
    eprintln!(
        "lease: {OBJECTS} objects, A worked {a_worked:?}, B polled beside it {b_beside_a:?} (visibility {VISIBILITY:?}), {} lease extensions, B received {}; {:?}",
        ra.lease_extensions,
        rb.messages_received,
        started.elapsed()
    );
}
