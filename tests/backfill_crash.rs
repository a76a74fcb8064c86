//! Crash consistency of `s3conn backfill --checkpoint`: over [`OBJECTS`] objects on moto, the
//! process is killed with SIGKILL at [`KILLS`] random points (the seed is printed) and resumed
//! with the same checkpoint each time; a last run finishes. Every record is delivered, the set
//! de-duplicated by `id` is exactly the expected one, and the number of records delivered more
//! than once (redone after a kill) is printed. A last rerun with the finished checkpoint
//! delivers nothing. Modelled on `tests/crash.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{read_outputs, s3conn, tag, World};

const OBJECTS: usize = 2000;
const RECORDS: usize = 3;
const KILLS: usize = 12;
/// Most new records a run writes before its kill.
const MAX_STEP: u64 = 700;

/// Record lines written so far into `dir` (all runs' files).
fn lines_in(dir: &std::path::Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    entries
        .filter_map(|e| std::fs::read(e.ok()?.path()).ok())
        .map(|b| b.iter().filter(|&&c| c == b'\n').count())
        .sum()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backfill_killed_at_random_points_resumes_and_loses_nothing() {
    let started = Instant::now();
    let w = World::new().await;
    w.put_objects(0..OBJECTS, RECORDS).await;
    let uploaded = started.elapsed();
    let config = w.config("crash", &w.moto.endpoint, "concurrency = 4");
    let out = w.dir.path().join("out");
    let ckpt = w.dir.path().join("backfill.checkpoint");
    let command = || {
        let mut c = s3conn();
        c.args(["backfill", "--status-interval", "0", "--prefix", "logs/"])
            .arg("--config")
            .arg(&config)
            .arg("--bucket")
            .arg(&w.bucket)
            .arg("--checkpoint")
            .arg(&ckpt)
            .arg("--output")
            .arg(&out)
            .arg("--dead-letter")
            .arg(w.dir.path().join("dead"))
            .stdout(Stdio::null());
        c
    };
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    let mut state = seed | 1;
    // xorshift64: enough randomness for kill points, reproducible from the printed seed.
    let mut next = move |bound: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % bound
    };
    let mut kills = Vec::new();
    let mut finished_early = 0;
    for k in 0..KILLS {
        // Every fourth run is killed at a random early moment (starting, first listing page);
        // the others once they wrote a random number of new records (mid-run, wherever the
        // machine's speed has it by then).
        let early = k % 4 == 0;
        let early_delay = Duration::from_millis(50 + next(800));
        let target = 1 + next(MAX_STEP) as usize;
        let before = lines_in(&out);
        let stderr = std::fs::File::create(w.dir.path().join(format!("stderr-{k}"))).unwrap();
        let mut child = command().stderr(stderr).spawn().unwrap();
        let spawned = Instant::now();
        let done = loop {
            if child.try_wait().unwrap().is_some() {
                break true;
            }
            let due = if early {
                spawned.elapsed() >= early_delay
            } else {
                lines_in(&out) >= before + target
            };
            if due {
                break false;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        if done {
            finished_early += 1; // it finished before its kill: nothing left to kill
            break;
        }
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        let position = std::fs::read_to_string(&ckpt)
            .ok()
            .and_then(|t| serde_json::from_str::<serde_json::Value>(&t).ok())
            .map(|v| v["objects_done"].as_u64().unwrap_or(0))
            .unwrap_or(0);
        kills.push((spawned.elapsed(), lines_in(&out) - before, position));
    }
    let last = command().stderr(Stdio::piped()).output().unwrap();
    assert!(
        last.status.success(),
        "final run: {}",
        String::from_utf8_lossy(&last.stderr)
    );

    let got = read_outputs(&out);
    let expected: BTreeSet<String> = (0..OBJECTS)
        .flat_map(|o| (0..RECORDS).map(move |i| tag(o, i)))
        .collect();
    assert_eq!(
        got.tags(),
        expected,
        "deduplicated by id: exactly the expected records"
    );
    assert_eq!(got.by_id.len(), OBJECTS * RECORDS);
    assert!(!w.dir.path().join("dead").exists(), "nothing dead-lettered");
    let checkpoint: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&ckpt).unwrap()).unwrap();
    assert_eq!(checkpoint["complete"], true);
    assert_eq!(checkpoint["objects_done"], OBJECTS as u64);
    // The checkpoint never moved backwards.
    assert!(kills.windows(2).all(|p| p[0].2 <= p[1].2), "{kills:?}");
    assert!(
        kills.iter().filter(|k| k.2 > 0).count() >= 3,
        "several kills landed after progress was checkpointed: {kills:?}"
    );

    // A rerun with the finished checkpoint delivers nothing.
    let before = got.lines;
    let rerun = command().stderr(Stdio::piped()).output().unwrap();
    assert!(rerun.status.success());
    assert_eq!(
        read_outputs(&out).lines,
        before,
        "a finished checkpoint delivers nothing"
    );

    let redone = got.lines - got.by_id.len();
    eprintln!(
        "backfill crash: seed {seed}, {} SIGKILLs (after {:?}; lines written by each killed run {:?}; objects done in the checkpoint after each {:?}), {finished_early} run(s) finished before their kill; {OBJECTS} objects, {} records; {} lines written, {redone} records redone ({:.2} %), {} torn tails; upload {uploaded:?}, total {:?}",
        kills.len(),
        kills.iter().map(|k| k.0).collect::<Vec<_>>(),
        kills.iter().map(|k| k.1).collect::<Vec<_>>(),
        kills.iter().map(|k| k.2).collect::<Vec<_>>(),
        OBJECTS * RECORDS,
        got.lines,
        redone as f64 * 100.0 / (OBJECTS * RECORDS) as f64,
        got.torn_tails,
        started.elapsed()
    );
    assert!(
        kills.len() >= 10,
        "at least 10 kills ({finished_early} run(s) finished early)"
    );
}
