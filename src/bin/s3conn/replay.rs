//! `s3conn replay`: local files through the production pipeline ([`s3conn::Replay`]).

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use s3conn::decode::DecoderConfig;
use s3conn::filter::{ObjectFilter, RecordFilters};
use s3conn::{
    CancellationToken, ConnectorConfig, DirectoryDeadLetterSink, PipelineConfig, PipelineError,
    Replay, ReplayError, Router, Stats,
};

use crate::closed_stdout::CLOSED_STDOUT_EXIT_CODE;
use crate::summary::{done_objects, replay_summary};
use crate::SourceArgs;

/// Arguments of `s3conn replay`.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    source: SourceArgs,
    /// Take the log source or `[[routes]]`, `unmatched`, decoding, `log_filters`, key
    /// prefix/suffix, tenant and name from this connector configuration (its queue, bucket and
    /// credential settings are not used; `sqs_queue_url` may be left out). Routes match each
    /// file's path relative to the directory given. Records go to its `[sink]` (stdout when it
    /// has none).
    #[arg(long, value_name = "FILE", conflicts_with_all = ["source", "source_spec", "file_type", "multiple_logs_per_file", "framing"])]
    config: Option<PathBuf>,
    /// Directory for dead-lettered items (NDJSON), created only when something is dead-lettered.
    #[arg(long, value_name = "DIR", default_value = "s3conn-dead-letters")]
    dead_letter: PathBuf,
    /// Write the counters as JSON to this file when done.
    #[arg(long, value_name = "FILE")]
    stats: Option<PathBuf>,
    /// Tenant written into every record.
    #[arg(long)]
    tenant: Option<String>,
    /// Connector name written into every record.
    #[arg(long)]
    connector: Option<String>,
    /// Objects decoded at once (default: the number of cores plus one, so a core never waits while an object starts)
    #[arg(long)]
    concurrency: Option<usize>,
    /// Files or directories (read recursively) to replay.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
}

fn progress(
    stats: Arc<Stats>,
    total: u64,
    stop: CancellationToken,
) -> Option<std::thread::JoinHandle<()>> {
    if !std::io::stderr().is_terminal() {
        return None;
    }
    Some(std::thread::spawn(move || {
        let bar = indicatif::ProgressBar::new(total);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} objects {msg}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        while !stop.is_cancelled() {
            let s = stats.snapshot();
            bar.set_position(done_objects(&s));
            bar.set_message(format!("{} records", s.records_delivered));
            std::thread::sleep(Duration::from_millis(100));
        }
        bar.finish_and_clear();
    }))
}

fn mb(bytes: u64) -> f64 {
    bytes as f64 / 1e6
}

/// What decodes and normalizes the replayed objects: a router, its record filters, and the
/// pipeline settings they come with.
struct Plan {
    router: Router,
    filters: RecordFilters,
    config: PipelineConfig,
}

/// The plan of `--config FILE`: the connector's sources and settings, not its queue.
fn plan_from_config(path: &Path, args: &ReplayArgs) -> Result<Plan, String> {
    let c = ConnectorConfig::from_file_without_queue(path)
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let base = path.parent().unwrap_or(Path::new(""));
    let router = s3conn::resolve_router(&c, base).map_err(|e| e.to_string())?;
    let filters =
        RecordFilters::new(&c.log_filters).map_err(|e| format!("{}: {e}", path.display()))?;
    let mut config = Replay::config(args.concurrency);
    config.decoder = c.decoder_config();
    // Local paths have no buckets: only the key filters apply.
    config.objects = ObjectFilter {
        buckets: Vec::new(),
        ..c.object_filter()
    };
    config.tenant = args.tenant.clone().or(c.tenant);
    config.connector = args.connector.clone().or(Some(c.name));
    Ok(Plan {
        router,
        filters,
        config,
    })
}

/// The plan of the command line's `--source`, `--file-type` and `--framing`.
fn plan_from_args(args: &ReplayArgs) -> Result<Plan, String> {
    let mut config = Replay::config(args.concurrency);
    config.decoder = DecoderConfig {
        file_type: args.source.file_type,
        framing: args.source.framing(),
        ..DecoderConfig::default()
    };
    config.tenant = args.tenant.clone();
    config.connector = args.connector.clone();
    Ok(Plan {
        router: Router::single(args.source.source()?),
        filters: RecordFilters::default(),
        config,
    })
}

/// Runs `s3conn replay`.
pub fn main(args: ReplayArgs) -> ExitCode {
    let plan = match &args.config {
        Some(path) => plan_from_config(path, &args),
        None => plan_from_args(&args),
    };
    let Plan {
        router,
        filters,
        config,
    } = match plan {
        Ok(p) => p,
        Err(e) => {
            eprintln!("s3conn replay: {e}");
            return ExitCode::from(2);
        }
    };
    let replay = match Replay::from_paths(&args.paths) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("s3conn replay: {e}");
            return ExitCode::from(2);
        }
    };
    let workers = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .max(2);
    let dead = Arc::new(DirectoryDeadLetterSink::new(&args.dead_letter));
    let (sink, to_stdout) = match crate::sink_check::replay_sink(args.config.as_deref()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("s3conn replay: {e}");
            return ExitCode::from(2);
        }
    };
    let run = replay.routed(router, filters, sink, dead.clone(), config);
    let runtime = match s3conn::tokio::runtime::Builder::new_multi_thread()
        .worker_threads(workers)
        .enable_all()
        .build()
    {
        Ok(r) => r,
        Err(e) => {
            eprintln!("s3conn replay: cannot start the runtime: {e}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    let stop_progress = CancellationToken::new();
    let bar = progress(run.stats(), run.objects(), stop_progress.clone());
    let result = runtime.block_on(run.run(CancellationToken::new()));
    stop_progress.cancel();
    if let Some(bar) = bar {
        let _ = bar.join();
    }
    let elapsed = started.elapsed().as_secs_f64().max(1e-9);
    let outcome = match result {
        Ok(s) => s,
        Err(ReplayError::Pipeline(PipelineError::OutputClosed(_))) if to_stdout => {
            return ExitCode::from(CLOSED_STDOUT_EXIT_CODE);
        }
        Err(e @ ReplayError::Pipeline(PipelineError::SinkConfiguration(_))) => {
            eprintln!("s3conn replay: {e}");
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("s3conn replay: {e}");
            return ExitCode::FAILURE;
        }
    };
    let stats = &outcome.stats;
    eprintln!("s3conn replay: {}", replay_summary(outcome.objects, stats));
    eprintln!(
        "s3conn replay: read {:.1} MB, decoded {:.1} MB in {:.2} s ({:.1} MB/s decoded, {:.0} records/s)",
        mb(stats.bytes_read),
        mb(stats.bytes_decoded),
        elapsed,
        mb(stats.bytes_decoded) / elapsed,
        stats.records_delivered as f64 / elapsed
    );
    if let Some(path) = dead.path() {
        eprintln!(
            "s3conn replay: dead-lettered items are in {}",
            path.display()
        );
    }
    if let Some(path) = &args.stats {
        let json = s3conn::serde_json::to_string_pretty(stats).unwrap_or_default();
        if let Err(e) = std::fs::write(path, json) {
            eprintln!("s3conn replay: cannot write {}: {e}", path.display());
            return ExitCode::from(2);
        }
    }
    if !outcome.is_complete() {
        eprintln!(
            "s3conn replay: {} could not be processed (see the warnings above); nothing was written for them: {}",
            crate::summary::count(outcome.unprocessed as u64, "object"),
            outcome.status
        );
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
