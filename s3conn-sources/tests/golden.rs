//! Golden tests: every fixture under `tests/fixtures/<source id>/` is run through its source and
//! compared with `<fixture>.golden.ndjson` beside it. The fixture's path below the source folder
//! is its object key. `UPDATE_GOLDEN=1 cargo test -p s3conn-sources --test golden` rewrites them.

mod common;

use std::path::Path;
use std::sync::Arc;

use common::{files_under, key_of, run, source_fixtures};
use s3conn_core::LogSource;

const GOLDEN_SUFFIX: &str = ".golden.ndjson";

/// Checks every fixture of `source` against its golden file.
fn check_source(source: &Arc<dyn LogSource>) {
    let id = &source.info().id;
    let root = source_fixtures(id);
    let update = std::env::var_os("UPDATE_GOLDEN").is_some_and(|v| v != "0");
    let inputs: Vec<_> = files_under(&root)
        .into_iter()
        .filter(|p| {
            let name = p.to_string_lossy();
            !name.ends_with(GOLDEN_SUFFIX) && !name.ends_with("ORIGIN.md")
        })
        .collect();
    assert!(!inputs.is_empty(), "no fixtures under {}", root.display());
    let mut failures = Vec::new();
    for input in &inputs {
        let key = key_of(&root, input);
        let bytes = std::fs::read(input).expect("read fixture");
        let got = run(source, &key, &bytes).to_ndjson();
        let golden_path = format!("{}{GOLDEN_SUFFIX}", input.display());
        if update {
            std::fs::write(&golden_path, &got).expect("write golden");
            continue;
        }
        match std::fs::read_to_string(Path::new(&golden_path)) {
            Ok(want) if want == got => {}
            Ok(want) => {
                let first_diff = want
                    .lines()
                    .zip(got.lines())
                    .position(|(a, b)| a != b)
                    .unwrap_or(want.lines().count().min(got.lines().count()));
                failures.push(format!(
                    "{key}: output differs from golden at line {} (want {} lines, got {})\n  want: {}\n  got:  {}",
                    first_diff + 1,
                    want.lines().count(),
                    got.lines().count(),
                    want.lines().nth(first_diff).unwrap_or("<none>"),
                    got.lines().nth(first_diff).unwrap_or("<none>"),
                ));
            }
            Err(_) => failures.push(format!(
                "{key}: no golden file {golden_path} (run with UPDATE_GOLDEN=1)"
            )),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Every built-in source this build has (by cargo feature) against its fixtures.
#[test]
fn golden_every_builtin_source() {
    for source in s3conn_sources::builtin_sources() {
        check_source(&source);
    }
}
