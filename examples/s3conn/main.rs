//! `s3conn`: the command line of the s3conn library.
//!
//! - `s3conn replay PATH...` runs the whole pipeline over local files (no AWS needed).
//! - `s3conn collect --config FILE` runs a connector against SQS and S3.
//! - `s3conn test --config FILE` checks a connector's credentials and connectivity.
//! - `s3conn sources` lists the log sources.

mod collect;
mod replay;
mod test_hooks;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{Args, Parser, Subcommand};
use s3conn::core::decode::{FileType, Framing};
use s3conn::core::LogSource;

/// Collect logs from Amazon S3 through SQS notifications.
#[derive(Debug, Parser)]
#[command(name = "s3conn", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the full pipeline over local files or directories; records go to stdout as NDJSON.
    Replay(replay::ReplayArgs),
    /// Run a connector against SQS and S3 until interrupted (or, with --drain, until the queue is empty).
    Collect(collect::CollectArgs),
    /// Check a connector's credentials and connectivity with the permissions it will use.
    Test(collect::TestArgs),
    /// List the log sources.
    Sources,
}

/// Which log source normalizes the events, and how objects are decoded.
#[derive(Debug, Clone, Args)]
pub struct SourceArgs {
    /// A registered log source id (see `s3conn sources`).
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
    /// The log source these arguments name.
    pub fn source(&self) -> Result<Arc<dyn LogSource>, String> {
        if let Some(path) = &self.source_spec {
            let spec = s3conn::sources::DeclarativeSource::from_path(path)
                .map_err(|e| format!("{}: {e}", path.display()))?;
            return Ok(Arc::new(spec));
        }
        s3conn::sources::builtin_registry()
            .get(&self.source)
            .map_err(|e| e.to_string())
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

fn init_tracing() {
    let filter = tracing_subscriber::EnvFilter::try_from_env("S3CONN_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .init();
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    init_tracing();
    match cli.command {
        Command::Sources => {
            print!(
                "{}",
                s3conn::sources::catalog_table(&s3conn::sources::builtin_registry())
            );
            ExitCode::SUCCESS
        }
        Command::Replay(args) => replay::main(args),
        Command::Collect(args) => collect::collect(args),
        Command::Test(args) => collect::test(args),
    }
}
