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
//!
//! The kills hit the window "after the sink wrote, before the delete" only by chance; the second
//! test hits it every time: with the test-only `S3CONN_TEST_ABORT_AFTER_SINK=N`, `collect` exits
//! right after its N-th sink write returned and before that object's message could be deleted.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::process::{ExitStatus, Stdio};
use std::time::{Duration, Instant};

use common::{read_outputs, World};

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

    let finals = w.run_to_completion(&config, &out).await;
    let elapsed = started.elapsed();

    let got = read_outputs(&out);
    w.assert_exactly_delivered(&got, objects, RECORDS).await;

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

/// The crash hook of `s3conn collect` (test-only; `src/bin/s3conn/test_hooks.rs`): exit right
/// after the N-th sink write, before its acknowledgement.
const ABORT_AFTER_SINK: &str = "S3CONN_TEST_ABORT_AFTER_SINK";
/// The exit code of a run stopped by the hook.
const ABORT_EXIT_CODE: i32 = 86;
/// The sink write after which each hooked run stops.
const HOOKED_RUNS: [usize; 5] = [1, 2, 1, 3, 2];
/// Records per object in the hooked runs: one sink batch (at most 1000 records), so every sink
/// write is a whole object and the hook stops a run exactly between an object's write and the
/// deletion of its message.
const SMALL: usize = 500;

/// Waits for `child` to exit, at most `limit`.
async fn wait_for(child: &mut std::process::Child, limit: Duration) -> ExitStatus {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            return status;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            child.wait().unwrap();
            panic!(
                "run {} did not reach its crash point within {limit:?}",
                child.id()
            );
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The crash window "after the sink wrote, before the delete", hit every time: each hooked run
/// exits right after its N-th sink write. The object of that write is then in the run's output
/// in full, its message was never deleted, and it must be delivered again by a later run.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_stopped_after_the_sink_wrote_and_before_the_delete_delivers_again() {
    let started = Instant::now();
    let w = World::new().await;
    let config = w.config(
        "window",
        &w.moto.endpoint,
        "visibility_timeout = \"2s\"\nconcurrency = 1",
    );
    let out = w.dir.path().join("out");
    let objects: usize = HOOKED_RUNS.iter().sum::<usize>() + 3;
    w.put_objects(0..objects, SMALL).await;
    let mut hooked = Vec::new(); // (pid, the write it stopped after)
    for (k, &n) in HOOKED_RUNS.iter().enumerate() {
        let stderr = std::fs::File::create(w.dir.path().join(format!("stderr-hook-{k}"))).unwrap();
        let mut child = w
            .collect_forever_command(
                &config,
                &out,
                &w.dir.path().join(format!("stats-hook-{k}.json")),
            )
            .env(ABORT_AFTER_SINK, n.to_string())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .unwrap();
        let status = wait_for(&mut child, Duration::from_secs(60)).await;
        assert_eq!(
            status.code(),
            Some(ABORT_EXIT_CODE),
            "run {k} stopped by the hook"
        );
        hooked.push((child.id(), n));
    }
    let finals = w.run_to_completion(&config, &out).await;
    let got = read_outputs(&out);
    w.assert_exactly_delivered(&got, objects, SMALL).await;

    let files: Vec<(&std::path::PathBuf, &Vec<(String, String)>)> = got.per_file.iter().collect();
    for &(pid, n) in &hooked {
        let suffix = format!("-{pid}.ndjson");
        let i = files
            .iter()
            .position(|(path, _)| path.to_string_lossy().ends_with(&suffix))
            .expect("every hooked run wrote");
        let recs = files[i].1;
        assert_eq!(
            recs.len(),
            n * SMALL,
            "run {pid}: {n} whole objects written"
        );
        let last = recs[recs.len() - 1].1.split('-').next().unwrap().to_owned();
        let again = files[i + 1..]
            .iter()
            .flat_map(|(_, later)| later.iter())
            .filter(|(_, t)| t.starts_with(&format!("{last}-")))
            .count();
        // In full at least once (a later hooked run may stop right after writing it too).
        assert!(
            again >= SMALL && again.is_multiple_of(SMALL),
            "run {pid}: object {last}, written before the exit, delivered again in full later ({again} records)"
        );
    }
    assert_eq!(got.torn_tails, 0, "the hook exits between writes");
    eprintln!(
        "crash window: {} hooked runs, {finals} final run(s), {:?}; {objects} objects, {} lines written ({} duplicates)",
        hooked.len(),
        started.elapsed(),
        got.lines,
        got.lines - got.by_id.len()
    );
}
