//! `s3conn`: the command line of the s3conn library.
//!
//! - `s3conn replay PATH...` runs the whole pipeline over local files (no AWS needed).
//! - `s3conn collect --config FILE` runs a connector against SQS and S3.
//! - `s3conn backfill --config FILE --bucket B` reads what is already in a bucket.
//! - `s3conn test --config FILE` checks a connector's credentials and connectivity.
//! - `s3conn sources` lists the log sources.
//!
//! Exit codes: 0 when everything received was delivered or accounted for, 1 when the run failed
//! or kept messages, 2 on a usage or configuration error, 141 when stdout was closed (as a Unix
//! tool killed by SIGPIPE under `| head`).

mod backfill;
mod closed_stdout;
mod collect;
mod collect_many;
mod json_log;
mod replay;
mod serve;
mod sink_check;
mod summary;
mod test_hooks;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use s3conn::decode::{FileType, Framing};
use s3conn::LogSource;

/// Collect logs from Amazon S3 through SQS notifications.
#[derive(Debug, Parser)]
#[command(name = "s3conn", version, about)]
struct Cli {
    /// Log lines on stderr: `text` (default) or `json` (one object per line, with the connector,
    /// bucket, key and message id where known). The level comes from `S3CONN_LOG` (default warn).
    #[arg(long, global = true, value_enum, default_value = "text")]
    log_format: LogFormat,
    #[command(subcommand)]
    command: Command,
}

/// How log lines are written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
enum LogFormat {
    /// Human-readable lines (coloured on a terminal).
    Text,
    /// One JSON object per line.
    Json,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the full pipeline over local files or directories; records go to stdout as NDJSON.
    Replay(replay::ReplayArgs),
    /// Run a connector against SQS and S3 until interrupted (or, with --drain, until the queue is empty).
    Collect(collect::CollectArgs),
    /// Read the objects already in a bucket through a connector's pipeline (or send them to a
    /// queue for collect workers), resumable with a checkpoint.
    Backfill(backfill::BackfillArgs),
    /// Check a connector's credentials and connectivity with the permissions it will use.
    Test(collect::TestArgs),
    /// List the log sources.
    Sources,
}

/// Which log source normalizes the events, and how objects are decoded.
#[derive(Debug, Clone, Args)]
pub struct SourceArgs {
    /// A registered log source id (see `s3conn sources`; `_` for `-` works too) or a spec path.
    #[arg(long, default_value = "generic", conflicts_with = "source_spec")]
    pub source: String,
    /// A declarative source spec (TOML or JSON) instead of a registered id.
    #[arg(long, value_name = "FILE")]
    pub source_spec: Option<PathBuf>,
    /// Compression: auto (by magic bytes), gzip, zstd or text. The bytes win when they disagree.
    #[arg(long, default_value = "auto")]
    pub file_type: FileType,
    /// One JSON event per line (the same as `--framing lines`).
    #[arg(long, conflicts_with = "framing")]
    pub multiple_logs_per_file: bool,
    /// How events are delimited: auto, single or lines.
    #[arg(long, default_value = "auto")]
    pub framing: Framing,
}

impl SourceArgs {
    /// The log source these arguments name (through the library's resolver).
    pub fn source(&self) -> Result<Arc<dyn LogSource>, String> {
        if let Some(path) = &self.source_spec {
            let spec = s3conn::DeclarativeSource::from_path(path)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            return Ok(Arc::new(spec));
        }
        s3conn::resolve_source(&self.source, Path::new(".")).map_err(|e| e.to_string())
    }

    /// The framing these arguments select.
    pub fn framing(&self) -> Framing {
        if self.multiple_logs_per_file {
            Framing::Lines
        } else {
            self.framing
        }
    }
}

/// Whether log lines may carry ANSI colour: only on a terminal, and never with `NO_COLOR` set
/// (to anything but the empty string, as no-color.org says).
fn colour(stderr_is_terminal: bool, no_color: Option<std::ffi::OsString>) -> bool {
    stderr_is_terminal && no_color.is_none_or(|v| v.is_empty())
}

fn init_tracing(format: LogFormat) {
    let filter = tracing_subscriber::EnvFilter::try_from_env("S3CONN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    if format == LogFormat::Json {
        // The spans' fields (connector, message_id, bucket, key) are flattened into each line.
        tracing_subscriber::fmt()
            .json()
            .event_format(json_log::FlatJson)
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .init();
        return;
    }
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(colour(
            std::io::stderr().is_terminal(),
            std::env::var_os("NO_COLOR"),
        ))
        .with_writer(std::io::stderr)
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing(cli.log_format);
    match cli.command {
        Command::Sources => {
            print!(
                "{}",
                s3conn::sources::catalog_table(&s3conn::builtin_registry())
            );
            ExitCode::SUCCESS
        }
        Command::Replay(args) => replay::main(args),
        Command::Collect(args) => collect::collect(args),
        Command::Test(args) => collect::test(args),
        Command::Backfill(args) => backfill::backfill(args),
    }
}

#[cfg(test)]
mod tests {
    use super::colour;

    #[test]
    fn colour_only_on_a_terminal_without_no_color() {
        assert!(colour(true, None));
        assert!(colour(true, Some("".into())));
        assert!(!colour(true, Some("1".into())));
        assert!(!colour(false, None));
    }
}
