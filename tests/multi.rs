//! Several connectors in one `s3conn collect` process, against moto: each keeps its own queue,
//! source, output and dead letters; one failing does not stop the others; `--drain` ends when
//! every connector has drained; `--log-format json` names the connector on every line.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use common::{gzip, s3conn};
use s3conn::aws::testing::{unique, Moto, REGION};
use s3conn::aws::AwsClients;

/// A queue with a bucket notifying it.
struct Feed {
    queue_url: String,
    bucket: String,
}

async fn feed(moto: &Moto, clients: &AwsClients, prefix: &str) -> Feed {
    let queue_name = unique(prefix);
    let queue_url = moto.create_queue(clients, &queue_name).await;
    let bucket = unique(&format!("{prefix}-logs"));
    moto.create_bucket(clients, &bucket).await;
    moto.notify(clients, &bucket, &queue_name).await;
    Feed { queue_url, bucket }
}

fn config(dir: &Path, name: &str, endpoint: &str, queue_url: &str, source: &str) -> PathBuf {
    config_with(dir, name, endpoint, queue_url, source, "")
}

fn config_with(
    dir: &Path,
    name: &str,
    endpoint: &str,
    queue_url: &str,
    source: &str,
    extra: &str,
) -> PathBuf {
    let path = dir.join(format!("{name}.toml"));
    let toml = format!(
        "name = \"{name}\"\nregion = \"{REGION}\"\nsqs_queue_url = \"{queue_url}\"\naccess_key_id = \"testing\"\nsecret_access_key = \"testing\"\nendpoint_url = \"{endpoint}\"\nallow_http = true\nlog_source = \"{source}\"\nvisibility_timeout = \"30s\"\n{extra}\n"
    );
    std::fs::write(&path, toml).unwrap();
    path
}

fn trail(n: usize, tag: &str) -> Vec<u8> {
    let recs: Vec<String> = (0..n)
        .map(|i| format!("{{\"eventVersion\":\"1.09\",\"eventTime\":\"2026-11-26T08:00:{:02}Z\",\"eventName\":\"{tag}-{i}\",\"userIdentity\":{{\"type\":\"IAMUser\",\"userName\":\"u{i}\"}}}}", i % 60))
        .collect();
    format!("{{\"Records\":[{}]}}", recs.join(",")).into_bytes()
}

fn lines(n: usize, tag: &str) -> Vec<u8> {
    let mut text = String::new();
    for i in 0..n {
        text.push_str(&format!(
            "{{\"time\":\"2026-11-26T08:00:{:02}Z\",\"tag\":\"{tag}-{i}\"}}\n",
            i % 60
        ));
    }
    text.into_bytes()
}

/// Records in `dir`'s files, by connector name.
fn records_by_connector(dir: &Path) -> BTreeMap<String, Vec<serde_json::Value>> {
    let mut by: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
    for e in std::fs::read_dir(dir).unwrap() {
        for line in std::fs::read_to_string(e.unwrap().path()).unwrap().lines() {
            let v: serde_json::Value = serde_json::from_str(line).unwrap();
            let name = v["connector"].as_str().unwrap_or_default().to_owned();
            by.entry(name).or_default().push(v);
        }
    }
    by
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_connectors_drain_in_one_process_while_a_third_fails() {
    let moto = Moto::start();
    let clients = moto.clients().await;
    let trails = feed(&moto, &clients, "trails").await;
    let apps = feed(&moto, &clients, "apps").await;
    moto.put(
        &clients,
        &trails.bucket,
        "AWSLogs/1/CloudTrail/a.json.gz",
        gzip(&trail(30, "ct")),
    )
    .await;
    moto.put(&clients, &apps.bucket, "app/a.ndjson", lines(20, "app"))
        .await;
    moto.put(
        &clients,
        &apps.bucket,
        "app/b.ndjson.gz",
        gzip(&lines(15, "app2")),
    )
    .await;
    // A truncated gzip object: dead-lettered, and its log line names the object.
    let mut broken_gzip = gzip(&lines(50, "cut"));
    broken_gzip.truncate(30);
    moto.put(&clients, &apps.bucket, "app/cut.ndjson.gz", broken_gzip)
        .await;

    let dir = tempfile::tempdir().unwrap();
    let configs = dir.path().join("connectors");
    std::fs::create_dir(&configs).unwrap();
    config(
        &configs,
        "trails",
        &moto.endpoint,
        &trails.queue_url,
        "aws-cloudtrail",
    );
    // Dead-letter a message failing for good on its first delivery.
    let extra = "max_receive_count = 1";
    config_with(
        &configs,
        "apps",
        &moto.endpoint,
        &apps.queue_url,
        "generic",
        extra,
    );
    // A queue that does not exist: this connector fails, the others go on.
    let gone = format!("{}/123456789012/{}", moto.endpoint, unique("gone"));
    let broken = config(dir.path(), "broken", &moto.endpoint, &gone, "generic");

    let out = dir.path().join("out");
    let dead = dir.path().join("dead");
    let stats = dir.path().join("stats.json");
    let output = s3conn()
        .args([
            "--log-format",
            "json",
            "collect",
            "--drain",
            "--poll-wait",
            "1",
        ])
        .args(["--status-interval", "0"])
        .arg("--config")
        .arg(&configs)
        .arg("--config")
        .arg(&broken)
        .arg("--output")
        .arg(&out)
        .arg("--dead-letter")
        .arg(&dead)
        .arg("--stats")
        .arg(&stats)
        .env("S3CONN_LOG", "warn")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);

    // The failing connector makes the run fail, but only after the others delivered everything.
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    let by = records_by_connector(&out);
    assert_eq!(by.get("trails").map(Vec::len), Some(30), "{stderr}");
    assert_eq!(by.get("apps").map(Vec::len), Some(35), "{stderr}");
    assert!(!by.contains_key("broken"));
    // Each connector keeps its own source's envelope.
    assert!(by["trails"].iter().all(|r| r["index"] == "AWS Events"));
    assert!(by["apps"].iter().all(|r| r["index"] == "Syslog"));
    // Each wrote its own file.
    let files = std::fs::read_dir(&out).unwrap().count();
    assert_eq!(files, 3, "one output file per connector");

    // --stats has one entry per connector.
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    assert_eq!(stats["connectors"]["trails"]["records_delivered"], 30);
    assert_eq!(stats["connectors"]["apps"]["records_delivered"], 35);
    assert!(stderr.contains("[broken]: failed"), "{stderr}");
    assert_eq!(
        stats["connectors"]["apps"]["objects_dead_lettered"], 1,
        "{stderr}"
    );
    // Dead letters go to each connector's own directory.
    assert!(dead.join("apps").is_dir(), "{stderr}");

    // Every log line is one JSON object; the failing connector's lines name it.
    let mut named_broken = false;
    let mut named_object = false;
    for line in stderr.lines().filter(|l| l.starts_with('{')) {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        assert!(v["level"].is_string() && v["message"].is_string(), "{line}");
        named_broken |= v["connector"] == "broken";
        named_object |= v["connector"] == "apps"
            && v["bucket"] == apps.bucket.as_str()
            && v["key"] == "app/cut.ndjson.gz"
            && v["message_id"].is_string();
    }
    assert!(
        named_broken,
        "no JSON log line names the failing connector:\n{stderr}"
    );
    assert!(
        named_object,
        "no JSON log line names the cut object:\n{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_connectors_with_one_name_are_refused() {
    let moto = Moto::start();
    let clients = moto.clients().await;
    let a = feed(&moto, &clients, "dup").await;
    let dir = tempfile::tempdir().unwrap();
    let first = config(dir.path(), "same", &moto.endpoint, &a.queue_url, "generic");
    let second_dir = dir.path().join("second");
    std::fs::create_dir(&second_dir).unwrap();
    let second = config(&second_dir, "same", &moto.endpoint, &a.queue_url, "generic");
    let output = s3conn()
        .args([
            "collect",
            "--drain",
            "--poll-wait",
            "1",
            "--status-interval",
            "0",
        ])
        .arg("--config")
        .arg(&first)
        .arg("--config")
        .arg(&second)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("two connectors are named 'same'"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_supervisor_restarts_a_failing_connector_while_the_other_delivers() {
    use s3conn::{
        CancellationToken, ConnectorState, DeadLetterDestination, MemorySink, Supervisor,
    };
    use std::sync::Arc;
    use std::time::Duration;

    let moto = Moto::start();
    let clients = moto.clients().await;
    let apps = feed(&moto, &clients, "live").await;
    let dir = tempfile::tempdir().unwrap();
    let good = config(
        dir.path(),
        "good",
        &moto.endpoint,
        &apps.queue_url,
        "generic",
    );
    let gone = format!("{}/123456789012/{}", moto.endpoint, unique("gone"));
    let bad = config(dir.path(), "bad", &moto.endpoint, &gone, "generic");

    let mut supervisor = Supervisor::new(8 << 20)
        .restart_delays(Duration::from_millis(50), Duration::from_millis(200));
    let sink = Arc::new(MemorySink::new());
    for path in [&good, &bad] {
        let mut job = supervisor.load(path).await.unwrap();
        job.pipeline_config_mut().receive_wait = Duration::from_secs(1);
        let dead = DeadLetterDestination::Directory(dir.path().join("dead"));
        supervisor.add(job, sink.clone(), dead).unwrap();
    }
    let states = supervisor.states();
    let shutdown = CancellationToken::new();
    let run = tokio::spawn(supervisor.run(shutdown.clone()));

    moto.put(&clients, &apps.bucket, "app/a.ndjson", lines(25, "live"))
        .await;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let restarted = matches!(
            states.snapshot().get("bad"),
            Some(ConnectorState::Restarting { failures, .. }) if *failures >= 2
        );
        if sink.records().len() == 25 && restarted {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "records {} states {:?}",
            sink.records().len(),
            states.snapshot()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(states.snapshot()["good"], ConnectorState::Running);
    assert!(!states.snapshot()["bad"].is_healthy());

    shutdown.cancel();
    let report = run.await.unwrap();
    let good = report.connectors.iter().find(|c| c.name == "good").unwrap();
    assert!(good.result.is_ok());
    let bad = report.connectors.iter().find(|c| c.name == "bad").unwrap();
    assert!(bad.result.is_err() && bad.restarts >= 2);
    assert!(!report.all_complete());
}
