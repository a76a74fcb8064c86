//! Crash consistency: `s3conn collect` against moto is killed with SIGKILL [`KILLS`] times, at
//! delays from 0.05 s to 4 s after its start (quadratically spaced: more of them early), and
//! restarted; a final `--drain` run then empties the queue. The killed runs do not drain (idle,
//! they long-poll until killed).
//! Before every run new objects of [`RECORDS`] records each (several sink batches per object) are
//! uploaded, so the kills land in every phase of the message path:
//! - while starting, receiving or fetching (the run wrote nothing),
//! - mid-object (an object only partly written to the sink: it was not acknowledged, so it is
//!   redelivered and written again in full),
//! - after the sink wrote an object and before its message was deleted (the whole object appears
//!   in the killed run's output and again in a later run's),
//! - idle, long-polling after everything it wrote was acknowledged.
//!
//! The test counts how many kills hit each of these and asserts: every expected record is in the
//! union of all outputs at least once, the set deduplicated by the record `id` is exactly the
//! expected one, and the queue ends empty (read from moto directly). A kill in the middle of a
//! write can leave a torn last line in that run's file; its records were never acknowledged and
//! are redelivered, so the reader skips only such a final, newline-less line.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::process::Stdio;
use std::time::{Duration, Instant};

use common::{read_outputs, tag, World};

/// SIGKILLs per test run.
const KILLS: usize = 24;
/// New objects uploaded before each run: `1 + (whole seconds until its kill)`, so that runs killed
/// late still have work for most of their life.
fn objects_for(delay: Duration) -> usize {
    1 + delay.as_secs_f64() as usize
}
/// Records per object: several sink batches (at most 1000 records each).
const RECORDS: usize = 4000;
const FIRST_KILL: Duration = Duration::from_millis(50);
const LAST_KILL: Duration = Duration::from_millis(4000);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_killed_at_many_points_loses_nothing() {
    let started = Instant::now();
    let w = World::new().await;
    let moto_endpoint = w.moto.endpoint.clone();
    // A short lease: what a killed run held is visible again within 2 s. One object at a time,
    // so that a run takes a while.
    let config = w.config(
        "crash",
        &moto_endpoint,
        "visibility_timeout = \"2s\"\nconcurrency = 1",
    );
    let out = w.dir.path().join("out");
    let mut objects = 0;
    // pid of each killed run, and how long it ran.
    let mut killed: Vec<(u32, Duration)> = Vec::new();
    for k in 0..KILLS {
        // Quadratic spacing: more kills early in a run, while it is still busy with its objects.
        let x = k as f64 / (KILLS - 1) as f64;
        let delay = FIRST_KILL + (LAST_KILL - FIRST_KILL).mul_f64(x * x);
        for _ in 0..objects_for(delay) {
            w.put_object(objects, RECORDS).await;
            objects += 1;
        }
        let stderr = std::fs::File::create(w.dir.path().join(format!("stderr-{k}"))).unwrap();
        // Not `--drain`: a run that is done waits for more (long polls) until it is killed.
        let mut child = w
            .collect_forever_command(&config, &out, &w.dir.path().join(format!("stats-{k}.json")))
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        tokio::time::sleep(delay).await;
        assert!(
            child.try_wait().unwrap().is_none(),
            "run {k} stopped by itself"
        );
        child.kill().unwrap(); // SIGKILL
        child.wait().unwrap();
        killed.push((child.id(), delay));
    }

    // Run to completion. Messages the last killed run held reappear when their lease runs out;
    // a drain run that polls before then stops early, so wait for them and run again.
    let mut finals = 0;
    loop {
        finals += 1;
        let stats = w.dir.path().join(format!("stats-final-{finals}.json"));
        let output = w.collect_command(&config, &out, &stats).output().unwrap();
        assert!(
            output.status.success(),
            "final run {finals}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        if w.settle(Duration::from_secs(30)).await {
            break;
        }
        assert!(finals < 5, "queue not empty: {:?}", w.queue_counts().await);
    }
    let elapsed = started.elapsed();

    let got = read_outputs(&out);
    let expected: BTreeSet<String> = (0..objects)
        .flat_map(|o| (0..RECORDS).map(move |i| tag(o, i)))
        .collect();
    assert_eq!(
        got.tags(),
        expected,
        "deduplicated by id: exactly the expected records"
    );
    assert_eq!(got.by_id.len(), objects * RECORDS);
    assert_eq!(w.queue_counts().await, (0, 0), "the queue is empty");
    assert!(
        !w.dir.path().join("dead").exists(),
        "nothing was dead-lettered"
    );

    // Where did the kills land? Per killed run (its output file carries its pid): nothing written
    // yet; an object written only in part; an object written in full but delivered again later
    // (killed after the sink wrote, before the delete took effect).
    let object_of = |t: &str| t.split('-').next().unwrap().to_owned();
    let files: Vec<(String, BTreeMap<String, usize>)> = got
        .per_file
        .iter()
        .map(|(path, recs)| {
            let mut per_object: BTreeMap<String, usize> = BTreeMap::new();
            for (_, t) in recs {
                *per_object.entry(object_of(t)).or_default() += 1;
            }
            (
                path.file_name().unwrap().to_string_lossy().to_string(),
                per_object,
            )
        })
        .collect();
    let mut seen_in: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, (_, per_object)) in files.iter().enumerate() {
        for o in per_object.keys() {
            seen_in.entry(o.clone()).or_default().push(i);
        }
    }
    let (mut nothing, mut mid_object, mut written_not_deleted, mut idle) = (0, 0, 0, 0);
    for (pid, _) in &killed {
        let suffix = format!("-{pid}.ndjson");
        let Some(i) = files.iter().position(|(name, _)| name.ends_with(&suffix)) else {
            nothing += 1; // killed before its sink created the file? (it is created at start)
            continue;
        };
        let per_object = &files[i].1;
        let partial = per_object.values().any(|&n| n < RECORDS);
        let again = per_object
            .iter()
            .any(|(o, &n)| n >= RECORDS && seen_in[o].iter().any(|&j| j > i));
        if per_object.is_empty() {
            nothing += 1;
        }
        if partial {
            mid_object += 1;
        }
        if again {
            written_not_deleted += 1;
        }
        if !per_object.is_empty() && !partial && !again {
            // Everything it wrote was acknowledged: killed while long-polling for more.
            idle += 1;
        }
    }
    eprintln!(
        "crash: {} kills ({:?}..{:?}), {finals} final run(s), {elapsed:?}; {objects} objects, \
         {} records, {} lines written ({} duplicates), {} torn tails; kills that hit: nothing \
         written (starting, receiving, fetching) {nothing}, mid-object \
         {mid_object}, written-not-deleted {written_not_deleted}, idle (long-polling after \
         acknowledging) {idle}",
        killed.len(),
        FIRST_KILL,
        LAST_KILL,
        got.by_id.len(),
        got.lines,
        got.lines - got.by_id.len(),
        got.torn_tails
    );
    assert!(killed.len() >= 20);
    // Exact counts depend on timing; the first kills (50 ms) land before any write, and the
    // objects are large enough (several sink batches) that some kills land inside the object path.
    assert!(
        nothing > 0 && mid_object + written_not_deleted > 0,
        "kills should hit several phases"
    );
}
