//! End to end into a real ClickHouse (Debian's `clickhouse-server`, started on a free loopback
//! port with a temporary data directory): `s3conn collect` against moto with a `[sink]` table
//! delivers every record; a forced redelivery leaves no duplicate after `OPTIMIZE … FINAL`; and
//! ClickHouse stopped mid-run then started again loses nothing (the messages wait, unacknowledged).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use common::{s3conn, tag, World};
use s3conn::testing::ClickHouseServer;

fn sink_table(ch: &ClickHouseServer, extra: &str) -> String {
    format!(
        "[sink]\ntype = \"clickhouse\"\nurl = \"{}\"\ntable = \"s3conn_logs\"\nuser = \"default\"\npassword = \"{}\"\nlinger = \"100ms\"\n{extra}",
        ch.url(),
        s3conn::http_sinks::testing::PASSWORD,
    )
}

/// `collect` with the configuration's `[sink]` (no `--output`).
fn collect(world: &World, config: &Path, drain: bool) -> Command {
    let mut cmd = s3conn();
    cmd.args(["collect", "--poll-wait", "1", "--status-interval", "0"])
        .arg("--config")
        .arg(config)
        .arg("--dead-letter")
        .arg(world.dir.path().join("dead"));
    if drain {
        cmd.arg("--drain");
    }
    cmd
}

async fn tags(ch: &ClickHouseServer) -> (u64, BTreeSet<String>) {
    let count: u64 = ch
        .query("SELECT count() FROM s3conn_logs")
        .await
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    let tags = ch
        .query("SELECT DISTINCT visitParamExtractString(event, 'tag') FROM s3conn_logs FORMAT TSV")
        .await
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    (count, tags)
}

fn expected(objects: std::ops::Range<usize>, records: usize) -> BTreeSet<String> {
    objects
        .flat_map(|o| (0..records).map(move |i| tag(o, i)))
        .collect()
}

async fn clickhouse() -> Option<ClickHouseServer> {
    // A real part the suite needs: missing is a failure, not a skip (.ci/run installs it).
    assert!(
        ClickHouseServer::available(),
        "clickhouse-server is not installed: apt-get install clickhouse-server clickhouse-client"
    );
    Some(ClickHouseServer::start().await.unwrap())
}

async fn distinct_ids(ch: &ClickHouseServer) -> u64 {
    ch.query("SELECT uniqExact(id) FROM s3conn_logs")
        .await
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_delivers_into_clickhouse_and_redelivery_deduplicates() {
    let Some(ch) = clickhouse().await else { return };
    let world = World::new().await;
    world.put_objects(0..8, 250).await;
    let config = world.config(
        "ch",
        &world.moto.endpoint,
        &format!("visibility_timeout = \"2s\"\n{}", sink_table(&ch, "")),
    );

    // A forced redelivery: the first run exits right after ClickHouse accepted its 3rd batch,
    // before acknowledging it (the crash window); those messages come back and are sent again.
    let out = collect(&world, &config, true)
        .env("S3CONN_TEST_ABORT_AFTER_SINK", "3")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(86),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(tags(&ch).await.0 > 0);
    world.settle(Duration::from_secs(30)).await;
    let out = collect(&world, &config, true).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stdout.is_empty(),
        "records went to the sink, not stdout"
    );
    assert_eq!(world.queue_counts().await, (0, 0));
    let (count, got) = tags(&ch).await;
    assert_eq!(got, expected(0..8, 250), "every record arrived");
    // Background merges may already have collapsed some duplicates, so the table's count
    // cannot show the redelivery; the server's count of inserted rows can.
    assert!(count >= 2000);
    let inserted = ch.inserted_rows().await.unwrap();
    assert!(
        inserted > 2000,
        "the redelivered batches were inserted again ({inserted} rows inserted)"
    );
    assert_eq!(distinct_ids(&ch).await, 2000);

    ch.query("OPTIMIZE TABLE s3conn_logs FINAL").await.unwrap();
    let (count, got) = tags(&ch).await;
    assert_eq!(count, 2000, "no duplicate after OPTIMIZE FINAL");
    assert_eq!(distinct_ids(&ch).await, 2000);
    assert_eq!(got, expected(0..8, 250));
    assert!(
        !world.dir.path().join("dead").exists(),
        "nothing dead-lettered"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clickhouse_down_mid_run_loses_nothing_and_delivery_resumes() {
    let Some(mut ch) = clickhouse().await else {
        return;
    };
    let world = World::new().await;
    world.put_objects(0..20, 200).await;
    // Small batches, so the run is mid-way when ClickHouse goes; quick retries and leases.
    let config = world.config(
        "down",
        &world.moto.endpoint,
        &format!(
            "concurrency = 2\nvisibility_timeout = \"5s\"\n{}",
            sink_table(&ch, "batch_records = 100\nconcurrency = 1\nmax_retries = 1\ntimeout = \"2s\"\nconnect_timeout = \"1s\"\n")
        ),
    );
    let mut run = collect(&world, &config, false).spawn().unwrap();
    // Wait for the first rows, then stop ClickHouse (SIGKILL, as a crash).
    let deadline = Instant::now() + Duration::from_secs(60);
    while ch
        .query("SELECT count() FROM s3conn_logs")
        .await
        .map(|c| c.trim() == "0")
        .unwrap_or(true)
    {
        assert!(Instant::now() < deadline, "nothing arrived");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    ch.stop();
    // While it is down, messages wait in the queue (in flight or visible), unacknowledged.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let (visible, in_flight) = world.queue_counts().await;
    assert!(
        visible + in_flight > 0,
        "messages were acknowledged while the sink was down"
    );
    assert!(run.try_wait().unwrap().is_none(), "collect keeps running");
    ch.resume().await.unwrap();
    // Delivery resumes: the queue empties.
    let deadline = Instant::now() + Duration::from_secs(180);
    while world.queue_counts().await != (0, 0) {
        assert!(
            Instant::now() < deadline,
            "the queue did not drain: {:?}",
            world.queue_counts().await
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    run.kill().unwrap();
    let _ = run.wait();
    ch.query("OPTIMIZE TABLE s3conn_logs FINAL").await.unwrap();
    let (count, got) = tags(&ch).await;
    assert_eq!(got, expected(0..20, 200), "exactly the records sent");
    assert_eq!(count, 4000, "no duplicate after OPTIMIZE FINAL");
    assert!(
        !world.dir.path().join("dead").exists(),
        "nothing dead-lettered"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_password_stops_collect_with_one_configuration_error() {
    let Some(ch) = clickhouse().await else { return };
    let world = World::new().await;
    world.put_objects(0..3, 10).await;
    let table = sink_table(&ch, "").replace(s3conn::http_sinks::testing::PASSWORD, "wrong");
    let config = world.config("pw", &world.moto.endpoint, &table);
    let out = collect(&world, &config, true).output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("refuses its configuration") && stderr.contains("193"),
        "{stderr}"
    );
    assert!(!stderr.contains("retrying"), "no retry loop: {stderr}");
    // Nothing acknowledged.
    let (visible, in_flight) = world.queue_counts().await;
    assert_eq!(visible + in_flight, 3);

    // `s3conn test` says so with advice.
    let out = s3conn()
        .args(["test", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(!out.status.success());
    assert!(stdout.contains("FAIL sink credentials"), "{stdout}");
    assert!(stdout.contains("configuration:"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_config_delivers_into_clickhouse() {
    let Some(ch) = clickhouse().await else { return };
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("sink.toml");
    // A connector configuration: its source and `[sink]` are used, its queue is not.
    std::fs::write(
        &config,
        format!(
            "name = \"replay-ch\"\nregion = \"us-east-1\"\nsqs_queue_url = \"https://sqs.us-east-1.amazonaws.com/123456789012/unused\"\nlog_source = \"aws-cloudtrail\"\n{}",
            sink_table(&ch, "")
        ),
    )
    .unwrap();
    let out = s3conn()
        .args(["replay", "--config"])
        .arg(&config)
        .arg("--dead-letter")
        .arg(dir.path().join("dead"))
        .arg("examples/data/cloudtrail")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.stdout.is_empty());
    let counts = ch
        .query(
            "SELECT count(), uniqExact(id), countIf(msg_class != '') FROM s3conn_logs FORMAT TSV",
        )
        .await
        .unwrap();
    assert_eq!(counts.trim(), "60\t60\t60");
}
