//! Fault injection end to end: `s3conn collect` talks to moto through
//! [`FaultProxy`](s3conn::aws::testing::FaultProxy), which answers about a quarter of all requests
//! itself with 500s, 503 `SlowDown`, SQS throttling, connection resets or stalls, or forwards them
//! and then truncates the object body or loses the whole response. Nothing may be lost, retries
//! must back off (no tight loop), and the counters must show the retries.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use common::{backend_retries, read_outputs, tag, World};
use s3conn::aws::testing::{Fault, FaultProxy};

const OBJECTS: usize = 40;
const RECORDS: usize = 60;
/// Share of requests the proxy answers with a fault.
const FAULT_RATE: f64 = 0.25;
const SEED: u64 = 0x005e_edf0;
/// Runs of `collect --drain` at most (see below why there may be more than one).
const MAX_RUNS: usize = 8;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_through_a_faulty_network_loses_nothing_and_backs_off() {
    let started = Instant::now();
    let w = World::new().await;
    w.put_objects(0..OBJECTS, RECORDS).await;
    let proxy = FaultProxy::random(
        w.moto.port,
        SEED,
        FAULT_RATE,
        vec![
            Fault::ServerError,
            Fault::SlowDown,
            Fault::Throttle,
            Fault::Reset,
            Fault::Stall(Duration::ZERO),
            Fault::Truncate,
            Fault::LoseResponse,
        ],
        (Duration::from_millis(100), Duration::from_millis(1500)),
    )
    .await;
    // A short lease so that a message whose lease renewal was lost to the faults, or that was kept
    // after its retries ran out, is visible again within seconds rather than minutes.
    let config = w.config("faults", &proxy.endpoint, "visibility_timeout = \"3s\"");
    let out = w.dir.path().join("out");

    // A drain run stops at the first empty long poll. A message it *kept* (an object whose retries
    // were all hit by faults) or whose deletion failed is invisible for its backoff at that
    // moment, so it is not lost but only reappears later: wait until it is visible again (straight
    // from moto, not through the proxy) and run again.
    let mut runs = 0;
    let mut retries_backend = 0;
    let mut retries_pipeline = 0;
    let mut kept = 0;
    let mut stderr_all = String::new();
    loop {
        runs += 1;
        let stats_path = w.dir.path().join(format!("stats-{runs}.json"));
        // Request retries are logged at debug (an outage must not print a line per attempt);
        // this test reads them, so it turns that one target up.
        let output = w
            .collect_command(&config, &out, &stats_path)
            .env("S3CONN_LOG", "warn,s3conn_aws::retry=debug")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr).to_string();
        assert!(
            matches!(output.status.code(), Some(0 | 1)),
            "run {runs}: {:?}\n{stderr}",
            output.status
        );
        let stats: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&stats_path).unwrap()).unwrap();
        retries_backend += backend_retries(&stderr).expect("a done: line");
        retries_pipeline += stats["retries"].as_u64().unwrap();
        kept += stats["messages_kept"].as_u64().unwrap();
        stderr_all.push_str(&stderr);
        if w.settle(Duration::from_secs(60)).await {
            break;
        }
        assert!(
            runs < MAX_RUNS,
            "queue still not empty after {runs} runs: {:?}",
            w.queue_counts().await
        );
    }
    let elapsed = started.elapsed();
    let seen = proxy.stats();

    // Nothing lost, nothing invented: deduplicated by id, exactly the expected records.
    let got = read_outputs(&out);
    let expected: BTreeSet<String> = (0..OBJECTS)
        .flat_map(|o| (0..RECORDS).map(move |i| tag(o, i)))
        .collect();
    assert_eq!(got.tags(), expected);
    assert_eq!(got.by_id.len(), OBJECTS * RECORDS);
    assert_eq!(got.torn_tails, 0, "no run was killed");
    assert_eq!(w.queue_counts().await, (0, 0), "the queue is empty");

    // The faults really happened, and every kind of them.
    eprintln!(
        "faults: {runs} run(s) in {elapsed:?}; proxy saw {} requests, injected {:?} ({} failures); \
         retries: {retries_backend} SQS/S3 request + {retries_pipeline} pipeline; kept {kept}; \
         {} record lines for {} records\n{:#?}",
        seen.requests,
        seen.injected,
        seen.failures(),
        got.lines,
        got.by_id.len(),
        seen.injected_by_operation
    );
    for kind in [
        "server_error",
        "slow_down",
        "throttle",
        "reset",
        "stall",
        "truncate",
        "lose_response",
    ] {
        assert!(
            seen.injected.get(kind).copied().unwrap_or(0) > 0,
            "no {kind} injected: {:?}",
            seen.injected
        );
    }
    // Every failed request was retried by someone: the SQS/S3 request retry policies or the
    // pipeline (object retries after a truncated body, receive backoff, kept messages). In
    // practice the sum equals the failures; the margin allows for a failure that needed no retry
    // (a renewal that the next round repeats anyway, an acknowledgement redelivered instead).
    assert!(retries_backend > 0, "{stderr_all}");
    assert!(
        retries_backend + retries_pipeline + kept >= seen.failures() * 3 / 4,
        "retries {retries_backend}+{retries_pipeline}, kept {kept}, failures {}",
        seen.failures()
    );
    assert!(stderr_all.contains("retrying AWS request"), "{stderr_all}");
    // No tight loop: per object, one GET and a handful of SQS calls, plus faults' retries and
    // about one long poll a second per run.
    let budget = (OBJECTS as u64) * 8 + elapsed.as_secs() * 4 + 50;
    assert!(
        seen.requests <= budget,
        "{} requests for {OBJECTS} objects in {elapsed:?}: {:?}",
        seen.requests,
        seen.by_operation
    );
    assert!(elapsed < Duration::from_secs(150), "{elapsed:?}");
}
