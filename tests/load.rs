//! Load: objects uploaded to moto (bucket notifications into one queue) while two `s3conn collect`
//! processes drain that queue; they are stopped (SIGTERM) once everything is uploaded and the
//! queue is empty. Nothing may be lost, and de-duplicated by the
//! record `id` the set must be exactly the expected one; the raw duplicate count is reported
//! (moto's `ReceiveMessage` is not atomic across concurrent requests, so two consumers polling at
//! the same instant can, rarely, both get one message). The peak RSS of each process (`VmHWM`,
//! read from `/proc` while it runs) is reported with its RSS over its life, and must stay bounded.
//!
//! Uploads pause while more than [`BACKLOG`] messages wait: moto's SendMessage (and so every
//! notified upload) costs time in proportion to the queue length, so a queue holding all 10,000
//! notifications at once would measure moto, not s3conn.
//!
//! Sized for CI by default ([`OBJECTS`] × [`RECORDS`]); `S3CONN_LOAD_OBJECTS` and
//! `S3CONN_LOAD_RECORDS` change the size (`benches/load.sh` runs 10,000 × 100 in release).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::{read_outputs, World};

/// Objects in the CI-sized run: moto handles some tens of objects a second on two busy cores
/// (its S3 and SQS calls, not `collect`, are the bottleneck), so this keeps the test within 90 s.
const OBJECTS: usize = 500;
/// Records per object in the CI-sized run (100,000 records in all).
const RECORDS: usize = 200;
/// Objects uploaded between two looks at the queue length.
const CHUNK: usize = 100;
/// Uploads pause while more messages than this wait in the queue.
const BACKLOG: u64 = 300;
/// Peak RSS allowed per `collect` process.
const MAX_PEAK_RSS_KB: u64 = 256 * 1024;

fn size(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .map(|v| v.parse().expect("a positive integer"))
        .unwrap_or(default)
}

/// A value in kB from `/proc/PID/status` (`VmHWM`, `VmRSS`), while the process runs.
fn proc_status_kb(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// What was seen of a process's memory.
#[derive(Debug, Default)]
struct Memory {
    /// The last `VmHWM` read (the peak RSS so far), kB.
    peak_kb: u64,
    /// `VmRSS` in kB, every [`SAMPLE`].
    rss: Vec<u64>,
}

/// How often memory is read.
const SAMPLE: Duration = Duration::from_millis(100);

impl Memory {
    /// Reads `pid`'s memory every [`SAMPLE`] until it is gone or `stop` is set.
    fn watch(pid: u32, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<Memory> {
        std::thread::spawn(move || {
            let mut m = Memory::default();
            while !stop.load(Ordering::Relaxed) {
                let (Some(hwm), Some(rss)) =
                    (proc_status_kb(pid, "VmHWM"), proc_status_kb(pid, "VmRSS"))
                else {
                    break;
                };
                m.peak_kb = m.peak_kb.max(hwm);
                m.rss.push(rss);
                std::thread::sleep(SAMPLE);
            }
            m
        })
    }

    /// RSS at a quarter, half, three quarters and the end of the run, in MiB.
    fn profile(&self) -> String {
        let n = self.rss.len();
        if n == 0 {
            return "no samples".into();
        }
        [n / 4, n / 2, 3 * n / 4, n - 1]
            .iter()
            .map(|&i| format!("{:.0}", self.rss[i] as f64 / 1024.0))
            .collect::<Vec<_>>()
            .join("/")
    }
}

/// Uploads `0..objects` in chunks of [`CHUNK`], each once at most [`BACKLOG`] messages wait.
async fn upload_paced(w: &World, objects: usize, records: usize) {
    let mut next = 0;
    while next < objects {
        while w.queue_counts().await.0 > BACKLOG {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let end = (next + CHUNK).min(objects);
        w.put_objects(next..end, records).await;
        next = end;
    }
}

/// Waits until the queue is empty (nothing visible, nothing in flight), at most `limit`.
async fn wait_until_empty(w: &World, limit: Duration) {
    let deadline = Instant::now() + limit;
    loop {
        let counts = w.queue_counts().await;
        if counts == (0, 0) {
            return;
        }
        assert!(Instant::now() < deadline, "queue not drained: {counts:?}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

/// Stops a `collect` as an operator would (SIGTERM: finish in-flight work) and waits for it.
fn stop(child: &mut Child) {
    let sent = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let status = child.wait().unwrap();
    assert!(status.success(), "collect {} failed: {status}", child.id());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_collects_drain_every_object_exactly_once_with_flat_memory() {
    let objects = size("S3CONN_LOAD_OBJECTS", OBJECTS);
    let records = size("S3CONN_LOAD_RECORDS", RECORDS);
    let w = World::new().await;
    // A short lease, so that a message moto put back (see below) reappears soon.
    let config = w.config("load", &w.moto.endpoint, "visibility_timeout = \"10s\"");
    let out = w.dir.path().join("out");
    let watching = Arc::new(AtomicBool::new(false));
    let mut runs: Vec<(Child, std::thread::JoinHandle<Memory>)> = (0..2)
        .map(|k| {
            let stats = w.dir.path().join(format!("stats-{k}.json"));
            let stderr = std::fs::File::create(w.dir.path().join(format!("stderr-{k}"))).unwrap();
            let child = w
                .collect_forever_command(&config, &out, &stats)
                .stdout(Stdio::null())
                .stderr(stderr)
                .spawn()
                .unwrap();
            let memory = Memory::watch(child.id(), watching.clone());
            (child, memory)
        })
        .collect();

    let started = Instant::now();
    upload_paced(&w, objects, records).await;
    let uploaded = started.elapsed();
    // moto's DeleteMessage rebuilds the message list without its lock: two concurrent deletes can
    // put a deleted message back (invisible until its lease runs out). The collectors, still
    // running, receive it again then (counted in the duplicates).
    wait_until_empty(
        &w,
        Duration::from_secs(60) + Duration::from_millis(200 * objects as u64),
    )
    .await;
    let drained = started.elapsed();
    for (child, _) in &mut runs {
        stop(child);
    }
    watching.store(true, Ordering::Relaxed);
    let memory: Vec<(u32, Memory)> = runs
        .into_iter()
        .map(|(child, m)| (child.id(), m.join().unwrap()))
        .collect();

    let got = read_outputs(&out);
    let duplicates = got.lines - got.by_id.len();
    eprintln!(
        "load: {objects} objects × {records} records = {} records; uploaded in {uploaded:.1?}, \
         all delivered and acknowledged after {drained:.1?} ({:.0} objects/s, {:.0} records/s) \
         by 2 collect; raw duplicates {duplicates}",
        objects * records,
        objects as f64 / drained.as_secs_f64(),
        (objects * records) as f64 / drained.as_secs_f64(),
    );
    for (k, (pid, m)) in memory.iter().enumerate() {
        let suffix = format!("-{pid}.ndjson");
        let lines = got
            .per_file
            .iter()
            .find(|(p, _)| p.to_string_lossy().ends_with(&suffix))
            .map_or(0, |(_, recs)| recs.len());
        eprintln!(
            "load: collect {k} (pid {pid}): wrote {lines} records, peak RSS {:.1} MiB, RSS at 1/4, 1/2, 3/4, end {} MiB",
            m.peak_kb as f64 / 1024.0,
            m.profile(),
        );
    }
    assert_eq!(got.torn_tails, 0);
    w.assert_exactly_delivered(&got, objects, records).await;
    for (pid, m) in &memory {
        assert!(m.peak_kb > 0, "memory of {pid} was read");
        assert!(
            m.peak_kb < MAX_PEAK_RSS_KB,
            "peak RSS of {pid}: {} kB",
            m.peak_kb
        );
    }
}
