//! Shared by the fault and crash suites: a moto world (bucket, queue, notification), objects whose
//! records carry a unique tag, the `s3conn` binary, and reading what it wrote.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use s3conn::aws::testing::{Moto, MotoWorld, REGION};
use s3conn::aws::AwsClients;
pub use s3conn::testing::gzip;

/// The `s3conn` binary built by `cargo test` for the root suites.
pub fn s3conn() -> Command {
    Command::new(env!("CARGO_BIN_EXE_s3conn"))
}

/// The tag of record `i` of object `o`: unique across the whole test.
pub fn tag(o: usize, i: usize) -> String {
    format!("o{o}-r{i}")
}

fn event(o: usize, i: usize) -> String {
    format!(
        "{{\"tag\":\"{}\",\"time\":\"2026-11-26T08:{:02}:{:02}Z\",\"user\":\"u{i}\",\"pad\":\"{}\"}}",
        tag(o, i),
        (i / 60) % 60,
        i % 60,
        "x".repeat(40)
    )
}

/// Object `o` with `n` records: even objects are gzip NDJSON, odd ones `{"Records":[...]}`
/// documents (every third of those gzip too).
pub fn object(o: usize, n: usize) -> (String, Vec<u8>) {
    let events: Vec<String> = (0..n).map(|i| event(o, i)).collect();
    if o.is_multiple_of(2) {
        let mut text = events.join("\n");
        text.push('\n');
        (format!("logs/{o:05}.ndjson.gz"), gzip(text.as_bytes()))
    } else {
        let doc = format!("{{\"Records\":[{}]}}", events.join(","));
        if o.is_multiple_of(3) {
            (format!("logs/{o:05}.json.gz"), gzip(doc.as_bytes()))
        } else {
            (format!("logs/{o:05}.json"), doc.into_bytes())
        }
    }
}

/// Uploads in flight at once in [`World::put_objects`].
pub const UPLOADS_IN_FLIGHT: usize = 24;

pub struct World {
    pub moto: Moto,
    pub clients: AwsClients,
    pub queue_url: String,
    pub bucket: String,
    pub dir: tempfile::TempDir,
}

/// `s3conn collect` reading `config` and writing into `out`, polling 1 s, without status lines:
/// the arguments every collect run of the suites shares.
pub fn collect_base_command(config: &Path, out: &Path) -> Command {
    let mut cmd = s3conn();
    cmd.args(["collect", "--poll-wait", "1", "--status-interval", "0"])
        .arg("--config")
        .arg(config)
        .arg("--output")
        .arg(out);
    cmd
}

impl World {
    pub async fn new() -> World {
        let MotoWorld {
            moto,
            clients,
            queue_url,
            bucket,
            ..
        } = MotoWorld::start("q").await;
        World {
            moto,
            clients,
            queue_url,
            bucket,
            dir: tempfile::tempdir().unwrap(),
        }
    }

    /// Uploads object `o` with `n` records (moto sends its notification to the queue).
    pub async fn put_object(&self, o: usize, n: usize) {
        let (key, body) = object(o, n);
        self.moto.put(&self.clients, &self.bucket, &key, body).await;
    }

    /// Uploads `objects` with `n` records each, [`UPLOADS_IN_FLIGHT`] at a time.
    pub async fn put_objects(&self, objects: std::ops::Range<usize>, n: usize) {
        use futures::StreamExt;
        futures::stream::iter(objects)
            .map(|o| self.put_object(o, n))
            .buffer_unordered(UPLOADS_IN_FLIGHT)
            .collect::<Vec<()>>()
            .await;
    }

    /// A connector configuration talking to `endpoint` (moto, or a proxy in front of it).
    pub fn config(&self, name: &str, endpoint: &str, extra: &str) -> PathBuf {
        let path = self.dir.path().join(format!("{name}.toml"));
        let toml = format!(
            "name = \"{name}\"\ntenant = \"acme\"\nregion = \"{REGION}\"\nsqs_queue_url = \"{}\"\naccess_key_id = \"testing\"\nsecret_access_key = \"testing\"\nendpoint_url = \"{endpoint}\"\nallow_http = true\nlog_source = \"generic\"\nbuckets = [\"{}\"]\n{extra}\n",
            self.queue_url, self.bucket
        );
        std::fs::write(&path, toml).unwrap();
        path
    }

    /// A `collect --drain` command writing into `out` (a directory shared by all runs: each run
    /// writes its own file) and its counters into `stats`.
    pub fn collect_command(&self, config: &Path, out: &Path, stats: &Path) -> Command {
        let mut cmd = self.collect_forever_command(config, out, stats);
        cmd.arg("--drain");
        cmd
    }

    /// The same without `--drain`: it runs until it is stopped.
    pub fn collect_forever_command(&self, config: &Path, out: &Path, stats: &Path) -> Command {
        let mut cmd = collect_base_command(config, out);
        cmd.arg("--dead-letter")
            .arg(self.dir.path().join("dead"))
            .arg("--stats")
            .arg(stats);
        cmd
    }

    /// Runs `collect --drain` until the queue is empty; returns how many runs that took. Messages
    /// a stopped run held reappear when their lease runs out; a drain run that polls before then
    /// stops early, so this waits for them and runs again.
    pub async fn run_to_completion(&self, config: &Path, out: &Path) -> usize {
        let mut finals = 0;
        loop {
            finals += 1;
            let stats = self.dir.path().join(format!("stats-final-{finals}.json"));
            let output = self.collect_command(config, out, &stats).output().unwrap();
            assert!(
                output.status.success(),
                "final run {finals}: {}",
                String::from_utf8_lossy(&output.stderr)
            );
            if self.settle(std::time::Duration::from_secs(30)).await {
                return finals;
            }
            assert!(
                finals < 5,
                "queue not empty: {:?}",
                self.queue_counts().await
            );
        }
    }

    /// Asserts that, de-duplicated by `id`, `got` holds exactly the records of objects
    /// `0..objects` of `records` each, that the queue is empty and that nothing was dead-lettered.
    pub async fn assert_exactly_delivered(&self, got: &Delivered, objects: usize, records: usize) {
        let expected: BTreeSet<String> = (0..objects)
            .flat_map(|o| (0..records).map(move |i| tag(o, i)))
            .collect();
        assert_eq!(
            got.tags(),
            expected,
            "deduplicated by id: exactly the expected records"
        );
        assert_eq!(got.by_id.len(), objects * records);
        assert_eq!(self.queue_counts().await, (0, 0), "the queue is empty");
        assert!(
            !self.dir.path().join("dead").exists(),
            "nothing was dead-lettered"
        );
    }

    /// (visible, in flight) message counts, straight from moto.
    pub async fn queue_counts(&self) -> (u64, u64) {
        self.moto.queue_counts(&self.clients, &self.queue_url).await
    }

    /// Waits (up to `limit`) until a message is visible again or the queue is empty; returns
    /// whether the queue is empty.
    pub async fn settle(&self, limit: std::time::Duration) -> bool {
        let deadline = std::time::Instant::now() + limit;
        loop {
            let (visible, in_flight) = self.queue_counts().await;
            if visible == 0 && in_flight == 0 {
                return true;
            }
            if visible > 0 || std::time::Instant::now() > deadline {
                return false;
            }
            tokio::time::sleep(std::time::Duration::from_millis(250)).await;
        }
    }
}

/// What the runs wrote.
#[derive(Debug, Default)]
pub struct Delivered {
    /// Every record line read (duplicates included).
    pub lines: usize,
    /// `id` -> the record's tag; an id seen twice must carry the same tag.
    pub by_id: BTreeMap<String, String>,
    /// Records per output file (one file per run).
    pub per_file: BTreeMap<PathBuf, Vec<(String, String)>>,
    /// Files whose last line was cut short (a run killed mid-write; those records were never
    /// acknowledged).
    pub torn_tails: usize,
}

impl Delivered {
    /// The tags of the distinct ids.
    pub fn tags(&self) -> BTreeSet<String> {
        self.by_id.values().cloned().collect()
    }
}

/// Reads every NDJSON file in `dir`. A final line without its newline (the process was killed in
/// the middle of a write) is ignored; anything else that does not parse fails the test.
pub fn read_outputs(dir: &Path) -> Delivered {
    let mut d = Delivered::default();
    let Ok(entries) = std::fs::read_dir(dir) else {
        return d;
    };
    let mut paths: Vec<PathBuf> = entries.map(|e| e.unwrap().path()).collect();
    paths.sort();
    for path in paths {
        let text = std::fs::read_to_string(&path).unwrap();
        let complete = text.ends_with('\n') || text.is_empty();
        let lines: Vec<&str> = text.lines().collect();
        let mut recs = Vec::new();
        for (n, line) in lines.iter().enumerate() {
            let last = n + 1 == lines.len();
            let r: serde_json::Value = match serde_json::from_str(line) {
                Ok(v) => v,
                Err(_) if last && !complete => {
                    d.torn_tails += 1;
                    continue;
                }
                Err(e) => panic!("{}: line {}: {e}: {line}", path.display(), n + 1),
            };
            let id = r["id"].as_str().expect("every record has an id").to_owned();
            let tag = r["event"]["tag"]
                .as_str()
                .unwrap_or_else(|| panic!("no event.tag in {r}"))
                .to_owned();
            if let Some(prev) = d.by_id.insert(id.clone(), tag.clone()) {
                assert_eq!(prev, tag, "id {id} names two different records");
            }
            d.lines += 1;
            recs.push((id, tag));
        }
        d.per_file.insert(path, recs);
    }
    d
}

/// The `N` in the `(+N SQS/S3 request retries)` of the last `done:` line on stderr.
pub fn backend_retries(stderr: &str) -> Option<u64> {
    let line = stderr.lines().rev().find(|l| l.contains("done:"))?;
    let i = line.find("(+")? + 2;
    line[i..].split(' ').next()?.parse().ok()
}
