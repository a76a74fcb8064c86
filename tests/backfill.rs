//! `s3conn backfill` against moto: the same record ids as live collection, `--to-queue` feeding
//! `collect` workers, and bad input (dates, buckets, checkpoints) with clear messages and the
//! exit codes of `collect`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{read_outputs, s3conn, World};

fn backfill(config: &Path, bucket: &str, args: &[&str]) -> Output {
    s3conn()
        .args(["backfill", "--status-interval", "0", "--bucket", bucket])
        .arg("--config")
        .arg(config)
        .args(args)
        .output()
        .unwrap()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn path(p: &Path) -> &str {
    p.to_str().unwrap()
}

/// Objects whose keys need encoding in a notification (space, plus, colon, non-ASCII), in a
/// versioned bucket: read once from their notifications by `collect`, once by `backfill`; the
/// two runs give the same record ids.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_and_collect_give_the_same_ids() {
    let w = World::new().await;
    w.clients
        .s3
        .put_bucket_versioning()
        .bucket(&w.bucket)
        .versioning_configuration(
            aws_sdk_s3::types::VersioningConfiguration::builder()
                .status(aws_sdk_s3::types::BucketVersioningStatus::Enabled)
                .build(),
        )
        .send()
        .await
        .unwrap();
    let n = 6;
    w.put_objects(0..n, 50).await;
    let odd_keys = ["logs/with space+plus.json", "logs/a:b/é ü.json"];
    for (i, key) in odd_keys.iter().enumerate() {
        let o = n + i;
        let body = (0..5)
            .map(|r| format!("{{\"tag\":\"{}\"}}\n", common::tag(o, r)))
            .collect::<String>();
        w.moto
            .put(&w.clients, &w.bucket, key, body.into_bytes())
            .await;
    }
    let config = w.config("ids", &w.moto.endpoint, "");
    let live = w.dir.path().join("live");
    let stats = w.dir.path().join("collect-stats.json");
    let out = w.collect_command(&config, &live, &stats).output().unwrap();
    assert!(out.status.success(), "{}", stderr(&out));
    // The backfill's file names no queue (as for a store without SQS): it reads none.
    let no_queue = w.dir.path().join("ids-no-queue.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let text: String = text
        .lines()
        .filter(|l| !l.starts_with("sqs_queue_url"))
        .map(|l| format!("{l}\n"))
        .collect();
    std::fs::write(&no_queue, text).unwrap();
    let bf = w.dir.path().join("backfill");
    let out = backfill(
        &no_queue,
        &w.bucket,
        &["--prefix", "logs/", "--output", path(&bf)],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let live = read_outputs(&live);
    let bf = read_outputs(&bf);
    let ids = |d: &common::Delivered| d.by_id.keys().cloned().collect::<BTreeSet<String>>();
    assert_eq!(live.by_id.len(), n * 50 + 10);
    assert_eq!(
        ids(&live),
        ids(&bf),
        "same ids from a notification and from a listing"
    );
    assert_eq!(bf.lines, n * 50 + 10);
}

fn config_for_queue(w: &World, name: &str, queue_url: &str) -> PathBuf {
    let path = w.dir.path().join(format!("{name}.toml"));
    let text = std::fs::read_to_string(w.config(name, &w.moto.endpoint, "")).unwrap();
    std::fs::write(&path, text.replace(&w.queue_url, queue_url)).unwrap();
    path
}

/// `--to-queue`: every listed object becomes an S3 event on another queue (SendMessageBatch, 10
/// per request), which a `collect --drain` worker consumes unchanged; a rerun with the finished
/// checkpoint sends nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn to_queue_feeds_collect_workers() {
    let w = World::new().await;
    let objects = 25;
    w.put_objects(0..objects, 20).await;
    let work_queue = w
        .moto
        .create_queue(&w.clients, &s3conn::aws::testing::unique("work"))
        .await;
    let config = config_for_queue(&w, "worker", &work_queue);
    let ckpt = w.dir.path().join("to-queue.checkpoint");
    let stats = w.dir.path().join("to-queue-stats.json");
    let out = backfill(
        &config,
        &w.bucket,
        &[
            "--to-queue",
            &work_queue,
            "--checkpoint",
            path(&ckpt),
            "--stats",
            path(&stats),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    assert_eq!(s["sent"], 25);
    assert_eq!(s["requests"]["send_message_batch"], 3, "{s}");
    assert_eq!(s["checkpoint"]["complete"], true);
    assert_eq!(w.moto.queue_counts(&w.clients, &work_queue).await, (25, 0));

    let again = backfill(
        &config,
        &w.bucket,
        &["--to-queue", &work_queue, "--checkpoint", path(&ckpt)],
    );
    assert!(again.status.success());
    assert!(stderr(&again).contains("complete"), "{}", stderr(&again));
    assert_eq!(
        w.moto.queue_counts(&w.clients, &work_queue).await,
        (25, 0),
        "nothing sent again"
    );

    let out_dir = w.dir.path().join("worker-out");
    let run = w
        .collect_command(&config, &out_dir, &w.dir.path().join("worker-stats.json"))
        .output()
        .unwrap();
    assert!(run.status.success(), "{}", stderr(&run));
    let got = read_outputs(&out_dir);
    let expected: BTreeSet<String> = (0..objects)
        .flat_map(|o| (0..20).map(move |i| common::tag(o, i)))
        .collect();
    assert_eq!(got.tags(), expected);
    assert_eq!(w.moto.queue_counts(&w.clients, &work_queue).await, (0, 0));
}

/// Bad input: clear messages; usage errors exit 2, a bucket that cannot be listed exits 1, an
/// empty selection says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_named_with_the_exit_codes_of_collect() {
    let w = World::new().await;
    w.put_objects(0..2, 3).await;
    let config = w.config("bad", &w.moto.endpoint, "");
    let check = |args: &[&str], bucket: &str, code: i32, says: &str| {
        let o = backfill(&config, bucket, args);
        assert_eq!(o.status.code(), Some(code), "{args:?}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{args:?}: {}", stderr(&o));
    };
    check(
        &["--since", "2025-02-01", "--until", "2025-01-31"],
        &w.bucket,
        2,
        "is after --until",
    );
    check(
        &["--since", "last tuesday"],
        &w.bucket,
        2,
        "--since 'last tuesday' is neither a date",
    );
    check(
        &["--until", "2025-02-30"],
        &w.bucket,
        2,
        "--until '2025-02-30'",
    );
    check(&["--key-date", "%d/%m/%Y"], &w.bucket, 2, "--key-date");
    check(
        &[],
        "other-bucket",
        2,
        "bucket 'other-bucket' is not in the connector's buckets",
    );
    // Without an allow-list any bucket may be named; one that does not exist cannot be listed.
    let open = w.dir.path().join("open.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    let allow_list = format!("buckets = [\"{}\"]\n", w.bucket);
    std::fs::write(&open, text.replace(&allow_list, "")).unwrap();
    let o = backfill(&open, "no-such-bucket-here", &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("bucket 'no-such-bucket-here' cannot be listed: no such bucket"),
        "{}",
        stderr(&o)
    );
    let ckpt = w.dir.path().join("corrupt.checkpoint");
    std::fs::write(&ckpt, "not json").unwrap();
    check(
        &["--checkpoint", path(&ckpt)],
        &w.bucket,
        2,
        "not a backfill checkpoint",
    );
    let out = w.dir.path().join("empty-out");
    check(
        &["--prefix", "nothing-here/", "--output", path(&out)],
        &w.bucket,
        0,
        "has no objects under 'nothing-here/'",
    );
}

/// Without `--output`, backfill delivers where the connector's `[sink]` table says, as `collect`
/// and `replay --config` do (here a directory sink; the HTTP and lake sinks go through the same
/// `sink_from_config`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_delivers_to_the_configured_sink() {
    let w = World::new().await;
    w.put_objects(0..4, 20).await;
    let sink_dir = w.dir.path().join("sink-dir");
    let extra = format!(
        "[sink]\ntype = \"directory\"\npath = \"{}\"\n",
        path(&sink_dir)
    );
    let config = w.config("sinked", &w.moto.endpoint, &extra);
    let out = backfill(&config, &w.bucket, &["--prefix", "logs/"]);
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        out.stdout.is_empty(),
        "nothing on stdout: the [sink] has the records"
    );
    let got = read_outputs(&sink_dir);
    assert_eq!(got.lines, 80, "{}", stderr(&out));
    assert_eq!(got.by_id.len(), 80);
}
