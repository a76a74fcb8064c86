//! Test harness: turns an object's bytes into records the way the connector does: the source's
//! key check, then the core's `process_object_bytes` (decompress, frame, expand, normalize).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use s3conn_core::decode::DecoderConfig;
use s3conn_core::process::process_object_bytes;
use s3conn_core::{KeyVerdict, LogSource, ObjectContext, ObjectRef, Record};

/// Fallback time given to every test object (2023-11-14T22:13:20Z).
pub const LAST_MODIFIED_MS: i64 = 1_700_000_000_000;

/// What one object turned into.
#[derive(Debug)]
pub enum Output {
    /// The source skipped the key.
    Skipped(&'static str),
    /// The records, in order.
    Records(Vec<Record>),
}

impl Output {
    /// The records (empty when skipped).
    pub fn records(&self) -> &[Record] {
        match self {
            Output::Skipped(_) => &[],
            Output::Records(r) => r,
        }
    }

    /// One line per record (or one `{"skipped":…}` line).
    pub fn to_ndjson(&self) -> String {
        match self {
            Output::Skipped(reason) => format!("{}\n", serde_json::json!({ "skipped": reason })),
            Output::Records(recs) => {
                let mut out = Vec::new();
                for r in recs {
                    r.write_ndjson(&mut out);
                }
                String::from_utf8(out).expect("records are UTF-8")
            }
        }
    }
}

/// Runs a source over one object through the core's `process_object_bytes` (the pipeline's own
/// decode + normalize path), after the source's key check as the pipeline does it.
pub fn run(source: &Arc<dyn LogSource>, key: &str, bytes: &[u8]) -> Output {
    if let KeyVerdict::Skip(reason) = source.accept_key(key) {
        return Output::Skipped(reason);
    }
    let ctx = ObjectContext::new(
        ObjectRef::new("test-bucket", key),
        None,
        None,
        Some(LAST_MODIFIED_MS),
    );
    let out = process_object_bytes(source, &DecoderConfig::default(), ctx, bytes);
    if let Some(d) = out.dead_letters.first() {
        panic!("{key}: dead letter: {}", d.reason);
    }
    if let Err(e) = out.result {
        panic!("{key}: decode failed: {e}");
    }
    Output::Records(out.records)
}

/// Every file under `dir`, recursively, sorted (`s3conn_core::testing::files_under`); panics
/// naming the folder when it is missing (a missing folder must fail a test, not make it pass over
/// nothing).
pub fn files_under(dir: &Path) -> Vec<PathBuf> {
    assert!(dir.is_dir(), "cannot read folder {}", dir.display());
    s3conn_core::testing::files_under(dir)
}

/// The built-in source registered under `id`.
pub fn builtin(id: &str) -> Arc<dyn LogSource> {
    s3conn_sources::builtin_registry()
        .get(id)
        .expect("built-in source")
}

/// The object key a file stands for: its path below `root`, with `/` separators.
pub fn key_of(root: &Path, file: &Path) -> String {
    file.strip_prefix(root)
        .unwrap_or(file)
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join("/")
}

/// The crate's fixture folder.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
}

/// The fixture folder of a source: `fixtures/<id>/`, or for AWS's service logs
/// `fixtures/aws/<id without aws->/` (AWS's published samples, each folder with its ORIGIN.md).
pub fn source_fixtures(id: &str) -> PathBuf {
    let own = fixtures_dir().join(id);
    match id.strip_prefix("aws-") {
        Some(name) if !own.is_dir() => fixtures_dir().join("aws").join(name),
        _ => own,
    }
}

/// `shared/samples`: `../shared/samples` from the workspace root, two levels above this crate's
/// manifest. Panics naming the path when it is missing: CI always has it, and a test that passes
/// without reading the samples proves nothing.
pub fn samples_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/samples");
    assert!(
        dir.is_dir(),
        "sample folder not found at {} (the workspace expects `../shared/samples` beside it)",
        dir.display()
    );
    dir
}

/// One folder of `shared/samples` (`cloudtrail`, `teleport`, …); panics naming the path when it is
/// missing.
pub fn samples_folder(name: &str) -> PathBuf {
    let dir = samples_dir().join(name);
    assert!(dir.is_dir(), "sample folder not found at {}", dir.display());
    dir
}
