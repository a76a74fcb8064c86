//! End-to-end: the `s3conn replay` command over files of every kind, through the real pipeline.

#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

/// gzip at the default level, as producers write.
fn gzip(data: &[u8]) -> Vec<u8> {
    s3conn::testing::gzip_level(data, 6)
}

/// The `s3conn` binary built by `cargo test`.
fn s3conn() -> Command {
    Command::new(env!("CARGO_BIN_EXE_s3conn"))
}

fn write(dir: &Path, name: &str, data: &[u8]) -> PathBuf {
    let p = dir.join(name);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, data).unwrap();
    p
}

fn lines(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("every stdout line is a JSON record"))
        .collect()
}

#[test]
fn replay_every_kind_of_file() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let ndjson: String = (0..100)
        .map(|i| {
            format!(
                "{{\"time\":\"2026-01-01T00:00:{:02}Z\",\"i\":{i}}}\n",
                i % 60
            )
        })
        .collect();
    write(&data, "plain.ndjson", ndjson.as_bytes());
    write(&data, "sub dir/gz.ndjson.gz", &gzip(ndjson.as_bytes()));
    let records: Vec<String> = (0..30)
        .map(|i| format!("{{\"eventTime\":\"2026-01-01T00:00:00Z\",\"eventName\":\"E{i}\"}}"))
        .collect();
    write(
        &data,
        "trail.json.gz",
        &gzip(format!("{{\"Records\":[{}]}}", records.join(",")).as_bytes()),
    );
    write(&data, "pretty.json", b"{\n  \"ts\": 1767225600,\n  \"msg\": \"one\"\n}\n{\n  \"ts\": 1767225601,\n  \"msg\": \"two\"\n}\n");
    write(&data, "bad-line.ndjson", b"{\"time\":\"2026-01-01T00:00:00Z\",\"ok\":1}\n{\"broken\":\n{\"time\":\"2026-01-01T00:00:00Z\",\"ok\":2}\n");
    let big: String = (0..20000)
        .map(|i| {
            format!(
                "{{\"time\":1767225600,\"i\":{i},\"pad\":\"{}\"}}\n",
                "x".repeat(40)
            )
        })
        .collect();
    let full = gzip(big.as_bytes());
    write(&data, "truncated.ndjson.gz", &full[..full.len() / 3]);
    write(&data, "empty.json", b"");
    let dead = tmp.path().join("dead");
    let stats = tmp.path().join("stats.json");
    let out = s3conn()
        .args(["replay", "--source", "generic", "--dead-letter"])
        .arg(&dead)
        .arg("--stats")
        .arg(&stats)
        .arg(&data)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "exit {:?}: {stderr}", out.status);
    let recs = lines(&out.stdout);
    let from = |key: &str| recs.iter().filter(|r| r["s3"]["key"] == key).count();
    assert_eq!(from("plain.ndjson"), 100);
    assert_eq!(from("sub dir/gz.ndjson.gz"), 100);
    assert_eq!(
        from("trail.json.gz"),
        30,
        "Records are expanded by the generic source? {stderr}"
    );
    assert_eq!(from("pretty.json"), 2);
    assert_eq!(from("bad-line.ndjson"), 2);
    assert!(
        from("truncated.ndjson.gz") > 0,
        "records before the cut are delivered"
    );
    assert!(recs.iter().all(|r| r["index"] == "Syslog"
        && r["msg_class"] == "generic_s3_log"
        && r["timestamp"].is_i64()));
    // Dead letters: the bad line with its line number, and the truncated object as a whole.
    let dl: Vec<serde_json::Value> = std::fs::read_dir(&dead)
        .unwrap()
        .flat_map(|e| {
            std::fs::read_to_string(e.unwrap().path())
                .unwrap()
                .lines()
                .map(|l| serde_json::from_str(l).unwrap())
                .collect::<Vec<_>>()
        })
        .collect();
    let bad = dl
        .iter()
        .find(|d| d["kind"] == "record")
        .expect("record dead letter");
    assert_eq!(bad["line"], 2);
    assert_eq!(bad["object"]["key"], "bad-line.ndjson");
    let obj = dl
        .iter()
        .find(|d| d["kind"] == "object")
        .expect("object dead letter");
    assert_eq!(obj["object"]["key"], "truncated.ndjson.gz");
    assert!(obj["reason"].as_str().unwrap().contains("gzip"));
    let stats: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&stats).unwrap()).unwrap();
    assert_eq!(stats["records_dead_lettered"], 1);
    assert_eq!(stats["objects_dead_lettered"], 1);
    let count = |k: &str| stats[k].as_u64().unwrap();
    assert_eq!(
        count("ignored_empty_objects")
            + count("objects_processed")
            + count("objects_dead_lettered"),
        7
    );
    assert!(stderr.contains("records delivered"), "{stderr}");
}

#[test]
fn replay_the_readme_sample_with_cloudtrail() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = s3conn()
        .args(["replay", "--source", "aws-cloudtrail", "--dead-letter"])
        .arg(tempfile::tempdir().unwrap().path())
        .arg(root.join("examples/data/cloudtrail"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let recs = lines(&out.stdout);
    assert_eq!(recs.len(), 60);
    assert!(recs
        .iter()
        .all(|r| r["index"] == "AWS Events" && r["msg_origin"]["vendor"] == "aws"));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("1 skipped by the source"),
        "the digest file is skipped: {stderr}"
    );
}

#[test]
fn configuration_errors_exit_non_zero_with_a_clear_message() {
    let out = s3conn()
        .args(["replay", "--source", "nope", "."])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("unknown log source 'nope'") && stderr.contains("aws-cloudtrail"),
        "{stderr}"
    );
    let out = s3conn()
        .args(["replay", "/definitely/not/here"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/definitely/not/here"));
}
