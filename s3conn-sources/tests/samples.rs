//! Runs each source over the real published samples in `shared/samples/<folder>/` (`../shared`
//! from the workspace root; a missing folder fails the test) and checks that every event is
//! delivered and that every event's time comes from the event itself, except the documented
//! exceptions:
//! - `cloudtrail/CloudTrail-Digest/*`: digest files, skipped by key (counted, no records);
//! - `teleport/robustness/*`: hand-edited rule-test events; the one malformed time
//!   (`2023-09-20T23:00:000.000000Z`) must fall back, every other must parse.
//! - Proofpoint TAP files end with an empty API envelope line (`{"queryEndTime":…,"clicksPermitted":[]}`),
//!   which yields no event.

#![cfg_attr(
    not(all(
        feature = "cloudtrail",
        feature = "crowdstrike",
        feature = "generic",
        feature = "proofpoint",
        feature = "teleport"
    )),
    allow(dead_code, unused_imports)
)]

mod common;

use std::path::Path;

use common::{files_under, key_of, run, samples_folder, Output};

/// Counts of one folder's run.
#[derive(Default, Debug)]
struct Tally {
    files: usize,
    skipped: usize,
    records: usize,
    fallbacks: Vec<String>,
    /// Records with event_name, event_type, user, src_ip, host, outcome.
    coverage: [usize; 6],
}

fn run_folder(source_id: &str, folder: &Path) -> Tally {
    let registry = s3conn_sources::builtin_registry();
    let source = registry.get(source_id).expect("built-in source");
    let mut t = Tally::default();
    for file in files_under(folder) {
        let name = file
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if name.ends_with(".md") {
            continue;
        }
        let key = key_of(folder, &file);
        let bytes = std::fs::read(&file).expect("read sample");
        t.files += 1;
        match run(&source, &key, &bytes) {
            Output::Skipped(_) => t.skipped += 1,
            Output::Records(recs) => {
                t.records += recs.len();
                for r in &recs {
                    let f = &r.fields;
                    let has = [
                        f.event_name.is_some(),
                        f.event_type.is_some(),
                        f.user.is_some(),
                        f.src_ip.is_some(),
                        f.host.is_some(),
                        f.outcome.is_some(),
                    ];
                    for (c, h) in t.coverage.iter_mut().zip(has) {
                        *c += usize::from(h);
                    }
                    if let Some(reason) = &r.fields.fallback_reason {
                        t.fallbacks.push(format!(
                            "{key}#{}: {reason}: {}",
                            r.ordinal,
                            r.event.get()
                        ));
                    }
                }
            }
        }
    }
    eprintln!(
        "{source_id} over {}: {} files, {} skipped, {} records, {} fallbacks; \
         with event_name/event_type/user/src_ip/host/outcome: {:?}",
        folder.display(),
        t.files,
        t.skipped,
        t.records,
        t.fallbacks.len(),
        t.coverage
    );
    t
}

/// Counts the events a folder should yield, independently of the sources: JSON values in each
/// file, with `{"Records":[…]}` (and the TAP lists) counted by their elements.
fn expected_events(folder: &Path, lists: &[&str]) -> usize {
    let mut n = 0;
    for file in files_under(folder) {
        if file.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let text = std::fs::read_to_string(&file).expect("read sample");
        for v in serde_json::Deserializer::from_str(&text).into_iter::<serde_json::Value>() {
            let v = v.expect("valid JSON sample");
            let listed: Vec<_> = lists
                .iter()
                .filter_map(|l| v.get(*l).and_then(|x| x.as_array()))
                .collect();
            if listed.is_empty() {
                n += 1;
            } else {
                n += listed.iter().map(|a| a.len()).sum::<usize>();
            }
        }
    }
    n
}

/// Runs the built-in source `id` over `shared/samples/<id>/`: every event (`lists` name the lists
/// whose elements are events) is delivered, and every time comes from the event itself.
#[cfg(any(feature = "crowdstrike", feature = "generic", feature = "proofpoint"))]
fn assert_every_event_timed(id: &str, lists: &[&str]) {
    let dir = samples_folder(id);
    let t = run_folder(id, &dir);
    assert_eq!(t.records, expected_events(&dir, lists));
    assert!(t.fallbacks.is_empty(), "fallbacks: {:#?}", t.fallbacks);
}

#[cfg(feature = "cloudtrail")]
#[test]
fn samples_cloudtrail() {
    let dir = samples_folder("cloudtrail");
    let t = run_folder("aws-cloudtrail", &dir);
    let digests = files_under(&dir.join("CloudTrail-Digest")).len();
    assert_eq!(t.skipped, digests, "digest files skipped by key");
    assert!(digests >= 1);
    let expected = expected_events(&dir, &["Records"]) - digests;
    assert_eq!(t.records, expected, "every CloudTrail record delivered");
    assert!(t.fallbacks.is_empty(), "fallbacks: {:#?}", t.fallbacks);
}

#[cfg(feature = "crowdstrike")]
#[test]
fn samples_crowdstrike() {
    assert_every_event_timed("crowdstrike", &[]);
}

#[cfg(feature = "generic")]
#[test]
fn samples_generic() {
    assert_every_event_timed("generic", &["Records", "records", "Events"]);
}

#[cfg(feature = "proofpoint")]
#[test]
fn samples_proofpoint() {
    assert_every_event_timed("proofpoint", &s3conn_sources::proofpoint::TAP_LISTS);
}

#[cfg(feature = "teleport")]
#[test]
fn samples_teleport() {
    let dir = samples_folder("teleport");
    let t = run_folder("teleport", &dir);
    assert_eq!(t.records, expected_events(&dir, &[]));
    // Conformance files: every time parses. Robustness file: only the malformed one falls back.
    let conformance: Vec<_> = t
        .fallbacks
        .iter()
        .filter(|f| !f.starts_with("robustness/"))
        .collect();
    assert!(conformance.is_empty(), "fallbacks: {conformance:#?}");
    let robust: Vec<_> = t
        .fallbacks
        .iter()
        .filter(|f| f.starts_with("robustness/"))
        .collect();
    assert_eq!(
        robust.len(),
        1,
        "only the malformed time falls back: {robust:#?}"
    );
    assert!(
        robust[0].contains("2023-09-20T23:00:000.000000Z"),
        "{robust:#?}"
    );
}
