//! Routing by key end to end: one moto queue carrying CloudTrail, CrowdStrike FDR and Proofpoint
//! TAP objects (the published samples in `../shared/samples`) under different prefixes, and a key
//! no route takes; `collect` gives each record its own source's envelope and handles the unknown
//! object as `unmatched` says (one test per policy). Then `replay --config` with the same routes,
//! and configuration errors naming the route.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{collect_base_command, gzip, s3conn, World};
use s3conn::aws::testing::REGION;
use serde_json::Value;

const TRAIL_KEY: &str = "AWSLogs/111122223333/CloudTrail/us-east-1/2022/11/10/trail.json.gz";
const FDR_KEY: &str = "crowdstrike/data/2024/process.gz";
const TAP_KEY: &str = "proofpoint/tap/messages_delivered.ndjson";
const UNKNOWN_KEY: &str = "unknown/app/other.json";

/// The routes of every test: a glob, a regex with its own framing, a glob with `**`.
const ROUTES: &str = r#"
[[routes]]
key_glob = "AWSLogs/*/CloudTrail/**"
log_source = "aws-cloudtrail"
[[routes]]
key_regex = "^crowdstrike/"
log_source = "crowdstrike"
framing = "lines"
[[routes]]
key_glob = "proofpoint/**"
log_source = "proofpoint"
"#;

fn sample(path: &str) -> Vec<u8> {
    let full = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/samples")
        .join(path);
    std::fs::read(&full).unwrap_or_else(|e| panic!("sample {}: {e}", full.display()))
}

/// The four objects, their keys and bodies (records each: 23 CloudTrail, 213 FDR, 8 TAP).
fn objects() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        (
            TRAIL_KEY,
            gzip(&sample("cloudtrail/awsdocs_aws-cloudtrail-user-guide.json")),
        ),
        (
            FDR_KEY,
            gzip(&sample("crowdstrike/fdr_cribl_process.ndjson")),
        ),
        (
            TAP_KEY,
            sample("proofpoint/elastic_tap_messages_delivered.ndjson"),
        ),
        (UNKNOWN_KEY, b"{\"app\":\"nobody routes me\"}\n".to_vec()),
    ]
}

/// Per key: (record count, msg_class, index, vendor) of what was delivered.
fn envelopes(records: &[Value]) -> BTreeMap<String, (usize, String, String, String)> {
    let mut by_key: BTreeMap<String, (usize, String, String, String)> = BTreeMap::new();
    for r in records {
        let key = r["s3"]["key"]
            .as_str()
            .unwrap_or_else(|| panic!("no key in {r}"))
            .to_owned();
        let envelope = (
            r["msg_class"].as_str().unwrap().to_owned(),
            r["index"].as_str().unwrap().to_owned(),
            r["msg_origin"]["vendor"].as_str().unwrap().to_owned(),
        );
        let entry = by_key.entry(key).or_insert((
            0,
            envelope.0.clone(),
            envelope.1.clone(),
            envelope.2.clone(),
        ));
        assert_eq!(
            (&entry.1, &entry.2, &entry.3),
            (&envelope.0, &envelope.1, &envelope.2),
            "one envelope per object"
        );
        entry.0 += 1;
    }
    by_key
}

fn expected_envelopes() -> BTreeMap<String, (usize, String, String, String)> {
    [
        (TRAIL_KEY, 23, "generic_s3_cloudtrail", "AWS Events", "aws"),
        (
            FDR_KEY,
            213,
            "generic_s3_crowdstrike_log",
            "Syslog",
            "crowdstrike",
        ),
        (
            TAP_KEY,
            8,
            "generic_s3_proofpoint_log",
            "Syslog",
            "proofpoint",
        ),
    ]
    .into_iter()
    .map(|(k, n, class, index, vendor)| {
        (
            k.to_owned(),
            (n, class.to_owned(), index.to_owned(), vendor.to_owned()),
        )
    })
    .collect()
}

/// Every NDJSON line of every file under `dir` (none when it does not exist).
fn ndjson_under(dir: &Path) -> Vec<Value> {
    let mut out = Vec::new();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return out;
    };
    for e in entries {
        for line in std::fs::read_to_string(e.unwrap().path()).unwrap().lines() {
            out.push(serde_json::from_str(line).unwrap());
        }
    }
    out
}

/// A routed connector on the world's queue.
fn routed_config(w: &World, name: &str, unmatched: &str, extra: &str) -> PathBuf {
    let path = w.dir.path().join(format!("{name}.toml"));
    let toml = format!(
        "name = \"{name}\"\ntenant = \"acme\"\nregion = \"{REGION}\"\nsqs_queue_url = \"{}\"\naccess_key_id = \"testing\"\nsecret_access_key = \"testing\"\nendpoint_url = \"{}\"\nallow_http = true\n{extra}\nunmatched = \"{unmatched}\"\n{ROUTES}",
        w.queue_url, w.moto.endpoint
    );
    std::fs::write(&path, toml).unwrap();
    path
}

struct Run {
    output: Output,
    records: Vec<Value>,
    dead: Vec<Value>,
    stats: Value,
}

/// Uploads the four objects (moto notifies the queue), then `collect --drain`.
async fn collect(unmatched: &str, extra: &str) -> (World, Run) {
    let w = World::new().await;
    for (key, body) in objects() {
        w.moto.put(&w.clients, &w.bucket, key, body).await;
    }
    let config = routed_config(&w, unmatched, unmatched, extra);
    let out = w.dir.path().join("out");
    let dead = w.dir.path().join("dead");
    let stats = w.dir.path().join("stats.json");
    let output = collect_base_command(&config, &out)
        .arg("--drain")
        .arg("--dead-letter")
        .arg(&dead)
        .arg("--stats")
        .arg(&stats)
        .output()
        .unwrap();
    let stats = std::fs::read_to_string(&stats)
        .map(|s| serde_json::from_str(&s).unwrap())
        .unwrap_or(Value::Null);
    let run = Run {
        output,
        records: ndjson_under(&out),
        dead: ndjson_under(&dead),
        stats,
    };
    (w, run)
}

fn assert_success(run: &Run) -> String {
    let stderr = String::from_utf8_lossy(&run.output.stderr).into_owned();
    assert!(run.output.status.success(), "{stderr}");
    stderr
}

/// Messages acknowledged, besides the `s3:TestEvent` moto sends when the notification is set up.
fn acknowledged(run: &Run) -> u64 {
    let all = run.stats["messages_acknowledged"].as_u64().unwrap();
    all - run.stats["test_events"].as_u64().unwrap()
}

/// The three known objects were delivered, each record with its own source's envelope.
fn assert_routed(run: &Run) {
    assert_eq!(envelopes(&run.records), expected_envelopes());
    assert_eq!(run.stats["objects_processed"], 3, "{}", run.stats);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmatched_dead_letter_writes_the_object_then_acknowledges() {
    let (w, run) = collect("dead_letter", "").await;
    let stderr = assert_success(&run);
    assert_routed(&run);
    assert_eq!(run.dead.len(), 1, "{:?}", run.dead);
    let item = &run.dead[0];
    assert_eq!(item["kind"], "object");
    assert_eq!(item["object"]["key"], UNKNOWN_KEY);
    let reason = item["reason"].as_str().unwrap();
    assert!(
        reason.starts_with(&format!("no route matches key '{UNKNOWN_KEY}'")),
        "{reason}"
    );
    assert_eq!(run.stats["objects_unmatched_dead_lettered"], 1);
    assert_eq!(acknowledged(&run), 4);
    assert!(
        stderr.contains("objects not taken: 1 unmatched (dead-lettered)"),
        "{stderr}"
    );
    assert_eq!(w.queue_counts().await, (0, 0), "every message acknowledged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmatched_ack_acknowledges_without_reading() {
    let (w, run) = collect("ack", "").await;
    let stderr = assert_success(&run);
    assert_routed(&run);
    assert!(run.dead.is_empty(), "{:?}", run.dead);
    assert_eq!(run.stats["objects_unmatched_skipped"], 1);
    assert_eq!(acknowledged(&run), 4);
    // Three objects read, not four: the unknown one was never fetched.
    assert_eq!(run.stats["requests"]["get_object"], 3, "{}", run.stats);
    assert!(
        stderr.contains("objects not taken: 1 unmatched (acknowledged unread)"),
        "{stderr}"
    );
    assert_eq!(w.queue_counts().await, (0, 0), "every message acknowledged");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unmatched_keep_leaves_the_message_for_another_consumer() {
    // A short lease: the message left on the queue is visible again within seconds.
    let (w, run) = collect("keep", "visibility_timeout = \"3s\"").await;
    let stderr = assert_success(&run);
    assert_routed(&run);
    assert!(run.dead.is_empty(), "{:?}", run.dead);
    assert!(run.stats["objects_unmatched_kept"].as_u64().unwrap() >= 1);
    assert!(run.stats["messages_left_for_others"].as_u64().unwrap() >= 1);
    assert_eq!(acknowledged(&run), 3);
    assert!(stderr.contains("unmatched (left on the queue)"), "{stderr}");
    // Still on the queue, and another consumer receives it.
    let got = w
        .clients
        .sqs
        .receive_message()
        .queue_url(&w.queue_url)
        .wait_time_seconds(10)
        .send()
        .await
        .unwrap();
    let bodies: Vec<&str> = got.messages().iter().filter_map(|m| m.body()).collect();
    assert_eq!(bodies.len(), 1, "{bodies:?}");
    let named = s3conn::notification::parse(bodies[0]).unwrap();
    assert_eq!(named.objects[0].key, UNKNOWN_KEY);
}

/// The four objects as files under one directory, keyed by their path relative to it.
fn replay_tree(dir: &Path) -> PathBuf {
    let root = dir.join("archive");
    for (key, body) in objects() {
        let path = root.join(key);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, body).unwrap();
    }
    root
}

/// A routed connector configuration for replay (its queue is never used).
/// A connector file for `replay --config`: no `sqs_queue_url` (replay reads no queue).
fn replay_config(dir: &Path, extra: &str) -> PathBuf {
    let path = dir.join("connector.toml");
    let toml = format!("name = \"archive\"\ntenant = \"acme\"\n{extra}\n{ROUTES}");
    std::fs::write(&path, toml).unwrap();
    path
}

#[test]
fn replay_with_config_routes_each_file_by_its_relative_path() {
    let dir = tempfile::tempdir().unwrap();
    let root = replay_tree(dir.path());
    let config = replay_config(dir.path(), "");
    let dead = dir.path().join("dead");
    let stats = dir.path().join("stats.json");
    let out = s3conn()
        .arg("replay")
        .arg("--config")
        .arg(&config)
        .arg("--dead-letter")
        .arg(&dead)
        .arg("--stats")
        .arg(&stats)
        .arg(&root)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let records: Vec<Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(envelopes(&records), expected_envelopes());
    // The connector's tenant and name are the records'.
    assert!(
        records.iter().all(|r| r["tenant"] == "acme"),
        "{}",
        records[0]
    );
    let dead = ndjson_under(&dead);
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0]["object"]["key"], UNKNOWN_KEY);
    let stats: Value = serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    assert_eq!(stats["objects_unmatched_dead_lettered"], 1);
    assert!(stderr.contains("1 unmatched (dead-lettered)"), "{stderr}");

    // `unmatched = "ack"`: nothing dead-lettered, and still a complete run; a queue URL, which
    // replay does not use, is accepted too.
    let config = replay_config(
        dir.path(),
        "unmatched = \"ack\"\nsqs_queue_url = \"https://sqs.eu-west-1.amazonaws.com/123456789012/q\"",
    );
    let dead = dir.path().join("dead-ack");
    let out = s3conn()
        .arg("replay")
        .arg("--config")
        .arg(&config)
        .arg("--dead-letter")
        .arg(&dead)
        .arg(&root)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!dead.exists());
}

#[test]
fn replay_config_conflicts_with_source_flags() {
    let dir = tempfile::tempdir().unwrap();
    let config = replay_config(dir.path(), "");
    let out = s3conn()
        .args(["replay", "--source", "generic", "--config"])
        .arg(&config)
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("cannot be used with"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `collect` with this configuration: it fails before reaching any queue.
fn config_error(toml: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("bad.toml");
    std::fs::write(&config, toml).unwrap();
    let out = s3conn()
        .args(["collect", "--drain", "--config"])
        .arg(&config)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "a configuration error exits 2");
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn configuration_errors_name_the_route_or_the_conflict() {
    let head =
        "name = \"x\"\nsqs_queue_url = \"https://sqs.us-east-1.amazonaws.com/123456789012/q\"\n";
    let e = config_error(&format!(
        "{head}log_source = \"generic\"\n[[routes]]\nkey_glob = \"a/**\"\nlog_source = \"generic\"\n"
    ));
    assert!(e.contains("either a top-level `log_source`"), "{e}");
    let e = config_error(&format!(
        "{head}[[routes]]\nkey_glob = \"a/**\"\nlog_source = \"generic\"\n[[routes]]\nkey_regex = \"^(b\"\nlog_source = \"generic\"\n"
    ));
    assert!(e.contains("invalid route 2 (key_regex = \"^(b\")"), "{e}");
    let e = config_error(&format!(
        "{head}[[routes]]\nkey_glob = \"a/**\"\nkey_regex = \"^a\"\nlog_source = \"generic\"\n"
    ));
    assert!(e.contains("invalid route 1"), "{e}");
    assert!(e.contains("not both"), "{e}");
    let e = config_error(&format!(
        "{head}[[routes]]\nkey_glob = \"a/**\"\nlog_source = \"generic\"\n[[routes]]\nkey_glob = \"b/**\"\nlog_source = \"no-such-source\"\n"
    ));
    assert!(
        e.contains("route 2 (key_glob = \"b/**\"): unknown log source 'no-such-source'"),
        "{e}"
    );
    let e = config_error(head);
    assert!(e.contains("`log_source`: is required"), "{e}");
}
