//! The `s3conn` binary's own behaviour: found through `CARGO_BIN_EXE_s3conn`, done lines that read
//! right for nothing and for one, no colour when stderr is not a terminal, a quick exit when
//! stdout is closed (`| head`); and the README's library section is the tested crate docs.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn s3conn() -> Command {
    Command::new(env!("CARGO_BIN_EXE_s3conn"))
}

fn replay(dir: &std::path::Path, env: &[(&str, &str)]) -> (i32, String) {
    let out = s3conn()
        .arg("replay")
        .arg("--dead-letter")
        .arg(dir.join("dead"))
        .arg(dir.join("in"))
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn the_binary_is_the_cargo_bin_target() {
    let out = s3conn().arg("--version").output().unwrap();
    assert!(out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("s3conn "));
}

/// `replay` over `dir` succeeds, and its done line contains `objects` and `records`.
fn assert_done_line(dir: &std::path::Path, objects: &str, records: &str) {
    let (code, stderr) = replay(dir, &[]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains(objects) && stderr.contains(records),
        "{stderr}"
    );
}

#[test]
fn done_lines_read_right_for_nothing_and_for_one() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("in")).unwrap();
    assert_done_line(
        dir.path(),
        "s3conn replay: 0 objects (0 processed",
        ", 0 records delivered,",
    );
    std::fs::write(
        dir.path().join("in/one.json"),
        r#"{"time":"2026-11-26T08:00:00Z","user":"u"}"#,
    )
    .unwrap();
    assert_done_line(
        dir.path(),
        "s3conn replay: 1 object (1 processed",
        ", 1 record delivered,",
    );
}

#[test]
fn no_colour_when_stderr_is_not_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("in")).unwrap();
    // Gzip magic, then garbage: the object is dead-lettered with a warning.
    std::fs::write(
        dir.path().join("in/bad.json.gz"),
        b"\x1f\x8b\x08\x00garbage",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("in/good.json"),
        br#"{"time":"2026-11-26T08:00:00Z"}"#,
    )
    .unwrap();
    let (_, stderr) = replay(dir.path(), &[("S3CONN_LOG", "debug")]);
    assert!(
        ["WARN", "INFO", "DEBUG"]
            .iter()
            .any(|level| stderr.contains(level)),
        "some log lines: {stderr}"
    );
    assert!(!stderr.contains('\u{1b}'), "no escape codes: {stderr:?}");
}

/// `s3conn replay … | head -1`: once the reader is gone the process stops at once (141, as a
/// Unix tool killed by SIGPIPE), without retrying the closed stdout.
#[test]
fn a_closed_stdout_stops_the_replay_at_once() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("in")).unwrap();
    // About 8 MB of records: far more than a pipe holds.
    let mut events = String::new();
    for i in 0..20_000 {
        events.push_str(&format!(
            "{{\"time\":\"2026-11-26T08:00:00Z\",\"n\":{i},\"pad\":\"{}\"}}\n",
            "x".repeat(300)
        ));
    }
    std::fs::write(dir.path().join("in/many.json"), events).unwrap();
    let started = Instant::now();
    let mut child = s3conn()
        .arg("replay")
        .arg("--dead-letter")
        .arg(dir.path().join("dead"))
        .arg(dir.path().join("in"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut first = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut first)
        .unwrap();
    assert!(first.starts_with('{'), "{first}");
    // The reader is dropped here, as `head -1` exits.
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > Duration::from_secs(20) {
            let _ = child.kill();
            panic!("still running 20 s after stdout was closed");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(!status.success(), "a closed output is not a success");
    assert_eq!(status.code(), Some(141));
}

#[test]
fn the_readme_library_section_is_the_tested_crate_doc() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let library = std::fs::read_to_string(root.join("src/library.md")).unwrap();
    assert!(
        readme.contains(&format!("## The library\n\n{library}")),
        "README.md's \"## The library\" section must be src/library.md verbatim (it is compiled as the crate docs)"
    );
}
