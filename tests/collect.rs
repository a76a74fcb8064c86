//! End-to-end: `s3conn collect` and `s3conn test` against a real S3/SQS wire protocol (moto),
//! with bucket notifications delivered by moto itself.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::Output;

use common::{collect_base_command, gzip, s3conn, World};
use s3conn::aws::testing::{unique, ACCOUNT, REGION};

/// `collect`'s own helpers on the shared moto world.
impl World {
    async fn put(&self, bucket: &str, key: &str, body: Vec<u8>) {
        self.moto.put(&self.clients, bucket, key, body).await;
    }

    /// A connector configuration reading the world's queue with log source `source`.
    fn source_config(&self, name: &str, source: &str, extra: &str) -> PathBuf {
        let path = self.dir.path().join(format!("{name}.toml"));
        let toml = format!(
            "name = \"{name}\"\ntenant = \"acme\"\nregion = \"{REGION}\"\nsqs_queue_url = \"{}\"\naccess_key_id = \"testing\"\nsecret_access_key = \"testing\"\nendpoint_url = \"{}\"\nallow_http = true\nlog_source = \"{source}\"\nvisibility_timeout = \"30s\"\n{extra}\n",
            self.queue_url, self.moto.endpoint
        );
        std::fs::write(&path, toml).unwrap();
        path
    }

    fn collect(
        &self,
        config: &Path,
        out: &str,
    ) -> (Output, Vec<serde_json::Value>, serde_json::Value) {
        let dead = self.dir.path().join("dead");
        self.collect_with(config, out, &["--dead-letter".as_ref(), dead.as_os_str()])
    }

    /// `collect --drain` with these dead-letter arguments.
    fn collect_with(
        &self,
        config: &Path,
        out: &str,
        dead_letter: &[&std::ffi::OsStr],
    ) -> (Output, Vec<serde_json::Value>, serde_json::Value) {
        let out_dir = self.dir.path().join(out);
        let stats = self.dir.path().join(format!("{out}.stats.json"));
        let output = collect_base_command(config, &out_dir)
            .arg("--drain")
            .args(dead_letter)
            .arg("--stats")
            .arg(&stats)
            .output()
            .unwrap();
        let mut records = Vec::new();
        if let Ok(entries) = std::fs::read_dir(&out_dir) {
            for e in entries {
                for line in std::fs::read_to_string(e.unwrap().path()).unwrap().lines() {
                    records.push(serde_json::from_str(line).unwrap());
                }
            }
        }
        let stats = std::fs::read_to_string(&stats)
            .map(|s| serde_json::from_str(&s).unwrap())
            .unwrap_or(serde_json::Value::Null);
        (output, records, stats)
    }

    async fn queue_is_empty(&self) -> bool {
        let got = self
            .clients
            .sqs
            .receive_message()
            .queue_url(&self.queue_url)
            .max_number_of_messages(10)
            .visibility_timeout(0)
            .wait_time_seconds(0)
            .send()
            .await
            .unwrap();
        got.messages().is_empty()
    }
}

fn trail(n: usize, tag: &str) -> Vec<u8> {
    let recs: Vec<String> = (0..n)
        .map(|i| format!("{{\"eventVersion\":\"1.09\",\"eventTime\":\"2026-11-26T08:00:{:02}Z\",\"eventName\":\"{tag}-{i}\",\"sourceIPAddress\":\"198.51.100.{}\",\"userIdentity\":{{\"type\":\"IAMUser\",\"userName\":\"u{i}\"}}}}", i % 60, i % 250 + 1))
        .collect();
    format!("{{\"Records\":[{}]}}", recs.join(",")).into_bytes()
}

fn names(records: &[serde_json::Value]) -> Vec<String> {
    let mut v: Vec<String> = records
        .iter()
        .map(|r| r["event"]["eventName"].as_str().unwrap().to_owned())
        .collect();
    v.sort();
    v
}

fn expected(tags: &[(&str, usize)]) -> Vec<String> {
    let mut v: Vec<String> = tags
        .iter()
        .flat_map(|(t, n)| (0..*n).map(move |i| format!("{t}-{i}")))
        .collect();
    v.sort();
    v
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_drains_every_record_exactly_once_and_empties_the_queue() {
    let w = World::new().await;
    let b = w.bucket.clone();
    w.put(
        &b,
        "AWSLogs/111122223333/CloudTrail/us-east-1/a.json.gz",
        gzip(&trail(50, "gz")),
    )
    .await;
    w.put(
        &b,
        "AWSLogs/with space/plus+sign/ünïcode.json",
        trail(20, "text"),
    )
    .await;
    w.put(&b, "AWSLogs/pretty.json", b"{\n \"Records\": [\n  {\"eventTime\":\"2026-11-26T08:00:00Z\",\"eventName\":\"pretty-0\"}\n ]\n}\n".to_vec()).await;
    w.put(
        &b,
        "AWSLogs/111122223333/CloudTrail-Digest/us-east-1/d.json.gz",
        gzip(b"{\"digestStartTime\":\"x\"}"),
    )
    .await;
    let config = w.source_config("trail", "aws-cloudtrail", "");
    let (out, records, stats) = w.collect(&config, "out");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        names(&records),
        expected(&[("gz", 50), ("text", 20), ("pretty", 1)])
    );
    let ids: HashSet<&str> = records.iter().map(|r| r["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), records.len());
    assert!(records.iter().all(|r| r["index"] == "AWS Events"
        && r["tenant"] == "acme"
        && r["connector"] == "trail"
        && r["s3"]["bucket"] == b.as_str()));
    assert!(
        records
            .iter()
            .any(|r| r["s3"]["key"] == "AWSLogs/with space/plus+sign/ünïcode.json"),
        "keys are decoded"
    );
    assert_eq!(
        stats["test_events"], 1,
        "moto's s3:TestEvent is acknowledged and counted"
    );
    assert_eq!(
        stats["objects_skipped_by_source"], 1,
        "the digest is skipped"
    );
    assert!(w.queue_is_empty().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_collectors_share_one_queue() {
    let w = World::new().await;
    for o in 0..24 {
        w.put(
            &w.bucket,
            &format!("part-{o:02}.json.gz"),
            gzip(&trail(25, &format!("o{o}"))),
        )
        .await;
    }
    let config = w.source_config("shared", "aws-cloudtrail", "concurrency = 2");
    let (a, b) = std::thread::scope(|s| {
        let a = s.spawn(|| w.collect(&config, "a"));
        let b = s.spawn(|| w.collect(&config, "b"));
        (a.join().unwrap(), b.join().unwrap())
    });
    assert!(a.0.status.success() && b.0.status.success());
    let mut all = a.1.clone();
    all.extend(b.1.clone());
    let tags: Vec<(String, usize)> = (0..24).map(|o| (format!("o{o}"), 25)).collect();
    let tags: Vec<(&str, usize)> = tags.iter().map(|(t, n)| (t.as_str(), *n)).collect();
    // Nothing lost, and de-duplicated by the record id the set is exactly the expected one.
    let mut unique: HashMap<&str, &serde_json::Value> = HashMap::new();
    for r in &all {
        unique.insert(r["id"].as_str().unwrap(), r);
    }
    let deduplicated: Vec<serde_json::Value> = unique.values().map(|r| (*r).clone()).collect();
    assert_eq!(names(&deduplicated), expected(&tags));
    // An object is handled by one collector: each renews its leases, so SQS
    // never hands a message it holds to the other. moto's ReceiveMessage is not atomic across
    // concurrent requests (it scans the queue without its lock), so under two racing receivers it
    // can, rarely, hand the same message to both; real SQS standard queues are at-least-once too.
    // Such a duplicate carries the same record ids, which is what the ids are for.
    let mut by_key: HashMap<String, HashSet<&str>> = HashMap::new();
    for (who, recs) in [("a", &a.1), ("b", &b.1)] {
        for r in recs.iter() {
            by_key
                .entry(r["s3"]["key"].as_str().unwrap().to_owned())
                .or_default()
                .insert(who);
        }
    }
    let both = by_key.values().filter(|w| w.len() > 1).count();
    assert!(
        both <= 2,
        "{both} of 24 objects were handled by both collectors"
    );
    assert!(w.queue_is_empty().await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deleted_objects_are_acknowledged_and_other_buckets_never_read() {
    let w = World::new().await;
    w.put(&w.bucket, "gone.json", trail(3, "gone")).await;
    w.moto.delete(&w.clients, &w.bucket, "gone.json").await;
    let other = unique("other");
    w.moto.create_bucket(&w.clients, &other).await;
    let queue_name = w.queue_url.rsplit('/').next().unwrap().to_owned();
    w.moto.notify(&w.clients, &other, &queue_name).await;
    w.put(&other, "secret.json", trail(2, "secret")).await;
    let config = w.source_config(
        "allow",
        "aws-cloudtrail",
        &format!("buckets = [\"{}\"]", w.bucket),
    );
    let (out, records, stats) = w.collect(&config, "out");
    assert!(records.is_empty(), "{records:?}");
    assert_eq!(stats["objects_gone"], 1);
    assert_eq!(stats["objects_bucket_not_allowed"], 1);
    // The message naming the other bucket is kept (never deleted unread), so drain reports it.
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_test_reports_a_missing_queue() {
    let w = World::new().await;
    let path = w.dir.path().join("missing.toml");
    let text = std::fs::read_to_string(w.source_config("missing", "generic", ""))
        .unwrap()
        .replace(
            &w.queue_url,
            &format!("{}/{ACCOUNT}/no-such-queue", w.moto.endpoint),
        );
    std::fs::write(&path, text).unwrap();
    let out = s3conn()
        .args(["test", "--config"])
        .arg(&path)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    assert!(stdout.contains("404"), "{stdout}");
    let ok = s3conn()
        .args(["test", "--config"])
        .arg(w.source_config("ok", "generic", ""))
        .output()
        .unwrap();
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stdout)
    );
}

/// Receives (and deletes nothing from) every message of `queue_url`: their bodies as JSON.
async fn dead_letters(w: &World, queue_url: &str) -> Vec<serde_json::Value> {
    let mut got = Vec::new();
    loop {
        let out = w
            .clients
            .sqs
            .receive_message()
            .queue_url(queue_url)
            .max_number_of_messages(10)
            .wait_time_seconds(0)
            .send()
            .await
            .unwrap();
        if out.messages().is_empty() {
            return got;
        }
        for m in out.messages() {
            got.push(serde_json::from_str(m.body().unwrap()).unwrap());
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn undecodable_object_goes_to_the_dead_letter_queue_and_the_rest_is_delivered() {
    let w = World::new().await;
    let dlq = w.moto.create_queue(&w.clients, &unique("dlq")).await;
    w.put(&w.bucket, "good.json.gz", gzip(&trail(30, "good")))
        .await;
    // A gzip header, then bytes that are no deflate stream: undecodable, a permanent failure.
    let junk = vec![0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff];
    w.put(&w.bucket, "bad/junk.json.gz", junk).await;
    // Given up on at its first delivery: dead-lettered, then acknowledged.
    let config = w.source_config("dlq", "aws-cloudtrail", "max_receive_count = 1");
    let (out, records, stats) = w.collect_with(
        &config,
        "out",
        &["--dead-letter-queue".as_ref(), dlq.as_ref()],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(names(&records), expected(&[("good", 30)]));
    assert_eq!(stats["objects_undecodable"], 1);
    assert_eq!(stats["objects_dead_lettered"], 1);
    assert!(
        w.queue_is_empty().await,
        "the source message was acknowledged"
    );
    assert!(!w.dir.path().join("dead").exists(), "no directory written");
    let items = dead_letters(&w, &dlq).await;
    assert_eq!(items.len(), 1, "{items:?}");
    let item = &items[0];
    assert_eq!(item["kind"], "object");
    assert_eq!(item["object"]["bucket"], w.bucket.as_str());
    assert_eq!(item["object"]["key"], "bad/junk.json.gz");
    let reason = item["reason"].as_str().unwrap();
    assert!(reason.contains("bad/junk.json.gz"), "{reason}");
    assert!(item["message_id"].is_string());
}
