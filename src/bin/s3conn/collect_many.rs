//! `s3conn collect` with several connectors in one process: `--config a.toml --config b.toml`,
//! or a directory of configurations. They share the HTTP client, one budget of in-flight bytes
//! and the shutdown; one failing does not stop the others ([`s3conn::Supervisor`]).

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::time::Duration;

use s3conn::tokio;
use s3conn::{
    CancellationToken, ConnectorJob, DeadLetterDestination, PipelineError, RunStatus, Sink,
    Supervisor,
};

use crate::closed_stdout::CLOSED_STDOUT_EXIT_CODE;
use crate::collect::{
    dead_letter, job_sink, output_sink, runtime, signals, stats_value, status_line, CollectArgs,
};

/// Bytes of decoded records waiting for their sinks, across every connector of the process.
const PROCESS_IN_FLIGHT_BYTES: usize = 256 << 20;

/// The configuration files `--config` names: files as given, directories expanded to their
/// `*.toml` files in name order. A directory without any is an error, not an idle process.
pub fn config_files(args: &[PathBuf]) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for path in args {
        if !path.is_dir() {
            files.push(path.clone());
            continue;
        }
        let entries = std::fs::read_dir(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut found: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "toml"))
            .collect();
        if found.is_empty() {
            return Err(format!(
                "{}: no connector configuration (*.toml) in this directory",
                path.display()
            ));
        }
        found.sort();
        files.extend(found);
    }
    Ok(files)
}

/// A connector name as a file or directory name: anything but `[A-Za-z0-9._-]` becomes `_`.
pub fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || "._-".contains(c) {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// Where one of several connectors dead-letters: its own subdirectory of `--dead-letter`, or the
/// shared `--dead-letter-queue` (items name their object).
fn dead_letter_for(args: &CollectArgs, name: &str) -> DeadLetterDestination {
    match dead_letter(args) {
        DeadLetterDestination::Directory(dir) => {
            DeadLetterDestination::Directory(dir.join(file_safe(name)))
        }
        other => other,
    }
}

/// Runs several connectors until interrupted (or, with `--drain`, until every one has drained).
pub fn collect_many(args: &CollectArgs, configs: &[PathBuf]) -> ExitCode {
    let result = (|| -> Result<ExitCode, String> {
        let rt = runtime()?;
        rt.block_on(run(args, configs))
    })();
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("s3conn collect: {e}");
            ExitCode::from(2)
        }
    }
}

async fn run(args: &CollectArgs, configs: &[PathBuf]) -> Result<ExitCode, String> {
    // Before any pipeline is built: their metric handles resolve when built.
    let metrics = crate::serve::recorder(args.metrics_addr.as_deref())?;
    let mut supervisor = Supervisor::new(PROCESS_IN_FLIGHT_BYTES);
    // One stdout sink shared by the connectors writing there (records carry their connector's
    // name); each other connector its own file (--output) or its own `[sink]`.
    let stdout: Arc<dyn Sink> = crate::test_hooks::with_test_hooks(output_sink(None, None)?)?;
    let mut any_stdout = false;
    let mut jobs: Vec<Arc<ConnectorJob>> = Vec::new();
    for path in configs {
        let mut job = supervisor.load(path).await.map_err(|e| e.to_string())?;
        crate::collect::run_settings(args, &mut job);
        let name = job.connector().config().name.clone();
        let (sink, to_stdout) = job_sink(args, &job, path, Some(&file_safe(&name)))?;
        let sink = if to_stdout {
            any_stdout = true;
            stdout.clone()
        } else {
            crate::test_hooks::with_test_hooks(sink)?
        };
        jobs.push(Arc::new(job.clone()));
        supervisor
            .add(job, sink, dead_letter_for(args, &name))
            .map_err(|e| format!("{}: {e}", path.display()))?;
    }
    let names = supervisor.names();
    eprintln!(
        "s3conn collect: {} connectors: {}",
        names.len(),
        names.join(", ")
    );
    let shutdown = CancellationToken::new();
    tokio::spawn(signals(shutdown.clone()));
    // One server for the process: /readyz lists every connector, /metrics labels each.
    let served = CancellationToken::new();
    let _serving = served.clone().drop_guard();
    if let Some(metrics) = metrics {
        let job_refs: Vec<&ConnectorJob> = jobs.iter().map(Arc::as_ref).collect();
        metrics
            .serve_all(
                &job_refs,
                supervisor.health(),
                args.queue_depth_metrics,
                served,
            )
            .await?;
    }
    let states = supervisor.states();
    if args.status_interval > 0 {
        let every = Duration::from_secs(args.status_interval);
        let stop = shutdown.clone();
        let jobs = jobs.clone();
        let states = states.clone();
        tokio::spawn(async move {
            loop {
                tokio::select! {
                    _ = tokio::time::sleep(every) => {}
                    _ = stop.cancelled() => return,
                }
                for job in &jobs {
                    let name = &job.connector().config().name;
                    if let Some(stats) = states.stats(name) {
                        eprintln!(
                            "s3conn collect [{name}]: {}",
                            status_line(&stats.snapshot(), job)
                        );
                    }
                }
            }
        });
    }
    let report = supervisor.run(shutdown.clone()).await;
    shutdown.cancel();
    let mut code = ExitCode::SUCCESS;
    let mut all_stats = s3conn::serde_json::Map::new();
    for (outcome, job) in report.connectors.into_iter().zip(&jobs) {
        let name = outcome.name;
        let run = match outcome.result {
            Ok(report) => report,
            Err(s3conn::ConnectorJobError::Pipeline(PipelineError::Incomplete(report))) => *report,
            Err(s3conn::ConnectorJobError::Pipeline(PipelineError::OutputClosed(_)))
                if any_stdout =>
            {
                code = ExitCode::from(CLOSED_STDOUT_EXIT_CODE);
                continue;
            }
            Err(e) => {
                eprintln!("s3conn collect [{name}]: failed: {e}");
                if let Some(stats) = states.stats(&name) {
                    all_stats.insert(name.clone(), stats_value(&stats.snapshot(), job));
                }
                code = failure(code);
                continue;
            }
        };
        eprintln!(
            "s3conn collect [{name}]: done: {}",
            status_line(&run.stats, job)
        );
        all_stats.insert(name.clone(), stats_value(&run.stats, job));
        if let RunStatus::Kept(_) = run.status {
            eprintln!(
                "s3conn collect [{name}]: {} (see the warnings above)",
                run.status
            );
            code = failure(code);
        }
    }
    if let Some(path) = &args.stats {
        let value = s3conn::serde_json::json!({ "connectors": all_stats });
        let text = s3conn::serde_json::to_string_pretty(&value).unwrap_or_default();
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))?;
    }
    Ok(code)
}

/// Exit 1 for a failed connector, unless a closed stdout already set 141.
fn failure(code: ExitCode) -> ExitCode {
    if code == ExitCode::from(CLOSED_STDOUT_EXIT_CODE) {
        code
    } else {
        ExitCode::FAILURE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_become_file_names() {
        assert_eq!(file_safe("prod trail/eu"), "prod_trail_eu");
        assert_eq!(file_safe("a.b-c_d"), "a.b-c_d");
    }

    #[test]
    fn directories_expand_to_their_toml_files_in_order() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("b.toml"), "").unwrap();
        std::fs::write(dir.path().join("a.toml"), "").unwrap();
        std::fs::write(dir.path().join("notes.txt"), "").unwrap();
        let files = config_files(&[dir.path().to_path_buf(), PathBuf::from("x.toml")]).unwrap();
        let names: Vec<_> = files
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.toml", "b.toml", "x.toml"]);
        let empty = tempfile::tempdir().unwrap();
        let e = config_files(&[empty.path().to_path_buf()]).unwrap_err();
        assert!(e.contains("no connector configuration"), "{e}");
    }
}
