//! Load: objects uploaded to moto (bucket notifications into one queue), drained by two
//! `s3conn collect --drain` processes at once. Nothing may be lost, and de-duplicated by the
//! record `id` the set must be exactly the expected one; the raw duplicate count is reported
//! (moto's `ReceiveMessage` is not atomic across concurrent requests, so two consumers polling at
//! the same instant can, rarely, both get one message). The peak RSS of each process (`VmHWM`,
//! read from `/proc` while it runs) is reported with its RSS over its life, and must stay bounded.
//!
//! Sized for CI by default ([`OBJECTS`] × [`RECORDS`]); `S3CONN_LOAD_OBJECTS` and
//! `S3CONN_LOAD_RECORDS` change the size (`benches/load.sh` runs 10,000 × 100 in release).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use common::{read_outputs, World};
use futures::StreamExt;

/// Objects in the CI-sized run: moto handles some tens of objects a second on two busy cores
/// (its S3 and SQS calls, not `collect`, are the bottleneck), so this keeps the test within 90 s.
const OBJECTS: usize = 500;
/// Records per object in the CI-sized run (100,000 records in all).
const RECORDS: usize = 200;
/// Uploads in flight at once.
const UPLOADS_IN_FLIGHT: usize = 24;
/// Peak RSS allowed per `collect` process.
const MAX_PEAK_RSS_KB: u64 = 256 * 1024;

fn size(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .map(|v| v.parse().expect("a positive integer"))
        .unwrap_or(default)
}

/// Uploads objects `0..objects`, [`UPLOADS_IN_FLIGHT`] at a time.
async fn upload(w: &World, objects: usize, records: usize) {
    futures::stream::iter(0..objects)
        .map(|o| w.put_object(o, records))
        .buffer_unordered(UPLOADS_IN_FLIGHT)
        .collect::<Vec<()>>()
        .await;
}

/// A value in kB from `/proc/PID/status` (`VmHWM`, `VmRSS`), while the process runs.
fn proc_status_kb(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A running `collect` and what was seen of its memory.
struct Watched {
    child: Child,
    /// The last `VmHWM` read (the peak RSS so far), kB.
    peak_kb: u64,
    /// `(seconds since start, VmRSS kB)`, every [`SAMPLE`].
    rss: Vec<(f64, u64)>,
    /// How long it ran.
    ran: Option<Duration>,
}

/// How often memory is read.
const SAMPLE: Duration = Duration::from_millis(100);

impl Watched {
    /// Reads the memory counters; returns whether the process is still running.
    fn poll(&mut self, started: Instant) -> bool {
        if self.ran.is_some() {
            return false;
        }
        let pid = self.child.id();
        if let (Some(hwm), Some(rss)) = (proc_status_kb(pid, "VmHWM"), proc_status_kb(pid, "VmRSS"))
        {
            self.peak_kb = self.peak_kb.max(hwm);
            self.rss.push((started.elapsed().as_secs_f64(), rss));
        }
        if let Some(status) = self.child.try_wait().unwrap() {
            assert!(status.success(), "collect {pid} failed: {status}");
            self.ran = Some(started.elapsed());
            return false;
        }
        true
    }

    /// RSS at a quarter, half, three quarters and the end of its life, in MiB.
    fn rss_profile(&self) -> String {
        let n = self.rss.len();
        if n == 0 {
            return "no samples".into();
        }
        [n / 4, n / 2, 3 * n / 4, n - 1]
            .iter()
            .map(|&i| format!("{:.0}", self.rss[i].1 as f64 / 1024.0))
            .collect::<Vec<_>>()
            .join("/")
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_collects_drain_every_object_exactly_once_with_flat_memory() {
    let objects = size("S3CONN_LOAD_OBJECTS", OBJECTS);
    let records = size("S3CONN_LOAD_RECORDS", RECORDS);
    let w = World::new().await;
    let t0 = Instant::now();
    upload(&w, objects, records).await;
    let uploaded = t0.elapsed();

    // A short lease, so that a message moto put back (see below) reappears soon.
    let config = w.config("load", &w.moto.endpoint, "visibility_timeout = \"10s\"");
    let out = w.dir.path().join("out");
    let started = Instant::now();
    let mut runs: Vec<Watched> = (0..2)
        .map(|k| {
            let stats = w.dir.path().join(format!("stats-{k}.json"));
            let stderr = std::fs::File::create(w.dir.path().join(format!("stderr-{k}"))).unwrap();
            let child = w
                .collect_command(&config, &out, &stats)
                .stdout(Stdio::null())
                .stderr(stderr)
                .spawn()
                .unwrap();
            Watched {
                child,
                peak_kb: 0,
                rss: Vec::new(),
                ran: None,
            }
        })
        .collect();
    let limit = Duration::from_secs(60) + Duration::from_millis(200 * objects as u64);
    loop {
        let running = runs
            .iter_mut()
            .map(|r| r.poll(started))
            .filter(|&r| r)
            .count();
        if running == 0 {
            break;
        }
        if started.elapsed() > limit {
            for r in &mut runs {
                let _ = r.child.kill();
            }
            panic!("not drained within {limit:?}: {:?}", w.queue_counts().await);
        }
        tokio::time::sleep(SAMPLE).await;
    }
    let drained = started.elapsed();
    // moto's DeleteMessage rebuilds the message list without its lock: two concurrent deletes can
    // put a deleted message back (still invisible). It reappears after the visibility timeout and
    // a final run delivers it again (counted in the duplicates).
    let left = w.queue_counts().await;
    let finals = if w.settle(Duration::from_secs(30)).await {
        0
    } else {
        w.run_to_completion(&config, &out).await
    };

    let got = read_outputs(&out);
    let duplicates = got.lines - got.by_id.len();
    eprintln!(
        "load: {objects} objects × {records} records = {} records; upload {uploaded:.1?} ({:.0} objects/s); \
         drain by 2 collect {drained:.1?} ({:.0} objects/s, {:.0} records/s); raw duplicates {duplicates}; \
         left in the queue after both (visible, in flight) {left:?}, final runs {finals}",
        objects * records,
        objects as f64 / uploaded.as_secs_f64(),
        objects as f64 / drained.as_secs_f64(),
        (objects * records) as f64 / drained.as_secs_f64(),
    );
    for (k, r) in runs.iter().enumerate() {
        let lines = got
            .per_file
            .iter()
            .find(|(p, _)| {
                p.to_string_lossy()
                    .ends_with(&format!("-{}.ndjson", r.child.id()))
            })
            .map_or(0, |(_, recs)| recs.len());
        eprintln!(
            "load: collect {k} (pid {}): ran {:.1?}, wrote {lines} records, peak RSS {:.1} MiB, RSS at 1/4, 1/2, 3/4, end of its life {} MiB",
            r.child.id(),
            r.ran.unwrap_or_default(),
            r.peak_kb as f64 / 1024.0,
            r.rss_profile(),
        );
    }
    assert_eq!(got.torn_tails, 0);
    w.assert_exactly_delivered(&got, objects, records).await;
    for r in &runs {
        assert!(r.peak_kb > 0, "memory was read");
        assert!(r.peak_kb < MAX_PEAK_RSS_KB, "peak RSS {} kB", r.peak_kb);
    }
}
